/**
 * Retrieval from the tenant's chunks: vector search fused with full-text search (FTS5, bm25)
 * by reciprocal rank fusion.
 *
 * The vector side, by tenant size and the state of the model's indexes:
 * - a tenant with at most `EXACT_SCAN_MAX_CHUNKS` chunks is scanned exactly: at that size the
 *   scan costs about what an index costs, and it is exact;
 * - a larger tenant whose embedding model has a `ready` IVF index (`ivf.ts`, trained by
 *   `npm run ai:train`) goes through the IVF statement, tenant filter inside it;
 * - otherwise (no index trained yet, or one being retrained) through libSQL's DiskANN index
 *   (`vector_top_k`) while it exists, else by the exact scan.
 *
 * DiskANN over-fetch: the index is global across tenants, so `vector_top_k` returns neighbours
 * of every tenant; results are filtered by tenant. libSQL's search visits the index's search
 * list (`search_l`, 600 since migration 0004) whatever k is, so one query fetches 200
 * candidates, re-ranked by exact cosine distance on the stored float32 vectors. A tenant that
 * still has fewer than k among them falls back to an exact scan of its own chunks.
 *
 * Hybrid: the FTS5 query ORs the query's content words; a chunk that is near in meaning and
 * also shares rare words ranks first; a chunk with an exact identifier or error code the
 * embedding blurred still makes the list. The batch runs in one round trip: every path is in
 * it, each guarded in SQL by the tenant's size and the index state, so only one of them reads.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import type { Passage } from "./api.ts";
import type { Embedder } from "./embeddings.ts";
import { DiskannGate, ivfSearch } from "./ivf.ts";
import { wordTokens } from "./local-embedder.ts";

export const EXACT_SCAN_MAX_CHUNKS = 10_000;
/** Candidates fetched per vector query (at most the index's `search_l`, 600): re-ranked exactly, then filtered by tenant. */
export const ANN_MAX_K = 200;
const RRF_K = 60;
const FTS_CANDIDATES = 20;

export interface TenantIndex {
  model: string;
  dimensions: number;
  chunks: number;
}

/** The tenant's vectors were made by another model than the one asked to compare with them. */
export class EmbeddingMismatchError extends Error {
  override name = "EmbeddingMismatchError";
  readonly stored: { model: string; dimensions: number };
  readonly requested: { model: string; dimensions: number };
  constructor(stored: { model: string; dimensions: number }, requested: { model: string; dimensions: number }) {
    super(
      `This tenant's documents were embedded with ${stored.model} (${stored.dimensions} dimensions) but the configured embedder is ` +
        `${requested.model} (${requested.dimensions}); vectors of different models cannot be compared. ` +
        `Re-ingest the documents with the new model, or configure ${stored.model} again.`,
    );
    this.stored = stored;
    this.requested = requested;
  }
}

export function vectorParam(v: Float32Array): ArrayBuffer {
  return v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength) as ArrayBuffer;
}

interface ChunkRow {
  id: number;
  document_id: string;
  title: string | null;
  text: string;
  distance: number;
}

interface IndexRow {
  model: string;
  dimensions: number;
  chunks: number;
}

// The tenant's chunks per model come from `ai_tenant_chunks` (one row per model, kept by triggers
// on `ai_documents`, migration 0007): summing the tenant's documents on every query cost about
// 50 ms at 100k documents, more than the IVF search.
const indexQuery = (db: Database, tenant: string) =>
  db.all<IndexRow>(sql`
    SELECT model, dimensions, chunks FROM ai_tenant_chunks WHERE tenant = ${tenant} AND chunks > 0`);

/** The tenant's chunks (all models) as a scalar subquery (also for `bench/ai-ivf-prod.ts`). */
export const tenantChunkCount = (tenant: string): SQL =>
  sql`(SELECT COALESCE(SUM(chunks), 0) FROM ai_tenant_chunks WHERE tenant = ${tenant})`;

const exactQuery = (db: Database, tenant: string, q: ArrayBuffer, k: number, guard: SQL) =>
  db.all<ChunkRow>(sql`
    SELECT c.id AS id, c.document_id AS document_id, d.title AS title, c.text AS text,
           vector_distance_cos(c.embedding, ${q}) AS distance
    FROM ai_chunks c JOIN ai_documents d ON d.tenant = c.tenant AND d.id = c.document_id
    WHERE c.tenant = ${tenant} AND ${guard}
    ORDER BY distance LIMIT ${k}`);

const annQuery = (db: Database, tenant: string, q: ArrayBuffer, k: number, fetchK: number, guard: SQL) =>
  db.all<ChunkRow>(sql`
    SELECT c.id AS id, c.document_id AS document_id, d.title AS title, c.text AS text,
           vector_distance_cos(c.embedding, ${q}) AS distance
    FROM vector_top_k('ai_chunks_embedding_idx', ${q}, ${fetchK}) AS top
    JOIN ai_chunks c ON c.id = top.id
    JOIN ai_documents d ON d.tenant = c.tenant AND d.id = c.document_id
    WHERE c.tenant = ${tenant} AND ${guard}
    ORDER BY distance LIMIT ${k}`);

const ftsQuery = (db: Database, tenant: string, q: ArrayBuffer, match: string) =>
  db.all<ChunkRow>(sql`
    SELECT c.id AS id, c.document_id AS document_id, d.title AS title, c.text AS text,
           vector_distance_cos(c.embedding, ${q}) AS distance
    FROM ai_chunks_fts
    JOIN ai_chunks c ON c.id = ai_chunks_fts.rowid
    JOIN ai_documents d ON d.tenant = c.tenant AND d.id = c.document_id
    WHERE ai_chunks_fts MATCH ${match} AND c.tenant = ${tenant}
    ORDER BY bm25(ai_chunks_fts) LIMIT ${FTS_CANDIDATES}`);

const FTS_STOPWORDS = new Set(
  "a an the is are was were be to of and or in on at for with it this that as by from do does did how what which who can i you we my your our me if not".split(
    " ",
  ),
);

/** An FTS5 query that ORs the query's content words (each quoted: no FTS syntax gets through). */
export function ftsMatch(query: string): string | undefined {
  const words = [...new Set(wordTokens(query).filter((w) => !FTS_STOPWORDS.has(w) && w.length > 1))].slice(0, 16);
  return words.length ? words.map((w) => `"${w}"`).join(" OR ") : undefined;
}

function checkModel(rows: IndexRow[], embedder: Pick<Embedder, "model" | "dimensions">): TenantIndex | null {
  if (rows.length === 0) return null;
  const stored = rows.find((r) => r.model !== embedder.model || Number(r.dimensions) !== embedder.dimensions);
  if (stored)
    throw new EmbeddingMismatchError({ model: stored.model, dimensions: Number(stored.dimensions) }, embedder);
  const row = rows[0]!;
  return { model: row.model, dimensions: Number(row.dimensions), chunks: Number(row.chunks) };
}

function fuse(vector: ChunkRow[], text: ChunkRow[], k: number): Passage[] {
  const byId = new Map<number, { row: ChunkRow; rrf: number }>();
  const add = (rows: ChunkRow[]) =>
    rows.forEach((row, rank) => {
      const entry = byId.get(row.id) ?? { row, rrf: 0 };
      entry.rrf += 1 / (RRF_K + rank + 1);
      byId.set(row.id, entry);
    });
  add(vector);
  add(text);
  const best = 2 / (RRF_K + 1);
  return [...byId.values()]
    .sort((a, b) => b.rrf - a.rrf || a.row.distance - b.row.distance)
    .slice(0, k)
    .map(({ row, rrf }) => ({
      documentId: row.document_id,
      chunkId: Number(row.id),
      title: row.title,
      text: row.text,
      score: Math.round((rrf / best) * 1e4) / 1e4,
      similarity: Math.round((1 - Number(row.distance)) * 1e4) / 1e4,
    }));
}

export interface SearchOptions {
  tenant: string;
  vector: Float32Array;
  embedder: Pick<Embedder, "model" | "dimensions">;
  query: string;
  k: number;
  /** Tenants up to this many chunks are scanned exactly (tests set 0 to force the index). */
  exactScanMax?: number;
}

export interface SearchResult {
  passages: Passage[];
  index: TenantIndex | null;
  /** How the vector side ran: `exact`, `ivf`, `ann:<fetched>`, `exact-fallback` or `none`. */
  strategy: string;
}

const diskann = new DiskannGate();

/** Top-k passages of the tenant for a query; throws `EmbeddingMismatchError` on mixed models. */
export function searchPassages(db: Database, options: SearchOptions): Promise<SearchResult> {
  return diskann.run((withDiskann) => search(db, options, withDiskann));
}

async function search(db: Database, options: SearchOptions, withDiskann: boolean): Promise<SearchResult> {
  const { tenant, vector, embedder, query, k } = options;
  const exactMax = options.exactScanMax ?? EXACT_SCAN_MAX_CHUNKS;
  const q = vectorParam(vector);
  const match = ftsMatch(query);
  const candidates = Math.max(k, 10);
  const count = tenantChunkCount(tenant);
  const ivfReady = sql`EXISTS (SELECT 1 FROM ai_vector_indexes WHERE model = ${embedder.model} AND state = 'ready')`;
  const large = sql`${count} > ${exactMax}`;
  const none = db.all<ChunkRow>(sql`SELECT 1 WHERE 0`);
  const [indexRows, ivfRows, exactRows, ivfHits, annRows, ftsRows] = await db.batch([
    indexQuery(db, tenant),
    db.all<{ ready: number }>(sql`SELECT ${ivfReady} AS ready`),
    exactQuery(db, tenant, q, candidates, withDiskann ? sql`NOT ${large}` : sql`(NOT ${large} OR NOT ${ivfReady})`),
    ivfSearch(db, { tenant, model: embedder.model, q, k: candidates, tenantChunks: count, aboveChunks: exactMax }),
    withDiskann ? annQuery(db, tenant, q, candidates, ANN_MAX_K, sql`${large} AND NOT ${ivfReady}`) : none,
    match ? ftsQuery(db, tenant, q, match) : none,
  ]);
  const index = checkModel(indexRows, embedder);
  if (!index) return { passages: [], index, strategy: "none" };
  let vectorRows = exactRows;
  let strategy = "exact";
  if (index.chunks > exactMax) {
    if (Number(ivfRows[0]?.ready ?? 0)) {
      vectorRows = ivfHits;
      strategy = "ivf";
    } else if (withDiskann) {
      vectorRows = annRows;
      strategy = `ann:${ANN_MAX_K}`;
    }
    if (strategy !== "exact" && vectorRows.length < Math.min(candidates, index.chunks)) {
      // IVF: the probed clusters held fewer than k of the tenant's chunks; DiskANN: the
      // over-fetch is exhausted (the tenant's chunks are not among the global neighbours).
      vectorRows = await exactQuery(db, tenant, q, candidates, sql`1`);
      strategy = "exact-fallback";
    }
  }
  return { passages: fuse(vectorRows, ftsRows, k), index, strategy };
}

/** The tenant's stored embedding model (null when it has no chunks); throws on a mismatch. */
export async function tenantIndex(
  db: Database,
  tenant: string,
  embedder: Pick<Embedder, "model" | "dimensions">,
): Promise<TenantIndex | null> {
  return checkModel(await indexQuery(db, tenant), embedder);
}

/**
 * Full-text only, for when the query cannot be embedded (the embedder is down): still the
 * tenant's most relevant passages, e.g. for a degraded answer. `similarity` is 0 (unknown).
 */
export async function searchPassagesByText(db: Database, tenant: string, query: string, k: number): Promise<Passage[]> {
  const match = ftsMatch(query);
  if (!match) return [];
  const rows = await db.all<ChunkRow>(sql`
    SELECT c.id AS id, c.document_id AS document_id, d.title AS title, c.text AS text, 1 AS distance
    FROM ai_chunks_fts
    JOIN ai_chunks c ON c.id = ai_chunks_fts.rowid
    JOIN ai_documents d ON d.tenant = c.tenant AND d.id = c.document_id
    WHERE ai_chunks_fts MATCH ${match} AND c.tenant = ${tenant}
    ORDER BY bm25(ai_chunks_fts) LIMIT ${k}`);
  return fuse([], rows, k).map((p) => ({ ...p, similarity: 0 }));
}
