/**
 * How a rate-limit policy spends Redis calls, against the real local Redis (Upstash REST
 * bridge): analytics only when asked for, the per-isolate deny cache, and `reserve` (tokens
 * taken in batches and spent locally) with its bound: never more admitted than the limit, at
 * most `reserve - 1` fewer per isolate and window. Redis is read directly (the same REST API)
 * to see what the Worker stored.
 */
import { env } from "cloudflare:workers";
import { Redis } from "@upstash/redis/cloudflare";
import { describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app.ts";
import { RESERVE_SCRIPT, RESERVE_SCRIPT_SHA1 } from "../../src/lib/ratelimit/reserve.ts";
import { bearer, problemOf, stack, worker } from "./helpers.ts";

const run = crypto.randomUUID().slice(0, 8);
let ipCounter = 0;
const freshIp = () => `198.51.100.${100 + ++ipCounter}`;
const from = (ip: string) => ({ "x-dev-cf": JSON.stringify({ ip, country: "DE" }) });
const redis = () =>
  new Redis({ url: stack().UPSTASH_REDIS_REST_URL, token: stack().UPSTASH_REDIS_REST_TOKEN, enableTelemetry: false });

/** An hour-long window: the tests below must not straddle a bucket boundary (counters restart there). */
const WINDOW = 3600;
async function awayFromBoundary(): Promise<void> {
  const msToBoundary = WINDOW * 1000 - (Date.now() % (WINDOW * 1000));
  if (msToBoundary < 10_000) await new Promise((r) => setTimeout(r, msToBoundary + 100));
}
const bucketKey = (id: string, limit: number, ip: string) =>
  `rl:${id}:${limit}:${WINDOW}:ip:${ip}:${Math.floor(Date.now() / (WINDOW * 1000))}`;

async function putRateLimits(rateLimits: unknown[]): Promise<Response> {
  const auth = await bearer("ops", ["admin"]);
  const current = await worker("/v1/admin/config", { headers: { authorization: auth } });
  const { config } = (await current.json()) as { config: Record<string, unknown> };
  return worker("/v1/admin/config", {
    method: "PUT",
    headers: { authorization: auth, "content-type": "application/json", "if-match": current.headers.get("etag")! },
    body: JSON.stringify({ ...config, rateLimits }),
  });
}
async function setRateLimits(rateLimits: unknown[]): Promise<void> {
  expect((await putRateLimits(rateLimits)).status).toBe(200);
}

describe.sequential("rate-limit Redis calls", () => {
  it("writes no analytics unless the policy asks for them", async () => {
    const quiet = `quiet-${run}`;
    const counted = `counted-${run}`;
    await setRateLimits([
      { id: quiet, match: { pathPrefix: "/v1/geo" }, limit: 100, windowSeconds: 60 },
      { id: counted, match: { pathPrefix: "/v1/me" }, limit: 100, windowSeconds: 60, analytics: true },
    ]);
    const ip = freshIp();
    for (let i = 0; i < 3; i++) expect((await worker("/v1/geo", { headers: from(ip) })).status).toBe(200);
    expect((await worker("/v1/me", { headers: from(ip) })).status).toBe(401); // limited, then refused by auth
    const r = redis();
    // Analytics are written after the response (waitUntil): wait for the opted-in policy's.
    let analyticsKeys: string[] = [];
    for (let i = 0; i < 50 && analyticsKeys.length === 0; i++) {
      analyticsKeys = await r.keys(`rl:${counted}:*:events:*`);
      if (analyticsKeys.length === 0) await new Promise((res) => setTimeout(res, 50));
    }
    expect(analyticsKeys.length).toBeGreaterThan(0);
    expect(await r.keys(`rl:${quiet}:*:events:*`)).toEqual([]);
    // The counters themselves are there.
    expect((await r.keys(`rl:${quiet}:*`)).length).toBeGreaterThan(0);
  });

  it("a refused key stays refused in this isolate until its reset, without asking Redis", async () => {
    await awayFromBoundary();
    const id = `deny-${run}`;
    await setRateLimits([{ id, match: { pathPrefix: "/v1/geo" }, limit: 1, windowSeconds: WINDOW }]);
    const ip = freshIp();
    expect((await worker("/v1/geo", { headers: from(ip) })).status).toBe(200);
    const refused = await worker("/v1/geo", { headers: from(ip) });
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    // Redis forgets the key (as if another isolate saw a reset): this isolate still refuses,
    // with the same end of the refusal, because it does not ask Redis again before then.
    await redis().del(bucketKey(id, 1, ip));
    const again = await worker("/v1/geo", { headers: from(ip) });
    expect(again.status).toBe(429);
    expect(Number(again.headers.get("retry-after"))).toBeLessThanOrEqual(retryAfter);
    expect(Number(again.headers.get("retry-after"))).toBeGreaterThanOrEqual(retryAfter - 2);
    expect(again.headers.get("ratelimit")).toBe(`"${id}";r=0;t=${again.headers.get("retry-after")}`);
    expect((await problemOf(again)).type).toMatch(/\/rate-limited$/);
    // Another client is not affected.
    expect((await worker("/v1/geo", { headers: from(freshIp()) })).status).toBe(200);
  });
});

describe.sequential("reserve: tokens taken in batches", () => {
  it("the script's SHA-1 is the one EVALSHA sends", async () => {
    const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(RESERVE_SCRIPT));
    expect([...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("")).toBe(RESERVE_SCRIPT_SHA1);
  });

  it("one request takes `reserve` tokens in Redis; the next ones are admitted locally", async () => {
    await awayFromBoundary();
    const id = `batch-${run}`;
    await setRateLimits([{ id, match: { pathPrefix: "/v1/geo" }, limit: 100, windowSeconds: WINDOW, reserve: 10 }]);
    const ip = freshIp();
    const first = await worker("/v1/geo", { headers: from(ip) });
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit-policy")).toBe(`"${id}";q=100;w=${WINDOW}`);
    // 9 reserved here + 90 left in Redis.
    expect(first.headers.get("ratelimit")).toMatch(new RegExp(`^"${id}";r=99;t=\\d+$`));
    const r = redis();
    expect(Number(await r.get(bucketKey(id, 100, ip)))).toBe(10);
    for (let i = 0; i < 9; i++) expect((await worker("/v1/geo", { headers: from(ip) })).status).toBe(200);
    // Still one reservation in Redis after ten requests; the eleventh takes the next batch.
    expect(Number(await r.get(bucketKey(id, 100, ip)))).toBe(10);
    expect((await worker("/v1/geo", { headers: from(ip) })).status).toBe(200);
    expect(Number(await r.get(bucketKey(id, 100, ip)))).toBe(20);
  });

  it("never admits more than the limit when another isolate takes tokens too", async () => {
    await awayFromBoundary();
    const id = `shared-${run}`;
    const limit = 50;
    await setRateLimits([{ id, match: { pathPrefix: "/v1/geo" }, limit, windowSeconds: WINDOW, reserve: 10 }]);
    const ip = freshIp();
    expect((await worker("/v1/geo", { headers: from(ip) })).status).toBe(200); // reserves 10
    // Another isolate takes everything Redis has left, with the same script and counters.
    const key = bucketKey(id, limit, ip);
    const previous = key.replace(/:(\d+)$/, (_, b: string) => `:${Number(b) - 1}`);
    const [granted, left] = await redis().eval<number[], [number, number]>(
      RESERVE_SCRIPT,
      [key, previous],
      [limit, Date.now(), WINDOW * 1000, 1000],
    );
    expect([granted, left]).toEqual([limit - 10, 0]);
    // This isolate still spends the 9 it holds, and not one more.
    const statuses = [];
    for (let i = 0; i < 12; i++) statuses.push((await worker("/v1/geo", { headers: from(ip) })).status);
    expect(statuses).toEqual([...Array(9).fill(200), 429, 429, 429]);
  });

  it("a burst of 200 against limit 50: at most 50 and at least 50 - (reserve - 1) admitted", async () => {
    await awayFromBoundary();
    const id = `burst-${run}`;
    await setRateLimits([
      { id, match: { pathPrefix: "/v1/geo" }, limit: 50, windowSeconds: WINDOW, reserve: 10, timeoutMs: 10_000 },
    ]);
    const ip = freshIp();
    const responses = await Promise.all(Array.from({ length: 200 }, () => worker("/v1/geo", { headers: from(ip) })));
    const allowed = responses.filter((res) => res.status === 200).length;
    expect(allowed).toBeLessThanOrEqual(50);
    expect(allowed).toBeGreaterThanOrEqual(41);
    expect(responses.filter((res) => res.status === 429)).toHaveLength(200 - allowed);
    expect(Number(await redis().get(bucketKey(id, 50, ip)))).toBe(50);
  });

  it("mixes with exact policies: the strictest decides and both are announced", async () => {
    await awayFromBoundary();
    const wide = `mixwide-${run}`;
    const narrow = `mixnarrow-${run}`;
    await setRateLimits([
      { id: wide, match: { pathPrefix: "/v1/" }, limit: 100, windowSeconds: WINDOW, reserve: 20 },
      { id: narrow, match: { pathPrefix: "/v1/geo" }, limit: 2, windowSeconds: WINDOW },
    ]);
    const ip = freshIp();
    const first = await worker("/v1/geo", { headers: from(ip) });
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit-policy")).toBe(`"${wide}";q=100;w=${WINDOW}, "${narrow}";q=2;w=${WINDOW}`);
    expect(first.headers.get("ratelimit")).toMatch(new RegExp(`^"${wide}";r=99;t=\\d+, "${narrow}";r=1;t=\\d+$`));
    expect((await worker("/v1/geo", { headers: from(ip) })).status).toBe(200);
    const third = await worker("/v1/geo", { headers: from(ip) });
    expect(third.status).toBe(429);
    expect((await problemOf(third)).detail).toContain(narrow);
    // The reserving policy alone still admits this client elsewhere under /v1/.
    expect((await worker("/v1/content/none", { headers: from(ip) })).status).toBe(404);
  });

  it("when Redis is unreachable, failMode applies to reserving policies too", async () => {
    const deadRedis = { ...env, UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9" };
    const log = vi.spyOn(console, "log");
    try {
      await setRateLimits([
        { id: `deadopen-${run}`, match: { pathPrefix: "/v1/geo" }, limit: 100, windowSeconds: 60, reserve: 10 },
      ]);
      const open = await createApp().request("/v1/geo", { headers: from(freshIp()) }, deadRedis);
      expect(open.status).toBe(200);
      const line = log.mock.calls
        .map((a) => String(a[0]))
        .filter((l) => l.includes('"msg":"request"') && l.includes('"path":"/v1/geo"'))
        .at(-1);
      expect(line).toContain('"redisError":true');

      await setRateLimits([
        {
          id: `deadclosed-${run}`,
          match: { pathPrefix: "/v1/geo" },
          limit: 100,
          windowSeconds: 60,
          reserve: 10,
          failMode: "closed",
        },
      ]);
      const closed = await createApp().request("/v1/geo", { headers: from(freshIp()) }, deadRedis);
      expect(closed.status).toBe(503);
      expect(closed.headers.get("retry-after")).toBe("5");
    } finally {
      log.mockRestore();
    }
  });

  it("refuses a reserve larger than the limit, or out of range, with 422 naming the field", async () => {
    for (const bad of [
      { reserve: 20, limit: 10 },
      { reserve: 0, limit: 10 },
      { reserve: 1.5, limit: 10 },
      { reserve: 1001, limit: 5000 },
      { analytics: "yes", limit: 10 },
    ]) {
      const res = await putRateLimits([{ id: `bad-${run}`, windowSeconds: 60, ...bad }]);
      expect(res.status).toBe(422);
      const problem = await problemOf(res);
      expect(problem.errors?.[0]?.path).toMatch(/\/rateLimits\/0\/(reserve|analytics)$/);
      expect(JSON.stringify(problem)).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    }
  });
});
