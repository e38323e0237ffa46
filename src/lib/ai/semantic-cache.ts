/**
 * The answer cache of `/v1/ai/ask`, in libSQL (`ai_answer_cache`), two tiers:
 * 1. exact: `exact_key` = SHA-256 over tenant, partition and the normalised question;
 * 2. semantic: the nearest earlier question of the same tenant and partition by cosine
 *    similarity of the question embeddings, accepted only at or above the configured threshold
 *    and only if `lookAlikeConflict` finds no sign of a different meaning.
 *
 * The partition is a hash of everything besides the question that shapes an answer: chat
 * model, system prompt version, sampling parameters and the embedding model (so vectors of
 * different models are never compared). Tenants never share entries: every query filters by
 * tenant before comparing, and the exact key includes it.
 *
 * Small partitions are scanned exactly; large ones (over `EXACT_SCAN_MAX_ENTRIES`) use the
 * embedding model's IVF index once it is ready (`ivf.ts`: each entry is stored with its nearest
 * centroid; the probe keeps to the tenant and partition inside the statement), before that the
 * DiskANN index with over-fetch, filtered by tenant and partition, until it is dropped, then the
 * exact scan. A near-duplicate question, which is what a hit is, lies in or next to the query's
 * own cluster, so the whole-index probe depth serves. Only complete, successful
 * answers are stored, each with its expiry and the documents it cites
 * (`ai_answer_cache_documents`), so deleting a document drops the answers built on it.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { lookAlikeConflict } from "./cache-guard.ts";
import { DiskannGate, nearestCluster, RERANK_MIN } from "./ivf.ts";
import { vectorParam } from "./retrieval.ts";
import type { Citation } from "./api.ts";

export const EXACT_SCAN_MAX_ENTRIES = 2_000;
const ANN_FETCH = 200;
const SEMANTIC_CANDIDATES = 5;

export interface CachedAnswer {
  id: number;
  question: string;
  answer: string;
  citations: Citation[];
  /** 1 for an exact hit. */
  similarity: number;
}

export interface PartitionInput {
  chatModel: string;
  systemPrompt: string;
  temperature: number;
  maxTokens: number;
  embeddingModel: string;
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Case, width, whitespace and trailing punctuation do not change a question. */
export function normaliseQuestion(question: string): string {
  return question
    .normalize("NFKC")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim()
    .replace(/[\s?!.\u3002\uff1f\uff01]+$/u, "");
}

export function cachePartition(p: PartitionInput): Promise<string> {
  return sha256Hex(
    JSON.stringify(["partition-v1", p.chatModel, p.systemPrompt, p.temperature, p.maxTokens, p.embeddingModel]),
  );
}

export function exactCacheKey(tenant: string, partition: string, question: string): Promise<string> {
  return sha256Hex(JSON.stringify(["exact-v1", tenant, partition, normaliseQuestion(question)]));
}

interface CacheRow {
  id: number;
  question: string;
  answer: string;
  citations: string;
  distance: number;
}

function parseCitations(raw: string): Citation[] {
  try {
    const value = JSON.parse(raw) as unknown;
    return Array.isArray(value) ? (value as Citation[]) : [];
  } catch {
    return [];
  }
}

function toAnswer(row: CacheRow, similarity: number): CachedAnswer {
  return {
    id: Number(row.id),
    question: row.question,
    answer: row.answer,
    citations: parseCitations(row.citations),
    similarity,
  };
}

/** The unexpired answer stored under exactly this key, if any. */
export async function lookupExact(
  db: Database,
  tenant: string,
  key: string,
  now = Date.now(),
): Promise<CachedAnswer | null> {
  const rows = await db.all<CacheRow>(sql`
    SELECT id, question, answer, citations, 0 AS distance FROM ai_answer_cache
    WHERE exact_key = ${key} AND tenant = ${tenant} AND expires_at > ${now}`);
  return rows[0] ? toAnswer(rows[0], 1) : null;
}

export interface SemanticLookup {
  tenant: string;
  partition: string;
  /** The embedding model of `vector` (whose IVF index is probed); without it, no IVF. */
  model?: string;
  question: string;
  vector: Float32Array;
  threshold: number;
  now?: number;
}

export interface SemanticOutcome {
  hit: CachedAnswer | null;
  /** The best candidate above the threshold that the guard refused, for the log. */
  rejected?: { similarity: number; reason: string };
  /** Similarity of the nearest candidate (hit or not), for the log. */
  nearest?: number;
}

const diskann = new DiskannGate();

/** The partition's nearest entries through the model's ready IVF index (nothing when not ready or `guard` fails). */
function ivfLookup(db: Database, l: SemanticLookup, q: ArrayBuffer, now: number, guard: SQL) {
  const model = l.model ?? "";
  const q8 = sql`(SELECT vector8(${q}))`;
  return db.all<CacheRow>(sql`
    WITH ix AS MATERIALIZED (
      SELECT version, nprobe FROM ai_vector_indexes WHERE model = ${model} AND state = 'ready' AND ${guard}),
    probe AS (
      SELECT id FROM ai_centroids WHERE model = ${model} AND version = (SELECT version FROM ix)
      ORDER BY vector_distance_cos(centroid, ${q}) LIMIT COALESCE((SELECT nprobe FROM ix), 0)),
    cand AS (
      SELECT id, vector_distance_cos(vector8(embedding), ${q8}) AS d8
      FROM ai_answer_cache INDEXED BY ai_answer_cache_cluster8
      WHERE cluster IN (SELECT id FROM probe) AND tenant = ${l.tenant} AND partition = ${l.partition}
      UNION ALL
      SELECT id, vector_distance_cos(vector8(embedding), ${q8}) AS d8
      FROM ai_answer_cache INDEXED BY ai_answer_cache_cluster8
      WHERE cluster IS NULL AND tenant = ${l.tenant} AND partition = ${l.partition} AND EXISTS (SELECT 1 FROM ix)
      ORDER BY d8 LIMIT ${RERANK_MIN})
    SELECT c.id AS id, c.question AS question, c.answer AS answer, c.citations AS citations,
           vector_distance_cos(c.embedding, ${q}) AS distance
    FROM cand JOIN ai_answer_cache c ON c.id = cand.id
    WHERE c.expires_at > ${now}
    ORDER BY distance LIMIT ${SEMANTIC_CANDIDATES}`);
}

/** The nearest acceptable earlier question of this tenant and partition. */
export function lookupSemantic(db: Database, l: SemanticLookup): Promise<SemanticOutcome> {
  return diskann.run((withDiskann) => lookup(db, l, withDiskann));
}

async function lookup(db: Database, l: SemanticLookup, withDiskann: boolean): Promise<SemanticOutcome> {
  const now = l.now ?? Date.now();
  const q = vectorParam(l.vector);
  const count = sql`(SELECT COUNT(*) FROM ai_answer_cache WHERE tenant = ${l.tenant} AND partition = ${l.partition} AND expires_at > ${now})`;
  const large = sql`${count} > ${EXACT_SCAN_MAX_ENTRIES}`;
  const ivfReady = sql`EXISTS (SELECT 1 FROM ai_vector_indexes WHERE model = ${l.model ?? ""} AND state = 'ready')`;
  const none = db.all<CacheRow>(sql`SELECT 1 WHERE 0`);
  const [scan, ivf, ann] = await db.batch([
    db.all<CacheRow>(sql`
      SELECT id, question, answer, citations, vector_distance_cos(embedding, ${q}) AS distance
      FROM ai_answer_cache
      WHERE tenant = ${l.tenant} AND partition = ${l.partition} AND expires_at > ${now}
        AND ${withDiskann ? sql`NOT ${large}` : sql`(NOT ${large} OR NOT ${ivfReady})`}
      ORDER BY distance LIMIT ${SEMANTIC_CANDIDATES}`),
    ivfLookup(db, l, q, now, large),
    withDiskann
      ? db.all<CacheRow>(sql`
      SELECT c.id AS id, c.question AS question, c.answer AS answer, c.citations AS citations,
             vector_distance_cos(c.embedding, ${q}) AS distance
      FROM vector_top_k('ai_answer_cache_embedding_idx', ${q}, ${ANN_FETCH}) AS top
      JOIN ai_answer_cache c ON c.id = top.id
      WHERE c.tenant = ${l.tenant} AND c.partition = ${l.partition} AND c.expires_at > ${now} AND ${large} AND NOT ${ivfReady}
      ORDER BY distance LIMIT ${SEMANTIC_CANDIDATES}`)
      : none,
  ]);
  const rows = scan.length ? scan : ivf.length ? ivf : ann;
  const outcome: SemanticOutcome = { hit: null };
  for (const row of rows) {
    const similarity = Math.round((1 - Number(row.distance)) * 1e4) / 1e4;
    outcome.nearest ??= similarity;
    if (similarity < l.threshold) break;
    const reason = lookAlikeConflict(row.question, l.question);
    if (reason) {
      outcome.rejected ??= { similarity, reason };
      continue;
    }
    outcome.hit = toAnswer(row, similarity);
    break;
  }
  return outcome;
}

export interface StoreAnswer {
  tenant: string;
  partition: string;
  /** The embedding model of `vector`: the entry is stored with its nearest centroid of that model's index. */
  model?: string;
  key: string;
  question: string;
  vector: Float32Array;
  answer: string;
  citations: Citation[];
  ttlSeconds: number;
  now?: number;
}

/**
 * Stores (or refreshes) an answer. Written only while every cited document still exists, so
 * an answer finished after its source was deleted is not cached. One transaction.
 */
export async function storeAnswer(db: Database, s: StoreAnswer): Promise<void> {
  if (s.ttlSeconds <= 0) return;
  const now = s.now ?? Date.now();
  const expiresAt = now + s.ttlSeconds * 1000;
  const documentIds = [...new Set(s.citations.map((c) => c.documentId))];
  const docsExist = documentIds.length
    ? sql`(SELECT COUNT(*) FROM ai_documents WHERE tenant = ${s.tenant} AND id IN (${sql.join(
        documentIds.map((id) => sql`${id}`),
        sql`, `,
      )})) = ${documentIds.length}`
    : sql`1`;
  const cacheId = sql`(SELECT id FROM ai_answer_cache WHERE exact_key = ${s.key})`;
  const q = vectorParam(s.vector);
  await db.batch([
    db.run(sql`DELETE FROM ai_answer_cache_documents WHERE cache_id = ${cacheId} AND ${docsExist}`),
    db.run(sql`
      INSERT INTO ai_answer_cache (tenant, partition, exact_key, question, embedding, cluster, answer, citations, created_at, expires_at)
      SELECT ${s.tenant}, ${s.partition}, ${s.key}, ${s.question}, ${q}, ${s.model ? nearestCluster(s.model, sql`${q}`) : sql`NULL`},
        ${s.answer}, ${JSON.stringify(s.citations)}, ${now}, ${expiresAt}
      WHERE ${docsExist}
      ON CONFLICT (exact_key) DO UPDATE SET
        question = excluded.question, embedding = excluded.embedding, cluster = excluded.cluster, answer = excluded.answer,
        citations = excluded.citations, created_at = excluded.created_at, expires_at = excluded.expires_at`),
    ...documentIds.map((documentId) =>
      db.run(sql`
        INSERT OR IGNORE INTO ai_answer_cache_documents (cache_id, tenant, document_id)
        SELECT id, tenant, ${documentId} FROM ai_answer_cache WHERE exact_key = ${s.key} AND created_at = ${now}`),
    ),
  ]);
}

/** Statements that drop every cached answer of `tenant` citing `documentId` (for a batch). */
export function dropAnswersCitingStatements(db: Database, tenant: string, documentId: string) {
  const citing = sql`(SELECT cache_id FROM ai_answer_cache_documents WHERE tenant = ${tenant} AND document_id = ${documentId})`;
  return [
    db.run(sql`DELETE FROM ai_answer_cache WHERE id IN ${citing}`),
    db.run(sql`DELETE FROM ai_answer_cache_documents WHERE cache_id IN ${citing}`),
  ] as const;
}

/** Removes expired answers of a tenant (run now and then, in the background). */
export async function purgeExpired(db: Database, tenant: string, now = Date.now()): Promise<void> {
  const expired = sql`(SELECT id FROM ai_answer_cache WHERE tenant = ${tenant} AND expires_at <= ${now})`;
  await db.batch([
    db.run(sql`DELETE FROM ai_answer_cache_documents WHERE cache_id IN ${expired}`),
    db.run(sql`DELETE FROM ai_answer_cache WHERE id IN ${expired}`),
  ]);
}
