/**
 * The shapes of the AI API that the library produces or consumes, declared once as zod schemas
 * (they are also the OpenAPI description of `/v1/ai/*`); the TypeScript types are inferred from
 * them. Request bodies only the routes read (search) stay in `routes/ai.ts`.
 */
import { z } from "@hono/zod-openapi";

export const AnswerSourceSchema = z.enum(["cache", "edge", "origin", "degraded"]);
/** Who answered: a cached answer, the edge model, the origin, or a degraded answer of passages. */
export type AnswerSource = z.infer<typeof AnswerSourceSchema>;

export const CitationSchema = z.object({ documentId: z.string(), chunkId: z.number().int() });
export type Citation = z.infer<typeof CitationSchema>;

export const DocumentIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, "1-128 letters, digits, _ . : - (starting with a letter or digit)")
  .openapi({ example: "handbook-2024" });

export const DocumentInputSchema = z
  .strictObject({
    id: DocumentIdSchema.optional(),
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

/** A document to store: the request body with its id settled, in the caller's tenant. */
export type DocumentInput = Omit<z.infer<typeof DocumentInputSchema>, "id"> & { tenant: string; id: string };

export const DocumentWrittenSchema = z
  .object({
    id: z.string(),
    chunks: z.number().int(),
    status: z.enum(["ready", "pending"]),
    embeddingModel: z.string(),
  })
  .openapi("AiDocumentWritten");
export type DocumentWritten = z.infer<typeof DocumentWrittenSchema>;

export const DocumentViewSchema = z
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
export type DocumentView = z.infer<typeof DocumentViewSchema>;

export const DocumentDeletedSchema = z
  .object({ id: z.string(), deleted: z.literal(true), chunks: z.number().int(), cachedAnswers: z.number().int() })
  .openapi("AiDocumentDeleted");
/** What a deletion removed: the document's chunks and the cached answers citing it. */
export type DeletedDocument = Pick<z.infer<typeof DocumentDeletedSchema>, "chunks" | "cachedAnswers">;

export const PassageSchema = z.object({
  documentId: z.string(),
  chunkId: z.number().int(),
  /** Fused relevance in [0, 1] (1: first in both vector and text ranking). */
  score: z.number().openapi({ description: "Fused vector + full-text relevance, 0-1" }),
  /** Cosine similarity to the query in [-1, 1]. */
  similarity: z.number().openapi({ description: "Cosine similarity to the query" }),
  title: z.string().nullable(),
  text: z.string(),
});
/** A retrieved chunk of one of the tenant's documents. */
export type Passage = z.infer<typeof PassageSchema>;

export const AskInputSchema = z
  .strictObject({
    question: z
      .string()
      .min(1)
      .max(2_000)
      .refine((q) => q.trim().length > 0, "must contain text"),
    stream: z.boolean().default(false),
    conversationId: z
      .uuid()
      .optional()
      .openapi({ description: "Continue a conversation (yours); a new one is started without it" }),
  })
  .openapi("AiAskInput");
export type AskInput = Pick<z.infer<typeof AskInputSchema>, "question" | "stream">;

export const DegradedPassageSchema = z.object({
  documentId: z.string(),
  chunkId: z.number().int(),
  title: z.string().nullable(),
  text: z.string(),
  score: z.number(),
});
export type DegradedPassage = z.infer<typeof DegradedPassageSchema>;

export const AskOutputSchema = z
  .object({
    answer: z.string(),
    source: AnswerSourceSchema,
    citations: z.array(CitationSchema),
    conversationId: z.string(),
    passages: z
      .array(DegradedPassageSchema)
      .optional()
      .openapi({ description: "On degraded answers: the retrieved passages" }),
    degraded: z.object({ reason: z.string() }).optional(),
  })
  .openapi("AiAnswer");
/** An answer as the ask pipeline makes it; the route adds the conversation id. */
export type Answer = Omit<z.infer<typeof AskOutputSchema>, "conversationId">;

export const ConversationViewSchema = z
  .object({
    id: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    messages: z.array(
      z.object({
        role: z.enum(["user", "assistant"]),
        content: z.string(),
        source: AnswerSourceSchema.nullable(),
        citations: z.array(CitationSchema).nullable(),
        createdAt: z.string(),
      }),
    ),
  })
  .openapi("AiConversation");
export type ConversationView = z.infer<typeof ConversationViewSchema>;
