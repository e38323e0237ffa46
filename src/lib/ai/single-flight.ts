/**
 * Single flight for identical questions on a cold cache: of N concurrent requests for the same
 * exact-cache key, one (the leader) calls the origin; the others (followers) wait for its result.
 *
 * Why Redis and polling: in workerd a request must not await a promise another request created
 * (the runtime cancels it), and identical requests land on different isolates and colos anyway.
 * So coordination goes through a store every request can reach: the leader takes a lock with
 * `SET key token NX PX lease` (atomic, expires by itself if the leader dies), publishes the
 * outcome under a result key with a short TTL, then releases the lock. Followers poll the result
 * key with a growing interval (20 ms → 250 ms) until their own deadline; if the lock vanishes
 * without a result (the leader died), one of them takes it over. Upstash Redis answers a `GET`
 * in about a millisecond in-region, cheaper than polling libSQL. A Durable Object per key would
 * avoid polling, but adds a class and a hop for every cold question; a follower's wait is short
 * and bounded by its budget.
 *
 * Redis trouble never fails a request: the caller proceeds alone (`solo`).
 */
import type { Redis } from "@upstash/redis/cloudflare";

export interface FlightCitation {
  documentId: string;
  chunkId: number;
}

export type FlightResult =
  | { status: "ok"; answer: string; citations: FlightCitation[]; source: "origin" | "edge" }
  | { status: "failed"; reason: string };

/**
 * `earlier`: an answer an earlier leader published (it finished between our cache miss and our
 * claim). A follower knows its leader's token, so it never reads an older flight's outcome.
 */
export type FlightClaim =
  | { role: "leader"; token: string; earlier?: FlightResult }
  | { role: "follower"; leader: string | null }
  | { role: "solo" };

export type FlightWait =
  | { kind: "result"; result: FlightResult }
  | { kind: "leader"; token: string }
  | { kind: "timeout" }
  | { kind: "solo" };

/** How long a published result stays readable for late followers. */
export const FLIGHT_RESULT_TTL_MS = 30_000;
const POLL_START_MS = 20;
const POLL_MAX_MS = 250;

/** The lock, holding the leader's token. */
const lockKey = (key: string) => `ai:flight:${key}`;
/** One flight's outcome (ok or failed), under its leader's token. */
const resultKey = (key: string, token: string) => `ai:flight:${key}:${token}`;
/** The last successful answer, for requests that missed the cache just before it was stored. */
const lastOkKey = (key: string) => `ai:flight:${key}:ok`;

// Deletes the lock only if this leader still holds it (after a lease expiry another may).
const RELEASE_SCRIPT = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

function parseResult(raw: unknown): FlightResult | undefined {
  let value = raw;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return undefined;
    }
  }
  if (typeof value !== "object" || value === null) return undefined;
  const r = value as Record<string, unknown>;
  if (r.status === "failed" && typeof r.reason === "string") return { status: "failed", reason: r.reason };
  if (
    r.status === "ok" &&
    typeof r.answer === "string" &&
    Array.isArray(r.citations) &&
    (r.source === "origin" || r.source === "edge")
  ) {
    return { status: "ok", answer: r.answer, citations: r.citations as FlightCitation[], source: r.source };
  }
  return undefined;
}

/**
 * Tries to become the leader for `key`; `leaseMs` bounds how long a dead leader blocks others.
 * One round trip: the lock attempt, the last published answer and the current leader's token.
 */
export async function claimFlight(redis: Redis, key: string, leaseMs: number): Promise<FlightClaim> {
  const token = crypto.randomUUID();
  try {
    const [ok, lastOk, holder] = await redis
      .pipeline()
      .set(lockKey(key), token, { nx: true, px: Math.max(1, Math.round(leaseMs)) })
      .get(lastOkKey(key))
      .get(lockKey(key))
      .exec<[string | null, unknown, unknown]>();
    if (ok === "OK") {
      const earlier = parseResult(lastOk);
      return earlier?.status === "ok" ? { role: "leader", token, earlier } : { role: "leader", token };
    }
    return { role: "follower", leader: typeof holder === "string" ? holder : null };
  } catch {
    return { role: "solo" };
  }
}

/** Publishes the leader's outcome and releases the lock (one round trip). Never throws. */
export async function finishFlight(redis: Redis, key: string, token: string, result: FlightResult): Promise<void> {
  try {
    const p = redis.pipeline().set(resultKey(key, token), JSON.stringify(result), { px: FLIGHT_RESULT_TTL_MS });
    if (result.status === "ok") p.set(lastOkKey(key), JSON.stringify(result), { px: FLIGHT_RESULT_TTL_MS });
    await p.eval(RELEASE_SCRIPT, [lockKey(key)], [token]).exec();
  } catch {
    // Followers time out into their own fallback; the lease expires on its own.
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Follower: waits for its leader's result until `deadline`. If the leader vanished without a
 * result (it died, or its lease ran out), claims the flight again: as the new leader, or as a
 * follower of whoever took it.
 */
export async function awaitFlight(
  redis: Redis,
  key: string,
  leader: string | null,
  deadline: number,
  leaseMs: number,
  signal?: AbortSignal,
): Promise<FlightWait> {
  let current = leader;
  let interval = POLL_START_MS;
  for (;;) {
    const wait = Math.min(interval, deadline - Date.now());
    if (wait <= 0 || !(await sleep(wait, signal))) return { kind: "timeout" };
    interval = Math.min(POLL_MAX_MS, interval * 2);
    if (current !== null) {
      let raw: [unknown, unknown];
      try {
        raw = await redis.mget<[unknown, unknown]>(resultKey(key, current), lockKey(key));
      } catch {
        return { kind: "solo" };
      }
      const result = parseResult(raw[0]);
      if (result) return { kind: "result", result };
      if (raw[1] === current) continue;
    }
    const claim = await claimFlight(redis, key, leaseMs);
    if (claim.role === "solo") return { kind: "solo" };
    if (claim.role === "leader") {
      if (claim.earlier) {
        await redis.eval(RELEASE_SCRIPT, [lockKey(key)], [claim.token]).catch(() => undefined);
        return { kind: "result", result: claim.earlier };
      }
      return { kind: "leader", token: claim.token };
    }
    current = claim.leader;
  }
}
