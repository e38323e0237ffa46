/**
 * `node bench/ai-ivf.ts`: an IVF-flat layout for the chunk search in plain SQL, measured with
 * the real libSQL engine on the AI bench's corpora (issue 17, stage 1).
 *
 * No DiskANN index: k-means centroids (trained in JavaScript on a sample) in a table, each chunk
 * row tagged with its nearest centroid (`cluster`), and one statement per query that picks the
 * `nprobe` nearest centroids and ranks the chunks of those clusters by exact distance. Recall is
 * lost only to neighbours in clusters that were not probed.
 *
 * Layouts (AI_IVF_LAYOUTS):
 * - `rows`: an index on (cluster, tenant); the float32 vectors are read from the table rows.
 * - `f8`: an extra F8 copy of the vector in the row and a covering index on
 *   (cluster, tenant, embedding8): the scan reads only the index (about 0.3 KiB per chunk,
 *   contiguous per cluster), then the best AI_IVF_RERANK candidates are re-ranked exactly by their
 *   float32 vectors from the table.
 *
 * - `f8expr`: as `f8`, but the covering index is on the expression `vector8(embedding)`, with
 *   no F8 column in the row.
 * - `bits`: a 1-bit first pass (stage 1c): a column `bits F1BIT_BLOB(256)` holding
 *   `vector1bit(x - mean)` (the mean of a 16k stride sample, subtracted in JavaScript at insert
 *   and from the query) and a covering index on (cluster, tenant, bits); the probed clusters' rows
 *   are ranked by Hamming distance, the best R (AI_IVF_BITS_RERANK, a list) re-ranked by their
 *   float32 vectors from the table.
 * - `rpN` (e.g. `rp1024`): as `bits`, but the bits are the signs of N random projections of the
 *   centred vector (SimHash; `F1BIT_BLOB(N)`), computed in JavaScript the same way.
 *
 * Probes (AI_IVF_PROBE, each measured on every layout):
 * - `f32` (default): fixed `nprobe`, one statement; the centroid pass over float32 centroids.
 * - `f8`: the same over F8 copies of the centroids.
 * - `flat` (1-bit layouts only): no clusters, the 1-bit pass over all rows, then the re-rank.
 * - `adaptive` / `adaptive8` (float32 / F8 centroids): two statements. The centroid pass returns
 *   the nearest AI_IVF_MAXPROBE (512) centroids and their distances; JavaScript keeps those
 *   within a margin of the nearest one's distance, at least AI_IVF_MINPROBE (16), at most
 *   AI_IVF_BUDGET (100) % of the rows; the scan takes the list as a JSON array. The margin is
 *   tuned in JavaScript over the same queries (recall of the probed clusters, a 0.0025 grid); the
 *   smallest margin reaching each AI_IVF_TARGETS recall ("0.95,0.96,0.97") is then measured.
 *
 * Per row: recall@10 against the exact scan; p50/p99 (and mean) of the approximate query and of the exact
 * scan, timed next to every 4th approximate query so both see the same machine load; the rows
 * the probe actually reads (clusters differ in size); the same probe with a tenant filter for
 * the 1% tenant (every 100th chunk) and the "big" one (9,900 chunks: 10% at 100k), against their exact scans; bytes
 * per chunk from `dbstat`. Results and their reading: BENCHMARKS.md, 2026-12-06 (issue 17).
 *
 * Options (env): AI_IVF_SIZES ("10000,100000"), AI_IVF_CORPUS ("topical,mixed"), AI_IVF_QUERIES
 * (200), AI_IVF_NLIST (per size, e.g. "100000:632/1000"; default √N, 2√N, 4√N), AI_IVF_NPROBE
 * ("16,32,64,96,128,192,256"), AI_IVF_SAMPLE (k-means sample, 16000), AI_IVF_ITERS (Lloyd
 * iterations, 8), AI_IVF_RERANK (40), AI_IVF_BITS_RERANK ("100,200,400"), AI_IVF_LAYOUTS ("f8";
 * "rows,f8,f8expr,bits,rp1024"), AI_IVF_PROBE ("f32"; "f32,f8,adaptive,adaptive8,flat"), AI_IVF_TENANTS ("0" skips the tenant probes). Base
 * corpora (schema and rows, no vector index) and trained centroids (per corpus, size, nlist,
 * sample and iterations) are kept in `.data/bench-ai/`.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";
import { type CorpusKind, exactScans, SMALL_TENANT, timed, vectorBlob } from "./ai-corpus.ts";
import {
  baseCorpus,
  centred,
  dims,
  load,
  mean,
  ms,
  nearest,
  percentile,
  readVectors,
  sampleMean,
  trainedCentroids,
  hyperplanes,
  numberList,
  corpusList,
} from "./ai-ivf-lib.ts";

const sizes = numberList(process.env.AI_IVF_SIZES, "10000,100000");
const corpora = corpusList(process.env.AI_IVF_CORPUS);
const queries = Number(process.env.AI_IVF_QUERIES ?? 200);
const nprobes = numberList(process.env.AI_IVF_NPROBE, "16,32,64,96,128,192,256");
const sampleSize = Number(process.env.AI_IVF_SAMPLE ?? 16_000);
const iterations = Number(process.env.AI_IVF_ITERS ?? 8);
const rerank = Number(process.env.AI_IVF_RERANK ?? 40);
/** Candidates a 1-bit first pass hands to the float32 re-rank (the `bits` / `rpN` layouts). */
const bitsRerank = numberList(process.env.AI_IVF_BITS_RERANK, "100,200,400");
const layouts = (process.env.AI_IVF_LAYOUTS ?? "f8").split(",");
const probeModes = (process.env.AI_IVF_PROBE ?? "f32").split(",");
const withTenants = process.env.AI_IVF_TENANTS !== "0";
const targets = (process.env.AI_IVF_TARGETS ?? "0.95,0.96,0.97").split(",").map(Number);
const minProbe = Number(process.env.AI_IVF_MINPROBE ?? 16);
const maxProbe = Number(process.env.AI_IVF_MAXPROBE ?? 512);
const budget = Number(process.env.AI_IVF_BUDGET ?? 100) / 100;
const nlistsFor = (n: number): number[] => {
  const spec = (process.env.AI_IVF_NLIST ?? "")
    .split(",")
    .map((s) => s.split(":"))
    .find(([size]) => Number(size) === n);
  if (spec?.[1]) return spec[1].split("/").map(Number);
  const r = Math.sqrt(n);
  return [Math.round(r), Math.round(2 * r), Math.round(4 * r)];
};

const blob = vectorBlob;

function sizesByName(db: Database.Database): Map<string, number> {
  const rows = db.prepare("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").raw(true).all([]) as Array<
    [string, number]
  >;
  return new Map(rows.map(([name, bytes]) => [name, Number(bytes)]));
}

async function run(n: number, kind: CorpusKind): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "ai-ivf-"));
  const out: string[] = [];
  try {
    const file = join(dir, "ivf.db");
    const { db, globalQueries, tenantQueries } = await baseCorpus(n, kind, file, queries);
    const { exact, tenantExact } = exactScans(db);
    for (const b of globalQueries.slice(0, 5)) exact.all([b]);
    const tExact: number[] = [];
    const truth = globalQueries.map((b) => timed(() => exact.all([b]) as Array<[number, number]>, tExact));
    const tTenantExact: number[] = [];
    const tenantTruth = tenantQueries.map((b) =>
      timed(() => tenantExact.all([b, SMALL_TENANT]) as Array<[number, number]>, tTenantExact),
    );
    const tBigExact: number[] = [];
    const bigTruth = globalQueries.map((b) =>
      timed(() => tenantExact.all([b, "big"]) as Array<[number, number]>, tBigExact),
    );
    const bigCount = Number(
      (db.prepare("SELECT COUNT(*) FROM ai_chunks WHERE tenant = 'big'").raw(true).all([]) as Array<[number]>)[0]![0],
    );
    console.log(
      `ivf: ${kind} ${n}: big tenant (${bigCount} chunks) exact p50/p99 ${ms(percentile(tBigExact, 50))}/${ms(percentile(tBigExact, 99))} ms`,
    );
    console.log(
      `ivf: ${kind} ${n}: exact p50/p99 ${ms(percentile(tExact, 50))}/${ms(percentile(tExact, 99))} ms; 1% tenant exact ${ms(percentile(tTenantExact, 50))}/${ms(percentile(tTenantExact, 99))} ms (load ${load()})`,
    );

    // All vectors, for training and assignment.
    const { ids, data } = readVectors(db, n);
    db.exec("ALTER TABLE ai_chunks ADD COLUMN cluster INTEGER");
    db.exec("ALTER TABLE ai_chunks ADD COLUMN embedding8 F8_BLOB(256)");
    // The 1-bit layouts centre vectors on the mean of a 16k stride sample (the query alike).
    const centre = sampleMean(data, n, 16_000);
    // The transform's signs per 1-bit layout (`bits`, `rp1024`), computed once for all nlists:
    // rows, then the global and tenant queries, packed 8 to a byte.
    const signCache = new Map<string, { rows: Uint8Array; queries: Uint8Array }>();
    const packSigns = (vs: Float32Array[], nbits: number) => {
      const out = new Uint8Array(vs.length * (nbits / 8));
      vs.forEach((v, i) => {
        for (let k = 0; k < nbits; k++) if (v[k]! > 0) out[i * (nbits / 8) + (k >> 3)]! |= 1 << (k & 7);
      });
      return out;
    };
    const transformed = (base: string, nbits: number) => {
      const hit = signCache.get(base);
      if (hit) return hit;
      const t = base === "bits" ? (v: Float32Array) => centred(v, centre) : hyperplanes(nbits, 777 + nbits, centre);
      const rows = new Uint8Array(n * (nbits / 8));
      for (let i = 0; i < n; i++)
        rows.set(packSigns([t(data.subarray(i * dims, (i + 1) * dims))], nbits), i * (nbits / 8));
      const queries = packSigns(
        [...globalQueries, ...tenantQueries].map((b) => t(new Float32Array(b.buffer, b.byteOffset, dims))),
        nbits,
      );
      signCache.set(base, { rows, queries });
      return { rows, queries };
    };
    /** Signs `i` as a ±1 F32 vector, which vector1bit() turns back into the same bits. */
    const unpackSigns = (packed: Uint8Array, i: number, nbits: number) =>
      Float32Array.from({ length: nbits }, (_, k) => (packed[i * (nbits / 8) + (k >> 3)]! & (1 << (k & 7)) ? 1 : -1));
    db.exec(
      "CREATE TABLE ai_chunk_centroids (id INTEGER PRIMARY KEY, centroid F32_BLOB(256) NOT NULL, centroid8 F8_BLOB(256))",
    );

    for (const nlist of nlistsFor(n)) {
      const t0 = performance.now();
      // Centroids trained on a stride sample (cached in .data/bench-ai/ by corpus, size, nlist,
      // sample and iterations), so a lever measured on top of them does not train again.
      const count = Math.min(sampleSize, n);
      const centroids = trainedCentroids(kind, data, n, nlist, sampleSize, iterations);
      const trainS = (performance.now() - t0) / 1000;
      const t1 = performance.now();
      const assign = new Int32Array(n);
      for (let i = 0; i < n; i++) assign[i] = nearest(data, i, centroids, nlist)[0];
      const assignS = (performance.now() - t1) / 1000;
      const clusterSizes = new Int32Array(nlist);
      for (const c of assign) clusterSizes[c]!++;
      const sortedSizes = [...clusterSizes].sort((a, b) => a - b);

      db.exec("DROP INDEX IF EXISTS ai_chunks_cluster");
      db.exec("DROP INDEX IF EXISTS ai_chunks_cluster8");
      db.exec("BEGIN");
      db.exec("DELETE FROM ai_chunk_centroids");
      const insC = db.prepare("INSERT INTO ai_chunk_centroids (id, centroid) VALUES (?, ?)");
      for (let c = 0; c < nlist; c++) insC.run([c, blob(centroids.subarray(c * dims, (c + 1) * dims))]);
      db.exec("UPDATE ai_chunk_centroids SET centroid8 = vector8(centroid)");
      const upd = db.prepare("UPDATE ai_chunks SET cluster = ? WHERE id = ?");
      for (let i = 0; i < n; i++) upd.run([assign[i], ids[i]]);
      db.exec("COMMIT");
      console.log(
        `ivf: ${kind} ${n}: nlist ${nlist}: k-means on ${count} in ${trainS.toFixed(1)} s, assignment ${assignS.toFixed(1)} s; cluster sizes min/median/p99/max ${sortedSizes[0]}/${percentile(sortedSizes, 50)}/${percentile(sortedSizes, 99)}/${sortedSizes.at(-1)} (load ${load()})`,
      );

      for (const layout of layouts) {
        db.exec("DROP INDEX IF EXISTS ai_chunks_cluster");
        db.exec("DROP INDEX IF EXISTS ai_chunks_cluster8");
        db.exec("DROP INDEX IF EXISTS ai_chunks_cluster_bits");
        db.exec("UPDATE ai_chunks SET embedding8 = NULL");
        if (db.prepare("SELECT 1 FROM pragma_table_info('ai_chunks') WHERE name = 'bits'").raw(true).all([]).length)
          db.exec("ALTER TABLE ai_chunks DROP COLUMN bits");
        // 1-bit layouts: `bits` = sign bits of the centred vector (256), `rpN` = of N random
        // projections of it. The transform runs in JavaScript at insert and per query.
        // A trailing `f8` (`rp1024f8`): the index also covers the F8 vector, and the best R by
        // Hamming distance are narrowed to AI_IVF_RERANK by F8 distance before the float32 re-rank.
        const bitsLayout = /^(bits|rp\d+)(f8)?$/.test(layout);
        const bitsF8 = bitsLayout && layout.endsWith("f8");
        const bitsBase = bitsF8 ? layout.slice(0, -2) : layout;
        const nbits = bitsBase === "bits" ? dims : Number(bitsBase.slice(2));
        const queryBits = new Map<Buffer, Buffer>();
        if (bitsLayout) {
          const { rows, queries: qb } = transformed(bitsBase, nbits);
          db.exec(`ALTER TABLE ai_chunks ADD COLUMN bits F1BIT_BLOB(${nbits})`);
          db.exec("BEGIN");
          const upd = db.prepare("UPDATE ai_chunks SET bits = vector1bit(?) WHERE id = ?");
          for (let i = 0; i < n; i++) upd.run([blob(unpackSigns(rows, i, nbits)), ids[i]]);
          db.exec("COMMIT");
          [...globalQueries, ...tenantQueries].forEach((b, q) => queryBits.set(b, blob(unpackSigns(qb, q, nbits))));
          if (bitsF8) db.exec("UPDATE ai_chunks SET embedding8 = vector8(embedding)");
          db.exec(
            `CREATE INDEX ai_chunks_cluster_bits ON ai_chunks (cluster, tenant, bits${bitsF8 ? ", embedding8" : ""})`,
          );
        } else if (layout === "rows") db.exec("CREATE INDEX ai_chunks_cluster ON ai_chunks (cluster, tenant)");
        else if (layout === "f8expr")
          db.exec("CREATE INDEX ai_chunks_cluster8 ON ai_chunks (cluster, tenant, vector8(embedding))");
        else {
          db.exec("UPDATE ai_chunks SET embedding8 = vector8(embedding)");
          db.exec("CREATE INDEX ai_chunks_cluster8 ON ai_chunks (cluster, tenant, embedding8)");
        }
        db.exec("VACUUM");
        db.exec("ANALYZE");
        // VACUUM in WAL mode writes the new pages to the WAL: checkpoint so the file size is the database's.
        db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
        const sz = sizesByName(db);
        const fileBytes = statSync(file).size;
        let table = 0;
        let ivf = 0;
        let fts = 0;
        for (const [name, bytes] of sz) {
          if (name.startsWith("ai_chunks_fts")) fts += bytes;
          else if (name === "ai_chunk_centroids" || name.startsWith("ai_chunks_cluster")) ivf += bytes;
          else if (name === "ai_chunks" || name.startsWith("ai_chunks_document") || name.startsWith("ai_documents"))
            table += bytes;
          else if (name.startsWith("sqlite_autoindex_ai_documents")) table += bytes;
        }
        const kib = (b: number) => (b / n / 1024).toFixed(2);
        // 1-bit first pass (Hamming distance, which libSQL's cosine distance of F1BIT vectors is),
        // then the best ?5 re-ranked by float32 distance. No `inList`: all rows (the flat variant).
        const bitsScan = (inList: string | undefined, tenant: boolean) =>
          `WITH bitcand AS (SELECT id${bitsF8 ? ", embedding8" : ""} FROM ai_chunks INDEXED BY ai_chunks_cluster_bits WHERE ${inList ? `cluster IN (${inList})` : "1"}${tenant ? " AND tenant = ?3" : ""} ORDER BY vector_distance_cos(bits, (SELECT vector1bit(?4))) LIMIT ?5), ` +
          `cand AS (SELECT id FROM bitcand${bitsF8 ? ` ORDER BY vector_distance_cos(embedding8, (SELECT vector8(?1))) LIMIT ${rerank}` : ""}) ` +
          "SELECT c.id, vector_distance_cos(c.embedding, ?1) AS d FROM cand JOIN ai_chunks c ON c.id = cand.id ORDER BY d LIMIT 10";
        const scan = (inList: string, tenant: boolean) =>
          bitsLayout
            ? bitsScan(inList, tenant)
            : layout === "rows"
              ? `SELECT id, vector_distance_cos(embedding, ?1) AS d FROM ai_chunks INDEXED BY ai_chunks_cluster WHERE cluster IN (${inList})${tenant ? " AND tenant = ?3" : ""} ORDER BY d LIMIT 10`
              : `WITH cand AS (SELECT id FROM ai_chunks INDEXED BY ai_chunks_cluster8 WHERE cluster IN (${inList})${tenant ? " AND tenant = ?3" : ""} ORDER BY vector_distance_cos(${layout === "f8expr" ? "vector8(embedding)" : "embedding8"}, (SELECT vector8(?1))) LIMIT ${rerank}) ` +
                "SELECT c.id, vector_distance_cos(c.embedding, ?1) AS d FROM cand JOIN ai_chunks c ON c.id = cand.id ORDER BY d LIMIT 10";
        // The centroid pass over float32 centroids, or over their F8 copies (a quarter of the bytes).
        const centroidDistance = (mode: string) =>
          mode.endsWith("8")
            ? "vector_distance_cos(centroid8, (SELECT vector8(?1)))"
            : "vector_distance_cos(centroid, ?1)";
        type Probe = {
          global: (b: Buffer) => Array<[number, number]>;
          tenant: (b: Buffer, t: string) => Array<[number, number]>;
          /** Rows in the clusters probed for this query. */
          rowsRead: (b: Buffer) => number;
        };
        const measure = (mode: string, nprobeLabel: string, p: Probe) => {
          for (const b of globalQueries.slice(0, 5)) p.global(b);
          const tA: number[] = [];
          const tT: number[] = [];
          let hits = 0;
          let total = 0;
          let tHits = 0;
          let tTotal = 0;
          // The exact scan is timed next to every 4th approximate query (same load), as the row's baseline.
          const tE: number[] = [];
          globalQueries.forEach((b, q) => {
            if (q % 4 === 0) timed(() => exact.all([b]), tE);
            const found = new Set(timed(() => p.global(b), tA).map((r) => r[0]));
            hits += truth[q]!.filter(([id]) => found.has(id)).length;
            total += truth[q]!.length;
          });
          const tB: number[] = [];
          let bHits = 0;
          let bTotal = 0;
          if (withTenants) {
            tenantQueries.forEach((b, q) => {
              const found = new Set(timed(() => p.tenant(b, SMALL_TENANT), tT).map((r) => r[0]));
              tHits += tenantTruth[q]!.filter(([id]) => found.has(id)).length;
              tTotal += tenantTruth[q]!.length;
            });
            globalQueries.forEach((b, q) => {
              const found = new Set(timed(() => p.tenant(b, "big"), tB).map((r) => r[0]));
              bHits += bigTruth[q]!.filter(([id]) => found.has(id)).length;
              bTotal += bigTruth[q]!.length;
            });
          }
          // Rows the probe actually reads (clusters differ in size), averaged over the queries.
          let rowsRead = 0;
          for (const b of globalQueries) rowsRead += p.rowsRead(b);
          const scanned = ((rowsRead / globalQueries.length / n) * 100).toFixed(1);
          const row = `| ${kind} | ${n} | ${layout} | ${mode} | ${nlist} | ${nprobeLabel} | ≈${scanned}% | ${(hits / total).toFixed(4)} | ${ms(percentile(tA, 50))}/${ms(percentile(tA, 99))} | ${ms(percentile(tE, 50))}/${ms(percentile(tE, 99))} | ${(percentile(tE, 50) / percentile(tA, 50)).toFixed(1)}× | ${withTenants ? (tHits / tTotal).toFixed(4) : "–"} | ${ms(percentile(tT, 50))}/${ms(percentile(tT, 99))} | ${ms(percentile(tTenantExact, 50))} | ${withTenants ? (bHits / bTotal).toFixed(4) : "–"} | ${ms(percentile(tB, 50))}/${ms(percentile(tB, 99))} | ${ms(percentile(tBigExact, 50))} | ${kib(fileBytes)} | ${kib(table)} | ${kib(ivf)} | ${kib(fts)} | ${load()} | ${ms(mean(tA))} / ${ms(mean(tE))} |`;
          console.log(row);
          out.push(row);
        };

        for (const mode of probeModes) {
          if (mode === "f32" || mode === "f8") {
            // Fixed nprobe: one statement, the centroid pass inside it.
            const probe = `SELECT id FROM ai_chunk_centroids ORDER BY ${centroidDistance(mode)} LIMIT ?2`;
            const global = db.prepare(scan(probe, false)).raw(true);
            const tenant = db.prepare(scan(probe, true)).raw(true);
            const countProbed = db.prepare(`SELECT COUNT(*) FROM ai_chunks WHERE cluster IN (${probe})`).raw(true);
            // On a second connection: a finished EXPLAIN statement on `db` still blocked the next
            // layout's DROP INDEX ("database table is locked").
            const planDb = new Database(file);
            const plan = planDb
              .prepare(`EXPLAIN QUERY PLAN ${scan(probe, false)}`)
              .raw(true)
              .all(
                bitsLayout ? [globalQueries[0], 1, null, queryBits.get(globalQueries[0]!), 10] : [globalQueries[0], 1],
              ) as unknown[][];
            planDb.close();
            console.log(`ivf: ${layout}/${mode} plan: ${plan.map((r) => r.at(-1)).join("; ")}`);
            for (const nprobe of nprobes) {
              if (nprobe > nlist) continue;
              const rowsRead = (b: Buffer) => Number((countProbed.all([b, nprobe]) as Array<[number]>)[0]![0]);
              if (!bitsLayout)
                measure(mode, String(nprobe), {
                  global: (b) => global.all([b, nprobe]) as Array<[number, number]>,
                  tenant: (b, t) => tenant.all([b, nprobe, t]) as Array<[number, number]>,
                  rowsRead,
                });
              else
                for (const r of bitsRerank)
                  measure(mode, `${nprobe}, R ${r}`, {
                    global: (b) => global.all([b, nprobe, null, queryBits.get(b), r]) as Array<[number, number]>,
                    tenant: (b, t) => tenant.all([b, nprobe, t, queryBits.get(b), r]) as Array<[number, number]>,
                    rowsRead,
                  });
            }
          } else if (mode === "flat" && bitsLayout) {
            // The 1-bit pass over all rows (no clusters), for reference.
            const global = db.prepare(bitsScan(undefined, false)).raw(true);
            const tenant = db.prepare(bitsScan(undefined, true)).raw(true);
            for (const r of bitsRerank)
              measure(mode, `all, R ${r}`, {
                global: (b) => global.all([b, null, null, queryBits.get(b), r]) as Array<[number, number]>,
                tenant: (b, t) => tenant.all([b, null, t, queryBits.get(b), r]) as Array<[number, number]>,
                rowsRead: () => n,
              });
          } else if (mode === "adaptive" || mode === "adaptive8") {
            // Adaptive nprobe: two statements. The centroid pass returns the nearest AI_IVF_MAXPROBE
            // centroids with their distances; JavaScript keeps those within `margin` of the nearest
            // one (at least AI_IVF_MINPROBE, at most AI_IVF_BUDGET% of the rows); the scan takes
            // that list as a JSON array.
            const centroidPass = db
              .prepare(
                `SELECT id, ${centroidDistance(mode)} AS d FROM ai_chunk_centroids ORDER BY d LIMIT ${Math.min(maxProbe, nlist)}`,
              )
              .raw(true);
            const inList = "SELECT value FROM json_each(?2)";
            const global = db.prepare(scan(inList, false)).raw(true);
            const tenant = db.prepare(scan(inList, true)).raw(true);
            const choose = (ds: ArrayLike<number>, ids: ArrayLike<number>, margin: number): number[] => {
              const list: number[] = [];
              let rows = 0;
              for (let j = 0; j < ds.length; j++) {
                if (j >= minProbe && (ds[j]! - ds[0]! > margin || rows + clusterSizes[ids[j]!]! > budget * n)) break;
                list.push(ids[j]!);
                rows += clusterSizes[ids[j]!]!;
              }
              return list;
            };
            // Tune the margin in JavaScript first (the clusters a query probes decide its recall:
            // distances inside them are exact), then measure the smallest margin reaching each
            // AI_IVF_TARGETS recall with the real statements.
            const idIndex = new Map<number, number>();
            ids.forEach((id, i) => idIndex.set(id, i));
            const sorted = globalQueries.map((b) => {
              const q = new Float32Array(b.buffer, b.byteOffset, dims);
              const ds = new Float64Array(nlist);
              for (let c = 0; c < nlist; c++) {
                let dot = 0;
                for (let d = 0; d < dims; d++) dot += q[d]! * centroids[c * dims + d]!;
                ds[c] = 1 - dot;
              }
              const order = Array.from({ length: nlist }, (_, c) => c)
                .sort((a, b2) => ds[a]! - ds[b2]!)
                .slice(0, Math.min(maxProbe, nlist));
              return { ids: order, ds: order.map((c) => ds[c]!) };
            });
            const sweep: Array<{ margin: number; recall: number; rows: number; nprobe: number }> = [];
            for (let m = 0; m <= 0.3; m += 0.0025) {
              let hit = 0;
              let tot = 0;
              let rows = 0;
              let probes = 0;
              sorted.forEach(({ ids: cs, ds }, q) => {
                const list = new Set(choose(ds, cs, m));
                probes += list.size;
                for (const c of list) rows += clusterSizes[c]!;
                for (const [id] of truth[q]!) if (list.has(assign[idIndex.get(Number(id))!]!)) hit++;
                tot += truth[q]!.length;
              });
              sweep.push({
                margin: m,
                recall: hit / tot,
                rows: rows / sorted.length / n,
                nprobe: probes / sorted.length,
              });
            }
            const margins = [
              ...new Set(
                targets
                  .map((t) => sweep.find((r) => r.recall >= t))
                  .filter((r) => r !== undefined)
                  .map((r) => r.margin),
              ),
            ];
            for (const r of sweep.filter((r) => r.recall >= targets[0]! - 0.03 && r.recall <= targets.at(-1)! + 0.01))
              console.log(
                `ivf: ${kind} ${n}: nlist ${nlist} ${mode} margin ${r.margin.toFixed(4)}: recall ${r.recall.toFixed(4)} (clusters probed), mean nprobe ${r.nprobe.toFixed(0)}, rows ${(r.rows * 100).toFixed(1)}%`,
              );
            // The fixed-nprobe curve from the same sorted lists, to compare at equal rows read.
            for (const nprobe of nprobes) {
              if (nprobe > sorted[0]!.ids.length) continue;
              let hit = 0;
              let tot = 0;
              let rows = 0;
              sorted.forEach(({ ids: cs }, q) => {
                const list = new Set(cs.slice(0, nprobe));
                for (const c of list) rows += clusterSizes[c]!;
                for (const [id] of truth[q]!) if (list.has(assign[idIndex.get(Number(id))!]!)) hit++;
                tot += truth[q]!.length;
              });
              console.log(
                `ivf: ${kind} ${n}: nlist ${nlist} fixed nprobe ${nprobe}: recall ${(hit / tot).toFixed(4)} (clusters probed), rows ${((rows / sorted.length / n) * 100).toFixed(1)}%`,
              );
            }
            for (const margin of margins) {
              let probes = 0;
              const pick = (b: Buffer) => {
                const rs = centroidPass.all([b]) as Array<[number, number]>;
                return choose(
                  rs.map((r) => r[1]),
                  rs.map((r) => Number(r[0])),
                  margin,
                );
              };
              for (const b of globalQueries) probes += pick(b).length;
              measure(mode, `m ${margin.toFixed(4)} (≈${(probes / globalQueries.length).toFixed(0)})`, {
                global: (b) => global.all([b, JSON.stringify(pick(b))]) as Array<[number, number]>,
                tenant: (b, t) => tenant.all([b, JSON.stringify(pick(b)), t]) as Array<[number, number]>,
                rowsRead: (b) => pick(b).reduce((sum, c) => sum + clusterSizes[c]!, 0),
              });
            }
          }
        }
      }
    }
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

const rows: string[] = [];
for (const kind of corpora) for (const n of sizes) rows.push(...(await run(n, kind)));
console.log(
  [
    "",
    `IVF probe, ${queries} queries, rerank ${rerank}, k-means sample ${sampleSize}, ${iterations} iterations, adaptive: nprobe ${minProbe}–${maxProbe}, budget ${budget * 100}% of the rows`,
    "",
    "| corpus | chunks | layout | probe | nlist | nprobe | rows read | recall@10 | approx p50/p99 ms | exact p50/p99 ms | speed-up p50 | 1% tenant recall@10 | 1% tenant approx p50/p99 ms | 1% tenant exact p50 ms | big tenant (9,900 chunks) recall@10 | big tenant approx p50/p99 ms | big tenant exact p50 ms | all-in KiB/chunk | table | IVF (centroids + cluster index) | FTS | load | approx / exact mean ms |",
    "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows,
  ].join("\n"),
);
