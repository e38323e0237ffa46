/**
 * Rate limits from the edge config with `@upstash/ratelimit` (sliding window in Redis, one
 * atomic Lua call per policy). Every policy that matches the request is checked; the strictest
 * decides. Allowed responses on limited routes carry `RateLimit-Policy` and `RateLimit`; a
 * refusal is `429` with `Retry-After`. The per-isolate ephemeral cache answers keys already
 * known to be over the limit without a Redis call; analytics writes go to `waitUntil`.
 *
 * When Redis does not answer within the policy's `timeoutMs` (default 1 s) or fails, its
 * `failMode` decides: `open` (default) lets the request through and logs it, `closed`
 * answers `503` with `Retry-After`.
 */
import { Ratelimit } from "@upstash/ratelimit";
import type { Redis } from "@upstash/redis/cloudflare";
import type { Context, MiddlewareHandler } from "hono";
import { setMetric } from "hono/timing";
import type { AppEnv } from "../env.ts";
import { inBackground } from "../lib/background.ts";
import { ApiError } from "../lib/errors.ts";
import { policiesFor, policyHeader, stateHeader, type RateLimitPolicy } from "../lib/ratelimit/policies.ts";
import { withTimeout } from "../lib/timeout.ts";
import { optionalPrincipal } from "./auth.ts";

const FAIL_CLOSED_RETRY_AFTER_SECONDS = 5;

/** Per-isolate cache of keys known to be blocked until a time (shared by all requests). */
const ephemeralCache = new Map<string, number>();

interface Outcome {
  policy: RateLimitPolicy;
  success: boolean;
  remaining: number;
  resetMs: number;
  failed?: boolean;
}

async function subjectKey(c: Context<AppEnv>, policy: RateLimitPolicy): Promise<string> {
  if (policy.by !== "ip") {
    const principal = await optionalPrincipal(c);
    if (principal) return `${policy.by}:${policy.by === "user" ? principal.sub : principal.tenant}`;
    // No valid token: fall back to the client address so anonymous callers are still limited.
  }
  return `ip:${c.var.visitor.ip ?? "unknown"}`;
}

/**
 * Limiters per Redis client and policy shape, kept per isolate: a `Ratelimit` holds only its
 * settings and the shared ephemeral cache (each `limit()` call makes its own Redis call inside
 * the calling request), so building one per request would only cost CPU.
 */
const limiters = new WeakMap<Redis, Map<string, Ratelimit>>();

function limiterFor(redis: Redis, policy: RateLimitPolicy): Ratelimit {
  // A changed limit or window starts a fresh counter: the new policy applies at once.
  const prefix = `rl:${policy.id}:${policy.limit}:${policy.windowSeconds}`;
  let byPrefix = limiters.get(redis);
  if (!byPrefix) {
    byPrefix = new Map();
    limiters.set(redis, byPrefix);
  }
  let limiter = byPrefix.get(prefix);
  if (!limiter) {
    // Config edits create new shapes; old ones are dropped rather than kept forever.
    if (byPrefix.size >= 256) byPrefix.clear();
    limiter = new Ratelimit({
      redis,
      limiter: Ratelimit.slidingWindow(policy.limit, `${policy.windowSeconds} s`),
      prefix,
      ephemeralCache,
      analytics: true,
      timeout: 0, // timeouts are handled below, per failMode
    });
    byPrefix.set(prefix, limiter);
  }
  return limiter;
}

async function check(c: Context<AppEnv>, policy: RateLimitPolicy): Promise<Outcome> {
  const limiter = limiterFor(c.get("redis"), policy);
  try {
    const key = await subjectKey(c, policy);
    const r = await withTimeout(limiter.limit(key), policy.timeoutMs, "rate limiter timed out");
    await inBackground(c, r.pending);
    return { policy, success: r.success, remaining: r.remaining, resetMs: r.reset };
  } catch {
    return { policy, success: policy.failMode === "open", remaining: 0, resetMs: Date.now(), failed: true };
  }
}

export function rateLimit(): MiddlewareHandler<AppEnv> {
  return async function rateLimit(c, next) {
    const policies = policiesFor(c.var.config.rateLimits, { path: c.req.path, method: c.req.method, country: c.var.visitor.country });
    if (policies.length === 0) return next();
    const t0 = performance.now();
    const outcomes = await Promise.all(policies.map((p) => check(c, p)));
    setMetric(c, "ratelimit", performance.now() - t0);

    const now = Date.now();
    const resetSeconds = (o: Outcome) => Math.max(0, Math.ceil((o.resetMs - now) / 1000));
    const healthy = outcomes.filter((o) => !o.failed);
    const denied = healthy.filter((o) => !o.success).sort((a, b) => b.resetMs - a.resetMs)[0];
    const closedFailure = outcomes.find((o) => o.failed && !o.success);
    // The strictest: a denial first, else the policy with the fewest requests left.
    const strictest = denied ?? [...healthy].sort((a, b) => a.remaining / a.policy.limit - b.remaining / b.policy.limit)[0];

    c.var.log.ratelimit = {
      policies: outcomes.map((o) => o.policy.id),
      ...(strictest ? { policy: strictest.policy.id, remaining: strictest.remaining } : {}),
      limited: Boolean(denied),
      ...(outcomes.some((o) => o.failed) ? { redisError: true } : {}),
    };
    const headers: Record<string, string> = {
      "ratelimit-policy": outcomes.map((o) => policyHeader(o.policy)).join(", "),
    };
    if (healthy.length > 0) headers.ratelimit = healthy.map((o) => stateHeader(o.policy, o.remaining, resetSeconds(o))).join(", ");

    if (denied) {
      throw new ApiError("rate-limited", {
        detail: `Too many requests for "${denied.policy.id}"; retry after ${Math.max(1, resetSeconds(denied))} s.`,
        headers: { ...headers, "retry-after": String(Math.max(1, resetSeconds(denied))) },
      });
    }
    if (closedFailure) {
      throw new ApiError("unavailable", {
        detail: "Rate limiting is temporarily unavailable; retry shortly.",
        headers: { ...headers, "retry-after": String(FAIL_CLOSED_RETRY_AFTER_SECONDS) },
      });
    }
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
    await next();
  };
}
