/**
 * Large ingests through a Cloudflare Queue. `POST /v1/ai/documents` (`submitDocument`) stores a
 * document of up to `SYNC_INGEST_MAX_CHUNKS` chunks at once; a larger one, when the queue is
 * bound, is parked in `ai_ingest_jobs` and `{v, tenant, documentId, jobId}` is sent (queue
 * messages are limited to 128 KB, documents are not). The consumer embeds and stores each
 * message like a synchronous ingest; a message whose job was superseded by a newer POST is
 * acknowledged and skipped. Failures retry with backoff; after `MAX_ATTEMPTS` the document is
 * marked `failed`.
 *
 * The consumer is the Worker's `queue` handler (src/index.ts); the producer and consumer are
 * bound in wrangler.toml (`AI_INGEST`, queue `ai-ingest`).
 */
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { readSettings } from "../settings.ts";
import type { Database } from "../db/client.ts";
import { aiIngestJobs } from "../db/schema.ts";
import { describeError, logLine, type RequestLogFields } from "../log.ts";
import { createServices } from "../services.ts";
import { traceFromHeader } from "../trace.ts";
import { publishEvent } from "../webhooks/events.ts";
import type { DocumentInput, DocumentWritten } from "./api.ts";
import { createEmbedder, type Embedder } from "./embeddings.ts";
import { enqueueDocument, failDocument, ingestDocument } from "./ingest.ts";
import { aiOptions, type IngestQueue } from "./options.ts";

/** Binding name of the producer in wrangler.toml. */
export const INGEST_QUEUE_BINDING = "AI_INGEST";
export const MAX_ATTEMPTS = 5;
/** Documents with more chunks than this go through the ingest queue when it is bound (202). */
export const SYNC_INGEST_MAX_CHUNKS = 64;

export const ingestMessageSchema = z.strictObject({
  v: z.literal(1),
  tenant: z.string().min(1).max(256),
  documentId: z.string().min(1).max(128),
  jobId: z.string().min(1).max(64),
});

export type IngestMessage = z.infer<typeof ingestMessageSchema>;

export interface SubmitOptions {
  /** The document's chunks (`chunkText(doc.text)`). */
  chunks: string[];
  queue: IngestQueue | undefined;
  log: RequestLogFields;
  /** Adds a `Server-Timing` phase. */
  timing(name: string, ms: number, description?: string): void;
}

/**
 * Stores a document now, or parks it for the queue when it is large and the queue is bound
 * (`status: "pending"`). If the queue cannot be reached it is stored now after all.
 */
export async function submitDocument(
  db: Database,
  embedder: Embedder,
  doc: DocumentInput,
  options: SubmitOptions,
): Promise<DocumentWritten> {
  const { chunks, queue, log } = options;
  const written = (status: DocumentWritten["status"], count: number): DocumentWritten => ({
    id: doc.id,
    chunks: count,
    status,
    embeddingModel: embedder.model,
  });
  if (queue && chunks.length > SYNC_INGEST_MAX_CHUNKS) {
    const jobId = crypto.randomUUID();
    await enqueueDocument(db, embedder, doc, jobId);
    const message: IngestMessage = { v: 1, tenant: doc.tenant, documentId: doc.id, jobId };
    try {
      await queue.send(message, { contentType: "json" });
      log.aiIngest = "queued";
      return written("pending", chunks.length);
    } catch (err) {
      // The queue is down: do it now rather than leave the document pending.
      log.aiIngest = `queue-failed: ${describeError(err).message}`;
      const done = await ingestDocument(db, embedder, doc, { chunks, jobId });
      return written("ready", done.chunks);
    }
  }
  const t0 = performance.now();
  const done = await ingestDocument(db, embedder, doc, { chunks });
  options.timing("ingest", performance.now() - t0, `${done.chunks} chunks`);
  return written("ready", done.chunks);
}

/** Processes one message; returns what happened (for the log and tests). */
export async function processIngestMessage(
  db: Database,
  embedder: Embedder,
  message: IngestMessage,
): Promise<"ingested" | "superseded"> {
  const [job] = await db
    .select()
    .from(aiIngestJobs)
    .where(and(eq(aiIngestJobs.tenant, message.tenant), eq(aiIngestJobs.documentId, message.documentId)));
  if (!job || job.jobId !== message.jobId) return "superseded";
  const result = await ingestDocument(
    db,
    embedder,
    {
      tenant: job.tenant,
      id: job.documentId,
      title: job.title ?? undefined,
      text: job.text,
      metadata: job.metadata ?? undefined,
    },
    { jobId: job.jobId },
  );
  return result.chunks > 0 ? "ingested" : "superseded";
}

/** Webhook events after the message is handled (a bare test context has no `waitUntil`: then not awaited). */
function inBackground(ctx: Partial<ExecutionContext>, work: Promise<unknown>): void {
  if (typeof ctx.waitUntil === "function") ctx.waitUntil(work);
}

/** The Worker's `queue` handler. */
export async function ingestQueue(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
  const settings = readSettings(env);
  if (!settings.ok) {
    logLine("error", "ai ingest queue: invalid Worker settings; retrying later", { problems: settings.problems });
    batch.retryAll({ delaySeconds: 60 });
    return;
  }
  const s = settings.settings;
  const trace = traceFromHeader(undefined);
  const { db, origin } = createServices(s, { traceparent: trace.traceparent });
  let embedder: Embedder;
  try {
    embedder = createEmbedder(aiOptions(env), origin);
  } catch (err) {
    logLine("error", "ai ingest queue: no embedder; retrying later", { error: describeError(err).message });
    batch.retryAll({ delaySeconds: 60 });
    return;
  }
  for (const message of batch.messages) {
    const parsed = ingestMessageSchema.safeParse(message.body);
    if (!parsed.success) {
      logLine("warn", "ai ingest queue: dropping a malformed message", { messageId: message.id });
      message.ack();
      continue;
    }
    const m = parsed.data;
    const started = performance.now();
    try {
      const outcome = await processIngestMessage(db, embedder, m);
      logLine("info", "ai ingest", {
        traceId: trace.traceId,
        tenant: m.tenant,
        documentId: m.documentId,
        outcome,
        ms: Math.round(performance.now() - started),
      });
      if (outcome === "ingested")
        inBackground(ctx, publishEvent(env, "document.ready", { tenant: m.tenant, documentId: m.documentId }));
      message.ack();
    } catch (err) {
      const error = describeError(err).message;
      if (message.attempts >= MAX_ATTEMPTS) {
        logLine("error", "ai ingest failed for good", {
          tenant: m.tenant,
          documentId: m.documentId,
          attempts: message.attempts,
          error,
        });
        await failDocument(db, m.tenant, m.documentId, m.jobId, error).catch(() => undefined);
        inBackground(ctx, publishEvent(env, "document.failed", { tenant: m.tenant, documentId: m.documentId, error }));
        message.ack();
      } else {
        logLine("warn", "ai ingest failed; retrying", {
          tenant: m.tenant,
          documentId: m.documentId,
          attempts: message.attempts,
          error,
        });
        message.retry({ delaySeconds: Math.min(300, 5 * 2 ** message.attempts) });
      }
    }
  }
}
