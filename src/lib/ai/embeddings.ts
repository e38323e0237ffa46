/**
 * Embeddings behind one interface. Three implementations:
 * - Workers AI (`AI` binding): runs in Cloudflare's network next to the Worker. The default
 *   model, EmbeddingGemma, is Matryoshka-trained, so its 768 dimensions are cut to the index's
 *   256 and re-normalised (the recorded model name says so: `…@256`).
 * - the origin's `/v1/embeddings` (OpenAI-compatible, asked for 256 `dimensions`). Every query
 *   then costs an origin call, so a semantic-cache hit is no longer origin-free; opt-in only.
 * - the built-in local embedder (`local-embedder.ts`): offline and deterministic.
 *
 * Every vector carries its embedder's `model` and `dimensions`; documents record them and the
 * search, ask and ingest paths refuse to compare vectors from different models.
 */
import { EMBEDDING_DIMENSIONS } from "../db/schema.ts";
import type { OriginClient } from "../origin.ts";
import { embedLocal, LOCAL_EMBEDDING_MODEL } from "./local-embedder.ts";
import type { AiOptions, WorkersAi } from "./options.ts";

export interface Embedder {
  /** Recorded with every stored vector; two embedders with the same `model` are interchangeable. */
  readonly model: string;
  readonly dimensions: number;
  /** Where it runs: `origin` embedders cost an origin round trip per call. */
  readonly kind: "local" | "workers-ai" | "origin";
  embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]>;
}

/** The embedder failed (network, bad response); callers degrade or answer 503. */
export class EmbeddingError extends Error {
  override name = "EmbeddingError";
}

export const DEFAULT_WORKERS_AI_EMBEDDING_MODEL = "@cf/google/embeddinggemma-300m";
export const DEFAULT_ORIGIN_EMBEDDING_MODEL = "text-embedding-3-small";
const WORKERS_AI_BATCH = 50;
const ORIGIN_BATCH = 128;

function normalised(values: ArrayLike<number>, dimensions: number): Float32Array {
  if (values.length < dimensions)
    throw new EmbeddingError(`the embedder returned ${values.length} dimensions, ${dimensions} are needed`);
  const out = new Float32Array(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    const x = Number(values[i]);
    if (!Number.isFinite(x)) throw new EmbeddingError("the embedder returned a non-finite value");
    out[i] = x;
    norm += x * x;
  }
  if (norm === 0) throw new EmbeddingError("the embedder returned a zero vector");
  const inv = 1 / Math.sqrt(norm);
  for (let i = 0; i < dimensions; i++) out[i] = out[i]! * inv;
  return out;
}

export function localEmbedder(dimensions = EMBEDDING_DIMENSIONS): Embedder {
  return {
    model: LOCAL_EMBEDDING_MODEL,
    dimensions,
    kind: "local",
    embed: async (texts) => texts.map((t) => embedLocal(t, dimensions)),
  };
}

export function workersAiEmbedder(
  ai: WorkersAi,
  model = DEFAULT_WORKERS_AI_EMBEDDING_MODEL,
  dimensions = EMBEDDING_DIMENSIONS,
): Embedder {
  return {
    model: `${model}@${dimensions}`,
    dimensions,
    kind: "workers-ai",
    async embed(texts) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += WORKERS_AI_BATCH) {
        const batch = texts.slice(i, i + WORKERS_AI_BATCH);
        let result: unknown;
        try {
          result = await ai.run(model, { text: batch });
        } catch (err) {
          throw new EmbeddingError(`Workers AI embedding failed: ${err instanceof Error ? err.message : String(err)}`);
        }
        const data = (result as { data?: unknown } | null)?.data;
        if (!Array.isArray(data) || data.length !== batch.length)
          throw new EmbeddingError("Workers AI returned an unexpected embedding shape");
        for (const row of data) {
          if (!Array.isArray(row)) throw new EmbeddingError("Workers AI returned an unexpected embedding shape");
          out.push(normalised(row as number[], dimensions));
        }
      }
      return out;
    },
  };
}

export function originEmbedder(
  origin: OriginClient,
  model = DEFAULT_ORIGIN_EMBEDDING_MODEL,
  dimensions = EMBEDDING_DIMENSIONS,
  timeoutMs = 10_000,
): Embedder {
  return {
    model: `${model}@${dimensions}`,
    dimensions,
    kind: "origin",
    async embed(texts, signal) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += ORIGIN_BATCH) {
        const batch = texts.slice(i, i + ORIGIN_BATCH);
        let res: Response;
        try {
          res = await origin.fetch("embeddings", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ model, input: batch, dimensions, encoding_format: "float" }),
            timeoutMs,
            ...(signal ? { signal } : {}),
          });
        } catch (err) {
          throw new EmbeddingError(
            `origin embeddings unreachable: ${err instanceof Error ? err.message : String(err)}`,
          );
        }
        if (!res.ok) {
          await res.body?.cancel();
          throw new EmbeddingError(`origin embeddings answered ${res.status}`);
        }
        let body: { data?: Array<{ index?: number; embedding?: unknown }> };
        try {
          body = await res.json();
        } catch {
          throw new EmbeddingError("origin embeddings sent a malformed body");
        }
        const rows = body.data;
        if (!Array.isArray(rows) || rows.length !== batch.length)
          throw new EmbeddingError("origin embeddings returned an unexpected shape");
        const ordered = [...rows].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
        for (const row of ordered) {
          if (!Array.isArray(row.embedding)) throw new EmbeddingError("origin embeddings returned an unexpected shape");
          out.push(normalised(row.embedding as number[], dimensions));
        }
      }
      return out;
    },
  };
}

/** The configured embedder: Workers AI when bound (or asked for), the origin when asked for, else local. */
export function createEmbedder(options: AiOptions, origin: OriginClient): Embedder {
  const mode = options.embeddings === "auto" ? (options.ai ? "workers-ai" : "local") : options.embeddings;
  if (mode === "workers-ai") {
    if (!options.ai) throw new EmbeddingError("AI_EMBEDDINGS=workers-ai needs the `AI` binding");
    return workersAiEmbedder(options.ai, options.embeddingModel);
  }
  if (mode === "origin") return originEmbedder(origin, options.embeddingModel);
  return localEmbedder();
}
