/**
 * Rate limits from the live config against the real local Redis (through the Upstash REST
 * bridge) with @upstash/ratelimit. Policy ids carry a random suffix so runs never share keys.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app.ts";
import { bearer, problemOf, worker } from "./helpers.ts";

const run = crypto.randomUUID().slice(0, 8);
let ipCounter = 0;
const freshIp = () => `198.51.100.${++ipCounter}`;
const from = (ip: string, extra: Record<string, unknown> = {}) => ({
  "x-dev-cf": JSON.stringify({ ip, country: "DE", ...extra }),
});

async function setRateLimits(rateLimits: unknown[]) {
  const auth = await bearer("ops", ["admin"]);
  const current = await worker("/v1/admin/config", { headers: { authorization: auth } });
  const { config } = (await current.json()) as { config: Record<string, unknown> };
  const put = await worker("/v1/admin/config", {
    method: "PUT",
    headers: { authorization: auth, "content-type": "application/json", "if-match": current.headers.get("etag")! },
    body: JSON.stringify({ ...config, rateLimits }),
  });
  expect(put.status).toBe(200);
}

describe.sequential("rate limits", () => {
  it("200 concurrent requests against a limit of 50 are allowed exactly 50 times", async () => {
    const id = `burst-${run}`;
    // A generous timeout: this test is about exactness under a burst, not about a slow Redis.
    await setRateLimits([
      { id, match: { pathPrefix: "/v1/geo" }, limit: 50, windowSeconds: 60, by: "ip", timeoutMs: 10_000 },
    ]);
    const ip = freshIp();
    const responses = await Promise.all(Array.from({ length: 200 }, () => worker("/v1/geo", { headers: from(ip) })));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    expect(statuses.filter((s) => s === 429)).toHaveLength(150);

    const allowed = responses.find((r) => r.status === 200)!;
    expect(allowed.headers.get("ratelimit-policy")).toBe(`"${id}";q=50;w=60`);
    expect(allowed.headers.get("ratelimit")).toMatch(new RegExp(`^"${id}";r=\\d+;t=\\d+$`));
    const refused = responses.find((r) => r.status === 429)!;
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect(refused.headers.get("ratelimit-policy")).toBe(`"${id}";q=50;w=60`);
    expect((await problemOf(refused)).type).toMatch(/\/rate-limited$/);

    // Another client address has its own budget.
    expect((await worker("/v1/geo", { headers: from(freshIp()) })).status).toBe(200);
    // Routes outside the policy carry no rate-limit headers.
    expect((await worker("/healthz", { headers: from(ip) })).headers.get("ratelimit-policy")).toBeNull();
  });

  it("a policy change in the config takes effect without a deploy", async () => {
    const id = `change-${run}`;
    const ip = freshIp();
    await setRateLimits([{ id, match: { pathPrefix: "/v1/geo" }, limit: 100, windowSeconds: 60 }]);
    for (let i = 0; i < 5; i++) expect((await worker("/v1/geo", { headers: from(ip) })).status).toBe(200);
    await setRateLimits([{ id, match: { pathPrefix: "/v1/geo" }, limit: 2, windowSeconds: 60 }]);
    const after = [];
    for (let i = 0; i < 3; i++) after.push((await worker("/v1/geo", { headers: from(ip) })).status);
    expect(after).toEqual([200, 200, 429]);
  });

  it("several policies apply and the strictest decides", async () => {
    const wide = `wide-${run}`;
    const narrow = `narrow-${run}`;
    await setRateLimits([
      { id: wide, match: { pathPrefix: "/v1/" }, limit: 10, windowSeconds: 60 },
      { id: narrow, match: { pathPrefix: "/v1/geo", methods: ["GET"] }, limit: 2, windowSeconds: 30 },
    ]);
    const ip = freshIp();
    const first = await worker("/v1/geo", { headers: from(ip) });
    expect(first.headers.get("ratelimit-policy")).toBe(`"${wide}";q=10;w=60, "${narrow}";q=2;w=30`);
    expect((await worker("/v1/geo", { headers: from(ip) })).status).toBe(200);
    const third = await worker("/v1/geo", { headers: from(ip) });
    expect(third.status).toBe(429);
    expect((await problemOf(third)).detail).toContain(narrow);
    // The wide policy alone still allows other /v1 paths for this client.
    expect((await worker("/v1/content/none", { headers: from(ip) })).status).toBe(404);
  });

  it("country matching: a policy for DE does not touch FR", async () => {
    const id = `country-${run}`;
    await setRateLimits([{ id, match: { pathPrefix: "/v1/geo", countries: ["DE"] }, limit: 1, windowSeconds: 60 }]);
    const ip = freshIp();
    expect((await worker("/v1/geo", { headers: from(ip) })).status).toBe(200);
    expect((await worker("/v1/geo", { headers: from(ip) })).status).toBe(429);
    const fr = await worker("/v1/geo", { headers: from(ip, { country: "FR" }) });
    expect(fr.status).toBe(200);
    expect(fr.headers.get("ratelimit-policy")).toBeNull();
  });

  it("by user: each user has a budget; anonymous callers are limited by address", async () => {
    const id = `user-${run}`;
    await setRateLimits([{ id, match: { pathPrefix: "/v1/me" }, limit: 2, windowSeconds: 60, by: "user" }]);
    const ip = freshIp();
    const alice = await bearer(`alice-${run}`, []);
    const bob = await bearer(`bob-${run}`, []);
    const as = async (authorization: string) =>
      (await worker("/v1/me", { headers: { ...from(ip), authorization } })).status;
    expect([await as(alice), await as(alice), await as(alice)]).toEqual([200, 200, 429]);
    expect(await as(bob)).toBe(200);
    const anon = [];
    for (let i = 0; i < 3; i++) anon.push((await worker("/v1/me", { headers: from(ip) })).status);
    expect(anon).toEqual([401, 401, 429]);
  });
});

describe.sequential("when Redis is unreachable", () => {
  const deadRedis = { ...env, UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9" };

  it("failMode open (default) lets requests through and logs it", async () => {
    await setRateLimits([{ id: `open-${run}`, match: { pathPrefix: "/v1/geo" }, limit: 1, windowSeconds: 60 }]);
    const log = vi.spyOn(console, "log");
    try {
      const app = createApp();
      const ip = freshIp();
      for (let i = 0; i < 3; i++)
        expect((await app.request("/v1/geo", { headers: from(ip) }, deadRedis)).status).toBe(200);
      const lines = log.mock.calls
        .map((a) => String(a[0]))
        .filter((l) => l.includes('"msg":"request"') && l.includes('"path":"/v1/geo"'));
      expect(lines.at(-1)).toContain('"redisError":true');
    } finally {
      log.mockRestore();
    }
  });

  it("failMode closed refuses with 503 and Retry-After", async () => {
    await setRateLimits([
      { id: `closed-${run}`, match: { pathPrefix: "/v1/geo" }, limit: 100, windowSeconds: 60, failMode: "closed" },
    ]);
    const res = await createApp().request("/v1/geo", { headers: from(freshIp()) }, deadRedis);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect((await problemOf(res)).detail).toMatch(/rate limiting is temporarily unavailable/i);
  });
});
