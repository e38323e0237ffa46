/**
 * AI at the edge: documents in a libSQL vector index, search, and answers from a tenant-isolated
 * cache, the edge or the origin, with a degraded answer when the origin fails (`src/lib/ai/`).
 * Every query is scoped to the caller's tenant (`principal.tenant`). This file is the HTTP side:
 * validation, status codes and the OpenAPI description; the shapes are in `src/lib/ai/api.ts`.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { setMetric } from "hono/timing";
import type { AppEnv } from "../src/env.ts";
import {
  AskInputSchema,
  AskOutputSchema,
  ConversationViewSchema,
  DocumentDeletedSchema,
  DocumentIdSchema,
  DocumentInputSchema,
  DocumentViewSchema,
  DocumentWrittenSchema,
  PassageSchema,
} from "../src/lib/ai/api.ts";
import { askReply } from "../src/lib/ai/ask-reply.ts";
import { ask, createAskContext, TimingTotals, type AskOutcome } from "../src/lib/ai/ask.ts";
import { chunkText } from "../src/lib/ai/chunking.ts";
import { createEmbedder, EmbeddingError, type Embedder } from "../src/lib/ai/embeddings.ts";
import { openConversation, readConversation, recordExchange } from "../src/lib/ai/history.ts";
import { deleteDocument, readDocument } from "../src/lib/ai/ingest.ts";
import { submitDocument, SYNC_INGEST_MAX_CHUNKS } from "../src/lib/ai/ingest-queue.ts";
import { aiOptions } from "../src/lib/ai/options.ts";
import { EmbeddingMismatchError, searchPassages } from "../src/lib/ai/retrieval.ts";
import { inBackground } from "../src/lib/background.ts";
import { publishEvent } from "../src/lib/webhooks/events.ts";
import { ApiError } from "../src/lib/errors.ts";
import { problem, UNAUTHORIZED } from "./problem.ts";
import { requireAuth, requireRole } from "../src/middleware/auth.ts";

export const MAX_DOCUMENT_CHUNKS = 5_000;

const SearchInput = z
  .strictObject({ query: z.string().min(1).max(2_000), k: z.int().min(1).max(50).default(5) })
  .openapi("AiSearchInput");

const SearchOutput = z
  .object({
    results: z.array(PassageSchema),
    model: z.string().openapi({ description: "Embedding model of the query and the index" }),
  })
  .openapi("AiSearchResults");

const DocumentParams = z.object({ id: DocumentIdSchema.openapi({ param: { name: "id", in: "path" } }) });

const AI_HEADERS = {
  "x-ai-source": { schema: { type: "string" as const }, description: "cache, edge, origin or degraded" },
  "x-cache": { schema: { type: "string" as const }, description: "HIT or MISS" },
  "x-cache-similarity": {
    schema: { type: "string" as const },
    description: "On hits: similarity of the cached question (1 for exact)",
  },
};

const EDITORS_ONLY = problem("Needs the editor or admin role");
const MODEL_MISMATCH = problem("The tenant's documents use another embedding model");
const EMBEDDINGS_DOWN = problem("Embeddings unavailable");
const NO_DOCUMENT = problem("No such document in your tenant");
const NO_CONVERSATION = problem("No such conversation of yours");

function embedderFor(c: Context<AppEnv>): Embedder {
  try {
    return createEmbedder(aiOptions(c.env), c.get("origin"));
  } catch (err) {
    throw new ApiError("unavailable", {
      detail: `Embeddings are not available: ${err instanceof Error ? err.message : "misconfigured"}.`,
    });
  }
}

/** Maps AI-layer errors to problems: mixed models 409, embedder down 503. */
function aiProblem(c: Context<AppEnv>, err: unknown): never {
  if (err instanceof EmbeddingMismatchError) {
    c.get("log").ai = "embedding-model-mismatch";
    throw new ApiError("conflict", {
      detail: err.message,
      extensions: { storedModel: err.stored, configuredModel: err.requested },
    });
  }
  if (err instanceof EmbeddingError) {
    c.get("log").ai = `embedding-failed: ${err.message}`;
    throw new ApiError("unavailable", {
      detail: "The embedding service is unavailable; try again shortly.",
      headers: { "retry-after": "5" },
    });
  }
  throw err;
}

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
      request: { body: { required: true, content: { "application/json": { schema: DocumentInputSchema } } } },
      responses: {
        201: {
          description: "Stored and searchable",
          content: { "application/json": { schema: DocumentWrittenSchema } },
        },
        202: {
          description: "Accepted for background ingestion",
          content: { "application/json": { schema: DocumentWrittenSchema } },
        },
        401: UNAUTHORIZED,
        403: EDITORS_ONLY,
        409: MODEL_MISMATCH,
        422: problem("Invalid document"),
        503: EMBEDDINGS_DOWN,
      },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const id = input.id ?? crypto.randomUUID();
      const chunks = chunkText(input.text);
      if (chunks.length > MAX_DOCUMENT_CHUNKS) {
        throw new ApiError("validation-failed", {
          detail: `/text: the document makes ${chunks.length} chunks; at most ${MAX_DOCUMENT_CHUNKS} are allowed.`,
        });
      }
      const embedder = embedderFor(c);
      const doc = {
        tenant: c.get("principal").tenant,
        id,
        title: input.title,
        text: input.text,
        metadata: input.metadata,
      };
      const location = { location: `/v1/ai/documents/${id}` };
      try {
        const written = await submitDocument(c.get("db"), embedder, doc, {
          chunks,
          queue: aiOptions(c.env).ingestQueue,
          log: c.get("log"),
          timing: (name, ms, description) => setMetric(c, name, ms, description),
        });
        if (written.status === "pending") return c.json(written, 202, location);
        await inBackground(
          c,
          publishEvent(c.env, "document.ready", { tenant: doc.tenant, documentId: id, chunks: written.chunks }),
        );
        return c.json(written, 201, location);
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
      request: { params: DocumentParams },
      responses: {
        200: { description: "The document", content: { "application/json": { schema: DocumentViewSchema } } },
        401: UNAUTHORIZED,
        404: NO_DOCUMENT,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const doc = await readDocument(c.get("db"), c.get("principal").tenant, id);
      if (!doc) throw new ApiError("not-found", { detail: `No document "${id}".` });
      return c.json(doc, 200, { "cache-control": "no-store" });
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
      request: { params: DocumentParams },
      responses: {
        200: { description: "Deleted", content: { "application/json": { schema: DocumentDeletedSchema } } },
        401: UNAUTHORIZED,
        403: EDITORS_ONLY,
        404: NO_DOCUMENT,
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
        401: UNAUTHORIZED,
        409: MODEL_MISMATCH,
        422: problem("Invalid query"),
        503: EMBEDDINGS_DOWN,
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
        const result = await searchPassages(c.get("db"), {
          tenant: c.get("principal").tenant,
          vector: vector!,
          embedder,
          query,
          k,
        });
        setMetric(c, "search", performance.now() - t0, result.strategy);
        c.get("log").aiSearch = result.strategy;
        return c.json(
          {
            results: result.passages.map((p) => ({
              documentId: p.documentId,
              chunkId: p.chunkId,
              score: p.score,
              similarity: p.similarity,
              title: p.title,
              text: p.text,
            })),
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
      request: { body: { required: true, content: { "application/json": { schema: AskInputSchema } } } },
      responses: {
        200: {
          description: "The answer (JSON, or SSE with `stream: true`)",
          headers: AI_HEADERS,
          content: { "application/json": { schema: AskOutputSchema }, "text/event-stream": { schema: z.string() } },
        },
        401: UNAUTHORIZED,
        404: NO_CONVERSATION,
        409: MODEL_MISMATCH,
        422: problem("Invalid question"),
      },
    }),
    async (c) => {
      const started = Date.now();
      const input = c.req.valid("json");
      const { tenant, sub } = c.get("principal");
      const db = c.get("db");
      const conversation = await openConversation(db, tenant, sub, input.conversationId);
      if (!conversation)
        throw new ApiError("not-found", { detail: `No conversation "${input.conversationId}" of yours.` });
      const timings = new TimingTotals();
      const ctx = createAskContext(tenant, {
        db,
        redis: c.get("redis"),
        origin: c.get("origin"),
        embedder: embedderFor(c),
        options: aiOptions(c.env),
        config: c.get("config").ai,
        started,
        signal: c.req.raw.signal,
        timing: timings.add,
        log: c.get("log"),
      });
      let outcome: AskOutcome;
      try {
        outcome = await ask(ctx, { question: input.question, stream: input.stream });
      } catch (err) {
        aiProblem(c, err);
      }
      timings.flush((name, ms, description) => setMetric(c, name, ms, description));
      const reply = await askReply(outcome, {
        conversationId: conversation.id,
        stream: input.stream,
        requestId: c.get("requestId"),
        record: (answer, source, citations) =>
          inBackground(
            c,
            recordExchange(db, {
              tenant,
              userId: sub,
              conversationId: conversation.id,
              isNew: conversation.isNew,
              question: input.question,
              answer,
              source,
              citations,
            }),
          ),
      });
      c.get("log").aiSource = reply.source;
      return reply.kind === "json" ? c.json(reply.body, 200, reply.headers) : c.body(reply.body, 200, reply.headers);
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
        200: {
          description: "The conversation, oldest message first",
          content: { "application/json": { schema: ConversationViewSchema } },
        },
        401: UNAUTHORIZED,
        404: NO_CONVERSATION,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const view = await readConversation(c.get("db"), c.get("principal").tenant, c.get("principal").sub, id);
      if (!view) throw new ApiError("not-found", { detail: `No conversation "${id}" of yours.` });
      return c.json(view, 200, { "cache-control": "no-store" });
    },
  );
