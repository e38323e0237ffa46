/**
 * The shared error machinery (validation hook, onError, notFound) on the real app: a probe
 * route with a JSON body is added to `createApp()` so every failure kind can be triggered.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app.ts";
import { problemOf } from "./helpers.ts";

function appWithProbe() {
  const app = createApp();
  app.openapi(
    createRoute({
      method: "post",
      path: "/__probe",
      request: {
        body: {
          required: true,
          content: {
            "application/json": {
              schema: z
                .object({ name: z.string().min(1), count: z.int().min(0), tags: z.array(z.string()).optional() })
                .strict(),
            },
          },
        },
      },
      responses: {
        200: { description: "ok", content: { "application/json": { schema: z.object({ ok: z.boolean() }) } } },
      },
    }),
    (c) => c.json({ ok: true }, 200),
  );
  app.get("/__boom", () => {
    throw new Error("database password=hunter2 at internal/path.ts:12");
  });
  return app;
}

const post = (body: BodyInit, contentType = "application/json") =>
  appWithProbe().request("/__probe", { method: "POST", body, headers: { "content-type": contentType } }, env);

describe("bad input gets a clear 4xx problem", () => {
  it("valid body passes", async () => {
    const res = await post(JSON.stringify({ name: "a", count: 1 }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it("malformed JSON → 400 malformed-json", async () => {
    const res = await post('{"name": "a",');
    expect(res.status).toBe(400);
    const p = await problemOf(res);
    expect(p.type).toMatch(/\/malformed-json$/);
    expect(p.detail).toMatch(/malformed json/i);
  });

  it("wrong content type → 415", async () => {
    const res = await post("name=a&count=1", "application/x-www-form-urlencoded");
    expect(res.status).toBe(415);
    expect((await problemOf(res)).type).toMatch(/\/unsupported-media-type$/);
  });

  it("schema violation → 422 naming each path", async () => {
    const res = await post(JSON.stringify({ name: "", count: -1, extra: true, tags: [1] }));
    expect(res.status).toBe(422);
    const p = await problemOf(res);
    expect(p.type).toMatch(/\/validation-failed$/);
    const paths = p.errors?.map((e) => e.path) ?? [];
    expect(paths).toEqual(expect.arrayContaining(["/name", "/count", "/tags/0", "/"]));
    expect(p.detail).toMatch(/^\/\w*/);
  });
});

describe("internal errors", () => {
  it("a thrown error becomes a generic 500 with the request id and a log line, no internals", async () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const res = await appWithProbe().request("/__boom", {}, env);
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(text).not.toContain("hunter2");
      expect(text).not.toContain("internal/path.ts");
      const p = JSON.parse(text) as { requestId: string; type: string; status: number };
      expect(p.status).toBe(500);
      expect(p.type).toMatch(/\/internal$/);
      expect(p.requestId).toBe(res.headers.get("x-request-id"));
      const logged = spy.mock.calls.map((a) => String(a[0])).filter((l) => l.includes(p.requestId));
      expect(logged.some((l) => l.includes('"msg":"unhandled error"'))).toBe(true);
      expect(logged.some((l) => l.includes('"msg":"request"') && l.includes('"status":500'))).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });
});

describe("settings", () => {
  it("a dependency that is down makes /readyz 503 degraded and names it", async () => {
    const res = await appWithProbe().request("/readyz", {}, { ...env, LIBSQL_URL: "http://127.0.0.1:9" });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; checks: Record<string, { status: string }> };
    expect(body.status).toBe("degraded");
    expect(body.checks.db?.status).toBe("fail");
    expect(body.checks.redis?.status).toBe("ok");
  });

  it("missing settings: /healthz still answers, other routes get a 503 problem without details", async () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const broken = { ...env, LIBSQL_URL: "", UPSTASH_REDIS_REST_TOKEN: "" };
      const app = appWithProbe();
      expect((await app.request("/healthz", {}, broken)).status).toBe(200);
      const res = await app.request("/readyz", {}, broken);
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(text).not.toContain("LIBSQL_URL");
    } finally {
      spy.mockRestore();
    }
  });
});
