/**
 * W3C Trace Context: keep a valid incoming `traceparent`'s trace id, otherwise start a trace.
 * Every outbound call (e.g. to the AI origin) carries `traceparent` with this hop's span id.
 */

export interface TraceContext {
  traceId: string;
  /** This Worker's span id, used as the parent of outbound calls. */
  spanId: string;
  /** The caller's span id, when a valid `traceparent` came in. */
  parentSpanId?: string;
  sampled: boolean;
  /** Header value for outbound requests. */
  traceparent: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

const HEX: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

function hex(bytes: Uint8Array, from: number, to: number): string {
  let out = "";
  for (let i = from; i < to; i++) out += HEX[bytes[i]!]!;
  return out;
}

function isZero(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}

const allZero = (hexId: string) => /^0+$/.test(hexId);

export function traceFromHeader(header: string | undefined | null): TraceContext {
  const m = header ? TRACEPARENT.exec(header.trim()) : null;
  // Version ff is invalid; all-zero ids are invalid (W3C Trace Context §3.2).
  if (m && m[1] !== "ff" && !allZero(m[2]!) && !allZero(m[3]!)) {
    const spanId = hex(crypto.getRandomValues(new Uint8Array(8)), 0, 8);
    const sampled = (parseInt(m[4]!, 16) & 1) === 1;
    return {
      traceId: m[2]!,
      spanId,
      parentSpanId: m[3]!,
      sampled,
      traceparent: `00-${m[2]}-${spanId}-${sampled ? "01" : "00"}`,
    };
  }
  // One call for both ids: bytes 0–7 are the span id, 8–23 the trace id.
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  while (isZero(bytes, 8, 24)) crypto.getRandomValues(bytes.subarray(8));
  const spanId = hex(bytes, 0, 8);
  const traceId = hex(bytes, 8, 24);
  return { traceId, spanId, sampled: true, traceparent: `00-${traceId}-${spanId}-01` };
}
