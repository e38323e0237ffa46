/**
 * Training and upkeep of the IVF index of one embedding model (layout: `ivf.ts`), for the
 * operator command `npm run ai:train` (`dev/ai-train.ts`). Plain JavaScript over a `Database`,
 * so it runs the same against Turso from a laptop, against the local endpoint, and inside
 * workerd in the tests.
 *
 * Steps, each safe to interrupt (a rerun starts a new version):
 * 1. count the model's chunks; below `IVF_MIN_CHUNKS` nothing is trained (every tenant is
 *    scanned exactly);
 * 2. read a stride sample of the vectors in pages and run spherical k-means on it;
 * 3. in one transaction: the index row goes to `building` with a new version and the
 *    centroids are written. From here new chunks get their cluster at insert (`ingest.ts`);
 *    retrieval still uses its previous path (a retrain leaves the IVF path until step 5);
 * 4. every chunk of the model not yet in the new version is assigned its nearest centroid, in
 *    pages, one UPDATE per page, with a progress line; cached answers under an older version
 *    of the model (a retrain) move to the new centroids;
 * 5. the switch: the index row goes to `ready` and older centroid versions are deleted; a last
 *    sweep assigns chunks that an ingest running across the switch wrote without a cluster.
 */
import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { EMBEDDING_DIMENSIONS } from "../db/schema.ts";
import {
  IVF_MIN_CHUNKS,
  KMEANS_ITERATIONS,
  nearestCentroid,
  nearestCluster,
  nlistFor,
  nprobeFor,
  SAMPLE_PER_CLUSTER,
  sphericalKmeans,
} from "./ivf.ts";

/** The DiskANN index of migrations 0001/0004, kept until every large model has a ready IVF index. */
export const DISKANN_INDEX = "ai_chunks_embedding_idx";
/** The semantic cache's DiskANN index (migration 0003), dropped with the chunks' one. */
export const CACHE_DISKANN_INDEX = "ai_answer_cache_embedding_idx";
const PAGE_ROWS = 1_000;
/** Centroid rows per INSERT (each binds a 1 KiB vector). */
const CENTROID_ROWS = 64;

export interface TrainOptions {
  model: string;
  nlist?: number;
  nprobe?: number;
  /** Vectors k-means trains on (default 64 per cluster, at most all). */
  sample?: number;
  iterations?: number;
  seed?: number;
  /** Refuse below this many chunks (default `IVF_MIN_CHUNKS`; tests lower it). */
  minChunks?: number;
  pageRows?: number;
  log?: (line: string) => void;
}

export interface TrainResult {
  model: string;
  chunks: number;
  /** Why nothing was trained, if nothing was. */
  skipped?: string;
  version?: number;
  nlist?: number;
  nprobe?: number;
  sample?: number;
  assigned?: number;
  trainSeconds?: number;
  totalSeconds?: number;
}

/**
 * Runs an idempotent read or write again after a dropped connection: k-means holds the event
 * loop for minutes, long enough for the server to close the client's idle keep-alive socket,
 * and the next request on it fails with "fetch failed" (ECONNRESET) though nothing ran.
 */
async function again<T>(f: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await f();
    } catch (err) {
      const text = `${String(err)} ${String((err as { cause?: unknown })?.cause)}`;
      if (attempt >= 3 || !/fetch failed|ECONNRESET|socket hang up|other side closed/i.test(text)) throw err;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

const toVector = (raw: unknown, dims: number): Float32Array => {
  const bytes =
    raw instanceof ArrayBuffer
      ? new Uint8Array(raw)
      : ArrayBuffer.isView(raw)
        ? new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)
        : null;
  if (!bytes || bytes.byteLength !== dims * 4) throw new Error(`a stored vector is not ${dims} float32 values`);
  return new Float32Array(bytes.slice().buffer);
};

const modelChunks = (model: string) => sql`
  FROM ai_chunks c JOIN ai_documents d ON d.tenant = c.tenant AND d.id = c.document_id
  WHERE d.embedding_model = ${model}`;

async function countChunks(db: Database, model: string): Promise<number> {
  const [row] = await again(() => db.all<{ n: number }>(sql`SELECT COUNT(*) AS n ${modelChunks(model)}`));
  return Number(row?.n ?? 0);
}

/** Pages of (id, vector) of the model's chunks in id order; `where` narrows them (SQL). */
async function* chunkPages(db: Database, model: string, pageRows: number, where = sql`1`) {
  let after = 0;
  for (;;) {
    const rows = await again(() =>
      db.all<{ id: number; embedding: unknown }>(sql`
        SELECT c.id AS id, c.embedding AS embedding ${modelChunks(model)} AND c.id > ${after} AND ${where}
        ORDER BY c.id LIMIT ${pageRows}`),
    );
    if (rows.length === 0) return;
    yield rows.map((r) => ({ id: Number(r.id), vector: toVector(r.embedding, EMBEDDING_DIMENSIONS) }));
    after = Number(rows.at(-1)!.id);
  }
}

/** Trains the model's IVF index, assigns every chunk and switches retrieval to it. */
export async function trainIvfIndex(db: Database, options: TrainOptions): Promise<TrainResult> {
  const started = performance.now();
  const { model, log = () => {} } = options;
  const dims = EMBEDDING_DIMENSIONS;
  const pageRows = options.pageRows ?? PAGE_ROWS;
  const chunks = await countChunks(db, model);
  const minChunks = options.minChunks ?? IVF_MIN_CHUNKS;
  if (chunks < minChunks)
    return {
      model,
      chunks,
      skipped: `${chunks} chunks: below ${minChunks} every tenant is scanned exactly, an index would not be used`,
    };
  const nlist = Math.min(options.nlist ?? nlistFor(chunks), chunks);
  const nprobe = Math.min(options.nprobe ?? nprobeFor(nlist, chunks), nlist);
  const sampleSize = Math.max(nlist, Math.min(chunks, options.sample ?? nlist * SAMPLE_PER_CLUSTER));

  // 2. A stride sample (every part of the id range, so every tenant and age), then k-means.
  const sample = new Float32Array(sampleSize * dims);
  let taken = 0;
  let seen = 0;
  for await (const page of chunkPages(db, model, pageRows)) {
    for (const { vector } of page) {
      if (
        taken < sampleSize &&
        Math.floor(((seen + 1) * sampleSize) / chunks) > Math.floor((seen * sampleSize) / chunks)
      )
        sample.set(vector, taken++ * dims);
      seen++;
    }
  }
  if (taken < nlist) return { model, chunks, skipped: `only ${taken} vectors could be read for ${nlist} clusters` };
  log(`ai:train: ${model}: ${chunks} chunks, k-means of ${taken} vectors into ${nlist} clusters`);
  const t0 = performance.now();
  const iterations = options.iterations ?? KMEANS_ITERATIONS;
  const centroids = sphericalKmeans(sample.subarray(0, taken * dims), taken, nlist, {
    iterations,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    onIteration: (done, of) => log(`ai:train: ${model}: k-means iteration ${done}/${of}`),
  });
  const trainSeconds = (performance.now() - t0) / 1000;

  // 3. A new version, in `building`, with its centroids.
  const [prev] = await again(() =>
    db.all<{ version: number }>(sql`SELECT version FROM ai_vector_indexes WHERE model = ${model}`),
  );
  const version = Number(prev?.version ?? 0) + 1;
  const now = Date.now();
  const inserts = [];
  for (let c = 0; c < nlist; c += CENTROID_ROWS) {
    const rows = [];
    for (let i = c; i < Math.min(nlist, c + CENTROID_ROWS); i++) {
      const v = centroids.slice(i * dims, (i + 1) * dims);
      rows.push(sql`(${model}, ${version}, ${v.buffer})`);
    }
    inserts.push(db.run(sql`INSERT INTO ai_centroids (model, version, centroid) VALUES ${sql.join(rows, sql`, `)}`));
  }
  await db.batch([
    db.run(sql`
      INSERT INTO ai_vector_indexes (model, dimensions, version, nlist, nprobe, chunks, state, trained_at, ready_at)
      VALUES (${model}, ${dims}, ${version}, ${nlist}, ${nprobe}, ${chunks}, 'building', ${now}, NULL)
      ON CONFLICT (model) DO UPDATE SET dimensions = excluded.dimensions, version = excluded.version,
        nlist = excluded.nlist, nprobe = excluded.nprobe, chunks = excluded.chunks, state = 'building',
        trained_at = excluded.trained_at, ready_at = NULL`),
    ...inserts,
  ]);
  const idRows = await db.all<{ id: number }>(
    sql`SELECT id FROM ai_centroids WHERE model = ${model} AND version = ${version} ORDER BY id`,
  );
  const centroidIds = idRows.map((r) => Number(r.id));
  if (centroidIds.length !== nlist)
    throw new Error(`expected ${nlist} centroids of version ${version}, found ${centroidIds.length}`);
  // Centroid ids grow (AUTOINCREMENT): a cluster below the first new id belongs to an older version.
  const stale = sql`(c.cluster IS NULL OR c.cluster < ${centroidIds[0]!})`;

  // 4. Assignment, page by page.
  const assignPages = async (label: string) => {
    let assigned = 0;
    for await (const page of chunkPages(db, model, pageRows, stale)) {
      const pairs = page.map(({ id, vector }) => [
        id,
        centroidIds[nearestCentroid(vector, 0, centroids, nlist, dims)[0]]!,
      ]);
      await again(() =>
        db.run(sql`
          UPDATE ai_chunks SET cluster = json_extract(j.value, '$[1]')
          FROM json_each(${JSON.stringify(pairs)}) AS j WHERE ai_chunks.id = json_extract(j.value, '$[0]')`),
      );
      assigned += page.length;
      log(
        `ai:train: ${model}: ${label} ${assigned} / ${chunks} chunks (${Math.min(100, Math.round((assigned / chunks) * 100))}%)`,
      );
    }
    return assigned;
  };
  let assigned = await assignPages("assigned");

  // Cached answers of this model stored under an older version (retrain) move to the new
  // centroids, in SQL, 500 at a time (their model is known only by their old cluster's).
  // Entries stored before the first training keep NULL, which the cache's IVF lookup scans
  // too, until they expire.
  for (;;) {
    const moved = await again(() =>
      db.run(sql`
        UPDATE ai_answer_cache SET cluster = ${nearestCluster(model, sql`ai_answer_cache.embedding`)}
        WHERE id IN (SELECT id FROM ai_answer_cache WHERE cluster IN (
          SELECT id FROM ai_centroids WHERE model = ${model} AND version < ${version}) LIMIT 500)`),
    );
    if (moved.rowsAffected === 0) break;
  }

  // 5. The switch, then a sweep for chunks written across it.
  const [flip] = await db.batch([
    db.run(sql`
      UPDATE ai_vector_indexes SET state = 'ready', ready_at = ${Date.now()}
      WHERE model = ${model} AND version = ${version}`),
    db.run(sql`DELETE FROM ai_centroids WHERE model = ${model} AND version < ${version}`),
  ]);
  if (flip.rowsAffected !== 1)
    throw new Error(`the index of ${model} moved on to another version while training (run one training at a time)`);
  assigned += await assignPages("swept");
  log(`ai:train: ${model}: version ${version} ready (${nlist} clusters, nprobe ${nprobe})`);
  return {
    model,
    chunks,
    version,
    nlist,
    nprobe,
    sample: taken,
    assigned,
    trainSeconds,
    totalSeconds: (performance.now() - started) / 1000,
  };
}

export interface IndexStatus {
  model: string;
  chunks: number;
  /** Chunks without a cluster of the current version. */
  unassigned: number;
  index: { version: number; nlist: number; nprobe: number; state: string; trainedChunks: number } | null;
}

/** Per embedding model: chunks, its IVF index (if any), and whether the DiskANN index still exists. */
export async function ivfStatus(db: Database): Promise<{ models: IndexStatus[]; diskann: boolean }> {
  const [models, indexes, diskann] = await db.batch([
    db.all<{ model: string; chunks: number }>(sql`
      SELECT embedding_model AS model, SUM(chunk_count) AS chunks FROM ai_documents
      WHERE chunk_count > 0 GROUP BY embedding_model ORDER BY embedding_model`),
    db.all<{
      model: string;
      version: number;
      nlist: number;
      nprobe: number;
      state: string;
      chunks: number;
      first: number | null;
    }>(sql`
      SELECT i.model AS model, i.version AS version, i.nlist AS nlist, i.nprobe AS nprobe, i.state AS state, i.chunks AS chunks,
             (SELECT MIN(id) FROM ai_centroids c WHERE c.model = i.model AND c.version = i.version) AS first
      FROM ai_vector_indexes i`),
    db.all<{ n: number }>(
      sql`SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'index' AND name = ${DISKANN_INDEX}`,
    ),
  ]);
  const out: IndexStatus[] = [];
  for (const m of models) {
    const ix = indexes.find((i) => i.model === m.model);
    const first = ix?.first ?? null;
    const [row] = await db.all<{ n: number }>(sql`
      SELECT COUNT(*) AS n ${modelChunks(m.model)} AND (c.cluster IS NULL OR c.cluster < ${first ?? Number.MAX_SAFE_INTEGER})`);
    out.push({
      model: m.model,
      chunks: Number(m.chunks),
      unassigned: Number(row?.n ?? 0),
      index: ix
        ? {
            version: Number(ix.version),
            nlist: Number(ix.nlist),
            nprobe: Number(ix.nprobe),
            state: ix.state,
            trainedChunks: Number(ix.chunks),
          }
        : null,
    });
  }
  return { models: out, diskann: Number(diskann[0]?.n ?? 0) > 0 };
}

/**
 * Drops the DiskANN indexes (chunks and semantic cache) once nothing needs them: every model
 * large enough for an IVF index has a ready one (smaller models are scanned exactly either
 * way; so are cache partitions of models without an index). Returns why it refused, or null.
 */
export async function dropDiskannIndex(db: Database, minChunks = IVF_MIN_CHUNKS): Promise<string | null> {
  const { models } = await ivfStatus(db);
  const missing = models.filter((m) => m.chunks >= minChunks && m.index?.state !== "ready").map((m) => m.model);
  if (missing.length)
    return `no ready IVF index for ${missing.join(", ")}: train first (npm run ai:train), or their large tenants fall back to the exact scan`;
  await db.batch([
    db.run(sql.raw(`DROP INDEX IF EXISTS ${DISKANN_INDEX}`)),
    db.run(sql.raw(`DROP INDEX IF EXISTS ${CACHE_DISKANN_INDEX}`)),
  ]);
  return null;
}
