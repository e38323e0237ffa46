/**
 * Optional AI knobs read from the Worker's env, validated once per env object. None is
 * required: without them the AI routes use the built-in embedder, the origin for generation
 * and synchronous ingestion. The optional bindings (Workers AI `AI`, not in wrangler.toml; the
 * ingest queue `AI_INGEST`, bound there) are checked loosely here, so the code works whether
 * or not they are bound.
 *
 * | var | meaning | default |
 * |---|---|---|
 * | `AI_EMBEDDINGS` | `auto` (Workers AI when bound, else local), `workers-ai`, `origin`, `local` | `auto` |
 * | `AI_EMBEDDING_MODEL` | model for `workers-ai` or `origin` embeddings | `@cf/google/embeddinggemma-300m` / `text-embedding-3-small` |
 * | `AI_EDGE_CHAT_MODEL` | Workers AI model that answers light questions at the edge (source `edge`) | unset (origin only) |
 * | `AI_BREAKER_FAILURES` | consecutive origin failures that open the breaker | 5 |
 * | `AI_BREAKER_COOLDOWN_MS` | how long it stays open before one probe | 30000 |
 * | `AI_ORIGIN_FIRST_BYTE_MS` | budget for the origin's first byte | 40% of `ai.originTimeoutMs`, 1–10 s |
 */
import { z } from "zod";
import { logLine } from "../log.ts";

/** The slice of the Workers AI binding this code uses. */
export interface WorkersAi {
  run(model: string, input: Record<string, unknown>, options?: Record<string, unknown>): Promise<unknown>;
}

/** The slice of a Queue producer binding this code uses. */
export interface IngestQueue {
  send(body: unknown, options?: { contentType?: string; delaySeconds?: number }): Promise<unknown>;
}

export interface AiOptions {
  embeddings: "auto" | "workers-ai" | "origin" | "local";
  embeddingModel: string | undefined;
  edgeChatModel: string | undefined;
  breakerFailures: number;
  breakerCooldownMs: number;
  firstByteMs: number | undefined;
  ai: WorkersAi | undefined;
  ingestQueue: IngestQueue | undefined;
}

const blankIsUnset = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);

const varsSchema = z.object({
  AI_EMBEDDINGS: z.preprocess(blankIsUnset, z.enum(["auto", "workers-ai", "origin", "local"]).default("auto")),
  AI_EMBEDDING_MODEL: z.preprocess(blankIsUnset, z.string().max(200).optional()),
  AI_EDGE_CHAT_MODEL: z.preprocess(blankIsUnset, z.string().max(200).optional()),
  AI_BREAKER_FAILURES: z.preprocess(blankIsUnset, z.coerce.number().int().min(1).max(1000).default(5)),
  AI_BREAKER_COOLDOWN_MS: z.preprocess(blankIsUnset, z.coerce.number().int().min(10).max(3_600_000).default(30_000)),
  AI_ORIGIN_FIRST_BYTE_MS: z.preprocess(blankIsUnset, z.coerce.number().int().min(50).max(120_000).optional()),
});

/** Whether a binding looks like it offers `name()` (bindings not in wrangler.toml are untyped). */
function hasMethod(v: unknown, name: string): boolean {
  return typeof v === "object" && v !== null && typeof (v as Record<string, unknown>)[name] === "function";
}

const parsed = new WeakMap<object, AiOptions>();

export function aiOptions(env: object): AiOptions {
  const hit = parsed.get(env);
  if (hit) return hit;
  const raw = env as Record<string, unknown>;
  let vars = varsSchema.safeParse(raw);
  if (!vars.success) {
    logLine("warn", "invalid AI settings: using the defaults", {
      problems: vars.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
    });
    vars = varsSchema.safeParse({});
  }
  const v = vars.data ?? varsSchema.parse({});
  const options: AiOptions = {
    embeddings: v.AI_EMBEDDINGS,
    embeddingModel: v.AI_EMBEDDING_MODEL,
    edgeChatModel: v.AI_EDGE_CHAT_MODEL,
    breakerFailures: v.AI_BREAKER_FAILURES,
    breakerCooldownMs: v.AI_BREAKER_COOLDOWN_MS,
    firstByteMs: v.AI_ORIGIN_FIRST_BYTE_MS,
    ai: hasMethod(raw.AI, "run") ? (raw.AI as unknown as WorkersAi) : undefined,
    ingestQueue: hasMethod(raw.AI_INGEST, "send") ? (raw.AI_INGEST as unknown as IngestQueue) : undefined,
  };
  parsed.set(env, options);
  return options;
}

/** The origin's first-byte budget for a given total budget. */
export function firstByteBudgetMs(options: AiOptions, totalMs: number): number {
  if (options.firstByteMs !== undefined) return Math.min(options.firstByteMs, totalMs);
  return Math.min(totalMs, Math.max(1_000, Math.min(10_000, Math.round(totalMs * 0.4))));
}
