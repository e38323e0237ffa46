/**
 * The AI bench's corpora (deterministic), shared by `bench/ai.ts` and `bench/ai-ivf.ts`.
 * `topical`: documents over a Zipf-distributed vocabulary, each chunk half topic words, half
 * common words. `mixed`: the same topical chunks plus near-duplicates, paraphrases and
 * unrelated texts in known proportions (MIXED_SHARES), so recall is not measured on an easy
 * distribution only.
 */
import Database from "libsql";
import { embedLocal } from "../src/lib/ai/local-embedder.ts";

export type CorpusKind = "topical" | "mixed";
/** Shares of the mixed corpus: topical originals, near-duplicates (≈5% of words changed), paraphrases (reordered, ≈30% of words swapped for others of the topic), unrelated texts. */
export const MIXED_SHARES = { topical: 0.6, nearDuplicate: 0.15, paraphrase: 0.15, unrelated: 0.1 };

export function corpus(seed: number, kind: CorpusKind = "topical") {
  let s = seed >>> 0;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const syllables = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ra",
    "tu",
    "shi",
    "po",
    "de",
    "va",
    "ri",
    "mo",
    "zu",
    "fe",
    "ga",
    "bi",
    "xo",
    "le",
    "an",
    "or",
  ];
  const vocab = Array.from({ length: 12_000 }, () =>
    Array.from({ length: 2 + Math.floor(rnd() * 3) }, () => syllables[Math.floor(rnd() * syllables.length)]).join(""),
  );
  const common = () => vocab[Math.min(vocab.length - 1, Math.floor(rnd() ** 2.2 * vocab.length))]!;
  const topics = Array.from({ length: 500 }, () =>
    Array.from({ length: 60 }, () => vocab[Math.floor(rnd() * vocab.length)]!),
  );
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
  /** Recent originals (with their topic) that near-duplicates and paraphrases are made from. */
  const recent: Array<{ words: string[]; topic: string[] }> = [];
  const topical = (): { words: string[]; topic: string[] } => {
    const topic = pick(topics);
    const words = Array.from({ length: 40 + Math.floor(rnd() * 120) }, () => (rnd() < 0.5 ? pick(topic) : common()));
    return { words, topic };
  };
  const paraphrase = (words: string[], topic: string[]) => {
    const out = words.map((w) => (rnd() < 0.3 ? (rnd() < 0.5 ? pick(topic) : common()) : w));
    // Reorder within windows of 8 words: the same content, another order.
    for (let i = 0; i + 8 <= out.length; i += 8) {
      for (let j = i + 7; j > i; j--) {
        const k = i + Math.floor(rnd() * (j - i + 1));
        [out[j], out[k]] = [out[k]!, out[j]!];
      }
    }
    return out;
  };
  return {
    /** A chunk-sized text (40-160 words). */
    chunk(): string {
      const r = rnd();
      if (kind === "topical" || recent.length < 50 || r < MIXED_SHARES.topical) {
        const c = topical();
        if (recent.length < 2_000) recent.push(c);
        else recent[Math.floor(rnd() * recent.length)] = c;
        return c.words.join(" ");
      }
      if (r < MIXED_SHARES.topical + MIXED_SHARES.nearDuplicate) {
        const { words } = pick(recent);
        return words.map((w) => (rnd() < 0.05 ? common() : w)).join(" ");
      }
      if (r < MIXED_SHARES.topical + MIXED_SHARES.nearDuplicate + MIXED_SHARES.paraphrase) {
        const { words, topic } = pick(recent);
        return paraphrase(words, topic).join(" ");
      }
      return Array.from({ length: 40 + Math.floor(rnd() * 120) }, () => pick(vocab)).join(" ");
    },
    /** A short query: the start of a chunk, a bag of one topic's words, or (mixed) a paraphrased start of a chunk. */
    query(i: number, chunks: string[]): string {
      if (kind === "mixed" && i % 3 === 2) {
        const { words, topic } = pick(recent);
        return paraphrase(words.slice(0, 12), topic).join(" ");
      }
      if (i % 2 === 0) return pick(chunks).split(" ").slice(0, 12).join(" ");
      const topic = pick(topics);
      return Array.from({ length: 8 }, () => pick(topic)).join(" ");
    },
  };
}

/** The small tenant: every 100th chunk (1% of the index). */
export const SMALL_TENANT = "one-percent";
/** Chunks 0..9,999 (but the small tenant's) belong to one big tenant; the rest to 97 others. */
export const tenantOf = (i: number) => (i % 100 === 0 ? SMALL_TENANT : i < 10_000 ? "big" : `t${i % 97}`);

/** A vector as the BLOB libSQL stores for `F32_BLOB`. */
export const vectorBlob = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** Opens a bench database file with the settings both AI benches use (WAL, large cache, mmap). */
export function openBenchDb(file: string): Database.Database {
  const db = new Database(file);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA cache_size = -524288");
  db.exec("PRAGMA mmap_size = 4294967296");
  return db;
}

/**
 * Generates the corpus's `n` chunks and, unless `reuse` (the file is a cached copy that already
 * holds them), inserts them, one document per chunk (so every tenant's document and chunk counts
 * are exact), in transactions of 1,000. Returns the first 5,000 texts overall and of the small
 * tenant (what the queries are made from) and the insert time (NaN when reused).
 */
export function fillCorpus(
  db: Database.Database,
  gen: ReturnType<typeof corpus>,
  n: number,
  dims: number,
  reuse: boolean,
  progress?: (done: number, seconds: number) => void,
): { texts: string[]; tenantTexts: string[]; insertSeconds: number } {
  const texts: string[] = [];
  const tenantTexts: string[] = [];
  const insertDoc = db.prepare(
    "INSERT INTO ai_documents (id, tenant, embedding_model, embedding_dimensions, chunk_count) VALUES (?, ?, 'local-hash-v1', ?, ?)",
  );
  const insertChunk = db.prepare(
    "INSERT INTO ai_chunks (tenant, document_id, ordinal, text, embedding) VALUES (?, ?, ?, ?, ?)",
  );
  const t0 = performance.now();
  const batch = 1_000;
  for (let start = 0; start < n; start += batch) {
    if (!reuse) db.exec("BEGIN");
    for (let i = start; i < Math.min(n, start + batch); i++) {
      const text = gen.chunk();
      if (texts.length < 5_000) texts.push(text);
      if (tenantOf(i) === SMALL_TENANT && tenantTexts.length < 5_000) tenantTexts.push(text);
      if (reuse) continue;
      insertDoc.run([`d${i}`, tenantOf(i), dims, 1]);
      insertChunk.run([tenantOf(i), `d${i}`, 0, text, vectorBlob(embedLocal(text, dims))]);
    }
    if (reuse) continue;
    db.exec("COMMIT");
    progress?.(Math.min(n, start + batch), (performance.now() - t0) / 1000);
  }
  return { texts, tenantTexts, insertSeconds: reuse ? Number.NaN : (performance.now() - t0) / 1000 };
}

/** The exact scans recall is measured against: all chunks, and one tenant's (`? = tenant`). */
export function exactScans(db: Database.Database) {
  return {
    exact: db.prepare("SELECT id, vector_distance_cos(embedding, ?) AS d FROM ai_chunks ORDER BY d LIMIT 10").raw(true),
    tenantExact: db
      .prepare("SELECT id, vector_distance_cos(embedding, ?) AS d FROM ai_chunks WHERE tenant = ? ORDER BY d LIMIT 10")
      .raw(true),
  };
}

/** Runs `f`, appends its wall time in ms to `into`, returns its result. */
export function timed<T>(f: () => T, into: number[]): T {
  const t = performance.now();
  const r = f();
  into.push(performance.now() - t);
  return r;
}
