/**
 * Token-stream grammar of the SQL injection detector (`../sqli.ts`): predicates on tokens
 * (literal, call, cast, statement end), statement starts for stacked queries, `UNION SELECT`
 * lists, literal comparison chains, and the scoring of what follows a breakout or a boolean.
 */
import { ERROR_FUNCS, FILE_FUNCS, PG_TYPES, PROC_WORDS, SQL_FUNCS, TIME_FUNCS } from "./tables.ts";
import type { Kind, Tok } from "./tokenizer.ts";

/**
 * A value operand. An unterminated string only counts when it is short and has no spaces
 * (`' or 'a` is closed by the application's own quote); a long one is the rest of a sentence.
 */
export const isLiteral = (t: Tok | undefined): boolean =>
  t !== undefined &&
  (t.k === "num" ||
    t.k === "var" ||
    (t.k === "str" && (!t.flag || (t.v.length <= 17 && !/\s/.test(t.v)))) ||
    (t.k === "word" && (t.v === "null" || t.v === "true" || t.v === "false" || t.v === "array")));
export const isEnd = (t: Tok | undefined): boolean => t === undefined || t.k === "cmt" || t.k === ";";
export const isCall = (t: Tok | undefined): boolean => t !== undefined && t.k === "word" && t.flag;
export const isSqlCall = (t: Tok | undefined): boolean => isCall(t) && SQL_FUNCS.has(t!.v);
export const word = (t: Tok | undefined, ...vs: string[]): boolean =>
  t !== undefined && (t.k === "word" || t.k === "bool" || t.k === "cmp") && vs.includes(t.v);
/** The last segment of a dotted name: `master.dbo.xp_cmdshell` → `xp_cmdshell`. */
const tail = (v: string): string => v.slice(v.lastIndexOf(".") + 1);
export const isProc = (t: Tok | undefined): boolean =>
  t !== undefined && t.k === "word" && (PROC_WORDS.has(t.v) || PROC_WORDS.has(tail(t.v)));
/** A PostgreSQL cast of a literal or a call's result (`'{}'::jsonb`, `f(x)::int`, `1::text`). */
export const isSqlCast = (t: Tok | undefined): boolean =>
  t !== undefined &&
  t.cast !== undefined &&
  PG_TYPES.has(t.cast) &&
  (t.k === "str" || t.k === "num" || t.k === ")" || (t.k === "word" && t.castLower === true));

/** Skips comments and `(`, returning the next index (comments act as whitespace in SQL). */
export function skip(toks: Tok[], i: number, kinds: ReadonlyArray<Kind>): number {
  while (i < toks.length && kinds.includes(toks[i]!.k)) i++;
  return i;
}

/** Index just after the parenthesised group that starts at `i` (a `(`), bounded. */
export function closeParen(toks: Tok[], i: number): number {
  let depth = 0;
  for (let k = i; k < toks.length && k < i + 96; k++) {
    if (toks[k]!.k === "(") depth++;
    else if (toks[k]!.k === ")" && --depth <= 0) return k + 1;
  }
  return -1;
}

/** After `UNION [ALL|DISTINCT] [(]` at `i` (pointing at SELECT): is what follows a select list? */
export function unionSelectAt(toks: Tok[], i: number, truncated: boolean): boolean {
  let j = skip(toks, i, ["cmt"]);
  if (word(toks[j], "all", "distinct", "distinctrow")) j = skip(toks, j + 1, ["cmt"]);
  // MySQL 8's table value constructor in place of SELECT: `UNION ALL VALUES (NULL,1)`, `UNION VALUES ROW(1)`
  // (not "3 union values (5 min read)": ALL or ROW says it is SQL).
  if (word(toks[j], "values")) {
    const all = j > skip(toks, i, ["cmt"]);
    let k = skip(toks, j + 1, ["cmt"]);
    const row = word(toks[k], "row");
    if (row) k = skip(toks, k + 1, ["cmt"]);
    if (toks[k]?.k !== "(" || !(all || row)) return false;
    const a = toks[skip(toks, k + 1, ["cmt"])];
    return a !== undefined && (isLiteral(a) || isCall(a));
  }
  j = skip(toks, j, ["(", "cmt"]);
  if (!word(toks[j], "select")) return false;
  j = skip(toks, j + 1, ["cmt"]);
  if (word(toks[j], "all", "distinct", "distinctrow", "top")) j = skip(toks, j + 1, ["cmt"]);
  const a = toks[j];
  const b = toks[skip(toks, j + 1, ["cmt"])];
  // `' UNION SELECT` cut off at the end (a probe, or the rest is in another parameter).
  if (a === undefined) return truncated;
  if (isLiteral(a) || isCall(a) || a.k === "(" || (a.k === "op" && a.v === "*")) return true;
  // `SELECT -1,…` (a negative number), `SELECT u.*` (a table's columns).
  if (a.k === "op" && (a.v === "-" || a.v === "+") && b?.k === "num") return true;
  if (a.k === "word" && b?.k === "." && toks[skip(toks, j + 1, ["cmt"]) + 1]?.v === "*") return true;
  if (a.k === "word") {
    if (b === undefined) return truncated || SQL_FUNCS.has(a.v) || a.v.startsWith("@@");
    if (b.k === "," || b.k === "cmt" || word(b, "from", "into", "limit", "where")) return true;
    // An expression in the select list: `username || ':' || password`, `price * 2`.
    if ((b.k === "bool" && b.v === "||") || (b.k === "op" && b.v !== "!" && b.v !== "~")) {
      const c = toks[skip(toks, skip(toks, j + 1, ["cmt"]) + 1, ["cmt"])];
      return c !== undefined && (isLiteral(c) || c.k === "word" || c.k === "(");
    }
    return false;
  }
  return truncated && a.k === "op";
}

/** The next `count` non-comment tokens from `i`. */
export function nextTokens(toks: Tok[], i: number, count: number): Array<Tok | undefined> {
  const out: Array<Tok | undefined> = [];
  for (let k = i; out.length < count && k < toks.length && k < i + 16; k++) if (toks[k]!.k !== "cmt") out.push(toks[k]);
  while (out.length < count) out.push(undefined);
  return out;
}

/** Index of the `count`-th non-comment token from `i` (for re-entering the stream). */
export function indexOfNext(toks: Tok[], i: number, count: number): number {
  let seen = 0;
  for (let k = i; k < toks.length && k < i + 16; k++) {
    if (toks[k]!.k === "cmt") continue;
    if (seen++ === count) return k;
  }
  return toks.length;
}

/** Is there a statement that a stacked query would start, at `i`? */
export function statementAt(toks: Tok[], i: number, afterBreakout = false): boolean {
  const [a, b, c, d] = nextTokens(toks, i, 4);
  if (a === undefined || (a.k !== "word" && a.k !== "bool")) return false;
  switch (a.v) {
    case "drop":
    case "truncate":
      return (
        word(b, "table", "database", "schema", "user", "view", "procedure", "function", "index", "login", "trigger") ||
        (b?.k === "word" && b.v.startsWith("["))
      );
    case "delete":
      // `DELETE [LOW_PRIORITY|QUICK|IGNORE] FROM t`.
      if (word(b, "low_priority", "quick", "ignore")) return word(c, "from") && d !== undefined && d.k === "word";
      return word(b, "from") && c !== undefined && c.k === "word" && (isEnd(d) || word(d, "where"));
    case "bulk":
      // `BULK INSERT t FROM 'c:\…'` (MSSQL reads a file into a table).
      return word(b, "insert") && c !== undefined && c.k === "word" && word(d, "from");
    case "load":
      // `LOAD DATA|XML [LOW_PRIORITY|CONCURRENT] [LOCAL] INFILE '…'` (MySQL reads a file).
      return word(b, "data", "xml") && (word(c, "infile", "local", "low_priority", "concurrent") || word(d, "infile"));
    case "insert":
    case "replace":
      if (word(b, "into"))
        return c !== undefined && c.k === "word" && (word(d, "values", "select") || d?.k === "(" || c.flag);
      return a.v === "replace" && b !== undefined && b.k === "word" && (c?.k === "(" || b.flag)
        ? true
        : afterBreakout && a.v === "insert" && b?.k === "word";
    case "update":
      return b !== undefined && b.k === "word" && word(c, "set");
    case "exec":
    case "execute":
      // `; exec will create the case`: words of a sentence, not a procedure (`xp_cmdshell`, `master..x`, `sp_who`).
      if (b?.k === "word" && /^[a-z]+$/.test(b.v) && b.v !== "immediate" && c?.k === "word" && /^[a-z]+$/.test(c.v))
        return false;
      return b !== undefined && (b.k === "word" || b.k === "var" || b.k === "str" || b.k === "(");
    case "declare":
      return b?.k === "var";
    case "shutdown":
      return isEnd(b) || word(b, "with");
    case "waitfor":
      return word(b, "delay", "time");
    case "create":
    case "alter":
      return word(b, "table", "user", "login", "function", "procedure", "trigger", "database", "role", "or", "definer");
    case "grant":
    case "revoke":
      return word(b, "all", "select", "insert", "update", "delete", "dba", "execute", "connect", "file", "super");
    case "set":
      return b?.k === "var" || (b?.k === "word" && c?.k === "cmp");
    case "select":
      // After a breakout, `'; SELECT …` is a stacked query whatever it selects.
      return afterBreakout
        ? b !== undefined && !(b.k === "str" && b.flag)
        : unionSelectAt(toks, i, false) || isSqlCall(b) || b?.k === "var";
    case "begin":
      return afterBreakout || (b !== undefined && (b.k === "word" || b.k === ";"));
    case "call":
      return isCall(b);
    case "load_file":
      return true;
    case "copy":
      return b?.k === "word" && word(c, "from", "to", "(");
    case "desc":
    case "describe":
      return afterBreakout && b?.k === "word" && isEnd(c);
    default:
      return isProc(a);
  }
}

/** `literal (op|cmp literal)+` from `j`, skipping comments and `(`: index after it, and whether it had a comparison. */
export function literalChain(toks: Tok[], j: number): { end: number; cmp: number; json: boolean; cast: boolean } {
  let k = skip(toks, j, ["(", "cmt"]);
  let cmp = 0;
  let json = false;
  let cast = false;
  if (!isLiteral(toks[k])) return { end: -1, cmp: 0, json: false, cast: false };
  cast ||= isSqlCast(toks[k]);
  k++;
  for (let steps = 0; steps < 8; steps++) {
    let m = skip(toks, k, [")", "cmt"]);
    const op = toks[m];
    if (op === undefined || (op.k !== "cmp" && op.k !== "op") || word(op, "in", "is", "between", "sounds", "similar"))
      break;
    // Arithmetic first is prose ("12 / 4 = 3"); a cast literal may be operated on (`'[1]'::jsonb - 1`).
    if (steps === 0 && op.k === "op" && !cast) break;
    const r = skip(toks, m + 1, ["(", "cmt"]);
    if (!isLiteral(toks[r])) break;
    if (op.k === "cmp") cmp++;
    json ||= op.flag;
    cast ||= isSqlCast(toks[r]);
    k = r + 1;
    m = k;
  }
  return { end: skip(toks, k, [")"]), cmp, json, cast };
}

/** Functions SQL calls without parentheses (`1=SYSTEM_USER`): a comparison with one is a probe. */
const NILADIC = new Set(["current_user", "session_user", "system_user", "current_role", "user"]);

/** Scores what follows a boolean operator at `i` (`OR …`, `AND …`). */
function booleanTail(toks: Tok[], i: number, strict: boolean, bool: string): number {
  let j = skip(toks, i, ["cmt", "("]);
  const a = toks[j];
  if (a === undefined) return 0;
  if (word(a, "not")) j = skip(toks, j + 1, ["cmt", "("]);
  const first = toks[j];
  if (first === undefined) return 0;
  if (word(first, "select", "exists") || isSqlCall(first) || isProc(first) || isSqlCast(first)) return 6;
  // `'||UTL_HTTP.REQUEST`: a database package's attack-only routine named after the boolean.
  if (
    first.k === "word" &&
    first.v.includes(".") &&
    (FILE_FUNCS.has(first.v) || ERROR_FUNCS.has(first.v) || TIME_FUNCS.has(first.v))
  )
    return 5;
  // `' or f(x)--`, `' and g(y)::bool--`, `' or h(z) > 0`: any function call then a comparison/end.
  if (isCall(first) && toks[j + 1]?.k === "(") {
    const after = closeParen(toks, j + 1);
    const t = after === -1 ? undefined : toks[after];
    if (after !== -1 && (isSqlCast(toks[after - 1]) || t?.k === "cmp" || (t?.k === "cmt" && !strict))) return 5;
  }
  // Look for a comparison within the next few tokens.
  let sawWord = false;
  for (let k = j, steps = 0; k < toks.length && steps < 8; k++, steps++) {
    const t = toks[k]!;
    if (t.k === ";" || (t.k === "bool" && k > j)) break;
    if (t.k === "cmt") continue;
    if (t.k === "cmp") {
      // `18" AND IS COMPOSED OF …`: a comparison needs something on its left (after NOT, the
      // application's own value is: `a' NOT LIKE 'b`).
      if (k === j && bool !== "not" && toks[k + 1]?.k === "word" && !toks[k + 1]!.flag) break;
      const left = toks[k - 1];
      const right = toks[skip(toks, k + 1, ["cmt", "("])];
      if (right !== undefined && (word(right, "select") || isSqlCall(right))) return 6;
      if (isLiteral(left) && (isLiteral(right) || (right?.k === "word" && NILADIC.has(right.v)))) return 6;
      if (right === undefined) return strict ? 0 : 4;
      return strict ? (sawWord ? 0 : 4) : 5;
    }
    if (t.k === "word" && !t.flag) sawWord = true;
  }
  // `' OR 1--`, `' OR true#`, `' or 'a` (closed by the application's own quote); also `' or ''-'`.
  // After AND, a string of words is a phrase search (`"countdown calendar" and "disney`), not a probe.
  let k = j + 1;
  while (!strict && isLiteral(first) && toks[k]?.k === "op" && isLiteral(toks[k + 1]) && k < j + 9) k += 2;
  const phrase = bool === "and" && first.k === "str" && first.flag && /[a-z]{4}/.test(first.v);
  if (isLiteral(first) && isEnd(toks[k]) && (!strict || toks[k]?.k === "cmt") && !phrase) return 5;
  return strict ? 0 : 2;
}

export interface Scored {
  score: number;
  rule: string;
}
const NONE: Scored = { score: 0, rule: "" };

/** The statement continues right after a breakout (string end) or a numeric value at `i`. */
export function afterValue(toks: Tok[], i: number, fromString: boolean, strict: boolean, near = true): Scored {
  let j = i;
  let parens = 0;
  while (toks[j]?.k === ")") {
    j++;
    parens++;
  }
  const t = toks[j];
  if (t === undefined) return NONE;
  if (t.k === "cmt") {
    if (!fromString && parens === 0) return NONE;
    // `admin'--`, `admin')#`, `x'/*`; a `#hashtag` or `'--verbose'` right after a quote is text.
    if ((t.v === "#" || t.v === "--") && t.flag) return { score: 2, rule: "sqli-comment-truncation" };
    return { score: 6, rule: "sqli-comment-truncation" };
  }
  if (t.k === ";") {
    // `;(SELECT COUNT(*) FROM …)`: a statement may open with a parenthesis.
    const next = skip(toks, j + 1, ["cmt", "("]);
    if (statementAt(toks, next, fromString || parens > 0)) return { score: 7, rule: "sqli-stacked-query" };
    // `';--` ends the statement and cuts off the rest; a bare `';` is a probe at most.
    if (fromString && toks[j + 1]?.k === "cmt") return { score: 5, rule: "sqli-stacked-query" };
    if (fromString && toks[j + 1] === undefined) return { score: 3, rule: "sqli-stacked-query" };
    return NONE;
  }
  if (t.k === "bool") {
    const s = booleanTail(toks, j + 1, strict, t.v);
    return { score: s, rule: s >= 6 ? "sqli-tautology" : "sqli-boolean" };
  }
  if (word(t, "union") && unionSelectAt(toks, j + 1, fromString)) return { score: 7, rule: "sqli-union-select" };
  // `' IN BOOLEAN MODE) …`: a full-text search closed, then the statement goes on.
  if (t.v === "in" && word(toks[j + 1], "boolean") && word(toks[j + 2], "mode") && toks[j + 3]?.k === ")")
    return afterValue(toks, j + 3, fromString, strict, near);
  // sqlmap's boundaries: `' WHERE 6417=6417 …`, `')) AS abcd WHERE 2300=2300 …`: a WHERE clause of
  // the injector's own, opened by a comparison of literals (after a number: of one literal with itself).
  const w = word(t, "as") && toks[j + 1]?.k === "word" && word(toks[j + 2], "where") ? j + 2 : j;
  if (word(toks[w], "where") && literalChain(toks, w + 1).cmp > 0) {
    const [a, op, b] = nextTokens(toks, w + 1, 3);
    if (fromString || parens > 0 || w > j || (op?.v === "=" && a !== undefined && a.v === b?.v))
      return { score: 6, rule: "sqli-tautology" };
  }
  // `' WHERE SUBSTRING((SELECT …),1,1)='A'#`: a WHERE clause of the injector's own, on a subquery.
  if (fromString && near && word(toks[w], "where")) {
    const k = skip(toks, w + 1, ["(", "cmt"]);
    if (word(toks[k], "select") || (isCall(toks[k]) && word(toks[skip(toks, k + 1, ["(", "cmt"])], "select")))
      return { score: 6, rule: "sqli-subquery" };
  }
  // `' INSERT INTO mysql.user …`, `' GRANT CONNECT TO x;`: MSSQL runs a following statement without `;`.
  if (fromString && near && t.k === "word" && !word(t, "select", "begin", "set") && statementAt(toks, j, false)) {
    const [, b, c] = nextTokens(toks, j, 3);
    if (!(c?.k === "str" || b?.k === "str")) return { score: 6, rule: "sqli-stacked-query" };
  }
  if (word(t, "waitfor") && word(toks[j + 1], "delay", "time")) return { score: 7, rule: "sqli-time-delay" };
  // `' sleep(5) '`: the `+` of `'+sleep(5)+'` arrives as a space in a form or query.
  if (fromString && isCall(t) && (TIME_FUNCS.has(t.v) || ERROR_FUNCS.has(t.v) || FILE_FUNCS.has(t.v)))
    return { score: 6, rule: TIME_FUNCS.has(t.v) ? "sqli-time-delay" : "sqli-error-based" };
  if ((fromString || parens > 0) && t.k === "cmp") {
    const next = toks[j + 1];
    if (next === undefined || isLiteral(next) || next.k === "cmt" || next.k === "(" || isCall(next))
      return { score: 5, rule: "sqli-boolean" };
    return { score: 2, rule: "sqli-boolean" };
  }
  if (fromString && near && t.k === "(" && word(toks[skip(toks, j, ["(", "cmt"])], "select"))
    return { score: 6, rule: "sqli-subquery" };
  if (fromString && near && word(t, "select")) {
    const next = toks[skip(toks, j + 1, ["cmt"])];
    const after = toks[skip(toks, j + 1, ["cmt"]) + 1];
    if (
      next !== undefined &&
      ((isLiteral(next) && (next.k !== "str" || after?.k === "," || word(after, "from"))) ||
        isCall(next) ||
        next.k === "(" ||
        next.k === "var" ||
        (next.k === "op" && next.v === "*"))
    )
      return { score: 6, rule: "sqli-subquery" };
    if (next?.k === "word" && (toks[j + 2] === undefined || word(toks[j + 2], "from")))
      return { score: 5, rule: "sqli-subquery" };
  }
  if (word(t, "order", "group") && word(toks[j + 1], "by")) {
    const k = toks[j + 2];
    // `' GROUP BY password HAVING 1=1--` (MSSQL column enumeration through errors).
    if (word(t, "group") && k?.k === "word" && word(toks[j + 3], "having") && literalChain(toks, j + 4).cmp > 0)
      return { score: 6, rule: "sqli-having" };
    if (k !== undefined && (k.k === "num" || isCall(k))) return { score: 6, rule: "sqli-order-by" };
    if (fromString && k !== undefined && k.k === "word" && isEnd(toks[j + 3]) && toks[j + 3] !== undefined)
      return { score: 5, rule: "sqli-order-by" };
    return NONE;
  }
  // `1 HAVING 7=7`, `') HAVING 1=1--`: a group condition of the injector's own after the value.
  if (word(t, "having") && literalChain(toks, j + 1).cmp > 0) return { score: 5, rule: "sqli-having" };
  if (word(t, "procedure") && word(toks[j + 1], "analyse")) return { score: 6, rule: "sqli-procedure-analyse" };
  if (
    (fromString || parens > 0) &&
    word(t, "having", "limit", "procedure", "into", "rlike", "regexp", "like") &&
    toks[j + 1] !== undefined
  ) {
    const next = toks[j + 1]!;
    if (word(t, "into") && word(next, "outfile", "dumpfile")) return { score: 7, rule: "sqli-file-access" };
    // `' having 1=1`, `' limit 1`, `' like 'a`; "'having' a gerund" is prose.
    if (
      (isLiteral(next) && (next.k !== "str" || next.flag || toks[j + 2]?.k === "cmp" || isEnd(toks[j + 2]))) ||
      isCall(next) ||
      next.k === "("
    )
      return { score: 5, rule: "sqli-boolean" };
  }
  if (t.k === "op" && "+-|*/^".includes(t.v)) {
    const next = toks[skip(toks, j + 1, ["(", "cmt"])];
    if (next !== undefined && (word(next, "select") || isSqlCall(next)))
      return { score: fromString ? 6 : 5, rule: "sqli-expression" };
  }
  // `1 AS "x" FROM t`: the value lands in a select list.
  if (!fromString && word(t, "as") && (toks[j + 1]?.k === "str" || toks[j + 1]?.v.startsWith("`") === true)) {
    const next = toks[j + 2];
    if (word(next, "from") || (toks[j + 1]!.k === "str" && toks[j + 1]!.flag && /\bfrom\b/i.test(toks[j + 1]!.v)))
      return { score: 5, rule: "sqli-select-list" };
  }
  return NONE;
}

/**
 * `'+ X +'`, `" | X | "`: the value closes the string, concatenates something and reopens the
 * string so the application's own closing quote still fits.
 */
export function concatBreakout(toks: Tok[], q: string): boolean {
  const op = toks[1];
  const last = toks[toks.length - 1];
  if (op === undefined || last === undefined || toks.length < 4 || toks.length > 24) return false;
  if (!((op.k === "op" && "+|&".includes(op.v)) || (op.k === "bool" && op.v === "||"))) return false;
  if (!(last.k === "str" && last.flag && last.v.length <= 2 && last.v.startsWith(q))) return false;
  const before = toks[toks.length - 2]!;
  return (before.k === "op" && "+|&".includes(before.v)) || (before.k === "bool" && before.v === "||");
}

export function better(best: Scored, score: number, rule: string): void {
  if (score > best.score) {
    best.score = score;
    best.rule = rule;
  }
}
