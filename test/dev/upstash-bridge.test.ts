import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import path from "node:path";
import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { RedisNotInstalledError, startRedisServer } from "../../dev/redis-server.ts";
import type { RunningService } from "../../dev/redis-server.ts";
import { startUpstashBridge } from "../../dev/upstash-bridge.ts";

const TOKEN = "local-test-token";

type Bridge = RunningService & { redisHealthy(): Promise<boolean> };
type RedisService = RunningService & { pid: number };

let redisSrv: RedisService;
let bridge: Bridge;
/** Default client config: base64 response encoding + auto-pipelining (commands go to /pipeline). */
let redis: Redis;
/** `responseEncoding: false` (plain JSON strings). */
let plain: Redis;
/** `enableAutoPipelining: false`: every command is its own `POST /` (HTTP 400 on Redis errors). */
let direct: Redis;
/** Plain encoding and no auto-pipelining. */
let directPlain: Redis;
const allClients = (): [string, Redis][] => [
  ["default", redis],
  ["plain", plain],
  ["direct", direct],
  ["direct+plain", directPlain],
];

let keySeq = 0;
const key = (label: string): string => `t:${process.pid}:${++keySeq}:${label}`;
const sha1 = (s: string): string => createHash("sha1").update(s).digest("hex");

function client(
  url: string,
  token: string,
  extra: { responseEncoding?: false; enableAutoPipelining?: boolean } = {},
): Redis {
  return new Redis({ url, token, retry: false, enableTelemetry: false, ...extra });
}

async function raw(
  p: string,
  init: {
    method?: string;
    body?: string | Uint8Array<ArrayBuffer>;
    headers?: Record<string, string>;
    auth?: boolean;
  } = {},
): Promise<{ status: number; text: string; json: unknown }> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.auth !== false) headers.authorization = `Bearer ${TOKEN}`;
  const res = await fetch(bridge.url + p, { method: init.method ?? "GET", body: init.body, headers });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

/** True if `pid` is running (a zombie waiting to be reaped counts as dead). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return true; // no procfs (macOS): trust kill(0)
  }
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

/** Sleep past a window boundary if we're close to one, so N concurrent calls land in one window. */
async function avoidWindowEdge(windowMs: number): Promise<void> {
  const into = Date.now() % windowMs;
  if (into > windowMs - 3_000) await new Promise((r) => setTimeout(r, windowMs - into + 50));
}

beforeAll(async () => {
  redisSrv = await startRedisServer();
  bridge = await startUpstashBridge({ redisUrl: redisSrv.url, token: TOKEN });
  redis = client(bridge.url, TOKEN);
  plain = client(bridge.url, TOKEN, { responseEncoding: false });
  direct = client(bridge.url, TOKEN, { enableAutoPipelining: false });
  directPlain = client(bridge.url, TOKEN, { responseEncoding: false, enableAutoPipelining: false });
});

afterAll(async () => {
  await bridge?.close();
  await redisSrv?.close();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("redis-server launcher", () => {
  it("runs a private redis on its own port and stops it on close()", async () => {
    expect(redisSrv.port).not.toBe(6379);
    expect(redisSrv.url).toBe(`redis://127.0.0.1:${redisSrv.port}`);
    expect(isAlive(redisSrv.pid)).toBe(true);

    const extra = await startRedisServer();
    expect(extra.port).not.toBe(redisSrv.port);
    expect(isAlive(extra.pid)).toBe(true);
    await extra.close();
    expect(isAlive(extra.pid)).toBe(false);
    await extra.close(); // idempotent
  });

  it("has a one-line install hint when redis-server is missing", () => {
    const msg = new RedisNotInstalledError().message;
    expect(msg).toContain("redis-server");
    expect(msg).toContain("apt-get install -y redis-server");
    expect(msg).toContain("brew install redis");
    expect(msg).not.toContain("\n");
  });

  it("fails with redis' own output when the port is taken", async () => {
    await expect(startRedisServer({ port: redisSrv.port })).rejects.toThrow(/address already in use/i);
  });

  it.each(["exit", "SIGKILL"] as const)("does not let redis outlive a parent that dies via %s", async (how) => {
    const modUrl = pathToFileURL(path.resolve("dev/redis-server.ts")).href;
    const code = `
      const { startRedisServer } = await import(${JSON.stringify(modUrl)});
      const r = await startRedisServer();
      console.log("PID " + r.pid);
      ${how === "exit" ? "setTimeout(() => process.exit(0), 100);" : "setInterval(() => {}, 1000);"}
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", code], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const redisPid = await new Promise<number>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /PID (\d+)/.exec(out);
        if (m?.[1] !== undefined) resolve(Number(m[1]));
      });
      child.on("exit", (c) => reject(new Error(`parent exited early (${String(c)}): ${out}`)));
    });
    expect(isAlive(redisPid)).toBe(true);
    if (how === "SIGKILL") child.kill("SIGKILL");
    expect(await waitFor(() => !isAlive(redisPid), 5_000)).toBe(true);
  });
});

describe("@upstash/redis through the bridge", () => {
  it("round-trips unicode strings exactly in both response encodings", async () => {
    const k = key("unicode");
    const value = "h\u00e9llo \u{1F30D} \u2713 \u65E5\u672C\u8A9E \u0000 end";
    for (const [name, c] of allClients()) {
      const ck = `${k}:${name}`;
      expect(await c.set(ck, value), name).toBe("OK");
      for (const [other, reader] of allClients()) expect(await reader.get(ck), `${name}->${other}`).toBe(value);
    }
    await redis.set(k, value);

    const b64 = await raw(`/get/${encodeURIComponent(k)}`, { headers: { "Upstash-Encoding": "base64" } });
    expect(b64.json).toEqual({ result: Buffer.from(value, "utf8").toString("base64") });
    const txt = await raw(`/get/${encodeURIComponent(k)}`);
    expect(txt.json).toEqual({ result: value });
  });

  it("keeps binary values intact (raw POST body, base64 response)", async () => {
    const k = key("bin");
    const bytes = new Uint8Array([0, 255, 128, 10, 13, 0xc3, 0x28]); // invalid UTF-8 on purpose
    const set = await raw(`/set/${encodeURIComponent(k)}?EX=100`, { method: "POST", body: bytes });
    expect(set.json).toEqual({ result: "OK" });
    const got = await raw(`/get/${encodeURIComponent(k)}`, { headers: { "Upstash-Encoding": "base64" } });
    expect(got.json).toEqual({ result: Buffer.from(bytes).toString("base64") });
    const ttl = await raw(`/ttl/${encodeURIComponent(k)}`);
    expect(ttl.json).toEqual({ result: 100 });
  });

  it("status replies: top-level OK verbatim, other strings base64, nested OK encoded", async () => {
    const ok = await raw("/", {
      method: "POST",
      body: JSON.stringify(["SET", key("ok"), "x"]),
      headers: { "Upstash-Encoding": "base64" },
    });
    expect(ok.text).toBe('{"result":"OK"}');
    const pong = await raw("/ping", { headers: { "Upstash-Encoding": "base64" } });
    expect(pong.json).toEqual({ result: Buffer.from("PONG").toString("base64") });
    expect(await redis.ping()).toBe("PONG");
    const nested = await raw("/", {
      method: "POST",
      body: JSON.stringify(["EVAL", "return {redis.status_reply('OK'), 'a', {'OK', 7}}", 0]),
      headers: { "Upstash-Encoding": "base64" },
    });
    expect(nested.json).toEqual({ result: ["T0s=", "YQ==", ["T0s=", 7]] });
    expect(await redis.eval("return {redis.status_reply('OK'), 'a', {'OK', 7}}", [], [])).toEqual([
      "OK",
      "a",
      ["OK", 7],
    ]);
  });

  it("auto-deserializes JSON objects", async () => {
    const k = key("json");
    const obj = { name: "Z\u00fcrich", n: 42, nested: { list: [1, "two", null], ok: true } };
    await redis.set(k, obj);
    for (const [name, c] of allClients()) expect(await c.get(k), name).toEqual(obj);
    const stored = await raw(`/get/${encodeURIComponent(k)}`);
    expect(stored.json).toEqual({ result: JSON.stringify(obj) });
  });

  it("incr returns numbers and integers are passed through verbatim", async () => {
    const k = key("ctr");
    expect(await redis.incr(k)).toBe(1);
    expect(await redis.incrby(k, 41)).toBe(42);
    expect(await plain.decr(k)).toBe(41);
    expect(await direct.incr(k)).toBe(42);
    expect(await directPlain.incr(k)).toBe(43);
    const big = key("big");
    await raw(`/set/${encodeURIComponent(big)}/9007199254740993`);
    const r = await raw(`/incr/${encodeURIComponent(big)}`, { headers: { "Upstash-Encoding": "base64" } });
    expect(r.text).toBe('{"result":9007199254740994}');
  });

  it("hset / hgetall (numbers, booleans and objects as field values)", async () => {
    const k = key("hash");
    expect(await redis.hset(k, { name: "\u00fcn\u00ef", n: 42, flag: true, obj: { x: 1 } })).toBe(4);
    expect(await redis.hgetall(k)).toEqual({ name: "\u00fcn\u00ef", n: 42, flag: true, obj: { x: 1 } });
    for (const [name, c] of allClients()) {
      expect(await c.hgetall(k), name).toEqual({ name: "\u00fcn\u00ef", n: 42, flag: true, obj: { x: 1 } });
      expect(await c.hget(k, "missing"), name).toBeNull();
      expect(await c.hget(k, "name"), name).toBe("\u00fcn\u00ef");
    }
    const flat = await raw(`/hgetall/${encodeURIComponent(k)}`);
    expect(flat.json).toEqual({ result: ["name", "\u00fcn\u00ef", "n", "42", "flag", "true", "obj", '{"x":1}'] });
  });

  it("lists", async () => {
    const k = key("list");
    expect(await redis.rpush(k, "a", "b", "\u00e7")).toBe(3);
    expect(await redis.lpush(k, "z")).toBe(4);
    expect(await redis.lrange(k, 0, -1)).toEqual(["z", "a", "b", "\u00e7"]);
    expect(await plain.lrange(k, 1, 2)).toEqual(["a", "b"]);
    expect(await redis.lpop(k)).toBe("z");
    expect(await redis.llen(k)).toBe(3);
  });

  it("sets, sorted sets and nested array replies", async () => {
    const k = key("set");
    expect(await redis.sadd(k, "x", "y", "\u00df")).toBe(3);
    expect((await redis.smembers(k)).sort()).toEqual(["x", "y", "\u00df"].sort());
    const [cursor, members] = await redis.sscan(k, 0);
    expect(String(cursor)).toBe("0");
    expect([...members].sort()).toEqual(["x", "y", "\u00df"].sort());

    const z = key("zset");
    await redis.zadd(z, { score: 1.5, member: "one" }, { score: 3, member: "three" });
    expect(await redis.zrange(z, 0, -1, { withScores: true })).toEqual(["one", 1.5, "three", 3]);
    expect(await redis.zscore(z, "one")).toBe(1.5);

    for (const [name, c] of allClients()) {
      const nested = await c.eval("return {1, 'a\u00e9', {2, {'deep', 3}}, false}", [], []);
      expect(nested, name).toEqual([1, "a\u00e9", [2, ["deep", 3]], null]);
    }
  });

  it("null results", async () => {
    const present = key("present");
    await redis.set(present, "here");
    for (const [name, c] of allClients()) {
      expect(await c.get(key("missing")), name).toBeNull();
      expect(await c.mget(present, key("missing")), name).toEqual(["here", null]);
    }
    expect(await redis.lpop(key("empty-list"))).toBeNull();
    const r = await raw(`/get/${encodeURIComponent(key("missing"))}`, { headers: { "Upstash-Encoding": "base64" } });
    expect(r.text).toBe('{"result":null}');
  });

  it("pipeline: one failing command does not fail the others", async () => {
    const a = key("pa");
    const b = key("pb");
    const build = (): ReturnType<Redis["pipeline"]> =>
      redis.pipeline().set(a, "str").incr(a).set(b, { v: 1 }).get(b).incr(key("pc"));

    await expect(build().exec()).rejects.toThrow(/Command 2 \[ incr \] failed: ERR value is not an integer/);
    const res = await build().exec({ keepErrors: true });
    expect(res.map((r) => r.error)).toEqual([
      undefined,
      "ERR value is not an integer or out of range",
      undefined,
      undefined,
      undefined,
    ]);
    expect(res[0]?.result).toBe("OK");
    expect(res[3]?.result).toEqual({ v: 1 });
    expect(res[4]?.result).toBe(1);

    const http = await raw("/pipeline", {
      method: "POST",
      body: JSON.stringify([
        ["SET", a, "1"],
        ["HGET", a, "f"],
        ["INCR", a],
        ["SUBSCRIBE", "ch"],
      ]),
    });
    expect(http.status).toBe(200);
    expect(http.json).toEqual([
      { result: "OK" },
      { error: expect.stringMatching(/^WRONGTYPE/) },
      { result: 2 },
      { error: expect.stringMatching(/not available/) },
    ]);
  });

  it("multi: runtime error in one command, the rest still executes", async () => {
    const k = key("mk");
    const after = key("mafter");
    const build = (): ReturnType<Redis["multi"]> => redis.multi().set(k, "v").incr(k).set(after, "done").get(after);
    await expect(build().exec()).rejects.toThrow(/Command 2 \[ incr \] failed/);
    const res = await build().exec({ keepErrors: true });
    expect(res.map((r) => r.error)).toEqual([
      undefined,
      "ERR value is not an integer or out of range",
      undefined,
      undefined,
    ]);
    expect(res[3]?.result).toBe("done");
  });

  it("multi: queue-time error discards the whole transaction", async () => {
    const k = key("discard");
    const r = await raw("/multi-exec", {
      method: "POST",
      body: JSON.stringify([["SET", k, "1"], ["NOSUCHCMD"], ["INCR", k]]),
    });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: expect.stringMatching(/^EXECABORT/) });
    expect(await redis.get(k)).toBeNull();
  });

  it("multi: transactions are atomic under concurrency", async () => {
    const k = key("atomic");
    const results = await Promise.all(Array.from({ length: 40 }, () => redis.multi().incr(k).incr(k).incr(k).exec()));
    for (const [x, y, z] of results) {
      expect(y).toBe((x as number) + 1);
      expect(z).toBe((x as number) + 2);
    }
    expect(await redis.get(k)).toBe(120);
  });

  it("eval / evalsha / script load / NOSCRIPT", async () => {
    const script = "return {KEYS[1], ARGV[1], tonumber(ARGV[2]) * 2}";
    expect(await redis.eval(script, ["k1"], ["v1", 21])).toEqual(["k1", "v1", 42]);
    const sha = await redis.scriptLoad(script);
    expect(sha).toBe(sha1(script));
    expect(await redis.evalsha(sha, ["k2"], ["v2", 1])).toEqual(["k2", "v2", 2]);
    expect(await redis.scriptExists(sha)).toEqual([1]);

    await redis.scriptFlush();
    await expect(redis.evalsha(sha, ["k"], ["v", 1])).rejects.toThrow(/NOSCRIPT/);
    await expect(redis.eval("return redis.call('INCR', KEYS[1])", [key("s")], [])).resolves.toBe(1);
    for (const [name, c] of allClients()) {
      await expect(c.eval("return redis.error_reply('MYERR nope')", [], []), name).rejects.toThrow(/MYERR nope/);
    }
  });

  it("Upstash-only shebang flags: stripped for Redis, original SHA1 still works", async () => {
    const script = "#!lua flags=allow-key-locking\nreturn ARGV[1] .. '!'";
    await expect(redis.eval(script, [], ["hi"])).resolves.toBe("hi!");
    const sha = await redis.scriptLoad(script);
    expect(sha).toBe(sha1(script));
    expect(await redis.evalsha(sha, [], ["yo"])).toBe("yo!");
    expect(await redis.scriptExists(sha)).toEqual([1]);
    const noWrites = "#!lua flags=allow-key-locking,no-writes\nreturn redis.call('SET', KEYS[1], 'x')";
    await expect(redis.eval(noWrites, [key("nw")], [])).rejects.toThrow(/Write commands are not allowed/);
  });

  it("ratelimit falls back from EVALSHA to EVAL on NOSCRIPT, then hits EVALSHA", async () => {
    await redis.scriptFlush();
    const limiter = new Ratelimit({
      redis,
      limiter: Ratelimit.fixedWindow(100, "60 s"),
      prefix: key("rl-noscript"),
      ephemeralCache: false,
      timeout: 0,
    });
    const spy = vi.spyOn(globalThis, "fetch");
    // Command names sent over HTTP, whether as one command or inside an auto-pipeline batch.
    const sent = (): string[] =>
      spy.mock.calls.flatMap((c) => {
        const init = c[1];
        const body = typeof init?.body === "string" ? (JSON.parse(init.body) as unknown[]) : [];
        const cmds = Array.isArray(body[0]) ? (body as unknown[][]) : [body];
        return cmds.map((cmd) => String(cmd[0]).toLowerCase());
      });

    const first = await limiter.limit("user");
    expect(first.success).toBe(true);
    expect(sent()).toEqual(["evalsha", "eval"]);
    spy.mockClear();
    const second = await limiter.limit("user");
    expect(second.success).toBe(true);
    expect(second.remaining).toBe(98);
    expect(sent()).toEqual(["evalsha"]);
  });

  it("Redis errors surface as thrown errors (HTTP 400 + {error})", async () => {
    const k = key("wrongtype");
    await redis.set(k, "text");
    for (const [name, c] of allClients()) {
      await expect(c.incr(k), name).rejects.toThrow(/ERR value is not an integer or out of range/);
      await expect(c.lpush(k, "x"), name).rejects.toThrow(/WRONGTYPE/);
    }
    const single = await raw("/", { method: "POST", body: JSON.stringify(["INCR", k]) });
    expect(single.status).toBe(400);
    expect(single.json).toEqual({ error: "ERR value is not an integer or out of range" });
    const r = await raw("/", { method: "POST", body: JSON.stringify(["GET"]) });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: expect.stringMatching(/^ERR wrong number of arguments/) });
  });

  it("rejects a wrong or missing token with 401", async () => {
    await expect(client(bridge.url, "wrong-token").get(key("x"))).rejects.toThrow(/Unauthorized/);
    await expect(client(bridge.url, "wrong-token", { enableAutoPipelining: false }).set(key("x"), 1)).rejects.toThrow(
      /Unauthorized/,
    );
    const missing = await raw("/get/foo", { auth: false });
    expect(missing.status).toBe(401);
    expect(missing.json).toEqual({ error: expect.any(String) });
    const wrong = await raw("/get/foo", { auth: false, headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    const viaQuery = await raw(`/set/${encodeURIComponent(key("q"))}/v?_token=${encodeURIComponent(TOKEN)}`, {
      auth: false,
    });
    expect(viaQuery.status).toBe(200);
    expect(viaQuery.json).toEqual({ result: "OK" });
  });

  it("malformed requests: bad JSON, wrong shapes, bad method, oversized body", async () => {
    const bad = await raw("/", { method: "POST", body: '["SET", "k"' });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ error: expect.stringMatching(/^ERR failed to parse command/) });
    expect((await raw("/", { method: "POST", body: '{"cmd":"GET"}' })).status).toBe(400);
    expect((await raw("/", { method: "POST", body: '["SET","k",{"a":1}]' })).status).toBe(400);
    expect((await raw("/pipeline", { method: "POST", body: '["GET","k"]' })).status).toBe(400);
    expect((await raw("/multi-exec", { method: "POST", body: "[]" })).status).toBe(400);
    expect((await raw("/get/k", { method: "DELETE" })).status).toBe(405);
    const huge = await raw("/", { method: "POST", body: JSON.stringify(["SET", "k", "x".repeat(11 * 1024 * 1024)]) });
    expect(huge.status).toBe(413);
    expect(huge.json).toEqual({ error: expect.stringMatching(/limit/) });
  });

  it("refuses subscribe / monitor / blocking / connection-state commands with a clear 400", async () => {
    for (const cmd of [
      ["SUBSCRIBE", "ch"],
      ["MONITOR"],
      ["BLPOP", "l", "0"],
      ["SELECT", "1"],
      ["MULTI"],
      ["CLIENT", "REPLY", "OFF"],
    ]) {
      const r = await raw("/", { method: "POST", body: JSON.stringify(cmd) });
      expect(r.status, cmd.join(" ")).toBe(400);
      expect(r.json).toEqual({ error: expect.stringMatching(/not available/) });
    }
    expect((await raw("/monitor", { method: "POST" })).status).toBe(400);
    expect(await redis.ping()).toBe("PONG"); // shared connection still fine
  });

  it("path-style commands, args from numbers and booleans", async () => {
    const k = key("path");
    expect((await raw(`/set/${encodeURIComponent(k)}/hello%20world/EX/100`)).json).toEqual({ result: "OK" });
    expect((await raw(`/get/${encodeURIComponent(k)}`)).json).toEqual({ result: "hello world" });
    expect((await raw(`/get/${encodeURIComponent(k)}`, { method: "POST" })).json).toEqual({ result: "hello world" });
    const n = key("num");
    expect((await raw("/", { method: "POST", body: JSON.stringify(["SET", n, 1.5]) })).json).toEqual({ result: "OK" });
    expect((await raw("/", { method: "POST", body: JSON.stringify(["INCRBYFLOAT", n, 2]) })).json).toEqual({
      result: "3.5",
    });
    const b = key("bool");
    await raw("/", { method: "POST", body: JSON.stringify(["SET", b, false]) });
    expect(await redis.get(b)).toBe(false);
  });

  it("handles many concurrent requests", async () => {
    const k = key("conc");
    const ops = Array.from({ length: 300 }, (_, i) =>
      i % 3 === 0 ? redis.incr(k) : i % 3 === 1 ? plain.get(key("nothing")) : redis.multi().incr(k).exec(),
    );
    await Promise.all(ops);
    expect(await redis.get(k)).toBe(200);
  });

  it("GET /health is 200 while Redis answers", async () => {
    const r = await raw("/health", { auth: false });
    expect(r.status).toBe(200);
    expect(await bridge.redisHealthy()).toBe(true);
  });
});

describe("@upstash/ratelimit through the bridge", () => {
  it.each([
    ["fixedWindow", (): ReturnType<typeof Ratelimit.fixedWindow> => Ratelimit.fixedWindow(5, "20 s")],
    ["slidingWindow", (): ReturnType<typeof Ratelimit.slidingWindow> => Ratelimit.slidingWindow(5, "20 s")],
  ])("%s allows exactly N of M concurrent calls", async (_name, make) => {
    await avoidWindowEdge(20_000);
    const limiter = new Ratelimit({ redis, limiter: make(), prefix: key("rl"), ephemeralCache: false, timeout: 0 });
    const before = Date.now();
    const results = await Promise.all(Array.from({ length: 20 }, () => limiter.limit("user-1")));
    await Promise.all(results.map((r) => r.pending));

    const allowed = results.filter((r) => r.success);
    expect(allowed).toHaveLength(5);
    expect(allowed.map((r) => r.remaining).sort()).toEqual([0, 1, 2, 3, 4]);
    for (const r of results) {
      expect(r.limit).toBe(5);
      expect(r.reason).toBeUndefined();
      expect(r.remaining).toBeGreaterThanOrEqual(0);
      if (!r.success) expect(r.remaining).toBe(0);
      expect(r.reset).toBeGreaterThan(before);
      expect(r.reset).toBeLessThanOrEqual(Date.now() + 20_000);
    }
    // A different identifier has its own budget.
    expect((await limiter.limit("user-2")).success).toBe(true);
    expect(await limiter.getRemaining("user-1")).toMatchObject({ remaining: 0 });
  });
});

describe("when Redis goes away", () => {
  let r2: RedisService | undefined;
  let b2: Bridge | undefined;

  afterAll(async () => {
    await b2?.close();
    await r2?.close();
  });

  it("fails fast with 503s, reports unhealthy, and recovers when Redis is back", async () => {
    r2 = await startRedisServer();
    b2 = await startUpstashBridge({ redisUrl: r2.url, token: "t2" });
    const c = client(b2.url, "t2");
    expect(await c.set("k", "before")).toBe("OK");
    const port = r2.port;

    await r2.close();
    r2 = undefined;

    const t0 = Date.now();
    await expect(c.get("k")).rejects.toThrow(/Redis is unavailable/);
    await expect(c.multi().set("a", 1).get("a").exec()).rejects.toThrow(/Redis is unavailable/);
    await expect(c.pipeline().set("a", 1).get("a").exec()).rejects.toThrow(/Redis is unavailable/);
    expect(Date.now() - t0).toBeLessThan(2_000);

    const direct = await fetch(`${b2.url}/get/k`, { headers: { authorization: "Bearer t2" } });
    expect(direct.status).toBe(503);
    expect(await direct.json()).toEqual({ error: expect.stringMatching(/unavailable/) });
    expect((await fetch(`${b2.url}/health`)).status).toBe(503);
    expect(await b2.redisHealthy()).toBe(false);

    r2 = await startRedisServer({ port });
    const bridge2 = b2;
    expect(await waitFor(async () => (await fetch(`${bridge2.url}/health`)).status === 200, 10_000)).toBe(true);
    expect(await c.set("k", "after")).toBe("OK");
    expect(await c.get("k")).toBe("after");
    expect(await c.multi().incr("n").incr("n").exec()).toEqual([1, 2]);
  });
});
