/**
 * Server-sent events: a small parser for the origin's stream (WHATWG event-stream rules:
 * `field: value` lines, events end at a blank line, `:` comments, CRLF/LF/CR line ends), and
 * the encoder, body and headers for the streams this API sends.
 */

export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * Parses an event stream; the iterator throws if the underlying stream errors (e.g. a reset)
 * and ends when `signal` aborts (even while a read is pending).
 */
export async function* parseSse(body: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<SseEvent> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const stop = () => void reader.cancel().catch(() => undefined);
  if (signal?.aborted) stop();
  signal?.addEventListener("abort", stop, { once: true });
  let buffer = "";
  let event = "";
  let data: string[] = [];
  let id: string | undefined;
  let finished = false;
  const dispatch = (): SseEvent | undefined => {
    if (data.length === 0) {
      event = "";
      return undefined;
    }
    const out: SseEvent = { event: event || "message", data: data.join("\n") };
    if (id !== undefined) out.id = id;
    event = "";
    data = [];
    return out;
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        finished = true;
        break;
      }
      buffer += value;
      let nl: number;
      while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
        // A lone CR at the very end may be the first half of CRLF: wait for more.
        if (buffer[nl] === "\r" && nl === buffer.length - 1) break;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer.startsWith("\r\n", nl) ? 2 : 1));
        if (line === "") {
          const e = dispatch();
          if (e) yield e;
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let v = colon < 0 ? "" : line.slice(colon + 1);
        if (v.startsWith(" ")) v = v.slice(1);
        if (field === "data") data.push(v);
        else if (field === "event") event = v;
        else if (field === "id") id = v;
      }
    }
  } finally {
    // Left early (the consumer stopped, or the stream failed): stop the upstream too.
    signal?.removeEventListener("abort", stop);
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
  // A stream that ends without the final blank line does not dispatch its last event (per spec).
}

/** One event in wire format; `data` is JSON-encoded unless it is a string. */
export function sseEvent(event: string, data: unknown): string {
  const text = typeof data === "string" ? data : JSON.stringify(data);
  return `event: ${event}\n${text
    .split(/\r\n|\r|\n/)
    .map((l) => `data: ${l}`)
    .join("\n")}\n\n`;
}

/** Response headers of an event stream: not cached, not transformed, not buffered by proxies. */
export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
};

/** A response body pulling events from `generator`; a client that goes away returns the generator. */
export function sseBody(generator: AsyncGenerator<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await generator.next();
        if (done) controller.close();
        else controller.enqueue(encoder.encode(value));
      } catch (err) {
        controller.error(err);
      }
    },
    async cancel() {
      await generator.return(undefined);
    },
  });
}
