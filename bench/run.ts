/**
 * `npm run bench`: serves the built Worker and a bare Hono baseline from workerd directly
 * (Miniflare, no wrangler dev proxy), drives each from a second process on loopback and
 * prints throughput and p50/p99 latency side by side, with the ratio to the baseline.
 *
 * Options (env): BENCH_SECONDS (default 8 per round), BENCH_CONNECTIONS (default 32),
 * BENCH_ROUNDS (default 2, rounds alternate baseline/case so drift hits both alike).
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { unstable_readConfig } from "wrangler";
import { DEV_AUDIENCE, DEV_ISSUER, loadOrCreateDevKeys } from "../dev/dev-keys.ts";
import { startStack } from "../dev/stack.ts";
import { wranglerBin } from "../dev/wrangler-bin.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);

interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  statusCounts: { "2xx": number; non2xx: number; errors: number; timeouts: number; byStatus: Record<string, number> };
}

/** A benchmark case: a request against the app, compared with the same load on the baseline. */
export interface BenchCase {
  name: string;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

const cases: BenchCase[] = [
  { name: "GET /healthz (request id, timing, trace, log line, edge config, body limit)", path: "/healthz" },
];

function build(configPath: string, outDir: string): string {
  execFileSync(process.execPath, [wranglerBin(), "deploy", "--dry-run", "--config", configPath, "--outdir", outDir], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  // The bundle is named after the entry file (index.js, worker.js, …).
  const bundle = readdirSync(outDir).find((f) => f.endsWith(".js"));
  if (!bundle) throw new Error(`no bundle in ${outDir}`);
  return join(outDir, bundle);
}

function load(url: string, c: BenchCase, durationSeconds: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(root, "bench/load.ts"), JSON.stringify({ url, connections, durationSeconds, method: c.method, headers: c.headers, body: c.body })],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop()!) as LoadResult) : reject(new Error(`load exited ${code}`))));
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main() {
  const work = mkdtempSync(join(tmpdir(), "edge-bench-"));
  const quiet = new Log(LogLevel.NONE);
  console.log(`bench: building the Worker and the baseline (wrangler deploy --dry-run)…`);
  const appScript = build(join(root, "wrangler.toml"), join(work, "app"));
  const baselineScript = build(join(root, "bench/baseline/wrangler.toml"), join(work, "baseline"));

  console.log("bench: starting the local stack…");
  const stack = await startStack({ dataDir: join(work, "data") });
  const keys = await loadOrCreateDevKeys(join(work, "data"));
  const config = unstable_readConfig({ config: join(root, "wrangler.toml") });

  const app = new Miniflare(convertV4MiniflareOptions({
    log: quiet,
    modules: true,
    scriptPath: appScript,
    modulesRoot: dirname(appScript),
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    durableObjects: { EDGE_CONFIG: { className: "EdgeConfig", useSQLite: true } },
    bindings: {
      ...config.vars,
      ...stack.vars,
      ENVIRONMENT: "development",
      JWT_ISSUER: DEV_ISSUER,
      JWT_AUDIENCE: DEV_AUDIENCE,
      JWT_PUBLIC_JWKS: JSON.stringify(keys.publicJwks),
    },
    // The Worker still writes its per-request log line (a real cost); the harness discards it.
    handleStructuredLogs: (log: { level: string; message: string }) => {
      if (log.level === "error" && process.env.BENCH_SHOW_ERRORS) console.error(log.message.slice(0, 2000));
    },
    port: 0,
    host: "127.0.0.1",
  }));
  const baseline = new Miniflare(convertV4MiniflareOptions({
    log: quiet,
    modules: true,
    scriptPath: baselineScript,
    modulesRoot: dirname(baselineScript),
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    port: 0,
    host: "127.0.0.1",
  }));
  const [appUrl, baselineUrl] = await Promise.all([app.ready, baseline.ready]);

  const rows: Array<{ name: string; baseline: LoadResult[]; app: LoadResult[] }> = [];
  try {
    for (const c of cases) {
      // Warm both (JIT, first DO read) before measuring.
      await load(new URL(c.path, baselineUrl).href, c, 2);
      await load(new URL(c.path, appUrl).href, c, 2);
      const row = { name: c.name, baseline: [] as LoadResult[], app: [] as LoadResult[] };
      for (let r = 0; r < rounds; r++) {
        process.stdout.write(`bench: ${c.name} — round ${r + 1}/${rounds}…\n`);
        row.baseline.push(await load(new URL(c.path, baselineUrl).href, c, seconds));
        row.app.push(await load(new URL(c.path, appUrl).href, c, seconds));
        for (const [side, result] of [["baseline", row.baseline.at(-1)!], ["case", row.app.at(-1)!]] as const) {
          const unexpected = Object.entries(result.statusCounts.byStatus).filter(([code]) => !code.startsWith("2"));
          if (unexpected.length) console.log(`bench: ${side} answered ${unexpected.map(([code, n]) => `${n}× ${code}`).join(", ")}`);
        }
      }
      rows.push(row);
    }
  } finally {
    await Promise.allSettled([app.dispose(), baseline.dispose()]);
    await stack.close();
    rmSync(work, { recursive: true, force: true });
  }

  const summary = rows.map((r) => {
    const b = { rps: median(r.baseline.map((x) => x.rps)), p50: median(r.baseline.map((x) => x.p50)), p99: median(r.baseline.map((x) => x.p99)) };
    const a = { rps: median(r.app.map((x) => x.rps)), p50: median(r.app.map((x) => x.p50)), p99: median(r.app.map((x) => x.p99)) };
    const failures = [...r.baseline, ...r.app].map((x) => x.statusCounts);
    const non2xx = `${failures.reduce((n, x) => n + x.non2xx, 0)}/${failures.reduce((n, x) => n + x.errors + x.timeouts, 0)}`;
    return { name: r.name, baseline: b, app: a, ratio: a.rps / b.rps, non2xx };
  });

  const lines = [
    `connections=${connections}, ${rounds} rounds × ${seconds}s per side, node ${process.version}`,
    "",
    "| case | baseline req/s | case req/s | ratio | baseline p50/p99 ms | case p50/p99 ms | non-2xx/errors |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...summary.map(
      (s) =>
        `| ${s.name} | ${s.baseline.rps.toFixed(0)} | ${s.app.rps.toFixed(0)} | ${(s.ratio * 100).toFixed(1)}% | ${s.baseline.p50}/${s.baseline.p99} | ${s.app.p50}/${s.app.p99} | ${s.non2xx} |`,
    ),
  ];
  console.log(`\n${lines.join("\n")}\n`);
  mkdirSync(join(root, "bench/results"), { recursive: true });
  writeFileSync(join(root, "bench/results/latest.md"), `${lines.join("\n")}\n`);
  console.log("bench: written to bench/results/latest.md");
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
