/**
 * AI at the edge: documents in a libSQL vector index, search, and answers from a tenant-isolated
 * cache, the edge or the origin, with a degraded answer when the origin fails (`src/lib/ai/`).
 * Every query is scoped to the caller's tenant (`principal.tenant`).
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import type { Context } from "hono";
import { setMetric } from "hono/timing";
import type { AppEnv } from "../src/env.ts";
import { ask, type Answer, type AskContext, type AskOutcome } from "../src/lib/ai/ask.ts";
import { breakerFor } from "../src/lib/ai/breaker.ts";
import { chunkText } from "../src/lib/ai/chunking.ts";
import { createEmbedder, EmbeddingError, type Embedder } from "../src/lib/ai/embeddings.ts";
import { ownsConversation, readConversation, recordExchange } from "../src/lib/ai/history.ts";
import { deleteDocument, enqueueDocument, ingestDocument } from "../src/lib/ai/ingest.ts";
import { aiOptions, firstByteBudgetMs } from "../src/lib/ai/options.ts";
import { OriginError } from "../src/lib/ai/origin-chat.ts";
import { EmbeddingMismatchError, searchPassages } from "../src/lib/ai/retrieval.ts";
import { sseEvent } from "../src/lib/ai/sse.ts";
import { inBackground } from "../src/lib/background.ts";
import { aiDocuments } from "../src/lib/db/schema.ts";
import { ApiError } from "../src/lib/errors.ts";
import { problem } from "./problem.ts";
import { describeError } from "../src/lib/log.ts";
import { requireAuth, requireRole } from "../src/middleware/auth.ts";

/** Documents with more chunks than this go through the ingest queue when it is bound (202). */
export const SYNC_INGEST_MAX_CHUNKS = 64;
export const MAX_DOCUMENT_CHUNKS = 5_000;

const DocumentId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, "1-128 letters, digits, _ . : - (starting with a letter or digit)")
  .openapi({ example: "handbook-2024" });

const DocumentInput = z
  .strictObject({
    id: DocumentId.optional(),
    title: z.string().max(500).optional(),
    text: z
      .string()
      .min(1)
      .max(1_000_000)
      .refine((t) => t.trim().length > 0, "must contain text"),
    metadata: z
      .record(z.string().max(100), z.unknown())
      .refine((m) => JSON.stringify(m).length <= 16_384, "at most 16 KiB as JSON")
      .optional(),
  })
  .openapi("AiDocumentInput");

const DocumentWritten = z
  .object({ id: z.string(), chunks: z.number().int(), status: z.enum(["ready", "pending"]), embeddingModel: z.string() })
  .openapi("AiDocumentWritten");

const DocumentView = z
  .object({
    id: z.string(),
    title: z.string().nullable(),
    status: z.enum(["ready", "pending", "failed"]),
    error: z.string().nullable(),
    chunks: z.number().int(),
    embeddingModel: z.string(),
    embeddingDimensions: z.number().int(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("AiDocument");

const DocumentDeleted = z
  .object({ id: z.string(), deleted: z.literal(true), chunks: z.number().int(), cachedAnswers: z.number().int() })
  .openapi("AiDocumentDeleted");

const SearchInput = z.strictObject({ query: z.string().min(1).max(2_000), k: z.int().min(1).max(50).default(5) }).openapi("AiSearchInput");

const SearchOutput = z
  .object({
    results: z.array(
      z.object({
        documentId: z.string(),
        chunkId: z.number().int(),
        score: z.number().openapi({ description: "Fused vector + full-text relevance, 0-1" }),
        similarity: z.number().openapi({ description: "Cosine similarity to the query" }),
        title: z.string().nullable(),
        text: z.string(),
      }),
    ),
    model: z.string().openapi({ description: "Embedding model of the query and the index" }),
  })
  .openapi("AiSearchResults");

const Citation = z.object({ documentId: z.string(), chunkId: z.number().int() });

const AskInput = z
  .strictObject({
    question: z.string().min(1).max(2_000).refine((q) => q.trim().length > 0, "must contain text"),
    stream: z.boolean().default(false),
    conversationId: z.uuid().optional().openapi({ description: "Continue a conversation (yours); a new one is started without it" }),
  })
  .openapi("AiAskInput");

const AskOutput = z
  .object({
    answer: z.string(),
    source: z.enum(["cache", "edge", "origin", "degraded"]),
    citations: z.array(Citation),
    conversationId: z.string(),
    passages: z
      .array(z.object({ documentId: z.string(), chunkId: z.number().int(), title: z.string().nullable(), text: z.string(), score: z.number() }))
      .optional()
      .openapi({ description: "On degraded answers: the retrieved passages" }),
    degraded: z.object({ reason: z.string() }).optional(),
  })
  .openapi("AiAnswer");

const ConversationView = z
  .object({
    id: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    messages: z.array(
      z.object({
        role: z.enum(["user", "assistant"]),
        content: z.string(),
        source: z.enum(["cache", "edge", "origin", "degraded"]).nullable(),
        citations: z.array(Citation).nullable(),
        createdAt: z.string(),
      }),
    ),
  })
  .openapi("AiConversation");


const AI_HEADERS = {
  "x-ai-source": { schema: { type: "string" as const }, description: "cache, edge, origin or degraded" },
  "x-cache": { schema: { type: "string" as const }, description: "HIT or MISS" },
  "x-cache-similarity": { schema: { type: "string" as const }, description: "On hits: similarity of the cached question (1 for exact)" },
};

function embedderFor(c: Context<AppEnv>): Embedder {
  try {
    return createEmbedder(aiOptions(c.env), c.get("origin"));
  } catch (err) {
    throw new ApiError("unavailable", { detail: `Embeddings are not available: ${err instanceof Error ? err.message : "misconfigured"}.` });
  }
}

/** Maps AI-layer errors to problems: mixed models 409, embedder down 503. */
function aiProblem(c: Context<AppEnv>, err: unknown): never {
  if (err instanceof EmbeddingMismatchError) {
    c.get("log").ai = "embedding-model-mismatch";
    throw new ApiError("conflict", { detail: err.message, extensions: { storedModel: err.stored, configuredModel: err.requested } });
  }
  if (err instanceof EmbeddingError) {
    c.get("log").ai = `embedding-failed: ${err.message}`;
    throw new ApiError("unavailable", { detail: "The embedding service is unavailable; try again shortly.", headers: { "retry-after": "5" } });
  }
  throw err;
}

/** Splits an answer into stream pieces (a few words each) for replaying it as SSE. */
function pieces(text: string): string[] {
  const parts = text.match(/\S+\s*/g) ?? [text];
  const out: string[] = [];
  for (let i = 0; i < parts.length; i += 6) out.push(parts.slice(i, i + 6).join(""));
  const lead = /^\s*/.exec(text)?.[0] ?? "";
  if (lead && out.length) out[0] = lead + out[0];
  return out.length ? out : [""];
}

function sseBody(generator: AsyncGenerator<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await generator.next();
        if (done) controller.close();
        else controller.enqueue(encoder.encode(value));
      } catch (err) {
        controller.error(err);
      }
    },
    async cancel() {
      await generator.return(undefined);
    },
  });
}

const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", "x-accel-buffering": "no" };

export const aiRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/ai/documents",
      tags: ["AI"],
      summary: "Ingest a document: chunk, embed, store",
      description:
        `Chunks of at most 1,000 characters with 150 characters of sentence overlap, embedded and stored in the vector and full-text indexes. ` +
        `The same id replaces the document (and drops cached answers citing it). Documents over ${SYNC_INGEST_MAX_CHUNKS} chunks go through the ingest queue when ` +
        `it is bound: \`202\` with \`status: "pending"\`; poll \`GET /v1/ai/documents/{id}\`.`,
      security: [{ bearerAuth: [] }],
      middleware: [requireRole("editor", "admin")] as const,
      request: { body: { required: true, content: { "application/json": { schema: DocumentInput } } } },
      responses: {
        201: { description: "Stored and searchable", content: { "application/json": { schema: DocumentWritten } } },
        202: { description: "Accepted for background ingestion", content: { "application/json": { schema: DocumentWritten } } },
        401: problem("Missing or invalid token"),
        403: problem("Needs the editor or admin role"),
        409: problem("The tenant's documents use another embedding model"),
        422: problem("Invalid document"),
        503: problem("Embeddings unavailable"),
      },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const tenant = c.get("principal").tenant;
      const id = input.id ?? crypto.randomUUID();
      const chunks = chunkText(input.text);
      if (chunks.length > MAX_DOCUMENT_CHUNKS) {
        throw new ApiError("validation-failed", { detail: `/text: the document makes ${chunks.length} chunks; at most ${MAX_DOCUMENT_CHUNKS} are allowed.` });
      }
      const embedder = embedderFor(c);
      const doc = { tenant, id, title: input.title, text: input.text, metadata: input.metadata };
      const queue = aiOptions(c.env).ingestQueue;
      try {
        if (queue && chunks.length > SYNC_INGEST_MAX_CHUNKS) {
          const jobId = crypto.randomUUID();
          await enqueueDocument(c.get("db"), embedder, doc, jobId);
          try {
            await queue.send({ v: 1, tenant, documentId: id, jobId }, { contentType: "json" });
            c.get("log").aiIngest = "queued";
            return c.json({ id, chunks: chunks.length, status: "pending" as const, embeddingModel: embedder.model }, 202, { location: `/v1/ai/documents/${id}` });
          } catch (err) {
            // The queue is down: do it now rather than leave the document pending.
            c.get("log").aiIngest = `queue-failed: ${describeError(err).message}`;
            const done = await ingestDocument(c.get("db"), embedder, doc, { chunks, jobId });
            return c.json({ id, chunks: done.chunks, status: "ready" as const, embeddingModel: embedder.model }, 201, { location: `/v1/ai/documents/${id}` });
          }
        }
        const t0 = performance.now();
        const done = await ingestDocument(c.get("db"), embedder, doc, { chunks });
        setMetric(c, "ingest", performance.now() - t0, `${done.chunks} chunks`);
        return c.json({ id, chunks: done.chunks, status: "ready" as const, embeddingModel: embedder.model }, 201, { location: `/v1/ai/documents/${id}` });
      } catch (err) {
        aiProblem(c, err);
      }
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/ai/documents/{id}",
      tags: ["AI"],
      summary: "A document's ingestion status and metadata",
      security: [{ bearerAuth: [] }],
      middleware: [requireAuth()] as const,
      request: { params: z.object({ id: DocumentId.openapi({ param: { name: "id", in: "path" } }) }) },
      responses: {
        200: { description: "The document", content: { "application/json": { schema: DocumentView } } },
        401: problem("Missing or invalid token"),
        404: problem("No such document in your tenant"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const [doc] = await c.get("db")
        .select()
        .from(aiDocuments)
        .where(and(eq(aiDocuments.tenant, c.get("principal").tenant), eq(aiDocuments.id, id)));
      if (!doc) throw new ApiError("not-found", { detail: `No document "${id}".` });
      return c.json(
        {
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
        },
        200,
        { "cache-control": "no-store" },
      );
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/v1/ai/documents/{id}",
      tags: ["AI"],
      summary: "Delete a document, its chunks and the cached answers citing it",
      security: [{ bearerAuth: [] }],
      middleware: [requireRole("editor", "admin")] as const,
      request: { params: z.object({ id: DocumentId.openapi({ param: { name: "id", in: "path" } }) }) },
      responses: {
        200: { description: "Deleted", content: { "application/json": { schema: DocumentDeleted } } },
        401: problem("Missing or invalid token"),
        403: problem("Needs the editor or admin role"),
        404: problem("No such document in your tenant"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const deleted = await deleteDocument(c.get("db"), c.get("principal").tenant, id);
      if (!deleted) throw new ApiError("not-found", { detail: `No document "${id}".` });
      return c.json({ id, deleted: true as const, chunks: deleted.chunks, cachedAnswers: deleted.cachedAnswers }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/ai/search",
      tags: ["AI"],
      summary: "Top-k passages of your tenant's documents (vector + full-text)",
      security: [{ bearerAuth: [] }],
      middleware: [requireAuth()] as const,
      request: { body: { required: true, content: { "application/json": { schema: SearchInput } } } },
      responses: {
        200: { description: "Results, best first", content: { "application/json": { schema: SearchOutput } } },
        401: problem("Missing or invalid token"),
        409: problem("The tenant's documents use another embedding model"),
        422: problem("Invalid query"),
        503: problem("Embeddings unavailable"),
      },
    }),
    async (c) => {
      const { query, k } = c.req.valid("json");
      const embedder = embedderFor(c);
      try {
        let t0 = performance.now();
        const [vector] = await embedder.embed([query], c.req.raw.signal);
        setMetric(c, "embed", performance.now() - t0);
        t0 = performance.now();
        const result = await searchPassages(c.get("db"), { tenant: c.get("principal").tenant, vector: vector!, embedder, query, k });
        setMetric(c, "search", performance.now() - t0, result.strategy);
        c.get("log").aiSearch = result.strategy;
        return c.json(
          {
            results: result.passages.map((p) => ({ documentId: p.documentId, chunkId: p.chunkId, score: p.score, similarity: p.similarity, title: p.title, text: p.text })),
            model: embedder.model,
          },
          200,
        );
      } catch (err) {
        aiProblem(c, err);
      }
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/ai/ask",
      tags: ["AI"],
      summary: "Answer a question from your documents",
      description:
        "Exact cache, then semantic cache (same tenant and model/prompt partition, above `ai.cacheThreshold`, guarded against look-alike " +
        "questions), then retrieval and generation at the edge or the origin. When the origin fails or is too slow, a `degraded` answer " +
        "carries the retrieved passages. `stream: true` answers `text/event-stream`: `meta`, then `delta` events, then `done` " +
        "(or `error` if the origin breaks off; nothing is cached then). Headers: `x-ai-source`, `x-cache`, `x-cache-similarity`, `Server-Timing`.",
      security: [{ bearerAuth: [] }],
      middleware: [requireAuth()] as const,
      request: { body: { required: true, content: { "application/json": { schema: AskInput } } } },
      responses: {
        200: {
          description: "The answer (JSON, or SSE with `stream: true`)",
          headers: AI_HEADERS,
          content: { "application/json": { schema: AskOutput }, "text/event-stream": { schema: z.string() } },
        },
        401: problem("Missing or invalid token"),
        404: problem("No such conversation of yours"),
        409: problem("The tenant's documents use another embedding model"),
        422: problem("Invalid question"),
      },
    }),
    async (c) => {
      const started = Date.now();
      const input = c.req.valid("json");
      const { tenant, sub } = c.get("principal");
      const db = c.get("db");
      let conversationId = input.conversationId;
      const isNew = conversationId === undefined;
      if (conversationId !== undefined && !(await ownsConversation(db, tenant, sub, conversationId))) {
        throw new ApiError("not-found", { detail: `No conversation "${conversationId}" of yours.` });
      }
      conversationId ??= crypto.randomUUID();
      const options = aiOptions(c.env);
      const config = c.get("config").ai;
      const metrics = new Map<string, { ms: number; description?: string | undefined }>();
      const flushMetrics = () => {
        for (const [name, m] of metrics) setMetric(c, name, m.ms, m.description);
        metrics.clear();
      };
      const ctx: AskContext = {
        db,
        redis: c.get("redis"),
        origin: c.get("origin"),
        embedder: embedderFor(c),
        breaker: breakerFor(c.get("origin").baseUrl, {
          failureThreshold: options.breakerFailures,
          cooldownMs: options.breakerCooldownMs,
          probeLeaseMs: config.originTimeoutMs + 1_000,
        }),
        tenant,
        config,
        firstByteMs: firstByteBudgetMs(options, config.originTimeoutMs),
        edge: options.ai && options.edgeChatModel ? { ai: options.ai, model: options.edgeChatModel } : undefined,
        started,
        signal: c.req.raw.signal,
        timing: (name, ms, description) => {
          const m = metrics.get(name);
          metrics.set(name, { ms: (m?.ms ?? 0) + ms, description: description ?? m?.description });
        },
        log: c.get("log"),
      };
      let outcome: AskOutcome;
      try {
        outcome = await ask(ctx, { question: input.question, stream: input.stream });
      } catch (err) {
        aiProblem(c, err);
      }
      flushMetrics();
      const record = (answer: string, source: Answer["source"], citations: Answer["citations"]) =>
        inBackground(c, recordExchange(db, { tenant, userId: sub, conversationId, isNew, question: input.question, answer, source, citations }));

      if (outcome.kind === "answer") {
        const { body, cache, similarity } = outcome;
        const headers: Record<string, string> = { "x-ai-source": body.source, "x-cache": cache, "cache-control": "no-store" };
        if (cache === "HIT" && similarity !== undefined) headers["x-cache-similarity"] = similarity.toFixed(4);
        c.get("log").aiSource = body.source;
        await record(body.answer, body.source, body.citations);
        const payload = { ...body, conversationId };
        if (!input.stream) return c.json(payload, 200, headers);
        async function* replay(): AsyncGenerator<string> {
          yield sseEvent("meta", { source: body.source, cache, ...(headers["x-cache-similarity"] ? { similarity } : {}), citations: body.citations, conversationId });
          for (const text of pieces(body.answer)) yield sseEvent("delta", { text });
          yield sseEvent("done", payload);
        }
        return c.body(sseBody(replay()), 200, { ...SSE_HEADERS, ...headers });
      }

      // A live origin stream: what the client sees is what gets cached, only if it completes.
      const live = outcome;
      c.get("log").aiSource = "origin";
      const requestId = c.get("requestId");
      async function* relay(): AsyncGenerator<string> {
        let settled = false;
        try {
          yield sseEvent("meta", { source: "origin", cache: "MISS", citations: live.citations, conversationId });
          let text = "";
          let finishReason: string | null;
          try {
            for (;;) {
              const next = await live.stream.deltas.next();
              if (next.done) {
                finishReason = next.value;
                break;
              }
              text += next.value;
              yield sseEvent("delta", { text: next.value });
            }
          } catch (err) {
            const reason = err instanceof OriginError ? err.kind : "error";
            settled = true;
            await live.fail(reason);
            await record(`${text}\n\n[The answer broke off: ${reason}.]`, "origin", live.citations);
            yield sseEvent("error", { reason, message: "The AI service's answer broke off; it was not cached. Try again.", requestId });
            return;
          }
          settled = true;
          await live.complete(text, finishReason);
          await record(text, "origin", live.citations);
          yield sseEvent("done", { answer: text, source: "origin", citations: live.citations, conversationId, finishReason });
        } finally {
          if (!settled) {
            // The client went away mid-stream: stop the origin call and release waiting requests.
            await live.stream.deltas.return(null).catch(() => undefined);
            await live.fail("cancelled");
          }
        }
      }
      return c.body(sseBody(relay()), 200, { ...SSE_HEADERS, "x-ai-source": "origin", "x-cache": "MISS", "cache-control": "no-store" });
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/ai/conversations/{id}",
      tags: ["AI"],
      summary: "One of your conversations: questions and answers with source and citations",
      security: [{ bearerAuth: [] }],
      middleware: [requireAuth()] as const,
      request: { params: z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) }) },
      responses: {
        200: { description: "The conversation, oldest message first", content: { "application/json": { schema: ConversationView } } },
        401: problem("Missing or invalid token"),
        404: problem("No such conversation of yours"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const view = await readConversation(c.get("db"), c.get("principal").tenant, c.get("principal").sub, id);
      if (!view) throw new ApiError("not-found", { detail: `No conversation "${id}" of yours.` });
      return c.json(view, 200, { "cache-control": "no-store" });
    },
  );
