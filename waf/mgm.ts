/**
 * The WAF Payload Collection of mgm security partners as open-appsec publishes it for its WAF
 * Comparison Project (`git clone https://github.com/openappsec/mgm-web-attack-payloads`; the
 * collection says it claims no copyright and that most of its sources are MIT), read at run time
 * from a checkout: `nuclei/payloads/<category>/{true,false}-positives.txt`, one payload per line.
 * It is the malicious data set behind the comparison's published detection rates (open-appsec
 * 99.6%, ModSecurity with CRS 92.3%, Cloudflare's managed rules 63.5%). Each payload is sent as
 * that collection's Nuclei templates send it (`nuclei/templates/<category>/*.yaml`):
 *
 * - `cmdexe`, `sqli`, `traversal`, `xss`: `GET /?tp_param=<p>` and a form `POST /` with
 *   `tp_param=<p>`, where `<p>` is Go's `url.QueryEscape` of the payload with `%25` turned back
 *   into `%` (escapes already in a payload stay as written);
 * - `log4shell`: the payload as `User-Agent` of a `GET /?tp_param=foobar` and of a form-less `POST /`;
 * - `shellshock`: as `User-Agent` of a GET and of a `text/plain` POST, and as a form value;
 * - `xxe`: the payload as an `application/xml` body of a POST (the template's GET with a body
 *   cannot be sent with the Fetch API: skipped, counted).
 *
 * `false-positives.txt` lines are ordinary requests, sent the same way. Nothing of it is committed.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { CorpusLine } from "./corpus.ts";
import { sendable } from "./waf-bypass.ts";

export interface MgmLoad {
  lines: CorpusLine[];
  /** Requests not built: GETs with a body, header values the Fetch API refuses. */
  skipped: string[];
}

const utf8 = new TextEncoder();
const UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:105.0) Gecko/20100101 Firefox/105.0";

/** Go's `url.QueryEscape`: letters, digits and `-_.~` as they are, a space as `+`, every other byte as `%XX`. */
export function goQueryEscape(s: string): string {
  let out = "";
  for (const b of utf8.encode(s)) {
    const c = String.fromCharCode(b);
    if (/^[A-Za-z0-9\-_.~]$/.test(c)) out += c;
    else if (b === 0x20) out += "+";
    else out += `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** The templates' `replace(urlencode(p), "%25", "%")`. */
const param = (payload: string) => goQueryEscape(payload).replaceAll("%25", "%");

const FORM = "application/x-www-form-urlencoded";

export function loadMgm(root: string): MgmLoad {
  const dir = join(root, "nuclei", "payloads");
  const lines: CorpusLine[] = [];
  const skipped: string[] = [];
  for (const category of readdirSync(dir).sort()) {
    for (const [file, attack] of [
      ["true-positives.txt", true],
      ["false-positives.txt", false],
    ] as const) {
      let text: string;
      try {
        text = readFileSync(join(dir, category, file), "utf8");
      } catch {
        continue;
      }
      const cls = attack ? `mgm-${category}` : "ordinary";
      text.split("\n").forEach((raw, i) => {
        const payload = raw.replace(/\r$/, "");
        if (payload.trim() === "") return;
        const id = `mgm:${category}/${file}:${i + 1}`;
        const add = (suffix: string, line: Omit<CorpusLine, "id" | "class">) =>
          lines.push({ id: `${id}:${suffix}`, class: cls, ...line });
        const inUserAgent = (suffix: string, line: Omit<CorpusLine, "id" | "class" | "headers">) => {
          if (sendable(payload)) add(suffix, { ...line, headers: { "user-agent": payload } });
          else skipped.push(`${id}:${suffix}`);
        };
        // The templates' form POST of `tp_param`, with their browser User-Agent.
        const asForm = () =>
          add("form", {
            method: "POST",
            path: "/",
            contentType: FORM,
            body: `tp_param=${param(payload)}`,
            headers: { "user-agent": UA },
          });
        switch (category) {
          case "log4shell":
            inUserAgent("get-ua", { method: "GET", path: "/", query: "tp_param=foobar" });
            inUserAgent("post-ua", { method: "POST", path: "/", body: "tp_param=foobar" });
            break;
          case "shellshock":
            inUserAgent("get-ua", { method: "GET", path: "/", query: "tp_param=foobar" });
            inUserAgent("post-ua", { method: "POST", path: "/", contentType: "text/plain", body: "tp_param=foobar" });
            asForm();
            break;
          case "xxe":
            skipped.push(`${id}:get-body`);
            add("post-xml", {
              method: "POST",
              path: "/",
              contentType: "application/xml",
              body: payload,
              headers: { "user-agent": UA },
            });
            break;
          default:
            add("query", {
              method: "GET",
              path: "/",
              query: `tp_param=${param(payload)}`,
              headers: { "user-agent": UA },
            });
            asForm();
        }
      });
    }
  }
  return { lines, skipped };
}
