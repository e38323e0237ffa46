/**
 * What the edge counts per minute and sends to the `Metrics` Durable Object: the batch shape
 * (plain data, RPC-serializable) and the bounds both sides keep.
 */

/** Upper bounds (ms) of the latency histogram's buckets; the last bucket is everything above. */
// oxfmt-ignore
export const LATENCY_BOUNDS_MS = [
  1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1_000, 1_500, 2_000, 3_000, 5_000, 10_000, 30_000,
] as const;
export const LATENCY_BUCKETS = LATENCY_BOUNDS_MS.length + 1;

/** Breakdown dimensions: blocked by class and rule, would-block (log mode) by rule, rate-limited by policy, blocked by country, path and client address. */
export const DIMENSIONS = ["class", "rule", "wouldBlock", "policy", "country", "path", "ip"] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** Keys kept per dimension and minute (in an isolate and in storage); the rest add up under `OTHER_KEY`. */
export const MAX_KEYS_PER_DIMENSION = 50;
export const OTHER_KEY = "(other)";
/** Paths are counted by their first this many characters. */
export const MAX_PATH_CHARS = 256;

/** One security event: a request the filter blocked, or would have blocked (`log` mode). */
export interface SecurityEvent {
  /** Epoch ms. */
  at: number;
  requestId: string;
  ruleIds: string[];
  class: string | null;
  part: string | null;
  /** At most 120 sanitized characters of the deciding value (the filter makes it). */
  excerpt: string | null;
  action: "block" | "log";
  country: string | null;
  colo: string | null;
  ip: string | null;
  method: string;
  /** Without the query string. */
  path: string;
}

/** Counters of one minute of one isolate. */
export interface MinuteCounts {
  /** Epoch minute (`Math.floor(ms / 60_000)`). */
  minute: number;
  requests: number;
  /** Responses by status class: index 0 is 1xx … 4 is 5xx. */
  status: number[];
  blocked: number;
  wouldBlock: number;
  rateLimited: number;
  originCalls: number;
  cacheHits: number;
  /** `LATENCY_BUCKETS` counts. */
  latency: number[];
  /** Per dimension: key → count. */
  breakdown: Partial<Record<Dimension, Record<string, number>>>;
  /** Security events in this minute (sampled: at most the config's per-minute number are kept). */
  events: SecurityEvent[];
  eventsSeen: number;
}

/** What an isolate sends per flush. */
export interface MetricsBatch {
  minutes: MinuteCounts[];
  /** Security events kept per minute (the edge config's `metrics.securityEventsPerMinute`). */
  eventsPerMinute: number;
}

/** The bucket index of a latency. */
export function latencyBucket(ms: number): number {
  let i = 0;
  while (i < LATENCY_BOUNDS_MS.length && ms > LATENCY_BOUNDS_MS[i]!) i++;
  return i;
}

/**
 * The `p` quantile (0–1) of a histogram, interpolated inside its bucket; null when it is empty.
 * Values in the last (open) bucket are reported as its lower bound.
 */
export function quantile(counts: readonly number[], p: number): number | null {
  let total = 0;
  for (const n of counts) total += n;
  if (total === 0) return null;
  const rank = p * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i]!;
    if (n === 0) continue;
    if (seen + n >= rank) {
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
      const upper = LATENCY_BOUNDS_MS[i];
      if (upper === undefined) return lower;
      const at = lower + ((upper - lower) * (rank - seen)) / n;
      return Math.round(at * 100) / 100;
    }
    seen += n;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!;
}

/** The one Metrics object every isolate flushes to. */
export const METRICS_INSTANCE = "global";
/** How long minutes, breakdowns and security events are kept. */
export const RETENTION_MINUTES = 7 * 24 * 60;
/** Security events kept in all (the oldest go first). */
export const MAX_STORED_EVENTS = 10_000;

/** A time range of whole minutes, `[fromMinute, toMinute)`, cut into slots of `stepMinutes`. */
export interface MetricsQuery {
  fromMinute: number;
  toMinute: number;
  stepMinutes: number;
  /** Keys returned per breakdown. */
  top: number;
}

export interface EventsQuery {
  limit: number;
  /** Only events with a smaller id (the previous page's last id). */
  before?: number;
  rule?: string;
  class?: string;
  ip?: string;
  action?: "block" | "log";
}

export interface StoredEvent extends SecurityEvent {
  id: number;
}

/** One row of storage per minute, summed over isolates (breakdowns and events are stored apart). */
export type MinuteRow = Omit<MinuteCounts, "breakdown" | "events"> & { eventsKept: number };
