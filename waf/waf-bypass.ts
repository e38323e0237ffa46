/**
 * The payloads of nemesida-waf/waf-bypass (MIT; `git clone https://github.com/nemesida-waf/waf-bypass`),
 * read at run time from a checkout: `utils/payload/<CLASS>/<n>.json`, each payload placed in the
 * request parts ("zones") it names, as that tool sends it: the path (`URL`), the query string as
 * given (`ARGS`), the body (`BODY`: JSON for `API` and payloads marked `JSON`, multipart for
 * `MFD`, otherwise no content type), a cookie, `User-Agent`, `Referer` and a custom header. Only
 * the payload as written is sent, not the tool's extra encodings (`ENCODE`: base64, UTF-16, …).
 * `BLOCKED: false` payloads (the `FP` class) are ordinary requests. Nothing of it is committed.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { CorpusLine } from "./corpus.ts";

interface Payload {
  URL?: string;
  ARGS?: string;
  BODY?: string;
  COOKIE?: string;
  "USER-AGENT"?: string;
  REFERER?: string;
  HEADER?: string;
  JSON?: boolean;
  BOUNDARY?: string;
  BLOCKED?: boolean;
}

/** What a client library percent-encodes in a URL (as Python's `requests` does: reserved characters and `%` stay). */
const UNSAFE = /[^A-Za-z0-9\-._~!#$%&'()*+,/:;=?@[\]]/gu;

const ZONES = ["URL", "ARGS", "BODY", "COOKIE", "USER-AGENT", "REFERER", "HEADER"] as const;

export interface WafBypassLoad {
  lines: CorpusLine[];
  /** Zone values the Fetch API cannot send (header values with line breaks or characters above U+00FF). */
  skipped: string[];
}

/** A header value the Fetch API accepts (what a client library could send). */
export function sendable(value: string): boolean {
  try {
    new Headers({ "x-probe": value });
    return true;
  } catch {
    return false;
  }
}

export function loadWafBypass(root: string): WafBypassLoad {
  const dir = join(root, "utils", "payload");
  const lines: CorpusLine[] = [];
  const skipped: string[] = [];
  // `%RND%` marks a random parameter name; a counter keeps every run the same.
  let n = 0;
  const fill = (s: string) => s.replaceAll("%RND%", () => String(100_000 + n++));
  for (const cls of readdirSync(dir).sort()) {
    const files = readdirSync(join(dir, cls))
      .filter((f) => f.endsWith(".json"))
      .sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
    for (const file of files) {
      const doc = JSON.parse(readFileSync(join(dir, cls, file), "utf8")) as { payload?: Payload[] };
      (doc.payload ?? []).forEach((p, k) => {
        for (const zone of ZONES) {
          const raw = p[zone];
          if (typeof raw !== "string" || raw === "") continue;
          const value = fill(raw);
          const id = `wb:${cls}/${file}#${k + 1}:${zone}`;
          const line: CorpusLine = {
            id,
            class: p.BLOCKED === false ? "ordinary" : `wb-${cls.toLowerCase()}`,
            method: "GET",
            path: "/",
            placement: zone,
          };
          if (zone === "URL") {
            // As a client library sends it: characters a URL cannot hold percent-encoded (existing
            // escapes kept), the fragment dropped, `?` starting the query.
            let target: string;
            try {
              target = (value.startsWith("/") ? value : `/${value}`).replace(UNSAFE, (c) => encodeURIComponent(c));
            } catch {
              skipped.push(id);
              continue;
            }
            const hash = target.indexOf("#");
            if (hash !== -1) target = target.slice(0, hash);
            const q = target.indexOf("?");
            line.path = q === -1 ? target : target.slice(0, q);
            if (q !== -1 && q < target.length - 1) line.query = target.slice(q + 1);
          } else if (zone === "ARGS") line.query = value;
          else if (zone === "BODY") {
            line.method = "POST";
            line.body = value;
            if (p.JSON === true || cls === "API") line.contentType = "application/json";
            else if (cls === "MFD") {
              const boundary = p.BOUNDARY ?? `wb${100_000 + n++}`;
              line.contentType = `multipart/form-data; boundary=${boundary}`;
              if (p.BOUNDARY === undefined)
                line.body = `--${boundary}\r\nContent-Disposition: form-data; name="f${n}"\r\n\r\n${value}\r\n--${boundary}--\r\n`;
            }
          } else {
            if (!sendable(value)) {
              skipped.push(id);
              continue;
            }
            const header =
              zone === "COOKIE" ? "cookie" : zone === "HEADER" ? `wbh-${100_000 + n++}` : zone.toLowerCase();
            line.headers = { [header]: zone === "COOKIE" ? `WBC-${100_000 + n++}=${value}` : value };
          }
          lines.push(line);
        }
      });
    }
  }
  return { lines, skipped };
}
