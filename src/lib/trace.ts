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

function randomHex(bytes: number): string {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  let out = "";
  for (const b of buf) out += b.toString(16).padStart(2, "0");
  return out;
}

const allZero = (hex: string) => /^0+$/.test(hex);

export function traceFromHeader(header: string | undefined | null): TraceContext {
  const spanId = randomHex(8);
  const m = header ? TRACEPARENT.exec(header.trim()) : null;
  // Version ff is invalid; all-zero ids are invalid (W3C Trace Context §3.2).
  if (m && m[1] !== "ff" && !allZero(m[2]!) && !allZero(m[3]!)) {
    const sampled = (parseInt(m[4]!, 16) & 1) === 1;
    return {
      traceId: m[2]!,
      spanId,
      parentSpanId: m[3]!,
      sampled,
      traceparent: `00-${m[2]}-${spanId}-${sampled ? "01" : "00"}`,
    };
  }
  let traceId = randomHex(16);
  while (allZero(traceId)) traceId = randomHex(16);
  return { traceId, spanId, sampled: true, traceparent: `00-${traceId}-${spanId}-01` };
}
