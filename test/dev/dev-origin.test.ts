import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { request as httpRequest } from "node:http";
import OpenAI from "openai";
import { DEV_CHAT_MODEL, DEV_EMBEDDING_MODEL, startDevOrigin } from "../../dev/dev-origin.ts";
import type { DevOrigin, OriginStats } from "../../dev/dev-origin.ts";

const API_KEY = "sk-dev-origin-test";

let origin: DevOrigin;
let client: OpenAI;

beforeAll(async () => {
  origin = await startDevOrigin({ apiKey: API_KEY });
  client = new OpenAI({ baseURL: `${origin.url}/v1`, apiKey: API_KEY, maxRetries: 0 });
});

afterAll(async () => {
  await origin.close();
});

afterEach(() => {
  origin.setFault(null);
  origin.resetStats();
});

function ask(question: string, extra: { system?: string } = {}): OpenAI.Chat.ChatCompletionCreateParamsNonStreaming {
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [];
  if (extra.system !== undefined) messages.push({ role: "system", content: extra.system });
  messages.push({ role: "user", content: question });
  return { model: DEV_CHAT_MODEL, messages, temperature: 0.2, max_tokens: 200 };
}

async function askText(question: string, extra: { system?: string } = {}): Promise<string> {
  const res = await client.chat.completions.create(ask(question, extra));
  return res.choices[0]?.message.content ?? "";
}

function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / Math.sqrt(na * nb);
}

function norm(v: readonly number[]): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

async function embed(input: string | string[], dimensions?: number): Promise<number[][]> {
  const res = await client.embeddings.create({
    model: DEV_EMBEDDING_MODEL,
    input,
    ...(dimensions === undefined ? {} : { dimensions }),
  });
  return res.data.map((d) => Array.from(d.embedding));
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected the promise to reject");
}

async function control(method: string, path: string, body?: string): Promise<{ status: number; json: unknown }> {
  const init: RequestInit = { method };
  if (body !== undefined) init.body = body;
  const res = await fetch(`${origin.url}${path}`, init);
  return { status: res.status, json: (await res.json()) as unknown };
}

async function httpStats(): Promise<OriginStats> {
  const { status, json } = await control("GET", "/__dev/stats");
  expect(status).toBe(200);
  return json as OriginStats;
}

describe("chat completions", () => {
  it("is deterministic: same request → same text, different question → different text", async () => {
    const a1 = await askText("How do Durable Objects handle concurrency?");
    const a2 = await askText("How do Durable Objects handle concurrency?");
    const b = await askText("What is the capital of France?");
    expect(a1.length).toBeGreaterThan(20);
    expect(a2).toBe(a1);
    expect(b).not.toBe(a1);
    expect(a1).toContain("Durable Objects handle concurrency");
    expect(b).toContain("capital of France");
  });

  it("returns the standard chat.completion shape with usage, and reflects the system context", async () => {
    const res = await client.chat.completions.create(
      ask("Which region is closest?", { system: "Context: colo FRA serves Germany." }),
    );
    expect(res.object).toBe("chat.completion");
    expect(res.model).toBe(DEV_CHAT_MODEL);
    expect(res.choices).toHaveLength(1);
    expect(res.choices[0]?.message.role).toBe("assistant");
    expect(res.choices[0]?.finish_reason).toBe("stop");
    expect(res.choices[0]?.message.content).toContain("colo FRA serves Germany");
    expect(res.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(res.usage?.completion_tokens).toBeGreaterThan(0);
    expect(res.usage?.total_tokens).toBe((res.usage?.prompt_tokens ?? 0) + (res.usage?.completion_tokens ?? 0));

    const without = await askText("Which region is closest?");
    expect(without).not.toContain("colo FRA");
  });

  it("honours max_tokens with finish_reason length", async () => {
    const res = await client.chat.completions.create({ ...ask("Explain edge caching in detail"), max_tokens: 4 });
    expect(res.choices[0]?.finish_reason).toBe("length");
    expect(res.usage?.completion_tokens).toBe(4);
    expect((res.choices[0]?.message.content ?? "").split(/\s+/)).toHaveLength(4);
  });

  it("streams several chunks that concatenate to the non-stream answer, with a final finish_reason and optional usage", async () => {
    const expected = await askText("Why stream tokens?");
    const stream = await client.chat.completions.create({
      ...ask("Why stream tokens?"),
      stream: true,
      stream_options: { include_usage: true },
    });
    const contents: string[] = [];
    const finishReasons: string[] = [];
    let usageChunks = 0;
    for await (const chunk of stream) {
      expect(chunk.object).toBe("chat.completion.chunk");
      const choice = chunk.choices[0];
      if (choice?.delta.content) contents.push(choice.delta.content);
      if (choice?.finish_reason) finishReasons.push(choice.finish_reason);
      if (chunk.usage) {
        usageChunks += 1;
        expect(chunk.choices).toHaveLength(0);
        expect(chunk.usage.completion_tokens).toBeGreaterThan(0);
      }
    }
    expect(contents.length).toBeGreaterThanOrEqual(3);
    expect(contents.join("")).toBe(expected);
    expect(finishReasons).toEqual(["stop"]);
    expect(usageChunks).toBe(1);
  });

  it("streams over raw SSE: text/event-stream, no usage chunk unless requested, terminated by [DONE]", async () => {
    const res = await fetch(`${origin.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ ...ask("raw sse"), stream: true }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const text = await res.text();
    const events = text.split("\n\n").filter((e) => e.length > 0);
    expect(events.every((e) => e.startsWith("data: "))).toBe(true);
    expect(events.at(-1)).toBe("data: [DONE]");
    const payloads = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)) as { usage?: unknown; choices: unknown[] });
    expect(payloads.length).toBeGreaterThanOrEqual(4);
    expect(payloads.some((p) => p.usage !== undefined && p.usage !== null)).toBe(false);
  });

  it("rejects invalid requests with 400 in the OpenAI error shape", async () => {
    const err = await caught(client.chat.completions.create({ model: DEV_CHAT_MODEL, messages: [] }));
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).status).toBe(400);

    const post = async (body: string): Promise<Response> =>
      fetch(`${origin.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${API_KEY}` },
        body,
      });
    for (const body of [
      "{not json",
      JSON.stringify({ messages: [{ role: "user", content: "hi" }] }),
      JSON.stringify({ model: "m" }),
      JSON.stringify({ model: "m", messages: [{ role: "wizard", content: "x" }] }),
    ]) {
      const res = await post(body);
      expect(res.status, body).toBe(400);
      const json = (await res.json()) as { error: Record<string, unknown> };
      expect(Object.keys(json.error).sort()).toEqual(["code", "message", "param", "type"]);
      expect(typeof json.error.message).toBe("string");
      expect(json.error.type).toBe("invalid_request_error");
    }
  });
});

describe("embeddings", () => {
  it("is deterministic, L2-normalised and uses the default dimensions", async () => {
    const [a, b] = await embed(["Edge functions run close to users.", "Edge functions run close to users."]);
    const [c] = await embed("Edge functions run close to users.");
    expect(a).toHaveLength(256);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(norm(a ?? [])).toBeCloseTo(1, 5);
    expect((a ?? []).filter((x) => x !== 0).length).toBeGreaterThan(10);
  });

  it("honours requested dimensions", async () => {
    const [v64] = await embed("dimensions test", 64);
    const [v1024] = await embed("dimensions test", 1024);
    expect(v64).toHaveLength(64);
    expect(v1024).toHaveLength(1024);
    expect(norm(v64 ?? [])).toBeCloseTo(1, 5);
    expect(norm(v1024 ?? [])).toBeCloseTo(1, 5);
  });

  it("puts similar sentences closer than unrelated ones", async () => {
    const [base, near, unrelated] = await embed([
      "How do I reset my account password?",
      "How can I reset the password of my account?",
      "Bananas are rich in potassium and grow in tropical climates.",
    ]);
    const simNear = cosine(base ?? [], near ?? []);
    const simFar = cosine(base ?? [], unrelated ?? []);
    expect(simNear).toBeGreaterThan(0.6);
    expect(simFar).toBeLessThan(0.3);
    expect(simNear).toBeGreaterThan(simFar + 0.4);
  });

  it("serves float and base64 (little-endian float32) encodings with identical values", async () => {
    const floats = await client.embeddings.create({
      model: DEV_EMBEDDING_MODEL,
      input: "encoding check",
      encoding_format: "float",
      dimensions: 32,
    });
    const res = await fetch(`${origin.url}/v1/embeddings`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({
        model: DEV_EMBEDDING_MODEL,
        input: "encoding check",
        encoding_format: "base64",
        dimensions: 32,
      }),
    });
    const json = (await res.json()) as {
      object: string;
      model: string;
      data: { embedding: string; index: number; object: string }[];
      usage: { prompt_tokens: number };
    };
    expect(json.object).toBe("list");
    expect(json.model).toBe(DEV_EMBEDDING_MODEL);
    expect(json.usage.prompt_tokens).toBe(2);
    const first = json.data[0];
    expect(typeof first?.embedding).toBe("string");
    const buf = Buffer.from(first?.embedding ?? "", "base64");
    expect(buf.length).toBe(32 * 4);
    const decoded = Array.from({ length: 32 }, (_, i) => buf.readFloatLE(i * 4));
    expect(decoded).toEqual(floats.data[0]?.embedding);
  });

  it("rejects missing input / bad dimensions with 400", async () => {
    const err = await caught(client.embeddings.create({ model: DEV_EMBEDDING_MODEL, input: "x", dimensions: 0 }));
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const res = await fetch(`${origin.url}/v1/embeddings`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({ model: "m" }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe("input");
  });
});

describe("models, health and auth", () => {
  it("lists the chat and embedding models and answers /health", async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids.sort()).toEqual([DEV_CHAT_MODEL, DEV_EMBEDDING_MODEL].sort());
    const health = await fetch(`${origin.url}/health`);
    expect(health.status).toBe(200);
  });

  it("rejects a wrong API key with AuthenticationError (401) and a missing one with 401", async () => {
    const bad = new OpenAI({ baseURL: `${origin.url}/v1`, apiKey: "sk-wrong", maxRetries: 0 });
    const err = await caught(bad.chat.completions.create(ask("hi")));
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((err as InstanceType<typeof OpenAI.AuthenticationError>).status).toBe(401);

    const res = await fetch(`${origin.url}/v1/models`);
    expect(res.status).toBe(401);
    const json = (await res.json()) as { error: { type: string; message: string } };
    expect(json.error.type).toBe("invalid_request_error");
  });

  it("records the last request with the authorization header redacted", async () => {
    await askText("record me");
    const s = origin.stats();
    expect(s.lastRequest?.path).toBe("/v1/chat/completions");
    expect(s.lastRequest?.headers.authorization).toBe("[redacted]");
    expect(JSON.stringify(s.lastRequest)).not.toContain(API_KEY);
    expect((s.lastRequest!.body as { messages: { content: string }[] }).messages[0]?.content).toBe("record me");
  });
});

describe("faults", () => {
  it("status 503 with times:2 → two failures then success, all counted in stats", async () => {
    origin.setFault({ status: 503, times: 2 });
    for (let i = 0; i < 2; i++) {
      const err = await caught(askText("flaky?"));
      expect(err).toBeInstanceOf(OpenAI.InternalServerError);
      expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    }
    expect(await askText("flaky?")).toContain("flaky?");
    const s = origin.stats();
    expect(s.chat).toBe(3);
    expect(s.total).toBe(3);
    expect(s.faulted).toBe(2);
  });

  it("429 with retryAfterSeconds → RateLimitError exposing Retry-After", async () => {
    origin.setFault({ status: 429, retryAfterSeconds: 7 });
    const err = await caught(askText("too many?"));
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const apiErr = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(apiErr.status).toBe(429);
    expect(apiErr.headers.get("retry-after")).toBe("7");
    // without times the fault persists until cleared
    expect(await caught(askText("still?"))).toBeInstanceOf(OpenAI.RateLimitError);
  });

  it("only applies to the configured path", async () => {
    origin.setFault({ status: 500, path: "embeddings" });
    expect(await askText("chat unaffected")).toContain("chat unaffected");
    expect(await caught(embed("embeddings affected"))).toBeInstanceOf(OpenAI.InternalServerError);
    origin.setFault({ status: 500, path: "chat" });
    expect(await embed("fine now")).toHaveLength(1);
    expect(await caught(askText("chat affected"))).toBeInstanceOf(OpenAI.InternalServerError);
  });

  it("latencyMs delays the response", async () => {
    origin.setFault({ latencyMs: 300, times: 1 });
    const t0 = Date.now();
    await askText("slow");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    const t1 = Date.now();
    await askText("fast");
    expect(Date.now() - t1).toBeLessThan(250);
  });

  it("stallBeforeFirstByteMs → a client with a short timeout times out", async () => {
    origin.setFault({ stallBeforeFirstByteMs: 5_000, times: 1 });
    const impatient = new OpenAI({ baseURL: `${origin.url}/v1`, apiKey: API_KEY, maxRetries: 0, timeout: 300 });
    const t0 = Date.now();
    const err = await caught(impatient.chat.completions.create(ask("hello?")));
    const elapsed = Date.now() - t0;
    expect(err).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3_000);
    expect(origin.stats().chat).toBe(1);
    // fault was one-shot
    expect(await impatient.chat.completions.create(ask("hello?"))).toHaveProperty("object", "chat.completion");
  });

  it("stall sends no bytes at all (not even headers)", async () => {
    origin.setFault({ stallBeforeFirstByteMs: 400, times: 1 });
    const t0 = Date.now();
    const res = await fetch(`${origin.url}/health`); // control: /health is never faulted
    expect(res.status).toBe(200);
    const r = await fetch(`${origin.url}/v1/models`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(380);
    expect(r.status).toBe(200);
  });

  it("resetAfterChunks → stream iteration throws after exactly N chunks (no [DONE])", async () => {
    origin.setFault({ resetAfterChunks: 2, path: "chat" });
    const stream = await client.chat.completions.create({ ...ask("cut me off"), stream: true });
    const received: string[] = [];
    let thrown: unknown = null;
    try {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? "");
    } catch (e) {
      thrown = e;
    }
    expect(thrown).not.toBeNull();
    expect(received).toHaveLength(2);
    const full = await (async () => {
      origin.setFault(null);
      return askText("cut me off");
    })();
    expect(full.startsWith(received.join(""))).toBe(true);
    expect(full.length).toBeGreaterThan(received.join("").length);
  });

  it("resetAfterChunks on a non-streaming request → headers and half the body, then the socket is destroyed", async () => {
    origin.setFault({ resetAfterChunks: 1, times: 1 });
    const err = await caught(askText("partial"));
    expect(err).toBeInstanceOf(TypeError); // body read cut short: a transport error, not an HTTP status error
    expect(err).not.toBeInstanceOf(OpenAI.APIError);

    origin.setFault({ resetAfterChunks: 1, times: 1 });
    const outcome = await new Promise<{ status: number; declared: number; received: number; cut: boolean }>(
      (resolve, reject) => {
        const req = httpRequest(
          `${origin.url}/v1/models`,
          { headers: { authorization: `Bearer ${API_KEY}` } },
          (res) => {
            let received = 0;
            const declared = Number(res.headers["content-length"]);
            res.on("data", (c: Buffer) => (received += c.length));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, declared, received, cut: false }));
            res.on("error", () => resolve({ status: res.statusCode ?? 0, declared, received, cut: true }));
          },
        );
        req.on("error", reject);
        req.end();
      },
    );
    expect(outcome.status).toBe(200);
    expect(outcome.cut).toBe(true);
    expect(outcome.declared).toBeGreaterThan(0);
    expect(outcome.received).toBe(Math.floor(outcome.declared / 2));

    expect(await askText("partial")).toContain("partial");
  });

  it("close() returns promptly with a stalled connection open", async () => {
    const other = await startDevOrigin();
    other.setFault({ stallBeforeFirstByteMs: 60_000 });
    const pending = fetch(`${other.url}/v1/models`).then(
      () => "resolved",
      () => "rejected",
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(other.stats().total).toBe(1);
    const t0 = Date.now();
    await other.close();
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(await pending).toBe("rejected");
  });
});

describe("HTTP fault control", () => {
  it("PUT /__dev/fault applies a fault, DELETE clears it", async () => {
    const put = await control("PUT", "/__dev/fault", JSON.stringify({ status: 502, path: "chat" }));
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ fault: { status: 502, path: "chat" } });
    const err = await caught(askText("via http"));
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect(await caught(askText("via http"))).toBeInstanceOf(OpenAI.InternalServerError);

    const del = await control("DELETE", "/__dev/fault");
    expect(del.status).toBe(200);
    expect(del.json).toMatchObject({ fault: null });
    expect(await askText("via http")).toContain("via http");
  });

  it("PUT with times reports the remaining count", async () => {
    await control("PUT", "/__dev/fault", JSON.stringify({ status: 500, times: 3 }));
    await caught(askText("count down"));
    const { json } = await control("GET", "/__dev/fault");
    expect(json).toMatchObject({ fault: { status: 500, times: 3 }, remaining: 2 });
  });

  it("GET /__dev/stats counts /v1 requests and POST /__dev/reset clears stats and fault", async () => {
    await askText("one");
    await embed(["two", "three"]);
    await client.models.list();
    await control("PUT", "/__dev/fault", JSON.stringify({ status: 503 }));
    await caught(askText("four"));

    const s = await httpStats();
    expect(s.chat).toBe(2);
    expect(s.embeddings).toBe(1);
    expect(s.total).toBe(4);
    expect(s.lastRequest?.path).toBe("/v1/chat/completions");
    expect(s.lastRequest?.headers.authorization).toBe("[redacted]");

    const reset = await control("POST", "/__dev/reset");
    expect(reset.status).toBe(200);
    const after = await httpStats();
    expect(after).toMatchObject({ chat: 0, embeddings: 0, total: 0 });
    expect(after.lastRequest).toBeUndefined();
    expect(await askText("five")).toContain("five");
  });

  it("rejects bad fault bodies with 400 and leaves the current fault untouched", async () => {
    await control("PUT", "/__dev/fault", JSON.stringify({ status: 503, path: "embeddings" }));
    const bad = [
      "{oops",
      "[]",
      JSON.stringify({ status: 200 }),
      JSON.stringify({ status: 503, times: 0 }),
      JSON.stringify({ latencyMs: -1 }),
      JSON.stringify({ status: 500, path: "nope" }),
      JSON.stringify({ status: 500, stauts: 500 }),
      JSON.stringify({ times: 2 }),
    ];
    for (const body of bad) {
      const res = await control("PUT", "/__dev/fault", body);
      expect(res.status, body).toBe(400);
      expect(res.json).toHaveProperty("error.message");
    }
    const { json } = await control("GET", "/__dev/fault");
    expect(json).toMatchObject({ fault: { status: 503, path: "embeddings" } });
    expect(() => origin.setFault({ status: 42 })).toThrow();
  });
});
