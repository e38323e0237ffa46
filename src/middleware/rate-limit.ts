/**
 * Rate limits from the edge config with `@upstash/ratelimit` (sliding window in Redis, one
 * atomic Lua call per policy). Every policy that matches the request is checked (in parallel:
 * one Redis round trip however many match); the strictest decides. Allowed responses on limited
 * routes carry `RateLimit-Policy` and `RateLimit`; a refusal is `429` with `Retry-After`.
 *
 * At most one Redis call per policy and request, and none for a key this isolate already saw
 * refused: the per-isolate deny cache answers it until the reset the refusal announced (it can
 * only refuse, never admit, so exactness is kept). Analytics (a second Redis call) only for
 * policies with `analytics: true`. Policies with `reserve: N` take N tokens at once and admit
 * from them locally (`src/lib/ratelimit/reserve.ts`).
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
import { admitLocally, admitReserved } from "../lib/ratelimit/reserve.ts";
import { withTimeout } from "../lib/timeout.ts";
import { optionalPrincipal } from "./auth.ts";

const FAIL_CLOSED_RETRY_AFTER_SECONDS = 5;

/**
 * Per-isolate deny cache: `<prefix>:<subject>` → the time its refusal ends (shared by all
 * requests; `@upstash/ratelimit`'s `ephemeralCache` and the reserving mode both fill it).
 */
const ephemeralCache = new Map<string, number>();
/** Many distinct refused keys (an address sweep): forgetting them costs Redis calls, not exactness. */
const MAX_DENIED_KEYS = 50_000;

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
  return `ip:${c.get("visitor").ip ?? "unknown"}`;
}

/**
 * Limiters per Redis client and policy shape, kept per isolate: a `Ratelimit` holds only its
 * settings and the shared ephemeral cache (each `limit()` call makes its own Redis call inside
 * the calling request), so building one per request would only cost CPU.
 */
const limiters = new WeakMap<Redis, Map<string, Ratelimit>>();

/** Per policy object of the config snapshot (the same objects serve every request until the config changes). */
const prefixes = new WeakMap<RateLimitPolicy, string>();

/** A changed limit or window starts a fresh counter: the new policy applies at once. */
function prefixOf(policy: RateLimitPolicy): string {
  let prefix = prefixes.get(policy);
  if (prefix === undefined) {
    prefix = `rl:${policy.id}:${policy.limit}:${policy.windowSeconds}`;
    prefixes.set(policy, prefix);
  }
  return prefix;
}

function limiterFor(redis: Redis, policy: RateLimitPolicy, prefix: string): Ratelimit {
  const shape = policy.analytics ? `${prefix}:analytics` : prefix;
  let byPrefix = limiters.get(redis);
  if (!byPrefix) {
    byPrefix = new Map();
    limiters.set(redis, byPrefix);
  }
  let limiter = byPrefix.get(shape);
  if (!limiter) {
    // Config edits create new shapes; old ones are dropped rather than kept forever.
    if (byPrefix.size >= 256) byPrefix.clear();
    limiter = new Ratelimit({
      redis,
      limiter: Ratelimit.slidingWindow(policy.limit, `${policy.windowSeconds} s`),
      prefix,
      ephemeralCache,
      analytics: policy.analytics,
      timeout: 0, // timeouts are handled below, per failMode
    });
    byPrefix.set(shape, limiter);
  }
  return limiter;
}

async function check(c: Context<AppEnv>, policy: RateLimitPolicy): Promise<Outcome> {
  const prefix = prefixOf(policy);
  try {
    const key = `${prefix}:${await subjectKey(c, policy)}`;
    // Known refused: no Redis call, no timer.
    const blockedUntil = ephemeralCache.get(key);
    if (blockedUntil !== undefined) {
      if (blockedUntil > Date.now()) return { policy, success: false, remaining: 0, resetMs: blockedUntil };
      ephemeralCache.delete(key);
    }
    if (ephemeralCache.size >= MAX_DENIED_KEYS) ephemeralCache.clear();
    const redis = c.get("redis");
    if (policy.reserve > 1) {
      const local = admitLocally(key, policy.windowSeconds);
      if (local) return { policy, ...local };
      const r = await withTimeout(
        admitReserved(redis, ephemeralCache, key, policy),
        policy.timeoutMs,
        "rate limiter timed out",
      );
      return { policy, ...r };
    }
    // The limiter adds its prefix to the subject itself.
    const r = await withTimeout(
      limiterFor(redis, policy, prefix).limit(key.slice(prefix.length + 1)),
      policy.timeoutMs,
      "rate limiter timed out",
    );
    if (policy.analytics) await inBackground(c, r.pending);
    return { policy, success: r.success, remaining: r.remaining, resetMs: r.reset };
  } catch {
    return { policy, success: policy.failMode === "open", remaining: 0, resetMs: Date.now(), failed: true };
  }
}

export function rateLimit(): MiddlewareHandler<AppEnv> {
  return async function rateLimit(c, next) {
    // `c.get`, not `c.var`: every `c.var` read copies all variables into a new object.
    const rateLimits = c.get("config").rateLimits;
    if (rateLimits.length === 0) return next();
    const policies = policiesFor(rateLimits, {
      path: c.req.path,
      method: c.req.method,
      country: c.get("visitor").country,
    });
    if (policies.length === 0) return next();
    const t0 = performance.now();
    const outcomes = await Promise.all(policies.map((p) => check(c, p)));
    setMetric(c, "ratelimit", performance.now() - t0);

    const now = Date.now();
    const resetSeconds = (o: Outcome) => Math.max(0, Math.ceil((o.resetMs - now) / 1000));
    // One policy is the common case: no sorting, no intermediate arrays.
    const healthy = outcomes.length === 1 ? (outcomes[0]!.failed ? [] : outcomes) : outcomes.filter((o) => !o.failed);
    let denied: Outcome | undefined;
    let strictest: Outcome | undefined;
    for (const o of healthy) {
      if (!o.success) {
        if (!denied || o.resetMs > denied.resetMs) denied = o;
      } else if (!strictest || o.remaining / o.policy.limit < strictest.remaining / strictest.policy.limit)
        strictest = o;
    }
    // The strictest: a denial first, else the policy with the fewest requests left.
    strictest = denied ?? strictest;
    const closedFailure = outcomes.find((o) => o.failed && !o.success);
    const anyFailed = healthy.length < outcomes.length;

    const logged: Record<string, unknown> = { policies: outcomes.map((o) => o.policy.id) };
    if (strictest) {
      logged.policy = strictest.policy.id;
      logged.remaining = strictest.remaining;
    }
    logged.limited = denied !== undefined;
    if (anyFailed) logged.redisError = true;
    c.get("log").ratelimit = logged;

    const policyValue =
      outcomes.length === 1
        ? policyHeader(outcomes[0]!.policy)
        : outcomes.map((o) => policyHeader(o.policy)).join(", ");
    const stateValue =
      healthy.length === 0
        ? undefined
        : healthy.map((o) => stateHeader(o.policy, o.remaining, resetSeconds(o))).join(", ");

    if (denied || closedFailure) {
      const headers: Record<string, string> = { "ratelimit-policy": policyValue };
      if (stateValue !== undefined) headers.ratelimit = stateValue;
      if (denied) {
        const retryAfter = Math.max(1, resetSeconds(denied));
        throw new ApiError("rate-limited", {
          detail: `Too many requests for "${denied.policy.id}"; retry after ${retryAfter} s.`,
          headers: { ...headers, "retry-after": String(retryAfter) },
        });
      }
      throw new ApiError("unavailable", {
        detail: "Rate limiting is temporarily unavailable; retry shortly.",
        headers: { ...headers, "retry-after": String(FAIL_CLOSED_RETRY_AFTER_SECONDS) },
      });
    }
    c.header("ratelimit-policy", policyValue);
    if (stateValue !== undefined) c.header("ratelimit", stateValue);
    await next();
  };
}
