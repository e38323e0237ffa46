/**
 * The built-in embedder: deterministic, offline, no model weights. Signed feature hashing of
 * word unigrams, word bigrams (a little word order) and character trigrams (morphology and
 * typos) into `EMBEDDING_DIMENSIONS` floats, L2-normalised so cosine distance applies.
 *
 * It is a lexical embedder: paraphrases that share words land close, synonyms do not. That is
 * what an offline default can honestly do; production binds Workers AI or uses the origin's
 * `/v1/embeddings` (see `embeddings.ts`). Changing anything here changes the vectors, so the
 * model name carries a version and stored documents record it.
 */
import { hash32 } from "../hash.ts";

export const LOCAL_EMBEDDING_MODEL = "local-hash-v1";

const STOPWORDS = new Set(
  (
    "a an the is are was were be been to of and or in on at for with it its this that these those as by from do does did " +
    "how what which who whom i you we my your our me us can could would should will shall may might there here so if then " +
    "than about into over under up out"
  ).split(" "),
);

/**
 * A crude suffix stripper so "enable", "enabled", "enables" and "enabling" share one stem
 * ("enabl"), as do "stop"/"stopped" and "deny"/"denied"/"denies".
 */
export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  let base = word;
  for (const suffix of ["ations", "ation", "ings", "ing", "edly", "ies", "ied", "ed", "es", "ly", "s"]) {
    if (word.endsWith(suffix) && word.length - suffix.length >= 3) {
      // "class", "status", "analysis" are not plurals
      if (suffix === "s" && /[sui]s$/.test(word)) break;
      base = word.slice(0, -suffix.length);
      if (suffix === "ies" || suffix === "ied") return `${base}y`;
      // "stopped" → "stopp" → "stop"
      if ((suffix === "ed" || suffix === "ing") && /([^aeiouylsz])\1$/.test(base)) base = base.slice(0, -1);
      break;
    }
  }
  if (base.endsWith("ss")) return base;
  if (base.length > 3 && base.endsWith("e")) base = base.slice(0, -1);
  return base;
}

/** Lower-cased word tokens (letters and digits, any script). */
export function wordTokens(text: string): string[] {
  return (
    text
      .normalize("NFKC")
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/** Embeds one text into a unit vector of `dimensions` floats. */
export function embedLocal(text: string, dimensions: number): Float32Array {
  const v = new Float64Array(dimensions);
  const add = (feature: string, weight: number): void => {
    const h = hash32(feature, 0);
    const sign = hash32(feature, 0x9e3779b9) & 1 ? 1 : -1;
    const i = h % dimensions;
    v[i] = (v[i] ?? 0) + sign * weight;
  };
  const tokens = wordTokens(text);
  let previous: string | undefined;
  for (const token of tokens) {
    const stop = STOPWORDS.has(token);
    const word = stop ? token : stem(token);
    add(`w:${word}`, stop ? 0.2 : 1);
    if (!stop) {
      const padded = `#${word}#`;
      for (let i = 0; i + 3 <= padded.length; i++) add(`c:${padded.slice(i, i + 3)}`, 0.25);
      if (previous !== undefined) add(`b:${previous} ${word}`, 0.5);
      previous = word;
    }
  }
  if (tokens.length === 0) add(`r:${text.trim()}`, 1);
  let norm = 0;
  for (const x of v) norm += x * x;
  const out = new Float32Array(dimensions);
  if (norm === 0) {
    out[0] = 1;
    return out;
  }
  const inv = 1 / Math.sqrt(norm);
  for (let i = 0; i < dimensions; i++) out[i] = (v[i] ?? 0) * inv;
  return out;
}
