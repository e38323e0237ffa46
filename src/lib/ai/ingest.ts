/**
 * Documents in and out of the vector index. Ingestion chunks (`chunking.ts`), embeds in
 * batches and writes the document, its chunks (vectors + text; FTS5 follows by trigger) in one
 * transaction, replacing an earlier version of the same id, each chunk tagged with its nearest
 * IVF cluster when the model's index exists (large documents come here through
 * the queue, `ingest-queue.ts`). Deletion removes the document, its chunks, a pending ingest job
 * and every cached answer that cites it, in one transaction.
 */
import { and, eq, ne, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { aiChunks, aiDocuments, aiIngestJobs, EMBEDDING_DIMENSIONS } from "../db/schema.ts";
import type { DeletedDocument, DocumentInput, DocumentView } from "./api.ts";
import { chunkText } from "./chunking.ts";
import { EmbeddingError, type Embedder } from "./embeddings.ts";
import { assignDocumentClusters } from "./ivf.ts";
import { EmbeddingMismatchError } from "./retrieval.ts";
import { dropAnswersCitingStatements } from "./semantic-cache.ts";

/** Rows per INSERT statement (each chunk binds 5 values; far below SQLite's variable limit). */
const INSERT_ROWS = 100;

/** Refuses an embedder whose model differs from what the tenant's other documents were made with. */
export async function assertSameModel(
  db: Database,
  tenant: string,
  documentId: string,
  embedder: Pick<Embedder, "model" | "dimensions">,
): Promise<void> {
  if (embedder.dimensions !== EMBEDDING_DIMENSIONS) {
    throw new EmbeddingError(
      `the embedder makes ${embedder.dimensions}-dimensional vectors; the index stores ${EMBEDDING_DIMENSIONS}`,
    );
  }
  const [other] = await db
    .select({ model: aiDocuments.embeddingModel, dimensions: aiDocuments.embeddingDimensions })
    .from(aiDocuments)
    .where(
      and(
        eq(aiDocuments.tenant, tenant),
        ne(aiDocuments.id, documentId),
        sql`(${aiDocuments.embeddingModel} <> ${embedder.model} OR ${aiDocuments.embeddingDimensions} <> ${embedder.dimensions})`,
      ),
    )
    .limit(1);
  if (other) throw new EmbeddingMismatchError(other, embedder);
}

/**
 * Embeds and stores a document (replacing any earlier version). When `jobId` is given (the
 * queue consumer), the write only lands while that job is still the document's current one.
 */
export async function ingestDocument(
  db: Database,
  embedder: Embedder,
  doc: DocumentInput,
  options: { chunks?: string[]; jobId?: string } = {},
): Promise<{ id: string; chunks: number }> {
  const chunks = options.chunks ?? chunkText(doc.text);
  await assertSameModel(db, doc.tenant, doc.id, embedder);
  const vectors = await embedder.embed(chunks);
  if (vectors.length !== chunks.length)
    throw new EmbeddingError("the embedder returned a different number of vectors than chunks");
  const now = new Date();
  const rows = chunks.map((text, ordinal) => ({
    tenant: doc.tenant,
    documentId: doc.id,
    ordinal,
    text,
    embedding: vectors[ordinal]!,
  }));
  const inserts = [];
  for (let i = 0; i < rows.length; i += INSERT_ROWS)
    inserts.push(db.insert(aiChunks).values(rows.slice(i, i + INSERT_ROWS)));
  const documentRow = {
    id: doc.id,
    tenant: doc.tenant,
    title: doc.title ?? null,
    metadata: doc.metadata ?? null,
    embeddingModel: embedder.model,
    embeddingDimensions: embedder.dimensions,
    chunkCount: chunks.length,
    status: "ready" as const,
    error: null,
    updatedAt: now,
  };
  const statements = [
    db.delete(aiChunks).where(and(eq(aiChunks.tenant, doc.tenant), eq(aiChunks.documentId, doc.id))),
    db
      .insert(aiDocuments)
      .values(documentRow)
      .onConflictDoUpdate({
        target: [aiDocuments.tenant, aiDocuments.id],
        set: {
          title: documentRow.title,
          metadata: documentRow.metadata,
          embeddingModel: documentRow.embeddingModel,
          embeddingDimensions: documentRow.embeddingDimensions,
          chunkCount: documentRow.chunkCount,
          status: documentRow.status,
          error: null,
          updatedAt: now,
        },
      }),
    ...inserts,
    // Each new chunk joins its nearest cluster when the model has an IVF index (else stays NULL).
    assignDocumentClusters(db, doc.tenant, doc.id, embedder.model),
    // The document's content changed: answers built on the old version must go.
    ...dropAnswersCitingStatements(db, doc.tenant, doc.id),
  ] as const;
  if (options.jobId) {
    // Lose quietly to a newer POST of the same document: its job id replaced ours.
    const current = await db
      .select({ jobId: aiIngestJobs.jobId })
      .from(aiIngestJobs)
      .where(and(eq(aiIngestJobs.tenant, doc.tenant), eq(aiIngestJobs.documentId, doc.id)));
    if (current[0]?.jobId !== options.jobId) return { id: doc.id, chunks: 0 };
    await db.batch([
      ...statements,
      db
        .delete(aiIngestJobs)
        .where(
          and(
            eq(aiIngestJobs.tenant, doc.tenant),
            eq(aiIngestJobs.documentId, doc.id),
            eq(aiIngestJobs.jobId, options.jobId),
          ),
        ),
    ]);
  } else {
    await db.batch([
      ...statements,
      // A synchronous write supersedes a queued one.
      db.delete(aiIngestJobs).where(and(eq(aiIngestJobs.tenant, doc.tenant), eq(aiIngestJobs.documentId, doc.id))),
    ]);
  }
  return { id: doc.id, chunks: chunks.length };
}

/** Parks a large document for the queue consumer; the document shows as `pending` meanwhile. */
export async function enqueueDocument(
  db: Database,
  embedder: Pick<Embedder, "model" | "dimensions">,
  doc: DocumentInput,
  jobId: string,
): Promise<void> {
  await assertSameModel(db, doc.tenant, doc.id, embedder);
  const job = {
    tenant: doc.tenant,
    documentId: doc.id,
    jobId,
    title: doc.title ?? null,
    metadata: doc.metadata ?? null,
    text: doc.text,
  };
  const pending = {
    id: doc.id,
    tenant: doc.tenant,
    title: doc.title ?? null,
    metadata: doc.metadata ?? null,
    embeddingModel: embedder.model,
    embeddingDimensions: embedder.dimensions,
    status: "pending" as const,
    error: null,
    updatedAt: new Date(),
  };
  await db.batch([
    db
      .insert(aiIngestJobs)
      .values(job)
      .onConflictDoUpdate({
        target: [aiIngestJobs.tenant, aiIngestJobs.documentId],
        set: { jobId, title: job.title, metadata: job.metadata, text: job.text },
      }),
    // An existing version stays searchable until the new one replaces it.
    db
      .insert(aiDocuments)
      .values({ ...pending, chunkCount: 0 })
      .onConflictDoUpdate({
        target: [aiDocuments.tenant, aiDocuments.id],
        set: { status: "pending", error: null, updatedAt: pending.updatedAt },
      }),
  ]);
}

/** Marks a queued document as failed (the consumer gave up). */
export async function failDocument(
  db: Database,
  tenant: string,
  documentId: string,
  jobId: string,
  error: string,
): Promise<void> {
  const current = await db
    .select({ jobId: aiIngestJobs.jobId })
    .from(aiIngestJobs)
    .where(and(eq(aiIngestJobs.tenant, tenant), eq(aiIngestJobs.documentId, documentId)));
  if (current[0]?.jobId !== jobId) return;
  await db.batch([
    db
      .update(aiDocuments)
      .set({ status: "failed", error: error.slice(0, 500), updatedAt: new Date() })
      .where(and(eq(aiDocuments.tenant, tenant), eq(aiDocuments.id, documentId))),
    db
      .delete(aiIngestJobs)
      .where(
        and(eq(aiIngestJobs.tenant, tenant), eq(aiIngestJobs.documentId, documentId), eq(aiIngestJobs.jobId, jobId)),
      ),
  ]);
}

/** A document's ingestion status and metadata; null if the tenant has no such document. */
export async function readDocument(db: Database, tenant: string, documentId: string): Promise<DocumentView | null> {
  const [doc] = await db
    .select()
    .from(aiDocuments)
    .where(and(eq(aiDocuments.tenant, tenant), eq(aiDocuments.id, documentId)));
  if (!doc) return null;
  return {
    id: doc.id,
    title: doc.title,
    status: doc.status,
    error: doc.error,
    chunks: doc.chunkCount,
    embeddingModel: doc.embeddingModel,
    embeddingDimensions: doc.embeddingDimensions,
    metadata: doc.metadata,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
  };
}

/** Deletes a document with its chunks, pending job and cached answers citing it; null if absent. */
export async function deleteDocument(
  db: Database,
  tenant: string,
  documentId: string,
): Promise<DeletedDocument | null> {
  const [doc] = await db
    .select({ chunkCount: aiDocuments.chunkCount })
    .from(aiDocuments)
    .where(and(eq(aiDocuments.tenant, tenant), eq(aiDocuments.id, documentId)));
  if (!doc) return null;
  const [dropAnswers, dropCitations] = dropAnswersCitingStatements(db, tenant, documentId);
  const [, , , answers] = await db.batch([
    db.delete(aiDocuments).where(and(eq(aiDocuments.tenant, tenant), eq(aiDocuments.id, documentId))),
    db.delete(aiChunks).where(and(eq(aiChunks.tenant, tenant), eq(aiChunks.documentId, documentId))),
    db.delete(aiIngestJobs).where(and(eq(aiIngestJobs.tenant, tenant), eq(aiIngestJobs.documentId, documentId))),
    dropAnswers,
    dropCitations,
  ]);
  return { chunks: doc.chunkCount, cachedAnswers: answers.rowsAffected };
}
