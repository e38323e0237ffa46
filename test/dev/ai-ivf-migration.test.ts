/**
 * Migration 0006 (the IVF layout) on a populated database, over the local libSQL endpoint
 * (real libSQL engine, Hrana over HTTP, the Worker's web client): chunks written as the
 * previous release wrote them under migrations 0000–0005 (DiskANN index); the previous
 * release's vector query answered before, during and after the migration (the deploy order is
 * migrate, then deploy); then this release's code: retrieval on the DiskANN path until
 * training (`trainIvfIndex`) switches it to IVF, new chunks get their cluster at insert, and
 * the DiskANN index is dropped only after the switch.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { createClient } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIGRATIONS_FOLDER } from "../../dev/migrate.ts";
import { startLibsqlServer, type RunningService } from "../../dev/libsql-server.ts";
import { localEmbedder, type Embedder } from "../../src/lib/ai/embeddings.ts";
import { deleteDocument, ingestDocument } from "../../src/lib/ai/ingest.ts";
import { ivfSearchSql } from "../../src/lib/ai/ivf.ts";
import { dropDiskannIndex, ivfStatus, trainIvfIndex } from "../../src/lib/ai/ivf-train.ts";
import { searchPassages, vectorParam } from "../../src/lib/ai/retrieval.ts";
import { EXACT_SCAN_MAX_ENTRIES, lookupSemantic, storeAnswer } from "../../src/lib/ai/semantic-cache.ts";
import { createDatabase, type Database } from "../../src/lib/db/client.ts";

const TOPICS = 12;

/** Topic-worded chunks, so the local (hashed-words) embedder's vectors form clusters. */
function topicText(topic: number, i: number): string {
  const words = Array.from({ length: 14 }, (_, w) => `t${topic}w${(i * 7 + w * 13) % 40}`);
  return `${words.join(" ")} common shared filler ${i % 5} n${i}`;
}

/** The text of the large tenant's chunk number `j` (0–599). */
const bigChunk = (j: number) => topicText(j % TOPICS, j);

async function applyUpTo(url: string, folder: string, upTo: number) {
  // A copy of migrations/ whose journal ends at `upTo`: the database as it was before 0006.
  const dir = join(folder, `migrations-${upTo}`);
  cpSync(MIGRATIONS_FOLDER, dir, { recursive: true });
  const journalFile = join(dir, "meta/_journal.json");
  const journal = JSON.parse(readFileSync(journalFile, "utf8")) as { entries: Array<{ idx: number }> };
  journal.entries = journal.entries.filter((e) => e.idx <= upTo);
  writeFileSync(journalFile, JSON.stringify(journal));
  const client = createClient({ url });
  try {
    await migrate(drizzle({ client }), { migrationsFolder: dir });
  } finally {
    client.close();
  }
}

/** A document and its chunks as the previous release's ingest wrote them (no `cluster` column). */
async function legacyIngest(db: Database, e: Embedder, tenant: string, id: string, chunks: string[]) {
  const vectors = await e.embed(chunks);
  await db.batch([
    db.run(sql`INSERT INTO ai_documents (id, tenant, embedding_model, embedding_dimensions, chunk_count)
      VALUES (${id}, ${tenant}, ${e.model}, ${e.dimensions}, ${chunks.length})`),
    ...chunks.map((text, ordinal) =>
      db.run(sql`INSERT INTO ai_chunks (tenant, document_id, ordinal, text, embedding)
        VALUES (${tenant}, ${id}, ${ordinal}, ${text}, ${vectorParam(vectors[ordinal]!)})`),
    ),
  ]);
}

/** The previous release's vector query for a large tenant (DiskANN, over-fetch 200, tenant filter). */
async function previousReleaseSearch(db: Database, tenant: string, text: string): Promise<string[]> {
  const q = vectorParam((await embedder.embed([text]))[0]!);
  const rows = await db.all<{ text: string }>(sql`
    SELECT c.text AS text, vector_distance_cos(c.embedding, ${q}) AS distance
    FROM vector_top_k('ai_chunks_embedding_idx', ${q}, 200) AS top
    JOIN ai_chunks c ON c.id = top.id
    JOIN ai_documents d ON d.tenant = c.tenant AND d.id = c.document_id
    WHERE c.tenant = ${tenant} ORDER BY distance LIMIT 5`);
  return rows.map((r) => r.text);
}

const embedder = localEmbedder();
const otherModel: Embedder = { ...embedder, model: "other-model" };

describe("migration 0006 and IVF training on a populated database", () => {
  let dir: string;
  let server: RunningService;
  let db: Database;

  const searchVec = async (tenant: string, text: string, options: { exactScanMax?: number; e?: Embedder } = {}) => {
    const [vector] = await embedder.embed([text]);
    return searchPassages(db, {
      tenant,
      vector: vector!,
      embedder: options.e ?? embedder,
      query: "",
      k: 5,
      exactScanMax: options.exactScanMax ?? 0,
    });
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "ai-ivf-migration-"));
    mkdirSync(join(dir, "db"));
    server = await startLibsqlServer({ dbPath: join(dir, "db/local.db") });
    await applyUpTo(server.url, dir, 5);
    db = createDatabase({ url: server.url });
    // Populated before 0006: a large tenant (600 chunks), a small one, and a tenant of another model.
    for (let d = 0; d < 12; d++)
      await legacyIngest(
        db,
        embedder,
        "big",
        `big-${d}`,
        Array.from({ length: 50 }, (_, i) => bigChunk(d * 50 + i)),
      );
    const smallChunks = Array.from({ length: 40 }, (_, i) => topicText(i % TOPICS, 1000 + i));
    await legacyIngest(db, embedder, "small", "small-0", smallChunks);
    const otherChunks = Array.from({ length: 30 }, (_, i) => topicText(i % TOPICS, 2000 + i));
    await legacyIngest(db, otherModel, "other", "other-0", otherChunks);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("keeps answering the previous release's queries before, during and after the migration", async () => {
    const probe = bigChunk(153);
    const before = await previousReleaseSearch(db, "big", probe);
    expect(before[0]).toBe(probe);

    let migrating = true;
    const during: string[][] = [];
    const reads = (async () => {
      while (migrating) during.push(await previousReleaseSearch(db, "big", probe));
    })();
    await applyUpTo(server.url, dir, 99);
    migrating = false;
    await reads;
    expect(during.length).toBeGreaterThan(0);
    for (const r of during) expect(r).toEqual(before);
    expect(await previousReleaseSearch(db, "big", probe)).toEqual(before);
    const [row] = await db.all<{ n: number }>(sql`SELECT COUNT(*) AS n FROM ai_chunks WHERE cluster IS NOT NULL`);
    expect(Number(row!.n)).toBe(0);
  });

  it("fills the per-tenant chunk counts from the documents (0007) and keeps them through ingest, replace and delete", async () => {
    const counts = async () =>
      Object.fromEntries(
        (
          await db.all<{ tenant: string; model: string; chunks: number }>(
            sql`SELECT tenant, model, chunks FROM ai_tenant_chunks WHERE chunks > 0 ORDER BY tenant, model`,
          )
        ).map((r) => [`${r.tenant}/${r.model}`, Number(r.chunks)]),
      );
    expect(await counts()).toEqual({ "big/local-hash-v1": 600, "other/other-model": 30, "small/local-hash-v1": 40 });
    const doc = (text: string) => ({ tenant: "counts", id: "c-1", title: "t", text });
    await ingestDocument(db, embedder, doc(Array.from({ length: 400 }, (_, i) => `word${i} filler text`).join(" ")));
    const first = (await counts())["counts/local-hash-v1"]!;
    expect(first).toBeGreaterThan(1);
    await ingestDocument(db, embedder, doc("one short chunk now"));
    expect((await counts())["counts/local-hash-v1"]).toBe(1);
    await deleteDocument(db, "counts", "c-1");
    expect((await counts())["counts/local-hash-v1"]).toBeUndefined();
  });

  it("stays on the DiskANN path (or the exact scan for small tenants) until an index is trained", async () => {
    const probe = bigChunk(153);
    const large = await searchVec("big", probe);
    expect(large.strategy).toBe("ann:200");
    expect(large.passages[0]!.text).toBe(probe);
    const small = await searchVec("big", probe, { exactScanMax: 10_000 });
    expect(small.strategy).toBe("exact");
    expect(small.passages.map((p) => p.chunkId)).toEqual(large.passages.map((p) => p.chunkId));
  });

  it("refuses to train below the size where the exact scan serves every tenant", async () => {
    const result = await trainIvfIndex(db, { model: embedder.model });
    expect(result.skipped).toMatch(/below 10000/);
    expect((await ivfStatus(db)).models.find((m) => m.model === embedder.model)?.index).toBeNull();
  });

  it("trains, assigns every chunk with a progress line, and switches retrieval to IVF", async () => {
    const lines: string[] = [];
    const result = await trainIvfIndex(db, {
      model: embedder.model,
      minChunks: 100,
      nlist: 16,
      nprobe: 4,
      pageRows: 200,
      log: (l) => lines.push(l),
    });
    expect(result).toMatchObject({ chunks: 640, nlist: 16, nprobe: 4, version: 1, sample: 640 });
    expect(lines.some((l) => /assigned 640 \/ 640 chunks \(100%\)/.test(l))).toBe(true);
    const status = await ivfStatus(db);
    expect(status.diskann).toBe(true);
    expect(status.models.find((m) => m.model === embedder.model)).toMatchObject({
      chunks: 640,
      unassigned: 0,
      index: { version: 1, state: "ready", nlist: 16 },
    });
    // The other model's chunks are untouched.
    expect(status.models.find((m) => m.model === otherModel.model)).toMatchObject({ unassigned: 30, index: null });

    const probe = bigChunk(305);
    const r = await searchVec("big", probe);
    expect(r.strategy).toBe("ivf");
    expect(r.passages[0]!.text).toBe(probe);
    // Against the exact scan: the IVF top 5 equals it for these topical queries.
    let hits = 0;
    for (let t = 0; t < TOPICS; t++) {
      const q = `t${t}w3 t${t}w9 t${t}w21 common`;
      const ivf = await searchVec("big", q);
      const exact = await searchVec("big", q, { exactScanMax: 1_000_000 });
      expect(exact.strategy).toBe("exact");
      const want = new Set(exact.passages.map((p) => p.chunkId));
      hits += ivf.passages.filter((p) => want.has(p.chunkId)).length;
    }
    expect(hits / (TOPICS * 5)).toBeGreaterThanOrEqual(0.9);
  });

  it("reads the probed clusters through the expression index, never the whole table", async () => {
    const q = vectorParam((await embedder.embed([bigChunk(7)]))[0]!);
    const plan = await db.all<{ detail: string }>(
      sql`EXPLAIN QUERY PLAN ${ivfSearchSql({
        tenant: "big",
        model: embedder.model,
        q,
        k: 10,
        tenantChunks: sql`600`,
        aboveChunks: 0,
      })}`,
    );
    const details = plan.map((r) => r.detail);
    expect(details.filter((d) => d.includes("USING INDEX ai_chunks_cluster8 (cluster=? AND tenant=?)"))).toHaveLength(
      2,
    );
    expect(details.some((d) => /^SCAN (ai_chunks|c)\b/.test(d))).toBe(false);
  });

  it("keeps tenants apart inside the IVF statement", async () => {
    const probe = topicText(2, 1002);
    const small = await searchVec("small", probe);
    expect(small.strategy).toBe("ivf");
    expect(small.passages[0]!.text).toBe(probe);
    expect(small.passages.every((p) => p.documentId === "small-0")).toBe(true);
    const big = await searchVec("big", probe);
    expect(big.passages.every((p) => p.documentId.startsWith("big-"))).toBe(true);
  });

  it("gives new chunks their cluster at insert, and finds them", async () => {
    const text = topicText(7, 5007);
    await ingestDocument(
      db,
      embedder,
      { tenant: "big", id: "big-new", text: "" },
      { chunks: [text, topicText(8, 5008)] },
    );
    const rows = await db.all<{ cluster: number | null; nearest: number }>(sql`
      SELECT c.cluster AS cluster,
        (SELECT id FROM (SELECT id, vector_distance_cos(centroid, c.embedding) AS d FROM ai_centroids) ORDER BY d LIMIT 1) AS nearest
      FROM ai_chunks c WHERE c.tenant = 'big' AND c.document_id = 'big-new'`);
    expect(rows).toHaveLength(2);
    for (const r of rows) expect(r.cluster).toBe(r.nearest);
    const found = await searchVec("big", text);
    expect(found.strategy).toBe("ivf");
    expect(found.passages[0]).toMatchObject({ documentId: "big-new", text });
  });

  it("drops the DiskANN index only after the switch; models without an index fall back to the exact scan", async () => {
    expect(await dropDiskannIndex(db, 10)).toMatch(/no ready IVF index for other-model/);
    expect((await ivfStatus(db)).diskann).toBe(true);
    expect(await dropDiskannIndex(db, 100)).toBeNull();
    expect((await ivfStatus(db)).diskann).toBe(false);

    const probe = bigChunk(404);
    const ivf = await searchVec("big", probe);
    expect(ivf.strategy).toBe("ivf");
    expect(ivf.passages[0]!.text).toBe(probe);
    // The other model has no IVF index and no DiskANN index any more: exact scan, same answer.
    const otherProbe = topicText(6, 2006);
    const other = await searchVec("other", otherProbe, { e: otherModel });
    expect(other.strategy).toBe("exact");
    expect(other.passages[0]!.text).toBe(otherProbe);
  });

  it("retrains to a new version without losing a chunk", async () => {
    const result = await trainIvfIndex(db, { model: embedder.model, minChunks: 100, nlist: 24 });
    expect(result).toMatchObject({ version: 2, nlist: 24, chunks: 642 });
    const status = await ivfStatus(db);
    expect(status.models.find((m) => m.model === embedder.model)).toMatchObject({
      unassigned: 0,
      index: { version: 2, state: "ready", nlist: 24 },
    });
    const [centroids] = await db.all<{ n: number }>(sql`SELECT COUNT(*) AS n FROM ai_centroids`);
    expect(Number(centroids!.n)).toBe(24);
    const probe = bigChunk(309);
    const r = await searchVec("big", probe);
    expect(r.strategy).toBe("ivf");
    expect(r.passages[0]!.text).toBe(probe);
  });

  it("serves a large semantic-cache partition through the IVF index, and moves its entries on a retrain", async () => {
    // A partition over the exact-scan size, stored before any index (cluster NULL) as the previous release did.
    await db.run(sql`
      INSERT INTO ai_answer_cache (tenant, partition, exact_key, question, embedding, answer, citations, expires_at)
      SELECT 'big', 'p', 'bulk-' || c.id || '-' || r.n, c.text || ' copy ' || r.n, c.embedding, 'a', '[]', 9e15
      FROM ai_chunks c, (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4) AS r
      WHERE c.tenant = 'big'`);
    const [size] = await db.all<{ n: number }>(sql`SELECT COUNT(*) AS n FROM ai_answer_cache WHERE partition = 'p'`);
    expect(Number(size!.n)).toBeGreaterThan(EXACT_SCAN_MAX_ENTRIES);

    const question = topicText(3, 7777);
    const [vector] = await embedder.embed([question]);
    const base = { tenant: "big", partition: "p", question, vector: vector! };
    await storeAnswer(db, {
      ...base,
      model: embedder.model,
      key: "k-ivf",
      answer: "from the cache",
      citations: [],
      ttlSeconds: 600,
    });
    const clusterOf = async () => {
      const [row] = await db.all<{ cluster: number | null; nearest: number }>(sql`
        SELECT c.cluster AS cluster,
          (SELECT id FROM (SELECT id, vector_distance_cos(centroid, c.embedding) AS d FROM ai_centroids) ORDER BY d LIMIT 1) AS nearest
        FROM ai_answer_cache c WHERE exact_key = 'k-ivf'`);
      return row!;
    };
    const stored = await clusterOf();
    expect(stored.cluster).not.toBeNull();
    expect(stored.cluster).toBe(stored.nearest);

    // Both DiskANN indexes are gone (previous test): a hit in a partition this large comes from the IVF statement.
    const hit = await lookupSemantic(db, { ...base, model: embedder.model, threshold: 0.99 });
    expect(hit.hit).toMatchObject({ answer: "from the cache", similarity: 1 });
    // Another tenant with the same partition never sees it.
    const other = await lookupSemantic(db, { ...base, tenant: "small", model: embedder.model, threshold: 0.5 });
    expect(other.hit).toBeNull();
    // Without the model (no index to probe) the exact scan still finds it.
    expect((await lookupSemantic(db, { ...base, threshold: 0.99 })).hit).toMatchObject({ answer: "from the cache" });

    // A retrain moves the entry to the new centroids before the switch.
    const retrained = await trainIvfIndex(db, { model: embedder.model, minChunks: 100, nlist: 20 });
    expect(retrained.version).toBe(3);
    const moved = await clusterOf();
    expect(moved.cluster).toBe(moved.nearest);
    expect(moved.cluster).not.toBe(stored.cluster);
    expect((await lookupSemantic(db, { ...base, model: embedder.model, threshold: 0.99 })).hit).toMatchObject({
      answer: "from the cache",
    });
  });
});
