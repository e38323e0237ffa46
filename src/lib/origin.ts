/**
 * The origin AI service (any OpenAI-compatible API): base URL, auth and `traceparent` on every
 * call. Readiness uses it directly; the AI routes add retries, budgets and the circuit breaker
 * on top (`src/lib/ai/origin-chat.ts`).
 */

export interface OriginClient {
  /** Base URL including the API version, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  model: string;
  /** `traceparent` sent on every call (this hop's span as parent). */
  traceparent: string;
  /**
   * Calls the origin with auth and trace headers; `path` is relative to `baseUrl`. `timeoutMs`
   * and `signal` may be combined: whichever fires first aborts the call.
   */
  fetch(path: string, init?: RequestInit & { timeoutMs?: number }): Promise<Response>;
}

export interface OriginClientOptions {
  baseUrl: string;
  apiKey?: string | undefined;
  model: string;
  traceparent: string;
}

export function createOriginClient({ baseUrl, apiKey, model, traceparent }: OriginClientOptions): OriginClient {
  const base = baseUrl.replace(/\/+$/, "");
  return {
    baseUrl: base,
    model,
    traceparent,
    fetch(path, init = {}) {
      const { timeoutMs, ...rest } = init;
      const headers = new Headers(rest.headers);
      headers.set("traceparent", traceparent);
      if (apiKey) headers.set("authorization", `Bearer ${apiKey}`);
      const timeout = timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined;
      const signal = timeout && rest.signal ? AbortSignal.any([timeout, rest.signal]) : (timeout ?? rest.signal);
      return fetch(`${base}/${path.replace(/^\/+/, "")}`, { ...rest, headers, signal: signal ?? null });
    },
  };
}
