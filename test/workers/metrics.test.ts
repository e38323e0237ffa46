/**
 * The edge's counters and security events end to end inside workerd: real requests through the
 * whole chain (security filter, rate limits with the real Redis, routes) are counted in this
 * isolate, flushed to the real Metrics Durable Object and read back through the admin API;
 * the object's bounds (keys per minute, the event ring, retention) are checked on named
 * instances of their own, so other tests' traffic does not change them.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { rateLimitPolicySchema, type EdgeConfigDocument } from "../../src/lib/config/schema.ts";
import { metricsQuery, parseTime } from "../../src/lib/metrics/api.ts";
import { emptyMinute } from "../../src/lib/metrics/collect.ts";
import { flushNow } from "../../src/lib/metrics/flush.ts";
import {
  latencyBucket,
  LATENCY_BUCKETS,
  MAX_KEYS_PER_DIMENSION,
  MAX_STORED_EVENTS,
  METRICS_INSTANCE,
  OTHER_KEY,
  quantile,
  type MinuteCounts,
  type SecurityEvent,
} from "../../src/lib/metrics/shape.ts";
import { bearer, problemOf, updateConfig, worker } from "./helpers.ts";

const run = crypto.randomUUID().slice(0, 8);
let ipCounter = 0;
const freshIp = () => `203.0.113.${(++ipCounter % 250) + 1}`;
const from = (ip: string) => ({ "x-dev-cf": JSON.stringify({ ip, country: "NZ", colo: "AKL" }) });

const TRAVERSAL = "/v1/geo?file=..%2F..%2F..%2Fetc%2Fpasswd";
const UNION = "/v1/geo?q=1%27%20UNION%20SELECT%20password%2C1%20FROM%20users--";

interface Report {
  from: string;
  stepSeconds: number;
  series: Record<string, Array<number | null>>;
  totals: {
    requests: number;
    blocked: number;
    wouldBlock: number;
    rateLimited: number;
    securityEvents: { seen: number; kept: number };
  };
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
  breakdowns: Record<string, Array<{ key: string; count: number }>>;
}
interface EventsPage {
  events: Array<Omit<SecurityEvent, "at"> & { id: number; at: string }>;
  next: number | null;
}

async function admin(path: string): Promise<Response> {
  return worker(path, { headers: { authorization: await bearer("ops", ["admin"]) } });
}
async function adminJson<T>(path: string): Promise<T> {
  const res = await admin(path);
  if (res.status !== 200) throw new Error(`${path} → ${res.status}: ${await res.text()}`);
  expect(res.headers.get("cache-control")).toBe("no-store");
  return (await res.json()) as T;
}

async function patchConfig(change: (config: EdgeConfigDocument) => void): Promise<void> {
  const put = await updateConfig(change);
  expect(put.status, await put.clone().text()).toBe(200);
}

const countOf = (list: Array<{ key: string; count: number }> | undefined, key: string) =>
  list?.find((k) => k.key === key)?.count ?? 0;

function minute(at: number, extra: Partial<MinuteCounts> = {}): MinuteCounts {
  return { ...emptyMinute(Math.floor(at / 60_000)), ...extra };
}

function event(at: number, i: number): SecurityEvent {
  return {
    at,
    requestId: `req-${i}`,
    ruleIds: ["sqli-union-select"],
    class: "sqli",
    part: "query:q",
    excerpt: "1' UNION SELECT",
    action: "block",
    country: "DE",
    colo: "FRA",
    ip: "192.0.2.1",
    method: "GET",
    path: "/x",
  };
}

describe("metrics API: access and parameters", () => {
  it("answers 401 without a token and 403 to a non-admin on both routes", async () => {
    for (const path of ["/v1/admin/metrics", "/v1/admin/security-events"]) {
      expect((await worker(path)).status).toBe(401);
      const res = await worker(path, { headers: { authorization: await bearer("bob", ["user"]) } });
      expect(res.status).toBe(403);
      expect((await problemOf(res)).type).toMatch(/\/forbidden$/);
    }
  });

  it("answers 400 problem+json naming what is wrong with a parameter", async () => {
    const cases: Array<[string, RegExp]> = [
      ["/v1/admin/metrics?from=yesterday", /from: an ISO 8601 time/],
      ["/v1/admin/metrics?from=-1h&to=-2h", /from must be before to/],
      ["/v1/admin/metrics?step=61", /step/],
      ["/v1/admin/metrics?from=-7d&step=60", /at most 1440 slots/],
      ["/v1/admin/metrics?from=-30d", /longer than the 7 days/],
      ["/v1/admin/security-events?limit=0", /limit/],
      ["/v1/admin/security-events?rule=%27%3Bdrop", /rule/],
      ["/v1/admin/security-events?action=allow", /action/],
    ];
    for (const [path, detail] of cases) {
      const res = await admin(path);
      expect(res.status, path).toBe(400);
      const p = await problemOf(res);
      expect(`${p.detail} ${JSON.stringify(p.errors ?? [])}`, path).toMatch(detail);
    }
  });

  it("reads ISO and relative times and picks a step that gives at most 400 slots", () => {
    const now = Date.parse("2026-12-05T12:00:30Z");
    expect(parseTime("-90m", now)).toBe(now - 90 * 60_000);
    expect(parseTime("2026-12-05T11:00:00Z", now)).toBe(Date.parse("2026-12-05T11:00:00Z"));
    expect(parseTime("2026-12-05T11:00:00+01:00", now)).toBe(Date.parse("2026-12-05T10:00:00Z"));
    expect(parseTime("Dec 5 2026", now)).toBeNull();
    expect(parseTime("-1y", now)).toBeNull();
    expect(metricsQuery({}, now)).toMatchObject({ stepMinutes: 1 });
    expect(metricsQuery({ from: "-24h" }, now)).toMatchObject({ stepMinutes: 5 });
    expect(metricsQuery({ from: "-7d" }, now)).toMatchObject({ stepMinutes: 30 });
    const q = metricsQuery({ from: "-1h", step: 300 }, now);
    expect(q).toMatchObject({ stepMinutes: 5 });
    if ("error" in q) throw new Error(q.error);
    expect(q.fromMinute % 5).toBe(0);
    expect(q.toMinute).toBe(Math.ceil(now / 60_000));
  });

  it("latency percentiles come from the fixed buckets, interpolated inside the bucket", () => {
    expect(latencyBucket(0.2)).toBe(0);
    expect(latencyBucket(1)).toBe(0);
    expect(latencyBucket(1.01)).toBe(1);
    expect(latencyBucket(1e9)).toBe(LATENCY_BUCKETS - 1);
    const h = new Array<number>(LATENCY_BUCKETS).fill(0);
    expect(quantile(h, 0.5)).toBeNull();
    h[latencyBucket(12)] = 100; // (10, 15]
    expect(quantile(h, 0.5)).toBe(12.5);
    expect(quantile(h, 0.99)).toBeCloseTo(14.95, 5);
    h[LATENCY_BUCKETS - 1] = 100; // above 30 s
    expect(quantile(h, 0.99)).toBe(30_000);
  });
});

describe.sequential("metrics from real requests through the chain", () => {
  const policy = `metrics-${run}`;
  const ip = freshIp();

  it("blocks, would-blocks and rate limits are counted and their events kept; the admin API shows them after a flush", async () => {
    await patchConfig((config) => {
      config.rateLimits = [
        rateLimitPolicySchema.parse({
          id: policy,
          match: { pathPrefix: `/v1/content/metrics-${run}` },
          limit: 1,
          windowSeconds: 60,
        }),
      ];
      config.security.ruleActions = { "sqli-union-select": "log" };
    });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await worker(TRAVERSAL, { headers: from(ip) })).status);
    for (let i = 0; i < 2; i++) statuses.push((await worker(UNION, { headers: from(ip) })).status);
    for (let i = 0; i < 2; i++)
      statuses.push((await worker(`/v1/content/metrics-${run}`, { headers: from(ip) })).status);
    expect(statuses.slice(0, 3)).toEqual([403, 403, 403]);
    expect(statuses.slice(3, 5)).toEqual([200, 200]);
    expect(statuses[6]).toBe(429);

    const report = await adminJson<Report>("/v1/admin/metrics?from=-10m");
    expect(report.stepSeconds).toBe(60);
    expect(countOf(report.breakdowns.ips, ip)).toBe(3);
    expect(countOf(report.breakdowns.countries, "NZ")).toBeGreaterThanOrEqual(3);
    expect(countOf(report.breakdowns.paths, "/v1/geo")).toBeGreaterThanOrEqual(3);
    expect(countOf(report.breakdowns.classes, "traversal")).toBeGreaterThanOrEqual(3);
    expect(report.breakdowns.rules!.some((r) => r.key.startsWith("traversal-") && r.count >= 3)).toBe(true);
    expect(countOf(report.breakdowns.wouldBlockRules, "sqli-union-select")).toBeGreaterThanOrEqual(2);
    expect(countOf(report.breakdowns.rateLimitPolicies, policy)).toBe(1);
    expect(report.totals.blocked).toBeGreaterThanOrEqual(3);
    expect(report.totals.rateLimited).toBeGreaterThanOrEqual(1);
    // The series add up to the totals, and every request has a latency.
    const sum = (k: string) => report.series[k]!.reduce<number>((a, b) => a + (b ?? 0), 0);
    expect(sum("requests")).toBe(report.totals.requests);
    expect(sum("blocked")).toBe(report.totals.blocked);
    expect(report.totals.requests).toBeGreaterThanOrEqual(7);
    expect(report.latencyMs.p50).not.toBeNull();
    expect(report.series.time!.length).toBe(report.series.requests!.length);
  });

  it("security events carry what the contract names, filter by rule, class, ip and action, and page", async () => {
    const page = await adminJson<EventsPage>(`/v1/admin/security-events?ip=${ip}`);
    expect(page.events).toHaveLength(5);
    expect(page.events.map((e) => e.action)).toEqual(["log", "log", "block", "block", "block"]);
    const blocked = page.events[4]!;
    expect(blocked).toMatchObject({
      class: "traversal",
      part: "query:file",
      country: "NZ",
      colo: "AKL",
      ip,
      method: "GET",
      path: "/v1/geo",
    });
    expect(blocked.ruleIds[0]).toMatch(/^traversal-/);
    expect(blocked.excerpt!.length).toBeLessThanOrEqual(120);
    expect(blocked.excerpt).toContain("etc/passwd");
    expect(new Date(blocked.at).getTime()).toBeGreaterThan(Date.now() - 600_000);
    expect(blocked.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(page.events[0]).toMatchObject({ action: "log", ruleIds: ["sqli-union-select"], class: "sqli" });

    const byRule = await adminJson<EventsPage>(`/v1/admin/security-events?ip=${ip}&rule=sqli-union-select`);
    expect(byRule.events.map((e) => e.action)).toEqual(["log", "log"]);
    const byClass = await adminJson<EventsPage>(`/v1/admin/security-events?ip=${ip}&class=traversal`);
    expect(byClass.events).toHaveLength(3);
    const logs = await adminJson<EventsPage>(`/v1/admin/security-events?ip=${ip}&action=log`);
    expect(logs.events).toHaveLength(2);

    const first = await adminJson<EventsPage>(`/v1/admin/security-events?ip=${ip}&limit=3`);
    expect(first.events).toHaveLength(3);
    expect(first.next).toBe(first.events[2]!.id);
    // A page that holds exactly what is left is the last one.
    const exact = await adminJson<EventsPage>(`/v1/admin/security-events?ip=${ip}&limit=5`);
    expect(exact.events).toHaveLength(5);
    expect(exact.next).toBeNull();
    const second = await adminJson<EventsPage>(`/v1/admin/security-events?ip=${ip}&limit=3&before=${first.next}`);
    expect(second.events.map((e) => e.id)).toEqual(page.events.slice(3).map((e) => e.id));
    expect(second.next).toBeNull();
  });

  it("without an admin read, the isolate's own flush (at most every 10 s, from waitUntil) brings them to the Metrics object", async () => {
    const late = freshIp();
    expect((await worker(TRAVERSAL, { headers: from(late) })).status).toBe(403);
    const metrics = env.METRICS.getByName(METRICS_INSTANCE);
    // Not there yet: nothing flushes sooner than 10 s after the last flush (the admin reads above).
    expect(await metrics.events({ limit: 10, ip: late })).toHaveLength(0);
    await vi.waitFor(async () => expect(await metrics.events({ limit: 10, ip: late })).toHaveLength(1), {
      timeout: 15_000,
      interval: 250,
    });
  }, 30_000);

  it("a burst of requests while admins read (and so flush) is counted exactly once each", async () => {
    const burst = freshIp();
    const sent = Array.from({ length: 40 }, () => worker(TRAVERSAL, { headers: from(burst) }));
    const reads = Array.from({ length: 3 }, () => adminJson<Report>("/v1/admin/metrics?from=-10m"));
    const statuses = await Promise.all(sent.map(async (r) => (await r).status));
    await Promise.all(reads);
    expect(statuses.every((s) => s === 403)).toBe(true);
    const report = await adminJson<Report>("/v1/admin/metrics?from=-10m");
    expect(countOf(report.breakdowns.ips, burst)).toBe(40);
  });

  it("a flush the Metrics object does not take keeps its counts for the next flush", async () => {
    const kept = freshIp();
    expect((await worker(TRAVERSAL, { headers: from(kept) })).status).toBe(403);
    // The object unreachable (a stand-in that fails like a broken connection).
    const unreachable = { ingest: () => Promise.reject(new Error("network connection lost")) };
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    await flushNow(env, 100, unreachable);
    expect(warn.mock.calls.map((c) => String(c[0])).join("\n")).toContain("metrics flush failed");
    warn.mockRestore();
    const report = await adminJson<Report>("/v1/admin/metrics?from=-10m");
    expect(countOf(report.breakdowns.ips, kept)).toBe(1);
  });

  it("more security events in a minute than the config keeps are sampled; the counts stay exact", async () => {
    await patchConfig((config) => {
      config.metrics = { enabled: true, securityEventsPerMinute: 4 };
    });
    const sampled = freshIp();
    await Promise.all(Array.from({ length: 20 }, () => worker(TRAVERSAL, { headers: from(sampled) })));
    const report = await adminJson<Report>("/v1/admin/metrics?from=-10m");
    expect(countOf(report.breakdowns.ips, sampled)).toBe(20);
    const page = await adminJson<EventsPage>(`/v1/admin/security-events?ip=${sampled}`);
    // At most 4 per minute across the whole edge (the 20 may straddle a minute boundary).
    const perMinute = new Map<string, number>();
    for (const e of page.events) perMinute.set(e.at.slice(0, 16), (perMinute.get(e.at.slice(0, 16)) ?? 0) + 1);
    for (const n of perMinute.values()) expect(n).toBeLessThanOrEqual(4);
    expect(page.events.length).toBeLessThan(20);
    expect(report.totals.securityEvents.seen).toBeGreaterThan(report.totals.securityEvents.kept);
  });

  it("with metrics.enabled off nothing is counted", async () => {
    await patchConfig((config) => {
      config.metrics = { enabled: false, securityEventsPerMinute: 100 };
    });
    const quiet = freshIp();
    expect((await worker(TRAVERSAL, { headers: from(quiet) })).status).toBe(403);
    const report = await adminJson<Report>("/v1/admin/metrics?from=-10m");
    expect(countOf(report.breakdowns.ips, quiet)).toBe(0);
    await patchConfig((config) => {
      config.metrics = { enabled: true, securityEventsPerMinute: 100 };
      config.security.ruleActions = {};
      config.rateLimits = [];
    });
  });
});

describe("the Metrics object's bounds", () => {
  it("keeps 50 keys per dimension and minute and sums the rest under (other)", async () => {
    const store = env.METRICS.getByName(`bounds-keys-${run}`);
    const now = Date.now();
    const paths: Record<string, number> = {};
    for (let i = 0; i < 120; i++) paths[`/p/${i}`] = i + 1;
    await store.ingest({ minutes: [minute(now, { blocked: 7260, breakdown: { path: paths } })], eventsPerMinute: 10 });
    // A second isolate's flush for the same minute with new keys.
    await store.ingest({
      minutes: [minute(now, { blocked: 10, breakdown: { path: { "/p/new": 10 } } })],
      eventsPerMinute: 10,
    });
    const report = await store.report({
      fromMinute: Math.floor(now / 60_000),
      toMinute: Math.floor(now / 60_000) + 1,
      stepMinutes: 1,
      top: 1_000,
    });
    const keys = report.breakdowns.paths;
    expect(keys.length).toBe(MAX_KEYS_PER_DIMENSION);
    expect(keys.reduce((a, k) => a + k.count, 0)).toBe(7260 + 10);
    expect(keys[0]).toEqual({ key: OTHER_KEY, count: expect.any(Number) });
    expect(countOf(keys, "/p/119")).toBe(120);
    expect(report.totals.blocked).toBe(7270);
  });

  it("keeps at most the batch's events per minute over all flushes and 10,000 in all, newest kept", async () => {
    const store = env.METRICS.getByName(`bounds-events-${run}`);
    const now = Date.now();
    const perMinute = 1_000;
    // 11 minutes of 1,000 events each: the ring keeps the last 10,000.
    for (let m = 10; m >= 0; m--) {
      const at = now - m * 60_000;
      const events = Array.from({ length: perMinute }, (_, i) => event(at, m * perMinute + i));
      await store.ingest({ minutes: [minute(at, { events, eventsSeen: perMinute })], eventsPerMinute: perMinute });
    }
    // A further flush for the current minute finds it full.
    const more = await store.ingest({
      minutes: [minute(now, { events: [event(now, -1)], eventsSeen: 1 })],
      eventsPerMinute: perMinute,
    });
    expect(more.events).toBe(0);
    const all = await store.events({ limit: 500 });
    expect(all[0]!.requestId).toBe("req-999");
    let count = 0;
    let before: number | undefined;
    for (;;) {
      const page = await store.events({ limit: 500, ...(before ? { before } : {}) });
      count += page.length;
      if (page.length < 500) break;
      before = page[page.length - 1]!.id;
    }
    expect(count).toBe(MAX_STORED_EVENTS);
  });

  it("does not store minutes older than the 7 days kept or from a clock far ahead", async () => {
    const store = env.METRICS.getByName(`bounds-time-${run}`);
    const now = Date.now();
    const written = await store.ingest({
      minutes: [
        minute(now - 8 * 86_400_000, { requests: 5 }),
        minute(now + 3_600_000, { requests: 5 }),
        minute(now, { requests: 1 }),
      ],
      eventsPerMinute: 10,
    });
    expect(written.minutes).toBe(1);
  });

  it("a flush also writes a data point per minute to an Analytics Engine dataset when one is bound", async () => {
    const points: unknown[] = [];
    const dataset = { writeDataPoint: (p: unknown) => points.push(p) };
    await worker("/healthz");
    await flushNow({ ...env, METRICS_DATASET: dataset } as unknown as Env, 100);
    expect(points.length).toBeGreaterThanOrEqual(1);
    expect(points[0]).toMatchObject({ indexes: ["edge"], doubles: expect.any(Array), blobs: [expect.any(String)] });
  });
});
