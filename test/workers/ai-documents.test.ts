/**
 * Documents and search (`/v1/ai/documents`, `/v1/ai/search`) against the real libSQL stack:
 * ingestion (sync and through the queue consumer), tenant isolation with over-fetch, hybrid
 * full-text search, refusal to mix embedding models, and deletion with its cached answers.
 * Nothing here calls the origin's chat endpoint (the built-in embedder is used), so this file
 * may run in parallel with the origin-fault tests in ai-ask.test.ts.
 *
 * Most tests call `createApp()` with the test env, so a test can swap a binding (a queue that
 * records or fails); the real queue round trip goes through the Worker's entry point.
 */
import { env } from "cloudflare:workers";
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { localEmbedder } from "../../src/lib/ai/embeddings.ts";
import { ingestDocument } from "../../src/lib/ai/ingest.ts";
import { ingestQueue, MAX_ATTEMPTS, SYNC_INGEST_MAX_CHUNKS } from "../../src/lib/ai/ingest-queue.ts";
import { searchPassages } from "../../src/lib/ai/retrieval.ts";
import { exactCacheKey, lookupExact, storeAnswer } from "../../src/lib/ai/semantic-cache.ts";
import { createDatabase } from "../../src/lib/db/client.ts";
import { aiAnswerCache, aiChunks, aiDocuments, EMBEDDING_DIMENSIONS } from "../../src/lib/db/schema.ts";
import { bearer, problemOf, worker } from "./helpers.ts";

const app = createApp();
/** The env without the ingest queue: everything is ingested synchronously. */
const noQueue = { ...env, AI_INGEST: undefined };

function call(path: string, init: RequestInit = {}, bindings: object = env): Promise<Response> {
  return Promise.resolve(app.request(path, init, bindings));
}

const db = () => createDatabase({ url: env.LIBSQL_URL });
const tenantId = (label: string) => `${label}-${crypto.randomUUID()}`;

async function auth(tenant: string, roles: string[] = ["editor"], sub = "ed"): Promise<string> {
  return bearer(sub, roles, { tenant });
}

async function postDocument(
  tenant: string,
  doc: Record<string, unknown>,
  roles = ["editor"],
  bindings: object = env,
): Promise<Response> {
  return call(
    "/v1/ai/documents",
    {
      method: "POST",
      headers: { authorization: await auth(tenant, roles), "content-type": "application/json" },
      body: JSON.stringify(doc),
    },
    bindings,
  );
}

async function search(tenant: string, query: string, k?: number, bindings: object = env): Promise<Response> {
  return call(
    "/v1/ai/search",
    {
      method: "POST",
      headers: { authorization: await auth(tenant, ["viewer"], "reader"), "content-type": "application/json" },
      body: JSON.stringify({ query, ...(k ? { k } : {}) }),
    },
    bindings,
  );
}

interface SearchBody {
  results: Array<{ documentId: string; chunkId: number; score: number; similarity: number; text: string }>;
  model: string;
}

const HANDBOOK = [
  "Refunds. Customers can get a full refund within 30 days of purchase. After 30 days, refunds are at the discretion of support.",
  "Dark mode. To enable dark mode in the editor, open Settings, then Appearance, and switch the theme to Dark.",
  "Error codes. The error ERR_7731 means the upload exceeded the storage quota of the workspace; delete old files or upgrade the plan.",
  "Passwords. To reset your password, use the 'Forgot password' link on the sign-in page; the link expires after one hour.",
].join("\n\n");

describe("POST /v1/ai/documents", () => {
  it("chunks, embeds and stores a document (201), replaces it under the same id, and reports its status", async () => {
    const tenant = tenantId("docs");
    const res = await postDocument(tenant, {
      id: "handbook",
      title: "Handbook",
      text: HANDBOOK,
      metadata: { lang: "en" },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe("/v1/ai/documents/handbook");
    const body = (await res.json()) as { id: string; chunks: number; status: string; embeddingModel: string };
    expect(body).toMatchObject({ id: "handbook", status: "ready", embeddingModel: "local-hash-v1" });
    expect(body.chunks).toBeGreaterThanOrEqual(1);

    const rows = await db().select().from(aiChunks).where(eq(aiChunks.tenant, tenant));
    expect(rows).toHaveLength(body.chunks);
    expect(rows[0]!.embedding).toHaveLength(EMBEDDING_DIMENSIONS);
    expect(rows.map((r) => r.text).join(" ")).toContain("ERR_7731");

    const again = await postDocument(tenant, { id: "handbook", text: "Only one sentence now." });
    expect(again.status).toBe(201);
    expect(await db().select().from(aiChunks).where(eq(aiChunks.tenant, tenant))).toHaveLength(1);

    const view = await call("/v1/ai/documents/handbook", {
      headers: { authorization: await auth(tenant, ["viewer"]) },
    });
    expect(view.status).toBe(200);
    expect(await view.json()).toMatchObject({
      id: "handbook",
      status: "ready",
      chunks: 1,
      embeddingModel: "local-hash-v1",
      embeddingDimensions: 256,
    });
  });

  it("generates an id when none is given", async () => {
    const res = await postDocument(tenantId("docs"), { text: "Hello there." });
    expect(res.status).toBe(201);
    expect((await res.json()) as { id: string }).toMatchObject({ id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it("needs editor or admin (401 without a token, 403 for a viewer) and validates input (422)", async () => {
    const anonymous = await call("/v1/ai/documents", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "x" }),
    });
    expect(anonymous.status).toBe(401);
    expect((await postDocument(tenantId("docs"), { text: "x" }, ["viewer"])).status).toBe(403);
    for (const bad of [{ text: "   " }, { text: "x", id: "../etc" }, { text: "x", extra: 1 }, { title: "no text" }]) {
      const res = await postDocument(tenantId("docs"), bad);
      expect(res.status).toBe(422);
      expect((await problemOf(res)).type).toMatch(/validation-failed$/);
    }
  });

  it("GET and DELETE of another tenant's document are 404", async () => {
    const owner = tenantId("owner");
    await postDocument(owner, { id: "private", text: "Secret plans." });
    const other = tenantId("other");
    expect(
      (await call("/v1/ai/documents/private", { headers: { authorization: await auth(other, ["viewer"]) } })).status,
    ).toBe(404);
    expect(
      (await call("/v1/ai/documents/private", { method: "DELETE", headers: { authorization: await auth(other) } }))
        .status,
    ).toBe(404);
    expect(
      await db()
        .select()
        .from(aiDocuments)
        .where(and(eq(aiDocuments.tenant, owner), eq(aiDocuments.id, "private"))),
    ).toHaveLength(1);
  });
});

describe("POST /v1/ai/search", () => {
  it("returns the tenant's best passages, hybrid with full-text for exact terms", async () => {
    const tenant = tenantId("search");
    await postDocument(tenant, { id: "handbook", title: "Handbook", text: HANDBOOK });
    const res = await search(tenant, "how do I turn on dark mode in the editor", 3);
    expect(res.status).toBe(200);
    const body = (await res.json()) as SearchBody;
    expect(body.model).toBe("local-hash-v1");
    expect(body.results.length).toBeGreaterThan(0);
    expect(body.results[0]!.text).toContain("dark mode");
    expect(body.results[0]!.documentId).toBe("handbook");

    const code = (await (await search(tenant, "ERR_7731")).json()) as SearchBody;
    expect(code.results[0]!.text).toContain("ERR_7731");
    // Found by both the vector and the full-text side: the top fused score.
    expect(code.results[0]!.score).toBe(1);
  });

  it("never returns another tenant's passages, even for the same text", async () => {
    const a = tenantId("iso-a");
    const b = tenantId("iso-b");
    await postDocument(a, { id: "a-doc", text: "The launch code for project Nightingale is 4242." });
    await postDocument(b, { id: "b-doc", text: "Tenant B writes about gardening and tomatoes." });
    const res = (await (await search(b, "launch code for project Nightingale", 10)).json()) as SearchBody;
    expect(res.results.every((r) => r.documentId === "b-doc")).toBe(true);
    const empty = (await (await search(tenantId("nobody"), "launch code")).json()) as SearchBody;
    expect(empty.results).toEqual([]);
  });

  it("over-fetches from the global vector index until a small tenant has its k results", async () => {
    // A crowd of near-identical chunks in another tenant fills the first 40 global neighbours.
    const crowd = tenantId("crowd");
    const crowdChunks = Array.from({ length: 120 }, (_, i) => `Invoices are archived nightly in batch ${i}.`);
    await ingestDocument(db(), localEmbedder(), { tenant: crowd, id: "crowd", text: "" }, { chunks: crowdChunks });
    const small = tenantId("small");
    await postDocument(small, { id: "s1", text: "Invoices are archived nightly by the finance team." });
    await postDocument(small, { id: "s2", text: "Invoices are archived nightly as PDF files." });
    await postDocument(small, { id: "s3", text: "Invoices are archived nightly in the vault." });
    const embedder = localEmbedder();
    const [vector] = await embedder.embed(["Invoices are archived nightly in batch"]);
    const result = await searchPassages(db(), {
      tenant: small,
      vector: vector!,
      embedder,
      query: "x",
      k: 3,
      exactScanMax: 0,
    });
    expect(result.passages).toHaveLength(3);
    expect(new Set(result.passages.map((p) => p.documentId))).toEqual(new Set(["s1", "s2", "s3"]));
    // The nearest neighbours are the crowd's; over-fetching (k = 200) reached the small tenant.
    expect(result.strategy).toBe("ann:200");
    // The exact scan agrees.
    const exact = await searchPassages(db(), { tenant: small, vector: vector!, embedder, query: "x", k: 3 });
    expect(exact.strategy).toBe("exact");
    expect(new Set(exact.passages.map((p) => p.chunkId))).toEqual(new Set(result.passages.map((p) => p.chunkId)));
  });

  it("falls back to an exact scan of the tenant when even the largest over-fetch misses it", async () => {
    const crowd = tenantId("crowd");
    const crowdChunks = Array.from({ length: 250 }, (_, i) => `Invoices are archived nightly in batch ${i}.`);
    await ingestDocument(db(), localEmbedder(), { tenant: crowd, id: "crowd", text: "" }, { chunks: crowdChunks });
    const lonely = tenantId("lonely");
    await postDocument(lonely, { id: "lunch", text: "Lunch is served at noon." });
    const embedder = localEmbedder();
    const [vector] = await embedder.embed(["Invoices are archived nightly in batch"]);
    const result = await searchPassages(db(), {
      tenant: lonely,
      vector: vector!,
      embedder,
      query: "x",
      k: 3,
      exactScanMax: 0,
    });
    expect(result.passages.map((p) => p.documentId)).toEqual(["lunch"]);
    expect(result.strategy).toBe("exact-fallback");
  });

  it("validates the query (422)", async () => {
    for (const bad of [{}, { query: "" }, { query: "x", k: 0 }, { query: "x", k: 51 }]) {
      const res = await call("/v1/ai/search", {
        method: "POST",
        headers: { authorization: await auth(tenantId("v"), ["viewer"]), "content-type": "application/json" },
        body: JSON.stringify(bad),
      });
      expect(res.status).toBe(422);
    }
  });
});

describe("embedding models are never mixed", () => {
  // A stand-in Workers AI binding: 768-dimensional vectors, like EmbeddingGemma.
  const fakeAi = {
    async run(_model: string, input: Record<string, unknown>) {
      const texts = input.text as string[];
      return {
        shape: [texts.length, 768],
        data: texts.map((t) => Array.from({ length: 768 }, (_, i) => Math.sin(i + t.length))),
      };
    },
  };
  const withWorkersAi = { ...env, AI: fakeAi };

  it("uses Workers AI when bound (768 → 256 dimensions, recorded as such)", async () => {
    const tenant = tenantId("wai");
    const res = await postDocument(tenant, { id: "w", text: "Workers AI embeds this." }, ["editor"], withWorkersAi);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ embeddingModel: "@cf/google/embeddinggemma-300m@256" });
    const found = (await (await search(tenant, "embeds", 5, withWorkersAi)).json()) as SearchBody;
    expect(found.model).toBe("@cf/google/embeddinggemma-300m@256");
    expect(found.results[0]?.documentId).toBe("w");
  });

  it("refuses a search or an ingest with another model than the tenant's documents (409)", async () => {
    const tenant = tenantId("mix");
    expect((await postDocument(tenant, { id: "local", text: "Embedded by the local model." })).status).toBe(201);
    const searched = await search(tenant, "local model", 5, withWorkersAi);
    expect(searched.status).toBe(409);
    const p = await problemOf(searched);
    expect(p.detail).toMatch(/local-hash-v1.*embeddinggemma/);
    const ingested = await postDocument(tenant, { id: "other", text: "Another document." }, ["editor"], withWorkersAi);
    expect(ingested.status).toBe(409);
    // Replacing the tenant's only document with the new model is allowed (nothing to mix with).
    expect(
      (await postDocument(tenant, { id: "local", text: "Now by Workers AI." }, ["editor"], withWorkersAi)).status,
    ).toBe(201);
  });
});

describe("large ingests through the queue", () => {
  const bigText = Array.from(
    { length: SYNC_INGEST_MAX_CHUNKS + 10 },
    (_, i) => `Section ${i}. ${"Lorem ipsum dolor sit amet. ".repeat(34)}`,
  ).join("\n\n");

  it("answers 202 pending, and the consumer makes the document ready", async () => {
    const sent: unknown[] = [];
    const bindings = { ...env, AI_INGEST: { send: async (body: unknown) => void sent.push(body) } };
    const tenant = tenantId("queue");
    const res = await postDocument(tenant, { id: "big", title: "Big", text: bigText }, ["editor"], bindings);
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as { chunks: number; status: string };
    expect(accepted.status).toBe("pending");
    expect(accepted.chunks).toBeGreaterThan(SYNC_INGEST_MAX_CHUNKS);
    expect(sent).toEqual([{ v: 1, tenant, documentId: "big", jobId: expect.any(String) }]);
    const pending = await call("/v1/ai/documents/big", { headers: { authorization: await auth(tenant) } });
    expect(await pending.json()).toMatchObject({ status: "pending", chunks: 0 });

    const acked: string[] = [];
    const retried: string[] = [];
    const message = (id: string, body: unknown) => ({
      id,
      timestamp: new Date(),
      body,
      attempts: 1,
      ack: () => void acked.push(id),
      retry: () => void retried.push(id),
    });
    const stale = { ...(sent[0] as object), jobId: "superseded" };
    const batch = {
      queue: "ai-ingest",
      messages: [message("m1", sent[0]), message("m2", stale), message("m3", { nonsense: true })],
      metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
      ackAll() {},
      retryAll() {},
    };
    await ingestQueue(batch as unknown as MessageBatch<unknown>, env, {} as ExecutionContext);
    expect(acked.sort()).toEqual(["m1", "m2", "m3"]);
    expect(retried).toEqual([]);
    const ready = await call("/v1/ai/documents/big", { headers: { authorization: await auth(tenant) } });
    expect(await ready.json()).toMatchObject({ status: "ready", chunks: accepted.chunks, title: "Big" });
    const found = (await (await search(tenant, "Section 70 lorem")).json()) as SearchBody;
    expect(found.results[0]?.documentId).toBe("big");
  });

  it("goes through the bound queue and the Worker's own consumer end to end", async () => {
    const tenant = tenantId("realqueue");
    const authorization = await auth(tenant);
    const res = await worker("/v1/ai/documents", {
      method: "POST",
      headers: { authorization, "content-type": "application/json" },
      body: JSON.stringify({ id: "big", title: "Queued", text: bigText }),
    });
    expect(res.status).toBe(202);
    expect(res.headers.get("location")).toBe("/v1/ai/documents/big");
    const accepted = (await res.json()) as { chunks: number; status: string };
    expect(accepted.status).toBe("pending");
    // The local queue delivers within about a second (max_batch_timeout); poll for up to 15 s.
    let status: { status: string; chunks: number } = { status: "pending", chunks: 0 };
    for (let i = 0; i < 150 && status.status === "pending"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await (await worker("/v1/ai/documents/big", { headers: { authorization } })).json()) as typeof status;
    }
    expect(status).toMatchObject({ status: "ready", chunks: accepted.chunks });
    const rows = await db()
      .select({ n: sql<number>`count(*)` })
      .from(aiChunks)
      .where(and(eq(aiChunks.tenant, tenant), eq(aiChunks.documentId, "big")));
    expect(Number(rows[0]?.n)).toBe(accepted.chunks);
  });

  it("retries a failing ingest with backoff, then marks the document failed", async () => {
    const sent: unknown[] = [];
    const tenant = tenantId("queuefail");
    const res = await postDocument(tenant, { id: "big", text: bigText }, ["editor"], {
      ...env,
      AI_INGEST: { send: async (body: unknown) => void sent.push(body) },
    });
    expect(res.status).toBe(202);
    // The consumer's embedder is unreachable: origin embeddings on a port nobody listens on.
    const broken = { ...env, AI_EMBEDDINGS: "origin", ORIGIN_AI_URL: "http://127.0.0.1:9" };
    const run = async (attempts: number) => {
      const outcome: { acked: boolean; retryDelay?: number } = { acked: false };
      const message = {
        id: `m${attempts}`,
        timestamp: new Date(),
        body: sent[0],
        attempts,
        ack: () => void (outcome.acked = true),
        retry: (o?: { delaySeconds?: number }) => void (outcome.retryDelay = o?.delaySeconds),
      };
      const batch = {
        queue: "ai-ingest",
        messages: [message],
        metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
        ackAll() {},
        retryAll() {},
      };
      await ingestQueue(batch as unknown as MessageBatch<unknown>, broken as unknown as Env, {} as ExecutionContext);
      return outcome;
    };
    const status = async () =>
      (await (await call("/v1/ai/documents/big", { headers: { authorization: await auth(tenant) } })).json()) as {
        status: string;
        error: string | null;
      };

    expect(await run(1)).toEqual({ acked: false, retryDelay: 10 });
    expect(await run(2)).toEqual({ acked: false, retryDelay: 20 });
    expect((await status()).status).toBe("pending");
    expect(await run(MAX_ATTEMPTS)).toEqual({ acked: true });
    const failed = await status();
    expect(failed.status).toBe("failed");
    expect(failed.error).toBeTruthy();
  });

  it("ingests synchronously (201) when no queue is bound or sending fails", async () => {
    expect((await postDocument(tenantId("noqueue"), { id: "big", text: bigText }, ["editor"], noQueue)).status).toBe(
      201,
    );
    const broken = { ...env, AI_INGEST: { send: async () => Promise.reject(new Error("queue down")) } };
    const res = await postDocument(tenantId("brokenqueue"), { id: "big", text: bigText }, ["editor"], broken);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ status: "ready" });
  });
});

describe("DELETE /v1/ai/documents/:id", () => {
  it("removes the document, its chunks (and full-text entries) and the cached answers citing it", async () => {
    const tenant = tenantId("del");
    await postDocument(tenant, { id: "gone", text: "The office closes at six on Fridays." });
    await postDocument(tenant, { id: "kept", text: "The office opens at nine." });
    const d = db();
    const [gone] = await d
      .select()
      .from(aiChunks)
      .where(and(eq(aiChunks.tenant, tenant), eq(aiChunks.documentId, "gone")));
    const [kept] = await d
      .select()
      .from(aiChunks)
      .where(and(eq(aiChunks.tenant, tenant), eq(aiChunks.documentId, "kept")));
    const [vector] = await localEmbedder().embed(["When does the office close?"]);
    const keyA = await exactCacheKey(tenant, "p", "When does the office close on Friday?");
    const keyB = await exactCacheKey(tenant, "p", "When does the office open?");
    await storeAnswer(d, {
      tenant,
      partition: "p",
      key: keyA,
      question: "q",
      vector: vector!,
      answer: "At six.",
      citations: [{ documentId: "gone", chunkId: gone!.id }],
      ttlSeconds: 60,
    });
    await storeAnswer(d, {
      tenant,
      partition: "p",
      key: keyB,
      question: "q",
      vector: vector!,
      answer: "At nine.",
      citations: [{ documentId: "kept", chunkId: kept!.id }],
      ttlSeconds: 60,
    });
    expect(await lookupExact(d, tenant, keyA)).not.toBeNull();

    const res = await call("/v1/ai/documents/gone", {
      method: "DELETE",
      headers: { authorization: await auth(tenant) },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: "gone", deleted: true, chunks: 1, cachedAnswers: 1 });
    expect(await lookupExact(d, tenant, keyA)).toBeNull();
    expect(await lookupExact(d, tenant, keyB)).not.toBeNull();
    expect(
      await d
        .select()
        .from(aiChunks)
        .where(and(eq(aiChunks.tenant, tenant), eq(aiChunks.documentId, "gone"))),
    ).toHaveLength(0);
    const fts = await d.all<{ n: number }>(
      sql`SELECT COUNT(*) AS n FROM ai_chunks_fts WHERE ai_chunks_fts MATCH 'fridays' AND rowid = ${gone!.id}`,
    );
    expect(fts[0]!.n).toBe(0);
    expect(
      (await call("/v1/ai/documents/gone", { method: "DELETE", headers: { authorization: await auth(tenant) } }))
        .status,
    ).toBe(404);
  });

  it("an answer is not cached when a document it cites was deleted meanwhile", async () => {
    const tenant = tenantId("race");
    const d = db();
    const [vector] = await localEmbedder().embed(["q"]);
    const key = await exactCacheKey(tenant, "p", "q");
    await storeAnswer(d, {
      tenant,
      partition: "p",
      key,
      question: "q",
      vector: vector!,
      answer: "a",
      citations: [{ documentId: "deleted-doc", chunkId: 1 }],
      ttlSeconds: 60,
    });
    expect(await d.select().from(aiAnswerCache).where(eq(aiAnswerCache.exactKey, key))).toHaveLength(0);
  });
});

describe("API description", () => {
  it("documents the AI routes in /openapi.json", async () => {
    const res = await call("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/v1/ai/documents",
        "/v1/ai/documents/{id}",
        "/v1/ai/search",
        "/v1/ai/ask",
        "/v1/ai/conversations/{id}",
      ]),
    );
    expect(Object.keys(doc.paths["/v1/ai/documents"]!.post!.responses)).toEqual(
      expect.arrayContaining(["201", "202", "409", "422"]),
    );
    expect(Object.keys(doc.paths["/v1/ai/ask"]!.post!.responses)).toEqual(
      expect.arrayContaining(["200", "401", "409", "422"]),
    );
  });
});
