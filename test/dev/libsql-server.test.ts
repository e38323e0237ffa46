import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient, LibsqlBatchError, LibsqlError } from "@libsql/client/web";
import type { Client } from "@libsql/client/web";
import Database from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLibsqlServer } from "../../dev/libsql-server.ts";
import type { RunningService } from "../../dev/libsql-server.ts";

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

type Json = Record<string, unknown>;

interface RawResponse {
  status: number;
  contentType: string | null;
  body: Json;
}

async function post(
  url: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Json;
  try {
    parsed = JSON.parse(text) as Json;
  } catch {
    parsed = { text };
  }
  return { status: res.status, contentType: res.headers.get("content-type"), body: parsed };
}

function exec(sql: string, extra: Json = {}): Json {
  return { type: "execute", stmt: { sql, ...extra } };
}

/** `results[i]` of a pipeline response, asserted to be ok, returning its response. */
function okResponse(r: RawResponse, i: number): Json {
  const results = r.body["results"] as Json[];
  const result = results[i];
  expect(result?.["type"], JSON.stringify(result)).toBe("ok");
  return result?.["response"] as Json;
}

function errorOf(r: RawResponse, i: number): Json {
  const results = r.body["results"] as Json[];
  const result = results[i];
  expect(result?.["type"], JSON.stringify(result)).toBe("error");
  return result?.["error"] as Json;
}

/** Awaits a promise that must reject, returning the rejection. */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected the promise to reject, but it resolved");
}

// ---------------------------------------------------------------------------
// suite
// ---------------------------------------------------------------------------

describe("dev/libsql-server (Hrana over HTTP, driven by @libsql/client/web)", () => {
  let dir: string;
  let dbPath: string;
  let server: RunningService;
  let client: Client; // intMode "bigint": exact int64 round-trips
  let other: Client; // a second, independent client (separate streams)
  const logs: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "libsql-dev-server-"));
    dbPath = join(dir, "nested", "dev.db");
    server = await startLibsqlServer({ dbPath, port: 0, log: (line) => logs.push(line) });
    client = createClient({ url: server.url, intMode: "bigint" });
    other = createClient({ url: server.url });
  });

  afterAll(async () => {
    client?.close();
    other?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("listens on 127.0.0.1 with the reported port and answers health/version probes", async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
    const status = async (path: string): Promise<number> => (await fetch(`${server.url}${path}`)).status;
    expect(await status("/health")).toBe(200);
    expect(await status("/v2")).toBe(200);
    expect(await status("/v3")).toBe(200);
    // the client probes v3-protobuf; 404 makes it fall back to JSON
    expect(await status("/v3-protobuf")).toBe(404);
    expect(await status("/nope")).toBe(404);
    expect((await fetch(`${server.url}/v2/pipeline`)).status).toBe(405);
  });

  it("round-trips every value type with positional args (incl. int64 beyond 2^53 and blobs)", async () => {
    await client.execute(
      "CREATE TABLE vals (id INTEGER PRIMARY KEY, i INTEGER, big INTEGER, neg INTEGER, f REAL, t TEXT, b BLOB, n TEXT)",
    );
    const big = 2n ** 53n + 1n; // not representable as a JS number
    const min = -(2n ** 63n);
    const blob = new Uint8Array([0, 1, 2, 127, 128, 254, 255]);
    const text = "héllo ✓ 'quoted' \"dq\" 😀";
    const ins = await client.execute({
      sql: "INSERT INTO vals (i, big, neg, f, t, b, n) VALUES (?, ?, ?, ?, ?, ?, ?)",
      args: [7, big, min, 3.25, text, blob, null],
    });
    expect(ins.rowsAffected).toBe(1);
    expect(ins.lastInsertRowid).toBe(1n);
    expect(ins.rows).toEqual([]);

    const rs = await client.execute(
      "SELECT i, big, neg, f, t, b, n, typeof(i), typeof(f), typeof(b), typeof(n) FROM vals",
    );
    expect(rs.columns).toEqual([
      "i",
      "big",
      "neg",
      "f",
      "t",
      "b",
      "n",
      "typeof(i)",
      "typeof(f)",
      "typeof(b)",
      "typeof(n)",
    ]);
    expect(rs.columnTypes).toEqual(["INTEGER", "INTEGER", "INTEGER", "REAL", "TEXT", "BLOB", "TEXT", "", "", "", ""]);
    expect(rs.rowsAffected).toBe(0);
    const row = rs.rows[0];
    expect(row).toBeDefined();
    expect(row?.["i"]).toBe(7n);
    expect(row?.["big"]).toBe(big);
    expect(row?.["neg"]).toBe(min);
    expect(row?.["f"]).toBe(3.25);
    expect(row?.["t"]).toBe(text);
    expect(row?.["n"]).toBeNull();
    const b = row?.["b"];
    expect(b).toBeInstanceOf(ArrayBuffer);
    expect(Array.from(new Uint8Array(b as ArrayBuffer))).toEqual(Array.from(blob));
    expect([row?.["typeof(i)"], row?.["typeof(f)"], row?.["typeof(b)"], row?.["typeof(n)"]]).toEqual([
      "integer",
      "real",
      "blob",
      "null",
    ]);

    // BigInt arguments are bound as exact integers (no float rounding)
    const eq = await client.execute({
      sql: "SELECT count(*) AS c FROM vals WHERE big = ? AND big != ?",
      args: [big, big - 1n],
    });
    expect(eq.rows[0]?.["c"]).toBe(1n);
  });

  it("binds named args with and without their :/@/$ prefix, and rejects mismatched args", async () => {
    const rs = await client.execute({
      sql: "SELECT :a AS a, @b AS b, $c AS c, :a || '!' AS again, ?4 AS d",
      args: { a: "x", "@b": 2n, $c: 1.5, "4": "four" },
    });
    expect(rs.rows[0]?.["a"]).toBe("x");
    expect(rs.rows[0]?.["b"]).toBe(2n);
    expect(rs.rows[0]?.["c"]).toBe(1.5);
    expect(rs.rows[0]?.["again"]).toBe("x!");

    const missing = await rejection(client.execute({ sql: "SELECT :a, :b", args: { a: 1 } }));
    expect(missing).toBeInstanceOf(LibsqlError);
    expect((missing as LibsqlError).code).toBe("ARGS_INVALID");
    expect((missing as LibsqlError).message).toContain(":b");

    const tooMany = await rejection(client.execute({ sql: "SELECT ?", args: [1, 2] }));
    expect((tooMany as LibsqlError).code).toBe("ARGS_INVALID");
  });

  it("reports affected rows / last insert rowid like sqld and handles statements without rows", async () => {
    const ddl = await client.execute("CREATE TABLE counters (id INTEGER PRIMARY KEY, name TEXT, n INTEGER DEFAULT 0)");
    expect(ddl.columns).toEqual([]);
    expect(ddl.rows).toEqual([]);
    expect(ddl.rowsAffected).toBe(0);

    await client.execute("INSERT INTO counters (name) VALUES ('a'), ('b'), ('c')");
    const upd = await client.execute("UPDATE counters SET n = n + 1 WHERE name IN ('a', 'b')");
    expect(upd.rowsAffected).toBe(2);
    expect(upd.lastInsertRowid).toBeUndefined(); // only INSERTs report it

    const ret = await client.execute({ sql: "INSERT INTO counters (name) VALUES (?) RETURNING id, name", args: ["d"] });
    expect(ret.rows.map((r) => [r["id"], r["name"]])).toEqual([[4n, "d"]]);
    expect(ret.rowsAffected).toBe(1);
    expect(ret.lastInsertRowid).toBe(4n);

    const sel = await client.execute("SELECT count(*) AS c FROM counters");
    expect(sel.rowsAffected).toBe(0);
    expect(sel.rows[0]?.["c"]).toBe(4n);
  });

  it("runs a write batch atomically: a failing statement rolls back the whole batch and the client throws", async () => {
    await client.execute(
      "CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0))",
    );
    const ok = await client.batch(
      [
        { sql: "INSERT INTO accounts (id, balance) VALUES (?, ?)", args: [1, 100] },
        { sql: "INSERT INTO accounts (id, balance) VALUES (?, ?)", args: [2, 50] },
        "SELECT sum(balance) AS total FROM accounts",
      ],
      "write",
    );
    expect(ok).toHaveLength(3);
    expect(ok[0]?.rowsAffected).toBe(1);
    expect(ok[2]?.rows[0]?.["total"]).toBe(150n);

    const err = await rejection(
      client.batch(
        [
          "UPDATE accounts SET balance = balance + 80 WHERE id = 2",
          "UPDATE accounts SET balance = balance - 80 WHERE id = 1",
          "UPDATE accounts SET balance = balance - 200 WHERE id = 1", // violates CHECK
        ],
        "write",
      ),
    );
    expect(err).toBeInstanceOf(LibsqlBatchError);
    expect((err as LibsqlBatchError).statementIndex).toBe(2);
    expect((err as LibsqlBatchError).code).toBe("SQLITE_CONSTRAINT");
    expect((err as LibsqlBatchError).message).toContain("CHECK constraint failed");

    const after = await client.execute("SELECT id, balance FROM accounts ORDER BY id");
    expect(after.rows.map((r) => [r["id"], r["balance"]])).toEqual([
      [1n, 100n],
      [2n, 50n],
    ]);
  });

  it("commits an interactive transaction across requests, isolated from other streams until commit", async () => {
    await client.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)");
    const tx = await client.transaction("write");
    try {
      await tx.execute({ sql: "INSERT INTO notes (body) VALUES (?)", args: ["draft"] });
      const inside = await tx.execute("SELECT count(*) AS c FROM notes");
      expect(inside.rows[0]?.["c"]).toBe(1n);
      // another client (another stream / connection) must not see the uncommitted row
      const outside = await other.execute("SELECT count(*) AS c FROM notes");
      expect(outside.rows[0]?.["c"]).toBe(0);
      await tx.commit();
    } finally {
      tx.close();
    }
    const committed = await other.execute("SELECT body FROM notes");
    expect(committed.rows.map((r) => r["body"])).toEqual(["draft"]);
  });

  it("rolls back an interactive transaction", async () => {
    await client.execute("CREATE TABLE drafts (id INTEGER PRIMARY KEY, body TEXT)");
    const tx = await client.transaction("write");
    await tx.batch(["INSERT INTO drafts (body) VALUES ('one')", "INSERT INTO drafts (body) VALUES ('two')"]);
    expect((await tx.execute("SELECT count(*) AS c FROM drafts")).rows[0]?.["c"]).toBe(2n);
    await tx.rollback();
    expect(tx.closed).toBe(true);
    expect((await client.execute("SELECT count(*) AS c FROM drafts")).rows[0]?.["c"]).toBe(0n);
  });

  it('enforces read-only transactions (client.transaction("read")) and restores writes afterwards', async () => {
    await client.execute("CREATE TABLE ro (v TEXT)");
    await client.execute("INSERT INTO ro VALUES ('seed')");
    const tx = await client.transaction("read");
    try {
      expect((await tx.execute("SELECT count(*) AS c FROM ro")).rows[0]?.["c"]).toBe(1n);
      const err = await rejection(tx.execute("INSERT INTO ro VALUES ('nope')"));
      expect(err).toBeInstanceOf(LibsqlError);
      expect((err as LibsqlError).code).toBe("SQLITE_READONLY");
    } finally {
      tx.close();
    }
    // on a single stream: the restriction ends with the transaction
    const r = await post(server.url, "/v2/pipeline", {
      baton: null,
      requests: [
        exec("BEGIN TRANSACTION READONLY"),
        exec("INSERT INTO ro VALUES ('in-ro-tx')"),
        exec("COMMIT"),
        exec("INSERT INTO ro VALUES ('after')"),
        { type: "close" },
      ],
    });
    expect(errorOf(r, 1)["code"]).toBe("SQLITE_READONLY");
    expect((okResponse(r, 3)["result"] as Json)["affected_row_count"]).toBe(1);
    const rows = await client.execute("SELECT v FROM ro ORDER BY rowid");
    expect(rows.rows.map((x) => x["v"])).toEqual(["seed", "after"]);
  });

  it("makes a concurrent writer wait for an open write transaction instead of failing with SQLITE_BUSY", async () => {
    await client.execute("CREATE TABLE queue (id INTEGER PRIMARY KEY, who TEXT)");
    const tx = await client.transaction("write"); // BEGIN IMMEDIATE: holds the write lock
    await tx.execute("INSERT INTO queue (who) VALUES ('tx')");

    let settled = false;
    const waiting = other.execute("INSERT INTO queue (who) VALUES ('waiter')").finally(() => {
      settled = true;
    });
    await sleep(300);
    expect(settled).toBe(false); // still waiting for the lock (not failed fast)

    await tx.commit();
    const res = await waiting;
    expect(res.rowsAffected).toBe(1);
    const rows = await client.execute("SELECT who FROM queue ORDER BY id");
    expect(rows.rows.map((r) => r["who"])).toEqual(["tx", "waiter"]);
  });

  it("executes multiple statements with executeMultiple (sequence), incl. a trigger body with semicolons", async () => {
    await client.executeMultiple(`
      CREATE TABLE seq_items (x INTEGER);
      CREATE TABLE seq_log (msg TEXT);
      -- a comment; with a semicolon
      CREATE TRIGGER seq_items_ai AFTER INSERT ON seq_items BEGIN
        INSERT INTO seq_log (msg) VALUES ('got ' || new.x || ';');
      END;
      INSERT INTO seq_items VALUES (1); /* ; */ INSERT INTO seq_items VALUES (2);
    `);
    const log = await client.execute("SELECT msg FROM seq_log ORDER BY rowid");
    expect(log.rows.map((r) => r["msg"])).toEqual(["got 1;", "got 2;"]);

    const err = await rejection(
      client.executeMultiple(
        "INSERT INTO seq_items VALUES (3); INSERT INTO missing_table VALUES (4); INSERT INTO seq_items VALUES (5);",
      ),
    );
    expect(err).toBeInstanceOf(LibsqlError);
    expect((err as LibsqlError).message).toContain("no such table: missing_table");
    const items = await client.execute("SELECT x FROM seq_items ORDER BY x");
    expect(items.rows.map((r) => r["x"])).toEqual([1n, 2n, 3n]); // stops at the failing statement
  });

  it("applies migrations with client.migrate (foreign keys off during, on after)", async () => {
    expect(typeof client.migrate).toBe("function");
    const results = await client.migrate([
      "CREATE TABLE mig_parent (id INTEGER PRIMARY KEY)",
      "CREATE TABLE mig_child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES mig_parent(id))",
      "INSERT INTO mig_child (id, parent_id) VALUES (1, 99)", // dangling FK allowed while migrating
      "PRAGMA foreign_keys",
    ]);
    expect(results).toHaveLength(4);
    expect(results[3]?.rows[0]?.["foreign_keys"]).toBe(0n);
    const fk = await client.execute("PRAGMA foreign_keys");
    expect(fk.rows[0]?.["foreign_keys"]).toBe(1n); // libSQL/sqld default: enforced
    const err = await rejection(client.execute("INSERT INTO mig_child (id, parent_id) VALUES (2, 98)"));
    expect((err as LibsqlError).code).toBe("SQLITE_CONSTRAINT");
  });

  it("supports F32_BLOB vectors with libsql_vector_idx, vector_top_k and vector_distance_cos", async () => {
    await client.batch(
      [
        "CREATE TABLE docs (id INTEGER PRIMARY KEY, title TEXT, embedding F32_BLOB(4))",
        "CREATE INDEX docs_embedding_idx ON docs (libsql_vector_idx(embedding))",
        { sql: "INSERT INTO docs (title, embedding) VALUES (?, vector32(?))", args: ["east", "[1, 0, 0, 0]"] },
        { sql: "INSERT INTO docs (title, embedding) VALUES (?, vector32(?))", args: ["north", "[0, 1, 0, 0]"] },
        {
          sql: "INSERT INTO docs (title, embedding) VALUES (?, vector32(?))",
          args: ["north-east", "[0.7, 0.7, 0, 0]"],
        },
        { sql: "INSERT INTO docs (title, embedding) VALUES (?, vector32(?))", args: ["up", "[0, 0, 1, 0]"] },
      ],
      "write",
    );
    const q = "[0.9, 0.1, 0, 0]";
    const top = await client.execute({
      sql: `SELECT d.title, vector_distance_cos(d.embedding, vector32(?)) AS dist
              FROM vector_top_k('docs_embedding_idx', vector32(?), 2) AS k
              JOIN docs d ON d.rowid = k.id
             ORDER BY dist`,
      args: [q, q],
    });
    expect(top.rows.map((r) => r["title"])).toEqual(["east", "north-east"]);
    const dist = top.rows.map((r) => r["dist"] as number);
    // cos distance = 1 - cos(angle): east ≈ 1 - 0.9/|q|, north-east ≈ 1 - 0.8/(|q|·0.99)
    const norm = Math.hypot(0.9, 0.1);
    expect(dist[0]).toBeCloseTo(1 - 0.9 / norm, 4);
    expect(dist[1]).toBeCloseTo(1 - (0.7 * 0.9 + 0.7 * 0.1) / (norm * Math.hypot(0.7, 0.7)), 4);

    const raw = await client.execute("SELECT embedding, vector_extract(embedding) AS v FROM docs WHERE title = 'up'");
    expect((raw.rows[0]!["embedding"] as ArrayBuffer).byteLength).toBe(16); // 4 × float32
    expect(raw.rows[0]?.["v"]).toBe("[0,0,1,0]");
    expect(raw.columnTypes[0]).toBe("F32_BLOB(4)");
  });

  it("rejects bad SQL promptly with a LibsqlError naming the problem", async () => {
    const started = Date.now();
    const missing = await rejection(client.execute("SELECT * FROM no_such_table"));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(missing).toBeInstanceOf(LibsqlError);
    expect((missing as LibsqlError).code).toBe("SQLITE_ERROR");
    expect((missing as LibsqlError).message).toContain("no such table: no_such_table");

    const syntax = await rejection(client.execute("SELEC 1"));
    expect((syntax as LibsqlError).code).toBe("SQLITE_ERROR");
    expect((syntax as LibsqlError).message).toContain('near "SELEC": syntax error');

    await client.execute("CREATE TABLE uniq (id INTEGER PRIMARY KEY)");
    await client.execute("INSERT INTO uniq VALUES (1)");
    const dup = await rejection(client.execute("INSERT INTO uniq VALUES (1)"));
    expect((dup as LibsqlError).code).toBe("SQLITE_CONSTRAINT");
    expect((dup as LibsqlError).message).toContain("UNIQUE constraint failed: uniq.id");

    // like sqld: several statements in one execute are refused rather than half-run
    const many = await rejection(client.execute("INSERT INTO uniq VALUES (2); INSERT INTO uniq VALUES (3)"));
    expect((many as LibsqlError).code).toBe("SQL_MANY_STATEMENTS");
    expect((await client.execute("SELECT count(*) AS c FROM uniq")).rows[0]?.["c"]).toBe(1n);

    const empty = await rejection(client.execute("  -- nothing here\n"));
    expect((empty as LibsqlError).code).toBe("SQL_NO_STATEMENT");
  });

  it("requires the bearer token when authToken is set (401 otherwise)", async () => {
    const authed = await startLibsqlServer({ dbPath: join(dir, "auth.db"), authToken: "s3cret-token" });
    const good = createClient({ url: authed.url, authToken: "s3cret-token" });
    const bad = createClient({ url: authed.url, authToken: "wrong-token" });
    const none = createClient({ url: authed.url });
    try {
      const rs = await good.execute("SELECT 40 + 2 AS answer");
      expect(rs.rows[0]?.["answer"]).toBe(42);

      for (const c of [bad, none]) {
        const err = await rejection(c.execute("SELECT 1"));
        expect(err).toBeInstanceOf(LibsqlError);
        expect((err as LibsqlError).message).toContain("HTTP status 401");
        expect(((err as LibsqlError).cause as { status?: number } | undefined)?.status).toBe(401);
      }
      const raw = await fetch(`${authed.url}/v2/pipeline`, {
        method: "POST",
        body: "{}",
        headers: { authorization: "Bearer nope" },
      });
      expect(raw.status).toBe(401);
      // probes and readiness checks stay open
      expect((await fetch(`${authed.url}/health`)).status).toBe(200);
    } finally {
      good.close();
      bad.close();
      none.close();
      await authed.close();
    }
  });

  it("rotates batons on every response and rejects stale, unknown and closed-stream batons with a JSON 400", async () => {
    const first = await post(server.url, "/v2/pipeline", { baton: null, requests: [exec("SELECT 1 AS one")] });
    expect(first.status).toBe(200);
    const rows = ((okResponse(first, 0)["result"] as Json)["rows"] as unknown[][])[0];
    expect(rows).toEqual([{ type: "integer", value: "1" }]);
    const b1 = first.body["baton"];
    expect(typeof b1).toBe("string");
    expect(first.body["base_url"]).toBeNull();

    const second = await post(server.url, "/v2/pipeline", { baton: b1, requests: [exec("SELECT 2")] });
    expect(second.status).toBe(200);
    const b2 = second.body["baton"];
    expect(typeof b2).toBe("string");
    expect(b2).not.toBe(b1);

    const stale = await post(server.url, "/v2/pipeline", { baton: b1, requests: [exec("SELECT 3")] });
    expect(stale.status).toBe(400);
    expect(stale.contentType).toBe("application/json"); // the client only parses exactly this
    expect(stale.body["code"]).toBe("BATON_REUSED");
    expect(typeof stale.body["message"]).toBe("string");

    const unknown = await post(server.url, "/v2/pipeline", { baton: "not-a-baton", requests: [] });
    expect(unknown.status).toBe(400);
    expect(unknown.body["code"]).toBe("BATON_INVALID");

    // the stale attempt did not break the stream: b2 is still valid
    const closeIt = await post(server.url, "/v2/pipeline", {
      baton: b2,
      requests: [exec("SELECT 4"), { type: "close" }],
    });
    expect(closeIt.status).toBe(200);
    expect(okResponse(closeIt, 1)).toEqual({ type: "close" });
    expect(closeIt.body["baton"]).toBeNull();

    const afterClose = await post(server.url, "/v2/pipeline", { baton: b2, requests: [exec("SELECT 5")] });
    expect(afterClose.status).toBe(400);
    expect(["BATON_INVALID", "BATON_REUSED"]).toContain(afterClose.body["code"]);
  });

  it("answers malformed requests with 400 and oversized bodies with 413", async () => {
    const notJson = await post(server.url, "/v2/pipeline", "{ this is not json");
    expect(notJson.status).toBe(400);
    expect(notJson.contentType).toBe("application/json");
    expect(notJson.body["code"]).toBe("PROTOCOL_ERROR");
    expect(String(notJson.body["message"])).toContain("not valid JSON");

    const badShape = await post(server.url, "/v2/pipeline", { baton: null, requests: "nope" });
    expect(badShape.status).toBe(400);
    const badType = await post(server.url, "/v2/pipeline", { baton: null, requests: [{ type: "frobnicate" }] });
    expect(badType.status).toBe(400);
    expect(String(badType.body["message"])).toContain("frobnicate");
    const badValue = await post(server.url, "/v2/pipeline", {
      baton: null,
      requests: [exec("SELECT ?", { args: [{ type: "integer", value: "99999999999999999999" }] })],
    });
    expect(badValue.status).toBe(400);

    const huge = await fetch(`${server.url}/v2/pipeline`, { method: "POST", body: "x".repeat(10 * 1024 * 1024 + 1) });
    expect(huge.status).toBe(413);

    // a streamed upload without content-length is refused too, once it passes the limit
    let sent = 0;
    const chunk = new Uint8Array(256 * 1024).fill(0x20);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 24 * 1024 * 1024) controller.close();
        else {
          sent += chunk.length;
          controller.enqueue(chunk);
        }
      },
    });
    const streamed = await fetch(`${server.url}/v2/pipeline`, {
      method: "POST",
      body,
      duplex: "half",
    } as RequestInit & { duplex: "half" });
    expect(streamed.status).toBe(413);
    expect(await streamed.text()).toContain("exceeds 10485760 bytes");

    // the server is still healthy afterwards
    const ok = await post(server.url, "/v2/pipeline", { baton: null, requests: [exec("SELECT 1"), { type: "close" }] });
    expect(ok.status).toBe(200);
  });

  it("evaluates every batch condition kind and get_autocommit over /v3/pipeline", async () => {
    const cond = {
      ok: (step: number) => ({ type: "ok", step }),
      error: (step: number) => ({ type: "error", step }),
    };
    const steps = [
      { stmt: { sql: "SELECT 1" } }, // 0 ok
      { stmt: { sql: "SELECT * FROM nope_table" } }, // 1 error
      { condition: cond.error(1), stmt: { sql: "SELECT 2" } }, // 2 runs
      { condition: cond.ok(1), stmt: { sql: "SELECT 3" } }, // 3 skipped
      { condition: { type: "and", conds: [cond.ok(0), cond.error(1)] }, stmt: { sql: "SELECT 4" } }, // 4 runs
      { condition: { type: "or", conds: [cond.ok(1), cond.ok(3)] }, stmt: { sql: "SELECT 5" } }, // 5 skipped
      { condition: cond.error(3), stmt: { sql: "SELECT 6" } }, // 6 skipped: a skipped step is not an error
      { condition: { type: "not", cond: cond.ok(3) }, stmt: { sql: "SELECT 7" } }, // 7 runs
      { condition: { type: "is_autocommit" }, stmt: { sql: "BEGIN" } }, // 8 runs
      { condition: { type: "is_autocommit" }, stmt: { sql: "SELECT 9" } }, // 9 skipped (inside BEGIN)
      { condition: { type: "not", cond: { type: "is_autocommit" } }, stmt: { sql: "SELECT 10" } }, // 10 runs
    ];
    const r = await post(server.url, "/v3/pipeline", {
      baton: null,
      requests: [
        { type: "get_autocommit" },
        { type: "batch", batch: { steps } },
        { type: "get_autocommit" },
        exec("ROLLBACK"),
        { type: "get_autocommit" },
        { type: "close" },
      ],
    });
    expect(r.status).toBe(200);
    expect(okResponse(r, 0)).toEqual({ type: "get_autocommit", is_autocommit: true });
    const result = okResponse(r, 1)["result"] as Json;
    const stepResults = result["step_results"] as Array<Json | null>;
    const stepErrors = result["step_errors"] as Array<Json | null>;
    const ran = stepResults.map((s) => s !== null);
    expect(ran).toEqual([true, false, true, false, true, false, false, true, true, false, true]);
    expect(stepErrors.map((e) => e !== null)).toEqual([
      false,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(stepErrors[1]).toMatchObject({ code: "SQLITE_ERROR" });
    expect(String(stepErrors[1]?.["message"])).toContain("no such table: nope_table");
    expect(stepResults[10]?.["rows"]).toEqual([[{ type: "integer", value: "10" }]]);
    expect(okResponse(r, 2)).toEqual({ type: "get_autocommit", is_autocommit: false });
    expect(okResponse(r, 4)).toEqual({ type: "get_autocommit", is_autocommit: true });
    expect(r.body["baton"]).toBeNull();

    // a condition may only refer to an earlier step
    const bad = await post(server.url, "/v3/pipeline", {
      baton: null,
      requests: [{ type: "batch", batch: { steps: [{ condition: cond.ok(0), stmt: { sql: "SELECT 1" } }] } }],
    });
    expect(bad.status).toBe(400);
  });

  it("supports store_sql / close_sql / describe / want_rows / sequence on a stream", async () => {
    const r = await post(server.url, "/v3/pipeline", {
      baton: null,
      requests: [
        { type: "store_sql", sql_id: 7, sql: "SELECT ? AS x, :name AS y" },
        {
          type: "execute",
          stmt: {
            sql_id: 7,
            args: [{ type: "float", value: 2.5 }],
            named_args: [{ name: "name", value: { type: "text", value: "n" } }],
          },
        },
        { type: "describe", sql_id: 7 },
        { type: "execute", stmt: { sql: "SELECT 1 UNION ALL SELECT 2", want_rows: false } },
        { type: "close_sql", sql_id: 7 },
        { type: "execute", stmt: { sql_id: 7 } },
        { type: "sequence", sql: "CREATE TABLE seq2 (a); INSERT INTO seq2 VALUES (1); INSERT INTO seq2 VALUES (2)" },
        exec("SELECT sum(a) AS s FROM seq2"),
        { type: "close" },
      ],
    });
    expect(r.status).toBe(200);
    const first = okResponse(r, 1)["result"] as Json;
    expect(first["cols"]).toEqual([
      { name: "x", decltype: null },
      { name: "y", decltype: null },
    ]);
    expect(first["rows"]).toEqual([
      [
        { type: "float", value: 2.5 },
        { type: "text", value: "n" },
      ],
    ]);
    expect(okResponse(r, 2)["result"]).toEqual({
      params: [{ name: null }, { name: ":name" }],
      cols: [
        { name: "x", decltype: null },
        { name: "y", decltype: null },
      ],
      is_explain: false,
      is_readonly: true,
    });
    const noRows = okResponse(r, 3)["result"] as Json;
    expect(noRows["rows"]).toEqual([]);
    expect(noRows["cols"]).toEqual([{ name: "1", decltype: null }]);
    expect(okResponse(r, 4)).toEqual({ type: "close_sql" });
    expect(errorOf(r, 5)["code"]).toBe("SQL_NOT_FOUND");
    expect(okResponse(r, 6)).toEqual({ type: "sequence" });
    expect((okResponse(r, 7)["result"] as Json)["rows"]).toEqual([[{ type: "integer", value: "3" }]]);
  });

  it("streams batches through /v3/cursor as NDJSON and keeps the stream usable afterwards", async () => {
    const res = await fetch(`${server.url}/v3/cursor`, {
      method: "POST",
      body: JSON.stringify({
        baton: null,
        batch: {
          steps: [
            { stmt: { sql: "CREATE TABLE cur (id INTEGER PRIMARY KEY, v TEXT)" } },
            { stmt: { sql: "INSERT INTO cur (v) VALUES ('a'), ('b'), ('c')" } },
            { stmt: { sql: "SELECT id, v FROM cur ORDER BY id" } },
            { stmt: { sql: "SELECT * FROM nope_cursor" } },
            { condition: { type: "ok", step: 3 }, stmt: { sql: "SELECT 'skipped'" } },
          ],
        },
      }),
    });
    expect(res.status).toBe(200);
    const lines = (await res.text()).split("\n");
    expect(lines.pop()).toBe(""); // newline-terminated
    const [head, ...entries] = lines.map((l) => JSON.parse(l) as Json);
    expect(typeof head?.["baton"]).toBe("string");
    expect(head?.["base_url"]).toBeNull();
    expect(entries.map((e) => e["type"])).toEqual([
      "step_begin",
      "step_end", // 0
      "step_begin",
      "step_end", // 1
      "step_begin",
      "row",
      "row",
      "row",
      "step_end", // 2
      "step_error", // 3 (4 skipped: no entries)
    ]);
    expect(entries[3]).toEqual({ type: "step_end", affected_row_count: 3, last_insert_rowid: "3" });
    expect(entries[4]).toMatchObject({
      type: "step_begin",
      step: 2,
      cols: [
        { name: "id", decltype: "INTEGER" },
        { name: "v", decltype: "TEXT" },
      ],
    });
    expect(entries[5]).toEqual({
      type: "row",
      row: [
        { type: "integer", value: "1" },
        { type: "text", value: "a" },
      ],
    });
    expect(entries[9]).toMatchObject({ type: "step_error", step: 3, error: { code: "SQLITE_ERROR" } });

    const next = await post(server.url, "/v3/pipeline", {
      baton: head?.["baton"],
      requests: [exec("SELECT count(*) FROM cur"), { type: "close" }],
    });
    expect(next.status).toBe(200);
    expect((okResponse(next, 0)["result"] as Json)["rows"]).toEqual([[{ type: "integer", value: "3" }]]);
  });

  it("expires idle streams after ~10 s, rolling back their transactions; the client surfaces STREAM_EXPIRED", async () => {
    await client.execute("CREATE TABLE expiring (id INTEGER PRIMARY KEY, v TEXT)");
    // raw stream holding the write lock with an uncommitted row
    const open = await post(server.url, "/v2/pipeline", {
      baton: null,
      requests: [exec("BEGIN IMMEDIATE"), exec("INSERT INTO expiring (v) VALUES ('raw')")],
    });
    expect(open.status).toBe(200);
    // and an official-client interactive transaction that goes idle
    const tx = await client.transaction("deferred");
    await tx.execute("SELECT count(*) FROM expiring");

    await sleep(11_500);

    const late = await post(server.url, "/v2/pipeline", { baton: open.body["baton"], requests: [exec("COMMIT")] });
    expect(late.status).toBe(400);
    expect(late.body["code"]).toBe("STREAM_EXPIRED");

    const err = await rejection(tx.execute("SELECT 1"));
    expect(err).toBeInstanceOf(LibsqlError);
    expect((err as LibsqlError).code).toBe("STREAM_EXPIRED");
    tx.close();

    // the uncommitted row was rolled back and the write lock released
    expect((await other.execute("SELECT count(*) AS c FROM expiring")).rows[0]?.["c"]).toBe(0);
    const write = await other.execute("INSERT INTO expiring (v) VALUES ('after')");
    expect(write.rowsAffected).toBe(1);
    expect(logs.some((l) => l.includes("expired") && l.includes("rolled back"))).toBe(true);
  }, 25_000);

  it("close() stops the server, drops keep-alive sockets and rolls back open transactions", async () => {
    const path = join(dir, "closing.db");
    const s = await startLibsqlServer({ dbPath: path });
    const c = createClient({ url: s.url });
    await c.execute("CREATE TABLE t (v TEXT)");
    const tx = await c.transaction("write");
    await tx.execute("INSERT INTO t VALUES ('uncommitted')");

    await s.close();
    await s.close(); // idempotent

    const err = await rejection(fetch(`${s.url}/health`));
    expect(err).toBeInstanceOf(Error);
    tx.close();
    c.close();

    const db = new Database(path);
    try {
      const rows = db.prepare("SELECT count(*) AS c FROM t").all() as Array<{ c: number }>;
      expect(rows[0]?.c).toBe(0);
    } finally {
      db.close();
    }
  });
});
