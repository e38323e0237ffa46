/**
 * The AI building blocks on their own (no network): chunking, the look-alike guard, the local
 * embedder, the circuit breaker on a fake clock, SSE parsing, Retry-After, and the origin chat
 * client's retries and budgets against a scripted origin.
 */
import { describe, expect, it } from "vitest";
import { degradedAnswer, promptMessages } from "../../src/lib/ai/ask.ts";
import { CircuitBreaker } from "../../src/lib/ai/breaker.ts";
import { lookAlikeConflict } from "../../src/lib/ai/cache-guard.ts";
import { CHUNK_MAX_CHARS, CHUNK_OVERLAP_CHARS, chunkText } from "../../src/lib/ai/chunking.ts";
import { embedLocal } from "../../src/lib/ai/local-embedder.ts";
import { completeChat, openChatStream, OriginError, retryAfterMs } from "../../src/lib/ai/origin-chat.ts";
import { ftsMatch } from "../../src/lib/ai/retrieval.ts";
import { normaliseQuestion } from "../../src/lib/ai/semantic-cache.ts";
import { parseSse, sseEvent } from "../../src/lib/ai/sse.ts";
import type { OriginClient } from "../../src/lib/origin.ts";

describe("chunkText", () => {
  const sentence = (i: number) => `Sentence number ${i} talks about topic ${i % 7} in some detail.`;
  const text = Array.from({ length: 60 }, (_, i) => sentence(i)).join(" ");

  it(`keeps chunks within ${CHUNK_MAX_CHARS} characters, on sentence boundaries, overlapping by up to ${CHUNK_OVERLAP_CHARS}`, () => {
    const chunks = chunkText(text);
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(CHUNK_MAX_CHARS);
      expect(c).toMatch(/^Sentence number \d+ .*detail\.$/);
    }
    for (let i = 1; i < chunks.length; i++) {
      const firstOfNext = /^Sentence number (\d+) /.exec(chunks[i]!)![1];
      // The next chunk starts with a sentence the previous one ended with (the overlap).
      expect(chunks[i - 1]).toContain(sentence(Number(firstOfNext)));
      expect(chunks[i - 1]!.length - chunks[i - 1]!.indexOf(sentence(Number(firstOfNext)))).toBeLessThanOrEqual(
        CHUNK_OVERLAP_CHARS + 1,
      );
    }
    // Nothing lost: every sentence is in some chunk.
    for (let i = 0; i < 60; i++) expect(chunks.some((c) => c.includes(sentence(i)))).toBe(true);
  });

  it("keeps paragraphs, splits overlong sentences at words and cuts unbroken strings", () => {
    expect(chunkText("First paragraph.\n\nSecond paragraph.")).toEqual(["First paragraph.\n\nSecond paragraph."]);
    const long = `${"word ".repeat(500)}end.`;
    for (const c of chunkText(long)) expect(c.length).toBeLessThanOrEqual(CHUNK_MAX_CHARS);
    const blob = "x".repeat(2_500);
    expect(chunkText(blob).map((c) => c.length)).toEqual([1000, 1000, 500]);
    expect(chunkText("   \n\n  ")).toEqual([]);
  });
});

describe("lookAlikeConflict", () => {
  it.each([
    ["How do I enable X?", "How do I disable X?", /^antonym:/],
    ["How do I allow uploads?", "How do I deny uploads?", /^antonym:/],
    ["How do I add a member?", "How do I remove a member?", /^antonym:/],
    ["When does the sale start?", "When does the sale stop?", /^antonym:/],
    ["Should I increase the timeout?", "Should I decrease the timeout?", /^antonym:/],
    ["Is it cached before login?", "Is it cached after login?", /^antonym:/],
    ["How do I install the CLI?", "How do I uninstall the CLI?", /^antonym:/],
    ["Is the export enabled?", "Is the export disabled?", /^antonym:/],
    ["Why is the build failing?", "Why isn't the build failing?", /^negation$/],
    ["Can I delete a project?", "Can I not delete a project?", /^negation$/],
    ["Can I get a refund within 30 days?", "Can I get a refund within 60 days?", /^numbers$/],
    ["How do I upgrade to v2?", "How do I upgrade to v3?", /^numbers$/],
    ["Does it take two days?", "Does it take three days?", /^numbers$/],
    ["How do I connect to Stripe?", "How do I connect to PayPal?", /^entity:/],
    ['What does "strict mode" change?', 'What does "safe mode" change?', /^entity:|^antonym/],
    ["Where is config.yaml read?", "Where is settings.yaml read?", /^entity:/],
    ["Where is the config file?", "Why is the config file?", /^question-word$/],
  ])("%s ≠ %s", (a, b, reason) => {
    expect(lookAlikeConflict(a, b)).toMatch(reason);
    expect(lookAlikeConflict(b, a)).toMatch(reason);
  });

  it.each([
    ["How do I enable X?", "How can I enable X?"],
    ["How do I reset my password?", "how do i reset my password"],
    ["How do I reset my Password", "How do I reset my password?"],
    ["How do I add a user to a team?", "How can I add a user to a team?"],
    ["Can I enable or disable it?", "Can I disable or enable it?"],
    ["How do I connect to Stripe?", "How can I connect to Stripe?"],
    ["Refund within 30 days?", "Can I get a refund within 30 days?"],
  ])("%s ≈ %s", (a, b) => {
    expect(lookAlikeConflict(a, b)).toBeNull();
  });
});

describe("local embedder", () => {
  const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

  it("is deterministic and unit length, and puts paraphrases closer than other questions", () => {
    const a = embedLocal("How do I reset my password?", 256);
    expect(Array.from(a)).toEqual(Array.from(embedLocal("How do I reset my password?", 256)));
    expect(cos(a, a)).toBeCloseTo(1, 5);
    expect(cos(a, embedLocal("How can I reset my password?", 256))).toBeGreaterThan(0.95);
    expect(cos(a, embedLocal("What is the refund window?", 256))).toBeLessThan(0.3);
    expect(cos(embedLocal("", 256), embedLocal("", 256))).toBeCloseTo(1, 5);
  });
});

describe("CircuitBreaker", () => {
  function clocked() {
    let now = 1_000;
    const breaker = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 100, probeLeaseMs: 50 }, () => now);
    return { breaker, advance: (ms: number) => (now += ms) };
  }

  it("opens after N consecutive failures, admits one probe after the cooldown, and closes on its success", () => {
    const { breaker, advance } = clocked();
    for (let i = 0; i < 2; i++) breaker.failure(breaker.acquire());
    breaker.success(breaker.acquire()); // resets the count
    for (let i = 0; i < 3; i++) breaker.failure(breaker.acquire());
    expect(breaker.state).toBe("open");
    expect(breaker.acquire()).toEqual({ ok: false, state: "open", retryInMs: 100 });
    advance(100);
    expect(breaker.state).toBe("half-open");
    const probe = breaker.acquire();
    expect(probe).toEqual({ ok: true, probe: true });
    expect(breaker.acquire()).toMatchObject({ ok: false, state: "half-open" });
    breaker.success(probe);
    expect(breaker.state).toBe("closed");
    expect(breaker.acquire()).toEqual({ ok: true, probe: false });
  });

  it("re-opens when the probe fails; an abandoned probe's lease expires", () => {
    const { breaker, advance } = clocked();
    for (let i = 0; i < 3; i++) breaker.failure(breaker.acquire());
    advance(100);
    breaker.failure(breaker.acquire());
    expect(breaker.state).toBe("open");
    advance(100);
    breaker.acquire(); // a probe that never reports
    expect(breaker.acquire().ok).toBe(false);
    advance(50);
    expect(breaker.acquire()).toEqual({ ok: true, probe: true });
  });

  it("tells without taking the probe whether a call is blocked", () => {
    const { breaker, advance } = clocked();
    expect(breaker.blockedFor(1_000)).toBeUndefined();
    for (let i = 0; i < 3; i++) breaker.failure(breaker.acquire());
    expect(breaker.blockedFor(1_000)).toBe("breaker-open");
    advance(100);
    expect(breaker.blockedFor(1_000)).toBeUndefined();
    expect(breaker.blockedFor(1_000)).toBeUndefined();
    expect(breaker.acquire()).toEqual({ ok: true, probe: true });
    expect(breaker.blockedFor(1_000)).toBe("breaker-open");
  });

  it("a Retry-After longer than the budget blocks; a shorter one does not", () => {
    const { breaker } = clocked();
    breaker.deferUntil(1_000 + 500);
    expect(breaker.blockedFor(400)).toBe("rate-limited");
    expect(breaker.blockedFor(600)).toBeUndefined();
  });

  it("a late success from before it opened does not close it; Retry-After defers calls", () => {
    const { breaker, advance } = clocked();
    const early = breaker.acquire();
    for (let i = 0; i < 3; i++) breaker.failure(breaker.acquire());
    breaker.success(early);
    expect(breaker.state).toBe("open");
    breaker.deferUntil(1_000 + 500);
    expect(breaker.deferredMs()).toBe(500);
    advance(500);
    expect(breaker.deferredMs()).toBe(0);
  });
});

describe("SSE", () => {
  function streamOf(parts: string[], error?: Error): ReadableStream<Uint8Array> {
    const enc = new TextEncoder();
    let i = 0;
    return new ReadableStream({
      pull(controller) {
        if (i < parts.length) controller.enqueue(enc.encode(parts[i++]!));
        else if (error) controller.error(error);
        else controller.close();
      },
    });
  }

  it("parses events split anywhere, with CRLF, comments and multi-line data", async () => {
    const wire = ': hello\r\nevent: a\r\ndata: 1\r\ndata: 2\r\n\r\ndata: {"x":1}\n\nid: 7\ndata: last\n\n';
    const parts = wire.match(/.{1,3}/gs)!;
    const events = [];
    for await (const e of parseSse(streamOf(parts))) events.push(e);
    expect(events).toEqual([
      { event: "a", data: "1\n2" },
      { event: "message", data: '{"x":1}' },
      { event: "message", data: "last", id: "7" },
    ]);
  });

  it("surfaces a broken stream as an error", async () => {
    const consume = async () => {
      for await (const _ of parseSse(streamOf(["data: 1\n\n"], new Error("reset")))) {
        // drain
      }
    };
    await expect(consume()).rejects.toThrow("reset");
  });

  it("encodes events with JSON data, one data line per line", () => {
    expect(sseEvent("delta", { text: "a\nb" })).toBe('event: delta\ndata: {"text":"a\\nb"}\n\n');
    expect(sseEvent("x", "l1\nl2")).toBe("event: x\ndata: l1\ndata: l2\n\n");
  });
});

describe("Retry-After", () => {
  it("reads retry-after-ms, seconds and HTTP dates", () => {
    expect(retryAfterMs(new Headers({ "retry-after-ms": "1500", "retry-after": "2" }))).toBe(1500);
    expect(retryAfterMs(new Headers({ "retry-after": "2" }))).toBe(2000);
    expect(retryAfterMs(new Headers({ "retry-after": new Date(10_000).toUTCString() }), 7_000)).toBe(3000);
    expect(retryAfterMs(new Headers({ "retry-after": "soon" }))).toBeUndefined();
    expect(retryAfterMs(new Headers())).toBeUndefined();
  });
});

describe("origin chat client", () => {
  type Step = () => Response | Promise<Response> | "stall";
  function scriptedOrigin(steps: Step[]): OriginClient & { calls: number } {
    const origin = {
      baseUrl: "https://origin.test/v1",
      model: "m",
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      calls: 0,
      fetch(_path: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<Response> {
        const step = steps[Math.min(origin.calls++, steps.length - 1)]!;
        const r = step();
        if (r === "stall") {
          return new Promise((_, reject) => init.signal?.addEventListener("abort", () => reject(new Error("aborted"))));
        }
        return Promise.resolve(r);
      },
    };
    return origin;
  }
  const ok = (text: string) => () =>
    Response.json({ choices: [{ message: { content: text }, finish_reason: "stop" }] });
  const status =
    (s: number, headers: Record<string, string> = {}) =>
    () =>
      new Response("{}", { status: s, headers });
  const params = { model: "m", messages: [{ role: "user" as const, content: "q" }], temperature: 0, maxTokens: 10 };
  const breaker = () => new CircuitBreaker({ failureThreshold: 10, cooldownMs: 1_000, probeLeaseMs: 1_000 });

  it("retries 5xx and network errors, then answers", async () => {
    const origin = scriptedOrigin([status(502), () => Promise.reject(new Error("reset")) as never, ok("fine")]);
    const result = await completeChat({ origin, breaker: breaker() }, params, {
      deadline: Date.now() + 5_000,
      firstByteMs: 1_000,
    });
    expect(result).toMatchObject({ text: "fine", finishReason: "stop", attempts: 3 });
  });

  it("gives up after maxAttempts with the last error", async () => {
    const origin = scriptedOrigin([status(503)]);
    const err = await completeChat({ origin, breaker: breaker() }, params, {
      deadline: Date.now() + 5_000,
      firstByteMs: 1_000,
      maxAttempts: 2,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OriginError);
    expect(err).toMatchObject({ kind: "unavailable", status: 503, attempts: 2 });
    expect(origin.calls).toBe(2);
  });

  it("never retries a 4xx other than 408/429", async () => {
    const origin = scriptedOrigin([status(401), ok("never")]);
    const err = await completeChat({ origin, breaker: breaker() }, params, {
      deadline: Date.now() + 5_000,
      firstByteMs: 1_000,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "rejected", status: 401 });
    expect(origin.calls).toBe(1);
  });

  it("cuts a stalled attempt at the first-byte budget and stops at the deadline", async () => {
    const origin = scriptedOrigin([() => "stall"]);
    const t0 = Date.now();
    const err = await completeChat({ origin, breaker: breaker() }, params, {
      deadline: Date.now() + 500,
      firstByteMs: 200,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "timeout" });
    expect(Date.now() - t0).toBeLessThan(700);
    expect(origin.calls).toBeGreaterThanOrEqual(2);
  });

  it("a cut or malformed body is retried like a failure", async () => {
    const origin = scriptedOrigin([() => new Response('{"choices": [', { status: 200 }), ok("whole")]);
    const result = await completeChat({ origin, breaker: breaker() }, params, {
      deadline: Date.now() + 5_000,
      firstByteMs: 1_000,
    });
    expect(result.text).toBe("whole");
  });

  it("a stream that stalls between chunks fails with timeout after the first-byte budget", async () => {
    const enc = new TextEncoder();
    const origin = scriptedOrigin([
      () =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(enc.encode('data: {"choices":[{"delta":{"content":"Hel"}}]}\n\n'));
            },
          }),
          { headers: { "content-type": "text/event-stream" } },
        ),
    ]);
    const b = breaker();
    const stream = await openChatStream({ origin, breaker: b }, params, {
      deadline: Date.now() + 5_000,
      firstByteMs: 150,
    });
    const got: string[] = [];
    const err = await (async () => {
      for await (const d of stream.deltas) got.push(d);
    })().catch((e: unknown) => e);
    expect(got).toEqual(["Hel"]);
    expect(err).toMatchObject({ kind: "timeout" });
    expect(b.consecutiveFailures).toBe(1);
  });
});

describe("prompt, degraded answers and helpers", () => {
  const passage = { documentId: "d", chunkId: 1, title: "T", text: "Body.", score: 1, similarity: 0.9 };

  it("numbers the passages in the system prompt", () => {
    const [system, user] = promptMessages("Q?", [passage, { ...passage, chunkId: 2, title: null, text: "Other." }]);
    expect(system!.content).toContain("[1] (T) Body.\n\n[2] Other.");
    expect(user).toEqual({ role: "user", content: "Q?" });
  });

  it("marks degraded answers and carries the passages", () => {
    const a = degradedAnswer("timeout", [passage]);
    expect(a.source).toBe("degraded");
    expect(a.answer).toMatch(/^\[Degraded answer: .* did not answer in time\. These are the most relevant passages/);
    expect(a.passages).toEqual([{ documentId: "d", chunkId: 1, title: "T", text: "Body.", score: 1 }]);
    expect(degradedAnswer("breaker-open", []).answer).toMatch(/No passage of your documents matched/);
  });

  it("normalises questions for the exact cache and quotes FTS terms", () => {
    expect(normaliseQuestion("  How do I   ENABLE X?? ")).toBe("how do i enable x");
    expect(ftsMatch('how do I fix "ERR_7731" NEAR(a b)')).toBe('"fix" OR "err" OR "7731" OR "near"');
    expect(ftsMatch("how do I")).toBeUndefined();
  });
});
