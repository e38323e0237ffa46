/**
 * The test cases of wallarm/gotestwaf (MIT; `git clone https://github.com/wallarm/gotestwaf`),
 * read at run time from a checkout: `testcases/<set>/<case>.yml`, each payload sent through each
 * encoder in each placeholder the case names, built as that tool builds the request (its
 * `internal/payload`): `URLPath` (`/` + the encoded payload), `URLParam` (`?<name>=` + it),
 * `HTMLForm`, `HTMLMultipartForm`, `JSONRequest` (`{"test": true, "<name>": "<\uXXXX…>"}`),
 * `Header` (`X-<name>`), `UserAgent`, `XMLBody`, `SOAPBody` (XML-escaped inside an envelope) and
 * `GraphQL` (GET `?query=`, or the raw POST body). Encoders: `Plain`, `URL` (Go's
 * `url.PathEscape`), `Base64` and `Base64Flat` (without `=`). The `false-pos` set is ordinary
 * text; every other set is attacks, by case file (`gtw-sql-injection`). gRPC and raw-request
 * cases are not HTTP requests this filter sees the same way and are skipped (counted). Nothing of
 * it is committed.
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parse } from "yaml";
import type { CorpusLine } from "./corpus.ts";
import { sendable } from "./waf-bypass.ts";

interface TestCase {
  payload?: unknown[];
  encoder?: unknown[];
  placeholder?: unknown[];
}

export interface GoTestWafLoad {
  lines: CorpusLine[];
  /** Requests not built: placeholders this loader does not send (gRPC, raw requests) and header values the Fetch API refuses. */
  skipped: string[];
}

const utf8 = new TextEncoder();

/** Go's `url.PathEscape`: every byte but letters, digits, `-_.~` and `$&+:=@` as `%XX`. */
export function goPathEscape(s: string): string {
  let out = "";
  for (const b of utf8.encode(s)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-_.~$&+:=@]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Go's `url.QueryEscape` (what `url.Values.Encode` does to a value): as a form does, space as `+`. */
function goQueryEscape(s: string): string {
  let out = "";
  for (const b of utf8.encode(s)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : b === 32 ? "+" : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

function base64(s: string): string {
  return Buffer.from(s, "utf8").toString("base64");
}

/** The `JSUnicode` encoder: every UTF-16 code unit as `\uXXXX`. */
function jsUnicode(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) out += `\\u${s.charCodeAt(i).toString(16).padStart(4, "0")}`;
  return out;
}

const XML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&#34;",
  "'": "&#39;",
  "\t": "&#x9;",
  "\n": "&#xA;",
  "\r": "&#xD;",
};

/** Go's `xml.Encoder.Encode` of a string: `<string>` with `&<>"'`, tab and line breaks escaped. */
function xmlEntity(s: string): string {
  return `<string>${s.replace(/[&<>"'\t\n\r]/g, (c) => XML_ESCAPES[c]!)}</string>`;
}

const ENCODERS: Record<string, (s: string) => string> = {
  Plain: (s) => s,
  URL: goPathEscape,
  Base64: base64,
  Base64Flat: (s) => base64(s).replaceAll("=", ""),
};

const SOAP_HEAD = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
	xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
	<soapenv:Header>
		<ns1:RequestHeader soapenv:actor="http://schemas.xmlsoap.org/soap/actor/next"
			soapenv:mustUnderstand="0" xmlns:ns1="https://www.google.com/apis/ads/publisher/v202002">
		</ns1:RequestHeader>
	</soapenv:Header>
	<soapenv:Body>
		<getAdUnitsByStatement xmlns="https://www.google.com/apis/ads/publisher/v202002">
			<filterStatement>
`;
const SOAP_TAIL = `
			</filterStatement>
		</getAdUnitsByStatement>
	</soapenv:Body>
</soapenv:Envelope>`;

export function loadGoTestWaf(root: string): GoTestWafLoad {
  const dir = join(root, "testcases");
  const lines: CorpusLine[] = [];
  const skipped: string[] = [];
  // The tool names parameters and headers with random hex; a counter keeps every run the same.
  let n = 0;
  const name = () => (0x10_0000_0000 + n++).toString(16);
  for (const set of readdirSync(dir).sort()) {
    for (const file of readdirSync(join(dir, set))
      .filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"))
      .sort()) {
      // One case writes `\'` in a double-quoted scalar, which YAML does not define: read as `'`.
      const text = readFileSync(join(dir, set, file), "utf8").replace(/^(\s*- ".*)$/gm, (l) =>
        l.replaceAll("\\'", "'"),
      );
      const doc = parse(text) as TestCase;
      const cls = set === "false-pos" ? "ordinary" : `gtw-${basename(basename(file, ".yml"), ".yaml")}`;
      const payloads = (doc.payload ?? []).filter((p): p is string => typeof p === "string");
      const encoders = (doc.encoder ?? []).filter((e): e is string => typeof e === "string");
      for (const placeholder of doc.placeholder ?? []) {
        // `GraphQL: {method: GET}` and raw requests are maps; the rest are names.
        const [kind, config] =
          typeof placeholder === "string"
            ? [placeholder, undefined]
            : (Object.entries(placeholder as Record<string, unknown>)[0] ?? ["?", undefined]);
        payloads.forEach((payload, k) => {
          for (const enc of encoders) {
            const id = `gtw:${set}/${file}#${k + 1}:${enc}:${kind}`;
            const encode = ENCODERS[enc];
            if (encode === undefined) {
              skipped.push(id);
              continue;
            }
            const value = encode(payload);
            const line: CorpusLine = { id, class: cls, method: "GET", path: "/", placement: `${kind} (${enc})` };
            switch (kind) {
              case "URLPath": {
                let target = `/${value}`;
                const hash = target.indexOf("#");
                if (hash !== -1) target = target.slice(0, hash);
                const q = target.indexOf("?");
                line.path = q === -1 ? target : target.slice(0, q);
                if (q !== -1 && q < target.length - 1) line.query = target.slice(q + 1);
                break;
              }
              case "URLParam": {
                const hash = value.indexOf("#");
                line.query = `${name()}=${hash === -1 ? value : value.slice(0, hash)}`;
                break;
              }
              case "HTMLForm":
                Object.assign(line, {
                  method: "POST",
                  contentType: "application/x-www-form-urlencoded",
                  body: `${name()}=${value}`,
                });
                break;
              case "HTMLMultipartForm": {
                const boundary = `${name()}${name()}`;
                Object.assign(line, {
                  method: "POST",
                  contentType: `multipart/form-data; boundary=${boundary}`,
                  body: `--${boundary}\r\nContent-Disposition: form-data; name="${name()}"\r\n\r\n${value}\r\n--${boundary}--\r\n`,
                });
                break;
              }
              case "JSONRequest":
                Object.assign(line, {
                  method: "POST",
                  contentType: "application/json",
                  body: `{"test": true, "${name()}": "${jsUnicode(value)}"}`,
                });
                break;
              case "Header":
              case "UserAgent":
                if (!sendable(value)) {
                  skipped.push(id);
                  continue;
                }
                line.headers = { [kind === "Header" ? `x-${name()}` : "user-agent"]: value };
                break;
              case "XMLBody":
                Object.assign(line, { method: "POST", contentType: "application/xml", body: value });
                break;
              case "SOAPBody": {
                const tag = `ab${name()}`;
                Object.assign(line, {
                  method: "POST",
                  contentType: "text/xml",
                  headers: { soapaction: '"http://schemas.xmlsoap.org/soap/actor/next"' },
                  body: `${SOAP_HEAD}\t\t\t\t<${tag}>${xmlEntity(value)}</${tag}>${SOAP_TAIL}`,
                });
                break;
              }
              case "GraphQL": {
                const method = (config as { method?: unknown } | undefined)?.method;
                if (typeof method === "string" && method.toUpperCase() === "POST")
                  Object.assign(line, { method: "POST", body: value });
                else line.query = `query=${goQueryEscape(value)}`;
                break;
              }
              default:
                skipped.push(id);
                continue;
            }
            lines.push(line);
          }
        });
      }
    }
  }
  return { lines, skipped };
}
