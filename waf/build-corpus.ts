/**
 * Writes the evaluation corpus `waf/corpus/*.jsonl` from the hand-written sources:
 * every attack payload (hand-written, plus the held-out rounds' attacks) in two request parts
 * (rotating over the class's placements, with placement-level encodings), the class's whole
 * requests (then the extra hand-written attacks of `sources/attacks-more.ts` and the requests of
 * `sources/round-three.ts`, appended so the older ids stay stable), 1,500 ordinary requests from the templates (seed 20240312) and every
 * held-out benign string as a search query and in a JSON body (`ordinary.jsonl`), and the code
 * snippets posted in bodies (`ordinary-code.jsonl`, class `ordinary-code`; `placement` starts
 * with `code-jc:` for the judgment calls). Deterministic: same files every run. The 10,000
 * everyday requests of `sources/benign.ts` (13 MB as JSON lines) are not written: `readCorpus`
 * generates them in memory (`generatedBenign`), the same every run.
 *
 *   node waf/build-corpus.ts
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CORPUS_DIR, generatedBenign, type CorpusLine, type CorpusRequest } from "./corpus.ts";
import { attacks, type ClassSource, type Placement } from "./sources/attacks.ts";
import { moreAttacks } from "./sources/attacks-more.ts";
import { codeRequests } from "./sources/benign.ts";
import { heldOutAttacks, heldOutBenign } from "./sources/held-out.ts";
import { ordinaryRequests } from "./sources/ordinary.ts";
import { roundThreeAttacks, roundThreeOrdinary } from "./sources/round-three.ts";

const ORDINARY_COUNT = 1_500;
const SEED = 20_240_312;
const CODE_SEED = 20_250_102;

const BROWSERS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
  "curl/8.5.0",
  "python-requests/2.31.0",
];
const GET_PATHS = ["/v1/search", "/index.php", "/api/v2/items", "/products", "/v1/content/home", "/page"];
const POST_PATHS = ["/v1/profile", "/api/v2/items", "/contact", "/v1/comments", "/login", "/v1/ai/ask"];
const HEADER_NAMES = ["x-api-version", "x-forwarded-for", "authorization", "accept-language", "x-client-id", "origin"];

const enc = encodeURIComponent;
/** What a client that does not encode much sends: only what would break the URL is escaped. */
const rawQuery = (s: string) => s.replace(/[\s#&+]/g, (c) => enc(c)).replace(/[^\x21-\x7e]/g, (c) => enc(c));
const headerSafe = (s: string) => /^[\x20-\x7e]*$/.test(s);
const xmlEscape = (s: string) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

function place(cls: string, placement: Placement, payload: string, param: string, i: number): CorpusRequest | null {
  const ua = BROWSERS[i % BROWSERS.length]!;
  const headers: Record<string, string> = { "user-agent": ua, accept: "*/*" };
  const getPath = GET_PATHS[i % GET_PATHS.length]!;
  const postPath = POST_PATHS[i % POST_PATHS.length]!;
  switch (placement) {
    case "query":
      return { method: "GET", path: getPath, query: `${param}=${enc(payload)}&lang=en`, headers };
    case "query-raw":
      return { method: "GET", path: getPath, query: `page=1&${param}=${rawQuery(payload)}`, headers };
    case "query-double":
      return { method: "GET", path: getPath, query: `${param}=${enc(enc(payload))}`, headers };
    case "json":
      return {
        method: "POST",
        path: postPath,
        contentType: "application/json",
        body: JSON.stringify({ [param]: payload, locale: "en-GB", count: i }),
        headers,
      };
    case "json-raw":
      return { method: "POST", path: postPath, contentType: "application/json", body: payload, headers };
    case "form":
      return {
        method: "POST",
        path: postPath,
        contentType: "application/x-www-form-urlencoded",
        body: `${param}=${enc(payload)}&submit=Send`,
        headers,
      };
    case "cookie":
      return {
        method: "GET",
        path: getPath,
        headers: { ...headers, cookie: `session=8f3a2c1d9e; ${param}=${enc(payload)}; theme=dark` },
      };
    case "user-agent":
      return headerSafe(payload)
        ? { method: "GET", path: getPath, headers: { ...headers, "user-agent": payload } }
        : null;
    case "header": {
      if (!headerSafe(payload)) return null;
      return {
        method: "GET",
        path: getPath,
        headers: { ...headers, [HEADER_NAMES[i % HEADER_NAMES.length]!]: payload },
      };
    }
    case "referer":
      return {
        method: "GET",
        path: getPath,
        headers: { ...headers, referer: `https://www.example.com/search?${param}=${enc(payload)}` },
      };
    case "path":
      return { method: "GET", path: `/v1/content/${enc(payload)}`, headers };
    case "multipart": {
      const b = "----formboundary7MA4YWxkTrZu0gW";
      const isXml = cls === "xxe";
      const part = isXml
        ? `Content-Disposition: form-data; name="${param}"; filename="upload.svg"\r\nContent-Type: image/svg+xml\r\n\r\n${payload}`
        : `Content-Disposition: form-data; name="${param}"\r\n\r\n${payload}`;
      return {
        method: "POST",
        path: "/v1/uploads",
        contentType: `multipart/form-data; boundary=${b}`,
        body: `--${b}\r\nContent-Disposition: form-data; name="title"\r\n\r\nMy upload\r\n--${b}\r\n${part}\r\n--${b}--\r\n`,
        headers,
      };
    }
    case "xml":
      return cls === "xxe"
        ? { method: "POST", path: "/v1/import", contentType: "application/xml", body: payload, headers }
        : {
            method: "POST",
            path: "/v1/import",
            contentType: "application/xml",
            body: `<?xml version="1.0"?><request><${param}>${xmlEscape(payload)}</${param}><id>${i}</id></request>`,
            headers,
          };
    case "body-text":
      return { method: "POST", path: postPath, contentType: "text/plain", body: payload, headers };
  }
}

/** One payload in two request parts (rotating over the class's placements). */
function placeAll(
  cls: string,
  src: ClassSource,
  payloads: string[],
  offset: number,
  push: (placement: string, req: CorpusRequest) => void,
): void {
  const n = src.placements.length;
  payloads.forEach((payload, j) => {
    const i = offset + j;
    const param = src.params[i % src.params.length]!;
    const first = i % n;
    const second = n > 1 ? ((i + 3) % n === first ? (i + 1) % n : (i + 3) % n) : first;
    for (const start of n > 1 ? [first, second] : [first]) {
      // A placement that cannot carry this payload (non-ASCII in a header) falls through to the next.
      for (let k = 0; k < n; k++) {
        const placement = src.placements[(start + k) % n]!;
        const req = place(cls, placement, payload, param, i);
        if (req === null) continue;
        push(placement, req);
        break;
      }
    }
  });
}

function attackLines(): Map<string, CorpusLine[]> {
  const out = new Map<string, CorpusLine[]>();
  const classes = [...new Set([...Object.keys(attacks), ...Object.keys(moreAttacks)])];
  for (const cls of classes) {
    const lines: CorpusLine[] = [];
    const push = (placement: string, req: CorpusRequest) =>
      lines.push({ id: `${cls}-${String(lines.length + 1).padStart(3, "0")}`, class: cls, placement, ...req });
    const src = attacks[cls];
    const base = [...(src?.payloads ?? []), ...(heldOutAttacks[cls] ?? [])];
    if (src) {
      placeAll(cls, src, base, 0, push);
      for (const req of src.requests ?? []) push("request", req);
    }
    const more = moreAttacks[cls];
    if (more) {
      // Extra payloads use the class's own params/placements when it has them, else their own.
      const target: ClassSource = {
        params: more.params.length > 0 ? more.params : src!.params,
        placements: more.placements.length > 0 ? more.placements : src!.placements,
        payloads: [],
      };
      placeAll(cls, target, more.payloads, base.length, push);
      for (const req of more.requests ?? []) push("request", req);
    }
    for (const req of roundThreeAttacks[cls] ?? []) push("request", req);
    out.set(cls, lines);
  }
  return out;
}

mkdirSync(CORPUS_DIR, { recursive: true });
const toJsonl = (lines: CorpusLine[]) => lines.map((l) => JSON.stringify(l)).join("\n") + "\n";
for (const [cls, lines] of attackLines()) {
  writeFileSync(join(CORPUS_DIR, `${cls}.jsonl`), toJsonl(lines));
  console.log(`${cls.padEnd(10)} ${lines.length}`);
}
const browser = { "user-agent": BROWSERS[0]!, accept: "*/*" };
const tricky = heldOutBenign.flatMap((text, i): CorpusRequest[] => [
  { method: "GET", path: "/v1/search", query: `q=${enc(text)}&page=${(i % 5) + 1}`, headers: browser },
  {
    method: "POST",
    path: "/v1/notes",
    contentType: "application/json",
    body: JSON.stringify({ text, pinned: i % 2 === 0 }),
    headers: browser,
  },
]);
const ordinary = [...ordinaryRequests(ORDINARY_COUNT, SEED), ...tricky, ...roundThreeOrdinary].map(
  (r, i): CorpusLine => ({
    id: `ordinary-${String(i + 1).padStart(4, "0")}`,
    class: "ordinary",
    ...r,
  }),
);
writeFileSync(join(CORPUS_DIR, "ordinary.jsonl"), toJsonl(ordinary));
console.log(`ordinary   ${ordinary.length}`);
console.log(`benign     ${generatedBenign().length} (class ordinary, generated in memory by readCorpus, not written)`);
const code = codeRequests(CODE_SEED).map((r, i): CorpusLine => ({
  id: `ordinary-code-${String(i + 1).padStart(4, "0")}`,
  class: "ordinary-code",
  ...r,
}));
writeFileSync(join(CORPUS_DIR, "ordinary-code.jsonl"), toJsonl(code));
console.log(
  `ordinary-code ${code.length} (${code.filter((l) => l.placement?.startsWith("code-jc:")).length} judgment calls)`,
);
