/**
 * Helpers shared by `bench/ai-ivf.ts` (the IVF layouts in SQL) and `bench/ai-bits.ts` (the 1-bit
 * first pass, measured in JavaScript): spherical k-means (from src/lib/ai/ivf.ts), the cached base corpora and trained
 * centroids in `.data/bench-ai/`, percentiles.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "libsql";
import { applyMigrations, MIGRATIONS_FOLDER } from "../dev/migrate.ts";
import { nearestCentroid, sphericalKmeans } from "../src/lib/ai/ivf.ts";
import { embedLocal } from "../src/lib/ai/local-embedder.ts";
import { EMBEDDING_DIMENSIONS } from "../src/lib/db/schema.ts";
import { type CorpusKind, corpus, fillCorpus, openBenchDb, vectorBlob } from "./ai-corpus.ts";

/** A comma-separated list of positive numbers from the environment (or its default). */
export const numberList = (v: string | undefined, d: string): number[] =>
  (v ?? d)
    .split(",")
    .map(Number)
    .filter((n) => n > 0);

/** The corpora named in a comma-separated list from the environment (default: both). */
export const corpusList = (v: string | undefined): CorpusKind[] =>
  (v ?? "topical,mixed").split(",").filter((c): c is CorpusKind => c === "topical" || c === "mixed");

export const dims = EMBEDDING_DIMENSIONS;
const root = fileURLToPath(new URL("..", import.meta.url));
export const CACHE_DIR = join(root, ".data/bench-ai");

export const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};
export const ms = (x: number) => (Number.isNaN(x) ? "–" : x < 10 ? x.toFixed(2) : x.toFixed(1));
export const load = () => loadavg()[0]!.toFixed(1);
export const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

// ---------------------------------------------------------------------------
// Spherical k-means: the production code (src/lib/ai/ivf.ts), same algorithm, seed and order of
// operations as the one stage 1 measured, so the cached centroids in .data/bench-ai/ stay valid.
// ---------------------------------------------------------------------------

export const nearest = (data: Float32Array, i: number, centroids: Float32Array, k: number): [number, number] =>
  nearestCentroid(data, i, centroids, k, dims);

export const kmeans = (sample: Float32Array, count: number, k: number, seed: number, iterations: number) =>
  sphericalKmeans(sample, count, k, { seed, iterations, dims });

/** A stride sample of `count` of the `n` vectors in `data` (deterministic, spread over all tenants and positions). */
export function strideSample(data: Float32Array, n: number, count: number): Float32Array {
  const sample = new Float32Array(count * dims);
  for (let i = 0; i < count; i++) {
    const src = Math.floor((i * n) / count);
    sample.set(data.subarray(src * dims, (src + 1) * dims), i * dims);
  }
  return sample;
}

/**
 * Centroids for (corpus, size, nlist, sample, iterations): from the cache if trained before (same
 * seed, sample and iterations give the same centroids), else trained on a stride sample and cached.
 */
export function trainedCentroids(
  kind: CorpusKind,
  data: Float32Array,
  n: number,
  nlist: number,
  sampleSize: number,
  iterations: number,
): Float32Array {
  const count = Math.min(sampleSize, n);
  const centroidFile = join(CACHE_DIR, `ivf-centroids-v1-${kind}-${n}-${nlist}-${count}-${iterations}.f32`);
  if (existsSync(centroidFile)) {
    const buf = readFileSync(centroidFile);
    return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  }
  const centroids = kmeans(strideSample(data, n, count), count, nlist, 12345, iterations);
  mkdirSync(CACHE_DIR, { recursive: true });
  writeFileSync(centroidFile, vectorBlob(centroids));
  return centroids;
}

// ---------------------------------------------------------------------------
// Base corpus: the migrations' schema without the DiskANN indexes, rows as bench/ai.ts inserts
// them (same generator, seeds, tenants and queries).
// ---------------------------------------------------------------------------

/**
 * Migration 0007 (the per-tenant chunk counts retrieval reads) on a database cached before it,
 * in place before it is copied: its statements run directly (no connection of this process has
 * the cached file open; the copy is found locked once the bench's own connection has used it).
 */
export function ensureTenantCounts(file: string): void {
  const db = new Database(file);
  try {
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'ai_tenant_chunks'").get() !== undefined) return;
    const text = readFileSync(join(MIGRATIONS_FOLDER, "0007_tenant_chunks.sql"), "utf8");
    for (const statement of text.split("--> statement-breakpoint")) db.exec(statement);
  } finally {
    db.close();
  }
}

export async function baseCorpus(n: number, kind: CorpusKind, file: string, queries: number) {
  const cached = join(CACHE_DIR, `ivf-base-v1-${kind}-${n}.db`);
  const reuse = existsSync(cached);
  if (reuse) {
    ensureTenantCounts(cached);
    copyFileSync(cached, file);
  } else {
    await applyMigrations(`file:${file}`);
    const db = new Database(file);
    db.exec("DROP INDEX ai_chunks_embedding_idx");
    db.exec("DROP INDEX IF EXISTS ai_answer_cache_embedding_idx");
    db.close();
  }
  const db = openBenchDb(file);
  const gen = corpus(n, kind);
  const { texts, tenantTexts, insertSeconds } = fillCorpus(db, gen, n, dims, reuse, (done, seconds) => {
    if (done % 10_000 === 0) console.log(`ivf: building ${kind} ${n}: ${done} chunks in ${seconds.toFixed(0)} s`);
  });
  if (!reuse) {
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    mkdirSync(CACHE_DIR, { recursive: true });
    copyFileSync(file, cached);
    console.log(`ivf: built ${kind} ${n} in ${insertSeconds.toFixed(0)} s`);
  }
  const globalQueries = Array.from({ length: queries }, (_, q) => vectorBlob(embedLocal(gen.query(q, texts), dims)));
  const tenantQueries = Array.from({ length: queries }, (_, q) =>
    vectorBlob(embedLocal(gen.query(q, tenantTexts), dims)),
  );
  return { db, globalQueries, tenantQueries };
}

/** All chunk vectors in id order, for training, assignment and the JavaScript checks. */
export function readVectors(db: Database.Database, n: number): { ids: number[]; data: Float32Array } {
  const ids: number[] = [];
  const data = new Float32Array(n * dims);
  for (const [id, e] of db.prepare("SELECT id, embedding FROM ai_chunks ORDER BY id").raw(true).iterate([]) as Iterable<
    [number, Buffer]
  >) {
    data.set(new Float32Array(e.buffer, e.byteOffset, dims), ids.length * dims);
    ids.push(Number(id));
  }
  return { ids, data };
}

/** The per-dimension mean of a stride sample of `count` vectors (the centre the 1-bit layouts subtract). */
export function sampleMean(data: Float32Array, n: number, count: number): Float32Array {
  const m = Math.min(count, n);
  const sum = new Float64Array(dims);
  for (let i = 0; i < m; i++) {
    const off = Math.floor((i * n) / m) * dims;
    for (let d = 0; d < dims; d++) sum[d]! += data[off + d]!;
  }
  return Float32Array.from(sum, (x) => x / m);
}

/** `v - centre`, as the F32 blob that `vector1bit(?)` takes. */
export function centred(v: Float32Array, centre: Float32Array): Float32Array {
  const out = new Float32Array(dims);
  for (let d = 0; d < dims; d++) out[d] = v[d]! - centre[d]!;
  return out;
}

/**
 * Random projections of the centred vector onto `bits` Gaussian hyperplanes (seeded), whose signs
 * are a SimHash of the vector: each bit then mixes all dimensions, where a coordinate's sign bit
 * sees one (and for a short query's sparse vector, mostly noise).
 */
export function hyperplanes(bits: number, seed: number, centre: Float32Array): (v: Float32Array) => Float32Array {
  let st = seed >>> 0;
  const rnd = () => ((st = (Math.imul(st, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  const r = new Float32Array(bits * dims);
  for (let i = 0; i < r.length; i++) r[i] = Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());
  return (v) => {
    const c = centred(v, centre);
    const out = new Float32Array(bits);
    for (let k = 0; k < bits; k++) {
      let dot = 0;
      for (let d = 0; d < dims; d++) dot += r[k * dims + d]! * c[d]!;
      out[k] = dot;
    }
    return out;
  };
}
