/**
 * Reads the start of a request body for inspection without consuming the request: the body is
 * read from `request.clone()` (the runtime tees the stream; the route later reads the other
 * branch, which keeps the bytes read here). At most `maxBytes` are read, then the clone is
 * cancelled (the original stays readable). Works the same in workerd and in Node.
 */

export interface BodyPrefix {
  text: string;
  /** The body was longer than `maxBytes` (only its start was read). */
  truncated: boolean;
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
