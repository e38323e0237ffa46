/**
 * `npm run bench:ai`: the AI quality bars, measured.
 *
 * 1. Edge latency: the built Worker (with the AI routes) served by workerd (Miniflare) against
 *    the real local stack. POST /v1/ai/ask for an exact-cache hit, a semantic-cache hit, the
 *    origin path (a new question each time; the dev origin answers in a few ms, so this is
 *    the edge's own overhead plus one local origin round trip), the streamed origin path's time
 *    to first byte, and the degraded answer while the breaker is open. p50/p99 each, and the
 *    number of origin calls during the cache phases (must be 0).
 * 2. Vector index: recall@10 of `vector_top_k` over `ai_chunks_embedding_idx` (the real
 *    migrations, the real index settings) against exact `vector_distance_cos` search, at 10k
 *    and 100k chunks of synthetic topical text embedded by the built-in embedder; query
 *    latency of both; the exact scan of one tenant at the size below which search scans
 *    exactly; insert time; and storage per 10k chunks (table, vector index, full-text index).
 *    This part talks to libSQL directly (the `libsql` package, the engine behind the local
 *    endpoint and Turso).
 *
 * Building the 100k index takes minutes (DiskANN inserts; about 6-18 min on a busy 2-core
 * machine); built databases are kept in `.data/bench-ai/` (keyed by schema, index settings and
 * corpus) and reused by later runs.
 *
 * Options (env): AI_BENCH_SIZES (default "10000,100000"), AI_BENCH_QUERIES (200),
 * AI_BENCH_REQUESTS (300 per latency case), AI_BENCH_CONCURRENCY (8), AI_BENCH_PARTS
 * ("edge,recall"), AI_BENCH_REBUILD=1 (ignore built databases), AI_BENCH_INDEX (comma-separated
 * `libsql_vector_idx` options to try instead of the migration's, e.g.
 * "metric=cosine,compress_neighbors=float8,max_neighbors=64,search_l=400").
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
import { EXACT_SCAN_MAX_CHUNKS } from "../src/lib/ai/retrieval.ts";
import { EMBEDDING_DIMENSIONS } from "../src/lib/db/schema.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const sizes = (process.env.AI_BENCH_SIZES ?? "10000,100000")
  .split(",")
  .map(Number)
  .filter((n) => n > 0);
const queries = Number(process.env.AI_BENCH_QUERIES ?? 200);
const requests = Number(process.env.AI_BENCH_REQUESTS ?? 300);
const concurrency = Number(process.env.AI_BENCH_CONCURRENCY ?? 8);
const parts = new Set((process.env.AI_BENCH_PARTS ?? "edge,recall").split(","));
/** AI_BENCH_INDEX="metric=cosine,compress_neighbors=float8,max_neighbors=64,search_l=400": other index settings than the migration's. */
const indexOptions = process.env.AI_BENCH_INDEX
  ? process.env.AI_BENCH_INDEX.split(",").map((o) => o.trim())
  : undefined;

const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};
const ms = (x: number) => (Number.isNaN(x) ? "–" : x < 10 ? x.toFixed(2) : x.toFixed(1));

// ---------------------------------------------------------------------------
// Synthetic corpus: topical documents over a Zipf-distributed vocabulary (deterministic).
// ---------------------------------------------------------------------------

function corpus(seed: number) {
  let s = seed >>> 0;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const syllables = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ra",
    "tu",
    "shi",
    "po",
    "de",
    "va",
    "ri",
    "mo",
    "zu",
    "fe",
    "ga",
    "bi",
    "xo",
    "le",
    "an",
    "or",
  ];
  const vocab = Array.from({ length: 12_000 }, () =>
    Array.from({ length: 2 + Math.floor(rnd() * 3) }, () => syllables[Math.floor(rnd() * syllables.length)]).join(""),
  );
  const common = () => vocab[Math.min(vocab.length - 1, Math.floor(rnd() ** 2.2 * vocab.length))]!;
  const topics = Array.from({ length: 500 }, () =>
    Array.from({ length: 60 }, () => vocab[Math.floor(rnd() * vocab.length)]!),
  );
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
  return {
    /** A chunk-sized text (40-160 words): half topic words, half common words. */
    chunk(): string {
      const topic = pick(topics);
      return Array.from({ length: 40 + Math.floor(rnd() * 120) }, () => (rnd() < 0.5 ? pick(topic) : common())).join(
        " ",
      );
    },
    /** A short query: the start of a chunk, or a bag of one topic's words. */
    query(i: number, chunks: string[]): string {
      if (i % 2 === 0) return pick(chunks).split(" ").slice(0, 12).join(" ");
      const topic = pick(topics);
      return Array.from({ length: 8 }, () => pick(topic)).join(" ");
    },
  };
}

// ---------------------------------------------------------------------------
// Part 2: recall, query latency and storage of the vector index.
// ---------------------------------------------------------------------------

interface RecallRow {
  chunks: number;
  insertSeconds: number;
  recall: number;
  recallTies: number;
  /** Results within 1% of the 10th true neighbour's distance count (ann-benchmarks' epsilon recall). */
  recallEpsilon: number;
  /** Recall of the search path: k = 200 from the index, re-ranked exactly, top 10. */
  recallSearch: number;
  annP50: number;
  annP99: number;
  ann200P50: number;
  searchP50: number;
  searchP99: number;
  exactP50: number;
  exactP99: number;
  tenantScanP50: number;
  bytesPer10k: { total: number; table: number; vectorIndex: number; fts: number; other: number };
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
const CORPUS_VERSION = "v1";

async function recallAt(n: number): Promise<RecallRow> {
  const dir = mkdtempSync(join(tmpdir(), "ai-bench-"));
  const file = join(dir, "bench.db");
  try {
    await applyMigrations(`file:${file}`);
    const probe = new Database(file);
    if (indexOptions) {
      // Try other index settings: the same index, rebuilt with these options.
      // The same statement text as migrations/0004, so equal settings share a built corpus.
      const opts = indexOptions.map((o) => `'${o.replaceAll("'", "")}'`).join(", ");
      probe.exec("DROP INDEX ai_chunks_embedding_idx");
      probe.exec(`CREATE INDEX ai_chunks_embedding_idx ON ai_chunks (libsql_vector_idx(embedding, ${opts}))`);
    }
    const ddl =
      (
        probe
          .prepare("SELECT group_concat(sql, ';') FROM sqlite_master WHERE name LIKE 'ai_chunks%'")
          .raw(true)
          .all([]) as Array<[string]>
      )[0]?.[0] ?? "";
    probe.close();
    // The cache key covers the schema (index settings included), the corpus and its size.
    const cached = join(
      CACHE_DIR,
      `${createHash("sha256").update(`${CORPUS_VERSION}|${n}|${ddl}|${EXACT_SCAN_MAX_CHUNKS}`).digest("hex").slice(0, 16)}-${n}.db`,
    );
    const reuse = existsSync(cached) && !process.env.AI_BENCH_REBUILD;
    if (reuse) copyFileSync(cached, file);
    const db = new Database(file);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");
    // A large page cache and mmap: the index of 100k chunks is about 2 GB.
    db.exec("PRAGMA cache_size = -524288");
    db.exec("PRAGMA mmap_size = 4294967296");
    const gen = corpus(n);
    const texts: string[] = [];
    const insertDoc = db.prepare(
      "INSERT INTO ai_documents (id, tenant, embedding_model, embedding_dimensions, chunk_count) VALUES (?, ?, 'local-hash-v1', ?, ?)",
    );
    const insertChunk = db.prepare(
      "INSERT INTO ai_chunks (tenant, document_id, ordinal, text, embedding) VALUES (?, ?, ?, ?, ?)",
    );
    // One tenant at the exact-scan threshold (to time that scan; all chunks when n is smaller), the rest in 100 tenants.
    const tenantOf = (i: number) => (i < EXACT_SCAN_MAX_CHUNKS ? "big" : `t${i % 100}`);
    const t0 = performance.now();
    const batch = 1_000;
    let lastReport = t0;
    for (let start = 0; start < n; start += batch) {
      if (!reuse) db.exec("BEGIN");
      for (let i = start; i < Math.min(n, start + batch); i++) {
        const text = gen.chunk();
        if (texts.length < 5_000) texts.push(text);
        if (reuse) continue;
        const docId = `d${Math.floor(i / 10)}`;
        if (i % 10 === 0) insertDoc.run([docId, tenantOf(i), EMBEDDING_DIMENSIONS, 10]);
        const v = embedLocal(text, EMBEDDING_DIMENSIONS);
        insertChunk.run([tenantOf(i), docId, i % 10, text, Buffer.from(v.buffer, v.byteOffset, v.byteLength)]);
      }
      if (reuse) continue;
      db.exec("COMMIT");
      if (performance.now() - lastReport > 15_000) {
        lastReport = performance.now();
        const done = Math.min(n, start + batch);
        const eta = (((lastReport - t0) / done) * (n - done)) / 1000;
        process.stdout.write(
          `bench:ai   ${done}/${n} chunks (${((lastReport - t0) / 1000).toFixed(0)} s, about ${eta.toFixed(0)} s to go)\n`,
        );
      }
    }
    const insertSeconds = reuse ? Number.NaN : (performance.now() - t0) / 1000;
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    if (!reuse) {
      mkdirSync(CACHE_DIR, { recursive: true });
      copyFileSync(file, cached);
    }

    const exact = db
      .prepare("SELECT id, vector_distance_cos(embedding, ?) AS d FROM ai_chunks ORDER BY d LIMIT 10")
      .raw(true);
    const ann = db
      .prepare(
        "SELECT c.id, vector_distance_cos(c.embedding, ?) FROM vector_top_k('ai_chunks_embedding_idx', ?, 10) AS top JOIN ai_chunks c ON c.id = top.id",
      )
      .raw(true);
    const ann200 = db.prepare("SELECT id FROM vector_top_k('ai_chunks_embedding_idx', ?, 200)").raw(true);
    const searchPath = db
      .prepare(
        "SELECT c.id, vector_distance_cos(c.embedding, ?) AS d FROM vector_top_k('ai_chunks_embedding_idx', ?, 200) AS top JOIN ai_chunks c ON c.id = top.id ORDER BY d LIMIT 10",
      )
      .raw(true);
    const tenantScan = db
      .prepare(
        "SELECT id, vector_distance_cos(embedding, ?) AS d FROM ai_chunks WHERE tenant = 'big' ORDER BY d LIMIT 10",
      )
      .raw(true);
    let hits = 0;
    let searchHits = 0;
    let tieHits = 0;
    let epsilonHits = 0;
    let total = 0;
    const tExact: number[] = [];
    const tAnn: number[] = [];
    const tAnn200: number[] = [];
    const tSearch: number[] = [];
    const tTenant: number[] = [];
    for (let q = 0; q < queries; q++) {
      const v = embedLocal(gen.query(q, texts), EMBEDDING_DIMENSIONS);
      const blob = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      let t = performance.now();
      const truth = exact.all([blob]) as Array<[number, number]>;
      tExact.push(performance.now() - t);
      t = performance.now();
      const found = ann.all([blob, blob]) as Array<[number, number]>;
      tAnn.push(performance.now() - t);
      t = performance.now();
      ann200.all([blob]);
      tAnn200.push(performance.now() - t);
      t = performance.now();
      const searched = new Set((searchPath.all([blob, blob]) as Array<[number, number]>).map((r) => r[0]));
      tSearch.push(performance.now() - t);
      t = performance.now();
      tenantScan.all([blob]);
      tTenant.push(performance.now() - t);
      const ids = new Set(found.map((r) => r[0]));
      const kth = truth.at(-1)?.[1] ?? 0;
      for (const [id] of truth) {
        if (ids.has(id)) hits++;
        if (searched.has(id)) searchHits++;
      }
      // Tie-aware: a neighbour as close as the 10th true one is as good as it.
      tieHits += Math.min(truth.length, found.filter((r) => Number(r[1]) <= Number(kth) + 1e-6).length);
      epsilonHits += Math.min(truth.length, found.filter((r) => Number(r[1]) <= Number(kth) * 1.01 + 1e-6).length);
      total += truth.length;
    }

    const sizes = tableSizes(db);
    db.close();
    const fileBytes = statSync(file).size;
    const per10k = (b: number) => (b * 10_000) / n;
    let table = 0;
    let vectorIndex = 0;
    let fts = 0;
    if (sizes) {
      for (const [name, bytes] of sizes) {
        if (
          name === "ai_chunks" ||
          name.startsWith("sqlite_autoindex_ai_chunks") ||
          name.startsWith("ai_chunks_document")
        )
          table += bytes;
        else if (name.startsWith("ai_chunks_embedding_idx")) vectorIndex += bytes;
        else if (name.startsWith("ai_chunks_fts")) fts += bytes;
      }
    }
    return {
      chunks: n,
      insertSeconds,
      recall: hits / total,
      recallTies: tieHits / total,
      recallEpsilon: epsilonHits / total,
      recallSearch: searchHits / total,
      searchP50: percentile(tSearch, 50),
      searchP99: percentile(tSearch, 99),
      annP50: percentile(tAnn, 50),
      annP99: percentile(tAnn, 99),
      ann200P50: percentile(tAnn200, 50),
      exactP50: percentile(tExact, 50),
      exactP99: percentile(tExact, 99),
      tenantScanP50: percentile(tTenant, 50),
      bytesPer10k: {
        total: per10k(fileBytes),
        table: per10k(table),
        vectorIndex: per10k(vectorIndex),
        fts: per10k(fts),
        other: per10k(fileBytes - table - vectorIndex - fts),
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
    for (const n of sizes) {
      console.log(`bench:ai: vector index with ${n} chunks…`);
      const row = await recallAt(n);
      console.log(
        `bench:ai:   recall@10 ${row.recall.toFixed(4)} (exact ties ${row.recallTies.toFixed(4)}, within 1% ${row.recallEpsilon.toFixed(4)}; search path ${row.recallSearch.toFixed(4)}), ` +
          `ANN p50 ${ms(row.annP50)} ms, search path p50 ${ms(row.searchP50)} ms, exact p50 ${ms(row.exactP50)} ms, insert ${Number.isNaN(row.insertSeconds) ? "cached" : `${row.insertSeconds.toFixed(0)} s`}`,
      );
      rows.push(row);
    }
    const kib = (b: number) => `${(b / 1024).toFixed(0)}`;
    lines.push(
      `Vector index \`ai_chunks_embedding_idx\` (${indexOptions ? `libsql_vector_idx(${indexOptions.join(", ")})` : "the migration's settings"}; ${EMBEDDING_DIMENSIONS}-d local embeddings), ${queries} queries:`,
      "",
      `| chunks | insert s | recall@10 \`vector_top_k(10)\` | same, within 1% of the 10th distance | recall@10 search path (k=200, exact re-rank) | ANN k=10 p50/p99 ms | ANN k=200 p50 ms | search path p50/p99 ms | exact p50/p99 ms | exact scan of one tenant of min(n, ${EXACT_SCAN_MAX_CHUNKS}) chunks p50 ms |`,
      "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
      ...rows.map(
        (r) =>
          `| ${r.chunks} | ${Number.isNaN(r.insertSeconds) ? "cached" : r.insertSeconds.toFixed(1)} | ${r.recall.toFixed(4)} | ${r.recallEpsilon.toFixed(4)} | ${r.recallSearch.toFixed(4)} | ${ms(r.annP50)}/${ms(r.annP99)} | ${ms(r.ann200P50)} | ${ms(r.searchP50)}/${ms(r.searchP99)} | ${ms(r.exactP50)}/${ms(r.exactP99)} | ${ms(r.tenantScanP50)} |`,
      ),
      "",
      "Storage per 10k chunks (KiB; texts of 40-160 words, ~1 KiB of vector each):",
      "",
      "| chunks | total | table + indexes | vector index | full-text index | other |",
      "|---:|---:|---:|---:|---:|---:|",
      ...rows.map(
        (r) =>
          `| ${r.chunks} | ${kib(r.bytesPer10k.total)} | ${kib(r.bytesPer10k.table)} | ${kib(r.bytesPer10k.vectorIndex)} | ${kib(r.bytesPer10k.fts)} | ${kib(r.bytesPer10k.other)} |`,
      ),
      "",
    );
  }
  console.log(`\n${lines.join("\n")}`);
  mkdirSync(join(root, "bench/results"), { recursive: true });
  writeFileSync(join(root, "bench/results/ai-latest.md"), `${lines.join("\n")}\n`);
  console.log("bench:ai: written to bench/results/ai-latest.md");
}

main().catch((err: unknown) => {
  console.error(`bench:ai: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
