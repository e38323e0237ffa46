/**
 * SQL injection, by tokenizing rather than by regex piles. The value is tokenized as SQL in
 * the places an application can paste it: bare (a number or a whole expression), after an
 * opening `'` and after an opening `"` (and, for a value that starts with one, after an opening
 * backtick). An injection has to *break out* of where it lands and continue the statement;
 * ordinary text does not. So the scorer looks at token shapes:
 *
 * - breakout from a string followed by an operator that continues the statement:
 *   `' OR 1=1`, `'; DROP …`, `'--`, `' UNION SELECT`, `'='`, `' AND SLEEP(5)`, `')) WAITFOR …`,
 *   `'+SLEEP(5)+'` (concatenation into the string);
 * - a number (or a closing parenthesis, a leading comma or boolean) followed by a boolean and a
 *   comparison / function / sub-select (`1 OR 1=1`, `) LIKE (`, `, FIND_IN_SET(…)`);
 * - anywhere (in the bare stream and after each breakout): `UNION [ALL] SELECT <select list>`,
 *   a tautology after a boolean (`OR 'a'='a'`, JSON operators `?|`, `@>`, `#>>`), stacked
 *   statements after a fragment (`x; DROP TABLE t`), time-delay and other attack-only
 *   functions in an SQL position, `INTO OUTFILE`, `xp_cmdshell`, `EXEC master..`, `DECLARE @x`,
 *   PostgreSQL casts of a literal or call result (`'…'::jsonb`, `f(x)::int`), MySQL versioned
 *   comments (`/*!50000UNION*​/`), empty-comment obfuscation, `SELECT CHAR(`-style builders;
 * - whole values that are SQL fragments: a lone function opener (`database(`), a catalog name
 *   (`information_schema`), an overflow probe (`4294967296`). (MongoDB operators: nosql.ts.)
 *
 * Names (O'Brien, D'Angelo), prose with "select"/"union"/"and"/"or", quoted search terms and
 * complete SQL statements (a developer's snippet starting with SELECT/INSERT/…) do not break
 * out of anything and score low. A snippet that contains an injection shape (a tautology, a
 * UNION SELECT continuing a fragment, a time delay) still scores: see README/eval notes.
 *
 * This file holds the detector itself (where a value lands, windows for long values, the
 * alternative readings); the parts live in `sqli/`: `tokenizer.ts` (the SQL tokenizer),
 * `tables.ts` (keyword and function tables), `grammar.ts` (token predicates and what follows a
 * breakout or a boolean), `shapes.ts` (patterns anywhere, whole-value shapes, DDL), and
 * `hot-spots.ts`, `hot-checks.ts`, `hot-text.ts` (the cheap scan for places where SQL could start).
 */
import {
  afterValue,
  better,
  concatBreakout,
  literalChain,
  type Scored,
  skip,
  statementAt,
  word,
} from "./sqli/grammar.ts";
import { hotSpots } from "./sqli/hot-spots.ts";
import { isDigitCode } from "./sqli/hot-text.ts";
import { anywhere, ddl, wholeValue } from "./sqli/shapes.ts";
import {
  AFTER_CLOSER,
  CATALOG_VALUES,
  CLOSED_NAME,
  MAGIC_FLOAT,
  OVERFLOW_NUMBERS,
  SHORT,
  STATEMENT_START,
} from "./sqli/tables.ts";
import { type Info, tokenize } from "./sqli/tokenizer.ts";
import type { Finding, Inspected } from "./types.ts";

const MAX_TOKENS = 4_000;
/** Tokens of the (quote-context) stream the breakout scorer looks at. */
const QUOTE_CONTEXT_TOKENS = 48;

/** SQL injection score of one (normalised) value. */
export function detectSqli(v: Inspected): Finding | null {
  try {
    return detect(v);
  } catch {
    return null;
  }
}

/** White space and a word that continues a WHERE clause or a statement: how a fragment written to follow the application's own value starts. */
const CONTINUATION =
  /^\s{1,8}(?:or|and|xor|order\s{1,8}by|group\s{1,8}by|union|having|limit|procedure|into|rlike|regexp|div)\b/;

function detect(v: Inspected): Finding | null {
  let found = scan(v.text, v.lower);
  // Appended to a header's own value (`Mozilla/5.0 (…) Safari/537.36' AND SLEEP(5)-- `): a quote
  // past the first 64 characters is read as where the value breaks out, after a stand-in value
  // (in a parameter such a quote is most often prose or code; a User-Agent has no quotes).
  const kind = v.field.kind;
  if ((found === null || found.score < 5) && (kind === "user-agent" || kind === "header") && v.text.length <= FULL) {
    const at = firstQuote(v.text);
    if (at > 64) {
      const tail = `1${v.text.slice(at)}`;
      const again = scan(tail, tail.toLowerCase());
      // Strong findings only: a quote and `;` ending a header's text (`…source code.';`) is no statement.
      if (again !== null && again.score >= 6 && (found === null || again.score > found.score)) found = again;
    }
  }
  // ` OR 1=1`, ` ORDER BY 5-- `, ` AND 1083=1083 AND ('a'='a`: the leading space is where the
  // application's own value ends; read the fragment after a number, as it lands.
  if ((found === null || found.score < 5) && v.text.length <= FULL && CONTINUATION.test(v.lower)) {
    const joined = `1${v.text}`;
    const again = scan(joined, joined.toLowerCase());
    if (again !== null && again.score >= 5 && (found === null || again.score > found.score)) found = again;
  }
  // `"+WAITFOR+DELAY+'`, `' union+/*!select*/ (1)`: a value whose spaces are `+` (form encoding
  // nobody decoded, or only some of them) reads as SQL with spaces.
  if ((found === null || found.score < 5) && v.text.length <= 4_096 && v.text.includes("+")) {
    const spaced = v.text.replace(/\+/g, " ");
    const again = scan(spaced, spaced.toLowerCase());
    if (again !== null && (found === null || again.score > found.score)) return again;
  }
  // Typographic quotes standing for SQL quotes (`’ or ‘1’=’1`: some databases and drivers fold
  // them to `'`/`"`), and keywords split by empty comments (`uni/**/on sel/**/ect`, which a
  // comment-stripping layer joins): read the value as the database would see it.
  if ((found === null || found.score < 5) && v.text.length <= FULL) {
    let alt = v.text;
    if (LOOKALIKE_QUOTE.test(alt)) alt = alt.replace(LOOKALIKE_SINGLE, "'").replace(LOOKALIKE_DOUBLE, '"');
    if (SPLIT_KEYWORD.test(alt)) alt = alt.replace(EMPTY_COMMENT, "");
    // Quotes escaped with a backslash (`"0\"XOR(if(now()=sysdate(),sleep(9),0))XOR\"Z`), as the
    // application sees them once it unescapes (`stripslashes`, a string in a string).
    if (alt.includes('\\"') || alt.includes("\\'")) alt = alt.replace(ESCAPED_QUOTE, "$1");
    if (alt !== v.text) {
      const again = scan(alt, alt.toLowerCase());
      if (again !== null && (found === null || again.score > found.score)) return again;
    }
    // Comments and control characters glued where spaces were (sqlmap's `space2comment`,
    // `space2hash`, `space2dash`, `space2mssqlblank`): `1/**/WAITFOR/**/DELAY`, `1#x⏎AND#y⏎7=7`,
    // `1\x0fAND\x0e7=7`, read with spaces: in short values with two such comments at least, one of
    // them glued to what precedes it (a comment after a space, as code writes one, or a lone `"--`
    // or `-#-` in a setting, is left).
    let blank = v.text;
    if (blank.length <= SHORT_BLANKED) {
      if (blank.includes("/*") && twice(GLUED_INLINE_COMMENT, blank)) blank = blank.replace(INLINE_COMMENT, " ");
      if (blank.includes("\n") && GLUED_LINE_COMMENT.test(blank) && twice(LINE_COMMENT, blank))
        blank = blank.replace(LINE_COMMENT, " ");
      if (CONTROL_BLANK.test(blank)) blank = blank.replace(CONTROL_BLANKS, " ");
    }
    if (blank !== v.text && blank !== alt) {
      const again = scan(blank, blank.toLowerCase());
      if (again !== null && (found === null || again.score > found.score)) return again;
    }
    // `0x7700610069…`: a statement spelled as a hex literal (ASCII or UTF-16LE), for `EXEC(@s)` elsewhere.
    const hex = HEX_VALUE.test(v.text) ? hexText(v.text.trim()) : "";
    if (hex !== "") {
      const again = scan(hex, hex.toLowerCase());
      if (again !== null && again.score >= 5 && (found === null || again.score > found.score))
        return { ruleId: "sqli-hex-statement", score: again.score };
    }
  }
  return found;
}
const ESCAPED_QUOTE = /\\(['"])/g;
/** Where the first `'` or `"` is (-1: none). */
function firstQuote(s: string): number {
  const a = s.indexOf("'");
  const b = s.indexOf('"');
  return a === -1 ? b : b === -1 ? a : Math.min(a, b);
}
const HEX_VALUE = /^\s{0,4}0x(?:[0-9a-f]{2}){8,512}\s{0,4}$/i;
/** The printable text a hex literal spells (ASCII, or UTF-16LE when every second byte is 0), or "". */
function hexText(h: string): string {
  const bytes: number[] = [];
  for (let i = 2; i + 1 < h.length; i += 2) bytes.push(parseInt(h.slice(i, i + 2), 16));
  while (bytes.length > 0 && bytes[bytes.length - 1] === 0) bytes.pop();
  let wide = bytes.length > 2;
  for (let i = 1; i < bytes.length && wide; i += 2) wide = bytes[i] === 0;
  let out = "";
  for (let i = 0; i < bytes.length; i += wide ? 2 : 1) {
    const b = bytes[i]!;
    if (b < 32 || b > 126) return "";
    out += String.fromCharCode(b);
  }
  return out;
}
const LOOKALIKE_QUOTE = /[\u2018\u2019\u201c\u201d\u2032\u2033]/;
const LOOKALIKE_SINGLE = /[\u2018\u2019\u2032]/g;
const LOOKALIKE_DOUBLE = /[\u201c\u201d\u2033]/g;
/** An empty comment glued to letters on both sides: a keyword cut in two. */
const SPLIT_KEYWORD = /[a-z]\/\*\*\/[a-z]/i;
const EMPTY_COMMENT = /\/\*\*\//g;
/** An inline comment right after a word, a number, a quote or `)`, a line comment right after a word, a number or `)`: where a space was. */
const GLUED_INLINE_COMMENT = /[\w)'"]\/\*(?!!)[^]{0,64}?\*\//g;
const GLUED_LINE_COMMENT = /[\w)](?:--(?!-)|#)[^\n]{0,64}\n/;
/** Values up to this long are read with such comments as spaces (an injected value is short). */
const SHORT_BLANKED = 512;
/** `re` (global) matches `s` at least twice. */
function twice(re: RegExp, s: string): boolean {
  re.lastIndex = 0;
  const found = re.test(s) && re.test(s);
  re.lastIndex = 0;
  return found;
}
/** An inline comment that is not MySQL's executable one (`/*!…`), at most 64 characters long. */
const INLINE_COMMENT = /\/\*(?!!)[^]{0,64}?\*\//g;
/** A line comment that a line break ends (what follows it is read again). */
const LINE_COMMENT = /(?:--|#)[^\n]{0,64}\n/g;
/** Control characters that MSSQL reads as white space (tab, line breaks and NUL aside). */
const CONTROL_BLANK = /[\x01-\x08\x0e-\x1f]/;
const CONTROL_BLANKS = /[\x01-\x08\x0e-\x1f]/g;

/** Values up to this length are tokenized whole once they have a hot spot; longer ones in windows around their hot spots. */
const FULL = 2_048;
/** A window: this many characters before a hot spot (snapped to a space) and after it. */
const WINDOW_BEFORE = 64;
const WINDOW_AFTER = 512;
/** Quotes closer than this to the last quote that started a window do not start another. */
const QUOTE_SPACING = 128;
/** A quote's window: what follows its breakout. */
const QUOTE_WINDOW = 256;

/**
 * Tokenizing is what costs (three token streams per value), and ordinary text (prose with
 * apostrophes, URLs, dates, code in prose) almost never has a place where SQL could start. So
 * one cheap scan looks for such places first (see `hotSpots`): a value without one is not
 * tokenized at all; a short value with one is analysed whole, exactly as before; a long value
 * is analysed in bounded windows around its hot spots, the first window with the value's own
 * start (numeric contexts, the first quote's breakout).
 */
function scan(s: string, lower: string): Finding | null {
  const spots = hotSpots(lower);
  if (spots.length === 0) return null;
  if (s.length <= FULL) return detectText(s, lower, false);
  const n = s.length;
  const best: Scored = { score: 0, rule: "" };
  const statement = STATEMENT_HEAD.test(lower.slice(0, 24));
  let lastEnd = -1;
  let lastStart = -1;
  let lastQuote = -QUOTE_SPACING;
  for (const p of spots) {
    if (best.score >= 7) break;
    const c = lower.charCodeAt(p);
    const quote = p >= WINDOW_BEFORE * 2 && (c === 39 || c === 34 || c === 96);
    let start: number;
    let end: number;
    if (quote) {
      // A quote that may break out is read from itself (its breakout), at most one per
      // QUOTE_SPACING characters and only a few dozen tokens far, so the cost stays linear.
      if (p - lastQuote < QUOTE_SPACING) continue;
      lastQuote = p;
      quoteWindow(s.slice(p, Math.min(n, p + QUOTE_WINDOW)), best);
      continue;
    }
    // Spots inside the previous window (but its end) were seen with enough context.
    if (p >= lastStart && p + 128 <= lastEnd) continue;
    if (p < WINDOW_BEFORE * 2) {
      start = 0;
      end = Math.min(n, WINDOW_AFTER * 2);
    } else {
      start = Math.max(0, p - WINDOW_BEFORE);
      const sp = lower.indexOf(" ", start);
      if (sp !== -1 && sp < p) start = sp + 1;
      end = Math.min(n, p + WINDOW_AFTER);
    }
    const w = s.slice(start, end);
    const f = detectText(w, w.toLowerCase(), start > 0, statement);
    if (f !== null) better(best, f.score, f.ruleId);
    lastStart = start;
    lastEnd = end;
  }
  return best.score > 0 ? { ruleId: best.rule, score: best.score } : null;
}

/** A breakout at the quote that starts `w` (inside a long value): what follows it, as after a value's first quote. */
function quoteWindow(w: string, best: Scored): void {
  const q = w[0]!;
  const info: Info = { versioned: false, empty: 0, comments: 0 };
  const toks = tokenize(q + w, QUOTE_CONTEXT_TOKENS, info);
  const str = toks[0];
  if (str === undefined || str.k !== "str" || str.flag) return;
  const r = afterValue(toks, 1, true, false, true);
  better(best, r.score, r.rule);
  if (best.score < 7) anywhere(toks, best, false);
  if (info.versioned) better(best, 6, "sqli-versioned-comment");
}

/** What closes a value besides quotes: a MySQL identifier's backtick, PostgreSQL's `$$`. */
const CLOSERS = ["`", "$$"] as const;
/** A quote, a short word, the same quote, then the end of the value. */
const QUOTED_TERM_END = /^(['"])[A-Za-z]{1,12}\1\s{0,4}$/;

const STATEMENT_HEAD =
  /^\s{0,24}(?:select|insert|update|delete|create|alter|drop|with|explain|truncate|replace|merge|grant|begin|show|describe|pragma)(?![\w$.\u0080-\uffff])/;

/**
 * Values the tokenizer-free pre-filters of `inspect.ts` (plain words, single tokens) must still
 * hand to `detectSqli`: catalog names, overflow probes, `exec xp_cmdshell`, `1 order by 3`,
 * `select pg_sleep`, `case when … then`, `1 and 7 like 7` (`between`, `rlike`), a trailing `--`
 * (`1 or true--`, `1 order by 5-- -`: the detector decides), `password::int`, `1.e.tables`,
 * `--sp_password`, hex
 * literals that spell text. Cheap: one trim, a few Set lookups and bounded regexes (a hex
 * literal is decoded only when it is one whole token of at most 1 KiB). `plainWord`: the caller
 * knows the value is letters, digits, `_`, `,` and `-` only (the phrases need a space then).
 */
export function sqliPlainValue(lower: string, plainWord = false): boolean {
  const v = lower.trim();
  if (v.length > SHORT) return false;
  const c = v.charCodeAt(0);
  if (
    CATALOG_VALUES.has(v) ||
    ((isDigitCode(c) || c === 45) && (OVERFLOW_NUMBERS.has(v) || MAGIC_FLOAT.test(v))) ||
    v.includes("unionselect") ||
    v.includes("--sp_password")
  )
    return true;
  // A hex literal that spells text (`0x73656c656374…`): the detector decodes it.
  if (v.startsWith("0x") && HEX_VALUE.test(v) && hexText(v) !== "") return true;
  // A word of letters, digits, `_`, `,` and `-` (no space): only a trailing `--` can match.
  return (!plainWord || v.includes("--")) && PLAIN_SQL.test(v);
}
const PLAIN_SQL =
  /\b(?:exec(?:ute)?\s{1,8}(?:xp_|sp_|master)|select\s{1,8}(?:pg_sleep|benchmark|sleep|@@|user|version|database|char)|case\s{1,8}when\s|waitfor\s{1,8}(?:delay|time)|declare\s{1,8}@|union\s{1,8}(?:all\s{1,8})?select|from\s{1,8}information_schema|(?:order|group)\s{1,8}by\s{1,8}\d|(?:and|or|xor)\s{1,8}\d{1,10}\s{1,8}(?:r?like|regexp|between)\s{1,8}\d)|[a-z_)]::[a-z]{2,12}$|\d\.e\.[a-z_]|[\w ]--[\s-]{0,4}$/;

function detectText(s: string, lower: string, inner = false, valueStatement?: boolean): Finding | null {
  const best: Scored = { score: 0, rule: "" };
  // Bare: numeric contexts at the start, and patterns anywhere.
  const info: Info = { versioned: false, empty: 0, comments: 0 };
  const bare = tokenize(s, MAX_TOKENS, info);
  if (bare.length === 0) return null;
  const first = bare[0]!;
  // A complete statement (a developer's snippet, a SQL console) is code, not a fragment that
  // continues someone else's statement: only attack-only functions count in it.
  const statement = valueStatement ?? (first.k === "word" && STATEMENT_START.has(first.v));
  if (inner) {
    // A window inside a long value: the value's start is elsewhere.
  } else if (first.k === "num" || (first.k === "op" && first.v === "-" && bare[1]?.k === "num")) {
    // Comments do not occur in prose: `9999 or/**/true` is SQL even where `9999 or true` is not.
    const r = afterValue(bare, first.k === "num" ? 1 : 2, false, info.comments === 0);
    better(best, r.score, r.rule);
  } else if (word(first, "having") && literalChain(bare, 1).cmp > 0) {
    // ` HAVING 1=1--`: a suffix that adds a group condition.
    better(best, 5, "sqli-having");
  } else if (first.k === ")") {
    // `) like (`, `) or (1=1`: the value closes a parenthesised (numeric) context.
    const r = afterValue(bare, 0, false, false);
    better(best, r.score, r.rule);
  }
  anywhere(bare, best, statement);
  wholeValue(s, lower, best, inner);
  if (info.versioned) better(best, 6, "sqli-versioned-comment");
  if (!inner) ddl(bare, best);
  // `/**/` as whitespace between keywords: evasion, even in a statement.
  if (info.empty >= 2 && /\b(?:select|union|from|where|and|or|order|concat|sleep)\b/.test(lower))
    better(best, 5, "sqli-comment-obfuscation");
  if (!inner) {
    // `*/=1--`: the value closes a comment opened in another parameter (`admin'/*`) and goes on as SQL.
    const close = s.length <= SHORT ? s.indexOf("*/") : -1;
    if (close !== -1 && close < 64 && !s.slice(0, close).includes("/*")) {
      const rest = tokenize(s.slice(close + 2), QUOTE_CONTEXT_TOKENS, { versioned: false, empty: 0, comments: 0 });
      const r = afterValue(rest, 0, true, true);
      if (r.score >= 5 && rest[0]?.k !== "cmt") better(best, r.score, r.rule);
    }
    // `@v SELECT @v AS v INTO t --`: a T-SQL batch fragment that starts with a variable and is cut off.
    if (
      first.k === "var" &&
      bare.length <= 32 &&
      bare[bare.length - 1]!.k === "cmt" &&
      statementAt(bare, skip(bare, 1, ["cmt"]), false)
    )
      better(best, 5, "sqli-stacked-query");
  }
  // A literal comparison as the whole value: `'x'!='y`, `'{"a":2}' < '$.c' = 7`.
  if (!inner && first.k === "str" && !first.flag) {
    const chain = literalChain(bare, 0);
    if (chain.end !== -1 && (chain.cmp > 0 || chain.cast) && chain.end >= bare.length) better(best, 5, "sqli-boolean");
  }
  // String contexts: the value lands after an opening quote.
  for (const q of ["'", '"']) {
    if (best.score >= 7) break;
    const at = s.indexOf(q);
    if (at === -1) continue;
    // The application's opening quote plus everything up to the value's first quote is one string.
    const qinfo: Info = { versioned: false, empty: 0, comments: 0 };
    // `\'; desc users`: against an application that escapes quotes with a backslash, the value's
    // own backslash escapes that backslash and the quote closes the string (a short prefix only).
    const escaped = at > 0 && at <= 16 && s[at - 1] === "\\" && s[at - 2] !== "\\" && !/\s/.test(s.slice(0, at));
    const toks = tokenize(
      q + (escaped ? s.slice(0, at - 1) + "\\\\" + s.slice(at) : s),
      statement ? QUOTE_CONTEXT_TOKENS : MAX_TOKENS,
      qinfo,
    );
    const str = toks[0];
    if (str === undefined || str.k !== "str" || str.flag) continue;
    // A quoted term after other words that ends the value (`browning "LIKE"`, `select 'and'`) opens
    // no string it closes; alone (`'OR'`, `'DIV'`) it is MySQL's implicit-conversion probe.
    if (at > 0 && QUOTED_TERM_END.test(s.slice(at))) continue;
    // An injected value breaks out early (`1'`, `admin')`, `x@y.z"'`); a quote far into the value
    // (`$pdo->prepare('SELECT …')`) opens a string in code or prose rather than closing one.
    const prefix = s.slice(0, at).trimEnd();
    const near = at <= 64 && !prefix.includes("\n") && !/[([=,]$/.test(prefix);
    const r = afterValue(toks, 1, true, false, near);
    better(best, r.score, r.rule);
    if (near && concatBreakout(toks, q)) better(best, 5, "sqli-concat-breakout");
    // Whatever follows the breakout is SQL too: `') AS x WHERE 1=1 UNION ALL SELECT …`.
    if (near && !statement && best.score < 7) anywhere(toks, best, false);
  }
  // The other places a value can be closed in: a MySQL identifier (`` SELECT `col` ``, as in
  // `` 1` WHERE 5=5 AND 5=5-- `` or `` 1`=`1` AND 5=5 AND `1`=`1 ``) and a PostgreSQL dollar-quoted
  // string (`1$$ ORDER BY 1--`). Read as if a quote closed there, when what stands before the
  // closer is one short identifier or number (as a column name or id is) and what follows it
  // continues a statement (`AFTER_CLOSER`); only a finding strong enough to block counts (backticks
  // are also markdown's and JavaScript's, `$$` is money).
  if (!inner && !statement && best.score < 7) {
    for (const closer of CLOSERS) {
      const at = s.indexOf(closer);
      if (at < 1 || at > 32 || !CLOSED_NAME.test(s.slice(0, at)) || !AFTER_CLOSER.test(s.slice(at + closer.length)))
        continue;
      const toks = tokenize(`'${s.slice(0, at)}'${s.slice(at + closer.length)}`, MAX_TOKENS, {
        versioned: false,
        empty: 0,
        comments: 0,
      });
      const found: Scored = { score: 0, rule: "" };
      const r = afterValue(toks, 1, true, false, true);
      better(found, r.score, r.rule);
      anywhere(toks, found, false);
      if (found.score >= 5) better(best, found.score, found.rule);
    }
  }
  return best.score > 0 ? { ruleId: best.rule, score: best.score } : null;
}
