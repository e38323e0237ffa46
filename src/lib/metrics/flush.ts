/**
 * Flushing an isolate's counters to the `Metrics` Durable Object: at most every
 * `FLUSH_INTERVAL_MS`, from a request's `waitUntil` (the request that finds nothing scheduled
 * schedules the next flush; its response is not delayed). The admin metrics routes flush
 * first (`flushNow`), so an admin sees what their own isolate counted up to now.
 *
 * What can be lost: counters of an isolate that is evicted before its next flush (at most the
 * last 10 s of that isolate's requests), and minutes beyond `MAX_PENDING_MINUTES` while the
 * Metrics object cannot be reached. A failed flush puts its batch back for the next one.
 *
 * When an Analytics Engine dataset is bound as `METRICS_DATASET`, every flush also writes one
 * data point per minute it carries (for long-term analysis outside this app).
 */
import { describeError, logLine } from "../log.ts";
import { MAX_PENDING_MINUTES, hasPending, restorePending, takePending } from "./collect.ts";
import { METRICS_INSTANCE, type MetricsBatch, type MinuteCounts } from "./shape.ts";

export const FLUSH_INTERVAL_MS = 10_000;
/** A flush that has not finished after this long is taken as lost (its `waitUntil` was cut off). */
const FLUSH_STALE_MS = 60_000;

/** The slice of the Metrics object's RPC interface a flush uses. */
export interface MetricsSink {
  ingest(batch: MetricsBatch): Promise<unknown>;
}

/** The optional Analytics Engine binding (not declared in `wrangler.toml` by default). */
interface AnalyticsDataset {
  writeDataPoint(point: { blobs?: string[]; doubles?: number[]; indexes?: string[] }): void;
}

/** The bindings a flush uses (the Worker's `Env` has them; `METRICS_DATASET` only when bound). */
export interface MetricsBindings {
  METRICS: { getByName(name: string): MetricsSink };
}

let scheduledAt: number | null = null;
let lastFlushAt = 0;

export function metricsSink(env: MetricsBindings): MetricsSink {
  return env.METRICS.getByName(METRICS_INSTANCE);
}

function writeDataPoints(env: MetricsBindings, minutes: MinuteCounts[]): void {
  const dataset = (env as unknown as { METRICS_DATASET?: AnalyticsDataset }).METRICS_DATASET;
  if (dataset === undefined || typeof dataset.writeDataPoint !== "function") return;
  for (const m of minutes) {
    dataset.writeDataPoint({
      indexes: ["edge"],
      blobs: [new Date(m.minute * 60_000).toISOString()],
      doubles: [m.requests, m.blocked, m.wouldBlock, m.rateLimited, m.originCalls, m.cacheHits, ...m.status],
    });
  }
}

/** Sends everything counted so far; on failure the batch is kept for the next flush. */
export async function flushNow(env: MetricsBindings, eventsPerMinute: number, sink = metricsSink(env)): Promise<void> {
  const minutes = takePending();
  if (minutes.length === 0) return;
  lastFlushAt = Date.now();
  try {
    await sink.ingest({ minutes, eventsPerMinute });
  } catch (err) {
    restorePending(minutes.slice(-MAX_PENDING_MINUTES), eventsPerMinute);
    logLine("warn", "metrics flush failed: kept for the next one", { error: describeError(err).message });
    return;
  }
  try {
    writeDataPoints(env, minutes);
  } catch (err) {
    logLine("warn", "metrics data points not written", { error: describeError(err).message });
  }
}

/**
 * Makes sure a flush is coming: when none is scheduled, this request's `waitUntil` (asked for
 * only then) waits until `FLUSH_INTERVAL_MS` after the last flush and sends. Costs one
 * comparison when one is scheduled.
 */
export function scheduleFlush(
  env: MetricsBindings,
  eventsPerMinute: number,
  waitUntilOf: () => ((work: Promise<unknown>) => void) | undefined,
  now = Date.now(),
): void {
  if (scheduledAt !== null && now - scheduledAt < FLUSH_STALE_MS) return;
  if (!hasPending()) return;
  const waitUntil = waitUntilOf();
  if (waitUntil === undefined) return;
  // Its own mark: a flush given up as lost must not clear the mark of the one that replaced it.
  const mark = (scheduledAt = now);
  const delay = Math.max(0, lastFlushAt + FLUSH_INTERVAL_MS - now);
  waitUntil(
    (async () => {
      try {
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        await flushNow(env, eventsPerMinute);
      } finally {
        if (scheduledAt === mark) scheduledAt = null;
      }
    })(),
  );
}
