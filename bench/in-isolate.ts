/**
 * In-isolate cost per request: the Worker's and the baseline's `fetch` called in a loop inside
 * one workerd request (no sockets, no HTTP parsing, no Miniflare entry worker), timed by the
 * CPU the workerd process spends. The difference between the two is what the app's own code
 * costs per request. It moves far less with machine load than req/s does, so it is the number
 * to compare when changing middleware. `request.cf` is a plain object here (workerd parses the
 * real one lazily from JSON on first access), and each log line is written as usual.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { workerdCpuMs } from "./proc-cpu.ts";

export const LOOP_PATH = "/__bench/loop";
export const METRICS_SWITCH_PATH = "/__bench/metrics";

export interface LoopSpec {
  /** against: the app of another commit (`BENCH_LOOP_AGAINST`), in the same isolate. */
  side: "app" | "baseline" | "against" | "logFloor";
  n: number;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Do not write the request log lines during the loop. */
  quietLog?: boolean;
}

/**
 * Writes the entry module for the loop Worker: the app's own entry (`src/index.ts`, so its
 * Durable Object classes are exported too) plus the loop route, which no app path can reach
 * because the Worker built from it serves only the benchmark. With `againstRoot` (a checkout of
 * another commit), that commit's app is bundled too, as the loop's `against` side.
 */
export function writeLoopEntry(root: string, dir: string, againstRoot?: string): string {
  const file = join(dir, "loop-entry.ts");
  const against = againstRoot
    ? `import against from ${JSON.stringify(join(againstRoot, "src/index.ts"))};`
    : "const against = undefined;";
  const source = `
import worker from ${JSON.stringify(join(root, "src/index.ts"))};
${against}
import { adoptConfig } from ${JSON.stringify(join(root, "src/lib/config/client.ts"))};
import baseline from ${JSON.stringify(join(root, "bench/baseline/worker.ts"))};
import logFloor from ${JSON.stringify(join(root, "bench/baseline/log-floor.ts"))};
export * from ${JSON.stringify(join(root, "src/index.ts"))};

// What Cloudflare (and Miniflare) put on request.cf, in short.
const cf = { country: "US", colo: "DFW", continent: "NA", city: "Dallas", region: "Texas", timezone: "America/Chicago", latitude: "32.78", longitude: "-96.80", asn: 7922 };

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === ${JSON.stringify(METRICS_SWITCH_PATH)}) {
      // The edge config's metrics.enabled, written to the EdgeConfig object and adopted by this isolate at once.
      const store = env.EDGE_CONFIG.getByName("global");
      const current = await store.current();
      const config = { ...current.config, metrics: { ...current.config.metrics, enabled: url.searchParams.get("on") === "1" } };
      const written = await store.write({ document: config, expectedVersion: current.version, author: "bench" });
      if (!written.ok) return Response.json(written, { status: 500 });
      adoptConfig({ version: written.version, config });
      return Response.json(written);
    }
    if (url.pathname !== ${JSON.stringify(LOOP_PATH)}) return new Response("not found", { status: 404 });
    const spec = JSON.parse(url.searchParams.get("spec") ?? "{}");
    const target = { baseline, against, logFloor, app: worker }[spec.side as string];
    if (target === undefined) return new Response("no against side in this build", { status: 400 });
    const statuses: Record<string, number> = {};
    // quietLog: the request log lines are not written during the loop (the same for both sides
    // of a comparison; their cost and its noise are measured elsewhere).
    const log = console.log;
    if (spec.quietLog) console.log = () => {};
    try {
      for (let i = 0; i < spec.n; i++) {
        const init = { method: spec.method ?? "GET", headers: spec.headers ?? {}, body: spec.body ?? null, cf } as RequestInit;
        const res = await target.fetch(new Request(new URL(spec.path, "https://edge.test"), init), env, ctx);
        await res.arrayBuffer();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      }
    } finally {
      console.log = log;
    }
    return Response.json(statuses);
  },
};
`;
  writeFileSync(file, source);
  return file;
}

export interface LoopResult {
  /** workerd CPU µs per request (from the threads' nanosecond counters, or 10 ms ticks without them). */
  cpuUs: number;
  /** Wall µs per request. */
  wallUs: number;
  statuses: Record<string, number>;
}

export async function runLoop(baseUrl: URL, spec: LoopSpec): Promise<LoopResult> {
  const cpu0 = workerdCpuMs() ?? 0;
  const t0 = performance.now();
  const res = await fetch(new URL(`${LOOP_PATH}?spec=${encodeURIComponent(JSON.stringify(spec))}`, baseUrl));
  const statuses = (await res.json()) as Record<string, number>;
  const wallUs = ((performance.now() - t0) * 1000) / spec.n;
  const cpuUs = (((workerdCpuMs() ?? 0) - cpu0) * 1000) / spec.n;
  return { cpuUs, wallUs, statuses };
}

/** Turns the loop Worker's metrics collection (`metrics.enabled` of its edge config) on or off. */
export async function setLoopMetrics(baseUrl: URL, on: boolean): Promise<void> {
  const res = await fetch(new URL(`${METRICS_SWITCH_PATH}?on=${on ? 1 : 0}`, baseUrl));
  if (!res.ok) throw new Error(`bench: switching metrics ${on ? "on" : "off"} failed: ${await res.text()}`);
}
