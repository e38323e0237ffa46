/**
 * `npm run bench`: serves the built Worker, a bare Hono baseline and the stock reference
 * (`bench/stock/worker.ts`: hono/jwk, cors, secure-headers, request-id, logger and
 * @upstash/ratelimit on the same Redis) from workerd directly (Miniflare, no wrangler dev
 * proxy), drives each from a second process on loopback and prints throughput and p50/p99
 * latency side by side, with the ratios ours/stock and ours/bare. It also reports each
 * Worker's bundle size (gzip) and startup CPU (`wrangler check startup`).
 *
 * Options (env): BENCH_SECONDS (default 8 per round), BENCH_CONNECTIONS (default 32),
 * BENCH_ROUNDS (default 2, rounds alternate baseline/case so drift hits both alike),
 * BENCH_LOOP_N (default 3000 requests per in-isolate loop, 0 skips that table),
 * BENCH_CPU_PROFILE=1 (sample the app's isolate in round 1 of each case; see cpu-profile.ts),
 * BENCH_ONLY=<text> (only the cases whose name contains it, case-insensitive; setups still run;
 * `metrics` runs the metrics collection table), BENCH_METRICS_N (default 10000 requests per loop
 * of the metrics collection on/off table, 0 skips it), BENCH_LOAD=0 (skip the load rounds and the
 * startup profiles: the in-isolate tables only), BENCH_LOOP_QUIET=1 (the in-isolate loops do not
 * write the request log lines), BENCH_CPU_PROFILE=loop (profile the in-isolate loops instead of the
 * load rounds; with either profile the Worker is built unminified so functions keep their names),
 * BENCH_LOOP_AGAINST=<git ref> (the in-isolate loops also run the app of that commit, bundled into
 * the same Worker and alternated with this tree's: an A/B that both sides see under the same load).
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer } from "node:net";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { unstable_readConfig } from "wrangler";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { DEV_AUDIENCE, DEV_ISSUER, loadOrCreateDevKeys, signDevToken } from "../dev/dev-keys.ts";
import { startStack } from "../dev/stack.ts";
import { wranglerBin } from "../dev/wrangler-bin.ts";
import { startCpuProfile, summarizeCpuProfile } from "./cpu-profile.ts";
import { filterCostTable, filterScenarios, type FilterCostRow } from "./filter-cost.ts";
import { runLoop, writeLoopEntry, type LoopResult } from "./in-isolate.ts";
import { measureMetricsCost } from "./metrics-cost.ts";
import { hostCpuMs, workerdCpuMs } from "./proc-cpu.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
/** `BENCH_CPU_PROFILE=1`: sample the app's isolate during the first round of each case (slows it down). */
const cpuProfile = !!process.env.BENCH_CPU_PROFILE;
const profileLoop = process.env.BENCH_CPU_PROFILE === "loop";
const loadRounds = process.env.BENCH_LOAD !== "0";
const loopQuiet = process.env.BENCH_LOOP_QUIET === "1";
const loopAgainst = process.env.BENCH_LOOP_AGAINST;
const loopN = Number(process.env.BENCH_LOOP_N ?? 3000);
const STARTUP_RUNS = 5;

interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  statusCounts: { "2xx": number; non2xx: number; errors: number; timeouts: number; byStatus: Record<string, number> };
  /** CPU µs per request of the workerd process under load (undefined without /proc). */
  workerdUs?: number;
  /** CPU µs per request of this host process (Miniflare receiving the Worker's log lines). */
  hostUs: number;
}

/** A benchmark case: a request against the app, compared with the same load on the baseline. */
export interface BenchCase {
  name: string;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Who answers: the app (default) or a reference Worker (`bench/baseline/*.ts`). */
  target?: "app" | "logFloor" | "configRead" | "securityFilter";
  /** Runs once before the case (e.g. an edge config change on the app). */
  setup?: () => Promise<void>;
  /** false: leave it out of the in-isolate loop (whose app instance has its own config). */
  loop?: false;
  /** The stock reference's path for the same work (`bench/stock/worker.ts`); none: no stock column. */
  stockPath?: string;
}

const cases: BenchCase[] = [
  {
    name: "GET /healthz (the whole middleware chain: request context, geo, edge config, body limit, security filter, policies)",
    path: "/healthz",
    stockPath: "/healthz",
  },
  // Not the app: the bare baseline plus only the contract's per-request log line. The gap it
  // shows is what one console.log line per request costs here, before any middleware.
  { name: "reference: bare handler + the per-request log line only", path: "/healthz", target: "logFloor" },
  // Not the app: the bare baseline plus only the edge config read (the real middleware).
  { name: "reference: bare handler + the edge config read only", path: "/healthz", target: "configRead" },
];

/** A checkout of `ref` in a temporary git worktree under `work`, sharing this tree's node_modules. */
function checkoutAgainst(ref: string, work: string): string {
  const dir = join(work, "against");
  execFileSync("git", ["worktree", "add", "--detach", "--quiet", dir, ref], { cwd: root });
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  return dir;
}

function build(configPath: string, outDir: string, entry?: string): string {
  const args = [
    wranglerBin(),
    "deploy",
    "--dry-run",
    "--config",
    configPath,
    "--outdir",
    outDir,
    ...(entry ? [entry] : []),
    // Profiles name functions only in an unminified bundle.
    ...(cpuProfile ? ["--minify=false"] : []),
  ];
  execFileSync(process.execPath, args, {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  // The bundle is named after the entry file (index.js, worker.js, …).
  const bundle = readdirSync(outDir).find((f) => f.endsWith(".js"));
  if (!bundle) throw new Error(`no bundle in ${outDir}`);
  return join(outDir, bundle);
}

interface StartupReport {
  name: string;
  /** wrangler's own figures for the bundle it uploads. */
  bundleKiB: number;
  gzipKiB: number;
  /** Active CPU ms of the startup profile (module evaluation + top-level code). */
  startupMs: number;
}

/**
 * Bundle size and startup CPU of one Worker, as `wrangler check startup` reports them (offline);
 * startup is the median of `STARTUP_RUNS` profiles (one profile varies by tens of ms here).
 */
function startupReport(name: string, configPath: string, outDir: string): StartupReport {
  mkdirSync(outDir, { recursive: true });
  const runs: Array<Omit<StartupReport, "name">> = [];
  for (let i = 0; i < STARTUP_RUNS; i++) {
    // `--cwd`, not `--config`: this wrangler's `check startup` builds the config of its cwd.
    const out = execFileSync(
      process.execPath,
      [
        wranglerBin(),
        "check",
        "startup",
        "--cwd",
        dirname(configPath),
        "--outfile",
        join(outDir, `${name}.cpuprofile`),
      ],
      {
        cwd: root,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
      },
    );
    const bundle = /Bundle:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/.exec(out);
    const active = /Active:\s*([\d.]+)\s*ms/.exec(out);
    if (!bundle || !active)
      throw new Error(`wrangler check startup: unexpected output for ${name}:\n${out.slice(-2000)}`);
    runs.push({ bundleKiB: Number(bundle[1]), gzipKiB: Number(bundle[2]), startupMs: Number(active[1]) });
  }
  return { name, ...runs[0]!, startupMs: median(runs.map((r) => r.startupMs)) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

function load(url: string, c: BenchCase, durationSeconds: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, "bench/load.ts")], { stdio: ["pipe", "pipe", "inherit"] });
    // On stdin: a 1 MB body does not fit in argv.
    child.stdin.end(
      JSON.stringify({ url, connections, durationSeconds, method: c.method, headers: c.headers, body: c.body }),
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split("\n").pop()!) as LoadResult)
        : reject(new Error(`load exited ${code}`)),
    );
  });
}

/** One load phase, with the CPU the serving side spent on it. */
async function measure(url: string, c: BenchCase, durationSeconds: number): Promise<LoadResult> {
  const w0 = workerdCpuMs();
  const h0 = hostCpuMs();
  const result = await load(url, c, durationSeconds);
  const w1 = workerdCpuMs();
  const n = Math.max(1, result.requests);
  result.hostUs = ((hostCpuMs() - h0) * 1000) / n;
  if (w0 !== undefined && w1 !== undefined) result.workerdUs = ((w1 - w0) * 1000) / n;
  return result;
}

const us = (x: number | undefined) => (x === undefined ? "–" : x.toFixed(0));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Puts one rate-limit policy on /v1/geo in the app's edge config (admin API, as an operator would). */
async function addRateLimitPolicy(
  appUrl: URL,
  adminToken: string,
  options: Record<string, unknown> = {},
): Promise<void> {
  const authorization = `Bearer ${adminToken}`;
  const current = await fetch(new URL("/v1/admin/config", appUrl), { headers: { authorization } });
  if (!current.ok) throw new Error(`GET /v1/admin/config: ${current.status} ${await current.text()}`);
  const { version, config } = (await current.json()) as { version: number; config: Record<string, unknown> };
  // A limit no benchmark reaches: every request is checked in Redis and allowed.
  const policy = {
    id: "bench-geo",
    match: { pathPrefix: "/v1/geo" },
    limit: 1_000_000,
    windowSeconds: 60,
    by: "ip",
    ...options,
  };
  const res = await fetch(new URL("/v1/admin/config", appUrl), {
    method: "PUT",
    headers: {
      authorization,
      "content-type": "application/json",
      "if-match": `"${version}"`,
      "x-change-reason": "bench: rate-limit case",
    },
    body: JSON.stringify({ ...config, rateLimits: [policy] }),
  });
  if (!res.ok) throw new Error(`PUT /v1/admin/config: ${res.status} ${await res.text()}`);
  // Every isolate revalidates within 2 s; the warm-up that follows covers it.
  const check = await fetch(new URL("/v1/geo", appUrl));
  if (!check.headers.get("ratelimit-policy")) console.log("bench: warning: the rate-limit policy is not in effect yet");
  await check.arrayBuffer();
}

async function main() {
  // Other processes on the same 2 cores move every number; the load average says how much.
  const loadAtStart = loadavg()[0]!;
  const work = mkdtempSync(join(tmpdir(), "edge-bench-"));
  const quiet = new Log(LogLevel.NONE);
  console.log(`bench: building the Worker and the baseline (wrangler deploy --dry-run)…`);
  const appScript = build(join(root, "wrangler.toml"), join(work, "app"));
  const baselineScript = build(join(root, "bench/baseline/wrangler.toml"), join(work, "baseline"));
  const logFloorScript = build(join(root, "bench/baseline/log-floor.toml"), join(work, "log-floor"));
  const configReadScript = build(join(root, "bench/baseline/config-read.toml"), join(work, "config-read"));
  const securityFilterScript = build(join(root, "bench/baseline/security-filter.toml"), join(work, "security-filter"));
  const stockScript = build(join(root, "bench/stock/wrangler.toml"), join(work, "stock"));
  if (loadRounds) console.log("bench: bundle size and startup CPU (wrangler check startup)…");
  const startup = loadRounds
    ? [
        startupReport("app", join(root, "wrangler.toml"), join(work, "startup")),
        startupReport("stock", join(root, "bench/stock/wrangler.toml"), join(work, "startup")),
        startupReport("bare", join(root, "bench/baseline/wrangler.toml"), join(work, "startup")),
      ]
    : [];
  const againstRoot = loopN > 0 && loopAgainst ? checkoutAgainst(loopAgainst, work) : undefined;
  const loopScript =
    loopN > 0
      ? build(join(root, "wrangler.toml"), join(work, "loop"), writeLoopEntry(root, work, againstRoot))
      : undefined;

  // The security filter's own cost per call, before anything else loads the machine, in a
  // process of its own: this one has loaded the dev stack, whose Redis client (ioredis) declares
  // a subclass of String, and from then on V8 runs string operations without its fast paths in
  // the whole process (the filter measured 45–70% slower here than alone). The Worker loads
  // nothing like it. Hostile bodies (Node only) are measured too: their cost per KiB must stay
  // flat as they grow.
  console.log("bench: security filter cost per call (Node, a process of its own)…");
  const scenarios = filterScenarios();
  const filterRows = JSON.parse(
    execFileSync(process.execPath, [join(root, "bench/filter-cost.ts"), "--json"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      maxBuffer: 16 * 1024 * 1024,
    }),
  ) as FilterCostRow[];
  for (const sc of scenarios.filter((s) => !s.coldCache)) {
    cases.push({
      name: `reference: bare handler + security filter only, ${sc.name}`,
      path: sc.path,
      method: sc.method,
      headers: sc.headers,
      body: sc.body,
      target: "securityFilter",
    });
  }

  console.log("bench: starting the local stack…");
  const stack = await startStack({ dataDir: join(work, "data") });
  const keys = await loadOrCreateDevKeys(join(work, "data"));
  // JWT cases: one ES256 token (the dev key) and one EdDSA token from a key made here.
  const ed = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  const edJwk = { ...(await exportJWK(ed.publicKey)), kid: "bench-ed", alg: "EdDSA" };
  const publicJwks = { keys: [...keys.publicJwks.keys, edJwk] };
  const es256Token = await signDevToken(keys, { sub: "bench", roles: ["viewer"], ttlSeconds: 3600 });
  const eddsaToken = await new SignJWT({ roles: ["viewer"] })
    .setProtectedHeader({ alg: "EdDSA", typ: "JWT", kid: "bench-ed" })
    .setIssuer(DEV_ISSUER)
    .setAudience(DEV_AUDIENCE)
    .setSubject("bench")
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(ed.privateKey);
  const berlin = JSON.stringify({
    country: "DE",
    continent: "EU",
    city: "Berlin",
    latitude: "52.52",
    longitude: "13.40",
    ip: "203.0.113.7",
  });
  cases.push(
    {
      name: "GET /v1/geo (geo + locale negotiation)",
      path: "/v1/geo",
      headers: { "x-dev-cf": berlin, "accept-language": "de-DE,de;q=0.9,en;q=0.5" },
      stockPath: "/v1/geo",
    },
    {
      name: "GET /v1/me, ES256 token (JWT verify + geo)",
      path: "/v1/me",
      headers: { authorization: `Bearer ${es256Token}`, "x-dev-cf": berlin },
      stockPath: "/v1/me",
    },
    {
      name: "GET /v1/me, EdDSA token (JWT verify + geo)",
      path: "/v1/me",
      headers: { authorization: `Bearer ${eddsaToken}`, "x-dev-cf": berlin },
      stockPath: "/v1/me",
    },
    // Last: they change the app's edge config. Compare with the GET /v1/geo row above; the
    // stock reference checks @upstash/ratelimit on every request of both (one Redis call each).
    {
      name: "GET /v1/geo with one rate-limit policy (by ip, sliding window, exact: one Redis call through the Upstash REST bridge)",
      path: "/v1/geo",
      headers: { "x-dev-cf": berlin, "accept-language": "de-DE,de;q=0.9,en;q=0.5" },
      setup: () => addRateLimitPolicy(appUrl, adminToken),
      loop: false,
      stockPath: "/ratelimited/v1/geo",
    },
    {
      name: "GET /v1/geo with one rate-limit policy, reserve: 100 (one Redis call per 100 requests per isolate and key)",
      path: "/v1/geo",
      headers: { "x-dev-cf": berlin, "accept-language": "de-DE,de;q=0.9,en;q=0.5" },
      setup: () => addRateLimitPolicy(appUrl, adminToken, { reserve: 100 }),
      loop: false,
      stockPath: "/ratelimited/v1/geo",
    },
  );
  const adminToken = await signDevToken(keys, { sub: "bench-admin", roles: ["admin"], ttlSeconds: 3600 });
  const config = unstable_readConfig({ config: join(root, "wrangler.toml") });

  const inspectorPort = cpuProfile ? await freePort() : undefined;
  // Every Durable Object binding of wrangler.toml, SQLite-backed as its migrations declare.
  const sqliteClasses = new Set(
    config.migrations.flatMap((m: { new_sqlite_classes?: string[] }) => m.new_sqlite_classes ?? []),
  );
  const durableObjects = Object.fromEntries(
    config.durable_objects.bindings.map((b: { name: string; class_name: string }) => [
      b.name,
      { className: b.class_name, useSQLite: sqliteClasses.has(b.class_name) },
    ]),
  );
  const appOptions = (scriptPath: string) => ({
    log: quiet,
    modules: true,
    scriptPath,
    modulesRoot: dirname(scriptPath),
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    durableObjects,
    bindings: {
      ...config.vars,
      ...stack.vars,
      ENVIRONMENT: "development",
      JWT_ISSUER: DEV_ISSUER,
      JWT_AUDIENCE: DEV_AUDIENCE,
      JWT_PUBLIC_JWKS: JSON.stringify(publicJwks),
    },
    // The Worker still writes its per-request log line (a real cost); the harness discards it.
    handleStructuredLogs: (log: { level: string; message: string }) => {
      if (log.level === "error" && process.env.BENCH_SHOW_ERRORS) console.error(log.message.slice(0, 2000));
    },
    port: 0,
    host: "127.0.0.1",
  });
  const bare = (scriptPath: string) => ({
    log: quiet,
    modules: true,
    scriptPath,
    modulesRoot: dirname(scriptPath),
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    // Discarded like the app's; only the log-floor reference writes any.
    handleStructuredLogs: () => {},
    port: 0,
    host: "127.0.0.1",
  });
  const app = new Miniflare(
    convertV4MiniflareOptions({
      ...appOptions(appScript),
      ...(inspectorPort && !profileLoop ? { inspectorPort } : {}),
    }),
  );
  const baseline = new Miniflare(convertV4MiniflareOptions(bare(baselineScript)));
  const logFloor = new Miniflare(convertV4MiniflareOptions(bare(logFloorScript)));
  const securityFilter = new Miniflare(convertV4MiniflareOptions(bare(securityFilterScript)));
  const stockApp = new Miniflare(
    convertV4MiniflareOptions({
      ...bare(stockScript),
      bindings: {
        UPSTASH_REDIS_REST_URL: stack.vars.UPSTASH_REDIS_REST_URL,
        UPSTASH_REDIS_REST_TOKEN: stack.vars.UPSTASH_REDIS_REST_TOKEN,
        JWT_ISSUER: DEV_ISSUER,
        JWT_AUDIENCE: DEV_AUDIENCE,
        JWT_PUBLIC_JWKS: JSON.stringify(publicJwks),
      },
    }),
  );
  const configRead = new Miniflare(
    convertV4MiniflareOptions({
      ...bare(configReadScript),
      durableObjects: { EDGE_CONFIG: { className: "EdgeConfig", useSQLite: true } },
    }),
  );
  const loop = loopScript
    ? new Miniflare(
        convertV4MiniflareOptions({
          ...appOptions(loopScript),
          ...(inspectorPort && profileLoop ? { inspectorPort } : {}),
        }),
      )
    : undefined;
  const [appUrl, baselineUrl, logFloorUrl, configReadUrl, securityFilterUrl, stockUrl] = await Promise.all([
    app.ready,
    baseline.ready,
    logFloor.ready,
    configRead.ready,
    securityFilter.ready,
    stockApp.ready,
  ]);
  const loopUrl = await loop?.ready;

  const rows: Array<{ name: string; baseline: LoadResult[]; app: LoadResult[]; stock: LoadResult[] }> = [];
  const loopRows: Array<{
    name: string;
    baseline: LoopResult[];
    logFloor: LoopResult[];
    app: LoopResult[];
    against: LoopResult[];
  }> = [];
  let metricsLines: string[] = [];
  try {
    const only = process.env.BENCH_ONLY?.toLowerCase();
    for (const c of cases) {
      if (!loadRounds || (only && !c.name.toLowerCase().includes(only))) {
        await c.setup?.();
        continue;
      }
      const caseUrl = {
        logFloor: logFloorUrl,
        configRead: configReadUrl,
        securityFilter: securityFilterUrl,
        app: appUrl,
      }[c.target ?? "app"];
      await c.setup?.();
      // Warm both (JIT, first DO read) before measuring.
      await load(new URL(c.path, baselineUrl).href, c, 2);
      await load(new URL(c.path, caseUrl).href, c, 2);
      if (c.stockPath) await load(new URL(c.stockPath, stockUrl).href, c, 2);
      const row = { name: c.name, baseline: [] as LoadResult[], app: [] as LoadResult[], stock: [] as LoadResult[] };
      for (let r = 0; r < rounds; r++) {
        process.stdout.write(`bench: ${c.name} — round ${r + 1}/${rounds}…\n`);
        row.baseline.push(await measure(new URL(c.path, baselineUrl).href, c, seconds));
        const stopProfile =
          inspectorPort && r === 0 && c.target === undefined ? await startCpuProfile(inspectorPort) : undefined;
        row.app.push(await measure(new URL(c.path, caseUrl).href, c, seconds));
        if (stopProfile) {
          const profile = await stopProfile();
          const file = join(root, `bench/results/cpu-${rows.length + 1}.cpuprofile`);
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, JSON.stringify(profile));
          console.log(
            `\nCPU profile of "${c.name}" (round 1, ${file}):\n\n${summarizeCpuProfile(profile, appScript)}\n`,
          );
        }
        if (c.stockPath) row.stock.push(await measure(new URL(c.stockPath, stockUrl).href, c, seconds));
        const sides: Array<[string, LoadResult]> = [
          ["baseline", row.baseline.at(-1)!],
          ["case", row.app.at(-1)!],
        ];
        if (c.stockPath) sides.push(["stock", row.stock.at(-1)!]);
        for (const [side, result] of sides) {
          const unexpected = Object.entries(result.statusCounts.byStatus).filter(([code]) => !code.startsWith("2"));
          if (unexpected.length)
            console.log(`bench: ${side} answered ${unexpected.map(([code, n]) => `${n}× ${code}`).join(", ")}`);
        }
      }
      rows.push(row);
    }
    for (const c of loopUrl
      ? cases.filter(
          (x) =>
            (x.target === undefined || x.target === "app") &&
            x.loop !== false &&
            (!only || x.name.toLowerCase().includes(only)),
        )
      : []) {
      const spec = { n: loopN, path: c.path, method: c.method, headers: c.headers, body: c.body, quietLog: loopQuiet };
      const row = {
        name: c.name,
        baseline: [] as LoopResult[],
        logFloor: [] as LoopResult[],
        app: [] as LoopResult[],
        against: [] as LoopResult[],
      };
      process.stdout.write(`bench: in-isolate loop, ${c.name}…\n`);
      // Warm-up, then alternate like the load rounds (twice as many: each loop is short).
      await runLoop(loopUrl!, { ...spec, side: "baseline" });
      await runLoop(loopUrl!, { ...spec, side: "app" });
      const stopProfile = inspectorPort && profileLoop ? await startCpuProfile(inspectorPort) : undefined;
      if (againstRoot) await runLoop(loopUrl!, { ...spec, side: "against" });
      for (let r = 0; r < Math.max(3, rounds * 2); r++) {
        row.baseline.push(await runLoop(loopUrl!, { ...spec, side: "baseline" }));
        row.logFloor.push(await runLoop(loopUrl!, { ...spec, side: "logFloor" }));
        row.app.push(await runLoop(loopUrl!, { ...spec, side: "app" }));
        if (againstRoot) row.against.push(await runLoop(loopUrl!, { ...spec, side: "against" }));
      }
      if (stopProfile) {
        const profile = await stopProfile();
        const file = join(root, `bench/results/cpu-loop-${loopRows.length + 1}.cpuprofile`);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, JSON.stringify(profile));
        console.log(
          `\nCPU profile of the in-isolate loops of "${c.name}" (baseline and case, ${file}):\n\n${summarizeCpuProfile(profile, loopScript!)}\n`,
        );
      }
      const unexpected = Object.entries(row.app.at(-1)!.statuses).filter(([code]) => !code.startsWith("2"));
      if (unexpected.length)
        console.log(`bench: in-isolate case answered ${unexpected.map(([code, n]) => `${n}× ${code}`).join(", ")}`);
      loopRows.push(row);
    }
    const metricsN = Number(process.env.BENCH_METRICS_N ?? 10_000);
    if (loopUrl && metricsN > 0 && (!only || "metrics collection".includes(only)))
      metricsLines = await measureMetricsCost(loopUrl, metricsN, Math.max(16, rounds * 8));
  } finally {
    await Promise.allSettled([
      app.dispose(),
      baseline.dispose(),
      logFloor.dispose(),
      configRead.dispose(),
      securityFilter.dispose(),
      stockApp.dispose(),
      ...(loop ? [loop.dispose()] : []),
    ]);
    await stack.close();
    if (againstRoot) execFileSync("git", ["worktree", "remove", "--force", againstRoot], { cwd: root });
    rmSync(work, { recursive: true, force: true });
  }

  const summary = rows.map((r) => {
    const side = (xs: LoadResult[]) => ({
      rps: median(xs.map((x) => x.rps)),
      p50: median(xs.map((x) => x.p50)),
      p99: median(xs.map((x) => x.p99)),
      workerdUs: xs.every((x) => x.workerdUs !== undefined) ? median(xs.map((x) => x.workerdUs!)) : undefined,
      hostUs: median(xs.map((x) => x.hostUs)),
    });
    const b = side(r.baseline);
    const a = side(r.app);
    const st = r.stock.length > 0 ? side(r.stock) : undefined;
    const failures = [...r.baseline, ...r.app, ...r.stock].map((x) => x.statusCounts);
    const non2xx = `${failures.reduce((n, x) => n + x.non2xx, 0)}/${failures.reduce((n, x) => n + x.errors + x.timeouts, 0)}`;
    return {
      name: r.name,
      baseline: b,
      app: a,
      stock: st,
      ratio: a.rps / b.rps,
      stockRatio: st ? a.rps / st.rps : undefined,
      non2xx,
    };
  });

  const lines = [
    `connections=${connections}, ${rounds} rounds × ${seconds}s per side, node ${process.version}, load average ${loadAtStart.toFixed(1)} at start / ${loadavg()[0]!.toFixed(1)} at end`,
    "",
    "Baseline: the bare Hono handler; stock: `bench/stock/worker.ts` (hono/jwk, cors, secure-headers, request-id, logger, @upstash/ratelimit); case: ours (or the named reference).",
    "",
    "| case | bare req/s | stock req/s | case req/s | ours/stock | ours/bare | bare p50/p99 ms | stock p50/p99 ms | case p50/p99 ms | workerd CPU µs/req bare/stock/case | host CPU µs/req bare/case | non-2xx/errors |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...summary.map(
      (s) =>
        `| ${s.name} | ${s.baseline.rps.toFixed(0)} | ${s.stock ? s.stock.rps.toFixed(0) : "–"} | ${s.app.rps.toFixed(0)} | ${s.stockRatio === undefined ? "–" : `${s.stockRatio.toFixed(2)}x`} | ${s.ratio.toFixed(2)}x | ${s.baseline.p50}/${s.baseline.p99} | ${s.stock ? `${s.stock.p50}/${s.stock.p99}` : "–"} | ${s.app.p50}/${s.app.p99} | ${us(s.baseline.workerdUs)}/${us(s.stock?.workerdUs)}/${us(s.app.workerdUs)} | ${us(s.baseline.hostUs)}/${us(s.app.hostUs)} | ${s.non2xx} |`,
    ),
    "",
    `Bundle and startup (\`wrangler check startup\`, local workerd; startup: the profile's active CPU, median of ${STARTUP_RUNS} runs):`,
    "",
    "| Worker | bundle KiB | gzip KiB | startup CPU ms |",
    "|---|---:|---:|---:|",
    ...startup.map(
      (x) => `| ${x.name} | ${x.bundleKiB.toFixed(1)} | ${x.gzipKiB.toFixed(1)} | ${x.startupMs.toFixed(1)} |`,
    ),
  ];
  if (loopRows.length) {
    lines.push(
      "",
      `In-isolate cost per request (fetch called ${loopN}× in a loop inside workerd; workerd CPU, median of ${Math.max(3, rounds * 2)} alternating loops):`,
      "",
      "Baseline: the bare handler. Bare + log line: the same plus one request log line like the app's (`bench/baseline/log-floor.ts`); here workerd writes each `console.log` to its stdout pipe (a write(2) per line), which production does not.",
      "",
      `| case | baseline CPU µs/req | bare + log line CPU µs/req | case CPU µs/req | case − baseline µs/req | case − (bare + log line) µs/req | baseline wall µs/req | case wall µs/req |${againstRoot ? ` ${loopAgainst} CPU µs/req | ${loopAgainst} − baseline µs/req | case − ${loopAgainst}, paired median µs/req |` : ""}`,
      `|---|---:|---:|---:|---:|---:|---:|---:|${againstRoot ? "---:|---:|---:|" : ""}`,
      ...loopRows.map((r) => {
        const b = median(r.baseline.map((x) => x.cpuUs));
        const l = median(r.logFloor.map((x) => x.cpuUs));
        const a = median(r.app.map((x) => x.cpuUs));
        const bw = median(r.baseline.map((x) => x.wallUs));
        const aw = median(r.app.map((x) => x.wallUs));
        let line = `| ${r.name} | ${b.toFixed(1)} | ${l.toFixed(1)} | ${a.toFixed(1)} | ${(a - b).toFixed(1)} | ${(a - l).toFixed(1)} | ${bw.toFixed(1)} | ${aw.toFixed(1)} |`;
        if (r.against.length) {
          const o = median(r.against.map((x) => x.cpuUs));
          const paired = median(r.app.map((x, i) => x.cpuUs - r.against[i]!.cpuUs));
          line += ` ${o.toFixed(1)} | ${(o - b).toFixed(1)} | ${paired.toFixed(1)} |`;
        }
        return line;
      }),
    );
  }
  if (metricsLines.length) lines.push("", ...metricsLines);
  lines.push("", ...filterCostTable(filterRows));
  console.log(`\n${lines.join("\n")}\n`);
  mkdirSync(join(root, "bench/results"), { recursive: true });
  writeFileSync(join(root, "bench/results/latest.md"), `${lines.join("\n")}\n`);
  console.log("bench: written to bench/results/latest.md");
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
