import { importJWK, SignJWT, type CryptoKey, type JWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { problemOf, worker } from "./helpers.ts";

const stack = inject("stack");
let key: CryptoKey;
let kid: string;

beforeAll(async () => {
  const jwk = JSON.parse(inject("devPrivateJwk")) as JWK;
  kid = jwk.kid!;
  key = (await importJWK(jwk, "ES256")) as CryptoKey;
});

async function bearer(roles: string[]): Promise<string> {
  const t = await new SignJWT({ roles })
    .setProtectedHeader({ alg: "ES256", kid })
    .setIssuer(stack.JWT_ISSUER)
    .setAudience(stack.JWT_AUDIENCE)
    .setSubject("ed")
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(key);
  return `Bearer ${t}`;
}

const devCf = (fields: Record<string, unknown>) => ({ "x-dev-cf": JSON.stringify(fields) });
const BERLIN = { country: "DE", continent: "EU", city: "Berlin", latitude: "52.52", longitude: "13.40" };
const PARIS = { country: "FR", continent: "EU", city: "Paris", latitude: "48.85", longitude: "2.35" };
const NEW_YORK = { country: "US", continent: "NA", city: "New York", latitude: "40.71", longitude: "-74.0" };
const TOKYO = { country: "JP", continent: "AS", city: "Tokyo", latitude: "35.68", longitude: "139.69" };

const home = {
  variants: [
    { kind: "default", locale: "en", title: "Welcome", body: "Hello, world" },
    { kind: "country", match: "DE", locale: "de", title: "Willkommen", body: "Hallo aus Deutschland" },
    { kind: "continent", match: "EU", locale: "en", title: "Welcome, Europe", body: "Hello, Europe" },
    { kind: "locale", match: "ja", locale: "ja", title: "ようこそ", body: "こんにちは" },
  ],
};

async function put(slug: string, doc: unknown, roles = ["editor"]) {
  return worker(`/v1/content/${slug}`, {
    method: "PUT",
    headers: { authorization: await bearer(roles), "content-type": "application/json" },
    body: JSON.stringify(doc),
  });
}

describe("content variants", () => {
  it("PUT creates (201) then replaces (200); editor and admin may write", async () => {
    const slug = `home-${crypto.randomUUID().slice(0, 8)}`;
    const created = await put(slug, home);
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ slug, variants: 4 });
    expect((await put(slug, home, ["admin"])).status).toBe(200);
  });

  it("GET picks country, then continent, then locale, then default", async () => {
    const slug = `pick-${crypto.randomUUID().slice(0, 8)}`;
    expect((await put(slug, home)).status).toBe(201);
    const get = async (cf: Record<string, unknown>, lang = "en") => {
      const res = await worker(`/v1/content/${slug}`, { headers: { ...devCf(cf), "accept-language": lang } });
      expect(res.status).toBe(200);
      return { body: (await res.json()) as { variant: string; title: string; locale: string }, res };
    };
    expect((await get(BERLIN)).body).toMatchObject({ variant: "country:DE", title: "Willkommen", locale: "de" });
    expect((await get(PARIS)).body).toMatchObject({ variant: "continent:EU", title: "Welcome, Europe" });
    expect((await get(TOKYO, "ja")).body).toMatchObject({ variant: "locale:ja", title: "ようこそ" });
    const us = await get(NEW_YORK);
    expect(us.body).toMatchObject({ variant: "default", title: "Welcome" });
    expect(us.res.headers.get("content-language")).toBe("en");
    expect(us.res.headers.get("x-content-variant")).toBe("default");
  });

  it("is cached per variant: 50 different Accept-Language strings cause at most one miss per variant", async () => {
    const slug = `cache-${crypto.randomUUID().slice(0, 8)}`;
    expect((await put(slug, home)).status).toBe(201);
    const languages = Array.from({ length: 50 }, (_, i) => {
      const tags = [
        "en-US",
        "en-GB",
        "fr-FR",
        "de-DE",
        "es",
        "it",
        "pt-BR",
        "ja",
        "ko",
        "zh-CN",
        "nl",
        "sv",
        "da",
        "pl",
        "fi",
      ];
      return `${tags[i % tags.length]},${tags[(i * 7) % tags.length]};q=0.${(i % 9) + 1},en;q=0.1`;
    });
    const results: Array<{ cache: string | null; variant: string | null }> = [];
    for (const lang of languages) {
      const res = await worker(`/v1/content/${slug}`, { headers: { ...devCf(NEW_YORK), "accept-language": lang } });
      expect(res.status).toBe(200);
      results.push({ cache: res.headers.get("x-cache"), variant: res.headers.get("x-content-variant") });
    }
    const variants = new Set(results.map((r) => r.variant));
    const misses = results.filter((r) => r.cache === "MISS").length;
    expect(misses).toBeLessThanOrEqual(variants.size);
    expect(results.filter((r) => r.cache === "HIT").length).toBeGreaterThanOrEqual(50 - variants.size);
  });

  it("a PUT invalidates the cached answer", async () => {
    const slug = `inval-${crypto.randomUUID().slice(0, 8)}`;
    expect((await put(slug, home)).status).toBe(201);
    await worker(`/v1/content/${slug}`, { headers: devCf(BERLIN) });
    const hit = await worker(`/v1/content/${slug}`, { headers: devCf(BERLIN) });
    expect(hit.headers.get("x-cache")).toBe("HIT");
    const changed = structuredClone(home);
    changed.variants[1]!.title = "Neu";
    expect((await put(slug, changed)).status).toBe(200);
    const after = await worker(`/v1/content/${slug}`, { headers: devCf(BERLIN) });
    expect(await after.json()).toMatchObject({ title: "Neu" });
    expect(after.headers.get("x-cache")).toBe("MISS");
  });

  it("unknown slug → 404; invalid slug → 400", async () => {
    expect((await worker("/v1/content/no-such-item")).status).toBe(404);
    const bad = await worker("/v1/content/Bad_Slug!");
    expect(bad.status).toBe(400);
    await problemOf(bad);
  });
});

describe("content writes are guarded and validated", () => {
  it("no token → 401; a viewer → 403; nothing is stored", async () => {
    const slug = `guard-${crypto.randomUUID().slice(0, 8)}`;
    const anon = await worker(`/v1/content/${slug}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(home),
    });
    expect(anon.status).toBe(401);
    const viewer = await put(slug, home, ["viewer"]);
    expect(viewer.status).toBe(403);
    expect((await problemOf(viewer)).type).toMatch(/\/forbidden$/);
    expect((await worker(`/v1/content/${slug}`)).status).toBe(404);
  });

  it("invalid documents → 422 naming the path, and nothing is stored", async () => {
    const slug = `invalid-${crypto.randomUUID().slice(0, 8)}`;
    const cases: Array<[unknown, string]> = [
      [{ variants: [] }, "/variants"],
      [{ variants: [{ kind: "country", match: "DE", locale: "de", title: "x", body: "y" }] }, "/variants"],
      [{ variants: [home.variants[0], home.variants[0]] }, "/variants"],
      [
        { variants: [home.variants[0], { kind: "country", match: "germany", locale: "de", title: "x", body: "y" }] },
        "/variants/1/match",
      ],
      [{ variants: [{ ...home.variants[0], extra: 1 }] }, "/variants/0"],
      [{ variants: [{ ...home.variants[0], title: "" }] }, "/variants/0/title"],
    ];
    for (const [doc, path] of cases) {
      const res = await put(slug, doc);
      expect(res.status, JSON.stringify(doc)).toBe(422);
      const problem = await problemOf(res);
      expect(problem.errors?.map((e) => e.path)).toContain(path);
    }
    expect((await worker(`/v1/content/${slug}`)).status).toBe(404);
  });

  it("malformed JSON → 400, wrong content type → 415", async () => {
    const auth = await bearer(["editor"]);
    const malformed = await worker("/v1/content/x", {
      method: "PUT",
      headers: { authorization: auth, "content-type": "application/json" },
      body: '{"variants": [',
    });
    expect(malformed.status).toBe(400);
    expect((await problemOf(malformed)).type).toMatch(/\/malformed-json$/);
    const wrongType = await worker("/v1/content/x", {
      method: "PUT",
      headers: { authorization: auth, "content-type": "text/plain" },
      body: "hello",
    });
    expect(wrongType.status).toBe(415);
  });
});
