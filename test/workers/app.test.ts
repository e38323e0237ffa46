import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app.ts";
import { bearer, problemOf, stack, updateConfig, worker } from "./helpers.ts";

describe("conventions on every response", () => {
  it("GET /healthz answers 200 with request id, config version and Server-Timing", async () => {
    const res = await worker("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get("x-config-version")).toMatch(/^\d+$/);
    expect(res.headers.get("server-timing")).toMatch(/total;dur=\d/);
  });

  it("echoes a valid incoming x-request-id and replaces an invalid one", async () => {
    const ok = await worker("/healthz", { headers: { "x-request-id": "abc-123_XYZ" } });
    expect(ok.headers.get("x-request-id")).toBe("abc-123_XYZ");
    const bad = await worker("/healthz", { headers: { "x-request-id": "<script>alert(1)</script>" } });
    expect(bad.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const long = await worker("/healthz", { headers: { "x-request-id": "a".repeat(200) } });
    expect(long.headers.get("x-request-id")).not.toBe("a".repeat(200));
  });

  it("writes one structured JSON log line per request with its outcome", async () => {
    const spy = vi.spyOn(console, "log");
    try {
      const res = await worker("/v1/geo?access_token=secret-value", {
        headers: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" },
      });
      expect(res.status).toBe(200);
      const id = res.headers.get("x-request-id");
      const lines = spy.mock.calls.map((args) => String(args[0])).filter((l) => l.includes(`"requestId":"${id}"`));
      expect(lines).toHaveLength(1);
      const line = JSON.parse(lines[0]!) as Record<string, unknown>;
      expect(line).toMatchObject({
        level: "info",
        msg: "request",
        method: "GET",
        path: "/v1/geo",
        status: 200,
        traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      });
      expect(typeof line.durationMs).toBe("number");
      expect(lines[0]).not.toContain("secret-value");
    } finally {
      spy.mockRestore();
    }
  });

  it("adds each check's outcome after the line's own fields, once each", async () => {
    const spy = vi.spyOn(console, "log");
    try {
      const res = await worker("/v1/me", { headers: { authorization: await bearer("log-fields", ["viewer"]) } });
      expect(res.status).toBe(200);
      const id = res.headers.get("x-request-id");
      const text = spy.mock.calls.map((args) => String(args[0])).find((l) => l.includes(`"requestId":"${id}"`));
      expect(text).toBeDefined();
      const line = JSON.parse(text!) as Record<string, unknown>;
      expect(line).toMatchObject({ msg: "request", path: "/v1/me", status: 200, auth: "ok", sub: "log-fields" });
      const keys = Object.keys(line);
      expect(keys.slice(0, 12)).toEqual([
        "level",
        "msg",
        "time",
        "requestId",
        "traceId",
        "method",
        "path",
        "status",
        "durationMs",
        "country",
        "colo",
        "configVersion",
      ]);
      // No key twice in the text: JSON.parse would keep the last one silently, and the text would
      // not come back from stringifying what it parsed to.
      expect(JSON.stringify(line)).toBe(text);
    } finally {
      spy.mockRestore();
    }
  });

  it("health checks that pass write no line unless LOG_HEALTH_CHECKS is true; failing ones always do", async () => {
    const spy = vi.spyOn(console, "log").mockImplementation(() => {});
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const linesOf = (res: Response) => {
      const id = res.headers.get("x-request-id");
      return [...spy.mock.calls, ...errors.mock.calls]
        .map((args) => String(args[0]))
        .filter((l) => l.includes('"msg":"request"') && l.includes(`"requestId":"${id}"`));
    };
    try {
      const quiet = await worker("/healthz");
      expect(quiet.status).toBe(200);
      expect(linesOf(quiet)).toHaveLength(0);

      const app = createApp();
      const ctx = createExecutionContext();
      const logged = await app.request("/healthz", {}, { ...env, LOG_HEALTH_CHECKS: "true" }, ctx);
      expect(logged.status).toBe(200);
      expect(linesOf(logged)).toHaveLength(1);

      // A readiness check that fails (the EdgeConfig object unreachable) is logged, setting or not.
      const down = async () => {
        throw new Error("unreachable");
      };
      const edgeConfigDown = { getByName: () => ({ version: down, current: down }) } as unknown as Env["EDGE_CONFIG"];
      const failing = await app.request("/readyz", {}, { ...env, EDGE_CONFIG: edgeConfigDown }, ctx);
      expect(failing.status).toBe(503);
      await waitOnExecutionContext(ctx);
      const lines = linesOf(failing);
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ level: "error", path: "/readyz", status: 503 });

      // One the security filter has something to say about: blocked, or passed by a rule in log mode.
      const blocked = await worker("/healthz?q=1%20UNION%20SELECT%20password%20FROM%20users");
      expect(blocked.status).toBe(403);
      expect(linesOf(blocked)).toHaveLength(1);
      expect((await updateConfig((c) => void (c.security.ruleActions = { "sqli-union-select": "log" }))).status).toBe(
        200,
      );
      try {
        const wouldBlock = await worker("/healthz?q=1%20UNION%20SELECT%20password%20FROM%20users");
        expect(wouldBlock.status).toBe(200);
        const logged = linesOf(wouldBlock);
        expect(logged).toHaveLength(1);
        expect(JSON.parse(logged[0]!)).toMatchObject({
          path: "/healthz",
          waf: { action: "log", ruleId: "sqli-union-select" },
        });
      } finally {
        await updateConfig((c) => void (c.security.ruleActions = {}));
      }
    } finally {
      spy.mockRestore();
      errors.mockRestore();
    }
  });
});

describe("errors are problem+json", () => {
  it("unknown route → 404 problem with the request id", async () => {
    const res = await worker("/no/such/route");
    expect(res.status).toBe(404);
    const problem = await problemOf(res);
    expect(problem).toMatchObject({ status: 404, title: "Not found" });
    expect(problem.type).toMatch(/\/not-found$/);
    expect(problem.requestId).toBe(res.headers.get("x-request-id"));
    expect(res.headers.get("x-config-version")).toMatch(/^\d+$/);
  });

  it("a declared body over the limit → 413 before anything reads it", async () => {
    const res = await worker("/healthz", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(2 * 1024 * 1024) },
      body: "x".repeat(2 * 1024 * 1024),
    });
    expect(res.status).toBe(413);
    expect((await problemOf(res)).detail).toContain("1048576");
  });

  it("a streamed body over the limit → 413, cut off without reading it whole", async () => {
    let pulled = 0;
    const chunk = new Uint8Array(64 * 1024);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        if (pulled > 64) controller.close(); // 4 MiB if read to the end
        else controller.enqueue(chunk);
      },
    });
    const res = await worker("/healthz", { method: "POST", body, headers: { "content-type": "text/plain" } });
    expect(res.status).toBe(413);
    await problemOf(res);
    expect(pulled).toBeLessThan(40);
  });
});

describe("readiness", () => {
  it("GET /readyz checks db, redis, origin and config against the real local stack", async () => {
    const res = await worker("/readyz");
    const body = (await res.json()) as {
      status: string;
      checks: Record<string, { status: string; latencyMs: number }>;
    };
    expect(body.checks).toMatchObject({
      db: { status: "ok" },
      redis: { status: "ok" },
      origin: { status: "ok" },
      config: { status: "ok" },
    });
    expect(body.status).toBe("ok");
    expect(res.status).toBe(200);
    expect(res.headers.get("server-timing")).toMatch(/db;dur=/);
  });

  it("propagates the caller's trace id to the origin", async () => {
    const traceId = "0af7651916cd43dd8448eb211c80319c";
    await worker("/readyz", { headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } });
    const stats = (await (await fetch(`${stack().DEV_ORIGIN_URL}/__dev/stats`)).json()) as {
      lastRequest?: { path: string; headers: Record<string, string> };
    };
    expect(stats.lastRequest?.path).toContain("/v1/models");
    expect(stats.lastRequest?.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(stats.lastRequest?.headers.traceparent).not.toContain("b7ad6b7169203331");
  });
});

describe("bindings", () => {
  it("the Worker runs in development mode against the local stack", () => {
    expect(env.ENVIRONMENT).toBe("development");
    expect(env.LIBSQL_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
