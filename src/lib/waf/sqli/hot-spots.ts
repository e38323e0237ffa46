/**
 * Hot spots of the SQL injection detector (`../sqli.ts`): the places where SQL could start. Each
 * is a superset of what some rule of the tokenizing analysis needs there (a breakout quote
 * followed by an operator, comment or keyword; a boolean followed by a literal, a call or a
 * comparison; an SQL function call; a statement keyword after `;`; UNION … SELECT; a catalog name
 * after FROM; `/*`; a cast; a numeric start). This file holds the scan; the checks at each
 * candidate are in `hot-checks.ts`.
 */
import { boolHot, commentHot, literalBefore, quoteHot, spotAt, startHot, underscoreHot } from "./hot-checks.ts";
import { at, findWithin, isDigitCode, isLetterCode, isSpaceCode, isWordCode } from "./hot-text.ts";
import {
  AFTER_CLOSER,
  BOOLEAN_PRODUCT,
  CATALOG_VALUES,
  CLOSED_NAME,
  MAGIC_FLOAT,
  OVERFLOW_NUMBERS,
  SHORT,
} from "./tables.ts";

/** Keyword candidates by first letter (longer spellings after shorter ones: `exec` then `execute`). */
const KEYWORDS: Record<string, readonly string[]> = {
  o: ["or", "outfile"],
  a: ["and", "alter", "analyse"],
  x: ["xor", "xp_"],
  n: ["not"],
  d: ["div", "declare", "dumpfile", "drop"],
  u: ["union"],
  s: ["select", "sp_"],
  w: ["waitfor"],
  e: ["exec", "execute"],
  f: ["from", "fn_varbintohexstr"],
  c: ["case", "create"],
  t: ["truncate"],
  h: ["having"],
  i: ["information_schema"],
};

/**
 * Positions (ascending) where SQL could start in `lower`; empty for ordinary text. A character
 * scan in JavaScript costs far more than a regex or `indexOf`, so: quotes are judged where they
 * stand (what follows them); the other characters SQL needs (`;`, `(`, `/`, `:`, `|`, `&`, `@`,
 * `=`, `<`, `>`, `_`) and every `select` have the words around them scanned (`scanRange`);
 * prose, which has none of them, costs one regex pass and one `indexOf`.
 */
export function hotSpots(lower: string): number[] {
  const out = SPOTS;
  out.length = 0;
  const n = lower.length;
  if (startHot(lower)) out.push(0);
  if (n <= SHORT && n > 0) {
    // Whole values: a catalog name, an overflow probe, `case when …`.
    const v = isSpaceCode(at(lower, 0)) || isSpaceCode(at(lower, n - 1)) ? lower.trim() : lower;
    const last = v.charCodeAt(v.length - 1);
    if (
      v.length <= 48 &&
      (CATALOG_VALUES.has(v) || ((last === 46 || last === 59) && CATALOG_VALUES.has(v.slice(0, -1))))
    )
      out.push(0);
    else if (
      v.length <= 48 &&
      (isDigitCode(v.charCodeAt(0)) || v.charCodeAt(0) === 45) &&
      (OVERFLOW_NUMBERS.has(v) || MAGIC_FLOAT.test(v))
    )
      out.push(0);
    else if (v.startsWith("case") || (v.charCodeAt(0) === 40 && BOOLEAN_PRODUCT.test(v))) out.push(0);
  }
  // Quotes: judged by what follows them (`indexOf` finds them faster than any scan).
  for (let i = lower.indexOf("'"); i !== -1 && out.length < 4_096; i = lower.indexOf("'", i + 1))
    if (quoteHot(lower, i)) out.push(i);
  for (let i = lower.indexOf('"'); i !== -1 && out.length < 4_096; i = lower.indexOf('"', i + 1))
    if (quoteHot(lower, i)) out.push(i);
  // `1$$ ORDER BY 1--`: a PostgreSQL dollar-quoted string closed near the start (see `detectText`).
  const dollars = findWithin(lower, "$$", 1, 32);
  if (dollars !== -1 && CLOSED_NAME.test(lower.slice(0, dollars)) && AFTER_CLOSER.test(lower.slice(dollars + 2)))
    out.push(dollars);
  // Prose has none of the other characters and no `select`: one regex test, one `indexOf`.
  if (!RARE.test(lower) && !WORDS.test(lower)) return out.length > 1 ? sortUnique(out) : out;
  let scanned = 0;
  // `*/=1--`: a comment closed without being opened, near the start (see `detectText`).
  if (n <= SHORT) {
    const close = findWithin(lower, "*/", 0, 64);
    if (close !== -1 && !lower.slice(0, close).includes("/*")) out.push(close);
  }
  // `test` with the position (`lastIndex`) finds each trigger without allocating a match.
  TRIGGER.lastIndex = 0;
  while (out.length < 4_096 && TRIGGER.test(lower)) {
    const t = TRIGGER.lastIndex - 1;
    const i = at(lower, t) === 42 || at(lower, t) === 58 || at(lower, t) === 124 || at(lower, t) === 38 ? t - 1 : t;
    const c = at(lower, i);
    switch (c) {
      case 96:
      case 59:
      case 40:
      case 47:
      case 58:
      case 124:
      case 38:
        // TRIGGER matched the pair itself (`/*`, `::`, `||`, `&&`).
        if (punctuationHot(lower, i, c)) out.push(i);
        break;
      case 95:
        if (underscoreHot(lower, i)) out.push(i);
        break;
      case 64:
        // `@var`, `@@version`, `@>`; not an e-mail address.
        if (
          (i === 0 || !isWordCode(at(lower, i - 1)) || at(lower, i + 1) === 64) &&
          !(i >= scanned - 24 && i < scanned)
        )
          scanned = around(lower, i, 72, 72, scanned, out);
        break;
      default:
        // `=`, `<`, `>` after a literal: a comparison a boolean may stand before (`or 1=1`, `and 'a'<>'b'`).
        if (literalBefore(lower, i) && !(i >= scanned - 24 && i < scanned))
          scanned = around(lower, i, 72, 48, scanned, out);
    }
  }
  for (let i = lower.indexOf("select"); i !== -1 && out.length < 4_096; i = lower.indexOf("select", i + 6)) {
    // A method of an object in code (`db.select(`, `).select(`), not a statement.
    if (memberAt(lower, i)) continue;
    // `unionselect` glued together (a whole-value rule).
    if (i >= 5 && lower.startsWith("union", i - 5)) out.push(i - 5);
    if (i + 24 > scanned || i < scanned - 120) scanned = around(lower, i, 112, 64, scanned, out);
  }
  // `EXEC master.dbo.…`, `EXECUTE IMMEDIATE`: keywords without punctuation.
  for (let i = lower.indexOf("exec"); i !== -1 && out.length < 4_096; i = lower.indexOf("exec", i + 4)) {
    if (i + 24 > scanned) scanned = around(lower, i, 8, 64, scanned, out);
  }
  return out.length > 1 ? sortUnique(out) : out;
}

/**
 * `select` at `i` is a member of an object in code: `db.select(`, `query.select(`, `).select(`.
 * Not after a number (`1.select`, `1.e.select` stay SQL), and only when a `(` follows.
 */
function memberAt(lower: string, i: number): boolean {
  if (i < 3 || at(lower, i - 1) !== 46 || at(lower, i + 6) !== 40) return false;
  const c = at(lower, i - 2);
  if (c === 41) return true;
  let a = i - 2;
  while (a >= 0 && isWordCode(at(lower, a))) a--;
  return i - 2 - a >= 2 && isLetterCode(at(lower, a + 1));
}

function sortUnique(out: number[]): number[] {
  out.sort((x, y) => x - y);
  let k = 1;
  for (let j = 1; j < out.length; j++) if (out[j] !== out[k - 1]) out[k++] = out[j]!;
  out.length = k;
  return out;
}
/** Scans the words around `i` not scanned yet; returns how far the scan reached. */
function around(lower: string, i: number, before: number, after: number, scanned: number, out: number[]): number {
  if (i + 24 <= scanned && i >= scanned - before) return scanned;
  const from = Math.max(scanned, i - before);
  const to = Math.min(lower.length, i + after);
  if (to > from) scanRange(lower, from, to, out);
  return Math.max(to, scanned);
}
/** The positions `hotSpots` returns (one array, reused: callers read it before the next call). */
const SPOTS: number[] = [];
/** Characters around which SQL may stand (quotes are judged by what follows them). */
const TRIGGER = /[;(_@=<>`]|\/\*|::|\|\||&&/g;
const RARE = /[;(_@=<>*:|&`]/;
/** The keywords SQL without any of those characters needs (`union select null`, `exec master.dbo.x`). */
const WORDS = /select|exec/;

/** The keyword and punctuation scan of `lower[from, to)` (one character at a time: for bounded ranges). */
function scanRange(lower: string, from: number, to: number, out: number[]): void {
  // Start at a word boundary: a keyword is only one as a whole word.
  while (from > 0 && from < to && isLetterCode(at(lower, from - 1)) && from > to - 400) from++;
  let inWord = false;
  for (let i = from; i < to && out.length < 4_096; i++) {
    const c = at(lower, i);
    if ((c >= 97 && c <= 122) || c > 127) {
      if (inWord) continue;
      inWord = true;
      const list = c <= 122 ? KEYWORDS[lower[i]!] : undefined;
      if (list !== undefined) {
        for (const kw of list) {
          if (lower.startsWith(kw, i) && spotAt(lower, i, kw)) {
            out.push(i);
            break;
          }
        }
      }
      continue;
    }
    if (c >= 48 && c <= 57) {
      // `1.e(`, `1.e.`: the scientific-notation bypass.
      if (
        !inWord &&
        at(lower, i + 1) === 46 &&
        at(lower, i + 2) === 101 &&
        (at(lower, i + 3) === 40 || at(lower, i + 3) === 46)
      )
        out.push(i);
      continue;
    }
    if (c === 95 || c === 36) {
      if (!inWord && c === 95) inWord = true;
      continue;
    }
    inWord = false;
    switch (c) {
      case 39:
      case 34:
      case 96:
      case 59:
      case 40:
        if (punctuationHot(lower, i, c)) out.push(i);
        break;
      case 47: // `/*`
      case 58: // `::`
        if (at(lower, i + 1) === (c === 47 ? 42 : 58) && punctuationHot(lower, i, c)) out.push(i);
        break;
      case 124: // `||`
      case 38: // `&&`
        if (at(lower, i + 1) === c) {
          if (punctuationHot(lower, i, c)) out.push(i);
          i++;
        }
        break;
    }
  }
}

/**
 * Whether the punctuation at `i` starts SQL: a quote (what follows it), `;`, `(`, and the pairs
 * `/*`, `::`, `||`, `&&` (given by their first character; the caller has seen the pair).
 */
function punctuationHot(lower: string, i: number, c: number): boolean {
  switch (c) {
    case 39:
    case 34:
    case 96:
      return quoteHot(lower, i);
    case 59:
      return spotAt(lower, i, ";");
    case 40:
      return spotAt(lower, i, "(");
    case 47:
      return commentHot(lower, i);
    case 58:
      return spotAt(lower, i, "::");
    case 124:
    case 38:
      return boolHot(lower, i + 2);
    default:
      return false;
  }
}
