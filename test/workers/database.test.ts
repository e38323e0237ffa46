/**
 * The Worker's drizzle client over libSQL's HTTP protocol, from inside workerd, against the
 * local libSQL endpoint with the real migrations applied.
 */
import { env } from "cloudflare:workers";
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDatabase, lazyDatabase } from "../../src/lib/db/client.ts";
import {
  aiChunks,
  aiDocuments,
  contentItems,
  contentVariants,
  conversations,
  EMBEDDING_DIMENSIONS,
  messages,
} from "../../src/lib/db/schema.ts";

const db = () => createDatabase({ url: env.LIBSQL_URL });

function unitVector(seed: number): Float32Array {
  const v = new Float32Array(EMBEDDING_DIMENSIONS);
  for (let i = 0; i < v.length; i++) v[i] = Math.sin(seed * 12.9898 + i * 78.233);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

describe("database schema", () => {
  it("stores a content item with variants and cascades deletes", async () => {
    const d = db();
    const slug = `home-${crypto.randomUUID()}`;
    await d.insert(contentItems).values({ slug });
    await d.insert(contentVariants).values([
      { slug, kind: "default", match: "", locale: "en", title: "Welcome", body: "Hello" },
      { slug, kind: "country", match: "DE", locale: "de", title: "Willkommen", body: "Hallo" },
    ]);
    const rows = await d
      .select()
      .from(contentVariants)
      .where(eq(contentVariants.slug, slug))
      .orderBy(contentVariants.kind);
    expect(rows.map((r) => [r.kind, r.match, r.title])).toEqual([
      ["country", "DE", "Willkommen"],
      ["default", "", "Welcome"],
    ]);
    expect(rows[0]!.updatedAt).toBeInstanceOf(Date);
    // One variant per (slug, kind, match).
    await expect(
      d.insert(contentVariants).values({ slug, kind: "country", match: "DE", locale: "de", title: "x", body: "y" }),
    ).rejects.toThrow();
    await d.run(sql`PRAGMA foreign_keys = ON`);
    await d.batch([d.run(sql`PRAGMA foreign_keys = ON`), d.delete(contentItems).where(eq(contentItems.slug, slug))]);
    expect(await d.select().from(contentVariants).where(eq(contentVariants.slug, slug))).toHaveLength(0);
  });

  it("stores chunks as F32_BLOB vectors and finds neighbours through the vector index", async () => {
    const d = db();
    const tenant = `t-${crypto.randomUUID()}`;
    await d
      .insert(aiDocuments)
      .values({ id: "doc-1", tenant, title: "Doc", embeddingModel: "test", embeddingDimensions: EMBEDDING_DIMENSIONS });
    await d.insert(aiChunks).values(
      [1, 2, 3, 4, 5].map((n) => ({
        tenant,
        documentId: "doc-1",
        ordinal: n,
        text: `chunk ${n}`,
        embedding: unitVector(n),
      })),
    );
    const [stored] = await d
      .select()
      .from(aiChunks)
      .where(and(eq(aiChunks.tenant, tenant), eq(aiChunks.ordinal, 3)));
    expect(stored!.embedding).toBeInstanceOf(Float32Array);
    expect(Array.from(stored!.embedding.slice(0, 4))).toEqual(Array.from(unitVector(3).slice(0, 4)));

    const query = unitVector(3);
    const literal = `[${Array.from(query).join(",")}]`;
    const nearest = await d.all<{ ordinal: number; distance: number }>(sql`
      SELECT c.ordinal AS ordinal, vector_distance_cos(c.embedding, vector32(${literal})) AS distance
      FROM vector_top_k('ai_chunks_embedding_idx', vector32(${literal}), 50) AS top
      JOIN ai_chunks c ON c.rowid = top.id
      WHERE c.tenant = ${tenant}
      ORDER BY distance LIMIT 1`);
    expect(nearest[0]?.ordinal).toBe(3);
    expect(nearest[0]?.distance).toBeLessThan(1e-5);
  });

  it("keeps conversations with their messages, source and citations", async () => {
    const d = db();
    const id = crypto.randomUUID();
    await d.insert(conversations).values({ id, tenant: "t1", userId: "alice" });
    await d.insert(messages).values([
      { conversationId: id, role: "user", content: "How do I enable X?" },
      {
        conversationId: id,
        role: "assistant",
        content: "Turn it on.",
        source: "origin",
        citations: [{ documentId: "doc-1", chunkId: 7 }],
      },
    ]);
    const rows = await d.select().from(messages).where(eq(messages.conversationId, id)).orderBy(messages.id);
    expect(rows.map((r) => r.role)).toEqual(["user", "assistant"]);
    expect(rows[1]!.citations).toEqual([{ documentId: "doc-1", chunkId: 7 }]);
    expect(rows[1]!.source).toBe("origin");
  });

  it("surfaces a SQL error from the server as an error, not a hang", async () => {
    const err = await db()
      .run(sql`SELECT * FROM no_such_table`)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(Error);
    // drizzle wraps the driver's LibsqlError, which carries the server's message.
    expect(String((err as Error).cause)).toMatch(/no such table: no_such_table/);
  });
});

describe("lazyDatabase", () => {
  it("builds the client on first use only, once, and behaves like it", async () => {
    let built = 0;
    const lazy = lazyDatabase(() => {
      built++;
      return db();
    });
    expect(built).toBe(0);
    const slug = `lazy-${crypto.randomUUID()}`;
    await lazy.insert(contentItems).values({ slug });
    expect(await lazy.select().from(contentItems).where(eq(contentItems.slug, slug))).toHaveLength(1);
    await lazy.batch([lazy.delete(contentItems).where(eq(contentItems.slug, slug))]);
    await lazy.transaction(async (tx) => {
      expect(await tx.select().from(contentItems).where(eq(contentItems.slug, slug))).toHaveLength(0);
    });
    expect(built).toBe(1);
  });
});
