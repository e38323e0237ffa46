/**
 * The AI bench's corpora (deterministic), shared by `bench/ai.ts` and `bench/ai-ivf.ts`.
 * `topical`: documents over a Zipf-distributed vocabulary, each chunk half topic words, half
 * common words. `mixed`: the same topical chunks plus near-duplicates, paraphrases and
 * unrelated texts in known proportions (MIXED_SHARES), so recall is not measured on an easy
 * distribution only.
 */

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
