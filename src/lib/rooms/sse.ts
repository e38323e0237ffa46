/**
 * Rooms over Server-Sent Events (`GET /v1/rooms/{room}/events`), for clients behind proxies
 * that drop WebSockets. Each server frame becomes one event named after its `type`, with the
 * frame's JSON as `data`; a `msg` event's `id:` is its seq, so `Last-Event-ID` resumes.
 *
 * A stream lives in the room object's memory only (an open response keeps the object awake,
 * so it is never hibernated under a stream). A client that goes away cancels the stream; so
 * does one that reads so slowly that more than `SSE_MAX_QUEUED_BYTES` wait for it: either
 * way the room forgets the connection (`onGone`) and it may come back with `Last-Event-ID`.
 */

/** Bytes a stream may have waiting for its reader before it is cut (a full replay fits). */
export const SSE_MAX_QUEUED_BYTES = 8 * 1024 * 1024;
/** A comment line this often keeps proxies from timing the stream out and finds dead clients. */
export const SSE_HEARTBEAT_MS = 20_000;
/** What `retry:` tells an `EventSource` to wait before reconnecting. */
export const SSE_RETRY_MS = 2_000;

const encoder = new TextEncoder();

/** The frame's `type`, read from its encoded text (`{"v":1,"type":"…"` as `encodeFrame` writes it). */
function frameType(text: string): string {
  const start = text.indexOf('"type":"') + 8;
  return text.slice(start, text.indexOf('"', start));
}

/** One frame as an SSE event; `seq` becomes its `id:` (only `msg` frames have one). */
export function sseEvent(text: string, seq?: number | string): string {
  return `${seq !== undefined ? `id: ${seq}\n` : ""}event: ${frameType(text)}\ndata: ${text}\n\n`;
}

/** The `Last-Event-ID` of a reconnecting `EventSource`, when it is a seq. */
export function lastEventSeq(header: string | null | undefined): string | undefined {
  return header !== null && header !== undefined && /^(0|[1-9]\d{0,14})$/.test(header.trim())
    ? header.trim()
    : undefined;
}

export class SseStream {
  readonly readable: ReadableStream<Uint8Array>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #onGone: () => void;
  #queued = 0;
  #done = false;

  /** `onGone` runs once when the stream ends for any reason other than `close()`. */
  constructor(onGone: () => void) {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    this.readable = readable;
    this.#writer = writable.getWriter();
    this.#onGone = onGone;
    this.#writer.closed.then(
      () => this.#end(),
      () => this.#end(),
    );
    this.write(`retry: ${SSE_RETRY_MS}\n\n`);
  }

  get open(): boolean {
    return !this.#done;
  }

  /** Writes text as it is (events, comments). */
  write(text: string): void {
    this.writeBytes(encoder.encode(text));
  }

  /** Writes bytes encoded once for many streams (the writer does not take ownership of them). */
  writeBytes(bytes: Uint8Array): void {
    if (this.#done) return;
    if (this.#queued + bytes.byteLength > SSE_MAX_QUEUED_BYTES) {
      this.#cut();
      return;
    }
    this.#queued += bytes.byteLength;
    this.#writer.write(bytes).then(
      () => (this.#queued -= bytes.byteLength),
      () => this.#cut(),
    );
  }

  /** One frame as an event. */
  frame(text: string, seq?: number | string): void {
    this.write(sseEvent(text, seq));
  }

  /** Ends the stream from the server side (`onGone` does not run). */
  close(): void {
    if (this.#done) return;
    this.#done = true;
    this.#writer.close().catch(() => undefined);
  }

  #cut(): void {
    if (this.#done) return;
    this.#writer.abort("gone").catch(() => undefined);
    this.#end();
  }

  #end(): void {
    if (this.#done) return;
    this.#done = true;
    this.#onGone();
  }
}
