/**
 * The `security.spike` event: blocked requests per minute (UTC) counted across isolates in
 * Redis, one event when a minute's count reaches `webhooks.securitySpikePerMinute`.
 *
 * The security filter calls `noteBlocked` for each request it blocks. Counting is per isolate
 * first: the first block starts a flush that waits `FLUSH_MS` in that request's `waitUntil` and
 * then adds everything counted meanwhile with one `INCRBY` (so an attack of thousands of blocked
 * requests a second costs each isolate one Redis call a second, never one per request, and
 * never the blocked request's time). The flush that carries the count over the threshold sends
 * the event; the key expires after 3 minutes. With the setting at 0 nothing is counted.
 */
import { describeError, logLine } from "../log.ts";
import { sharedRedis } from "../redis.ts";
import { readSettings } from "../settings.ts";
import { publishEvent } from "./events.ts";

export const FLUSH_MS = 1_000;
const KEY_TTL_SECONDS = 180;

/** The slice of the Upstash client used here. */
export interface SpikeCounter {
  incrby(key: string, by: number): Promise<number>;
  expire(key: string, seconds: number): Promise<unknown>;
}

const counts = new Map<number, number>();
let flushing = false;

export const spikeKey = (minute: number) => `webhooks:blocked:${minute}`;

/** Adds what this isolate counted to Redis; sends the event for a minute that crossed `threshold`. */
export async function flushBlocked(
  counter: SpikeCounter,
  threshold: number,
  send: (data: { minute: string; blocked: number; threshold: number }) => Promise<void>,
): Promise<void> {
  const batch = [...counts];
  counts.clear();
  for (const [minute, added] of batch) {
    const key = spikeKey(minute);
    const total = await counter.incrby(key, added);
    if (total === added) await counter.expire(key, KEY_TTL_SECONDS);
    if (total >= threshold && total - added < threshold) {
      await send({ minute: new Date(minute * 60_000).toISOString(), blocked: total, threshold });
    }
  }
}

/** Counts one blocked request; `waitUntil` keeps the flush alive after the response. */
export function noteBlocked(
  env: Env,
  threshold: number,
  waitUntil: ((work: Promise<unknown>) => void) | undefined,
  now = Date.now(),
): void {
  if (threshold <= 0 || !waitUntil) return;
  const minute = Math.floor(now / 60_000);
  counts.set(minute, (counts.get(minute) ?? 0) + 1);
  if (flushing) return;
  const settings = readSettings(env);
  if (!settings.ok) return;
  flushing = true;
  const redis = sharedRedis(settings.settings.UPSTASH_REDIS_REST_URL, settings.settings.UPSTASH_REDIS_REST_TOKEN);
  waitUntil(
    (async () => {
      try {
        await new Promise((resolve) => setTimeout(resolve, FLUSH_MS));
        await flushBlocked(redis, threshold, (data) => publishEvent(env, "security.spike", data));
      } catch (err) {
        logLine("warn", "security spike count failed", { error: describeError(err).message });
      } finally {
        flushing = false;
      }
    })(),
  );
}
