/**
 * What the metrics collection (src/lib/metrics) costs per request inside the isolate: the same
 * in-isolate loop (`in-isolate.ts`) with the edge config's `metrics.enabled` on, then off, then
 * on… in the same workerd, alternating so drift hits both alike. Timed by the CPU the workerd
 * process spends, so the collection's flushes to the Metrics object (at most one per 10 s) count
 * too; the request log lines are not written during these loops (the same for both sides, and
 * the largest source of the loop's noise). The bar: on − off ≤ 3 µs per request. The loop's noise (a few µs between loops) is
 * larger than the bar, so the table also gives the median of the paired differences (each "on"
 * loop against the "off" loop next to it) and, below it, the collection's own code timed alone
 * in Node (V8, the same JIT as workerd): what "on" adds to every request by construction.
 */
import { recordRequest, takePending, type RequestRecord } from "../src/lib/metrics/collect.ts";
import { scheduleFlush } from "../src/lib/metrics/flush.ts";
import { runLoop, setLoopMetrics, type LoopSpec } from "./in-isolate.ts";

const BAR_US = 3;

interface MetricsCase {
  name: string;
  spec: Omit<LoopSpec, "side" | "n">;
}

const CASES: MetricsCase[] = [
  { name: "GET /healthz (counted: status, latency)", spec: { path: "/healthz" } },
  {
    name: "GET /v1/geo?file=../../etc/passwd, blocked (also class, rule, country, path, address, a security event)",
    spec: {
      path: "/v1/geo?file=..%2F..%2F..%2Fetc%2Fpasswd",
      headers: { "x-dev-cf": JSON.stringify({ ip: "203.0.113.9", country: "DE" }) },
    },
  },
];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Runs the cases and returns the table's lines (markdown). */
export async function measureMetricsCost(loopUrl: URL, n: number, rounds: number): Promise<string[]> {
  const rows: string[] = [];
  for (const c of CASES) {
    const on: number[] = [];
    const off: number[] = [];
    process.stdout.write(`bench: metrics collection on vs off, ${c.name}…\n`);
    // Warm-up of both.
    for (const enabled of [true, false]) {
      await setLoopMetrics(loopUrl, enabled);
      await runLoop(loopUrl, { ...c.spec, side: "app", n: Math.min(n, 2_000), quietLog: true });
    }
    for (let r = 0; r < rounds; r++) {
      for (const enabled of r % 2 ? [false, true] : [true, false]) {
        await setLoopMetrics(loopUrl, enabled);
        (enabled ? on : off).push((await runLoop(loopUrl, { ...c.spec, side: "app", n, quietLog: true })).cpuUs);
      }
    }
    const a = median(on);
    const b = median(off);
    const diffs = on.map((x, i) => x - off[i]!).sort((x, y) => x - y);
    const paired = median(diffs);
    const q = (p: number) => diffs[Math.min(diffs.length - 1, Math.floor(p * diffs.length))]!;
    const spread = (xs: number[]) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;
    rows.push(
      `| ${c.name} | ${b.toFixed(1)} (${spread(off)}) | ${a.toFixed(1)} (${spread(on)}) | ${(a - b).toFixed(2)} | ${paired.toFixed(2)} (${q(0.25).toFixed(1)} to ${q(0.75).toFixed(1)}) |`,
    );
  }
  await setLoopMetrics(loopUrl, true);
  return [
    `Metrics collection on vs off (in-isolate loop of ${n} requests without the log line, workerd CPU µs/req, median (range) of ${rounds} alternating loops each; bar: ≤ ${BAR_US} µs more):`,
    "",
    "| case | off | on | on − off (medians) µs/req | on − off (paired: median, middle half) µs/req |",
    "|---|---:|---:|---:|---:|",
    ...rows,
    "",
    ...measureRecordCost(),
  ];
}

/** The collection's per-request code alone (recordRequest + scheduleFlush), in Node. */
export function measureRecordCost(calls = 2_000_000): string[] {
  const now = Date.now();
  const ordinary: RequestRecord = {
    now,
    status: 200,
    durationMs: 3.2,
    method: "GET",
    path: "/v1/geo",
    requestId: "b7c1e0a4-1f7e-4c55-9a11-0c3f2d1e9a10",
    visitor: { country: "DE", colo: "FRA", ip: "203.0.113.7" },
    fields: { waf: { action: "allow" } },
    eventsPerMinute: 100,
  };
  const blocked: RequestRecord = {
    ...ordinary,
    status: 403,
    fields: {
      waf: {
        action: "block",
        ruleId: "traversal-sensitive-file",
        class: "traversal",
        part: "query:file",
        excerpt: "../../../etc/passwd",
      },
    },
  };
  // A stand-in Metrics object: the flush itself is not what is timed here.
  const env = { METRICS: { getByName: () => ({ ingest: async () => ({}) }) } };
  const waitUntil = (work: Promise<unknown>) => void work.catch(() => {});
  const time = (record: RequestRecord) => {
    for (let i = 0; i < calls / 10; i++) recordRequest(record); // warm-up
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) {
      recordRequest(record);
      scheduleFlush(env, 100, () => waitUntil, now);
    }
    const ns = Number(process.hrtime.bigint() - t0) / calls;
    takePending();
    return ns;
  };
  const results = [
    ["an ordinary request (allowed, 200)", time(ordinary)],
    ["a blocked request (breakdowns, sampled security event)", time(blocked)],
  ] as const;
  return [
    `The collection's own code per request (recordRequest + scheduleFlush, Node ${process.version}, ${calls.toLocaleString("en-US")} calls):`,
    "",
    "| request | ns/request |",
    "|---|---:|",
    ...results.map(([name, ns]) => `| ${name} | ${ns.toFixed(0)} |`),
  ];
}
