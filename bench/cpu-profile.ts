/**
 * CPU profiles of the Worker under load (`BENCH_CPU_PROFILE=1 npm run bench`): the V8 sampling
 * profiler of the Worker's isolate, driven over workerd's inspector (Chrome DevTools Protocol),
 * summarised as self time per bundled source module and per function.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Starts the sampling profiler in the isolate of worker `workerName` (Miniflare names the user worker `core:user:<name>`). */
export async function startCpuProfile(inspectorPort: number, workerName = ""): Promise<() => Promise<CpuProfile>> {
  const ws = new WebSocket(`ws://127.0.0.1:${inspectorPort}/core:user:${workerName}`);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve(), { once: true });
    ws.addEventListener("error", () => reject(new Error("cannot connect to the workerd inspector")), { once: true });
  });
  let nextId = 1;
  const pending = new Map<number, (result: unknown) => void>();
  ws.addEventListener("message", (ev: MessageEvent) => {
    const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: { message: string } };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.error ? new Error(msg.error.message) : msg.result);
  });
  const send = (method: string, params?: Record<string, unknown>) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, (r) => (r instanceof Error ? reject(r) : resolve(r)));
      ws.send(JSON.stringify({ id, method, params }));
    });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 100 });
  await send("Profiler.start");
  return async () => {
    const { profile } = (await send("Profiler.stop")) as { profile: CpuProfile };
    ws.close();
    return profile;
  };
}

/**
 * Module boundaries of an esbuild bundle: esbuild precedes each module's code with a
 * `// path/to/module.ts` comment line.
 */
function moduleIndex(bundlePath: string): (line: number) => string {
  const lines = readFileSync(bundlePath, "utf8").split("\n");
  const starts: Array<{ line: number; name: string }> = [];
  lines.forEach((l, i) => {
    const m = /^\/\/ (\S+\.[cm]?[jt]sx?)$/.exec(l);
    if (m) starts.push({ line: i, name: m[1]!.replace(/^(\.\.\/)+/, "").replace(/^.*node_modules\//, "") });
  });
  return (line) => {
    let lo = 0;
    let hi = starts.length - 1;
    let found = "(bundle prelude)";
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]!.line <= line) {
        found = starts[mid]!.name;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
}

/** Self time per module and per function, as text tables (top `top` rows each). */
export function summarizeCpuProfile(profile: CpuProfile, bundlePath: string, top = 25): string {
  const moduleOf = moduleIndex(bundlePath);
  const bundleUrl = basename(bundlePath);
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time before sample i; attribute the following interval to it.
    const dt = deltas[i + 1] ?? 0;
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + dt);
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0) || 1;
  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (!us) continue;
    const f = node.callFrame;
    // Bundle frames are attributed to their source module; workerd's own JS (e.g.
    // `node-internal:internal_inspect`, which formats console.log arguments) keeps its URL;
    // frames without a URL are V8/runtime states: (idle), (program), (garbage collector), or
    // native functions such as the Response constructor.
    const where = f.url === bundleUrl ? moduleOf(f.lineNumber) : f.url || `(${f.functionName || "native"})`;
    byModule.set(where, (byModule.get(where) ?? 0) + us);
    const fn = `${f.functionName || "(anonymous)"} ${f.url ? `${where}:${f.lineNumber + 1}` : "[native/runtime]"}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  const table = (title: string, m: Map<string, number>) =>
    [
      `| ${title} | self ms | share |`,
      "|---|---:|---:|",
      ...[...m.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([k, us]) => `| ${k} | ${(us / 1000).toFixed(0)} | ${((us / total) * 100).toFixed(1)}% |`),
    ].join("\n");
  return `${table("module", byModule)}\n\n${table("function", byFunction)}`;
}
