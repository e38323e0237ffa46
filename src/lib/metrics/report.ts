/**
 * The answer of `GET /v1/admin/metrics`, built from the stored minute rows and breakdown sums:
 * every series has one value per slot of `stepMinutes` (zeros where nothing was counted; null
 * latency where there were no requests), the totals and latency percentiles cover the whole
 * range, and each breakdown lists its `top` keys by count.
 */
import { LATENCY_BOUNDS_MS, LATENCY_BUCKETS, quantile, type MetricsQuery, type MinuteRow } from "./shape.ts";

export interface KeyCount {
  key: string;
  count: number;
}

export interface MetricsReport {
  from: string;
  to: string;
  stepSeconds: number;
  series: {
    /** Start of each slot, epoch seconds. */
    time: number[];
    requests: number[];
    blocked: number[];
    wouldBlock: number[];
    rateLimited: number[];
    status2xx: number[];
    status3xx: number[];
    status4xx: number[];
    status5xx: number[];
    originCalls: number[];
    cacheHits: number[];
    p50Ms: Array<number | null>;
    p95Ms: Array<number | null>;
    p99Ms: Array<number | null>;
  };
  totals: {
    requests: number;
    blocked: number;
    wouldBlock: number;
    rateLimited: number;
    originCalls: number;
    cacheHits: number;
    status: { "1xx": number; "2xx": number; "3xx": number; "4xx": number; "5xx": number };
    securityEvents: { seen: number; kept: number };
  };
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
  latencyHistogram: { boundsMs: number[]; counts: number[] };
  breakdowns: {
    classes: KeyCount[];
    rules: KeyCount[];
    wouldBlockRules: KeyCount[];
    rateLimitPolicies: KeyCount[];
    countries: KeyCount[];
    paths: KeyCount[];
    ips: KeyCount[];
  };
}

const BREAKDOWN_OF = {
  class: "classes",
  rule: "rules",
  wouldBlock: "wouldBlockRules",
  policy: "rateLimitPolicies",
  country: "countries",
  path: "paths",
  ip: "ips",
} as const;

export function buildReport(
  q: MetricsQuery,
  rows: readonly MinuteRow[],
  keys: ReadonlyArray<{ dim: string; key: string; n: number }>,
): MetricsReport {
  const slots = Math.max(0, Math.ceil((q.toMinute - q.fromMinute) / q.stepMinutes));
  const zeros = () => new Array<number>(slots).fill(0);
  const series: MetricsReport["series"] = {
    time: Array.from({ length: slots }, (_, i) => (q.fromMinute + i * q.stepMinutes) * 60),
    requests: zeros(),
    blocked: zeros(),
    wouldBlock: zeros(),
    rateLimited: zeros(),
    status2xx: zeros(),
    status3xx: zeros(),
    status4xx: zeros(),
    status5xx: zeros(),
    originCalls: zeros(),
    cacheHits: zeros(),
    p50Ms: new Array<number | null>(slots).fill(null),
    p95Ms: new Array<number | null>(slots).fill(null),
    p99Ms: new Array<number | null>(slots).fill(null),
  };
  const slotLatency = Array.from({ length: slots }, () => new Array<number>(LATENCY_BUCKETS).fill(0));
  const allLatency = new Array<number>(LATENCY_BUCKETS).fill(0);
  const status = [0, 0, 0, 0, 0];
  let seen = 0;
  let kept = 0;
  for (const r of rows) {
    const i = Math.floor((r.minute - q.fromMinute) / q.stepMinutes);
    if (i < 0 || i >= slots) continue;
    series.requests[i]! += r.requests;
    series.blocked[i]! += r.blocked;
    series.wouldBlock[i]! += r.wouldBlock;
    series.rateLimited[i]! += r.rateLimited;
    series.status2xx[i]! += r.status[1] ?? 0;
    series.status3xx[i]! += r.status[2] ?? 0;
    series.status4xx[i]! += r.status[3] ?? 0;
    series.status5xx[i]! += r.status[4] ?? 0;
    series.originCalls[i]! += r.originCalls;
    series.cacheHits[i]! += r.cacheHits;
    r.latency.forEach((n, b) => {
      slotLatency[i]![b]! += n;
      allLatency[b]! += n;
    });
    r.status.forEach((n, s) => (status[s]! += n));
    seen += r.eventsSeen;
    kept += r.eventsKept;
  }
  slotLatency.forEach((h, i) => {
    series.p50Ms[i] = quantile(h, 0.5);
    series.p95Ms[i] = quantile(h, 0.95);
    series.p99Ms[i] = quantile(h, 0.99);
  });
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);

  const breakdowns: MetricsReport["breakdowns"] = {
    classes: [],
    rules: [],
    wouldBlockRules: [],
    rateLimitPolicies: [],
    countries: [],
    paths: [],
    ips: [],
  };
  for (const { dim, key, n } of keys) {
    if (!Object.hasOwn(BREAKDOWN_OF, dim)) continue;
    breakdowns[BREAKDOWN_OF[dim as keyof typeof BREAKDOWN_OF]].push({ key, count: n });
  }
  for (const list of Object.values(breakdowns)) {
    list.sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1));
    list.splice(q.top);
  }

  return {
    from: new Date(q.fromMinute * 60_000).toISOString(),
    to: new Date(q.toMinute * 60_000).toISOString(),
    stepSeconds: q.stepMinutes * 60,
    series,
    totals: {
      requests: sum(series.requests),
      blocked: sum(series.blocked),
      wouldBlock: sum(series.wouldBlock),
      rateLimited: sum(series.rateLimited),
      originCalls: sum(series.originCalls),
      cacheHits: sum(series.cacheHits),
      status: { "1xx": status[0]!, "2xx": status[1]!, "3xx": status[2]!, "4xx": status[3]!, "5xx": status[4]! },
      securityEvents: { seen, kept },
    },
    latencyMs: { p50: quantile(allLatency, 0.5), p95: quantile(allLatency, 0.95), p99: quantile(allLatency, 0.99) },
    latencyHistogram: { boundsMs: [...LATENCY_BOUNDS_MS], counts: allLatency },
    breakdowns,
  };
}
