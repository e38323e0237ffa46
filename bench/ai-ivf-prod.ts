/**
 * The production IVF path end to end (issue 17, stage 2): the bench corpus (`bench/ai-corpus.ts`,
 * cached in `.data/bench-ai/`) behind the local libSQL endpoint, trained by `trainIvfIndex` with
 * its production defaults, and queried by `searchPassages` over HTTP (the Worker's client and
 * statements: tenant filter, probe depth scaled by the tenant's share, F8 pass, float32 re-rank)
 * forced onto the IVF path (`exactScanMax: 0`), against the same call forced to the exact scan,
 * interleaved query by query, for each tenant of AI_IVF_PROD_TENANTS:
 *
 * - `big`: chunks 0..9,999 but the 1% tenant's (9,900; at 10k chunks 99% of the index);
 * - `one-percent`: every 100th chunk (1% of the index), queried with queries made from its own texts;
 * - `all`: every chunk retagged to one tenant (a single-tenant index: whole-index queries). Runs
 *   last, since it rewrites the tenant column of the copy.
 *
 *   node bench/ai-ivf-prod.ts        # AI_IVF_PROD_SIZE (10000), AI_IVF_PROD_CORPUS (topical),
 *                                    # AI_IVF_PROD_NPROBE ("": the trained default; "61,120,240"),
 *                                    # AI_IVF_PROD_TENANTS ("big,one-percent,all")
 *
 * The trained database is cached in `.data/bench-ai/` (`ivf-prod-trained-v1-*`; delete it to time
 * training again).
 *
 * `searchPassages` times include the HTTP round trip to the local endpoint (served in this same
 * process) and the batch's other statements; the statement columns time the IVF statement and
 * the exact scan alone on a direct connection (default page cache, as the local endpoint). The
 * "production" column names the path `searchPassages` takes with its defaults (a tenant of at
 * most `EXACT_SCAN_MAX_CHUNKS` is scanned exactly).
 */
import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import Database from "libsql";
import { startLibsqlServer } from "../dev/libsql-server.ts";
import { localEmbedder } from "../src/lib/ai/embeddings.ts";
import { ivfSearchSql, nprobeFor } from "../src/lib/ai/ivf.ts";
import { trainIvfIndex } from "../src/lib/ai/ivf-train.ts";
import { searchPassages, tenantChunkCount } from "../src/lib/ai/retrieval.ts";
import { createDatabase } from "../src/lib/db/client.ts";
import { type CorpusKind, SMALL_TENANT, timed } from "./ai-corpus.ts";
import { baseCorpus, CACHE_DIR, ensureTenantCounts, dims, load, ms, numberList, percentile } from "./ai-ivf-lib.ts";

const n = Number(process.env.AI_IVF_PROD_SIZE ?? 10_000);
const kind = (process.env.AI_IVF_PROD_CORPUS ?? "topical") as CorpusKind;
const listed = numberList(process.env.AI_IVF_PROD_NPROBE, "");
/** 0: the nprobe training chose. */
const nprobes = listed.length ? listed : [0];
const ALL = "all";
const tenants = (process.env.AI_IVF_PROD_TENANTS ?? `big,${SMALL_TENANT},${ALL}`).split(",").filter(Boolean);
const QUERIES = 200;

const dir = mkdtempSync(join(tmpdir(), "ai-ivf-prod-"));
const baseFile = join(dir, "bench.db");
try {
  const { db: raw, globalQueries, tenantQueries } = await baseCorpus(n, kind, baseFile, QUERIES);
  raw.close();
  // Training is deterministic (seeded k-means on a stride sample): the trained copy is cached
  // beside the base corpus, so another nprobe or tenant does not pay minutes of k-means again.
  const trainedFile = join(CACHE_DIR, `ivf-prod-trained-v1-${kind}-${n}.db`);
  const cachedTraining = existsSync(trainedFile);
  // The cached trained copy goes to a file of its own: the base corpus's connection has just
  // used `bench.db`, and a copy written over it is found locked.
  const file = cachedTraining ? join(dir, "trained.db") : baseFile;
  if (cachedTraining) {
    ensureTenantCounts(trainedFile);
    copyFileSync(trainedFile, file);
  }
  const server = await startLibsqlServer({ dbPath: file });
  const db = createDatabase({ url: server.url });
  const embedder = localEmbedder(dims);
  if (cachedTraining) console.log(`ivf-prod: ${kind} ${n}: trained index from ${trainedFile}`);
  else {
    const t0 = performance.now();
    const trained = await trainIvfIndex(db, {
      model: embedder.model,
      // Progress: the first line, every k-means iteration, every tenth page of the assignment.
      log: (line) => {
        const page = /(?:assigned|swept) (\d+) \//.exec(line);
        if (!page || Number(page[1]) % 10_000 === 0 || line.includes("(100%)"))
          console.log(`${line} (${((performance.now() - t0) / 1000).toFixed(0)} s, load ${load()})`);
      },
    });
    console.log(
      `ivf-prod: ${kind} ${n}: trained in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${JSON.stringify(trained)} (load ${load()})`,
    );
    const copy = new Database(file);
    rmSync(`${trainedFile}.tmp`, { force: true });
    copy.exec(`VACUUM INTO '${trainedFile}.tmp'`);
    copy.close();
    renameSync(`${trainedFile}.tmp`, trainedFile);
  }
  /** One retry after a dropped keep-alive socket (the synchronous statement loop holds the event loop). */
  const again = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (err) {
      if (!/fetch failed|ECONNRESET/.test(`${String(err)} ${String((err as Error).cause)}`)) throw err;
      return f();
    }
  };
  const toVectors = (blobs: Buffer[]) =>
    blobs.map((b) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));
  // The statements alone, on a connection of their own (no HTTP, no batch): the IVF statement
  // as retrieval builds it, and the exact scan as `retrieval.ts` writes it.
  const direct = new Database(file);
  // A cached training keeps the nprobe of its day: the default is today's rule (`nprobeFor`).
  if (cachedTraining) {
    const ix = direct.prepare("SELECT nlist, chunks FROM ai_vector_indexes").get([]) as {
      nlist: number;
      chunks: number;
    };
    direct.prepare("UPDATE ai_vector_indexes SET nprobe = ?").run([nprobeFor(ix.nlist, ix.chunks)]);
  }
  const dialect = new SQLiteSyncDialect();
  const exactDirect = direct
    .prepare(
      `SELECT c.id, c.document_id, d.title, c.text, vector_distance_cos(c.embedding, ?) AS distance
       FROM ai_chunks c JOIN ai_documents d ON d.tenant = c.tenant AND d.id = c.document_id
       WHERE c.tenant = ? ORDER BY distance LIMIT 10`,
    )
    .raw(true);
  const rows: string[] = [];
  for (const tenant of tenants) {
    if (tenant === ALL) {
      // One tenant holding every chunk: the documents' ids are unique across tenants.
      direct.exec(`BEGIN; UPDATE ai_documents SET tenant = '${ALL}'; UPDATE ai_chunks SET tenant = '${ALL}'; COMMIT`);
    }
    const blobs = tenant === SMALL_TENANT ? tenantQueries : globalQueries;
    const vectors = toVectors(blobs);
    const { c: size } = direct.prepare("SELECT COUNT(*) AS c FROM ai_chunks WHERE tenant = ?").get([tenant]) as {
      c: number;
    };
    const tenantChunks = tenantChunkCount(tenant);
    const ivfStmt = dialect.sqlToQuery(
      ivfSearchSql({ tenant, model: embedder.model, q: new ArrayBuffer(0), k: 10, tenantChunks, aboveChunks: 0 }),
    );
    const ivfDirect = direct.prepare(ivfStmt.sql).raw(true);
    const search = (vector: Float32Array, exactScanMax?: number) =>
      again(() =>
        searchPassages(db, {
          tenant,
          vector,
          embedder,
          query: "",
          k: 10,
          ...(exactScanMax === undefined ? {} : { exactScanMax }),
        }),
      );
    for (const nprobe of nprobes) {
      // On the direct connection: the synchronous statement loop below holds the event loop long
      // enough for the in-process server to drop the client's idle keep-alive socket.
      if (nprobe > 0) direct.prepare("UPDATE ai_vector_indexes SET nprobe = ?").run([nprobe]);
      const ix = direct.prepare("SELECT nprobe, nlist FROM ai_vector_indexes").get([]) as {
        nprobe: number;
        nlist: number;
      };
      // The path production takes for this tenant (its default exact-scan limit).
      const { strategy: production } = await search(vectors[0]!);
      for (const v of vectors.slice(0, 5)) await search(v, 0);
      const tIvf: number[] = [];
      const tExact: number[] = [];
      let hits = 0;
      let total = 0;
      for (const v of vectors) {
        let t = performance.now();
        const ivf = await search(v, 0);
        tIvf.push(performance.now() - t);
        if (ivf.strategy !== "ivf") throw new Error(`expected the IVF path, got ${ivf.strategy}`);
        t = performance.now();
        const exact = await search(v, Number.MAX_SAFE_INTEGER);
        tExact.push(performance.now() - t);
        const want = new Set(exact.passages.map((p) => p.chunkId));
        hits += ivf.passages.filter((p) => want.has(p.chunkId)).length;
        total += exact.passages.length;
      }
      const sIvf: number[] = [];
      const sExact: number[] = [];
      for (const b of blobs) {
        const params = ivfStmt.params.map((p) => (p instanceof ArrayBuffer ? b : p));
        timed(() => ivfDirect.all(params), sIvf);
        timed(() => exactDirect.all([b, tenant]), sExact);
      }
      const p = (xs: number[]) => `${ms(percentile(xs, 50))}/${ms(percentile(xs, 99))}`;
      const row = `| ${kind} | ${n} | ${tenant} (${size}) | ${production} | ${ix.nlist} | ${ix.nprobe} | ${(hits / total).toFixed(4)} | ${p(tIvf)} | ${p(tExact)} | ${(percentile(tExact, 50) / percentile(tIvf, 50)).toFixed(1)}× | ${p(sIvf)} | ${p(sExact)} | ${(percentile(sExact, 50) / percentile(sIvf, 50)).toFixed(1)}× | ${load()} |`;
      console.log(row);
      rows.push(row);
    }
  }
  direct.close();
  await server.close();
  // Bytes per chunk by component (dbstat), after training: the IVF layout all-in, no DiskANN index.
  const stat = new Database(file);
  stat.exec("VACUUM");
  stat.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  const by = new Map(
    (
      stat.prepare("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").raw(true).all([]) as Array<[string, number]>
    ).map(([name, b]) => [name, Number(b)]),
  );
  stat.close();
  const kib = (names: (name: string) => boolean) =>
    ([...by].filter(([name]) => names(name)).reduce((a, [, b]) => a + b, 0) / n / 1024).toFixed(2);
  const table = (x: string) => x === "ai_chunks" || x.startsWith("ai_chunks_document") || x.includes("ai_documents");
  console.log(
    `\nKiB per chunk: all-in ${(statSync(file).size / n / 1024).toFixed(2)}; table ${kib(table)}; ` +
      `cluster index ${kib((x) => x === "ai_chunks_cluster8")}; centroids ${kib((x) => x.startsWith("ai_centroids"))}; ` +
      `FTS ${kib((x) => x.startsWith("ai_chunks_fts"))}\n`,
  );
  console.log(
    "| corpus | chunks | tenant (chunks) | production path | nlist | nprobe (whole index) | recall@10 vs exact | searchPassages IVF p50/p99 ms | searchPassages exact p50/p99 ms | speed-up p50 | statement IVF p50/p99 ms | statement exact p50/p99 ms | speed-up p50 | load |",
  );
  console.log("|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) console.log(r);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
