/**
 * Takes a request apart into the values the detectors inspect: the path, query names and
 * values, cookies, `User-Agent`, `Referer` (its path and query), other headers (lightly), and
 * the body by content type: form-urlencoded, JSON (every string and key, with its key path),
 * multipart (text fields, file names, text files; `Content-Transfer-Encoding: base64` parts
 * decoded), XML (text and attribute values; the raw document for XXE), text. Parsing is
 * tolerant and bounded (depth, count); a body that does not parse as declared is inspected as text.
 */
import { MAX_FIELDS, visitMultipart, visitXml } from "./markup-parts.ts";
import { maybeBase64Text, percentDecode } from "./normalize.ts";
import type { Field, PartKind, Visit } from "./types.ts";

export type { Visit } from "./types.ts";

const MAX_JSON_DEPTH = 64;
const MAX_LABEL = 64;

export interface Target {
  /** Raw (still percent-encoded) path. */
  path: string;
  /** Raw query string without `?`. */
  query: string;
}

/** Splits an absolute or origin-form URL into raw path and query (no normalisation of `..`). */
export function splitTarget(url: string): Target {
  let start = 0;
  const scheme = url.indexOf("://");
  if (scheme !== -1 && scheme < 10) {
    const slash = url.slice(scheme + 3).search(/[/?#]/);
    start = slash === -1 ? url.length : scheme + 3 + slash;
  }
  let end = url.indexOf("#", start);
  if (end === -1) end = url.length;
  const q = url.indexOf("?", start);
  if (q === -1 || q > end) return { path: url.slice(start, end) || "/", query: "" };
  return { path: url.slice(start, q) || "/", query: url.slice(q + 1, end) };
}

/** The `part` of a match: `query:q`, `body:items.0.title`, `header:user-agent` (built only for findings). */
export const partLabel = (f: Field): string =>
  f.key === null ? f.where : `${f.where}:${f.key.length > MAX_LABEL ? f.key.slice(0, MAX_LABEL) : f.key}`;

/**
 * Characters no parameter or cookie name has, but a payload cut apart at its own `&`, `=` or `;`
 * leaves in one (`?<svg/onload=alert&lpar;1&rpar;>` splits into `<svg/onload`, `lpar;1`, `rpar;>`).
 */
const NOT_A_NAME = /[<>()'"`{};\\/\s]/;
/** The longest query string, form or Cookie header that is also inspected whole. */
const WHOLE_MAX = 8_192;

/**
 * Visits `a=b&c=d` pairs (names and values, percent-decoded with `+` as space). When a name is
 * not one (see `NOT_A_NAME`), the whole string is inspected too, as the application may read it.
 */
function visitPairs(s: string, kind: PartKind, prefix: string, visit: Visit, budget: { n: number }): boolean {
  if (s.length === 0) return false;
  const nameWhere = `${prefix}-name`;
  let from = 0;
  let cut = false;
  while (from <= s.length && budget.n-- > 0) {
    let amp = s.indexOf("&", from);
    if (amp === -1) amp = s.length;
    const pair = s.slice(from, amp);
    from = amp + 1;
    if (pair.length === 0) continue;
    const eq = pair.indexOf("=");
    const name = percentDecode(eq === -1 ? pair : pair.slice(0, eq), true);
    const value = eq === -1 ? "" : percentDecode(pair.slice(eq + 1), true);
    const lname = name.toLowerCase();
    if (visit({ kind: "name", name: lname, where: nameWhere, key: name, value: name })) return true;
    if (value !== "" && visit({ kind, name: lname, where: prefix, key: name, value })) return true;
    cut ||= NOT_A_NAME.test(name);
  }
  // Bounded: a payload cut by the syntax is short; a long form is not inspected a second time.
  return (
    cut && s.length <= WHOLE_MAX && visit({ kind, name: null, where: prefix, key: null, value: percentDecode(s, true) })
  );
}

function visitCookies(header: string, visit: Visit): boolean {
  let cut = false;
  for (const part of header.split(";", 100)) {
    const eq = part.indexOf("=");
    const name = (eq === -1 ? part : part.slice(0, eq)).trim();
    const value = eq === -1 ? "" : part.slice(eq + 1).trim();
    if (name !== "" && visit({ kind: "name", name: name.toLowerCase(), where: "cookie-name", key: name, value: name }))
      return true;
    if (value !== "" && visit({ kind: "cookie", name: name.toLowerCase(), where: "cookie", key: name, value }))
      return true;
    // A part without `=` after the first: a value cut at its own `;` (`a=<svg onload=alert&lpar;1&rpar;>`).
    cut ||= (eq === -1 && name !== "" && part !== header) || NOT_A_NAME.test(name);
  }
  return (
    cut &&
    header.length <= WHOLE_MAX &&
    visit({ kind: "cookie", name: null, where: "cookie", key: null, value: header })
  );
}

/** Characters that make a path segment worth reading as a value of its own (not a word, number, file name or id). */
const SEGMENT_SYNTAX = /[^\w.~@+-]/;
const MAX_SEGMENTS = 32;

/**
 * Path segments as route parameters: a framework hands `/users/:id`'s segment to the application
 * as a value, like a query parameter (`/confirm.call(null,1)`, `/true, $where: '1 == 1'`). The
 * whole path is inspected as a path; a segment with syntax in it is also inspected as a value.
 */
function visitSegments(path: string, visit: Visit, budget: { n: number }): boolean {
  let from = path.charCodeAt(0) === 47 ? 1 : 0;
  // Base64 of text as the path (its `/` digits cut it into segments): read whole.
  if (
    path.indexOf("/", from) !== -1 &&
    maybeBase64Text(path.slice(from)) &&
    visit({ kind: "query", name: null, where: "path-segment", key: null, value: path.slice(from) })
  )
    return true;
  for (let k = 0; from < path.length && k < MAX_SEGMENTS && budget.n-- > 0; k++) {
    let end = path.indexOf("/", from);
    if (end === -1) end = path.length;
    const segment = path.slice(from, end);
    from = end + 1;
    if (
      (SEGMENT_SYNTAX.test(segment) || maybeBase64Text(segment)) &&
      visit({ kind: "query", name: null, where: "path-segment", key: String(k), value: segment })
    )
      return true;
  }
  return false;
}

/** Headers opaque by nature (lengths, entity tags, ids the platform sets): not inspected. */
const OPAQUE = new Set([
  "content-length",
  "if-match",
  "if-none-match",
  "cf-ray",
  "cf-connecting-ip",
  "cf-ipcountry",
  "cf-visitor",
  "cdn-loop",
  "x-real-ip",
]);

/**
 * Standard headers with a grammar of tokens, lists and parameters, or credentials (checked by
 * the auth middleware). While their value keeps to the characters of that grammar (and has no
 * `..`), only what any header can trigger (lookups, Shellshock, OGNL) is looked for; a value
 * outside it (`Accept: ../../etc/passwd`, `Accept-Language: '; drop …`) gets every detector.
 */
// oxfmt-ignore
const STRUCTURED = new Set([
  "accept", "accept-encoding", "accept-language", "accept-charset", "cache-control", "pragma", "connection", "upgrade",
  "content-type", "content-encoding", "content-language", "te", "priority", "dnt", "upgrade-insecure-requests",
  "sec-ch-ua", "sec-ch-ua-mobile", "sec-ch-ua-platform", "sec-ch-ua-platform-version", "sec-ch-ua-full-version-list", "sec-ch-ua-arch", "sec-ch-ua-model", "sec-ch-ua-bitness", "sec-ch-ua-wow64",
  "sec-fetch-dest", "sec-fetch-mode", "sec-fetch-site", "sec-fetch-user", "sec-gpc", "sec-purpose", "purpose",
  "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-protocol",
  "if-modified-since", "if-unmodified-since", "if-range", "range", "date", "expect", "keep-alive",
  "origin", "host", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port", "forwarded", "via",
  "traceparent", "tracestate", "baggage", "x-request-id", "x-correlation-id", "x-requested-with", "save-data", "viewport-width", "device-memory", "rtt", "downlink", "ect",
  "authorization", "proxy-authorization", "x-api-key",
]);
/** The characters of those grammars (tokens, quoted strings, lists, q-values, dates, base64, URLs of Origin). */
const STRUCTURED_VALUE = /^[\w .,;:=*/+"()!?#&%~@-]{0,4096}$/;

const WEB_ADDRESS = /^https?:\/\//i;
/** The authority of a web address as browsers send it: a host name or an IP literal, a port, perhaps a user. */
const PLAIN_AUTHORITY = /^(?:[\w.~%-]{1,64}@)?(?:[\w.-]{1,253}|\[[0-9a-f:.]{2,45}\])(?::\d{1,5})?$/i;
/** The authority of a web address (`user@host:port`, up to the first `/` or `?`). */
function authorityOf(value: string): string {
  const from = value.indexOf("//") + 2;
  const end = value.slice(from).search(/[/?]/);
  return end === -1 ? value.slice(from) : value.slice(from, from + end);
}

/** Request line and headers (`[name, value]` pairs, names in lower case, as `Headers` iterates them). */
export function visitHeadersAndTarget(
  target: Target,
  decodedPath: string,
  headers: ReadonlyArray<readonly [string, string]>,
  visit: Visit,
): boolean {
  if (visit({ kind: "path", name: null, where: "path", key: null, value: decodedPath })) return true;
  const budget = { n: MAX_FIELDS };
  if (visitSegments(decodedPath, visit, budget)) return true;
  if (visitPairs(target.query, "query", "query", visit, budget)) return true;
  for (const [name, value] of headers) {
    if (value.length === 0) continue;
    if (name === "cookie") {
      if (visitCookies(value, visit)) return true;
    } else if (name === "user-agent") {
      if (visit({ kind: "user-agent", name, where: "header", key: "user-agent", value })) return true;
    } else if (name === "referer") {
      const t = splitTarget(value);
      if (visit({ kind: "referer", name, where: "header", key: "referer", value: percentDecode(t.path) })) return true;
      if (visitPairs(t.query, "referer", "referer-query", visit, budget)) return true;
      // Browsers send a web address without its fragment: anything else is read whole (a path or
      // query would be only part of `&#34;&gt;&lt;svg…` or `php://filter/…`). Of a web address,
      // an authority that is no host is read too (`https://${jndi:ldap://…}`: the lookup is where
      // the host should be); its path and query were read above.
      const web = WEB_ADDRESS.test(value) && !value.includes("#");
      if (!web && visit({ kind: "referer", name, where: "header", key: "referer", value })) return true;
      if (web) {
        const authority = authorityOf(value);
        if (
          !PLAIN_AUTHORITY.test(authority) &&
          visit({ kind: "referer", name, where: "header", key: "referer", value: percentDecode(authority) })
        )
          return true;
      }
    } else if (!OPAQUE.has(name)) {
      const kind =
        STRUCTURED.has(name) && STRUCTURED_VALUE.test(value) && !value.includes("..") ? "header-light" : "header";
      if (visit({ kind, name, where: "header", key: name, value })) return true;
    }
  }
  return false;
}

function visitJson(
  value: unknown,
  path: string,
  key: string | null,
  depth: number,
  visit: Visit,
  budget: { n: number },
): boolean {
  if (budget.n-- <= 0 || depth > MAX_JSON_DEPTH) return false;
  if (typeof value === "string") {
    return value !== "" && visit({ kind: "body", name: key, where: "body", key: path || "$", value });
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++)
      if (visitJson(value[i], path ? `${path}.${i}` : String(i), key, depth + 1, visit, budget)) return true;
    return false;
  }
  if (value !== null && typeof value === "object") {
    // `for…in` over a parsed object sees its own keys only (JSON objects inherit nothing
    // enumerable) and allocates no [key, value] pairs.
    const o = value as Record<string, unknown>;
    for (const k in o) {
      const lk = k.toLowerCase();
      const child = path ? `${path}.${k}` : k;
      if (visit({ kind: "name", name: lk, where: "body-key", key: child, value: k })) return true;
      if (visitJson(o[k], child, lk, depth + 1, visit, budget)) return true;
    }
  }
  return false;
}

/** What may stand between JSON string literals: punctuation, numbers, `true`, `false`, `null`. */
const JSON_SKELETON = /^[\s{}[\]:,0-9.eE+\-truefalsn]*$/;
const MAX_LITERAL = 1_048_576;

/**
 * JSON that does not parse (cut at `inspectBodyBytes`, or malformed): every complete string
 * literal is visited, keys as names and values under their key, in one linear scan; whatever
 * stands between the literals is inspected as text when it is more than JSON punctuation.
 */
function visitJsonLiterals(body: string, visit: Visit, budget: { n: number }): boolean {
  let outside = "";
  let key: string | null = null;
  let i = 0;
  while (i < body.length && budget.n-- > 0) {
    const open = body.indexOf('"', i);
    if (open === -1) {
      outside += body.slice(i);
      break;
    }
    outside += body.slice(i, open);
    let j = open + 1;
    while (j < body.length && body[j] !== '"' && j - open < MAX_LITERAL) j += body[j] === "\\" ? 2 : 1;
    if (j >= body.length || body[j] !== '"') {
      // The cut-off last literal: inspected as it is.
      const rest = body.slice(open + 1);
      if (rest !== "" && visit({ kind: "body", name: key, where: "body", key: key ?? null, value: rest })) return true;
      break;
    }
    const literal = body.slice(open, j + 1);
    let value: string;
    try {
      value = JSON.parse(literal) as string;
    } catch {
      value = literal.slice(1, -1);
    }
    i = j + 1;
    let k = i;
    while (k < body.length && (body[k] === " " || body[k] === "\n" || body[k] === "\r" || body[k] === "\t")) k++;
    if (body[k] === ":") {
      key = value.toLowerCase();
      if (visit({ kind: "name", name: key, where: "body-key", key: value, value })) return true;
    } else if (value !== "" && visit({ kind: "body", name: key, where: "body", key, value })) return true;
  }
  const rest = outside.trim();
  return (
    rest !== "" &&
    !JSON_SKELETON.test(rest) &&
    visit({ kind: "body", name: null, where: "body", key: null, value: rest })
  );
}

export type BodyKind = "json" | "form" | "multipart" | "xml" | "text";

/** How a body of this content type is read, or null when it is not inspected (binary, media). */
export function bodyKind(contentType: string | null): BodyKind | null {
  if (contentType === null || contentType.trim() === "") return "text";
  const t = contentType.toLowerCase();
  if (
    t.startsWith("application/json") ||
    /^application\/[\w.-]+\+json/.test(t) ||
    t.startsWith("application/x-ndjson") ||
    t.startsWith("application/csp-report")
  )
    return "json";
  if (t.startsWith("application/x-www-form-urlencoded")) return "form";
  if (t.startsWith("multipart/form-data") || t.startsWith("multipart/mixed") || t.startsWith("multipart/related"))
    return "multipart";
  if (
    t.startsWith("application/xml") ||
    t.startsWith("text/xml") ||
    /^application\/[\w.-]+\+xml/.test(t) ||
    t.startsWith("image/svg+xml")
  )
    return "xml";
  // Serialized Java objects are read as text: the Java detector knows their magic bytes.
  if (t.startsWith("application/x-java-serialized-object")) return "text";
  if (
    t.startsWith("text/") ||
    t.startsWith("application/graphql") ||
    t.startsWith("application/javascript") ||
    t.startsWith("application/x-php") ||
    t.startsWith("application/sql")
  )
    return "text";
  return null;
}

/** The body, parsed by its content type (JSON the caller already parsed is given as `json`). */
export function visitBody(body: string, contentType: string | null, visit: Visit, json?: { value: unknown }): boolean {
  const kind = bodyKind(contentType);
  if (kind === null || body.length === 0) return false;
  const budget = { n: MAX_FIELDS };
  switch (kind) {
    case "json": {
      if (json !== undefined) return visitJson(json.value, "", null, 0, visit, budget);
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        // Truncated or not JSON after all: NDJSON lines, or inspect as text.
        const lines = body.split("\n", 1_000);
        if (lines.length > 1) {
          for (const line of lines) {
            try {
              if (visitJson(JSON.parse(line), "", null, 0, visit, budget)) return true;
            } catch {
              if (line.trim() !== "" && visit({ kind: "body", name: null, where: "body", key: null, value: line }))
                return true;
            }
          }
          return false;
        }
        const t = body.trimStart();
        if (t.startsWith("{") || t.startsWith("[")) return visitJsonLiterals(body, visit, budget);
        return visit({ kind: "body", name: null, where: "body", key: null, value: body });
      }
      return visitJson(parsed, "", null, 0, visit, budget);
    }
    case "form":
      return visitPairs(body, "body", "body", visit, budget);
    case "multipart":
      return visitMultipart(body, contentType!, visit, budget);
    case "xml":
      return visitXml(body, visit);
    default: {
      const t = body.trimStart();
      // Clients that send JSON as text/plain (beacons) or with no type at all.
      if (t.startsWith("{") || t.startsWith("[")) {
        try {
          return visitJson(JSON.parse(body), "", null, 0, visit, budget);
        } catch {
          /* inspect as text */
        }
      }
      // A form sent without its type: `name=value&…` (names as forms write them: `user[$ne]`, `a.b`).
      if (contentType === null && /^[\w.%+\-[\]$]{1,100}=[^&\s]{0,2000}(?:&|$)/.test(t))
        return visitPairs(body, "body", "body", visit, budget);
      return visit({ kind: "body", name: null, where: "body", key: null, value: body });
    }
  }
}
