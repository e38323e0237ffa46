/**
 * Splits a document into overlapping chunks for retrieval.
 *
 * Size: at most `CHUNK_MAX_CHARS` (1,000) characters, about 150-250 English words: small
 * enough that one chunk is about one idea (so its vector is not an average of several) and
 * that four of them fit a prompt comfortably, large enough to carry its own context.
 * Overlap: the last `CHUNK_OVERLAP_CHARS` (150) characters' worth of whole sentences of a
 * chunk start the next one, so an answer that straddles a boundary is still found whole.
 *
 * Boundaries are chosen in this order: paragraphs (blank lines), sentences, words; a single
 * "word" longer than a chunk (a URL, base64) is cut hard.
 */

export const CHUNK_MAX_CHARS = 1_000;
export const CHUNK_OVERLAP_CHARS = 150;

export interface ChunkOptions {
  maxChars?: number;
  overlapChars?: number;
}

interface Unit {
  text: string;
  /** The unit starts a new paragraph (joined with a blank line instead of a space). */
  paragraphStart: boolean;
}

const SENTENCE_END = /(?<=[.!?\u3002\uff01\uff1f]["'\u201d\u2019)\]]*)\s+/u;

function splitLong(sentence: string, maxChars: number): string[] {
  if (sentence.length <= maxChars) return [sentence];
  const out: string[] = [];
  let current = "";
  for (const word of sentence.split(/\s+/)) {
    let w = word;
    while (w.length > maxChars) {
      if (current) out.push(current);
      current = "";
      out.push(w.slice(0, maxChars));
      w = w.slice(maxChars);
    }
    if (!w) continue;
    if (current && current.length + 1 + w.length > maxChars) {
      out.push(current);
      current = "";
    }
    current = current ? `${current} ${w}` : w;
  }
  if (current) out.push(current);
  return out;
}

function units(text: string, maxChars: number): Unit[] {
  const out: Unit[] = [];
  const paragraphs = text
    .replace(/\r\n?/g, "\n")
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s+/g, " ").trim())
    .filter((p) => p.length > 0);
  for (const paragraph of paragraphs) {
    let first = true;
    for (const sentence of paragraph.split(SENTENCE_END)) {
      for (const piece of splitLong(sentence.trim(), maxChars)) {
        if (!piece) continue;
        out.push({ text: piece, paragraphStart: first });
        first = false;
      }
    }
  }
  return out;
}

function join(parts: Unit[]): string {
  let s = "";
  for (const [i, u] of parts.entries()) s += i === 0 ? u.text : `${u.paragraphStart ? "\n\n" : " "}${u.text}`;
  return s;
}

/** Chunks `text`; an empty or blank text has no chunks. */
export function chunkText(
  text: string,
  { maxChars = CHUNK_MAX_CHARS, overlapChars = CHUNK_OVERLAP_CHARS }: ChunkOptions = {},
): string[] {
  const all = units(text, maxChars);
  const chunks: string[] = [];
  let current: Unit[] = [];
  let length = 0;
  let fresh = 0; // units in `current` that are not overlap from the previous chunk
  for (const unit of all) {
    const added = (current.length ? 2 : 0) + unit.text.length;
    if (current.length && length + added > maxChars) {
      chunks.push(join(current));
      // Carry whole trailing sentences up to the overlap budget into the next chunk.
      const carry: Unit[] = [];
      let carried = 0;
      for (let i = current.length - 1; i >= 0; i--) {
        const u = current[i]!;
        if (carried + u.text.length > overlapChars) break;
        carry.unshift(u);
        carried += u.text.length + 1;
      }
      // Never carry so much that the new unit cannot fit.
      while (carry.length && carried + unit.text.length + 2 > maxChars) carried -= carry.shift()!.text.length + 1;
      current = carry;
      length = carry.length ? join(carry).length : 0;
      fresh = 0;
    }
    current.push(unit);
    length += (current.length > 1 ? 2 : 0) + unit.text.length;
    fresh++;
  }
  if (current.length && fresh > 0) chunks.push(join(current));
  return chunks;
}
