/**
 * `/v1/ai/ask`, in this order:
 * 1. exact cache (one indexed read, no embedding);
 * 2. semantic cache (embed the question at the edge, nearest earlier question of the tenant and
 *    partition, threshold + look-alike guard);
 * 3. single flight: one leader per cold question, followers wait for its result;
 * 4. retrieval (vector + full-text) and generation: a light question at the edge when a
 *    Workers AI chat model is configured, otherwise the origin (retries, budgets, breaker);
 * 5. on origin failure: a `degraded` answer made of the retrieved passages, clearly marked.
 * Only complete answers (finish reason `stop`) are cached.
 *
 * The whole ask lives inside one budget: `ai.originTimeoutMs` from the request's start.
 */
import type { Redis } from "@upstash/redis/cloudflare";
import type { Database } from "../db/client.ts";
import type { RequestLogFields } from "../log.ts";
import type { OriginClient } from "../origin.ts";
import type { Answer, AskInput, Citation, DegradedPassage, Passage } from "./api.ts";
import { breakerFor, type CircuitBreaker } from "./breaker.ts";
import { EmbeddingError, type Embedder } from "./embeddings.ts";
import { firstByteBudgetMs, type AiOptions, type WorkersAi } from "./options.ts";
import { completeChat, openChatStream, OriginError, type ChatMessage, type ChatStream } from "./origin-chat.ts";
import { searchPassages, searchPassagesByText } from "./retrieval.ts";
import { cachePartition, exactCacheKey, lookupExact, lookupSemantic, storeAnswer } from "./semantic-cache.ts";
import { awaitFlight, claimFlight, finishFlight, type FlightResult } from "./single-flight.ts";

export const SYSTEM_PROMPT =
  "You answer questions for the user's organisation using only the numbered context passages. " +
  "Cite the passages you use as [1], [2], … If the passages do not contain the answer, say that you do not know. Be concise.";
export const ANSWER_TEMPERATURE = 0.2;
export const ANSWER_MAX_TOKENS = 512;
/** Passages given to the model. */
export const CONTEXT_PASSAGES = 4;
/** Time kept back from the origin to build a degraded answer. */
const FALLBACK_RESERVE_MS = 100;
/** Questions up to this length may be answered by the edge model. */
const EDGE_MAX_QUESTION_CHARS = 300;

export type AskOutcome =
  | { kind: "answer"; body: Answer; cache: "HIT" | "MISS"; similarity?: number }
  | {
      kind: "stream";
      citations: Citation[];
      stream: ChatStream;
      complete(text: string, finishReason: string | null): Promise<void>;
      fail(reason: string): Promise<void>;
    };

export interface AskContext {
  db: Database;
  redis: Redis;
  origin: OriginClient;
  embedder: Embedder;
  breaker: CircuitBreaker;
  tenant: string;
  config: { cacheThreshold: number; cacheTtlSeconds: number; originTimeoutMs: number };
  firstByteMs: number;
  /** Workers AI chat model for light questions (source `edge`). */
  edge?: { ai: WorkersAi; model: string } | undefined;
  /** When the request started (ms since epoch): the budget counts from here. */
  started: number;
  signal?: AbortSignal | undefined;
  /** Adds a `Server-Timing` phase. */
  timing(name: string, ms: number, description?: string): void;
  log: RequestLogFields;
}

/** What `createAskContext` builds the context from: the request's services and settings. */
export interface AskServices {
  db: Database;
  redis: Redis;
  origin: OriginClient;
  embedder: Embedder;
  options: AiOptions;
  config: AskContext["config"];
  started: number;
  signal?: AbortSignal | undefined;
  timing: AskContext["timing"];
  log: RequestLogFields;
}

/** The context of one ask: the origin's breaker, the first-byte budget and the edge model from the options. */
export function createAskContext(tenant: string, s: AskServices): AskContext {
  const { options, config } = s;
  return {
    db: s.db,
    redis: s.redis,
    origin: s.origin,
    embedder: s.embedder,
    breaker: breakerFor(s.origin.baseUrl, {
      failureThreshold: options.breakerFailures,
      cooldownMs: options.breakerCooldownMs,
      probeLeaseMs: config.originTimeoutMs + 1_000,
    }),
    tenant,
    config,
    firstByteMs: firstByteBudgetMs(options, config.originTimeoutMs),
    edge: options.ai && options.edgeChatModel ? { ai: options.ai, model: options.edgeChatModel } : undefined,
    started: s.started,
    signal: s.signal,
    timing: s.timing,
    log: s.log,
  };
}

/**
 * `Server-Timing` phases summed per name (an ask may pass through a phase more than once),
 * handed on by `flush` once the ask has settled.
 */
export class TimingTotals {
  readonly #phases = new Map<string, { ms: number; description?: string | undefined }>();

  readonly add = (name: string, ms: number, description?: string): void => {
    const m = this.#phases.get(name);
    this.#phases.set(name, { ms: (m?.ms ?? 0) + ms, description: description ?? m?.description });
  };

  flush(set: (name: string, ms: number, description?: string) => void): void {
    for (const [name, m] of this.#phases) set(name, m.ms, m.description);
    this.#phases.clear();
  }
}

function passagesOut(passages: Passage[]): DegradedPassage[] {
  return passages.map((p) => ({
    documentId: p.documentId,
    chunkId: p.chunkId,
    title: p.title,
    text: p.text,
    score: p.score,
  }));
}

function citationsOf(passages: Passage[], answer?: string): Citation[] {
  // When the model cites passages as [n], keep those; otherwise every passage it was given.
  const cited = new Set<number>();
  for (const m of answer?.matchAll(/\[(\d{1,2})\]/g) ?? []) cited.add(Number(m[1]));
  const chosen = cited.size ? passages.filter((_, i) => cited.has(i + 1)) : passages;
  return (chosen.length ? chosen : passages).map((p) => ({ documentId: p.documentId, chunkId: p.chunkId }));
}

export function promptMessages(question: string, passages: Passage[]): ChatMessage[] {
  const context = passages.length
    ? passages.map((p, i) => `[${i + 1}]${p.title ? ` (${p.title})` : ""} ${p.text}`).join("\n\n")
    : "(no passages matched this question)";
  return [
    { role: "system", content: `${SYSTEM_PROMPT}\n\nContext:\n${context}` },
    { role: "user", content: question },
  ];
}

const DEGRADED_REASONS: Record<string, string> = {
  "breaker-open": "the AI service is failing and is being given time to recover",
  timeout: "the AI service did not answer in time",
  "rate-limited": "the AI service is rate limiting requests",
  unavailable: "the AI service is unavailable",
  rejected: "the AI service refused the request",
  cut: "the AI service's answer broke off",
  cancelled: "the request was cancelled",
  "leader-failed": "the AI service failed while answering this same question for another request",
  "wait-timeout": "the AI service is still answering this same question for another request",
};

/** A `degraded` answer: no generated text, the retrieved passages, clearly marked as such. */
export function degradedAnswer(reason: string, passages: Passage[]): Answer {
  const why = DEGRADED_REASONS[reason] ?? "the AI service is unavailable";
  const header = `[Degraded answer: no answer was generated because ${why}.`;
  const answer = passages.length
    ? `${header} These are the most relevant passages from your documents.]\n\n${passages
        .map((p, i) => `[${i + 1}]${p.title ? ` ${p.title}:` : ""} ${p.text}`)
        .join("\n\n")}`
    : `${header} No passage of your documents matched the question.]`;
  return {
    answer,
    source: "degraded",
    citations: citationsOf(passages),
    passages: passagesOut(passages),
    degraded: { reason },
  };
}

/** Runs the ask pipeline up to an answer or an open origin stream. */
export async function ask(ctx: AskContext, input: AskInput): Promise<AskOutcome> {
  const { db, embedder, tenant, config, log } = ctx;
  const question = input.question;
  const deadline = ctx.started + config.originTimeoutMs;
  const partition = await cachePartition({
    chatModel: ctx.edge ? `${ctx.origin.model}|edge:${ctx.edge.model}` : ctx.origin.model,
    systemPrompt: SYSTEM_PROMPT,
    temperature: ANSWER_TEMPERATURE,
    maxTokens: ANSWER_MAX_TOKENS,
    embeddingModel: embedder.model,
  });
  const key = await exactCacheKey(tenant, partition, question);

  // 1. Exact cache.
  let t0 = performance.now();
  const exact = await lookupExact(db, tenant, key);
  if (exact) {
    ctx.timing("cache", performance.now() - t0, "exact hit");
    log.aiCache = "exact";
    return {
      kind: "answer",
      body: { answer: exact.answer, source: "cache", citations: exact.citations },
      cache: "HIT",
      similarity: 1,
    };
  }

  // 2. Semantic cache (needs the question's vector; an embedder outage skips it).
  t0 = performance.now();
  let vector: Float32Array | undefined;
  try {
    [vector] = await embedder.embed([question], ctx.signal);
  } catch (err) {
    if (!(err instanceof EmbeddingError)) throw err;
    log.aiEmbedding = `failed: ${err.message}`;
  }
  ctx.timing("embed", performance.now() - t0);
  if (vector) {
    t0 = performance.now();
    const semantic = await lookupSemantic(db, {
      tenant,
      partition,
      model: embedder.model,
      question,
      vector,
      threshold: config.cacheThreshold,
    });
    ctx.timing("cache", performance.now() - t0, semantic.hit ? "semantic hit" : "miss");
    if (semantic.rejected)
      log.aiCacheGuard = `${semantic.rejected.reason} (similarity ${semantic.rejected.similarity})`;
    if (semantic.hit) {
      log.aiCache = `semantic:${semantic.hit.similarity}`;
      return {
        kind: "answer",
        body: { answer: semantic.hit.answer, source: "cache", citations: semantic.hit.citations },
        cache: "HIT",
        similarity: semantic.hit.similarity,
      };
    }
  }
  log.aiCache = "miss";

  const retrieve = async (): Promise<Passage[]> => {
    const t = performance.now();
    try {
      if (!vector) return await searchPassagesByText(db, tenant, question, CONTEXT_PASSAGES);
      const result = await searchPassages(db, { tenant, vector, embedder, query: question, k: CONTEXT_PASSAGES });
      log.aiRetrieval = result.strategy;
      return result.passages;
    } finally {
      ctx.timing("retrieval", performance.now() - t);
    }
  };

  const edge = ctx.edge && !input.stream && question.length <= EDGE_MAX_QUESTION_CHARS ? ctx.edge : undefined;
  // The origin's breaker is open (or its one probe is out) and the edge model cannot answer:
  // degrade now, without queueing behind other requests or touching Redis.
  const blocked = edge ? undefined : ctx.breaker.blockedFor(deadline - Date.now());
  if (blocked) {
    log.aiOrigin = { skipped: blocked };
    return { kind: "answer", body: degradedAnswer(blocked, await retrieve()), cache: "MISS" };
  }

  // 3. Single flight: one origin call per cold question across requests.
  const leaseMs = Math.max(1_000, deadline - Date.now() + 1_000);
  let flight = await claimFlight(ctx.redis, key, leaseMs);
  if (flight.role === "follower") {
    const t = performance.now();
    const waited = await awaitFlight(
      ctx.redis,
      key,
      flight.leader,
      deadline - FALLBACK_RESERVE_MS,
      leaseMs,
      ctx.signal,
    );
    ctx.timing("flight", performance.now() - t, "waited for an identical question");
    if (waited.kind === "result") {
      log.aiFlight = `follower:${waited.result.status}`;
      if (waited.result.status === "ok") {
        const r = waited.result;
        return { kind: "answer", body: { answer: r.answer, source: r.source, citations: r.citations }, cache: "MISS" };
      }
      return { kind: "answer", body: degradedAnswer("leader-failed", await retrieve()), cache: "MISS" };
    }
    if (waited.kind === "timeout") {
      log.aiFlight = "follower:timeout";
      return { kind: "answer", body: degradedAnswer("wait-timeout", await retrieve()), cache: "MISS" };
    }
    flight = waited.kind === "leader" ? { role: "leader", token: waited.token } : { role: "solo" };
  }
  if (flight.role === "leader" && flight.earlier?.status === "ok") {
    // A leader that finished between our cache miss and our claim left its result.
    const earlier = flight.earlier;
    await finishFlight(ctx.redis, key, flight.token, earlier);
    log.aiFlight = "late-result";
    return {
      kind: "answer",
      body: { answer: earlier.answer, source: earlier.source, citations: earlier.citations },
      cache: "MISS",
    };
  }
  log.aiFlight ??= flight.role;
  const token = flight.role === "leader" ? flight.token : undefined;
  const publish = async (result: FlightResult) => {
    if (token) await finishFlight(ctx.redis, key, token, result);
  };

  try {
    // 4. Retrieval, then generation.
    const passages = await retrieve();
    const messages = promptMessages(question, passages);
    const remember = async (text: string, source: "origin" | "edge", finishReason: string | null) => {
      const citations = citationsOf(passages, text);
      // Only complete answers are cached; a truncated one (`length`) is served but not kept.
      if (vector && (finishReason === "stop" || finishReason === null)) {
        await storeAnswer(db, {
          tenant,
          partition,
          model: embedder.model,
          key,
          question,
          vector,
          answer: text,
          citations,
          ttlSeconds: config.cacheTtlSeconds,
        }).catch((err: unknown) => {
          log.aiCacheStore = `failed: ${err instanceof Error ? err.message : String(err)}`;
        });
      }
      await publish({ status: "ok", answer: text, citations, source });
      return citations;
    };

    if (edge) {
      const t = performance.now();
      try {
        const result = (await edge.ai.run(edge.model, {
          messages,
          max_tokens: ANSWER_MAX_TOKENS,
          temperature: ANSWER_TEMPERATURE,
        })) as { response?: unknown };
        ctx.timing("edge", performance.now() - t, "Workers AI");
        if (typeof result?.response === "string" && result.response.trim()) {
          const citations = await remember(result.response, "edge", "stop");
          return { kind: "answer", body: { answer: result.response, source: "edge", citations }, cache: "MISS" };
        }
        log.aiEdge = "empty answer";
      } catch (err) {
        ctx.timing("edge", performance.now() - t, "Workers AI failed");
        log.aiEdge = `failed: ${err instanceof Error ? err.message : String(err)}`;
      }
    }

    const params = { model: ctx.origin.model, messages, temperature: ANSWER_TEMPERATURE, maxTokens: ANSWER_MAX_TOKENS };
    const budget = { deadline: deadline - FALLBACK_RESERVE_MS, firstByteMs: ctx.firstByteMs };
    const deps = { origin: ctx.origin, breaker: ctx.breaker, ...(ctx.signal ? { signal: ctx.signal } : {}) };
    const t = performance.now();
    try {
      if (input.stream) {
        const stream = await openChatStream(deps, params, budget);
        ctx.timing("origin", performance.now() - t, "first byte");
        log.aiOrigin = { attempts: stream.attempts, firstByteMs: stream.firstByteMs };
        return {
          kind: "stream",
          citations: citationsOf(passages),
          stream,
          complete: async (text, finishReason) => {
            await remember(text, "origin", finishReason);
          },
          fail: (reason) => publish({ status: "failed", reason }),
        };
      }
      const result = await completeChat(deps, params, budget);
      ctx.timing("origin", performance.now() - t);
      log.aiOrigin = { attempts: result.attempts, firstByteMs: result.firstByteMs, finishReason: result.finishReason };
      const citations = await remember(result.text, "origin", result.finishReason);
      return { kind: "answer", body: { answer: result.text, source: "origin", citations }, cache: "MISS" };
    } catch (err) {
      if (!(err instanceof OriginError)) throw err;
      ctx.timing("origin", performance.now() - t, `failed: ${err.kind}`);
      log.aiOrigin = { failed: err.kind, attempts: err.attempts, status: err.status, message: err.message };
      await publish({ status: "failed", reason: err.kind });
      return { kind: "answer", body: degradedAnswer(err.kind, passages), cache: "MISS" };
    }
  } catch (err) {
    await publish({ status: "failed", reason: "error" });
    throw err;
  }
}
