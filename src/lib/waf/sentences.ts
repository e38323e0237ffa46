/**
 * Sentences in field values: how a value that is prose (or prose but for a little punctuation)
 * is recognised, which detectors it still needs, and how a long value is read without the
 * sentences between its code and markup. Used by `inspect.ts`.
 */
import { commandLead, plainCommandLine } from "./command.ts";
import type { AttackClass, Inspected } from "./types.ts";

/**
 * Sentences: letters of any script, digits, spaces and the punctuation of prose, with no
 * markup, code or path syntax (`.` only before a space or digit, `:` only before a space, no
 * ` -flag`, no `--`). Most of a JSON body is such text; in it, the only attacks found in the
 * attack corpora, the CRS tests and the public lists are SQL written in words after a quote
 * (`' OR 'x' LIKE 'x`, `1 UnIoN SeLeCt 1,2`) and cmd.exe/PowerShell command lines.
 */
const LETTER_MARK_NUMBER = /[\p{L}\p{M}\p{N}]/u;
/** Sentences of ASCII text (the rules above), as one regex. */
const ASCII_PROSE = /^(?:[A-Za-z0-9,!?'"]| (?!-[^\s\d])|\.(?![^ \d])|:(?![^ ])|-(?!-))*$/;
/** Quotes, and the typographic ones some databases and drivers fold to them (`’ or ‘1’ like ‘1`). */
const QUOTES = ["'", '"', "`", "\u2018", "\u2019", "\u201c", "\u201d", "\u2032", "\u2033"] as const;
/** SQL words that, right after a quote, continue a statement. */
const AFTER_QUOTE =
  /^\s{0,8}(?:or|and|xor|like|rlike|regexp|having|not|is|between|in|div|union|order|group|limit|procedure|into|select|when|then|where|from)\b/;
/** cmd.exe control words at the start, PowerShell `Verb-Noun` anywhere. */
const PROSE_COMMAND_START = /^\s{0,8}(?:if|for)\s/;
const PROSE_VERB_NOUN = /\b(?:invoke|start|new|get|set|add|remove|stop|copy|out|import|register)-[a-z]/;

/** Letters, marks and digits of the scripts prose is mostly written in, without a regex per character. */
function letterLike(c: number, t: string, i: number): boolean {
  if (
    (c >= 0xc0 && c <= 0x24f && c !== 0xd7 && c !== 0xf7) ||
    (c >= 0x300 && c <= 0x52f) ||
    (c >= 0x590 && c <= 0x6ff) ||
    (c >= 0x900 && c <= 0x97f)
  )
    return true;
  if ((c >= 0x3040 && c <= 0x30ff) || (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xac00 && c <= 0xd7af)) return true;
  if (c === 0x2018 || c === 0x2019 || c === 0x201c || c === 0x201d) return true;
  return LETTER_MARK_NUMBER.test(t[i]!);
}

/**
 * A long value without the sentences inside it: a comment, a post or a description mixes a few
 * lines of code or markup with paragraphs of prose, and every detector would otherwise read all
 * of it. The value is cut after each sentence end (`.`, `?` or `!` before a space, or a line
 * break); a piece that is a sentence (see `ASCII_PROSE`, `letterLike`) and that the sentence gates
 * (`proseEntry`: SQL in words, command lines) pass by is left out. The last piece always stays
 * (rules anchored at the end of a value still see what is there); so does the first one when it
 * has a quote (an apostrophe there may be what opens the string the rest closes) or ends in a
 * line break (`127.0.0.1⏎id`: what follows it must still start a line), and what
 * stays keeps its own separators, so leaving pieces out removes words and nothing else: no
 * quote, bracket or tag that spans them is lost. A run of left-out pieces leaves its first word
 * behind, so what stood before the run is still followed by a word, as it was. One pass over
 * the characters; the sentence gates run only on pieces that are sentences.
 */
export function withoutProse(t: string): string {
  const n = t.length;
  let out = "";
  let keptFrom = 0; // start of the run of kept pieces not yet copied to `out`
  let start = 0; // start of the current piece
  let prose = true;
  let dash = false;
  let line = true; // the piece starts a line
  const quotes: number[] = [];
  let sqlWords: readonly number[] | undefined; // where statement keywords are in `t` (start, end pairs)
  EVENT.lastIndex = 0;
  for (;;) {
    // Letters, digits, spaces and commas never end a piece nor break its prose: jump over them.
    // Once the piece is no sentence, only its end matters: jump to it.
    const jump = prose ? EVENT : PIECE_END;
    jump.lastIndex = EVENT.lastIndex;
    const i = jump.test(t) ? jump.lastIndex - (prose ? 1 : PIECE_END_BACK[t.charCodeAt(jump.lastIndex - 1)]!) : n;
    EVENT.lastIndex = i + 1;
    const c = i < n ? t.charCodeAt(i) : -1;
    let end = -1; // where the piece's text ends, when `c` ends it
    if (c === -1) end = n;
    else if (c === 10) {
      end = i;
      while (
        end > start &&
        (t.charCodeAt(end - 1) === 32 || t.charCodeAt(end - 1) === 9 || t.charCodeAt(end - 1) === 13)
      )
        end--;
    } else if (c === 46 || c === 63 || c === 33) {
      const d = i + 1 < n ? t.charCodeAt(i + 1) : -1;
      if (d === 32 || d === 9 || d === 10 || d === 13) end = i + 1;
    }
    if (end === -1) {
      if (prose) {
        const d = i + 1 < n ? t.charCodeAt(i + 1) : -1;
        switch (c) {
          case 33: // !
          case 63: // ?
            break;
          case 39: // '
          case 34: // "
            quotes.push(i);
            break;
          case 46: // . inside a number
            if (!(d >= 48 && d <= 57)) prose = false;
            break;
          case 58: // : before a space
            if (d !== 32 && d !== 9 && d !== 10 && d !== 13 && d !== -1) prose = false;
            break;
          case 45: // - (not `--`, not a ` -flag`)
            dash = true;
            if (d === 45 || (i > 0 && t.charCodeAt(i - 1) === 32 && d !== 32 && !(d >= 48 && d <= 57))) prose = false;
            break;
          default:
            if (c < 0x80 || !letterLike(c, t, i)) prose = false;
            else if (c === 0x2018 || c === 0x2019 || c === 0x201c || c === 0x201d) quotes.push(i);
        }
      }
      continue;
    }
    let next = i + 1;
    let newline = c === 10;
    for (let w = t.charCodeAt(next); next < n && WHITE_CHAR[w] === 1; w = t.charCodeAt(++next)) newline ||= w === 10;
    const last = next >= n;
    if (
      prose &&
      (start > 0 || (quotes.length === 0 && !newline)) &&
      !last &&
      end - start >= 24 &&
      proseOnly(t, start, end, quotes, dash, line, (sqlWords ??= keywordSpans(t)))
    ) {
      // Leave it out; a run of such pieces leaves its first word (`55"` then `## Features`
      // would read as a quote closed by a comment), the value's first piece too (rules anchored
      // at the start see a word there, as they did).
      if (keptFrom !== start || start === 0) {
        let word = start;
        while (word < end && t.charCodeAt(word) !== 32) word++;
        out += t.slice(keptFrom, word + 1);
      }
      keptFrom = next;
    }
    if (last) break;
    start = next;
    EVENT.lastIndex = next;
    prose = true;
    dash = false;
    line = newline;
    quotes.length = 0;
  }
  return keptFrom === 0 ? t : out + t.slice(keptFrom);
}

/** What `withoutProse` stops at: anything but letters, digits, spaces and commas. */
const EVENT = /[^A-Za-z0-9 ,]/g;
/** Where a piece that is no sentence ends: `.`, `?`, `!` before white space, or a line break. */
const PIECE_END = /[.?!][ \t\r\n]|\n/g;
/** How far back from `PIECE_END.lastIndex` the character that ends the piece is (by the last character matched). */
const PIECE_END_BACK = new Uint8Array(128);
PIECE_END_BACK[32] = PIECE_END_BACK[9] = PIECE_END_BACK[13] = 2;
PIECE_END_BACK[10] = 1;
// Sticky copies (without the `^`) of the two constant patterns above, made once at load: no request data.
const AFTER_QUOTE_AT = new RegExp(AFTER_QUOTE.source.slice(1), "iy");
const SQL_HEAD = /select|exec|waitfor|sleep|benchmark|declare|case/gi;
const NO_SPANS: readonly number[] = [];

/** Every place a statement keyword of `SQL_HEAD` is in `t` (overlapping ones too), as (start, end) pairs, found in one pass. */
function keywordSpans(t: string): readonly number[] {
  SQL_HEAD.lastIndex = 0;
  let spans: number[] | undefined;
  for (let m = SQL_HEAD.exec(t); m !== null; m = SQL_HEAD.exec(t)) {
    (spans ??= []).push(m.index, m.index + m[0].length);
    SQL_HEAD.lastIndex = m.index + 1;
  }
  return spans ?? NO_SPANS;
}
const COMMAND_START_AT = new RegExp(PROSE_COMMAND_START.source.slice(1), "iy");

/**
 * The sentence `t[start, end)` passes every sentence gate (`proseEntry`) by: no detector needs it.
 * `quotes`: where its quotes are; `dash`: it has a `-`; `line`: it starts a line; `sqlWords`:
 * where `t`'s statement keywords are (`keywordSpans`).
 */
function proseOnly(
  t: string,
  start: number,
  end: number,
  quotes: readonly number[],
  dash: boolean,
  line: boolean,
  sqlWords: readonly number[],
): boolean {
  if (t.indexOf(" ", start) >= end) return false;
  for (const q of quotes) {
    AFTER_QUOTE_AT.lastIndex = q + 1;
    if (AFTER_QUOTE_AT.test(t)) return false;
  }
  // A statement keyword within the piece's head (its first 64 characters).
  const headEnd = Math.min(end, start + 64);
  for (let k = 0; k < sqlWords.length; k += 2) {
    if (sqlWords[k]! < start || sqlWords[k + 1]! > headEnd) continue;
    if (proseSql(t.slice(start, headEnd).toLowerCase())) return false;
    break;
  }
  if (dash && PROSE_VERB_NOUN.test(t.slice(start, end).toLowerCase())) return false;
  // A command line in words starts a line (after `. ` no shell reads a command).
  if (!line) return true;
  COMMAND_START_AT.lastIndex = start;
  return !COMMAND_START_AT.test(t) && !(commandLead(t, start) && plainCommandLine(t.slice(start, end)));
}

/** Spaces, tabs and line breaks between pieces. */
const WHITE_CHAR = new Uint8Array(128);
for (const c of [9, 10, 13, 32]) WHITE_CHAR[c] = 1;

/**
 * Everyday field values that are sentences but for a little punctuation: `c/o Reception (2nd
 * floor)`, `Gift wrap & card`, `Call me at 10:00; ring twice`, `Order #3 for Sam @ reception`,
 * `+353 1 555 0142`, `Wall mount — VESA 300×300, tilt ±15°`. Besides the rules of sentences
 * (`ASCII_PROSE`, letters of any script), it allows: symbols and punctuation outside ASCII (NFKC already
 * turned the lookalikes of ASCII syntax into ASCII), `(` after a space or at the start and before
 * a letter or digit unless a known call name stands before it, `)` before a space, punctuation
 * or the end, `/` between letters or digits, `:` between digits, `@` between letters or
 * digits or between spaces, `#` and `+` after a space (not after a quote) and before a digit,
 * ` & ` and `; ` between words, `.` before `,` or `)`. Returns the detectors the extra
 * punctuation needs beyond the sentence gates (`SENTENCE_*` bits), or -1 when `t` is no such
 * sentence. At least 8 characters and one space; below 24 it must open with a letter.
 */
export function sentenceNeeds(t: string): number {
  const n = t.length;
  if (n < SENTENCE_MIN || n > 4_096) return -1;
  // Short values keep to words: one that opens with a number, a quote or a sign is what
  // numeric and quoted SQL contexts are attacked with (`1 or 1`, `' or 'a`, `-1 union`).
  const first = t.charCodeAt(0);
  if (n < 24 && (!isAlnum(first) || isDigit(first))) return -1;
  if (n >= 24 && ASCII_PROSE.test(t)) return t.includes(" ") ? 0 : -1;
  let needs = 0;
  let space = false;
  for (let i = 0; i < n; i++) {
    const c = t.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57)) continue;
    const prev = i > 0 ? t.charCodeAt(i - 1) : -1;
    const next = i + 1 < n ? t.charCodeAt(i + 1) : -1;
    switch (c) {
      case 32:
        space = true;
        continue;
      case 44: // ,
      case 33: // !
      case 63: // ?
      case 39: // '
      case 34: // "
        continue;
      case 46: // . before a space, a digit, `,`, `)` or the end
        if (next !== -1 && next !== 32 && next !== 44 && next !== 41 && !isDigit(next)) return -1;
        continue;
      case 58: // : before a space, `)` or the end, or between digits
        if (next !== -1 && next !== 32 && next !== 41 && !(isDigit(prev) && isDigit(next))) return -1;
        continue;
      case 45: // - (not `--`, not a ` -flag`)
        if (next === 45 || (prev === 32 && next !== 32 && !isDigit(next))) return -1;
        continue;
      case 40: // ( after a space or at the start, before a letter, a digit or `#3`, not a call
        if (
          (prev !== 32 && prev !== -1) ||
          !(isAlnum(next) || (next === 35 && isDigit(i + 2 < n ? t.charCodeAt(i + 2) : -1))) ||
          CALL_BEFORE.test(t.slice(Math.max(0, i - 24), i))
        )
          return -1;
        // `exec (x)`, `div (1, 2)`: SQL and PHP allow a space before the arguments.
        if (prev === 32) {
          let w = i - 1;
          while (w > 0 && t.charCodeAt(w) === 32) w--;
          if (isAlnum(t.charCodeAt(w))) needs |= SENTENCE_CALL;
        }
        continue;
      case 41: // ) before a space, punctuation or the end
        if (
          next !== -1 &&
          next !== 32 &&
          next !== 44 &&
          next !== 46 &&
          next !== 59 &&
          next !== 33 &&
          next !== 63 &&
          next !== 58
        )
          return -1;
        continue;
      case 47: // / between letters or digits (c/o, and/or, 24/7): paths and commands are looked for
        if (!isAlnum(prev) || !isAlnum(next)) return -1;
        needs |= SENTENCE_PATH;
        continue;
      case 64: // @ in an address or between spaces
        if (!((isAlnum(prev) && isAlnum(next)) || (prev === 32 && next === 32))) return -1;
        continue;
      case 35: // #3, (#3)
      case 43: // +353, + 1
        if (
          (prev !== 32 && prev !== -1 && !(c === 35 && prev === 40)) ||
          !(isDigit(next) || (c === 43 && next === 32)) ||
          quoteBefore(t, i)
        )
          return -1;
        continue;
      case 38: // ` & ` between words: a shell would run what follows
        if (prev !== 32 || next !== 32) return -1;
        needs |= SENTENCE_SEPARATOR;
        continue;
      case 59: // `; ` between words: a statement or a command could follow
        if (next !== 32 || !isAlnum(prev)) return -1;
        needs |= SENTENCE_SEPARATOR;
        continue;
      default:
        if (c < 0x80 || (!letterLike(c, t, i) && !SENTENCE_SYMBOL.test(t[i]!)) || SLASH_LOOKALIKE.has(c)) return -1;
    }
  }
  return space ? needs : -1;
}
/** Shorter values are inspected whole. */
const SENTENCE_MIN = 8;
/** `sentenceNeeds`: a `/` in the sentence (traversal and command detectors run). */
const SENTENCE_PATH = 1;
/** `sentenceNeeds`: a `;` or `&` in the sentence (command and SQL detectors run). */
const SENTENCE_SEPARATOR = 2;
/** `sentenceNeeds`: a word, spaces and `(` (SQL and PHP detectors run). */
const SENTENCE_CALL = 4;
/** Symbols and punctuation outside ASCII that prose uses (®, °, ±, ×, ½, —, …, «, », ¿). */
const SENTENCE_SYMBOL = /[\p{S}\p{Pd}\p{Po}\p{Pi}\p{Pf}\p{No}\p{Zs}]/u;
/** Slashes that are not `/` after NFKC (a path could be spelled with them). */
const SLASH_LOOKALIKE = new Set([0x2044, 0x2215, 0x29f8, 0x29f5, 0x2216]);
/** A call name right before a `(` (with its space): JavaScript sinks, SQL and PHP functions. */
const CALL_BEFORE = /(?:alert|prompt|confirm|eval|print|import|function|settimeout|setinterval|fetch) +$/i;
const isDigit = (c: number) => c >= 48 && c <= 57;
const isAlnum = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c >= 0xc0;
/** The last character before `t[i]` that is not a space is a quote. */
function quoteBefore(t: string, i: number): boolean {
  let j = i - 1;
  while (j >= 0 && t.charCodeAt(j) === 32) j--;
  const c = j >= 0 ? t.charCodeAt(j) : -1;
  return c === 39 || c === 34 || c === 96;
}

/** SQL written in words: a keyword right after a quote, or a statement keyword at the start. */
function proseSql(l: string): boolean {
  for (const quote of QUOTES) {
    for (let i = l.indexOf(quote); i !== -1; i = l.indexOf(quote, i + 1))
      if (AFTER_QUOTE.test(l.slice(i + 1, i + 40))) return true;
  }
  // Without a quote, SQL in words continues a numeric context or is a statement: it opens the value.
  const head = l.slice(0, 64);
  return (
    head.includes("select") ||
    head.includes("exec") ||
    head.includes("waitfor") ||
    head.includes("sleep") ||
    head.includes("benchmark") ||
    head.includes("declare") ||
    (head.includes("case") && head.includes("when"))
  );
}

/** The detectors worth running on a sentence (see `sentenceNeeds`), by the same gates as elsewhere. */
export function proseEntry(cls: AttackClass, v: Inspected): boolean {
  if (cls === "sqli") return proseSql(v.lower);
  if (cls === "command") return proseCommand(v.text, v.lower);
  return false;
}

/** cmd.exe and PowerShell command lines written in words. */
function proseCommand(t: string, l: string): boolean {
  return PROSE_COMMAND_START.test(l) || (l.includes("-") && PROSE_VERB_NOUN.test(l)) || plainCommandLine(t);
}

/** Whether a sentence with these `sentenceNeeds` bits needs this detector beyond the sentence gates. */
export function neededBySentence(cls: AttackClass, needs: number): boolean {
  if (needs & SENTENCE_PATH && (cls === "traversal" || cls === "command")) return true;
  if (needs & SENTENCE_CALL && (cls === "php" || cls === "sqli")) return true;
  return (needs & SENTENCE_SEPARATOR) !== 0 && (cls === "command" || cls === "sqli");
}
