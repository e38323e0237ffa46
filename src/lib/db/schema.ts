/**
 * Database schema (libSQL / Turso) for drizzle-orm. Migrations in `migrations/` are generated
 * from this file by `npm run db:generate`; the vector index is a hand-written migration because
 * drizzle-kit does not know `libsql_vector_idx`.
 */
import { sql } from "drizzle-orm";
import { customType, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Dimension of stored embeddings. Mixing dimensions is refused by the AI layer. */
export const EMBEDDING_DIMENSIONS = 256;

/** libSQL native vector column: little-endian float32, fixed dimension. */
export const f32Blob = customType<{
  data: Float32Array;
  driverData: ArrayBuffer | ArrayBufferView;
  config: { dimensions: number };
}>({
  dataType(config) {
    return `F32_BLOB(${config?.dimensions ?? EMBEDDING_DIMENSIONS})`;
  },
  toDriver(value) {
    return value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength) as ArrayBuffer;
  },
  fromDriver(value) {
    if (value instanceof ArrayBuffer) return new Float32Array(value.slice(0));
    // A view (e.g. Uint8Array) over bytes: copy so the float32 view is aligned.
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice();
    return new Float32Array(bytes.buffer, 0, bytes.byteLength >> 2);
  },
});

const createdAt = () =>
  integer("created_at", { mode: "timestamp_ms" })
    .notNull()
    .default(sql`(unixepoch('subsec') * 1000)`);
const updatedAt = () =>
  integer("updated_at", { mode: "timestamp_ms" })
    .notNull()
    .default(sql`(unixepoch('subsec') * 1000)`);

/** A piece of content addressed by slug; what a visitor sees is one of its variants. */
export const contentItems = sqliteTable("content_items", {
  slug: text("slug").primaryKey(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/**
 * A variant of a content item, chosen per visitor: by country, then continent, then locale,
 * then the default. `match` holds the country code, continent code or locale tag (empty for default).
 */
export const contentVariants = sqliteTable(
  "content_variants",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    slug: text("slug")
      .notNull()
      .references(() => contentItems.slug, { onDelete: "cascade" }),
    kind: text("kind", { enum: ["country", "continent", "locale", "default"] }).notNull(),
    match: text("match").notNull().default(""),
    locale: text("locale").notNull(),
    title: text("title").notNull(),
    body: text("body").notNull(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("content_variants_slug_kind_match").on(t.slug, t.kind, t.match)],
);

/** A document ingested for retrieval, owned by one tenant. */
export const aiDocuments = sqliteTable(
  "ai_documents",
  {
    id: text("id").notNull(),
    tenant: text("tenant").notNull(),
    title: text("title"),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>(),
    embeddingModel: text("embedding_model").notNull(),
    embeddingDimensions: integer("embedding_dimensions").notNull(),
    chunkCount: integer("chunk_count").notNull().default(0),
    /** `pending` while a queued ingest runs, `failed` when it gave up (see `error`). */
    status: text("status", { enum: ["ready", "pending", "failed"] })
      .notNull()
      .default("ready"),
    error: text("error"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.tenant, t.id] })],
);

/**
 * Chunks per tenant and embedding model, kept by triggers on `ai_documents` (migration 0007):
 * what retrieval reads on every query to pick its path and check the model, in one row instead
 * of summing the tenant's documents (about 50 ms for 100k documents). Writers of `ai_documents`
 * use `INSERT … ON CONFLICT DO UPDATE` (the UPDATE trigger moves the count), never `INSERT OR
 * REPLACE`: SQLite deletes the replaced row without firing the DELETE trigger.
 */
export const aiTenantChunks = sqliteTable(
  "ai_tenant_chunks",
  {
    tenant: text("tenant").notNull(),
    model: text("model").notNull(),
    dimensions: integer("dimensions").notNull(),
    chunks: integer("chunks").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenant, t.model, t.dimensions] })],
);

/**
 * A large ingest waiting for the queue consumer: the text is parked here (queue messages are
 * limited to 128 KB) under a job id; a newer POST of the same document replaces the job, and
 * the consumer skips messages whose job id is no longer current.
 */
export const aiIngestJobs = sqliteTable(
  "ai_ingest_jobs",
  {
    tenant: text("tenant").notNull(),
    documentId: text("document_id").notNull(),
    jobId: text("job_id").notNull(),
    title: text("title"),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>(),
    text: text("text").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.tenant, t.documentId] })],
);

/**
 * Answers cached for `/v1/ai/ask`: looked up exactly by `exact_key` (a hash over tenant,
 * partition and normalised question) and semantically by the question's embedding within the
 * same tenant and partition (chat model, system prompt, parameters, embedding model).
 */
export const aiAnswerCache = sqliteTable(
  "ai_answer_cache",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    tenant: text("tenant").notNull(),
    partition: text("partition").notNull(),
    exactKey: text("exact_key").notNull(),
    question: text("question").notNull(),
    embedding: f32Blob("embedding", { dimensions: EMBEDDING_DIMENSIONS }).notNull(),
    answer: text("answer").notNull(),
    citations: text("citations", { mode: "json" }).$type<Array<{ documentId: string; chunkId: number }>>().notNull(),
    /** Nearest centroid of the embedding model's IVF index (as `ai_chunks.cluster`), NULL before one exists. */
    cluster: integer("cluster"),
    createdAt: createdAt(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    uniqueIndex("ai_answer_cache_exact").on(t.exactKey),
    index("ai_answer_cache_partition").on(t.tenant, t.partition, t.expiresAt),
    index("ai_answer_cache_cluster8").on(t.cluster, t.tenant, t.partition, sql`vector8(${t.embedding})`),
  ],
);

/** Which documents a cached answer cites, so deleting a document drops those answers. */
export const aiAnswerCacheDocuments = sqliteTable(
  "ai_answer_cache_documents",
  {
    cacheId: integer("cache_id").notNull(),
    tenant: text("tenant").notNull(),
    documentId: text("document_id").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.cacheId, t.documentId] }),
    index("ai_answer_cache_documents_document").on(t.tenant, t.documentId),
  ],
);

/**
 * A chunk of a document with its embedding. `cluster` is the id of its nearest centroid
 * (`ai_centroids`) once the IVF index of its embedding model is trained, NULL before; the
 * index `ai_chunks_cluster8` keeps an F8 copy of the vector per (cluster, tenant), which is
 * what the IVF statement ranks (`src/lib/ai/ivf.ts`).
 */
export const aiChunks = sqliteTable(
  "ai_chunks",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    tenant: text("tenant").notNull(),
    documentId: text("document_id").notNull(),
    ordinal: integer("ordinal").notNull(),
    text: text("text").notNull(),
    embedding: f32Blob("embedding", { dimensions: EMBEDDING_DIMENSIONS }).notNull(),
    cluster: integer("cluster"),
    createdAt: createdAt(),
  },
  (t) => [
    index("ai_chunks_document").on(t.tenant, t.documentId),
    uniqueIndex("ai_chunks_document_ordinal").on(t.tenant, t.documentId, t.ordinal),
    index("ai_chunks_cluster8").on(t.cluster, t.tenant, sql`vector8(${t.embedding})`),
  ],
);

/**
 * The IVF (cluster) index of one embedding model: trained by `npm run ai:train`. While
 * `state` is `building` (centroids written, chunks being assigned) retrieval keeps its
 * previous path; `ready` switches it to the IVF statement. `chunks` is the model's chunk
 * count at training, which scales a tenant's probe depth.
 */
export const aiVectorIndexes = sqliteTable("ai_vector_indexes", {
  model: text("model").primaryKey(),
  dimensions: integer("dimensions").notNull(),
  version: integer("version").notNull(),
  nlist: integer("nlist").notNull(),
  nprobe: integer("nprobe").notNull(),
  chunks: integer("chunks").notNull(),
  state: text("state", { enum: ["building", "ready"] }).notNull(),
  trainedAt: integer("trained_at", { mode: "timestamp_ms" }).notNull(),
  readyAt: integer("ready_at", { mode: "timestamp_ms" }),
});

/** k-means centroids of an IVF index (one set per model and version); a chunk's `cluster` is an `id` here. */
export const aiCentroids = sqliteTable(
  "ai_centroids",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    model: text("model").notNull(),
    version: integer("version").notNull(),
    centroid: f32Blob("centroid", { dimensions: EMBEDDING_DIMENSIONS }).notNull(),
  },
  (t) => [index("ai_centroids_model").on(t.model, t.version)],
);

/** A conversation of one user within a tenant. */
export const conversations = sqliteTable(
  "conversations",
  {
    id: text("id").primaryKey(),
    tenant: text("tenant").notNull(),
    userId: text("user_id").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("conversations_owner").on(t.tenant, t.userId, t.updatedAt)],
);

/** A question or an answer in a conversation, with where the answer came from. */
export const messages = sqliteTable(
  "messages",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    conversationId: text("conversation_id")
      .notNull()
      .references(() => conversations.id, { onDelete: "cascade" }),
    role: text("role", { enum: ["user", "assistant"] }).notNull(),
    content: text("content").notNull(),
    source: text("source", { enum: ["cache", "edge", "origin", "degraded"] }),
    citations: text("citations", { mode: "json" }).$type<Array<{ documentId: string; chunkId: number }>>(),
    createdAt: createdAt(),
  },
  (t) => [index("messages_conversation").on(t.conversationId, t.id)],
);

/**
 * A webhook subscription (`/v1/admin/webhooks`): where to deliver which events, signed with
 * `secret`. After a rotation `previousSecret` keeps signing alongside until
 * `previousSecretExpiresAt`. `status`: `active`; `paused` after failing for too long (a sweep
 * probes it, an admin can resume it); `disabled` when the receiver answered 410 Gone.
 * `rooms` is the room filter of `room.message` (that event is delivered only for these rooms).
 */
export const webhookSubscriptions = sqliteTable("webhook_subscriptions", {
  id: text("id").primaryKey(),
  url: text("url").notNull(),
  description: text("description").notNull().default(""),
  events: text("events", { mode: "json" }).$type<string[]>().notNull(),
  rooms: text("rooms", { mode: "json" })
    .$type<string[]>()
    .notNull()
    .default(sql`'[]'`),
  secret: text("secret").notNull(),
  previousSecret: text("previous_secret"),
  previousSecretExpiresAt: integer("previous_secret_expires_at", { mode: "timestamp_ms" }),
  status: text("status", { enum: ["active", "paused", "disabled"] })
    .notNull()
    .default("active"),
  statusReason: text("status_reason"),
  /** Failed attempts since the last success (any delivery). */
  consecutiveFailures: integer("consecutive_failures").notNull().default(0),
  /** When a paused subscription is next probed by the sweep. */
  nextProbeAt: integer("next_probe_at", { mode: "timestamp_ms" }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/**
 * One event for one subscription: the exact body sent, the `webhook-id` it carries on every
 * attempt (`id`), and how delivery went. `dead` is the dead-letter record: every attempt failed.
 */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    subscriptionId: text("subscription_id")
      .notNull()
      .references(() => webhookSubscriptions.id, { onDelete: "cascade" }),
    eventId: text("event_id").notNull(),
    eventType: text("event_type").notNull(),
    payload: text("payload").notNull(),
    status: text("status", { enum: ["pending", "succeeded", "failed", "dead"] })
      .notNull()
      .default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    lastAttemptAt: integer("last_attempt_at", { mode: "timestamp_ms" }),
    nextAttemptAt: integer("next_attempt_at", { mode: "timestamp_ms" }),
    createdAt: createdAt(),
  },
  (t) => [
    index("webhook_deliveries_subscription").on(t.subscriptionId, t.createdAt),
    uniqueIndex("webhook_deliveries_event").on(t.subscriptionId, t.eventId),
    index("webhook_deliveries_created").on(t.createdAt),
  ],
);
