/**
 * Protocol limits: requests no browser or API client sends, refused before any parsing.
 * Body size is not here: `src/middleware/body-limit.ts` answers 413 for that. A `%` that is not
 * followed by two hex digits (`?q=100%`, `50% off`) is text, as browsers send it, not a violation.
 */

export const PROTOCOL_LIMITS = {
  /** Request target (path + query) in characters. */
  maxUrlLength: 8_192,
  maxHeaders: 100,
  /** Names plus values of all headers, in characters. */
  maxHeaderBytes: 16_384,
  maxQueryArgs: 200,
} as const;

/** Methods the API serves (the same list custom rules accept); TRACE, TRACK, CONNECT, DEBUG, WebDAV … are refused. */
export const ALLOWED_METHODS: ReadonlySet<string> = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "OPTIONS",
]);

export interface ProtocolSubject {
  method: string;
  /** Raw path (still percent-encoded). */
  path: string;
  /** Raw query string without `?`. */
  query: string;
  /** All headers, read once (`[name, value]`, names in lower case). */
  headers: ReadonlyArray<readonly [string, string]>;
}

/** The rule id of the first limit the request breaks, or null. */
export function protocolViolation(r: ProtocolSubject): string | null {
  if (!ALLOWED_METHODS.has(r.method)) return "protocol-method-not-allowed";
  if (r.path.length + r.query.length + 1 > PROTOCOL_LIMITS.maxUrlLength) return "protocol-url-too-long";
  let size = 0;
  for (const [name, value] of r.headers) size += name.length + value.length + 4;
  if (r.headers.length > PROTOCOL_LIMITS.maxHeaders) return "protocol-too-many-headers";
  if (size > PROTOCOL_LIMITS.maxHeaderBytes) return "protocol-headers-too-large";
  if (r.query.length > 0) {
    let args = 1;
    for (let i = r.query.indexOf("&"); i !== -1; i = r.query.indexOf("&", i + 1)) {
      if (++args > PROTOCOL_LIMITS.maxQueryArgs) return "protocol-too-many-args";
    }
  }
  return null;
}
