/**
 * Token reservation for policies with `reserve > 1`: an isolate takes up to `reserve` tokens of
 * a key from Redis in one call and admits the next requests of that key from them locally, so
 * only about one request in `reserve` makes a Redis call.
 *
 * The counters are the ones `@upstash/ratelimit`'s sliding window keeps (`<prefix>:<id>:<bucket>`,
 * the previous bucket weighted by how much of it the window still covers), and the script below
 * admits by the same rule, so exact and reserving isolates count in the same place. Tokens are
 * counted in Redis when they are taken, and a reservation is only spent inside the bucket it was
 * taken in: no key is ever admitted more often than the exact sliding window would admit it.
 * The price is the other way round: tokens an isolate reserved and did not use by the end of
 * the bucket are lost to every other isolate (at most `reserve - 1` per isolate and key per
 * window), and `remaining` is what this isolate knew at its last reservation.
 */
import type { Redis } from "@upstash/redis/cloudflare";

/**
 * KEYS: current bucket, previous bucket. ARGV: limit, now (ms), window (ms), tokens wanted.
 * Returns {granted, left after the grant}. Same admission rule as the library's sliding window
 * (`weighted previous + current < limit` admits one), extended to several tokens at once.
 */
export const RESERVE_SCRIPT = `local current = tonumber(redis.call("GET", KEYS[1]) or "0")
local previous = tonumber(redis.call("GET", KEYS[2]) or "0")
local limit = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local wanted = tonumber(ARGV[4])
local weighted = math.floor((1 - (now % window) / window) * previous)
local available = limit - weighted - current
if available <= 0 then
  return {0, 0}
end
local granted = math.min(wanted, available)
if redis.call("INCRBY", KEYS[1], granted) == granted then
  redis.call("PEXPIRE", KEYS[1], window * 2 + 1000)
end
return {granted, available - granted}
`;

/** SHA-1 of RESERVE_SCRIPT (EVALSHA; a test checks that it matches the script). */
export const RESERVE_SCRIPT_SHA1 = "00a8ab0f56916c1103ccf208087f9810460600bf";

interface Lease {
  bucket: number;
  /** Reserved tokens not yet spent. */
  tokens: number;
  /** What Redis had left for the key after this isolate's last reservation. */
  redisLeft: number;
}

/** Reserved tokens per key and bucket, in this isolate. */
const leases = new Map<string, Lease>();
const MAX_LEASES = 10_000;

export interface ReservedAdmission {
  success: boolean;
  remaining: number;
  resetMs: number;
}

function spend(key: string, bucket: number): Lease | undefined {
  const lease = leases.get(key);
  if (!lease || lease.bucket !== bucket || lease.tokens === 0) return undefined;
  lease.tokens--;
  return lease;
}

function keep(key: string, bucket: number, tokens: number, redisLeft: number): Lease {
  let lease = leases.get(key);
  if (!lease || lease.bucket !== bucket) {
    if (leases.size >= MAX_LEASES) prune(bucket);
    lease = { bucket, tokens: 0, redisLeft };
    leases.set(key, lease);
  }
  lease.tokens += tokens;
  lease.redisLeft = redisLeft;
  return lease;
}

/** Drops leases of past buckets; if that frees nothing, all of them (losing tokens only under-admits). */
function prune(bucket: number): void {
  for (const [key, lease] of leases) if (lease.bucket < bucket) leases.delete(key);
  if (leases.size >= MAX_LEASES) leases.clear();
}

async function reserveInRedis(redis: Redis, keys: [string, string], args: number[]): Promise<[number, number]> {
  try {
    return await redis.evalsha<number[], [number, number]>(RESERVE_SCRIPT_SHA1, keys, args);
  } catch (err) {
    // First use on this Redis (or after SCRIPT FLUSH): EVAL loads the script for next time.
    if (!String(err).includes("NOSCRIPT")) throw err;
    return await redis.eval<number[], [number, number]>(RESERVE_SCRIPT, keys, args);
  }
}

const bucketOf = (windowSeconds: number, now: number) => Math.floor(now / (windowSeconds * 1000));

/**
 * Admits one request of `key` (`<prefix>:<subject>`) from this isolate's reservation, without
 * any I/O; `undefined` when none is left (then `admitReserved`).
 */
export function admitLocally(key: string, windowSeconds: number, now = Date.now()): ReservedAdmission | undefined {
  const bucket = bucketOf(windowSeconds, now);
  const lease = spend(`${key}:${bucket}`, bucket);
  return (
    lease && { success: true, remaining: lease.tokens + lease.redisLeft, resetMs: (bucket + 1) * windowSeconds * 1000 }
  );
}

/**
 * Admits one request of `key` from this isolate's reservation, or takes up to `reserve` more
 * tokens from Redis. A key Redis has no tokens left for is put in `denied` until the end of
 * the bucket (the same per-isolate deny cache the exact mode uses).
 */
export async function admitReserved(
  redis: Redis,
  denied: Map<string, number>,
  key: string,
  policy: { limit: number; windowSeconds: number; reserve: number },
): Promise<ReservedAdmission> {
  const now = Date.now();
  const local = admitLocally(key, policy.windowSeconds, now);
  if (local) return local;
  const windowMs = policy.windowSeconds * 1000;
  const bucket = bucketOf(policy.windowSeconds, now);
  const resetMs = (bucket + 1) * windowMs;
  const leaseKey = `${key}:${bucket}`;
  const [granted, redisLeft] = await reserveInRedis(
    redis,
    [leaseKey, `${key}:${bucket - 1}`],
    [policy.limit, now, windowMs, policy.reserve],
  );
  if (granted > 0) {
    const lease = keep(leaseKey, bucket, granted - 1, redisLeft);
    return { success: true, remaining: lease.tokens + lease.redisLeft, resetMs };
  }
  // Another request of this isolate may have reserved tokens while this one waited.
  const late = spend(leaseKey, bucket);
  if (late) return { success: true, remaining: late.tokens + late.redisLeft, resetMs };
  denied.set(key, resetMs);
  return { success: false, remaining: 0, resetMs };
}
