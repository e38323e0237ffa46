/**
 * Shapes of the SQL injection detector (`../sqli.ts`) that count wherever they appear in a token
 * stream (unions, tautologies, stored procedures, time delays, casts, probes), whole-value
 * fragments (a lone function opener, a catalog name, an overflow probe), and attacking DDL.
 */
import {
  better,
  closeParen,
  indexOfNext,
  isCall,
  isEnd,
  isLiteral,
  isProc,
  isSqlCall,
  isSqlCast,
  literalChain,
  nextTokens,
  type Scored,
  skip,
  statementAt,
  unionSelectAt,
  word,
} from "./grammar.ts";
import {
  BOOLEAN_PRODUCT,
  CATALOG_VALUES,
  ERROR_FUNCS,
  FILE_FUNCS,
  MAGIC_FLOAT,
  OVERFLOW_NUMBERS,
  PROBE_FUNCS,
  SHORT,
  SQL_FUNCS,
  TIME_FUNCS,
} from "./tables.ts";
import type { Tok } from "./tokenizer.ts";

// oxfmt-ignore
const SQL_TYPES = new Set(["varchar", "nvarchar", "char", "nchar", "int", "bigint", "smallint", "tinyint", "bit", "table", "cursor", "sysname", "sql_variant", "varbinary", "binary", "text", "ntext", "datetime", "date", "float", "decimal", "numeric", "money", "xml", "uniqueidentifier"]);

// oxfmt-ignore
const SQL_AFTER_CALL = new Set(["order", "union", "from", "where", "limit", "group", "having", "then", "else", "end", "when", "as", "into", "procedure", "offset", "waitfor", "select"]);
// oxfmt-ignore
const SQLISH_PREV = ["select", "if", "then", "else", "when", "where", "rlike", "like", "regexp", "and", "or", "begin", "do", "return", "values", "exec", "execute", "waitfor", "from", "having", "by", "case"];

/** Functions that choose by a condition, which boolean probes pass a comparison of literals. */
const CHOICE_FUNCS = new Set(["elt", "make_set", "iif", "if"]);

/** Patterns that count wherever they appear in a token stream. */
/** No SELECT before `i`, and a `)` there closes what the value did not open, or the value opens with a cast (`cast(1 as …)`, `convert(…)`). */
function closedValue(toks: Tok[], i: number): boolean {
  let depth = 0;
  let outer = false;
  for (let k = 0; k < i; k++) {
    const t = toks[k]!;
    if (t.k === "word" && t.v === "select") return false;
    if (t.k === "(") depth++;
    else if (t.k === ")" && --depth < 0) outer = true;
  }
  return outer || word(toks[0], "cast", "convert");
}

export function anywhere(toks: Tok[], best: Scored, statement: boolean): void {
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.cast !== undefined && !statement && isSqlCast(t)) {
      // `'{"a":1}'::jsonb`, `password::int`, `f(x)::text`: PostgreSQL casts turning a value into SQL.
      const prev = toks[i - 1];
      const next = toks[i + 1];
      const op = next !== undefined && (next.k === "cmp" || next.k === "op" || next.k === "bool" || next.k === "cmt");
      const whole = toks.length <= 2 && t.k === "word";
      if (
        t.k === ")" ||
        op ||
        whole ||
        (prev !== undefined && (prev.k === "cmp" || prev.k === "op" || prev.k === "bool"))
      )
        better(best, 5, "sqli-pg-cast");
    }
    if (t.k === "word") {
      // (Oracle reads `1DUNION` as the number `1D`, a double, then UNION.)
      const union = t.v === "union" || ((t.v === "dunion" || t.v === "funion") && toks[i - 1]?.k === "num");
      if (!statement && union && unionSelectAt(toks, i + 1, false)) better(best, 7, "sqli-union-select");
      else if (isProc(t)) better(best, 7, "sqli-stored-procedure");
      else if (t.v === "waitfor" && word(toks[i + 1], "delay", "time") && toks[i + 2]?.k === "str")
        better(best, 7, "sqli-time-delay");
      else if (t.v === "into" && word(toks[i + 1], "outfile", "dumpfile") && toks[i + 2]?.k === "str")
        better(best, 7, "sqli-file-access");
      else if (t.v === "procedure" && word(toks[i + 1], "analyse") && (toks[i + 2]?.k === "(" || toks[i + 1]!.flag))
        better(best, 6, "sqli-procedure-analyse");
      // `cast(1 as decimal)) ORDER BY 3-- x`: a column-count probe right after a value closed by `)`
      // (one it did not open, or a cast it opened with), the rest cut off by a comment; not the end
      // of a query someone asks about (`… GROUP BY lower(name) ORDER BY 2`, `GROUP_CONCAT(x) ORDER BY
      // 1 -- first`: no comment, a SELECT before it, or its parentheses its own).
      else if (
        !statement &&
        t.v === "order" &&
        toks[i - 1]?.k === ")" &&
        word(toks[i + 1], "by") &&
        toks[i + 2]?.k === "num" &&
        toks[i + 3]?.k === "cmt" &&
        closedValue(toks, i)
      )
        better(best, 6, "sqli-order-by");
      else if ((t.v === "exec" || t.v === "execute") && !statement) {
        // `EXEC master..xp_dirtree`, `EXEC(@q)`, `EXEC sp_…`, `EXECUTE IMMEDIATE '…'`.
        const b = toks[skip(toks, i + 1, ["cmt"])];
        const c = toks[skip(toks, skip(toks, i + 1, ["cmt"]) + 1, ["cmt"])];
        const master = b?.k === "word" && (b.v.startsWith("master.") || (b.v === "master" && c?.k === "."));
        if (
          b !== undefined &&
          (master ||
            (b.k === "word" && (b.v.startsWith("xp_") || b.v.startsWith("sp_") || b.v === "immediate")) ||
            (b.k === "(" && (c?.k === "var" || c?.v === "@")) ||
            (b.k === "var" && !b.v.startsWith("@@")))
        ) {
          better(best, 6, "sqli-stored-procedure");
        }
      } else if (t.v === "declare") {
        // `DECLARE @q VARCHAR(99)`: T-SQL; "I declare @bob the winner" is not.
        const bi = skip(toks, i + 1, ["cmt"]);
        const b = toks[bi];
        const c = toks[skip(toks, bi + 1, ["cmt"])];
        if (
          b?.k === "var" &&
          (c === undefined || c.k === ";" || (c.k === "word" && (SQL_TYPES.has(c.v) || word(c, "as"))))
        )
          better(best, 6, "sqli-stacked-query");
      } else if (t.v === "select") {
        // `SELECT CHAR(`, `SELECT IF(`, `SELECT @@version`, `SELECT 1,2,3`, `select(user(`: probing, not reporting.
        const j = skip(toks, i + 1, ["cmt", "("]);
        const b = toks[j];
        // `SELECT IIF(1 > 1, …)` probes with literals; `SELECT IIF(a > b, …)` in a snippet reports.
        const literalIf =
          b !== undefined && (b.v === "if" || b.v === "iif")
            ? literalChain(toks, j + 1).cmp > 0 || closeParen(toks, j + 1) === -1
            : true;
        if (
          b !== undefined &&
          literalIf &&
          ((isCall(b) && PROBE_FUNCS.has(b.v)) ||
            (b.k === "var" && b.v.startsWith("@@")) ||
            (b.k === "word" && (b.v === "pg_sleep" || b.v === "dbms_pipe.receive_message")))
        )
          better(best, 6, "sqli-probe-select");
        else if (
          b !== undefined &&
          (b.k === "num" || word(b, "null")) &&
          toks[j + 1]?.k === "," &&
          (toks[j + 2]?.k === "num" || word(toks[j + 2], "null")) &&
          (toks[j + 3]?.k === "," || isEnd(toks[j + 3]) || word(toks[j + 3], "from"))
        )
          better(best, 5, "sqli-probe-select");
        if (!statement && toks[i - 1]?.k === "(" && i > 1) {
          // `(SELECT …)` inside a value that is not a statement: a sub-select in an expression.
          const p = toks[i - 2];
          if (
            p !== undefined &&
            (p.k === "bool" || p.k === "cmp" || p.k === "," || (p.k === "op" && p.v !== "*") || isCall(p))
          )
            better(best, 5, "sqli-subquery");
        }
      } else if (t.v === "from" && i + 1 < toks.length) {
        const b = toks[skip(toks, i + 1, ["cmt", "("])];
        const name = b === undefined ? "" : b.v.replace(/^[`[]|[`\]]$/g, "").replace(/\.$/, "");
        if (
          b !== undefined &&
          b.k === "word" &&
          (CATALOG_VALUES.has(name) || name.startsWith("information_schema.") || name.startsWith("pg_catalog."))
        )
          better(best, statement ? 4 : 5, "sqli-schema-probe");
      } else if (t.v === "case" && !statement && word(toks[i + 1], "when")) {
        // `(CASE WHEN 5640=5640 THEN 5640 ELSE NULL END)`: a boolean probe, its condition a comparison of literals.
        const chain = literalChain(toks, i + 2);
        if (chain.cmp > 0 && word(toks[chain.end], "then")) better(best, 6, "sqli-conditional");
      } else if (t.v === "floor" && t.flag && word(toks[i + 2], "rand") && toks[i + 2]!.flag) {
        // `FLOOR(RAND(0)*2)`: the duplicate-key error of MySQL's double query (with GROUP BY).
        const [, , , seed, close, times] = nextTokens(toks, i + 1, 6);
        if (seed?.k === "num" && close?.k === ")" && times?.v === "*") better(best, 6, "sqli-error-based");
      } else if (t.flag && CHOICE_FUNCS.has(t.v) && toks[i - 1]?.k !== ".") {
        // `ELT(5953=5953,1)`, `IIF(2976=2976,1,1/0)`, `MAKE_SET(8403=8403,8899)`, `IF(7899=7899) SELECT …`:
        // a boolean probe, the function's first argument a comparison of literals.
        const chain = literalChain(toks, i + 2);
        const after = chain.end === -1 ? undefined : toks[chain.end];
        if (chain.cmp > 0 && (after?.k === "," || (t.v === "if" && (after === undefined || word(after, "select")))))
          better(best, 6, "sqli-boolean");
      } else if (t.flag && (TIME_FUNCS.has(t.v) || ERROR_FUNCS.has(t.v) || FILE_FUNCS.has(t.v))) {
        let p = i - 1;
        while (p >= 0 && toks[p]!.k === "cmt") p--;
        const prev = toks[p];
        // `time.sleep(1)` / `Thread.sleep(…)` are method calls in other languages.
        if (prev?.k === ".") continue;
        const family = TIME_FUNCS.has(t.v)
          ? "sqli-time-delay"
          : FILE_FUNCS.has(t.v)
            ? "sqli-file-access"
            : "sqli-error-based";
        const arg = toks[skip(toks, i + 2, ["cmt"])];
        const close = toks[i + 1]?.k === "(" ? closeParen(toks, i + 1) : -1;
        const follow = close === -1 ? undefined : toks[close];
        // At the very start, `sleep(5)` must also end like SQL: "sleep(1) python" is a search.
        const endsLikeSql =
          close === -1 ||
          follow === undefined ||
          isEnd(follow) ||
          follow.k === "op" ||
          follow.k === "cmp" ||
          follow.k === "bool" ||
          follow.k === ")" ||
          follow.k === ",";
        // "sleep(1) python", "?q=sleep(1) python": a closed call followed by a plain word is prose.
        const prose = close !== -1 && follow?.k === "word" && !follow.flag && !SQL_AFTER_CALL.has(follow.v);
        const sqlish = prose
          ? false
          : prev === undefined
            ? endsLikeSql &&
              arg !== undefined &&
              (arg.k === "num" ||
                word(arg, "select") ||
                isCall(arg) ||
                arg.k === "(" ||
                (arg.k === "word" && follow?.k === "cmt" && toks.length <= 8))
            : prev.k === "bool" ||
              prev.k === "(" ||
              prev.k === "," ||
              prev.k === "op" ||
              prev.k === "cmp" ||
              prev.k === ";" ||
              (prev.k === "str" && !prev.flag) ||
              word(prev, ...SQLISH_PREV);
        if (FILE_FUNCS.has(t.v) && arg?.k === "str") better(best, 6, family);
        better(best, sqlish ? 6 : 3, family);
      }
    } else if (t.k === "bool" && !statement) {
      // Tautology / contradiction between literals: `OR 1=1`, `AND 'a'='b'`, `|| 2>1`, `OR '{}'::jsonb @> '{}'`.
      const j = skip(toks, i + 1, ["(", "cmt"]);
      const a = toks[j];
      const chain = literalChain(toks, i + 1);
      const after = chain.end === -1 ? undefined : toks[chain.end];
      // …that ends the condition (end, comment, `)`, `;`, another boolean, LIMIT/ORDER): prose goes on with words.
      const closes =
        chain.end !== -1 &&
        (after === undefined ||
          after.k === "cmt" ||
          after.k === ";" ||
          after.k === ")" ||
          after.k === "bool" ||
          (after.k === "str" && after.flag) ||
          word(after, "limit", "order", "group", "union", "into", "having"));
      const wordOnly = a !== undefined && a.k === "word" && toks[skip(toks, j + 2, ["(", "cmt"])]?.k === "word";
      // At the very start (`or 1=1--`, ` AND 1=1#`: a suffix for someone else's value) the condition must be cut off by a comment.
      const cut = after !== undefined && (after.k === "cmt" || after.k === ";");
      if (
        chain.end !== -1 &&
        (chain.cmp > 0 || chain.json || chain.cast) &&
        closes &&
        !wordOnly &&
        (i > 0 || chain.json || chain.cast || a?.k === "str" || cut)
      )
        better(best, 6, "sqli-tautology");
      else if (chain.end !== -1 && (chain.json || chain.cast)) better(best, 5, "sqli-json-operator");
      else if (
        i > 0 &&
        toks[j + 1]?.k === "cmp" &&
        (() => {
          const b = toks[skip(toks, j + 2, ["(", "cmt"])];
          return b !== undefined && (word(b, "select") || isSqlCall(b));
        })()
      )
        better(best, 5, "sqli-subquery");
      else if (i > 0 && a !== undefined && word(a, "select", "exists") && toks[j - 1]?.k === "(")
        better(best, 6, "sqli-subquery");
      else if (i > 0 && a !== undefined && a.flag && (TIME_FUNCS.has(a.v) || ERROR_FUNCS.has(a.v)))
        better(best, 6, "sqli-time-delay");
      if (a !== undefined && isSqlCall(a) && (i > 0 || toks.length < 64)) {
        // `AND ORD(MID(user(),1,1))>100`: a boolean on an SQL function's result (blind extraction).
        const k = closeParen(toks, j + 1);
        if (k !== -1 && toks[k]?.k === "cmp" && isLiteral(toks[skip(toks, k + 1, ["(", "cmt"])]))
          better(best, 6, "sqli-boolean");
        // ` or isNULL(1/0) /*`: a short suffix that adds a condition on an SQL function and cuts the rest off.
        else if (i === 0 && k !== -1 && toks[k]?.k === "cmt" && k === toks.length - 1 && toks.length <= 16)
          better(best, 5, "sqli-boolean");
      }
    } else if (t.k === ";" && !statement) {
      if (statementAt(toks, skip(toks, i + 1, ["cmt"]), false)) better(best, 6, "sqli-stacked-query");
    }
  }
}

const WHOLE_CALL = /^([a-z_][a-z0-9_.]{1,40})\s{0,4}\(([^()]{0,80})\)\s{0,4}(?:::\s{0,2}[a-z]{2,12})?$/;
const LITERAL_ARGS =
  /^\s{0,4}(?:[-+]?[\d.]{1,20}|'[^']{0,40}'|null|\*)?(?:\s{0,4},\s{0,4}(?:[-+]?[\d.]{1,20}|'[^']{0,40}'|null))*\s{0,4}$/;
/** Functions whose call on literals, as a whole value, is SQL (besides PROBE_FUNCS). */
// oxfmt-ignore
const CALL_VALUES = new Set(["div", "concat", "concat_ws", "substring", "substr", "mid", "find_in_set", "strcmp", "unistr", "json_extract", "pg_sleep", "make_set", "randomblob", "sqlite_compileoption_get", "sqlite_compileoption_used", "unhex", "to_char", "chr"]);
const FUNC_OPENER = /^([a-z_][a-z0-9_.]{0,40})\s{0,8}[\\=]?\s{0,8}\(\s{0,8}$/;
const TRAILING_OPENER = /([a-z_][a-z0-9_]{0,40})\s{0,4}\(\s{0,8}$/;

/** Whole-value shapes: fragments that are SQL on their own (short values only). */
export function wholeValue(s: string, lower: string, best: Scored, inner: boolean): void {
  const v = lower.trim();
  if (v.length === 0) return;
  if (v.length <= SHORT && !inner) {
    const m = FUNC_OPENER.exec(v);
    if (m !== null && SQL_FUNCS.has(m[1]!)) better(best, 5, "sqli-function-probe");
    if (CATALOG_VALUES.has(v) || CATALOG_VALUES.has(v.replace(/[.;]$/, ""))) better(best, 5, "sqli-schema-probe");
    if (MAGIC_FLOAT.test(v)) better(best, 5, "sqli-magic-number");
    // A signal only: an API may well take 4294967296 (4 GiB) as a size.
    if (OVERFLOW_NUMBERS.has(v)) better(best, 3, "sqli-integer-overflow");
    if (/^union\s{1,8}(?:all\s{1,8}|distinct\s{1,8})?select\s{0,8}[/*#-]{0,3}$/.test(v))
      better(best, 5, "sqli-union-select");
    // `div(23,-2)`, `char(65,66)`, `lo_get(16400)`: the whole value is an SQL function applied to literals.
    const call = WHOLE_CALL.exec(v);
    if (call !== null && (PROBE_FUNCS.has(call[1]!) || CALL_VALUES.has(call[1]!)) && LITERAL_ARGS.test(call[2]!))
      better(best, 5, "sqli-function-probe");
    // `"!"`, `'+'`, `'||'`: closes the string, an operator, reopens it (a probe for concatenation).
    if (/^(['"])\s{0,2}(?:!|\+|\|\||&&|\^)\s{0,2}['"`]$/.test(v)) better(best, 5, "sqli-concat-probe");
    // `admin@example.com';`: a single token, a quote and a statement end.
    if (/^[^\s'"`]{1,64}['"`]\s{0,4};\s{0,4}(?:--.{0,20}|#.{0,20})?$/.test(v)) better(best, 5, "sqli-stacked-query");
    // `case when x then y`, `if(2=`: a condition as the value.
    // (at most two tokens or a comparison between WHEN and THEN: "case when you need it then call me" is prose)
    if (
      /^case\s{1,8}when\s{1,8}(?:[\w'"@.()]{1,40}\s{0,8}(?:(?:=|<>|!=|<=?|>=?)\s{0,8}[\w'"@.()]{1,40}\s{0,8})?|[\w'"@.()]{1,40}\s{1,8}[\w'"@.()]{1,40}\s{1,8})then\s/.test(
        v,
      )
    )
      better(best, 5, "sqli-conditional");
    if (
      /^if\s{0,4}\(\s{0,4}[\w'"@.]{1,40}\s{0,4}(?:=|<>|!=|<=?|>=?)\s{0,4}(?:[\w'"@.]{1,40}\s{0,4}[,)]|$)/.test(v) &&
      !/^if\s{0,4}\([^)]{0,40}==/.test(v)
    )
      better(best, 5, "sqli-conditional");
    // `, FIND_IN_SET('22', x)`: a leading comma continues a select list / ORDER BY with a function.
    if (/^,\s{0,8}[a-z_]{2,30}\s{0,4}\(/.test(v)) {
      const name = /^,\s{0,8}([a-z_]{2,30})/.exec(v)![1]!;
      if (SQL_FUNCS.has(name) || name === "select") better(best, 5, "sqli-expression");
    }
    // `(7=7)*3`: a literal compared with itself, times a number (a boolean test for an ORDER BY or LIMIT value).
    if (BOOLEAN_PRODUCT.test(v)) better(best, 5, "sqli-boolean");
    // `` ` AS `x` FROM ``, `` ` REGEXP ``: a breakout from an identifier.
    if (
      /^`\s{1,8}(?:as\s{1,8}[`"']|(?:regexp|rlike)\b|(?:from|where|union|having)\s{1,8}[\w`(]|(?:order|group)\s{1,8}by\b|limit\s{1,8}\d)/.test(
        v,
      )
    )
      better(best, 5, "sqli-identifier-breakout");
  }
  if (v.includes("unionselect") || v.includes("union/**/select")) better(best, 5, "sqli-union-select");
  // `--sp_password`: MSSQL leaves a statement that mentions sp_password out of its trace log.
  if (v.includes("--sp_password")) better(best, 5, "sqli-log-evasion");
  // `1.e(ascii`, `1.e.tables`: MySQL scientific-notation bypass (a number glued to a function or a name).
  if (/(?:^|[^\w.])\d{1,20}\.e[(.]/i.test(s) && /\d\.e(?:\(\s{0,4}[a-z_]|\.[a-z_])/i.test(s))
    better(best, 5, "sqli-scientific-notation");
  // A value that ends in an SQL function opener after SELECT: `select(user(`, `SELECT CHAR(`, `1,2,3,user(`.
  if (v.endsWith("(") && v.includes("select")) {
    const m = TRAILING_OPENER.exec(v.slice(-60));
    if (m !== null && SQL_FUNCS.has(m[1]!)) better(best, 5, "sqli-function-probe");
  }
}

/**
 * DDL that attacks rather than maintains: a character-set switch on a table (`ALTER TABLE t …
 * CHARACTER SET latin1`, truncation/smuggling through charset conversion), creating executable
 * objects (`CREATE FUNCTION … RETURNS`/`SONAME`, procedures, triggers), and schema statements
 * glued to punctuation (`/CREATE TABLE x`, `)DROP TABLE x`). Ordinary migrations (`ALTER TABLE t
 * ADD COLUMN c int`) and queries stay code.
 */
export function ddl(toks: Tok[], best: Scored): void {
  const first = toks[0];
  if (first === undefined) return;
  let i = 0;
  if ((first.k === "op" && first.v === "/") || first.k === ")" || first.k === ",") i = 1;
  const [a, b, c] = nextTokens(toks, i, 3);
  if (a === undefined || a.k !== "word") return;
  if (
    i === 1 &&
    word(a, "create", "drop", "alter", "truncate") &&
    word(b, "table", "database", "function", "procedure", "user", "trigger") &&
    c?.k === "word"
  ) {
    better(best, 5, "sqli-ddl-statement");
    return;
  }
  if (a.v === "alter" && word(b, "table")) {
    for (let k = i + 2; k < toks.length && k < i + 96; k++) {
      const t = toks[k]!;
      if (
        (word(t, "character") && word(toks[k + 1], "set")) ||
        word(t, "charset") ||
        (word(t, "convert") && word(toks[k + 1], "to"))
      )
        return better(best, 5, "sqli-charset-switch");
    }
    return;
  }
  if (a.v === "create") {
    let k = indexOfNext(toks, i, 1);
    if (word(toks[k], "or") && word(toks[k + 1], "replace")) k += 2;
    if (word(toks[k], "aggregate")) k++;
    if (!word(toks[k], "function", "procedure", "trigger")) return;
    for (let m = k + 1; m < toks.length && m < k + 64; m++) {
      if (word(toks[m]!, "returns", "soname", "begin", "language")) return better(best, 5, "sqli-create-function");
    }
  }
}
