/**
 * One HTTP attempt of a delivery: POST with the signed headers, a timeout for headers and body,
 * no redirects followed, and only the start of the answer read (for the delivery log).
 */
import { describeError } from "../log.ts";
import type { DeliveryOptions } from "./options.ts";

/** Characters of a receiver's error body kept in `lastError`. */
export const ERROR_SNIPPET = 200;

export interface AttemptResponse {
  status: number | null;
  error: string | null;
}

/** The first `ERROR_SNIPPET` characters of a response body at most; the rest is not read. */
async function bodyStart(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    while (text.length < ERROR_SNIPPET) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // A body cut off mid-way: what came is enough.
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return text;
}

export async function post(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: DeliveryOptions,
): Promise<AttemptResponse> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    const res = await options.fetch(url, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json", "user-agent": "edge-backend-webhooks/1" },
      body,
      redirect: "manual",
      signal,
    });
    // Only the start of the body is read (a receiver may answer with anything); keep it for the log.
    const text = await bodyStart(res);
    if (res.status >= 200 && res.status < 300) return { status: res.status, error: null };
    const why =
      res.status >= 300 && res.status < 400
        ? "redirects are not followed"
        : text.slice(0, ERROR_SNIPPET).replace(/[\u0000-\u001f]/g, " ");
    return { status: res.status, error: `HTTP ${res.status}${why ? `: ${why}` : ""}` };
  } catch (err) {
    return {
      status: null,
      error: signal.aborted
        ? `timed out after ${options.timeoutMs} ms`
        : describeError(err).message.slice(0, ERROR_SNIPPET),
    };
  }
}
