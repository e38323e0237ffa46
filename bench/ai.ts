/**
 * `npm run bench:ai`: the AI quality bars, measured.
 *
 * 1. Edge latency: the built Worker (with the AI routes) served by workerd (Miniflare) against
 *    the real local stack. POST /v1/ai/ask for an exact-cache hit, a semantic-cache hit, the
 *    origin path (a new question each time; the dev origin answers in a few ms, so this is
 *    the edge's own overhead plus one local origin round trip), the streamed origin path's time
 *    to first byte, and the degraded answer while the breaker is open. p50/p99 each, and the
 *    number of origin calls during the cache phases (must be 0).
 * 2. Vector index: recall@10 of the search path (`vector_top_k` over the chunk vector index of
 *    the real migrations, joined to the table and re-ranked by exact `vector_distance_cos` in
 *    the same statement) against exact search, at 10k and 100k chunks of two corpora embedded by
 *    the built-in embedder: `topical` (synthetic topical text) and `mixed` (the same with
 *    near-duplicates, paraphrases and unrelated texts in known proportions); p50/p99 of the
 *    approximate and the exact search; the same for a tenant holding 1% of the chunks (candidates
 *    filtered by tenant against its exact scan) and the exact scans of a small and a big tenant
 *    (where the exact scan stops being faster); insert time; bytes per chunk by component
 *    (table, vector index, full-text index). This part talks to libSQL directly (the `libsql`
 *    package, the engine behind the local endpoint and Turso).
 *
 * Building the 100k index takes minutes (DiskANN inserts; about 6-18 min on a busy 2-core
 * machine); built databases are kept in `.data/bench-ai/` (keyed by schema, index settings and
 * corpus) and reused by later runs.
 *
 * Options (env): AI_BENCH_SIZES (default "10000,100000"), AI_BENCH_CORPUS ("topical,mixed"),
 * AI_BENCH_QUERIES (200), AI_BENCH_REQUESTS (300 per latency case), AI_BENCH_CONCURRENCY (8),
 * AI_BENCH_PARTS ("edge,recall,ivf"; ivf: the production IVF path by bench/ai-ivf-prod.ts), AI_BENCH_REBUILD=1 (ignore built databases), AI_BENCH_INDEX
 * (comma-separated `libsql_vector_idx` options to try instead of the migration's, e.g.
 * "metric=cosine,compress_neighbors=float8,max_neighbors=32,search_l=400"), AI_BENCH_DIMS
 * (embedding dimension, default the schema's), AI_BENCH_SEARCH_L (search list lengths to try on
 * the built index, e.g. "100,200,400": set at query time in the index's metadata, no rebuild),
 * AI_BENCH_FETCH (candidates fetched before the re-rank, e.g. "10,200"; default the API's).
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "libsql";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { unstable_readConfig } from "wrangler";
import { DEV_AUDIENCE, DEV_ISSUER, loadOrCreateDevKeys, signDevToken } from "../dev/dev-keys.ts";
import { applyMigrations } from "../dev/migrate.ts";
import { startStack } from "../dev/stack.ts";
import { wranglerBin } from "../dev/wrangler-bin.ts";
import { embedLocal } from "../src/lib/ai/local-embedder.ts";
import { ANN_MAX_K, EXACT_SCAN_MAX_CHUNKS } from "../src/lib/ai/retrieval.ts";
import { EMBEDDING_DIMENSIONS } from "../src/lib/db/schema.ts";
import {
  type CorpusKind,
  corpus,
  exactScans,
  fillCorpus,
  openBenchDb,
  SMALL_TENANT,
  timed,
  vectorBlob,
} from "./ai-corpus.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const sizes = (process.env.AI_BENCH_SIZES ?? "10000,100000")
  .split(",")
  .map(Number)
  .filter((n) => n > 0);
const queries = Number(process.env.AI_BENCH_QUERIES ?? 200);
const requests = Number(process.env.AI_BENCH_REQUESTS ?? 300);
const concurrency = Number(process.env.AI_BENCH_CONCURRENCY ?? 8);
const parts = new Set((process.env.AI_BENCH_PARTS ?? "edge,recall,ivf").split(","));
/** AI_BENCH_INDEX="metric=cosine,compress_neighbors=float8,max_neighbors=64,search_l=400": other index settings than the migration's. */
const indexOptions = process.env.AI_BENCH_INDEX
  ? process.env.AI_BENCH_INDEX.split(",").map((o) => o.trim())
  : undefined;
/** Embedding dimension of the bench corpus (the local embedder at this many dimensions). */
const benchDims = Number(process.env.AI_BENCH_DIMS ?? EMBEDDING_DIMENSIONS);
/** Search list lengths to try at query time on the built index (default: the index's own). */
const searchLs = (process.env.AI_BENCH_SEARCH_L ?? "")
  .split(",")
  .map(Number)
  .filter((n) => n > 0);
/** Candidates fetched from `vector_top_k` before the exact re-rank. */
const fetches = (process.env.AI_BENCH_FETCH ?? String(ANN_MAX_K))
  .split(",")
  .map(Number)
  .filter((n) => n > 0);
const corpora = (process.env.AI_BENCH_CORPUS ?? "topical,mixed")
  .split(",")
  .filter((c): c is CorpusKind => c === "topical" || c === "mixed");

const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};
const ms = (x: number) => (Number.isNaN(x) ? "–" : x < 10 ? x.toFixed(2) : x.toFixed(1));

// ---------------------------------------------------------------------------
// Part 2: recall, query latency and storage of the vector index.
// ---------------------------------------------------------------------------

/** One query shape at one search list length: recall@10 against exact search, and latency. */
interface ShapeRow {
  searchL: number;
  fetch: number;
  recall: number;
  /** Results within 1% of the 10th true neighbour's distance count (ann-benchmarks' epsilon recall). */
  recallEpsilon: number;
  p50: number;
  p99: number;
  /** The same over the 1% tenant: candidates filtered by tenant, against the exact per-tenant scan. */
  tenantRecall: number;
  tenantP50: number;
  tenantP99: number;
}

interface RecallRow {
  corpus: CorpusKind;
  chunks: number;
  layout: string;
  insertSeconds: number;
  shapes: ShapeRow[];
  exactP50: number;
  exactP99: number;
  /** Exact scans of one tenant: [chunks, p50 ms]. */
  tenantScans: Array<[number, number]>;
  tenantScanP99: number;
  tenantChunks: number;
  bytesPerChunk: { total: number; table: number; vectorIndex: number; fts: number; other: number };
}

function tableSizes(db: Database.Database): Map<string, number> | undefined {
  try {
    const rows = db.prepare("SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name").raw(true).all([]) as Array<
      [string, number]
    >;
    return new Map(rows.map(([name, bytes]) => [name, Number(bytes)]));
  } catch {
    return undefined;
  }
}

/** Built corpora are kept here between runs (the 100k build takes minutes); AI_BENCH_REBUILD=1 rebuilds. */
const CACHE_DIR = join(root, ".data/bench-ai");
const CORPUS_VERSION = "v2";

function vectorIndexOf(db: Database.Database): string {
  const row = db
    .prepare(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ai_chunks' AND sql LIKE '%libsql_vector_idx%'",
    )
    .raw(true)
    .all([]) as Array<[string]>;
  if (row.length !== 1) throw new Error(`expected one vector index on ai_chunks, found ${row.length}`);
  return row[0]![0];
}

/** Sets the index's search list length (libSQL keeps it in `libsql_vector_meta_shadow`: 1-byte tag + 8-byte LE value; tag 9). */
function setSearchL(db: Database.Database, index: string, searchL: number): void {
  const rows = db
    .prepare("SELECT metadata FROM libsql_vector_meta_shadow WHERE name = ?")
    .raw(true)
    .all([index]) as Array<[Buffer]>;
  if (!rows[0]) throw new Error(`no metadata for vector index ${index}`);
  const meta = Buffer.from(rows[0][0]);
  let found = false;
  for (let off = 0; off + 9 <= meta.length; off += 9) {
    if (meta[off] === 9) {
      meta.writeBigUInt64LE(BigInt(searchL), off + 1);
      found = true;
    }
  }
  const out = found ? meta : Buffer.concat([meta, Buffer.from([9]), Buffer.alloc(8)]);
  if (!found) out.writeBigUInt64LE(BigInt(searchL), meta.length + 1);
  db.prepare("UPDATE libsql_vector_meta_shadow SET metadata = ? WHERE name = ?").run([out, index]);
}

async function recallAt(n: number, kind: CorpusKind): Promise<RecallRow> {
  const dir = mkdtempSync(join(tmpdir(), "ai-bench-"));
  const file = join(dir, "bench.db");
  const dims = benchDims;
  try {
    await applyMigrations(`file:${file}`);
    const probe = new Database(file);
    const migrationIndex = vectorIndexOf(probe);
    if (indexOptions || dims !== EMBEDDING_DIMENSIONS) {
      // Try other settings: the same index (same name), rebuilt with these options and/or over a column of another dimension.
      const opts = (indexOptions ?? []).map((o) => `'${o.replaceAll("'", "")}'`).join(", ");
      const current = (
        probe.prepare("SELECT sql FROM sqlite_master WHERE name = ?").raw(true).all([migrationIndex]) as Array<[string]>
      )[0]![0];
      probe.exec(`DROP INDEX ${migrationIndex}`);
      if (dims !== EMBEDDING_DIMENSIONS) {
        probe.exec("ALTER TABLE ai_chunks DROP COLUMN embedding");
        probe.exec(`ALTER TABLE ai_chunks ADD COLUMN embedding F32_BLOB(${dims})`);
      }
      probe.exec(
        indexOptions ? `CREATE INDEX ${migrationIndex} ON ai_chunks (libsql_vector_idx(embedding, ${opts}))` : current,
      );
    }
    const ddl =
      (
        probe
          .prepare("SELECT group_concat(sql, ';') FROM sqlite_master WHERE name LIKE 'ai_chunks%'")
          .raw(true)
          .all([]) as Array<[string]>
      )[0]?.[0] ?? "";
    const layout = (
      probe.prepare("SELECT sql FROM sqlite_master WHERE name = ?").raw(true).all([migrationIndex]) as Array<[string]>
    )[0]![0]
      .replace(/^.*libsql_vector_idx\(embedding,?\s*/is, "")
      .replace(/\)\)\s*$/, "");
    probe.close();
    // The cache key covers the schema (index settings included), the corpus and its size.
    const cached = join(
      CACHE_DIR,
      `${createHash("sha256").update(`${CORPUS_VERSION}|${kind}|${n}|${dims}|${ddl}`).digest("hex").slice(0, 16)}-${kind}-${n}.db`,
    );
    const reuse = existsSync(cached) && !process.env.AI_BENCH_REBUILD;
    if (reuse) copyFileSync(cached, file);
    const db = openBenchDb(file);
    const gen = corpus(n, kind);
    let lastReport = performance.now();
    const { texts, tenantTexts, insertSeconds } = fillCorpus(db, gen, n, dims, reuse, (done, seconds) => {
      if (performance.now() - lastReport <= 15_000) return;
      lastReport = performance.now();
      const eta = (seconds / done) * (n - done);
      process.stdout.write(
        `bench:ai   ${done}/${n} chunks (${seconds.toFixed(0)} s, about ${eta.toFixed(0)} s to go)\n`,
      );
    });
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    if (!reuse) {
      mkdirSync(CACHE_DIR, { recursive: true });
      copyFileSync(file, cached);
    }
    const index = vectorIndexOf(db);
    const builtSearchL = Number(/search_l=(\d+)/.exec(layout)?.[1] ?? 200);

    // Queries: global ones, and ones aimed at the small tenant (half from its own chunks).
    const globalQueries = Array.from({ length: queries }, (_, q) => {
      return vectorBlob(embedLocal(gen.query(q, texts), dims));
    });
    const tenantQueries = Array.from({ length: queries }, (_, q) => {
      return vectorBlob(embedLocal(gen.query(q, tenantTexts), dims));
    });
    const { exact, tenantExact } = exactScans(db);
    const tExact: number[] = [];
    const truth = globalQueries.map((b) => timed(() => exact.all([b]) as Array<[number, number]>, tExact));
    const tTenantScan: number[] = [];
    const tenantTruth = tenantQueries.map((b) =>
      timed(() => tenantExact.all([b, SMALL_TENANT]) as Array<[number, number]>, tTenantScan),
    );
    const tBigScan: number[] = [];
    for (const b of globalQueries.slice(0, Math.min(50, queries))) timed(() => tenantExact.all([b, "big"]), tBigScan);
    const count = (t: string) =>
      Number(
        (db.prepare("SELECT COUNT(*) FROM ai_chunks WHERE tenant = ?").raw(true).all([t]) as Array<[number]>)[0]![0],
      );

    const score = (found: Array<[number, number]>, want: Array<[number, number]>) => {
      const ids = new Set(found.map((r) => r[0]));
      const kth = Number(want.at(-1)?.[1] ?? 0);
      return {
        hits: want.filter(([id]) => ids.has(id)).length,
        epsilon: Math.min(want.length, found.filter((r) => Number(r[1]) <= kth * 1.01 + 1e-6).length),
        total: want.length,
      };
    };
    const shapes: ShapeRow[] = [];
    for (const searchL of searchLs.length ? searchLs : [builtSearchL]) {
      setSearchL(db, index, searchL);
      for (const fetch of fetches) {
        // The search path's shape: candidates from the index, re-ranked by exact distance in the same statement.
        const ann = db
          .prepare(
            `SELECT c.id, vector_distance_cos(c.embedding, ?1) AS d FROM vector_top_k('${index}', ?1, ${fetch}) AS top JOIN ai_chunks c ON c.id = top.id ORDER BY d LIMIT 10`,
          )
          .raw(true);
        const annTenant = db
          .prepare(
            `SELECT c.id, vector_distance_cos(c.embedding, ?1) AS d FROM vector_top_k('${index}', ?1, ${fetch}) AS top JOIN ai_chunks c ON c.id = top.id WHERE c.tenant = ?2 ORDER BY d LIMIT 10`,
          )
          .raw(true);
        const tAnn: number[] = [];
        const tTenant: number[] = [];
        let hits = 0;
        let epsilon = 0;
        let total = 0;
        let tenantHits = 0;
        let tenantTotal = 0;
        globalQueries.forEach((b, q) => {
          const r = score(
            timed(() => ann.all([b]) as Array<[number, number]>, tAnn),
            truth[q]!,
          );
          hits += r.hits;
          epsilon += r.epsilon;
          total += r.total;
        });
        tenantQueries.forEach((b, q) => {
          const r = score(
            timed(() => annTenant.all([b, SMALL_TENANT]) as Array<[number, number]>, tTenant),
            tenantTruth[q]!,
          );
          tenantHits += r.hits;
          tenantTotal += r.total;
        });
        const row: ShapeRow = {
          searchL,
          fetch,
          recall: hits / total,
          recallEpsilon: epsilon / total,
          p50: percentile(tAnn, 50),
          p99: percentile(tAnn, 99),
          tenantRecall: tenantHits / tenantTotal,
          tenantP50: percentile(tTenant, 50),
          tenantP99: percentile(tTenant, 99),
        };
        shapes.push(row);
        console.log(
          `bench:ai   ${kind} ${n}: search_l ${searchL}, k ${fetch}: recall@10 ${row.recall.toFixed(4)} (within 1% ${row.recallEpsilon.toFixed(4)}), p50/p99 ${ms(row.p50)}/${ms(row.p99)} ms; ` +
            `1% tenant recall ${row.tenantRecall.toFixed(4)}, p50 ${ms(row.tenantP50)} ms`,
        );
      }
    }
    setSearchL(db, index, builtSearchL);

    const sizes = tableSizes(db);
    const smallCount = count(SMALL_TENANT);
    const bigCount = count("big");
    db.close();
    const fileBytes = statSync(file).size;
    const perChunk = (b: number) => b / n;
    let table = 0;
    let vectorIndex = 0;
    let fts = 0;
    if (sizes) {
      for (const [name, bytes] of sizes) {
        if (name.includes("_embedding_") && name.includes("idx")) vectorIndex += bytes;
        else if (name.startsWith("ai_chunks_fts")) fts += bytes;
        else if (
          name === "ai_chunks" ||
          name.startsWith("sqlite_autoindex_ai_chunks") ||
          name.startsWith("ai_chunks_document") ||
          name === "ai_documents" ||
          name === "sqlite_autoindex_ai_documents_1"
        )
          table += bytes;
      }
    }
    return {
      corpus: kind,
      chunks: n,
      layout: `${dims}-d, ${layout}`,
      insertSeconds,
      shapes,
      exactP50: percentile(tExact, 50),
      exactP99: percentile(tExact, 99),
      tenantScans: [
        [smallCount, percentile(tTenantScan, 50)],
        [bigCount, percentile(tBigScan, 50)],
      ],
      tenantScanP99: percentile(tTenantScan, 99),
      tenantChunks: smallCount,
      bytesPerChunk: {
        total: perChunk(fileBytes),
        table: perChunk(table),
        vectorIndex: perChunk(vectorIndex),
        fts: perChunk(fts),
        other: perChunk(fileBytes - table - vectorIndex - fts),
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// Part 1: latency of /v1/ai/ask at the edge.
// ---------------------------------------------------------------------------

function writeEntry(dir: string): string {
  const file = join(dir, "ai-entry.ts");
  writeFileSync(
    file,
    `import { createApp } from ${JSON.stringify(join(root, "src/app.ts"))};
import { aiRoutes } from ${JSON.stringify(join(root, "routes/ai.ts"))};
export * from ${JSON.stringify(join(root, "src/index.ts"))};
// The AI routes on the app (a second mount is harmless once src/app.ts mounts them too).
const app = createApp();
app.route("/", aiRoutes);
export default { fetch: app.fetch };
`,
  );
  return file;
}

function build(outDir: string, entry: string): string {
  execFileSync(
    process.execPath,
    [wranglerBin(), "deploy", "--dry-run", "--config", join(root, "wrangler.toml"), "--outdir", outDir, entry],
    {
      cwd: root,
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    },
  );
  const bundle = readdirSync(outDir).find((f) => f.endsWith(".js"));
  if (!bundle) throw new Error(`no bundle in ${outDir}`);
  return join(outDir, bundle);
}

interface LatencyRow {
  name: string;
  n: number;
  clients: number;
  p50: number;
  p99: number;
  sources: string;
  originCalls: number;
  /** p50 of each Server-Timing phase, e.g. "db 2.1, auth 0.9". */
  phases: string;
}

async function edgeLatency(): Promise<LatencyRow[]> {
  const work = mkdtempSync(join(tmpdir(), "ai-bench-edge-"));
  const rows: LatencyRow[] = [];
  console.log("bench:ai: building the Worker with the AI routes (wrangler deploy --dry-run)…");
  const script = build(join(work, "app"), writeEntry(work));
  console.log("bench:ai: starting the local stack…");
  const stack = await startStack({ dataDir: join(work, "data") });
  const keys = await loadOrCreateDevKeys(join(work, "data"));
  const config = unstable_readConfig({ config: join(root, "wrangler.toml") });
  const sqliteClasses = new Set(
    config.migrations.flatMap((m: { new_sqlite_classes?: string[] }) => m.new_sqlite_classes ?? []),
  );
  const durableObjects = Object.fromEntries(
    config.durable_objects.bindings.map((b: { name: string; class_name: string }) => [
      b.name,
      { className: b.class_name, useSQLite: sqliteClasses.has(b.class_name) },
    ]),
  );
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      log: new Log(LogLevel.NONE),
      modules: true,
      scriptPath: script,
      modulesRoot: dirname(script),
      compatibilityDate: config.compatibility_date,
      compatibilityFlags: config.compatibility_flags,
      durableObjects,
      bindings: {
        ...config.vars,
        ...stack.vars,
        ENVIRONMENT: "development",
        JWT_ISSUER: DEV_ISSUER,
        JWT_AUDIENCE: DEV_AUDIENCE,
        JWT_PUBLIC_JWKS: JSON.stringify(keys.publicJwks),
        AI_BREAKER_COOLDOWN_MS: "600000",
      },
      handleStructuredLogs: () => {},
      port: 0,
      host: "127.0.0.1",
    }),
  );
  try {
    const base = await mf.ready;
    const tenant = `bench-${Date.now()}`;
    const token = `Bearer ${await signDevToken(keys, { sub: "bench", roles: ["editor"], tenant, ttlSeconds: 3600 })}`;
    const post = (path: string, body: unknown) =>
      fetch(new URL(path, base), {
        method: "POST",
        headers: { authorization: token, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const gen = corpus(7);
    const handbook = [
      "Dark mode. To enable dark mode in the editor, open Settings, then Appearance, and pick Dark.",
      "Refunds. Customers get a full refund within 30 days of purchase; after that, support decides.",
      ...Array.from({ length: 40 }, () => gen.chunk()),
    ].join("\n\n");
    const ingested = await post("/v1/ai/documents", { id: "handbook", text: handbook });
    if (ingested.status !== 201) throw new Error(`ingest answered ${ingested.status}: ${await ingested.text()}`);

    const chatCalls = async () =>
      ((await (await fetch(`${stack.origin.url}/__dev/stats`)).json()) as { chat: number }).chat;
    const run = async (
      name: string,
      n: number,
      body: (i: number) => unknown,
      options: { firstByte?: boolean; clients?: number } = {},
    ) => {
      const { firstByte = false, clients = concurrency } = options;
      const latencies: number[] = [];
      const phases = new Map<string, number[]>();
      const sources = new Map<string, number>();
      const before = await chatCalls();
      let next = 0;
      const worker = async () => {
        while (next < n) {
          const i = next++;
          const t0 = performance.now();
          const res = await post("/v1/ai/ask", body(i));
          if (firstByte) {
            const reader = res.body!.getReader();
            await reader.read();
            latencies.push(performance.now() - t0);
            while (!(await reader.read()).done);
          } else {
            await res.arrayBuffer();
            latencies.push(performance.now() - t0);
          }
          for (const m of (res.headers.get("server-timing") ?? "").matchAll(/(\w+);(?:desc="[^"]*";)?dur=([\d.]+)/g)) {
            const list = phases.get(m[1]!) ?? [];
            list.push(Number(m[2]));
            phases.set(m[1]!, list);
          }
          const source = res.status === 200 ? (res.headers.get("x-ai-source") ?? "?") : String(res.status);
          sources.set(source, (sources.get(source) ?? 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: clients }, worker));
      const row = {
        name,
        n,
        clients,
        phases: [...phases].map(([k, v]) => `${k} ${ms(percentile(v, 50))}`).join(", "),
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        sources: [...sources].map(([k, v]) => `${k} ${v}`).join(", "),
        originCalls: (await chatCalls()) - before,
      };
      rows.push(row);
      console.log(
        `bench:ai: ${name} (${clients} clients): p50 ${ms(row.p50)} ms, p99 ${ms(row.p99)} ms (${row.sources}; origin calls ${row.originCalls}; server ${row.phases})`,
      );
    };

    // Warm-up: JIT, config, the first cache entries.
    await post("/v1/ai/ask", { question: "How do I enable dark mode in the editor?" }).then((r) => r.arrayBuffer());
    await run("warm-up (discarded)", 20, () => ({ question: "How do I enable dark mode in the editor?" }));
    rows.pop();
    await run("exact-cache hit", requests, () => ({ question: "How do I enable dark mode in the editor?" }), {
      clients: 1,
    });
    await run("exact-cache hit", requests, () => ({ question: "How do I enable dark mode in the editor?" }));
    await run("semantic-cache hit", requests, () => ({ question: "How can I enable dark mode in the editor?" }), {
      clients: 1,
    });
    await run("semantic-cache hit", requests, () => ({ question: "How can I enable dark mode in the editor?" }));
    await run(
      "origin path (new question each time)",
      requests,
      (i) => ({ question: `Question number ${i}: ${gen.query(i, [handbook])}?` }),
      { clients: 1 },
    );
    await run("origin path (new question each time)", requests, (i) => ({
      question: `Concurrent question ${i}: ${gen.query(i, [handbook])}?`,
    }));
    await run(
      "origin path, streamed: time to first byte",
      Math.min(requests, 100),
      (i) => ({ question: `Streamed question ${i}?`, stream: true }),
      { firstByte: true, clients: 1 },
    );
    // Open the breaker (5 consecutive 503s), then measure the degraded fallback.
    await fetch(`${stack.origin.url}/__dev/fault`, {
      method: "PUT",
      body: JSON.stringify({ status: 503, path: "chat" }),
    });
    for (let i = 0; i < 3; i++)
      await post("/v1/ai/ask", { question: `Breaker opener ${i}?` }).then((r) => r.arrayBuffer());
    await run("degraded answer, breaker open", requests, (i) => ({ question: `While the origin is down ${i}?` }), {
      clients: 1,
    });
    await fetch(`${stack.origin.url}/__dev/fault`, { method: "DELETE" });
  } finally {
    await mf.dispose();
    await stack.close();
    rmSync(work, { recursive: true, force: true });
  }
  return rows;
}

// ---------------------------------------------------------------------------
// Part 3: the production path (the IVF index as `npm run ai:train` trains it, `searchPassages`),
// by `bench/ai-ivf-prod.ts`, once per size and corpus; its table rows are collected here.
// ---------------------------------------------------------------------------

function ivfProduction(): string[] {
  const table: string[] = [];
  const sizesLine: string[] = [];
  for (const n of sizes)
    for (const kind of corpora) {
      console.log(`bench:ai: the IVF production path, ${kind} ${n} (bench/ai-ivf-prod.ts)…`);
      const out = execFileSync(process.execPath, [join(root, "bench/ai-ivf-prod.ts")], {
        env: { ...process.env, AI_IVF_PROD_SIZE: String(n), AI_IVF_PROD_CORPUS: kind },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
        maxBuffer: 64 * 1024 * 1024,
      });
      for (const line of out.split("\n")) {
        // The child prints each row as it is measured and the whole table again at the end.
        if (line.startsWith("|") && !table.includes(line)) table.push(line);
        else if (line.startsWith("KiB per chunk")) sizesLine.push(`${kind} ${n}: ${line}`);
      }
    }
  return [
    "The production path: IVF index trained with the defaults, `searchPassages` and the IVF statement against the exact path (bench/ai-ivf-prod.ts):",
    "",
    ...table,
    "",
    ...sizesLine,
    "",
  ];
}

async function main() {
  const lines: string[] = [`AI bench, node ${process.version}, ${new Date().toISOString()}`, ""];
  if (parts.has("edge")) {
    const rows = await edgeLatency();
    lines.push(
      "POST /v1/ai/ask at the edge (workerd via Miniflare, local stack, client on the same machine):",
      "",
      "| case | clients | requests | p50 ms | p99 ms | answered by | origin calls | server phases p50 ms (Server-Timing) |",
      "|---|---:|---:|---:|---:|---|---:|---|",
      ...rows.map(
        (r) =>
          `| ${r.name} | ${r.clients} | ${r.n} | ${ms(r.p50)} | ${ms(r.p99)} | ${r.sources} | ${r.originCalls} | ${r.phases} |`,
      ),
      "",
    );
  }
  if (parts.has("recall")) {
    const rows: RecallRow[] = [];
    for (const kind of corpora) {
      for (const n of sizes) {
        console.log(`bench:ai: vector index with ${n} chunks (${kind} corpus)…`);
        const row = await recallAt(n, kind);
        console.log(
          `bench:ai:   exact p50 ${ms(row.exactP50)} ms, insert ${Number.isNaN(row.insertSeconds) ? "cached" : `${row.insertSeconds.toFixed(0)} s`}`,
        );
        rows.push(row);
      }
    }
    const kib = (b: number) => (b / 1024).toFixed(2);
    lines.push(
      `Vector search over \`ai_chunks\` (${rows[0]?.layout ?? ""}), ${queries} queries each; approximate = \`vector_top_k(k)\` joined to the table and re-ranked by exact \`vector_distance_cos\` in the same statement, top 10; exact = \`vector_distance_cos\` over every row:`,
      "",
      "| corpus | chunks | search_l | k fetched | recall@10 | within 1% of the 10th distance | approx p50/p99 ms | exact p50/p99 ms | exact ÷ approx (p50) |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
      ...rows.flatMap((r) =>
        r.shapes.map(
          (x) =>
            `| ${r.corpus} | ${r.chunks} | ${x.searchL} | ${x.fetch} | ${x.recall.toFixed(4)} | ${x.recallEpsilon.toFixed(4)} | ${ms(x.p50)}/${ms(x.p99)} | ${ms(r.exactP50)}/${ms(r.exactP99)} | ${(r.exactP50 / x.p50).toFixed(1)}× |`,
        ),
      ),
      "",
      `The 1% tenant (every 100th chunk): candidates filtered by tenant after the fetch, against the exact per-tenant scan (what search does below ${EXACT_SCAN_MAX_CHUNKS} chunks):`,
      "",
      "| corpus | chunks | tenant chunks | search_l | k fetched | recall@10 filtered | filtered p50/p99 ms | exact tenant scan p50/p99 ms (recall 1) | scan of the 'big' tenant: chunks, p50 ms |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
      ...rows.flatMap((r) =>
        r.shapes.map(
          (x) =>
            `| ${r.corpus} | ${r.chunks} | ${r.tenantChunks} | ${x.searchL} | ${x.fetch} | ${x.tenantRecall.toFixed(4)} | ${ms(x.tenantP50)}/${ms(x.tenantP99)} | ${ms(r.tenantScans[0]![1])}/${ms(r.tenantScanP99)} | ${r.tenantScans[1]![0]}, ${ms(r.tenantScans[1]![1])} |`,
        ),
      ),
      "",
      "Bytes per chunk by component (KiB; texts of 40-160 words; from `dbstat`):",
      "",
      "| corpus | chunks | insert s | all-in | table + b-tree indexes (incl. ai_documents) | vector index | full-text index | other |",
      "|---|---:|---:|---:|---:|---:|---:|---:|",
      ...rows.map(
        (r) =>
          `| ${r.corpus} | ${r.chunks} | ${Number.isNaN(r.insertSeconds) ? "cached" : r.insertSeconds.toFixed(1)} | ${kib(r.bytesPerChunk.total)} | ${kib(r.bytesPerChunk.table)} | ${kib(r.bytesPerChunk.vectorIndex)} | ${kib(r.bytesPerChunk.fts)} | ${kib(r.bytesPerChunk.other)} |`,
      ),
      "",
    );
  }
  if (parts.has("ivf")) lines.push(...ivfProduction());
  console.log(`\n${lines.join("\n")}`);
  mkdirSync(join(root, "bench/results"), { recursive: true });
  writeFileSync(join(root, "bench/results/ai-latest.md"), `${lines.join("\n")}\n`);
  console.log("bench:ai: written to bench/results/ai-latest.md");
}

main().catch((err: unknown) => {
  console.error(`bench:ai: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
