/**
 * The admin config API end to end against the real EdgeConfig object: ETag/If-Match
 * concurrency, validation, history, rollback, and what the config drives (maintenance).
 * These tests share the one config object, so they run in order and restore what they change.
 */
import { describe, expect, it } from "vitest";
import { bearer, problemOf, worker } from "./helpers.ts";

interface Versioned {
  version: number;
  config: Record<string, unknown> & {
    maintenance: { enabled: boolean; countries: string[]; retryAfterSeconds: number; message: string };
  };
}

const admin = (sub = "alice") => bearer(sub, ["admin"]);

async function read(): Promise<{ body: Versioned; etag: string | null }> {
  const res = await worker("/v1/admin/config", { headers: { authorization: await admin() } });
  expect(res.status).toBe(200);
  return { body: (await res.json()) as Versioned, etag: res.headers.get("etag") };
}

async function write(doc: unknown, ifMatch: string | undefined, who = "alice", reason?: string) {
  const headers: Record<string, string> = { authorization: await admin(who), "content-type": "application/json" };
  if (ifMatch !== undefined) headers["if-match"] = ifMatch;
  if (reason) headers["x-change-reason"] = reason;
  return worker("/v1/admin/config", {
    method: "PUT",
    headers,
    body: typeof doc === "string" ? doc : JSON.stringify(doc),
  });
}

describe.sequential("admin config API", () => {
  it("needs an admin: no token → 401, other roles → 403, on every endpoint", async () => {
    const editor = await bearer("ed", ["editor"]);
    const calls: Array<[string, RequestInit]> = [
      ["/v1/admin/config", {}],
      [
        "/v1/admin/config",
        { method: "PUT", headers: { "content-type": "application/json", "if-match": '"0"' }, body: "{}" },
      ],
      ["/v1/admin/config/versions", {}],
      [
        "/v1/admin/config/rollback",
        { method: "POST", headers: { "content-type": "application/json" }, body: '{"version":0}' },
      ],
    ];
    for (const [path, init] of calls) {
      const anon = await worker(path, init);
      expect(anon.status, `${init.method ?? "GET"} ${path}`).toBe(401);
      const res = await worker(path, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), authorization: editor },
      });
      expect(res.status, `${init.method ?? "GET"} ${path}`).toBe(403);
    }
  });

  it("GET answers the version and document with a matching ETag", async () => {
    const { body, etag } = await read();
    expect(etag).toBe(`"${body.version}"`);
    expect(body.config).toHaveProperty("maintenance");
    expect(body.config).toHaveProperty("security");
  });

  it("PUT without If-Match → 428, stale → 412 with the current ETag, malformed → 400; nothing stored", async () => {
    const { body, etag } = await read();
    expect((await write(body.config, undefined)).status).toBe(428);
    const stale = await write(body.config, `"${body.version + 5}"`);
    expect(stale.status).toBe(412);
    expect(stale.headers.get("etag")).toBe(etag);
    expect((await write(body.config, "12")).status).toBe(400);
    const malformed = await write('{"maintenance": ', etag!);
    expect(malformed.status).toBe(400);
    expect((await read()).body.version).toBe(body.version);
  });

  it("an invalid document → 422 naming the path, and nothing is stored", async () => {
    const { body, etag } = await read();
    const bad = structuredClone(body.config);
    bad.maintenance.retryAfterSeconds = -5;
    const res = await write(bad, etag!);
    expect(res.status).toBe(422);
    const problem = await problemOf(res);
    expect(problem.errors?.map((e) => e.path)).toContain("/maintenance/retryAfterSeconds");

    const unknown = await write({ ...body.config, surprise: true }, etag!);
    expect(unknown.status).toBe(422);
    expect((await problemOf(unknown)).errors?.map((e) => e.path)).toContain("/");
    expect((await read()).body.version).toBe(body.version);
  });

  it("security filter settings are validated: 422 names each bad path (exclusions, paranoia, rule actions, body budget)", async () => {
    const { body, etag } = await read();
    const bad = structuredClone(body.config) as unknown as { security: Record<string, unknown> };
    bad.security = {
      ...bad.security,
      paranoiaLevel: 5,
      anomalyThreshold: 0,
      exclusions: [{ pathPrefix: "/v1/snippets" }, { rules: ["Not A Rule!"], classes: ["nonsense"] }],
      ruleActions: { "sqli-union-select": "sometimes" },
      inspectBodyBytes: -1,
      inspectOverflow: "maybe",
      onError: "explode",
    };
    const res = await write(bad, etag!);
    expect(res.status).toBe(422);
    const paths = (await problemOf(res)).errors?.map((e) => e.path) ?? [];
    for (const p of [
      "/security/paranoiaLevel",
      "/security/anomalyThreshold",
      "/security/exclusions/0/rules",
      "/security/exclusions/1/rules/0",
      "/security/exclusions/1/classes/0",
      "/security/ruleActions/sqli-union-select",
      "/security/inspectBodyBytes",
      "/security/inspectOverflow",
      "/security/onError",
    ]) {
      expect(paths, p).toContain(p);
    }
    expect((await read()).body.version).toBe(body.version);

    const good = structuredClone(body.config) as unknown as { security: Record<string, unknown> };
    good.security = {
      ...good.security,
      paranoiaLevel: 2,
      exclusions: [
        { rules: ["sqli-union-select"], pathPrefix: "/v1/snippets", parameters: ["code"], note: "code samples" },
      ],
      ruleActions: { "xss-script-tag": "log" },
      inspectBodyBytes: 65_536,
      inspectOverflow: "log",
    };
    const ok = await write(good, etag!, "alice", "tune the security filter");
    expect(ok.status).toBe(200);
    const stored = await read();
    expect(stored.body.config.security).toMatchObject({
      paranoiaLevel: 2,
      inspectBodyBytes: 65_536,
      inspectOverflow: "log",
      ruleActions: { "xss-script-tag": "log" },
    });
    // Put the defaults back for the tests after this one.
    const restore = await write(body.config, stored.etag!, "alice", "restore");
    expect(restore.status).toBe(200);
  });

  it("a change is visible on the next request, with author, time, reason and what changed in the history", async () => {
    const { body, etag } = await read();
    const next = structuredClone(body.config);
    next.maintenance.message = `note ${crypto.randomUUID()}`;
    const res = await write(next, etag!, "bob", "announce the window");
    expect(res.status).toBe(200);
    const { version } = (await res.json()) as { version: number };
    expect(version).toBe(body.version + 1);
    expect(res.headers.get("etag")).toBe(`"${version}"`);

    const healthz = await worker("/healthz");
    expect(healthz.headers.get("x-config-version")).toBe(String(version));
    expect((await read()).body.config.maintenance.message).toBe(next.maintenance.message);

    const history = await worker("/v1/admin/config/versions?limit=2", { headers: { authorization: await admin() } });
    const entries = (await history.json()) as Array<{
      version: number;
      author: string;
      at: string;
      reason: string;
      changes: Array<{ path: string; from: unknown; to: unknown }>;
    }>;
    expect(entries[0]).toMatchObject({ version, author: "bob", reason: "announce the window" });
    expect(Date.now() - Date.parse(entries[0]!.at)).toBeLessThan(60_000);
    expect(entries[0]!.changes).toEqual([
      { path: "/maintenance/message", from: body.config.maintenance.message, to: next.maintenance.message },
    ]);
    if (entries[1]) expect(entries[1].version).toBeLessThan(version);
  });

  it("two admins writing with the same ETag: exactly one wins, the other gets 412 with the current ETag", async () => {
    const { body, etag } = await read();
    const a = structuredClone(body.config);
    a.maintenance.message = "from carol";
    const b = structuredClone(body.config);
    b.maintenance.message = "from dave";
    const [ra, rb] = await Promise.all([write(a, etag!, "carol"), write(b, etag!, "dave")]);
    const statuses = [ra.status, rb.status].sort();
    expect(statuses).toEqual([200, 412]);
    const winner = ra.status === 200 ? ra : rb;
    const loser = ra.status === 200 ? rb : ra;
    const { version } = (await winner.json()) as { version: number };
    expect(loser.headers.get("etag")).toBe(`"${version}"`);
    const after = await read();
    expect(after.body.version).toBe(version);
    expect(after.body.config.maintenance.message).toBe(ra.status === 200 ? "from carol" : "from dave");
  });

  it("rollback writes a new version equal to the old one", async () => {
    const before = await read();
    const changed = structuredClone(before.body.config);
    changed.maintenance.message = "temporary";
    changed.maintenance.retryAfterSeconds = 120;
    const put = await write(changed, before.etag!);
    expect(put.status).toBe(200);
    const rb = await worker("/v1/admin/config/rollback", {
      method: "POST",
      headers: { authorization: await admin("erin"), "content-type": "application/json" },
      body: JSON.stringify({ version: before.body.version, reason: "undo" }),
    });
    expect(rb.status).toBe(200);
    const { version } = (await rb.json()) as { version: number };
    expect(version).toBe(before.body.version + 2);
    const after = await read();
    expect(after.body.version).toBe(version);
    expect(after.body.config).toEqual(before.body.config);
    const history = (await (
      await worker("/v1/admin/config/versions?limit=1", { headers: { authorization: await admin() } })
    ).json()) as Array<{ author: string; reason: string }>;
    expect(history[0]).toMatchObject({ author: "erin", reason: "undo" });

    const missing = await worker("/v1/admin/config/rollback", {
      method: "POST",
      headers: { authorization: await admin(), "content-type": "application/json" },
      body: JSON.stringify({ version: 99_999 }),
    });
    expect(missing.status).toBe(404);
  });

  it("maintenance for DE: 503 with Retry-After for DE, 200 for FR; health and admin stay open", async () => {
    const { body, etag } = await read();
    const on = structuredClone(body.config);
    on.maintenance = { enabled: true, countries: ["DE"], retryAfterSeconds: 90, message: "Back soon" };
    expect((await write(on, etag!)).status).toBe(200);
    try {
      const de = { "x-dev-cf": JSON.stringify({ country: "DE" }) };
      const fr = { "x-dev-cf": JSON.stringify({ country: "FR" }) };
      const blocked = await worker("/v1/geo", { headers: de });
      expect(blocked.status).toBe(503);
      expect(blocked.headers.get("retry-after")).toBe("90");
      expect(await problemOf(blocked)).toMatchObject({ status: 503, detail: "Back soon" });
      expect((await worker("/v1/geo", { headers: fr })).status).toBe(200);
      expect((await worker("/healthz", { headers: de })).status).toBe(200);
      expect((await worker("/readyz", { headers: de })).status).toBe(200);
      expect((await worker("/v1/admin/config", { headers: { ...de, authorization: await admin() } })).status).toBe(200);
      expect((await worker("/admin", { headers: de })).status).not.toBe(503);
      // The admin page's scripts and styles too (they are static files); other pages are in maintenance.
      for (const path of ["/admin/app.js", "/admin/app.css", "/common/page.js", "/common/page.css"]) {
        expect((await worker(path, { headers: de })).status, path).toBe(200);
      }
      expect((await worker("/rooms/demo", { headers: de })).status).toBe(503);
    } finally {
      const current = await read();
      const off = structuredClone(current.body.config);
      off.maintenance = body.config.maintenance;
      expect((await write(off, current.etag!)).status).toBe(200);
    }
    expect((await worker("/v1/geo", { headers: { "x-dev-cf": JSON.stringify({ country: "DE" }) } })).status).toBe(200);
  });

  it("CORS: a configured origin gets the headers and preflights; others get none", async () => {
    const { body, etag } = await read();
    const next = structuredClone(body.config) as Versioned["config"] & { cors: { origins: string[] } };
    next.cors = { origins: ["https://app.example"] };
    expect((await write(next, etag!)).status).toBe(200);
    try {
      const ok = await worker("/v1/geo", { headers: { origin: "https://app.example" } });
      expect(ok.headers.get("access-control-allow-origin")).toBe("https://app.example");
      expect(ok.headers.get("access-control-expose-headers")).toContain("x-request-id");
      const other = await worker("/v1/geo", { headers: { origin: "https://evil.example" } });
      expect(other.headers.get("access-control-allow-origin")).toBeNull();
      const preflight = await worker("/v1/admin/config", {
        method: "OPTIONS",
        headers: {
          origin: "https://app.example",
          "access-control-request-method": "PUT",
          "access-control-request-headers": "authorization,if-match",
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-headers")).toContain("if-match");
    } finally {
      const current = await read();
      expect((await write({ ...current.body.config, cors: body.config.cors }, current.etag!)).status).toBe(200);
    }
  });
});
