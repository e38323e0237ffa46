/**
 * The checks behind the SQL hot-spot scan (`hot-spots.ts`): what follows a quote, a boolean or a
 * number at the start, a comment, a comparison, an `_` name, and a keyword or punctuation
 * candidate (`spotAt`), with the word tables they use.
 */
import {
  at,
  callAfter,
  CMP_CHARS,
  findWithin,
  isDigitCode,
  isLetterCode,
  isSpaceCode,
  isWordCode,
  OP_CHARS,
  skipGap,
  wordAt,
  wordEnd,
} from "./hot-text.ts";
import { BOOL_WORDS, CATALOG_VALUES, CMP_WORDS, PG_TYPES, PROBE_FUNCS, SQL_FUNCS } from "./tables.ts";
import { gluedBoolean } from "./tokenizer.ts";

/** Words after a quote that continue the statement (booleans, comparisons, clauses, statements). */
// oxfmt-ignore
const QUOTE_NEXT = new Set([
  ...BOOL_WORDS, ...CMP_WORDS, "union", "select", "waitfor", "order", "group", "procedure", "having", "limit", "into", "insert", "replace",
  "update", "delete", "drop", "truncate", "exec", "execute", "declare", "shutdown", "create", "alter", "grant", "revoke", "call",
  "load_file", "copy", "as", "from", "where",
]);
/** Words after a number at the start of the value that continue the statement. */
/** Words that continue an expression after an operator without a call (`1-case when`, `1+select`). */
// oxfmt-ignore
const OPERAND_WORDS = new Set(["case", "select", "if", "exists", "null", "true", "false", "current_user", "user", "version", "database", "schema"]);
// oxfmt-ignore
const NUMBER_NEXT = new Set(["or", "and", "xor", "not", "div", "union", "waitfor", "order", "group", "procedure", "as", "where"]);
/** Statements after `;`. */
// oxfmt-ignore
const STATEMENT_NEXT = new Set(["desc", "describe", "drop", "truncate", "delete", "insert", "replace", "update", "exec", "execute", "declare", "shutdown", "waitfor", "create", "alter", "grant", "revoke", "set", "select", "begin", "call", "load_file", "load", "copy"]);
/** Literal-like words after a boolean. */
const BOOL_NEXT = new Set(["null", "true", "false", "array", "select", "exists"]);
const SELECT_NEXT = new Set([
  "null",
  "all",
  "distinct",
  "distinctrow",
  "top",
  "case",
  "pg_sleep",
  "dbms_pipe.receive_message",
]);
// oxfmt-ignore
const DDL_NEXT = new Set(["table", "database", "function", "procedure", "user", "trigger", "schema", "view", "index", "login", "aggregate", "or", "role", "definer"]);
/** Function names whose call makes a hot spot. */
// oxfmt-ignore
const FUNC_HOT = new Set([...SQL_FUNCS, ...PROBE_FUNCS, "div", "concat", "concat_ws", "substring", "substr", "mid", "find_in_set", "strcmp", "unistr", "json_extract", "pg_sleep", "make_set", "randomblob", "sqlite_compileoption_get", "sqlite_compileoption_used", "unhex", "to_char", "chr", "select", "exists", "analyse", "exec", "execute"]);

/** After a comparison or an operator (at `i`): a literal, a call, a sub-select or another quote? */
function operandAt(s: string, i: number): boolean {
  const k = skipGap(s, i, true);
  const c = at(s, k);
  return c === 39 || c === 34 || c === 96 || c === 64 || c === 45 || c === 47 || isDigitCode(c) || isLetterCode(c);
}

/** After a breakout quote at `i`: something that continues the statement? */
export function quoteHot(s: string, i: number): boolean {
  let j = i + 1;
  const n = s.length;
  const stop = Math.min(n, j + 16);
  while (j < stop && (isSpaceCode(at(s, j)) || at(s, j) === 41)) j++;
  const c = at(s, j);
  if (isLetterCode(c)) {
    // Most quotes in text are apostrophes before a letter (`O'Brien`, `isn't`): a short word test.
    const e = wordEnd(s, j);
    const len = e - j;
    if (len >= 2 && len <= 9) {
      const w = s.slice(j, at(s, e - 1) === 46 ? e - 1 : e);
      if (QUOTE_NEXT.has(w) || w.startsWith("xp_") || w.startsWith("sp_")) return true;
    } else if (len > 9 && (s.startsWith("xp_", j) || s.startsWith("sp_", j))) return true;
    if (callAfter(s, e)) return true;
  } else if (j < n) {
    const ch = s[j]!;
    if (CMP_CHARS.includes(ch) || ch === ";" || ch === "#" || ch === "(" || ch === "@" || ch === "?") return true;
    if (ch === ":" && at(s, j + 1) === 58) return true;
    if (OP_CHARS.includes(ch)) {
      const d = at(s, j + 1);
      // `--`, `/*`, `||`, `&&`, or an operator before an operand (`'+sleep(5)+'`, `'||'`).
      if ((c === 45 && d === 45) || (c === 47 && d === 42) || (c === 124 && d === 124) || (c === 38 && d === 38))
        return true;
      if (operandAt(s, j + 1)) return true;
    }
  }
  // `waitfor delay '0:0:5'`, `into outfile '/tmp/x'`: the string a keyword takes.
  let b = i - 1;
  while (b >= 0 && b > i - 8 && isSpaceCode(at(s, b))) b--;
  const last = at(s, b);
  return (
    b >= 3 &&
    (last === 121 || last === 101) &&
    (s.startsWith("delay", b - 4) || s.startsWith("time", b - 3) || s.startsWith("file", b - 3))
  );
}

/** After a boolean ending at `e`: a literal, a call, a sub-select, or a word compared to something. */
export function boolHot(s: string, e: number): boolean {
  const k = skipGap(s, e, true);
  const c = at(s, k);
  if (isDigitCode(c) || c === 39 || c === 34 || c === 96 || c === 64) return true;
  if ((c === 45 || c === 43 || c === 46) && isDigitCode(at(s, k + 1))) return true;
  const w = wordAt(s, k);
  if (w !== "" && BOOL_NEXT.has(w)) return true;
  // The operand's end: a word, or any one punctuation character (`div><select`).
  let end = k + w.length;
  if (w === "") {
    if (k >= s.length) return false;
    end = k + 1;
  }
  const after = skipGap(s, end);
  if (w !== "" && at(s, after) === 40) return true;
  // `or x in (select …)`, `and y = f(…)`: a word compared to a sub-select or a call.
  let m = after;
  if (CMP_CHARS.includes(s[m] ?? " ")) {
    while (m < after + 3 && CMP_CHARS.includes(s[m] ?? " ")) m++;
  } else {
    const cw = wordAt(s, m);
    if (!CMP_WORDS.has(cw)) return false;
    m += cw.length;
  }
  const k2 = skipGap(s, m, true);
  const w2 = wordAt(s, k2);
  return w2 !== "" && (w2 === "select" || callAfter(s, k2 + w2.length));
}

/** A number (or `)`, `having`) at the very start of the value, continued like SQL. */
export function startHot(s: string): boolean {
  let i = 0;
  while (i < s.length && i < 64 && isSpaceCode(at(s, i))) i++;
  const c = at(s, i);
  if (c === 41) return true;
  if (c === 104) return s.startsWith("having", i);
  // DDL at the start (`ALTER TABLE … CHARACTER SET`, `/CREATE TABLE x`, `CREATE FUNCTION … RETURNS`).
  if (c === 47 || c === 44 || isLetterCode(c)) {
    const w = wordAt(s, c === 47 || c === 44 ? skipGap(s, i + 1) : i);
    if (w === "alter" || w === "create" || w === "drop" || w === "truncate") return true;
  }
  // The number as the tokenizer reads it: `-`, then hex/binary, or digits and dots with an exponent.
  if (c === 45) i = skipGap(s, i + 1);
  const d = at(s, i);
  if (!isDigitCode(d) && !(d === 46 && isDigitCode(at(s, i + 1)))) return false;
  const n = s.length;
  let j = i + 1;
  const x = at(s, j);
  if (d === 48 && (x === 120 || x === 98)) {
    j++;
    while (j < n && (isDigitCode(at(s, j)) || (at(s, j) >= 97 && at(s, j) <= 102))) j++;
  } else {
    while (j < n && (isDigitCode(at(s, j)) || at(s, j) === 46)) j++;
    const e = at(s, j);
    const e1 = at(s, j + 1);
    if (e === 101 && (isDigitCode(e1) || ((e1 === 45 || e1 === 43) && isDigitCode(at(s, j + 2))))) {
      j += 2;
      while (j < n && isDigitCode(at(s, j))) j++;
    }
  }
  // `1.e(ascii …`, `1.e.tables`: the scientific-notation bypass.
  if (at(s, j) === 101 && (at(s, j + 1) === 40 || at(s, j + 1) === 46) && at(s, j - 1) === 46) return true;
  let k = j;
  let parens = 0;
  while (k < n && k < j + 32) {
    const ch = at(s, k);
    if (isSpaceCode(ch)) k++;
    else if (ch === 41) {
      k++;
      parens++;
    } else break;
  }
  if (parens > 0) return true;
  if (k >= n) return false;
  const ch = s[k]!;
  if (CMP_CHARS.includes(ch) || ch === ";") return true;
  if (OP_CHARS.includes(ch)) {
    const two = s.slice(k, k + 2);
    if (two === "||" || two === "&&") return true;
    if (two === "--" || two === "/*") return false;
    // `1-sleep(5)`, `1*case when`, `1+if(…)`: a call or a keyword after the operator; not `3-year warranty`.
    const w = skipGap(s, k + 1, true);
    if (!isLetterCode(at(s, w))) return false;
    const word = wordAt(s, w);
    return callAfter(s, w + word.length) || NUMBER_NEXT.has(word) || OPERAND_WORDS.has(word) || FUNC_HOT.has(word);
  }
  if (k === j && gluedBoolean(s, k) > 0) return true;
  return NUMBER_NEXT.has(wordAt(s, k));
}

/** A comment at `i` that SQL evasion uses: versioned `/*!`, hint `/*+`, empty `/**​/`, or one right next to a word (`union/*x*​/select`). */
export function commentHot(s: string, i: number): boolean {
  const c = at(s, i + 2);
  if (c === 33 || c === 43 || c === 42) return true;
  if (i > 0 && isWordCode(at(s, i - 1))) return true;
  const end = findWithin(s, "*/", i + 2, 256);
  if (end === -1) return false;
  return isWordCode(at(s, end + 2)) || s.slice(i + 2, end).includes("/*!");
}

/** Before a comparison at `i` (past spaces, `)`, other comparison characters, `-`, `#`): a literal? */
export function literalBefore(s: string, i: number): boolean {
  let b = i - 1;
  const low = Math.max(0, i - 24);
  while (b >= low) {
    const c = at(s, b);
    if (isSpaceCode(c) || c === 41 || c === 61 || c === 60 || c === 62 || c === 33 || c === 45 || c === 35 || c === 58)
      b--;
    else break;
  }
  if (b < low) return false;
  const c = at(s, b);
  if (isDigitCode(c) || c === 39 || c === 34 || c === 96 || c === 93) return true;
  if (!isWordCode(c)) return false;
  let a = b;
  while (a > low && isWordCode(at(s, a - 1))) a--;
  if (a > 0 && at(s, a - 1) === 64) return true;
  const w = s.slice(a, b + 1);
  return w === "null" || w === "true" || w === "false" || w === "array";
}

/** A name with `_` that is SQL: a stored procedure (`xp_cmdshell`, `master.dbo.sp_x`) or a catalog (`information_schema.tables`). */
export function underscoreHot(s: string, i: number): boolean {
  let a = i;
  const low = Math.max(0, i - 48);
  while (a > low && (isWordCode(at(s, a - 1)) || at(s, a - 1) === 46)) a--;
  while (a < i && !isLetterCode(at(s, a))) a++;
  let w = s.slice(a, wordEnd(s, i));
  while (w.endsWith(".")) w = w.slice(0, -1);
  if (
    w.startsWith("xp_") ||
    w.startsWith("sp_") ||
    w.startsWith("fn_varbintohexstr") ||
    w.startsWith("information_schema") ||
    w.startsWith("pg_catalog.")
  )
    return true;
  if (w.includes(".xp_") || w.includes(".sp_")) return true;
  return CATALOG_VALUES.has(w);
}

/** Words that count only as whole words (not `order`, `andrew`, `fromage`); prefixes do not need that. */
const PREFIXES = new Set(["xp_", "sp_", "union", "information_schema", "fn_varbintohexstr"]);

export function spotAt(s: string, i: number, t: string): boolean {
  const c = t.charCodeAt(0);
  if (c === 39 || c === 34 || c === 96) return quoteHot(s, i);
  if (t === ";") {
    const k = skipGap(s, i + 1);
    const w = wordAt(s, k);
    return STATEMENT_NEXT.has(w) || w.startsWith("xp_") || w.startsWith("sp_");
  }
  if (t === "(") {
    // A call of an SQL function (`sleep (5)`, `user/**/(`), or `(select`.
    let b = i - 1;
    const low = Math.max(0, i - 72);
    while (b >= low && isSpaceCode(at(s, b))) b--;
    // `encode=(`, `md5\(`: one `=` or `\` between the name and its parenthesis.
    if (b >= low && (s[b] === "=" || s[b] === "\\")) {
      b--;
      while (b >= low && isSpaceCode(at(s, b))) b--;
    }
    if (b > 0 && s[b] === "/" && s[b - 1] === "*") {
      const from = Math.max(low, b - 66);
      const rel = s.slice(from, b - 1).lastIndexOf("/*");
      const open = rel === -1 ? -1 : from + rel;
      if (open !== -1 && open >= low) {
        b = open - 1;
        while (b >= low && isSpaceCode(at(s, b))) b--;
      }
    }
    let a = b;
    while (a >= low && (isWordCode(at(s, a)) || at(s, a) === 46)) a--;
    if (a < b) {
      let w = s.slice(a + 1, b + 1);
      const first = w.search(/[a-z_\u0080-\uffff]/);
      if (first > 0) w = w.slice(first);
      if (FUNC_HOT.has(w)) return true;
      // `1.e(ascii(…))`: the scientific-notation bypass.
      if (b >= 2 && s[b] === "e" && s[b - 1] === "." && isDigitCode(at(s, b - 2))) return true;
    }
    const next = wordAt(s, skipGap(s, i + 1, true));
    return next === "select" || next === "exists";
  }
  if (t === "/*") return true;
  if (t === "::") return PG_TYPES.has(wordAt(s, i + 2));
  if (t === "||" || t === "&&") return boolHot(s, i + 2);
  if (isDigitCode(c)) return true;
  const e = i + t.length;
  if (!PREFIXES.has(t)) {
    const d = at(s, e);
    if (isWordCode(d) || (d === 46 && isLetterCode(at(s, e + 1)))) return false;
  }
  // A keyword glued to letters before it is part of a longer word; glued to digits it is not (`1or`).
  if (i > 0 && isDigitCode(at(s, i - 1))) {
    let b = i - 1;
    while (b > 0 && (isDigitCode(at(s, b - 1)) || at(s, b - 1) === 46)) b--;
    if (b > 0 && isWordCode(at(s, b - 1))) return false;
  }
  switch (t) {
    case "or":
    case "and":
    case "xor":
    case "not":
    case "div":
      return boolHot(s, e);
    case "union":
      return s.slice(e, e + 96).includes("select");
    case "select": {
      let b = i - 1;
      while (b >= 0 && b > i - 16 && isSpaceCode(at(s, b))) b--;
      if (b >= 0 && s[b] === "(") return true;
      const k = skipGap(s, e, true);
      const ch = at(s, k);
      if (isDigitCode(ch) || ch === 64 || ch === 42 || ch === 39 || ch === 34 || ch === 45) return true;
      const w = wordAt(s, k);
      return w !== "" && (SELECT_NEXT.has(w) || callAfter(s, k + w.length));
    }
    case "declare":
      return at(s, skipGap(s, e)) === 64;
    case "from": {
      let k = skipGap(s, e, true);
      if (s[k] === "[" || s[k] === "`") k++;
      const w = wordAt(s, k);
      return w !== "" && (CATALOG_VALUES.has(w) || w.startsWith("information_schema.") || w.startsWith("pg_catalog."));
    }
    case "case":
      return wordAt(s, skipGap(s, e)) === "when";
    case "create":
    case "drop":
    case "alter":
    case "truncate":
      return DDL_NEXT.has(wordAt(s, skipGap(s, e)));
    case "having":
      return operandAt(s, e) && !isLetterCode(at(s, skipGap(s, e, true)));
    default:
      // waitfor, exec, execute, outfile, dumpfile, analyse, xp_, sp_, fn_varbintohexstr, information_schema
      return true;
  }
}
