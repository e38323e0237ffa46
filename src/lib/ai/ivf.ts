/**
 * The IVF (cluster) layout of the chunk vectors: k-means centroids per embedding model in
 * `ai_centroids`, each chunk tagged with its nearest centroid (`ai_chunks.cluster`), and one
 * SQL statement per query that takes the `nprobe` nearest centroids and ranks the tenant's
 * chunks of those clusters by an F8 copy of their vectors (the expression index
 * `ai_chunks_cluster8` on (cluster, tenant, vector8(embedding))), then re-ranks the best few
 * dozen by their float32 vectors. Distances inside the probed clusters are exact; recall is
 * lost only to clusters that were not probed.
 *
 * Why this and not libSQL's DiskANN index (`vector_top_k`): measured at 100k chunks
 * (BENCHMARKS.md, 2026-12-06, issue 17) it gives recall@10 0.955 at about 10x the exact scan's
 * speed with 2.8 KiB per chunk all-in, where the DiskANN index needed about 20 KiB per chunk
 * for the same recall at 3x; and the tenant filter sits inside the statement's WHERE, where
 * `vector_top_k` can only be over-fetched and filtered afterwards.
 *
 * Training (`trainIvfIndex`, run by `npm run ai:train`) is spherical k-means in JavaScript on
 * a sample of the model's vectors; the assignment of every chunk then runs in pages. Until
 * the index is `ready` retrieval keeps its previous path (the DiskANN index or the exact
 * scan); the switch is the one UPDATE that marks it ready.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { EMBEDDING_DIMENSIONS } from "../db/schema.ts";

/**
 * Below this many chunks of a model no tenant can be larger than the exact-scan limit of
 * `retrieval.ts` (`EXACT_SCAN_MAX_CHUNKS`), so an IVF index would never be used: training
 * refuses (the exact scan is exact and, at that size, about as fast).
 */
export const IVF_MIN_CHUNKS = 10_000;
/** Clusters ≈ 4.75·√N (1,500 at 100k chunks, the measured setting), within these bounds. */
export const NLIST_MIN = 16;
export const NLIST_MAX = 4_096;
/**
 * Share of the clusters a whole-index query probes: 19.17% at 100k chunks and above (288 of
 * 1,502: recall@10 0.971 on both bench corpora at 10.5–11.6x the exact scan; 12.8% gave 0.9445
 * on the topical one; BENCHMARKS.md, stage 2 at 100k), more below, where clusters are smaller and
 * a query's neighbours spread over more of them (10k chunks, nlist 475: 25% of the clusters gave
 * recall 0.92–0.93, 50% 0.98–0.99; stage 2). Between the two, a power law (×(100k/N)^0.41: 49% at
 * 10k). Above 100k not measured: kept at 19.17%.
 */
export const NPROBE_SHARE = 0.1917;
const NPROBE_REFERENCE_CHUNKS = 100_000;
const NPROBE_EXPONENT = 0.41;
/** Candidates the F8 pass hands to the float32 re-rank (40 lost nothing in the benchmark). */
export const RERANK_MIN = 40;
/**
 * Training sample: this many vectors per cluster, at most all (at 100k chunks and 1,500
 * clusters nearly all of them: stage 1 found centroids from all 100k vectors clearly better
 * than from a 16k sample).
 */
export const SAMPLE_PER_CLUSTER = 64;
export const KMEANS_ITERATIONS = 12;
const KMEANS_SEED = 12345;

/** The number of clusters for a model with `chunks` chunks. */
export function nlistFor(chunks: number): number {
  return Math.min(NLIST_MAX, Math.max(NLIST_MIN, Math.round(4.75 * Math.sqrt(chunks))));
}

/** The probe depth of a whole-index query for `nlist` clusters over `chunks` chunks. */
export function nprobeFor(nlist: number, chunks: number): number {
  const share = NPROBE_SHARE * Math.max(1, NPROBE_REFERENCE_CHUNKS / Math.max(1, chunks)) ** NPROBE_EXPONENT;
  return Math.min(nlist, Math.max(8, Math.ceil(nlist * share)));
}

// ---------------------------------------------------------------------------
// Spherical k-means (cosine): random init from the sample, Lloyd iterations, centroids
// re-normalised; an empty cluster takes the sample point farthest from its centroid. The
// same algorithm, seed and order of operations as the measured one (bench/ai-ivf-lib.ts
// imports these), so the benchmark's cached centroids stay valid.
// ---------------------------------------------------------------------------

/** The nearest of `k` unit centroids to vector `i` of `data` by dot product: [index, dot]. */
export function nearestCentroid(
  data: Float32Array,
  i: number,
  centroids: Float32Array,
  k: number,
  dims = EMBEDDING_DIMENSIONS,
): [number, number] {
  let best = -1;
  let bestDot = -Infinity;
  const off = i * dims;
  for (let c = 0; c < k; c++) {
    const co = c * dims;
    // Four accumulators: about twice as fast in V8 as one (dims is a multiple of 4).
    let d0 = 0;
    let d1 = 0;
    let d2 = 0;
    let d3 = 0;
    for (let d = 0; d < dims; d += 4) {
      d0 += data[off + d]! * centroids[co + d]!;
      d1 += data[off + d + 1]! * centroids[co + d + 1]!;
      d2 += data[off + d + 2]! * centroids[co + d + 2]!;
      d3 += data[off + d + 3]! * centroids[co + d + 3]!;
    }
    const dot = d0 + d1 + d2 + d3;
    if (dot > bestDot) {
      bestDot = dot;
      best = c;
    }
  }
  return [best, bestDot];
}

export interface KmeansOptions {
  seed?: number;
  iterations?: number;
  dims?: number;
  /** Called after each Lloyd iteration (for a progress line). */
  onIteration?: (done: number, of: number) => void;
}

/** `k` unit centroids of the `count` vectors in `sample` (k ≤ count). */
export function sphericalKmeans(sample: Float32Array, count: number, k: number, options: KmeansOptions = {}) {
  const { seed = KMEANS_SEED, iterations = KMEANS_ITERATIONS, dims = EMBEDDING_DIMENSIONS } = options;
  if (k > count) throw new RangeError(`k-means: ${k} clusters need at least ${k} vectors, got ${count}`);
  let s = seed >>> 0;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const centroids = new Float32Array(k * dims);
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  for (let c = 0; c < k; c++) centroids.set(sample.subarray(order[c]! * dims, (order[c]! + 1) * dims), c * dims);
  const assign = new Int32Array(count);
  const sims = new Float32Array(count);
  for (let it = 0; it < iterations; it++) {
    for (let i = 0; i < count; i++) {
      const [c, dot] = nearestCentroid(sample, i, centroids, k, dims);
      assign[i] = c;
      sims[i] = dot;
    }
    const sums = new Float64Array(k * dims);
    const sizes = new Int32Array(k);
    for (let i = 0; i < count; i++) {
      const c = assign[i]!;
      sizes[c]!++;
      for (let d = 0; d < dims; d++) sums[c * dims + d]! += sample[i * dims + d]!;
    }
    const far = Array.from({ length: count }, (_, i) => i).sort((a, b) => sims[a]! - sims[b]!);
    let nextFar = 0;
    for (let c = 0; c < k; c++) {
      if (sizes[c] === 0) {
        const p = far[nextFar++]!;
        centroids.set(sample.subarray(p * dims, (p + 1) * dims), c * dims);
        continue;
      }
      let norm = 0;
      for (let d = 0; d < dims; d++) norm += sums[c * dims + d]! ** 2;
      norm = Math.sqrt(norm) || 1;
      for (let d = 0; d < dims; d++) centroids[c * dims + d] = sums[c * dims + d]! / norm;
    }
    options.onIteration?.(it + 1, iterations);
  }
  return centroids;
}

// ---------------------------------------------------------------------------
// SQL
// ---------------------------------------------------------------------------

/** The model's current centroid set (building or ready): what a new row is assigned to. */
const currentVersion = (model: string): SQL => sql`(SELECT version FROM ai_vector_indexes WHERE model = ${model})`;

/**
 * The id of the nearest centroid of the model's current index to `vector` (an F32 blob or a
 * column of the row being written), NULL while the model has no index. The distance sits in a
 * derived table: SQLite does not resolve an updated row's columns in a subquery's ORDER BY.
 */
export function nearestCluster(model: string, vector: SQL): SQL {
  return sql`(SELECT id FROM (
    SELECT id, vector_distance_cos(centroid, ${vector}) AS distance FROM ai_centroids
    WHERE model = ${model} AND version = ${currentVersion(model)})
  ORDER BY distance LIMIT 1)`;
}

/**
 * Gives the chunks of one document their nearest centroid of the model's current index (for
 * the ingest batch, after the chunks' INSERT). A no-op while the model has no index: the
 * chunks keep `cluster` NULL, which the IVF statement scans too, and training assigns them.
 */
export function assignDocumentClusters(db: Database, tenant: string, documentId: string, model: string) {
  return db.run(sql`
    UPDATE ai_chunks SET cluster = ${nearestCluster(model, sql`ai_chunks.embedding`)}
    WHERE tenant = ${tenant} AND document_id = ${documentId}
      AND EXISTS (SELECT 1 FROM ai_vector_indexes WHERE model = ${model})`);
}

/**
 * `vector_top_k` over a DiskANN index that was dropped (after the switch to IVF) fails the
 * whole batch, even where its guard is false. A gate per index remembers, per isolate, when
 * that happened and leaves the statement out for a minute; a plain value, not a shared
 * promise, so every request makes its own progress.
 */
export class DiskannGate {
  #missingAt = Number.NEGATIVE_INFINITY;
  static readonly RECHECK_MS = 60_000;

  /** Runs `f` with the DiskANN statement included while the index is believed present; once more without it if it is missing. */
  async run<T>(f: (withDiskann: boolean) => Promise<T>): Promise<T> {
    const withDiskann = Date.now() - this.#missingAt > DiskannGate.RECHECK_MS;
    try {
      return await f(withDiskann);
    } catch (err) {
      if (!withDiskann || !/vector index|no such index/i.test(String((err as Error)?.message ?? err))) throw err;
      this.#missingAt = Date.now();
      return f(false);
    }
  }
}

/*
 * A tenant's probe depth: `nprobe` scaled by √(model chunks ÷ tenant chunks), at most all
 * clusters. A tenant filter needs a deeper probe than a whole-index query for the same recall
 * (its own nearest chunks lie farther out; measured: a 10% tenant needs about twice the
 * clusters), while it reads only its own rows of each probed cluster. The √ is taken without
 * SQL math functions (not every libSQL build has them): the ratio's power of two, rounded down
 * to a half step, which errs on the shallow side by at most 29%.
 */

export interface IvfQuery {
  tenant: string;
  model: string;
  /** The query vector as an F32 blob. */
  q: ArrayBuffer;
  k: number;
  /** The tenant's chunk count (a scalar subquery), which sets the probe depth. */
  tenantChunks: SQL;
  /** Reads nothing unless the tenant has more chunks than this (below it, the exact scan serves). */
  aboveChunks: number;
}

/** The columns `retrieval.ts` reads. */
export interface IvfRow {
  id: number;
  document_id: string;
  title: string | null;
  text: string;
  distance: number;
}

/**
 * The tenant's `k` nearest chunks through the model's ready IVF index, in one statement:
 * centroid pass → the tenant's rows of the probed clusters (and any row not yet assigned)
 * ranked by F8 distance from the expression index → the best `max(40, 4k)`
 * re-ranked by float32 distance. Returns no rows when the index is not ready or the tenant is
 * not above `aboveChunks`.
 */
export function ivfSearch(db: Database, o: IvfQuery) {
  return db.all<IvfRow>(ivfSearchSql(o));
}

/** The statement of `ivfSearch` (for its query plan in the tests). */
export function ivfSearchSql(o: IvfQuery): SQL {
  const rerank = Math.max(RERANK_MIN, 4 * o.k);
  const ladder = sql.raw(
    Array.from({ length: 16 }, (_, i) => `WHEN r < ${2 ** (i + 1)} THEN ${(Math.SQRT2 ** i).toFixed(4)}`).join(" "),
  );
  const q8 = sql`(SELECT vector8(${o.q}))`;
  // `ix`: one row (version, probe depth) when the model's index is ready and the tenant is above
  // `aboveChunks`, else none; materialized so the tenant's chunk count is summed once.
  return sql`
    WITH ix AS MATERIALIZED (
      SELECT version, MIN(nlist, CAST(nprobe * (CASE ${ladder} ELSE 256 END) AS INTEGER) + 1) AS depth
      FROM (SELECT version, nlist, nprobe, chunks * 1.0 / MAX(1, n) AS r
            FROM ai_vector_indexes, (SELECT ${o.tenantChunks} AS n)
            WHERE model = ${o.model} AND state = 'ready' AND n > ${o.aboveChunks})),
    probe AS (
      SELECT id FROM ai_centroids WHERE model = ${o.model} AND version = (SELECT version FROM ix)
      ORDER BY vector_distance_cos(centroid, ${o.q}) LIMIT COALESCE((SELECT depth FROM ix), 0)),
    cand AS (
      SELECT id, vector_distance_cos(vector8(embedding), ${q8}) AS d8
      FROM ai_chunks INDEXED BY ai_chunks_cluster8
      WHERE cluster IN (SELECT id FROM probe) AND tenant = ${o.tenant}
      UNION ALL
      SELECT id, vector_distance_cos(vector8(embedding), ${q8}) AS d8
      FROM ai_chunks INDEXED BY ai_chunks_cluster8
      WHERE cluster IS NULL AND tenant = ${o.tenant} AND EXISTS (SELECT 1 FROM ix)
      ORDER BY d8 LIMIT ${rerank})
    SELECT c.id AS id, c.document_id AS document_id, d.title AS title, c.text AS text,
           vector_distance_cos(c.embedding, ${o.q}) AS distance
    FROM cand JOIN ai_chunks c ON c.id = cand.id
    JOIN ai_documents d ON d.tenant = c.tenant AND d.id = c.document_id
    ORDER BY distance LIMIT ${o.k}`;
}
