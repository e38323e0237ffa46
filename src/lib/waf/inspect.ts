/**
 * Runs the payload detectors over one value: normalises it once, skips values that cannot
 * carry any payload (plain words and numbers: most of them), picks the detectors for where the
 * value came from, and returns the strongest finding. Long values are read without the
 * sentences between their code and markup, and in overlapping windows so every detector sees
 * bounded input.
 */
import { commandGate, commandLead, detectCommand, plainCommandLine } from "./command.ts";
import { detectCrlf } from "./crlf.ts";
import { detectFixation, isSessionParamName } from "./fixation.ts";
import { detectJava, javaGate } from "./java.ts";
import { detectLdap, ldapGate } from "./ldap.ts";
import { detectLog4shell } from "./log4shell.ts";
import { dataUrlPayloads, normalizeValue } from "./normalize.ts";
import { detectNode } from "./node.ts";
import { detectNosql, nosqlGate } from "./nosql.ts";
import { detectPhp } from "./php.ts";
import { detectRfi } from "./rfi.ts";
import { detectSqli, sqliPlainValue } from "./sqli.ts";
import { detectSsi, ssiGate } from "./ssi.ts";
import { detectSsrf, ssrfGate } from "./ssrf.ts";
import { detectTemplate } from "./template.ts";
import { detectTraversal, traversalGate } from "./traversal.ts";
import type { AttackClass, Detector, Field, Finding, Inspected, PartKind } from "./types.ts";
import { detectXss, xssGate } from "./xss.ts";
import { detectXxe } from "./xxe.ts";

export interface Entry {
  cls: AttackClass;
  detect: Detector;
  /** Cheap test on the normalised text: can this class be present at all? (Skips most detector runs.) */
  gate: (text: string, lower: string) => boolean;
}

/** In tie-break order: on equal scores the more specific class names the finding. */
const ALL: readonly Entry[] = [
  { cls: "log4shell", detect: detectLog4shell, gate: (t) => t.includes("$") || t.includes("&#") },
  { cls: "java", detect: detectJava, gate: javaGate },
  { cls: "php", detect: detectPhp, gate: (_t, l) => /[(<$[{=]|:\/\/|:"|data:|\.\s?ph|sess_/.test(l) },
  { cls: "node", detect: detectNode, gate: (t, l) => /proto|constructor|process|require|console|function|_\$\$|while|for\s{0,4}\(|module|global|child_|import|eval|charcode|node_options/.test(l) || /^\s*[A-Za-z0-9+/]{12,}={0,2}\s*$/.test(t) },
  { cls: "xxe", detect: detectXxe, gate: (t) => t.includes("<!") },
  { cls: "template", detect: detectTemplate, gate: (t) => /[{%#@[]|__|!!|\b(?:Process|Kernel|IO|Open3|PTY)\s{0,4}\./.test(t) },
  { cls: "ssrf", detect: detectSsrf, gate: ssrfGate },
  { cls: "rfi", detect: detectRfi, gate: (t) => /^\s*(?:[a-z]{3,6}:\/\/|\/\/|\\\\|(?:https?|ftps?|file)\?)/i.test(t) },
  { cls: "command", detect: detectCommand, gate: commandGate },
  { cls: "traversal", detect: detectTraversal, gate: traversalGate },
  { cls: "ssi", detect: detectSsi, gate: ssiGate },
  { cls: "crlf", detect: detectCrlf, gate: (t) => /[\r\n\u010a\u010d\u560a\u560d\u0d0a\u0a0d]/.test(t) },
  { cls: "fixation", detect: detectFixation, gate: (t, l) => l.includes("cookie") || (t.length <= 48 && !/\s/.test(t)) },
  { cls: "nosql", detect: detectNosql, gate: nosqlGate },
  { cls: "ldap", detect: detectLdap, gate: ldapGate },
  // sqli: the detector finds its own hot spots in one cheap scan (a gate would scan again).
  { cls: "sqli", detect: detectSqli, gate: () => true },
  { cls: "xss", detect: detectXss, gate: xssGate },
];

/** The detectors and their gates (for `bench/detector-cost.ts`, which times each one). */
export const detectorEntries = (): readonly Entry[] => ALL;

const pick = (...classes: AttackClass[]) => ALL.filter((e) => classes.includes(e.cls));

/** Which detectors look at which part of a request. */
const BY_KIND: Record<PartKind, readonly Entry[]> = {
  path: pick("log4shell", "java", "php", "node", "template", "ssrf", "command", "traversal", "sqli", "xss", "ssi", "crlf"),
  query: ALL,
  body: ALL,
  cookie: ALL.filter((e) => e.cls !== "rfi"),
  // Parameter names, JSON keys, cookie names: injection into names happens, URLs there do not.
  name: pick("log4shell", "java", "php", "node", "template", "command", "traversal", "sqli", "xss", "fixation", "nosql"),
  "user-agent": pick("log4shell", "java", "php", "node", "template", "command", "traversal", "sqli", "xss", "ssi"),
  // The page the visitor came from: its own URL (internal hosts, URLs in its query) is no SSRF/RFI.
  referer: pick("log4shell", "java", "php", "node", "template", "command", "traversal", "sqli", "xss", "ssi"),
  // Every other header: the same detectors as a parameter, but URLs in headers are not fetched (no SSRF/RFI).
  header: ALL.filter((e) => e.cls !== "rfi" && e.cls !== "ssrf" && e.cls !== "xxe"),
  // Standard headers whose value keeps to their grammar (see parts.ts): what servers and
  // libraries evaluate from any header (lookups, Shellshock, OGNL) is still looked for.
  "header-light": pick("log4shell", "java", "command"),
  // The raw XML document: entity declarations only (its text is inspected field by field).
  xml: pick("xxe"),
};

/** An ISO 8601 date or timestamp (`2026-12-04`, `2026-12-04T09:41:07.123+01:00`): nothing to inspect. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
/** A phone number (`+353 1 555 0142`, `(555) 010-1234`): digits, spaces, parentheses, dashes. */
const PHONE = /^\+?\(?\d[\d ()-]{5,24}$/;
/** Values made only of these cannot carry a payload (beyond the two checks in `inspectField`). */
const PLAIN = /^[A-Za-z0-9 _,-]*$/;
/** Single tokens such as emails, dates, versions, host names: only these detectors can apply. */
const TOKEN = /^[\w.@+:-]*$/;
const TOKEN_CLASSES: ReadonlySet<AttackClass> = new Set(["traversal", "ssrf", "java", "php", "node", "xss", "fixation"]);
/** What a single token can need: its classes, and SQL when `sqliPlainValue` says so. */
const TOKEN_OR_SQL_CLASSES: ReadonlySet<AttackClass> = new Set([...TOKEN_CLASSES, "sqli"]);
/** Standard header values that contain none of these are not inspected (lookups, Shellshock and OGNL need them). */
const HEADER_TRIGGER = /[$%\\(#@{]|java|rO0AB|aced0005|\b(?:com|org|ch|bsh|groovy|sun|jdk)\.\w/i;
const WINDOW = 16_384;
const OVERLAP = 512;

export interface ValueFinding extends Finding {
  cls: AttackClass;
  /** The detector threw (a bug, caught here): `security.onError` decides the request. */
  error?: string;
}

/** What one value gave: the strongest finding of each class that found something. */
export type ValueFindings = readonly ValueFinding[];
const NONE: ValueFindings = Object.freeze([]);

/** Keeps the strongest finding per class (a value rarely has more than one). */
function add(out: ValueFinding[], f: ValueFinding): void {
  const i = out.findIndex((o) => o.cls === f.cls);
  if (i === -1) out.push(f);
  else if (f.error !== undefined || (out[i]!.error === undefined && f.score > out[i]!.score)) out[i] = f;
}

/** Upload file names (multipart `filename`, `X-Filename`-style headers): a plain name such as `wp-config.php.bak` matters. */
function isUpload(field: Field): boolean {
  const name = field.name;
  return field.where === "body-filename" || (name !== null && name.length <= 12 && name.charCodeAt(0) === 120 && UPLOAD_NAME.test(name));
}
const UPLOAD_NAME = /^x[-_]?file[-_]?name$/;

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
const AFTER_QUOTE = /^\s{0,8}(?:or|and|xor|like|rlike|regexp|having|not|is|between|in|div|union|order|group|limit|procedure|into|select|when|then|where|from)\b/;
/** cmd.exe control words at the start, PowerShell `Verb-Noun` anywhere. */
const PROSE_COMMAND_START = /^\s{0,8}(?:if|for)\s/;
const PROSE_VERB_NOUN = /\b(?:invoke|start|new|get|set|add|remove|stop|copy|out|import|register)-[a-z]/;

/** Letters, marks and digits of the scripts prose is mostly written in, without a regex per character. */
function letterLike(c: number, t: string, i: number): boolean {
  if ((c >= 0xc0 && c <= 0x24f && c !== 0xd7 && c !== 0xf7) || (c >= 0x300 && c <= 0x52f) || (c >= 0x590 && c <= 0x6ff) || (c >= 0x900 && c <= 0x97f)) return true;
  if ((c >= 0x3040 && c <= 0x30ff) || (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xac00 && c <= 0xd7af)) return true;
  if (c === 0x2018 || c === 0x2019 || c === 0x201c || c === 0x201d) return true;
  return LETTER_MARK_NUMBER.test(t[i]!);
}

/** Values longer than this are inspected without their inner sentences (see `withoutProse`). */
const CONDENSE_MIN = 256;
/**
 * A long value without the sentences inside it: a comment, a post or a description mixes a few
 * lines of code or markup with paragraphs of prose, and every detector would otherwise read all
 * of it. The value is cut after each sentence end (`.`, `?` or `!` before a space, or a line
 * break); a piece that is a sentence (see `ASCII_PROSE`, `letterLike`) and that the sentence gates
 * (`proseEntry`: SQL in words, command lines) pass by is left out. The first and last pieces
 * always stay (rules anchored at the start or end of a value still see what is there), and what
 * stays keeps its own separators, so leaving pieces out removes words and nothing else: no
 * quote, bracket or tag that spans them is lost. A run of left-out pieces leaves its first word
 * behind, so what stood before the run is still followed by a word, as it was. One pass over
 * the characters; the sentence gates run only on pieces that are sentences.
 */
function withoutProse(t: string): string {
  const n = t.length;
  let out = "";
  let keptFrom = 0; // start of the run of kept pieces not yet copied to `out`
  let start = 0; // start of the current piece
  let prose = true;
  let dash = false;
  let line = true; // the piece starts a line
  const quotes: number[] = [];
  let sqlWords: boolean | undefined; // whether any statement keyword is in `t` at all
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
      while (end > start && (t.charCodeAt(end - 1) === 32 || t.charCodeAt(end - 1) === 9 || t.charCodeAt(end - 1) === 13)) end--;
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
    if (prose && start > 0 && !last && end - start >= 24 && proseOnly(t, start, end, quotes, dash, line, (sqlWords ??= SQL_HEAD.test(t)))) {
      // Leave it out; a run of such pieces leaves its first word (`55"` then `## Features`
      // would read as a quote closed by a comment).
      if (keptFrom !== start) {
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
const AFTER_QUOTE_AT = new RegExp(AFTER_QUOTE.source.slice(1), "iy");
const SQL_HEAD = /select|exec|waitfor|sleep|benchmark|declare|case/i;
const COMMAND_START_AT = new RegExp(PROSE_COMMAND_START.source.slice(1), "iy");

/**
 * The sentence `t[start, end)` passes every sentence gate (`proseEntry`) by: no detector needs it.
 * `quotes`: where its quotes are; `dash`: it has a `-`; `line`: it starts a line; `sqlWords`:
 * `t` has a statement keyword somewhere.
 */
function proseOnly(t: string, start: number, end: number, quotes: readonly number[], dash: boolean, line: boolean, sqlWords: boolean): boolean {
  if (t.indexOf(" ", start) >= end) return false;
  for (const q of quotes) {
    AFTER_QUOTE_AT.lastIndex = q + 1;
    if (AFTER_QUOTE_AT.test(t)) return false;
  }
  if (sqlWords) {
    const head = t.slice(start, Math.min(end, start + 64));
    if (SQL_HEAD.test(head) && proseSql(head.toLowerCase())) return false;
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
function sentenceNeeds(t: string): number {
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
        if ((prev !== 32 && prev !== -1) || !(isAlnum(next) || (next === 35 && isDigit(i + 2 < n ? t.charCodeAt(i + 2) : -1))) || CALL_BEFORE.test(t.slice(Math.max(0, i - 24), i))) return -1;
        // `exec (x)`, `div (1, 2)`: SQL and PHP allow a space before the arguments.
        if (prev === 32) {
          let w = i - 1;
          while (w > 0 && t.charCodeAt(w) === 32) w--;
          if (isAlnum(t.charCodeAt(w))) needs |= SENTENCE_CALL;
        }
        continue;
      case 41: // ) before a space, punctuation or the end
        if (next !== -1 && next !== 32 && next !== 44 && next !== 46 && next !== 59 && next !== 33 && next !== 63 && next !== 58) return -1;
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
        if ((prev !== 32 && prev !== -1 && !(c === 35 && prev === 40)) || !(isDigit(next) || (c === 43 && next === 32)) || quoteBefore(t, i)) return -1;
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
    for (let i = l.indexOf(quote); i !== -1; i = l.indexOf(quote, i + 1)) if (AFTER_QUOTE.test(l.slice(i + 1, i + 40))) return true;
  }
  // Without a quote, SQL in words continues a numeric context or is a statement: it opens the value.
  const head = l.slice(0, 64);
  return head.includes("select") || head.includes("exec") || head.includes("waitfor") || head.includes("sleep") || head.includes("benchmark") || head.includes("declare") || (head.includes("case") && head.includes("when"));
}

/** The detectors worth running on a sentence (see `sentenceNeeds`), by the same gates as elsewhere. */
function proseEntry(e: Entry, v: Inspected): boolean {
  if (e.cls === "sqli") return proseSql(v.lower);
  if (e.cls === "command") return proseCommand(v.text, v.lower);
  return false;
}

/** cmd.exe and PowerShell command lines written in words. */
function proseCommand(t: string, l: string): boolean {
  return PROSE_COMMAND_START.test(l) || (l.includes("-") && PROSE_VERB_NOUN.test(l)) || plainCommandLine(t);
}

/** Whether a sentence with these `sentenceNeeds` bits needs this detector beyond the sentence gates. */
function neededBySentence(cls: AttackClass, needs: number): boolean {
  if (needs & SENTENCE_PATH && (cls === "traversal" || cls === "command")) return true;
  if (needs & SENTENCE_CALL && (cls === "php" || cls === "sqli")) return true;
  return (needs & SENTENCE_SEPARATOR) !== 0 && (cls === "command" || cls === "sqli");
}

/**
 * An ordinary web address: `http(s)://`, a host name, a path of word characters, a query of
 * `name=value` pairs of word characters, a fragment (the value is already percent-decoded). No
 * quote, bracket, space, `;`, `$`, `<`, `:` past the port or `..` fits: of the classes, only
 * what a URL itself can be (SSRF, RFI, a sensitive path, a Java class or prototype key in a
 * parameter, a session id) is looked for.
 */
const CLEAN_URL = /^https?:\/\/[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,16}(?::\d{1,5})?(?:\/[\w.~-]{0,256}){0,64}(?:\?[\w.~=&-]{0,2048})?(?:#[\w.~/-]{0,256})?$/i;
const URL_CLASSES: ReadonlySet<AttackClass> = new Set(["ssrf", "rfi", "traversal", "java", "node", "fixation"]);

/** `entries` narrowed to the classes in `classes` (lists made once per part kind and value shape). */
const narrowed = new Map<readonly Entry[], Map<ReadonlySet<AttackClass>, readonly Entry[]>>();
function narrow(entries: readonly Entry[], classes: ReadonlySet<AttackClass>): readonly Entry[] {
  let byClasses = narrowed.get(entries);
  if (byClasses === undefined) narrowed.set(entries, (byClasses = new Map()));
  let list = byClasses.get(classes);
  if (list === undefined) byClasses.set(classes, (list = entries.filter((e) => classes.has(e.cls))));
  return list;
}
/** The classes a sentence can need at all: its punctuation's (`neededBySentence`) and the sentence gates' (`proseEntry`). */
const SENTENCE_CLASSES: ReadonlySet<AttackClass> = new Set(["traversal", "command", "php", "sqli"]);

function runDetectors(v: Inspected, all: readonly Entry[], out: ValueFinding[]): void {
  const token = TOKEN.test(v.text) && !isUpload(v.field);
  const sentence = token || isUpload(v.field) ? -1 : sentenceNeeds(v.text);
  const url = sentence < 0 && !token && v.text.length <= 4_096 && v.text.charCodeAt(0) === 104 && CLEAN_URL.test(v.text) && !v.text.includes("..");
  const entries = token ? narrow(all, TOKEN_OR_SQL_CLASSES) : sentence >= 0 ? narrow(all, SENTENCE_CLASSES) : url ? narrow(all, URL_CLASSES) : all;
  for (const e of entries) {
    let f: Finding | null;
    try {
      if ((token && !TOKEN_CLASSES.has(e.cls) && !(e.cls === "sqli" && sqliPlainValue(v.lower))) || (sentence >= 0 && !neededBySentence(e.cls, sentence) && !proseEntry(e, v)) || !e.gate(v.text, v.lower)) continue;
      f = e.detect(v);
    } catch (error) {
      // Never a 500: a detector bug is recorded under the class's error rule id.
      add(out, { ruleId: `${e.cls}-detector-error`, score: 0, cls: e.cls, error: error instanceof Error ? error.name : "error" });
      continue;
    }
    if (f !== null) add(out, { ...f, cls: e.cls });
  }
}

function inspected(text: string, raw: string, hadNull: boolean, field: Field): Inspected {
  return { text, lower: text.toLowerCase(), raw, hadNull, field };
}

/** Plain words, numbers and spaces: nothing to inspect, except `1 union select null` and serialized Java (`rO0AB…`). */
function isPlain(raw: string): boolean {
  if (raw.length > 256) return false;
  if (!PLAIN.test(raw)) {
    if (raw.length > 40) return false;
    const c = raw.charCodeAt(0);
    return (c >= 48 && c <= 57 && DATE_TIME.test(raw)) || ((c === 43 || c === 40 || (c >= 48 && c <= 57)) && PHONE.test(raw));
  }
  // Serialized Java (`rO0AB`, gzip'd `H4sI`) and node-serialize (`XyQk`, base64 of `_$$`) markers;
  // paths in base64 (`Li4v` = `../`, `L2V0Yy` = `/etc/`, `ZXRjL` = `etc/`).
  if (ENCODED_MARKER.test(raw)) return false;
  // A command line made of plain words (`powershell -enc X`, `sudo bash`).
  if (raw.includes(" ") && plainCommandLine(raw)) return false;
  const lower = raw.toLowerCase();
  // Dots and slashes spelled in hex (`0x2e0x2e0x2fetc0x2fpasswd`), prototype keys, serialized
  // functions and Java objects, session ids.
  if (PLAIN_MARKER.test(lower)) return false;
  return !(lower.includes("union") && lower.includes("select")) && !sqliPlainValue(lower);
}
const ENCODED_MARKER = /rO0AB|XyQk|H4sI|^(?:Li4|L2V0Yy|ZXRjL)/;
const PLAIN_MARKER = /0x(?:2e|2f|5c)|__proto__|prototype|__js_function|^sess_|aced0005/;

/**
 * Results for values seen recently. The same User-Agent, Accept, Referer, cookie and parameter
 * values arrive again and again; the result only depends on (kind, where, name, value). Keyed by
 * the value itself (a string built per lookup would cost more than the lookup), with the few
 * places one value was seen in chained behind it.
 */
interface Cached {
  kind: PartKind;
  where: string;
  name: string | null;
  found: ValueFindings;
  next: Cached | undefined;
}
const cache = new Map<string, Cached>();
const CACHE_SIZE = 2_048;
const CACHE_MAX_VALUE = 512;
const CACHE_PLACES = 8;

/** Forgets every cached result (for `bench/filter-cost.ts`: what a request costs when none of its values were seen before). */
export function clearValueCache(): void {
  cache.clear();
}

/** Every class's strongest finding for one value (empty when there is none). */
export function inspectField(field: Field): ValueFindings {
  const raw = field.value;
  if (field.kind === "header-light" && !HEADER_TRIGGER.test(raw)) return NONE;
  // Long values, and body values beyond a short one, rarely come again: hashing them for the
  // cache costs more than it saves. Plain body values (ids, codes, numbers) are answered at once:
  // most of a JSON body is new on every request, and caching it would only churn the cache.
  if (field.kind === "body" && raw.length <= 64 && plainField(field)) return NONE;
  if (raw.length > CACHE_MAX_VALUE || (field.kind === "body" && raw.length > 64)) return plainField(field) ? NONE : inspectUncached(field);
  // The cache first: repeated values (User-Agent, cookies, parameters) skip even the plain check.
  const first = cache.get(raw);
  let places = 0;
  for (let c = first; c !== undefined; c = c.next, places++) if (c.kind === field.kind && c.where === field.where && c.name === field.name) return c.found;
  const found = plainField(field) ? NONE : inspectUncached(field);
  if (cache.size >= CACHE_SIZE) cache.clear();
  // One value under many names (a flood of made-up parameters) keeps only its last few places.
  const next = cache.size === 0 || places >= CACHE_PLACES ? undefined : first;
  cache.set(raw, { kind: field.kind, where: field.where, name: field.name, found, next });
  return found;
}

/** Nothing to inspect: a plain value (see `isPlain`) that is neither an upload name nor a session parameter name. */
function plainField(field: Field): boolean {
  return !isUpload(field) && isPlain(field.value) && !(field.kind === "name" && isSessionParamName(field.name));
}

function inspectUncached(field: Field): ValueFindings {
  const raw = field.value;
  const entries = BY_KIND[field.kind];
  const out: ValueFinding[] = [];
  if (field.kind === "xml") {
    runDetectors(inspected(raw, raw, false, field), entries, out);
    return out.length === 0 ? NONE : out;
  }
  const { text: full, hadNull } = normalizeValue(raw);
  const text = full.length > CONDENSE_MIN ? withoutProse(full) : full;
  if (text.length <= WINDOW) runDetectors(inspected(text, raw, hadNull, field), entries, out);
  else {
    for (let at = 0; at < text.length; at += WINDOW - OVERLAP) {
      runDetectors(inspected(text.slice(at, at + WINDOW), raw, hadNull, field), entries, out);
    }
  }
  // `data:…;base64,` payloads are decoded only where the content declares it.
  for (const decoded of dataUrlPayloads(full)) runDetectors(inspected(normalizeValue(decoded).text, decoded, false, field), entries, out);
  return out.length === 0 ? NONE : out;
}
