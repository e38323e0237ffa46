/**
 * `/v1/ai/ask` end to end against the real local stack, with the dev origin's faults: caches
 * (exact, semantic, guard, tenant isolation), single flight, streaming, retries with
 * Retry-After, budgets, the circuit breaker and degraded answers.
 *
 * Every test that counts origin calls lives in this file: its tests run one after another, and
 * the only other callers of the dev origin (readiness checks) never reach its chat endpoint, so
 * `stats.chat` before/after is this test's count. Faults are limited to `path: "chat"` for the
 * same reason. Tenants are unique per test.
 *
 * Requests go to `createApp()` (the same app the Worker serves) with a few extra bindings: a
 * short breaker cooldown and first-byte budget, so the breaker tests take seconds.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app.ts";
import { awaitFlight, claimFlight, finishFlight } from "../../src/lib/ai/single-flight.ts";
import { createRedis } from "../../src/lib/redis.ts";
import { bearer, problemOf, stack } from "./helpers.ts";

const BREAKER_FAILURES = 4;
const BREAKER_COOLDOWN_MS = 1_000;
const FIRST_BYTE_MS = 800;

const app = createApp();
const testEnv = {
  ...env,
  AI_BREAKER_FAILURES: String(BREAKER_FAILURES),
  AI_BREAKER_COOLDOWN_MS: String(BREAKER_COOLDOWN_MS),
  AI_ORIGIN_FIRST_BYTE_MS: String(FIRST_BYTE_MS),
};

function call(path: string, init: RequestInit = {}, bindings: object = testEnv): Promise<Response> {
  return Promise.resolve(app.request(path, init, bindings));
}

const devOrigin = () => stack().DEV_ORIGIN_URL;
const tenantId = (label: string) => `${label}-${crypto.randomUUID()}`;

async function fault(f: Record<string, unknown> | null): Promise<void> {
  const res = await fetch(
    `${devOrigin()}/__dev/fault`,
    f ? { method: "PUT", body: JSON.stringify(f) } : { method: "DELETE" },
  );
  expect(res.status).toBe(200);
}

interface Stats {
  chat: number;
  embeddings: number;
  lastRequest?: { path: string; headers: Record<string, string>; body: unknown };
}

async function stats(): Promise<Stats> {
  return (await (await fetch(`${devOrigin()}/__dev/stats`)).json()) as Stats;
}

async function chatCalls(): Promise<number> {
  return (await stats()).chat;
}

interface AskBody {
  answer: string;
  source: "cache" | "edge" | "origin" | "degraded";
  citations: Array<{ documentId: string; chunkId: number }>;
  conversationId: string;
  passages?: Array<{ documentId: string; text: string }>;
  degraded?: { reason: string };
}

async function ask(
  tenant: string,
  question: string,
  extra: Record<string, unknown> = {},
  options: { sub?: string; headers?: Record<string, string>; bindings?: object } = {},
) {
  const res = await call(
    "/v1/ai/ask",
    {
      method: "POST",
      headers: {
        authorization: await bearer(options.sub ?? "asker", ["viewer"], { tenant }),
        "content-type": "application/json",
        ...options.headers,
      },
      body: JSON.stringify({ question, ...extra }),
    },
    options.bindings,
  );
  return res;
}

async function askJson(
  tenant: string,
  question: string,
  extra: Record<string, unknown> = {},
  options: Parameters<typeof ask>[3] = {},
) {
  const res = await ask(tenant, question, extra, options);
  expect(res.status).toBe(200);
  return { res, body: (await res.json()) as AskBody };
}

async function ingest(tenant: string, id: string, text: string, bindings: object = testEnv): Promise<void> {
  const res = await call(
    "/v1/ai/documents",
    {
      method: "POST",
      headers: { authorization: await bearer("ed", ["editor"], { tenant }), "content-type": "application/json" },
      body: JSON.stringify({ id, text }),
    },
    bindings,
  );
  expect(res.status).toBe(201);
}

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Parses a complete SSE body strictly: every event has `event:` and JSON `data:` lines. */
async function sseEvents(res: Response): Promise<SseEvent[]> {
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const text = await res.text();
  expect(text.endsWith("\n\n")).toBe(true);
  return text
    .split("\n\n")
    .filter((block) => block.length > 0)
    .map((block) => {
      const lines = block.split("\n");
      const event = lines.find((l) => l.startsWith("event: "))?.slice(7) ?? "message";
      const data = lines
        .filter((l) => l.startsWith("data: "))
        .map((l) => l.slice(6))
        .join("\n");
      return { event, data: JSON.parse(data) as Record<string, unknown> };
    });
}

/** Admin config: `ai` settings for one test, restored afterwards. */
let restoreConfig: (() => Promise<void>) | undefined;
async function setAiConfig(ai: Record<string, number>): Promise<void> {
  const admin = await bearer("admin", ["admin"]);
  const current = await call("/v1/admin/config", { headers: { authorization: admin } });
  const { version, config } = (await current.json()) as { version: number; config: { ai: Record<string, number> } };
  const original = structuredClone(config);
  const put = async (doc: unknown, v: number) => {
    const res = await call("/v1/admin/config", {
      method: "PUT",
      headers: { authorization: admin, "content-type": "application/json", "if-match": `"${v}"` },
      body: JSON.stringify(doc),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { version: number }).version;
  };
  const next = await put({ ...config, ai: { ...config.ai, ...ai } }, version);
  restoreConfig = async () => {
    await put(original, next);
  };
}

/** The request log lines written while `run` ran. */
async function logLines(run: () => Promise<void>): Promise<Array<Record<string, unknown>>> {
  const spy = vi.spyOn(console, "log");
  try {
    await run();
    return spy.mock.calls.flatMap(([line]) => {
      try {
        return typeof line === "string" ? [JSON.parse(line) as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
  } finally {
    spy.mockRestore();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const HANDBOOK =
  "Dark mode. To enable dark mode in the editor, open Settings, then Appearance, and pick Dark.\n\n" +
  "Refunds. Customers get a full refund within 30 days of purchase; after that, support decides.";

beforeEach(async () => {
  await fault(null);
});

afterEach(async () => {
  await fault(null);
  await restoreConfig?.();
  restoreConfig = undefined;
});

describe("ask: caches", () => {
  it("answers from the origin on a cold cache with citations and timing, then from the exact cache without an origin call", async () => {
    const tenant = tenantId("ask");
    await ingest(tenant, "handbook", HANDBOOK);
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const before = await chatCalls();
    const { res, body } = await askJson(
      tenant,
      "How do I enable dark mode?",
      {},
      { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } },
    );
    expect(body.source).toBe("origin");
    expect(res.headers.get("x-ai-source")).toBe("origin");
    expect(res.headers.get("x-cache")).toBe("MISS");
    expect(res.headers.get("x-cache-similarity")).toBeNull();
    expect(body.answer).toMatch(/^\[dev-origin [0-9a-f]{8}\]/);
    // The retrieved passage went to the origin as context, and is cited.
    expect(body.answer).toContain("enable dark mode in the editor");
    expect(body.citations[0]?.documentId).toBe("handbook");
    expect(res.headers.get("server-timing")).toMatch(/origin;dur=/);
    expect(res.headers.get("server-timing")).toMatch(/db;dur=/);
    const s = await stats();
    expect(s.chat).toBe(before + 1);
    expect(s.lastRequest?.path).toBe("/v1/chat/completions");
    expect(s.lastRequest?.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    const again = await askJson(tenant, "  how do I ENABLE dark mode ");
    expect(again.body).toMatchObject({ source: "cache", answer: body.answer, citations: body.citations });
    expect(again.res.headers.get("x-cache")).toBe("HIT");
    expect(again.res.headers.get("x-ai-source")).toBe("cache");
    expect(again.res.headers.get("x-cache-similarity")).toBe("1.0000");
    expect(await chatCalls()).toBe(before + 1);
  });

  it("tenant B never gets tenant A's cached answer for the same text", async () => {
    const a = tenantId("tenant-a");
    const b = tenantId("tenant-b");
    await ingest(a, "secret", "Project Falcon ships on the third of May.");
    const before = await chatCalls();
    const first = await askJson(a, "When does Project Falcon ship?");
    expect(first.body.source).toBe("origin");
    expect((await askJson(a, "When does Project Falcon ship?")).body.source).toBe("cache");

    const other = await askJson(b, "When does Project Falcon ship?");
    expect(other.res.headers.get("x-cache")).toBe("MISS");
    expect(other.body.source).toBe("origin");
    expect(other.body.answer).not.toBe(first.body.answer);
    expect(other.body.answer).not.toContain("third of May");
    expect(other.body.citations).toEqual([]);
    // Nor a paraphrase of it (the semantic tier is tenant-scoped too).
    expect((await askJson(b, "when does project falcon ship")).body.source).toBe("cache");
    expect((await askJson(tenantId("tenant-c"), "When will Project Falcon ship?")).res.headers.get("x-cache")).toBe(
      "MISS",
    );
    expect(await chatCalls()).toBe(before + 3);
  });

  it('semantic hits above the threshold, but "how do I enable X" cached does not answer "how do I disable X"', async () => {
    // The lowest threshold the config allows, so similarity alone would accept the look-alike.
    await setAiConfig({ cacheThreshold: 0.5 });
    const tenant = tenantId("guard");
    await ingest(tenant, "handbook", HANDBOOK);
    const enabled = await askJson(tenant, "How do I enable dark mode in the editor?");
    expect(enabled.body.source).toBe("origin");

    const paraphrase = await askJson(tenant, "How can I enable dark mode in the editor?");
    expect(paraphrase.body.source).toBe("cache");
    expect(paraphrase.body.answer).toBe(enabled.body.answer);
    const similarity = Number(paraphrase.res.headers.get("x-cache-similarity"));
    expect(similarity).toBeGreaterThanOrEqual(0.95);
    expect(similarity).toBeLessThan(1);

    const before = await chatCalls();
    let disabled: AskBody | undefined;
    const lines = await logLines(async () => {
      disabled = (await askJson(tenant, "How do I disable dark mode in the editor?")).body;
    });
    expect(disabled?.source).toBe("origin");
    expect(disabled?.answer).not.toBe(enabled.body.answer);
    expect(await chatCalls()).toBe(before + 1);
    // It was close enough to hit on similarity alone: the guard refused it.
    const line = lines.find((l) => l.msg === "request" && l.path === "/v1/ai/ask");
    expect(line?.aiCacheGuard).toMatch(/^antonym:enabl\/disabl \(similarity 0\.\d+\)$/);
    expect(Number(/similarity (\S+)\)/.exec(String(line?.aiCacheGuard))?.[1])).toBeGreaterThanOrEqual(0.5);
  });

  it("different numbers are different questions: refund within 30 days vs within 60 days", async () => {
    await setAiConfig({ cacheThreshold: 0.5 });
    const tenant = tenantId("numbers");
    await ingest(tenant, "handbook", HANDBOOK);
    expect((await askJson(tenant, "Can I get a refund within 30 days?")).body.source).toBe("origin");
    expect((await askJson(tenant, "Can I get a refund within 30 days")).body.source).toBe("cache");
    let sixty: AskBody | undefined;
    const lines = await logLines(async () => {
      sixty = (await askJson(tenant, "Can I get a refund within 60 days?")).body;
    });
    expect(sixty?.source).toBe("origin");
    expect(lines.find((l) => l.path === "/v1/ai/ask")?.aiCacheGuard).toMatch(/^numbers /);
  });

  it("keeps the conversation per user: questions, answers, sources and citations", async () => {
    const tenant = tenantId("history");
    await ingest(tenant, "handbook", HANDBOOK);
    const first = await askJson(tenant, "How do I enable dark mode?", {}, { sub: "carol" });
    const second = await askJson(
      tenant,
      "How do I enable dark mode",
      { conversationId: first.body.conversationId },
      { sub: "carol" },
    );
    expect(second.body.conversationId).toBe(first.body.conversationId);
    const view = await call(`/v1/ai/conversations/${first.body.conversationId}`, {
      headers: { authorization: await bearer("carol", ["viewer"], { tenant }) },
    });
    expect(view.status).toBe(200);
    const conversation = (await view.json()) as {
      messages: Array<{ role: string; content: string; source: string | null; citations: unknown }>;
    };
    expect(conversation.messages.map((m) => [m.role, m.source])).toEqual([
      ["user", null],
      ["assistant", "origin"],
      ["user", null],
      ["assistant", "cache"],
    ]);
    expect(conversation.messages[1]!.citations).toEqual(first.body.citations);
    // Another user (or tenant) cannot read or continue it.
    const mallory = await bearer("mallory", ["viewer"], { tenant });
    expect(
      (await call(`/v1/ai/conversations/${first.body.conversationId}`, { headers: { authorization: mallory } })).status,
    ).toBe(404);
    expect((await ask(tenant, "hi", { conversationId: first.body.conversationId }, { sub: "mallory" })).status).toBe(
      404,
    );
  });

  it("validates the question (422) and needs a token (401)", async () => {
    expect((await ask(tenantId("v"), "")).status).toBe(422);
    expect((await ask(tenantId("v"), "   ")).status).toBe(422);
    expect((await ask(tenantId("v"), "x", { stream: "yes" })).status).toBe(422);
    const anonymous = await call("/v1/ai/ask", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ question: "x" }),
    });
    expect(anonymous.status).toBe(401);
    expect((await problemOf(anonymous)).type).toMatch(/invalid-token$/);
  });
});

describe("ask: single flight", () => {
  it("50 identical concurrent questions on a cold cache call the origin once", async () => {
    const tenant = tenantId("flight");
    await ingest(tenant, "handbook", HANDBOOK);
    // The origin takes a moment, so all 50 arrive while the first is still being answered.
    await fault({ latencyMs: 300, times: 1, path: "chat" });
    const before = await chatCalls();
    const question = `What is the refund window? (${crypto.randomUUID()})`;
    const responses = await Promise.all(Array.from({ length: 50 }, () => askJson(tenant, question)));
    expect(await chatCalls()).toBe(before + 1);
    const answers = new Set(responses.map((r) => r.body.answer));
    expect(answers.size).toBe(1);
    expect(responses.every((r) => r.body.source === "origin" || r.body.source === "cache")).toBe(true);
    expect(responses.filter((r) => r.body.source === "degraded")).toHaveLength(0);
  });
});

describe("single flight over Redis", () => {
  const redis = () => createRedis(env.UPSTASH_REDIS_REST_URL, env.UPSTASH_REDIS_REST_TOKEN);

  it("followers get their own leader's result, never an older flight's failure", async () => {
    const key = `test-${crypto.randomUUID()}`;
    const first = await claimFlight(redis(), key, 5_000);
    expect(first.role).toBe("leader");
    await finishFlight(redis(), key, (first as { token: string }).token, { status: "failed", reason: "timeout" });

    const second = await claimFlight(redis(), key, 5_000);
    expect(second).toEqual({ role: "leader", token: expect.any(String) });
    const follower = await claimFlight(redis(), key, 5_000);
    expect(follower).toEqual({ role: "follower", leader: (second as { token: string }).token });
    const waiting = awaitFlight(redis(), key, (follower as { leader: string }).leader, Date.now() + 3_000, 5_000);
    await sleep(100);
    const answer = { status: "ok" as const, answer: "42", citations: [], source: "origin" as const };
    await finishFlight(redis(), key, (second as { token: string }).token, answer);
    expect(await waiting).toEqual({ kind: "result", result: answer });

    // A request that missed the cache just before the answer was stored gets it without a call.
    expect(await claimFlight(redis(), key, 5_000)).toMatchObject({ role: "leader", earlier: answer });
  });

  it("a follower takes over when its leader dies (lease expiry), and gives up at its deadline", async () => {
    const key = `test-${crypto.randomUUID()}`;
    const dead = await claimFlight(redis(), key, 300);
    expect(dead.role).toBe("leader");
    const follower = await claimFlight(redis(), key, 300);
    const t0 = Date.now();
    const waited = await awaitFlight(redis(), key, (follower as { leader: string }).leader, Date.now() + 3_000, 5_000);
    expect(waited.kind).toBe("leader");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);

    const stuck = await claimFlight(redis(), key, 5_000);
    expect(stuck.role).toBe("follower");
    const t1 = Date.now();
    expect(await awaitFlight(redis(), key, (stuck as { leader: string }).leader, Date.now() + 400, 5_000)).toEqual({
      kind: "timeout",
    });
    expect(Date.now() - t1).toBeLessThan(1_000);
  });
});

describe("ask: streaming", () => {
  it("streams SSE from the origin, caches the complete answer, and replays a hit as valid SSE", async () => {
    const tenant = tenantId("stream");
    await ingest(tenant, "handbook", HANDBOOK);
    const res = await ask(tenant, "How do I enable dark mode?", { stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-ai-source")).toBe("origin");
    expect(res.headers.get("x-cache")).toBe("MISS");
    const events = await sseEvents(res);
    expect(events[0]).toMatchObject({ event: "meta", data: { source: "origin", cache: "MISS" } });
    const deltas = events.filter((e) => e.event === "delta");
    expect(deltas.length).toBeGreaterThan(2);
    const done = events.at(-1)!;
    expect(done.event).toBe("done");
    expect(deltas.map((e) => e.data.text).join("")).toBe(done.data.answer);

    const hit = await askJson(tenant, "How do I enable dark mode?");
    expect(hit.body).toMatchObject({ source: "cache", answer: done.data.answer });

    const replay = await ask(tenant, "How do I enable dark mode?", { stream: true });
    expect(replay.headers.get("x-cache")).toBe("HIT");
    expect(replay.headers.get("x-ai-source")).toBe("cache");
    const replayed = await sseEvents(replay);
    expect(replayed[0]).toMatchObject({ event: "meta", data: { source: "cache", cache: "HIT" } });
    expect(
      replayed
        .filter((e) => e.event === "delta")
        .map((e) => e.data.text)
        .join(""),
    ).toBe(done.data.answer);
    expect(replayed.at(-1)).toMatchObject({ event: "done", data: { source: "cache", answer: done.data.answer } });
  });

  it("a reset mid-stream ends with an error event and nothing is cached", async () => {
    const tenant = tenantId("reset");
    await ingest(tenant, "handbook", HANDBOOK);
    await fault({ resetAfterChunks: 2, times: 1, path: "chat" });
    const res = await ask(tenant, "How do I enable dark mode?", { stream: true });
    expect(res.status).toBe(200);
    const events = await sseEvents(res);
    expect(events.map((e) => e.event)).toEqual(["meta", "delta", "delta", "error"]);
    expect(events.at(-1)!.data).toMatchObject({ reason: "cut" });
    expect(events.some((e) => e.event === "done")).toBe(false);

    const before = await chatCalls();
    const next = await askJson(tenant, "How do I enable dark mode?");
    expect(next.res.headers.get("x-cache")).toBe("MISS");
    expect(next.body.source).toBe("origin");
    expect(await chatCalls()).toBe(before + 1);
  });

  it("falls back to a degraded answer as SSE when the origin fails before the first byte", async () => {
    const tenant = tenantId("stream-degraded");
    await ingest(tenant, "handbook", HANDBOOK);
    await fault({ status: 400, times: 1, path: "chat" });
    const res = await ask(tenant, "How do I enable dark mode?", { stream: true });
    expect(res.headers.get("x-ai-source")).toBe("degraded");
    const events = await sseEvents(res);
    expect(events[0]).toMatchObject({ event: "meta", data: { source: "degraded" } });
    expect(events.at(-1)).toMatchObject({
      event: "done",
      data: { source: "degraded", degraded: { reason: "rejected" } },
    });
  });
});

describe("ask: origin failures", () => {
  it("retries a 503 and answers from the origin", async () => {
    const tenant = tenantId("retry");
    const before = await chatCalls();
    await fault({ status: 503, times: 1, path: "chat" });
    const { body } = await askJson(tenant, "What is the meaning of retry?");
    expect(body.source).toBe("origin");
    expect(await chatCalls()).toBe(before + 2);
  });

  it("does not retry a 4xx the origin refuses; answers degraded", async () => {
    const tenant = tenantId("rejected");
    await ingest(tenant, "handbook", HANDBOOK);
    const before = await chatCalls();
    await fault({ status: 400, times: 1, path: "chat" });
    const { res, body } = await askJson(tenant, "How do I enable dark mode?");
    expect(body.source).toBe("degraded");
    expect(res.headers.get("x-ai-source")).toBe("degraded");
    expect(body.degraded).toEqual({ reason: "rejected" });
    expect(await chatCalls()).toBe(before + 1);
  });

  it("honours 429 with Retry-After: waits, then answers from the origin", async () => {
    const tenant = tenantId("ratelimited");
    const before = await chatCalls();
    await fault({ status: 429, retryAfterSeconds: 1, times: 1, path: "chat" });
    const t0 = Date.now();
    const { body } = await askJson(tenant, "Is the rate limit honoured?");
    const elapsed = Date.now() - t0;
    expect(body.source).toBe("origin");
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(5_000);
    expect(await chatCalls()).toBe(before + 2);
  });

  it("a Retry-After longer than the budget falls back at once and holds this isolate's calls until it passes", async () => {
    await setAiConfig({ originTimeoutMs: 2_000 });
    const tenant = tenantId("retry-after-long");
    await ingest(tenant, "handbook", HANDBOOK);
    const before = await chatCalls();
    await fault({ status: 429, retryAfterSeconds: 3, times: 1, path: "chat" });
    const t0 = Date.now();
    const first = await askJson(tenant, "How do I enable dark mode?");
    expect(first.body).toMatchObject({ source: "degraded", degraded: { reason: "rate-limited" } });
    expect(Date.now() - t0).toBeLessThan(1_000);
    const second = await askJson(tenant, "Can I get a refund?");
    expect(second.body).toMatchObject({ source: "degraded", degraded: { reason: "rate-limited" } });
    expect(await chatCalls()).toBe(before + 1);
    await sleep(3_100);
    expect((await askJson(tenant, "Can I get a refund?")).body.source).toBe("origin");
    expect(await chatCalls()).toBe(before + 2);
  });

  it("a stall before the first byte falls back to a degraded answer within the budget", async () => {
    await setAiConfig({ originTimeoutMs: 2_000 });
    const tenant = tenantId("stall");
    await ingest(tenant, "handbook", HANDBOOK);
    await fault({ stallBeforeFirstByteMs: 30_000, path: "chat" });
    const t0 = Date.now();
    const { res, body } = await askJson(tenant, "How do I enable dark mode in the editor?");
    const elapsed = Date.now() - t0;
    expect(body.source).toBe("degraded");
    expect(res.headers.get("x-ai-source")).toBe("degraded");
    expect(body.degraded?.reason).toBe("timeout");
    expect(body.answer).toMatch(
      /^\[Degraded answer: no answer was generated because the AI service did not answer in time\./,
    );
    expect(body.passages?.[0]?.text).toContain("dark mode");
    expect(body.citations[0]?.documentId).toBe("handbook");
    // The first-byte budget (800 ms) cut each attempt; the total budget (2 s) bounded them all.
    expect(elapsed).toBeGreaterThanOrEqual(FIRST_BYTE_MS);
    expect(elapsed).toBeLessThan(2_000 + 300);
    await fault(null);
    // Close the breaker's failure count again for the next tests.
    expect((await askJson(tenant, "Anything else?")).body.source).toBe("origin");
  });

  it("the breaker opens after repeated 503s: no origin calls until the cooldown, then exactly one probe", async () => {
    const tenant = tenantId("breaker");
    await ingest(tenant, "handbook", HANDBOOK);
    await fault({ status: 503, path: "chat" });
    const start = await chatCalls();

    // Each request tries 3 times; the 4th consecutive failure (in the second request) opens it.
    const first = await askJson(tenant, "How do I enable dark mode? (1)");
    expect(first.body).toMatchObject({ source: "degraded", degraded: { reason: "unavailable" } });
    expect(await chatCalls()).toBe(start + 3);
    const second = await askJson(tenant, "How do I enable dark mode? (1b)");
    expect(second.body).toMatchObject({ source: "degraded", degraded: { reason: "breaker-open" } });
    expect(await chatCalls()).toBe(start + BREAKER_FAILURES);

    // Open: answered degraded at once, the origin sees nothing.
    const t0 = Date.now();
    for (const n of [2, 3, 4]) {
      const { body } = await askJson(tenant, `How do I enable dark mode? (${n})`);
      expect(body).toMatchObject({ source: "degraded", degraded: { reason: "breaker-open" } });
      expect(body.passages?.length).toBeGreaterThan(0);
    }
    expect(Date.now() - t0).toBeLessThan(BREAKER_COOLDOWN_MS);
    expect(await chatCalls()).toBe(start + BREAKER_FAILURES);

    // After the cooldown: of 5 concurrent requests exactly one probes (and fails: still 503).
    await sleep(BREAKER_COOLDOWN_MS + 50);
    const probes = await Promise.all([5, 6, 7, 8, 9].map((n) => askJson(tenant, `How do I enable dark mode? (${n})`)));
    expect(probes.every((p) => p.body.source === "degraded")).toBe(true);
    expect(await chatCalls()).toBe(start + BREAKER_FAILURES + 1);
    expect((await askJson(tenant, "How do I enable dark mode? (10)")).body.degraded?.reason).toBe("breaker-open");
    expect(await chatCalls()).toBe(start + BREAKER_FAILURES + 1);

    // The origin recovers: after the next cooldown one probe succeeds and closes the breaker.
    await fault(null);
    await sleep(BREAKER_COOLDOWN_MS + 50);
    expect((await askJson(tenant, "How do I enable dark mode? (11)")).body.source).toBe("origin");
    expect((await askJson(tenant, "How do I enable dark mode? (12)")).body.source).toBe("origin");
    expect(await chatCalls()).toBe(start + BREAKER_FAILURES + 3);
  });
});

describe("ask: embeddings and the edge", () => {
  it("uses the origin's /v1/embeddings when configured; an embeddings outage still answers (no semantic cache)", async () => {
    const bindings = { ...testEnv, AI_EMBEDDINGS: "origin" };
    const tenant = tenantId("origin-embed");
    const e0 = (await stats()).embeddings;
    await ingest(tenant, "handbook", HANDBOOK, bindings);
    const search = await call(
      "/v1/ai/search",
      {
        method: "POST",
        headers: { authorization: await bearer("r", ["viewer"], { tenant }), "content-type": "application/json" },
        body: JSON.stringify({ query: "dark mode" }),
      },
      bindings,
    );
    expect(await search.json()).toMatchObject({
      model: "text-embedding-3-small@256",
      results: [{ documentId: "handbook" }],
    });
    expect((await stats()).embeddings).toBeGreaterThanOrEqual(e0 + 2);

    await fault({ status: 503, path: "embeddings" });
    const down = await call(
      "/v1/ai/search",
      {
        method: "POST",
        headers: { authorization: await bearer("r", ["viewer"], { tenant }), "content-type": "application/json" },
        body: JSON.stringify({ query: "dark mode" }),
      },
      bindings,
    );
    expect(down.status).toBe(503);
    const { body } = await askJson(tenant, "How do I enable dark mode?", {}, { bindings });
    expect(body.source).toBe("origin");
    // Full-text retrieval still found the passage.
    expect(body.citations[0]?.documentId).toBe("handbook");
  });

  it("answers light questions at the edge with a Workers AI model when configured (source edge)", async () => {
    const calls: string[] = [];
    const fakeAi = {
      async run(model: string, input: Record<string, unknown>) {
        calls.push(model);
        if (Array.isArray(input.text))
          return {
            data: (input.text as string[]).map((t) =>
              Array.from({ length: 768 }, (_, i) => Math.cos(i * (t.length + 1))),
            ),
          };
        return { response: "Open Settings, then Appearance, and pick Dark [1]." };
      },
    };
    const bindings = { ...testEnv, AI: fakeAi, AI_EDGE_CHAT_MODEL: "@cf/meta/llama-3.1-8b-instruct" };
    const tenant = tenantId("edge");
    await ingest(tenant, "handbook", HANDBOOK, bindings);
    const before = await chatCalls();
    const { res, body } = await askJson(tenant, "How do I enable dark mode?", {}, { bindings });
    expect(body).toMatchObject({ source: "edge", answer: "Open Settings, then Appearance, and pick Dark [1]." });
    expect(res.headers.get("x-ai-source")).toBe("edge");
    expect(calls).toContain("@cf/meta/llama-3.1-8b-instruct");
    expect(await chatCalls()).toBe(before);
    expect((await askJson(tenant, "How do I enable dark mode?", {}, { bindings })).body.source).toBe("cache");
  });
});
