/**
 * Chat completions from the origin with the resilience the edge needs:
 * - a budget: an absolute deadline for the whole call and a separate, shorter budget for the
 *   first byte (response headers) of each attempt, so a stalled origin is abandoned early
 *   enough to retry or fall back;
 * - retries on 408/429/5xx, timeouts and network errors, with exponential backoff and full
 *   jitter, up to `maxAttempts`, never past the deadline;
 * - `Retry-After` (seconds or HTTP date, or `retry-after-ms`) honoured: the wait is recorded on
 *   the breaker so no request of this isolate calls before then, and a request whose budget
 *   cannot cover the wait gives up at once instead of hammering;
 * - the per-origin circuit breaker (`breaker.ts`) consulted before every attempt and told the
 *   outcome after it.
 * Streams: retries happen only before the first byte; a failure after it is final (the
 * caller has already sent part of the answer).
 */
import type { Permit } from "./breaker.ts";
import {
  OriginError,
  type ChatParams,
  type OriginBudget,
  type ChatResult,
  type ChatStream,
  type OriginChatDeps,
} from "./origin-chat-types.ts";
import { parseSse } from "./sse.ts";

export {
  OriginError,
  type ChatMessage,
  type ChatParams,
  type OriginBudget,
  type OriginFailureKind,
  type ChatResult,
  type ChatStream,
  type OriginChatDeps,
} from "./origin-chat-types.ts";

const MIN_ATTEMPT_MS = 50;
const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 2_000;
/** Longest `Retry-After` this isolate records (a bogus "come back in a day" is not obeyed). */
export const MAX_RETRY_AFTER_MS = 60_000;

/** `retry-after-ms`, else `Retry-After` as seconds or an HTTP date; undefined when absent/invalid. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const value = headers.get("retry-after")?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new OriginError("cancelled", "the request was cancelled"));
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new OriginError("cancelled", "the request was cancelled"));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

interface Connection {
  res: Response;
  permit: Permit;
  controller: AbortController;
  /** Aborts the connection when the deadline passes; call `done()` once finished. */
  done(): void;
  timedOut(): boolean;
}

/** One call to the origin: attempts, backoff and breaker bookkeeping shared by its phases. */
class OriginCall {
  attempts = 0;
  last: OriginError | undefined;
  readonly started = Date.now();
  readonly #deps: OriginChatDeps;
  readonly #budget: OriginBudget;
  readonly #body: string;

  constructor(deps: OriginChatDeps, budget: OriginBudget, body: string) {
    this.#deps = deps;
    this.#budget = budget;
    this.#body = body;
  }

  get maxAttempts(): number {
    return this.#budget.maxAttempts ?? 3;
  }

  remaining(): number {
    return this.#budget.deadline - Date.now();
  }

  fail(error: OriginError): OriginError {
    this.last = new OriginError(error.kind, error.message, {
      ...(error.status ? { status: error.status } : {}),
      attempts: this.attempts,
    });
    return this.last;
  }

  /** Waits before the next attempt, or throws the last error when no attempt is left or fits. */
  async backoff(): Promise<void> {
    const last = this.last ?? new OriginError("unavailable", "the origin failed");
    if (this.attempts >= this.maxAttempts) throw last;
    const delay = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (this.attempts - 1)) * (0.5 + Math.random() / 2);
    if (delay + MIN_ATTEMPT_MS > this.remaining()) throw last;
    await sleep(delay, this.#deps.signal);
  }

  /** Attempts until the origin answers 2xx headers; retries what is worth retrying. */
  async connect(): Promise<Connection> {
    const { origin, breaker, signal } = this.#deps;
    for (;;) {
      const remaining = this.remaining();
      if (remaining < MIN_ATTEMPT_MS)
        throw this.last ?? this.fail(new OriginError("timeout", "the origin budget is spent"));
      const deferred = breaker.deferredMs();
      if (deferred > 0) {
        if (deferred + MIN_ATTEMPT_MS > remaining) {
          throw this.fail(
            new OriginError(
              "rate-limited",
              `the origin asked to wait ${Math.ceil(deferred / 1000)} s (Retry-After), longer than this request's budget`,
            ),
          );
        }
        await sleep(deferred, signal);
        continue;
      }
      const permit = breaker.acquire();
      if (!permit.ok)
        throw this.fail(new OriginError("breaker-open", `the origin's circuit breaker is ${permit.state}`));
      this.attempts++;
      const controller = new AbortController();
      const onAbort = () => controller.abort();
      signal?.addEventListener("abort", onAbort, { once: true });
      let timedOut = false;
      const abortOnTimeout = () => {
        timedOut = true;
        controller.abort();
      };
      let timer = setTimeout(abortOnTimeout, Math.max(1, Math.min(this.#budget.firstByteMs, remaining)));
      const release = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      let res: Response;
      try {
        res = await origin.fetch("chat/completions", {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
          body: this.#body,
          signal: controller.signal,
        });
      } catch (err) {
        release();
        if (signal?.aborted) {
          breaker.release(permit);
          throw this.fail(new OriginError("cancelled", "the request was cancelled"));
        }
        breaker.failure(permit);
        this.fail(
          timedOut
            ? new OriginError("timeout", `no first byte from the origin within ${this.#budget.firstByteMs} ms`)
            : new OriginError(
                "unavailable",
                `the origin is unreachable: ${err instanceof Error ? err.message : String(err)}`,
              ),
        );
        await this.backoff();
        continue;
      }
      clearTimeout(timer);
      if (res.ok) {
        // From here on only the total deadline applies.
        timer = setTimeout(abortOnTimeout, Math.max(1, this.remaining()));
        return { res, permit, controller, done: release, timedOut: () => timedOut };
      }
      release();
      await res.body?.cancel().catch(() => undefined);
      if (res.status === 429) {
        // The origin is alive and asks for patience: not a breaker failure.
        breaker.success(permit);
        const wait = Math.min(
          retryAfterMs(res.headers) ?? BACKOFF_BASE_MS * 2 ** (this.attempts - 1),
          MAX_RETRY_AFTER_MS,
        );
        breaker.deferUntil(Date.now() + wait);
        this.fail(new OriginError("rate-limited", "the origin is rate limiting (429)", { status: 429 }));
        if (this.attempts >= this.maxAttempts) throw this.last!;
        continue;
      }
      if (res.status >= 500 || res.status === 408) {
        breaker.failure(permit);
        this.fail(new OriginError("unavailable", `the origin answered ${res.status}`, { status: res.status }));
        await this.backoff();
        continue;
      }
      // Any other 4xx: this request is wrong for the origin (auth, model, size); retrying will not help.
      breaker.success(permit);
      throw this.fail(
        new OriginError("rejected", `the origin refused the request (${res.status})`, { status: res.status }),
      );
    }
  }
}

function requestBody(params: ChatParams, stream: boolean): string {
  return JSON.stringify({
    model: params.model,
    messages: params.messages,
    temperature: params.temperature,
    max_tokens: params.maxTokens,
    ...(stream ? { stream: true } : {}),
  });
}

interface CompletionBody {
  choices?: Array<{ message?: { content?: unknown }; finish_reason?: unknown }>;
}

/** A complete (non-streamed) answer, or `OriginError` once retries and budget are spent. */
export async function completeChat(
  deps: OriginChatDeps,
  params: ChatParams,
  budget: OriginBudget,
): Promise<ChatResult> {
  const call = new OriginCall(deps, budget, requestBody(params, false));
  for (;;) {
    const conn = await call.connect();
    const firstByteMs = Date.now() - call.started;
    try {
      const body = (await conn.res.json()) as CompletionBody;
      const choice = body.choices?.[0];
      const text = choice?.message?.content;
      if (typeof text !== "string") throw new Error("no message content");
      deps.breaker.success(conn.permit);
      return {
        text,
        finishReason: typeof choice?.finish_reason === "string" ? choice.finish_reason : null,
        attempts: call.attempts,
        firstByteMs,
      };
    } catch (err) {
      if (deps.signal?.aborted) {
        deps.breaker.release(conn.permit);
        throw call.fail(new OriginError("cancelled", "the request was cancelled"));
      }
      deps.breaker.failure(conn.permit);
      call.fail(
        conn.timedOut()
          ? new OriginError("timeout", "the origin did not finish its answer within the budget")
          : new OriginError(
              "cut",
              `the origin's answer was cut or malformed: ${err instanceof Error ? err.message : String(err)}`,
            ),
      );
      await call.backoff();
    } finally {
      conn.done();
    }
  }
}

interface ChunkBody {
  choices?: Array<{ delta?: { content?: unknown }; finish_reason?: unknown }>;
}

/**
 * Opens a streamed answer: resolves once the origin's headers arrived (after retries), then
 * `deltas` yields the text. The gap between two chunks may not exceed `firstByteMs`.
 */
export async function openChatStream(
  deps: OriginChatDeps,
  params: ChatParams,
  budget: OriginBudget,
): Promise<ChatStream> {
  const call = new OriginCall(deps, budget, requestBody(params, true));
  const conn = await call.connect();
  const firstByteMs = Date.now() - call.started;
  const { breaker } = deps;

  async function* deltas(): AsyncGenerator<string, string | null> {
    let idle: ReturnType<typeof setTimeout> | undefined;
    let idleTimedOut = false;
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        idleTimedOut = true;
        conn.controller.abort();
      }, budget.firstByteMs);
    };
    let finishReason: string | null = null;
    let complete = false;
    let settled = false;
    const verdict = (ok: boolean) => {
      settled = true;
      if (ok) breaker.success(conn.permit);
      else breaker.failure(conn.permit);
    };
    try {
      const contentType = conn.res.headers.get("content-type") ?? "";
      if (!contentType.includes("text/event-stream")) {
        // An origin that ignores `stream: true` sends one JSON answer: pass it on whole.
        const body = (await conn.res.json()) as CompletionBody;
        const text = body.choices?.[0]?.message?.content;
        if (typeof text !== "string") throw new Error("no message content");
        finishReason =
          typeof body.choices?.[0]?.finish_reason === "string" ? (body.choices[0].finish_reason as string) : null;
        complete = true;
        verdict(true);
        yield text;
        return finishReason;
      }
      if (!conn.res.body) throw new Error("empty stream");
      arm();
      for await (const event of parseSse(conn.res.body, conn.controller.signal)) {
        arm();
        if (event.data === "[DONE]") {
          complete = true;
          break;
        }
        let chunk: ChunkBody;
        try {
          chunk = JSON.parse(event.data) as ChunkBody;
        } catch {
          continue; // keep-alives or vendor extensions
        }
        const choice = chunk.choices?.[0];
        if (typeof choice?.finish_reason === "string") finishReason = choice.finish_reason;
        const content = choice?.delta?.content;
        if (typeof content === "string" && content.length > 0) yield content;
      }
      if (!complete) throw new Error("the stream ended without [DONE]");
      verdict(true);
      return finishReason;
    } catch (err) {
      if (err instanceof OriginError) throw err;
      if (deps.signal?.aborted)
        throw new OriginError("cancelled", "the request was cancelled", { attempts: call.attempts });
      verdict(false);
      if (idleTimedOut || conn.timedOut()) {
        throw new OriginError(
          "timeout",
          idleTimedOut
            ? `the origin's stream stalled for ${budget.firstByteMs} ms`
            : "the origin did not finish within the budget",
          { attempts: call.attempts },
        );
      }
      throw new OriginError(
        "cut",
        `the origin's stream broke off: ${err instanceof Error ? err.message : String(err)}`,
        { attempts: call.attempts },
      );
    } finally {
      clearTimeout(idle);
      conn.done();
      if (!complete) conn.controller.abort();
      // Stopped without a verdict (the client went away): free a probe lease for the next request.
      if (!settled) breaker.release(conn.permit);
    }
  }

  return { attempts: call.attempts, firstByteMs, deltas: deltas() };
}
