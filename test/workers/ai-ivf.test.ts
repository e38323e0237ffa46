/**
 * The IVF index inside workerd against the real local libSQL: training (`trainIvfIndex`),
 * retrieval through the IVF statement, tenant isolation inside it, clusters assigned at ingest,
 * and the cold state (no index yet) on the previous path. Every run uses its own embedding
 * model name, so its index never reaches the other test files' tenants (an IVF index belongs to
 * one model). Migration 0006 on a populated database: test/dev/ai-ivf-migration.test.ts.
 */
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { localEmbedder, type Embedder } from "../../src/lib/ai/embeddings.ts";
import { ingestDocument } from "../../src/lib/ai/ingest.ts";
import { trainIvfIndex } from "../../src/lib/ai/ivf-train.ts";
import { searchPassages } from "../../src/lib/ai/retrieval.ts";
import { createDatabase } from "../../src/lib/db/client.ts";

const db = () => createDatabase({ url: env.LIBSQL_URL });
const run = crypto.randomUUID().slice(0, 8);
const embedder: Embedder = { ...localEmbedder(), model: `ivf-test-${run}` };
const tenantA = `ivf-a-${run}`;
const tenantB = `ivf-b-${run}`;
const TOPICS = 10;

/** Topic-worded, unique chunks, so the local (hashed-words) embedder's vectors form clusters. */
const chunkText = (topic: number, i: number) =>
  `${Array.from({ length: 12 }, (_, w) => `k${topic}v${(i * 7 + w * 13) % 30}`).join(" ")} general words n${i}`;

async function search(tenant: string, text: string, exactScanMax = 0) {
  const [vector] = await embedder.embed([text]);
  return searchPassages(db(), { tenant, vector: vector!, embedder, query: "", k: 5, exactScanMax });
}

describe("IVF index", () => {
  beforeAll(async () => {
    for (let d = 0; d < 4; d++)
      await ingestDocument(
        db(),
        embedder,
        { tenant: tenantA, id: `a${d}`, text: "" },
        { chunks: Array.from({ length: 40 }, (_, i) => chunkText((d * 40 + i) % TOPICS, d * 40 + i)) },
      );
    await ingestDocument(
      db(),
      embedder,
      { tenant: tenantB, id: "b0", text: "" },
      { chunks: Array.from({ length: 30 }, (_, i) => chunkText(i % TOPICS, 500 + i)) },
    );
  });

  it("cold: before training, large tenants use the previous path and chunks have no cluster", async () => {
    const probe = chunkText(17 % TOPICS, 17);
    const r = await search(tenantA, probe);
    expect(r.strategy).toBe("ann:200");
    expect(r.passages[0]!.text).toBe(probe);
    const [row] = await db().all<{ n: number }>(
      sql`SELECT COUNT(*) AS n FROM ai_chunks WHERE tenant IN (${tenantA}, ${tenantB}) AND cluster IS NOT NULL`,
    );
    expect(Number(row!.n)).toBe(0);
  });

  it("trains, then answers through the IVF statement with the exact scan's results", async () => {
    const result = await trainIvfIndex(db(), { model: embedder.model, minChunks: 50, nlist: 8, nprobe: 3 });
    expect(result).toMatchObject({ chunks: 190, nlist: 8, nprobe: 3, version: 1, assigned: 190 });
    const probe = chunkText(42 % TOPICS, 42);
    const r = await search(tenantA, probe);
    expect(r.strategy).toBe("ivf");
    expect(r.passages[0]).toMatchObject({ documentId: "a1", text: probe, similarity: 1 });
    let hits = 0;
    for (let t = 0; t < TOPICS; t++) {
      const q = `k${t}v2 k${t}v11 k${t}v23 general`;
      const ivf = await search(tenantA, q);
      const exact = await search(tenantA, q, 10_000);
      expect(exact.strategy).toBe("exact");
      const want = new Set(exact.passages.map((p) => p.chunkId));
      hits += ivf.passages.filter((p) => want.has(p.chunkId)).length;
    }
    expect(hits / (TOPICS * 5)).toBeGreaterThanOrEqual(0.9);
  });

  it("never returns another tenant's chunks, even for that tenant's own text", async () => {
    const bText = chunkText(3, 503);
    const a = await search(tenantA, bText);
    expect(a.strategy).toBe("ivf");
    expect(a.passages.length).toBe(5);
    expect(a.passages.every((p) => p.documentId.startsWith("a"))).toBe(true);
    const b = await search(tenantB, bText);
    expect(b.strategy).toBe("ivf");
    expect(b.passages[0]).toMatchObject({ documentId: "b0", text: bText });
    expect(b.passages.every((p) => p.documentId === "b0")).toBe(true);
  });

  it("gives chunks ingested after training their nearest cluster, and finds them", async () => {
    const text = chunkText(6, 9006);
    await ingestDocument(db(), embedder, { tenant: tenantB, id: "b-new", text: "" }, { chunks: [text] });
    const [row] = await db().all<{ cluster: number | null; nearest: number }>(sql`
      SELECT c.cluster AS cluster,
        (SELECT id FROM (SELECT id, vector_distance_cos(centroid, c.embedding) AS d FROM ai_centroids
          WHERE model = ${embedder.model}) ORDER BY d LIMIT 1) AS nearest
      FROM ai_chunks c WHERE c.tenant = ${tenantB} AND c.document_id = 'b-new'`);
    expect(row!.cluster).not.toBeNull();
    expect(row!.cluster).toBe(row!.nearest);
    const r = await search(tenantB, text);
    expect(r.strategy).toBe("ivf");
    expect(r.passages[0]).toMatchObject({ documentId: "b-new", text });
  });

  it("still scans small tenants exactly, and leaves other models' tenants on their own path", async () => {
    const probe = chunkText(5, 505);
    const small = await search(tenantB, probe, 10_000);
    expect(small.strategy).toBe("exact");
    expect(small.passages[0]!.text).toBe(probe);
    const other = localEmbedder();
    const tenant = `ivf-other-${run}`;
    await ingestDocument(db(), other, { tenant, id: "o", text: "" }, { chunks: [probe] });
    const [vector] = await other.embed([probe]);
    const r = await searchPassages(db(), {
      tenant,
      vector: vector!,
      embedder: other,
      query: "",
      k: 5,
      exactScanMax: 0,
    });
    expect(r.strategy).not.toBe("ivf");
    expect(r.passages[0]!.text).toBe(probe);
  });
});
