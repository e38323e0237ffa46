/**
 * Reads a request body for inspection without taking it from the route. A JSON body whose
 * declared length fits the budget is read whole through the request's body cache (Hono's
 * `c.req.text()`) and parsed once: the filter inspects the parsed value, and the route's
 * `c.req.json()` returns that same value, so the stream is read, decoded and parsed once, and the
 * filter sees exactly what the route gets. Any other body is read from `request.clone()` (the
 * runtime tees the stream; the route later reads the other branch, which keeps the bytes read
 * here): at most `maxBytes`, then the clone is cancelled (the original stays readable). Works the
 * same in workerd and in Node.
 */
import type { BodyKind } from "./parts.ts";

/** Content-Length as the digits HTTP allows (no sign, no spaces); at most 15 of them. */
const DECLARED_LENGTH = /^\d{1,15}$/;

/** What `readInspectableBody` needs of Hono's request: the raw request, its cached `text()` and its `json()`. */
export interface CachedBodyRequest {
  raw: Request;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

/**
 * The body to inspect, at most `maxBytes` of it: JSON with a declared length within the budget
 * through the body cache, anything else with `readBodyPrefix`. Null when the body cannot be read
 * (the route sees the same error when it reads).
 */
export async function readInspectableBody(
  req: CachedBodyRequest,
  kind: BodyKind,
  maxBytes: number,
): Promise<BodyPrefix | null> {
  const declared = req.raw.headers.get("content-length");
  if (kind === "json" && declared !== null && DECLARED_LENGTH.test(declared) && Number(declared) <= maxBytes) {
    let text: string;
    try {
      text = await req.text();
    } catch {
      return null;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // Not JSON after all (NDJSON, malformed): the filter reads the text; the route's json() fails as before.
      return { text, truncated: false };
    }
    // The route's `c.req.json()` (and the JSON validator's) gets this value instead of parsing again.
    Object.defineProperty(req, "json", { value: () => Promise.resolve(value), configurable: true, writable: true });
    return { text, truncated: false, json: { value } };
  }
  return readBodyPrefix(req.raw, maxBytes);
}

export interface BodyPrefix {
  text: string;
  /** The body was longer than `maxBytes` (only its start was read). */
  truncated: boolean;
  /** The whole body parsed as JSON (read through the body cache): what the route's `c.req.json()` returns. */
  json?: { value: unknown };
}

export async function readBodyPrefix(request: Request, maxBytes: number): Promise<BodyPrefix | null> {
  if (request.body === null || maxBytes <= 0) return null;
  const reader = request.clone().body!.getReader();
  const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: false });
  let text = "";
  let read = 0;
  let truncated = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const room = maxBytes - read;
      if (value.byteLength > room) {
        text += decoder.decode(value.subarray(0, room), { stream: true });
        truncated = true;
        break;
      }
      read += value.byteLength;
      text += decoder.decode(value, { stream: true });
    }
    text += decoder.decode();
  } catch {
    // A body that errors while streaming (e.g. cut off by the body-size limit) is not inspected
    // here; the route sees the same error when it reads.
    return null;
  } finally {
    // Not awaited: by the Streams spec a tee branch's cancel settles only once the other branch
    // is cancelled or read to the end too (Node follows that; workerd settles at once), and the
    // other branch is the route's to read.
    if (truncated) reader.cancel().catch(() => {});
    else reader.releaseLock();
  }
  return { text, truncated };
}
