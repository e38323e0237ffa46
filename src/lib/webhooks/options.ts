/**
 * Webhook delivery knobs from the Worker's env (optional vars, read loosely like the AI ones),
 * and the queue producer binding.
 *
 * | var | meaning | default |
 * |---|---|---|
 * | `WEBHOOKS_RETRY_BASE_SECONDS` | first retry delay; each next one is 4× longer (jittered, at most 12 h) | 5 |
 * | `WEBHOOKS_TIMEOUT_MS` | time one attempt may take, headers and body | 10000 |
 */

/** Binding name of the producer in wrangler.toml. */
export const WEBHOOKS_QUEUE_BINDING = "WEBHOOKS";
export const WEBHOOKS_QUEUE_NAME = "webhooks";

/** The slice of a Queue producer binding this code uses. */
export interface WebhookQueue {
  send(body: unknown, options?: { contentType?: "json"; delaySeconds?: number }): Promise<unknown>;
  sendBatch(messages: Iterable<{ body: unknown; contentType?: "json"; delaySeconds?: number }>): Promise<unknown>;
}

export interface DeliveryOptions {
  /** `development` allows http: to loopback targets. */
  development: boolean;
  retryBaseSeconds: number;
  timeoutMs: number;
  /** Attempts of one delivery before it is dead-lettered (the first one included). */
  maxAttempts: number;
  /** Failed attempts in a row (any delivery) after which the subscription is paused. */
  pauseAfterFailures: number;
  /** The `fetch` used for attempts (tests can replace it). */
  fetch: typeof fetch;
}

/** 10 attempts over about 31 h with the default base (5 s, 20 s, 80 s, … 12 h, 12 h). */
export const MAX_ATTEMPTS = 10;
export const PAUSE_AFTER_FAILURES = 50;
export const MAX_RETRY_DELAY_SECONDS = 12 * 60 * 60;

function positiveInt(value: unknown, fallback: number, max: number): number {
  const n =
    typeof value === "string" && /^\d{1,9}$/.test(value.trim())
      ? Number(value)
      : typeof value === "number"
        ? value
        : Number.NaN;
  return Number.isInteger(n) && n >= 1 ? Math.min(n, max) : fallback;
}

export function deliveryOptions(
  env: Record<string, unknown>,
  overrides: Partial<DeliveryOptions> = {},
): DeliveryOptions {
  return {
    development: env["ENVIRONMENT"] === "development",
    retryBaseSeconds: positiveInt(env["WEBHOOKS_RETRY_BASE_SECONDS"], 5, 3600),
    timeoutMs: positiveInt(env["WEBHOOKS_TIMEOUT_MS"], 10_000, 30_000),
    maxAttempts: MAX_ATTEMPTS,
    pauseAfterFailures: PAUSE_AFTER_FAILURES,
    fetch: (input, init) => fetch(input, init),
    ...overrides,
  };
}

/** The webhooks queue when bound (it is in wrangler.toml; harnesses may leave it out). */
export function webhookQueue(env: Record<string, unknown>): WebhookQueue | undefined {
  const q = env[WEBHOOKS_QUEUE_BINDING] as Partial<WebhookQueue> | undefined;
  return q && typeof q.send === "function" && typeof q.sendBatch === "function" ? (q as WebhookQueue) : undefined;
}

/**
 * Delay before retry `n` (1 = after the first failed attempt): base × 4^(n-1), ±20 % jitter,
 * at most 12 h (the longest delay a queue retry takes), at least 1 s.
 */
export function retryDelaySeconds(n: number, baseSeconds: number, random = Math.random): number {
  const exact = baseSeconds * 4 ** Math.max(0, n - 1);
  const jittered = exact * (0.8 + 0.4 * random());
  return Math.max(1, Math.min(MAX_RETRY_DELAY_SECONDS, Math.round(jittered)));
}
