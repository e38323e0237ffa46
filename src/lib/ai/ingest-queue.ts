/**
 * The Cloudflare Queue consumer for large ingests. `POST /v1/ai/documents` parks the text in
 * `ai_ingest_jobs` and sends `{v, tenant, documentId, jobId}` (queue messages are limited to
 * 128 KB, documents are not). Here each message is embedded and stored like a synchronous
 * ingest; a message whose job was superseded by a newer POST is acknowledged and skipped.
 * Failures retry with backoff; after `MAX_ATTEMPTS` the document is marked `failed`.
 *
 * It is the Worker's `queue` handler (src/index.ts); the producer and consumer are bound in
 * wrangler.toml (`AI_INGEST`, queue `ai-ingest`).
 */
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { readSettings } from "../settings.ts";
import type { Database } from "../db/client.ts";
import { aiIngestJobs } from "../db/schema.ts";
import { describeError, logLine } from "../log.ts";
import { createServices } from "../services.ts";
import { traceFromHeader } from "../trace.ts";
import { createEmbedder, type Embedder } from "./embeddings.ts";
import { failDocument, ingestDocument } from "./ingest.ts";
import { aiOptions } from "./options.ts";

/** Binding name of the producer in wrangler.toml. */
export const INGEST_QUEUE_BINDING = "AI_INGEST";
export const MAX_ATTEMPTS = 5;

export const ingestMessageSchema = z.strictObject({
  v: z.literal(1),
  tenant: z.string().min(1).max(256),
  documentId: z.string().min(1).max(128),
  jobId: z.string().min(1).max(64),
});

export type IngestMessage = z.infer<typeof ingestMessageSchema>;

/** Processes one message; returns what happened (for the log and tests). */
export async function processIngestMessage(db: Database, embedder: Embedder, message: IngestMessage): Promise<"ingested" | "superseded"> {
  const [job] = await db
    .select()
    .from(aiIngestJobs)
    .where(and(eq(aiIngestJobs.tenant, message.tenant), eq(aiIngestJobs.documentId, message.documentId)));
  if (!job || job.jobId !== message.jobId) return "superseded";
  const result = await ingestDocument(
    db,
    embedder,
    { tenant: job.tenant, id: job.documentId, title: job.title ?? undefined, text: job.text, metadata: job.metadata ?? undefined },
    { jobId: job.jobId },
  );
  return result.chunks > 0 ? "ingested" : "superseded";
}

/** The Worker's `queue` handler. */
export async function ingestQueue(batch: MessageBatch<unknown>, env: Env, _ctx: ExecutionContext): Promise<void> {
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
      logLine("info", "ai ingest", { traceId: trace.traceId, tenant: m.tenant, documentId: m.documentId, outcome, ms: Math.round(performance.now() - started) });
      message.ack();
    } catch (err) {
      const error = describeError(err).message;
      if (message.attempts >= MAX_ATTEMPTS) {
        logLine("error", "ai ingest failed for good", { tenant: m.tenant, documentId: m.documentId, attempts: message.attempts, error });
        await failDocument(db, m.tenant, m.documentId, m.jobId, error).catch(() => undefined);
        message.ack();
      } else {
        logLine("warn", "ai ingest failed; retrying", { tenant: m.tenant, documentId: m.documentId, attempts: message.attempts, error });
        message.retry({ delaySeconds: Math.min(300, 5 * 2 ** message.attempts) });
      }
    }
  }
}
