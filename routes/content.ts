/**
 * Content items in the variant for this visitor. Reads are cached at the edge with the Cache
 * API per variant (never per raw Accept-Language): a small per-slug index of the variants
 * (60 s) picks the variant, and each variant's response is cached under a key that includes
 * its `updatedAt`, so an update can never be served stale from this colo. A PUT drops the
 * index here; other colos see the change when their index expires (at most 60 s).
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { eq, sql } from "drizzle-orm";
import type { Context } from "hono";
import type { AppEnv } from "../src/env.ts";
import { inBackground } from "../src/lib/background.ts";
import { chooseVariant, variantName, type VariantKind } from "../src/lib/content/variant.ts";
import { contentItems, contentVariants } from "../src/lib/db/schema.ts";
import { ApiError } from "../src/lib/errors.ts";
import { requireRole } from "../src/middleware/auth.ts";

export const CONTENT_INDEX_TTL_SECONDS = 60;
export const CONTENT_VARIANT_TTL_SECONDS = 3600;
const CACHE_ORIGIN = "https://content-cache.internal";

const Slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,127}$/, "lower-case letters, digits and '-', 1-128 characters")
  .openapi({ param: { name: "slug", in: "path" }, example: "home" });

const Locale = z
  .string()
  .regex(/^[a-z]{2,3}(-[A-Z]{2}|-[A-Za-z]{4}|-\d{3})?$/, "a language tag such as en, fr-CH or zh-Hant");
const Continent = z.enum(["AF", "AN", "AS", "EU", "NA", "OC", "SA"]);

const VariantInput = z
  .discriminatedUnion("kind", [
    z.strictObject({
      kind: z.literal("default"),
      locale: Locale,
      title: z.string().min(1).max(200),
      body: z.string().max(100_000),
    }),
    z.strictObject({
      kind: z.literal("country"),
      match: z.string().regex(/^[A-Z]{2}$/, "ISO 3166-1 alpha-2 code"),
      locale: Locale,
      title: z.string().min(1).max(200),
      body: z.string().max(100_000),
    }),
    z.strictObject({
      kind: z.literal("continent"),
      match: Continent,
      locale: Locale,
      title: z.string().min(1).max(200),
      body: z.string().max(100_000),
    }),
    z.strictObject({
      kind: z.literal("locale"),
      match: Locale,
      locale: Locale,
      title: z.string().min(1).max(200),
      body: z.string().max(100_000),
    }),
  ])
  .openapi("ContentVariantInput");

const ContentInput = z
  .strictObject({ variants: z.array(VariantInput).min(1).max(50) })
  .superRefine((doc, ctx) => {
    const defaults = doc.variants.filter((v) => v.kind === "default").length;
    if (defaults !== 1)
      ctx.addIssue({
        code: "custom",
        path: ["variants"],
        message: `exactly one default variant is required (got ${defaults})`,
      });
    const seen = new Set<string>();
    doc.variants.forEach((v, i) => {
      const key = v.kind === "default" ? "default" : `${v.kind}:${v.match}`;
      if (seen.has(key)) ctx.addIssue({ code: "custom", path: ["variants", i], message: `duplicate variant ${key}` });
      seen.add(key);
    });
  })
  .openapi("ContentInput");

const ContentOutput = z
  .object({
    slug: z.string(),
    variant: z.string().openapi({ example: "country:DE" }),
    locale: z.string(),
    title: z.string(),
    body: z.string(),
    updatedAt: z.string().openapi({ format: "date-time" }),
  })
  .openapi("Content");

const ContentWritten = z
  .object({ slug: z.string(), variants: z.number().int(), updatedAt: z.string() })
  .openapi("ContentWritten");

interface IndexEntry {
  kind: VariantKind;
  match: string;
  updatedAt: number;
}

const indexKey = (slug: string) => `${CACHE_ORIGIN}/${slug}/index`;
const variantKey = (slug: string, v: IndexEntry) =>
  `${CACHE_ORIGIN}/${slug}/${v.kind}/${encodeURIComponent(v.match)}?v=${v.updatedAt}`;

async function variantIndex(c: Context<AppEnv>, cache: Cache, slug: string): Promise<IndexEntry[] | null> {
  const hit = await cache.match(indexKey(slug));
  if (hit) return (await hit.json()) as IndexEntry[];
  const rows = await c
    .get("db")
    .select({ kind: contentVariants.kind, match: contentVariants.match, updatedAt: contentVariants.updatedAt })
    .from(contentVariants)
    .where(eq(contentVariants.slug, slug));
  if (rows.length === 0) return null;
  const index = rows.map((r) => ({ kind: r.kind, match: r.match, updatedAt: r.updatedAt.getTime() }));
  const res = Response.json(index, { headers: { "cache-control": `s-maxage=${CONTENT_INDEX_TTL_SECONDS}` } });
  await inBackground(c, cache.put(indexKey(slug), res));
  return index;
}

export const contentRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/content/{slug}",
      tags: ["Content"],
      summary: "The content item in the variant for this visitor",
      description: "Variant order: country, continent, locale, default. Cached at the edge per variant.",
      request: { params: z.object({ slug: Slug }) },
      responses: {
        200: { description: "The chosen variant", content: { "application/json": { schema: ContentOutput } } },
        404: { description: "No such item" },
      },
    }),
    async (c) => {
      const { slug } = c.req.valid("param");
      const geo = c.get("geo");
      const cache = caches.default;
      const index = await variantIndex(c, cache, slug);
      if (!index) throw new ApiError("not-found", { detail: `No content item "${slug}".` });
      const chosen = chooseVariant(index, { country: geo.country, continent: geo.continent, locale: geo.locale });
      if (!chosen) throw new ApiError("not-found", { detail: `Content item "${slug}" has no default variant.` });
      const key = variantKey(slug, chosen);
      const headers = {
        "cache-control": "private, max-age=60",
        vary: "accept-language",
        "x-content-variant": variantName(chosen),
      };
      const hit = await cache.match(key);
      if (hit) {
        c.get("log").cache = "hit";
        const body = (await hit.json()) as z.infer<typeof ContentOutput>;
        return c.json(body, 200, { ...headers, "content-language": body.locale, "x-cache": "HIT" });
      }
      const [row] = await c
        .get("db")
        .select()
        .from(contentVariants)
        .where(
          sql`${contentVariants.slug} = ${slug} AND ${contentVariants.kind} = ${chosen.kind} AND ${contentVariants.match} = ${chosen.match}`,
        );
      if (!row) throw new ApiError("not-found", { detail: `No content item "${slug}".` });
      const body = {
        slug,
        variant: variantName(row),
        locale: row.locale,
        title: row.title,
        body: row.body,
        updatedAt: row.updatedAt.toISOString(),
      };
      c.get("log").cache = "miss";
      await inBackground(
        c,
        cache.put(
          key,
          Response.json(body, { headers: { "cache-control": `s-maxage=${CONTENT_VARIANT_TTL_SECONDS}` } }),
        ),
      );
      return c.json(body, 200, { ...headers, "content-language": body.locale, "x-cache": "MISS" });
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/v1/content/{slug}",
      tags: ["Content"],
      summary: "Create or replace a content item and all its variants",
      security: [{ bearerAuth: [] }],
      middleware: [requireRole("editor", "admin")] as const,
      request: {
        params: z.object({ slug: Slug }),
        body: { required: true, content: { "application/json": { schema: ContentInput } } },
      },
      responses: {
        200: { description: "Replaced", content: { "application/json": { schema: ContentWritten } } },
        201: { description: "Created", content: { "application/json": { schema: ContentWritten } } },
        401: { description: "Missing or invalid token" },
        403: { description: "Needs the editor or admin role" },
        422: { description: "Invalid document" },
      },
    }),
    async (c) => {
      const { slug } = c.req.valid("param");
      const { variants } = c.req.valid("json");
      const db = c.get("db");
      const now = new Date();
      const [existing] = await db
        .select({ slug: contentItems.slug })
        .from(contentItems)
        .where(eq(contentItems.slug, slug));
      // One batch = one transaction: the item and its variants change together or not at all.
      await db.batch([
        db
          .insert(contentItems)
          .values({ slug, updatedAt: now })
          .onConflictDoUpdate({ target: contentItems.slug, set: { updatedAt: now } }),
        db.delete(contentVariants).where(eq(contentVariants.slug, slug)),
        db.insert(contentVariants).values(
          variants.map((v) => ({
            slug,
            kind: v.kind,
            match: v.kind === "default" ? "" : v.match,
            locale: v.locale,
            title: v.title,
            body: v.body,
            updatedAt: now,
          })),
        ),
      ]);
      await caches.default.delete(indexKey(slug));
      const body = { slug, variants: variants.length, updatedAt: now.toISOString() };
      return existing ? c.json(body, 200) : c.json(body, 201);
    },
  );
