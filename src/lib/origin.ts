/**
 * The origin AI service (any OpenAI-compatible API). This is the minimal client the
 * foundation needs (readiness); the AI routes build on it.
 */

export interface OriginClient {
  /** Base URL including the API version, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  model: string;
  /** Calls the origin with auth and trace headers; `path` is relative to `baseUrl`. */
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
    fetch(path, init = {}) {
      const { timeoutMs, ...rest } = init;
      const headers = new Headers(rest.headers);
      headers.set("traceparent", traceparent);
      if (apiKey) headers.set("authorization", `Bearer ${apiKey}`);
      const signal = timeoutMs ? AbortSignal.timeout(timeoutMs) : rest.signal;
      return fetch(`${base}/${path.replace(/^\/+/, "")}`, { ...rest, headers, signal: signal ?? null });
    },
  };
}
