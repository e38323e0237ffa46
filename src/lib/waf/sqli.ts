/**
 * SQL injection, by tokenizing rather than by regex piles. The value is tokenized as SQL in
 * the three places an application can paste it: bare (a number or a whole expression), after an
 * opening `'` and after an opening `"`. An injection has to *break out* of where it lands and
 * continue the statement; ordinary text does not. So the scorer looks at token shapes:
 *
 * - breakout from a string followed by an operator that continues the statement:
 *   `' OR 1=1`, `'; DROP …`, `'--`, `' UNION SELECT`, `'='`, `' AND SLEEP(5)`;
 * - a number followed by a boolean and a comparison / function / sub-select (`1 OR 1=1`);
 * - anywhere: `UNION [ALL] SELECT <select list>`, a tautology after a boolean (`OR 'a'='a'`),
 *   stacked statements after a fragment (`x; DROP TABLE t`), time-delay and other
 *   attack-only functions in an SQL position, `INTO OUTFILE`, `xp_cmdshell`, …
 *
 * Names (O'Brien, D'Angelo), prose with "select"/"union"/"and"/"or", quoted search terms and
 * complete SQL statements (a developer's snippet starting with SELECT/INSERT/…) do not break
 * out of anything and score low. A snippet that contains an injection shape (a tautology, a
 * UNION SELECT continuing a fragment, a time delay) still scores: see README/eval notes.
 */
import type { Finding, Inspected } from "./types.ts";

type Kind = "str" | "num" | "word" | "bool" | "cmp" | "op" | "(" | ")" | "," | ";" | "." | "cmt" | "var" | "other";

interface Tok {
  k: Kind;
  /** Lower-cased text for words and operators; for strings the quote and (up to 32 chars of) content. */
  v: string;
  /** Words: directly followed by `(` (a call). Strings: unterminated. Comments: a bare `#` before a word. */
  flag: boolean;
}

const BOOL_WORDS = new Set(["or", "and", "xor", "not", "div", "||", "&&"]);
const CMP_WORDS = new Set(["like", "rlike", "regexp", "is", "in", "between", "sounds", "glob", "similar"]);
const STATEMENT_START = new Set(["select", "insert", "update", "delete", "create", "alter", "drop", "with", "explain", "truncate", "replace", "merge", "grant", "begin", "show", "describe", "pragma"]);
/** Functions that only show up in attacks when they appear in an SQL position. */
const TIME_FUNCS = new Set(["sleep", "benchmark", "pg_sleep", "randomblob", "pg_sleep_for", "dbms_lock.sleep", "dbms_pipe.receive_message", "dbms_session.sleep"]);
const ERROR_FUNCS = new Set(["extractvalue", "updatexml", "exp", "geometrycollection", "multipoint", "polygon", "linestring", "name_const", "json_keys", "gtid_subset", "xmltype", "ctxsys.drithsx.sn", "utl_inaddr.get_host_name", "utl_inaddr.get_host_address", "dbms_xmlgen.getxml"]);
const FILE_FUNCS = new Set(["load_file", "pg_read_file", "pg_ls_dir", "lo_import", "lo_export", "utl_http.request", "utl_file.fopen", "dbms_java.runjava", "openrowset", "opendatasource", "bulk"]);
const PROC_WORDS = new Set(["xp_cmdshell", "sp_oacreate", "sp_oamethod", "xp_dirtree", "xp_regread", "xp_fileexist", "sp_makewebtask", "sp_addsrvrolemember", "sp_configure", "sp_executesql", "xp_servicecontrol", "sp_password"]);
/** Functions whose presence right after a breakout/boolean says "this is SQL". */
const SQL_FUNCS = new Set([
  ...TIME_FUNCS, ...ERROR_FUNCS, ...FILE_FUNCS,
  "ascii", "ord", "char", "chr", "nchar", "substring", "substr", "mid", "left", "right", "length", "len", "concat", "concat_ws",
  "group_concat", "string_agg", "version", "database", "user", "current_user", "system_user", "session_user", "schema",
  "if", "iif", "ifnull", "isnull", "nullif", "coalesce", "case", "cast", "convert", "count", "exists", "hex", "unhex", "md5",
  "sha1", "rand", "floor", "db_name", "user_name", "suser_name", "has_dbaccess", "is_srvrolemember", "instr", "locate",
  "position", "elt", "make_set", "field", "row", "bin", "conv", "unicode", "lower", "upper", "trim", "replace", "reverse",
  "sqlite_version", "typeof", "current_database", "pg_typeof", "quote_ident", "to_char", "utl_raw.cast_to_varchar2",
]);
const META_OBJECTS = ["information_schema", "sysobjects", "syscolumns", "sys.tables", "sys.objects", "pg_catalog", "pg_shadow", "pg_user", "sqlite_master", "sqlite_schema", "mysql.user", "all_tables", "all_users", "user_tables", "dba_users", "msysobjects", "master..sysdatabases", "master.dbo"];

const MAX_TOKENS = 4_000;
const QUOTE_CONTEXT_TOKENS = 48;

function isWordStart(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_" || c > "\x7f";
}
function isWordChar(c: string): boolean {
  return isWordStart(c) || (c >= "0" && c <= "9") || c === "$";
}
function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}
function isSpace(c: string): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\v" || c === "\f" || c === "\u00a0";
}

/** Tokenizes `s` as SQL (MySQL flavoured, tolerant); stops after `max` tokens. */
function tokenize(s: string, max: number): Tok[] {
  const out: Tok[] = [];
  const n = s.length;
  let i = 0;
  while (i < n && out.length < max) {
    const c = s[i]!;
    if (isSpace(c)) {
      i++;
      continue;
    }
    // MySQL executable comments `/*!50000 UNION*/`: their content is SQL, the markers are noise.
    if (c === "/" && s[i + 1] === "*") {
      if (s[i + 2] === "!") {
        i += 3;
        while (isDigit(s[i])) i++;
        continue;
      }
      const end = s.indexOf("*/", i + 2);
      out.push({ k: "cmt", v: "/*", flag: false });
      i = end === -1 ? n : end + 2;
      continue;
    }
    if (c === "*" && s[i + 1] === "/") {
      i += 2;
      continue;
    }
    if (c === "-" && s[i + 1] === "-") {
      const end = s.indexOf("\n", i);
      out.push({ k: "cmt", v: "--", flag: false });
      i = end === -1 ? n : end + 1;
      continue;
    }
    if (c === "#") {
      const end = s.indexOf("\n", i);
      // `admin'#` truncates; `#{x}` (interpolation), `#1`, `#hashtag` right after a quote are text.
      const next = s[i + 1];
      out.push({ k: "cmt", v: "#", flag: next !== undefined && !isSpace(next) && !"-+#;*/'\"".includes(next) });
      i = end === -1 ? n : end + 1;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let closed = false;
      while (j < n) {
        const d = s[j]!;
        if (d === "\\") {
          j += 2;
          continue;
        }
        if (d === c) {
          if (s[j + 1] === c) {
            j += 2;
            continue;
          }
          closed = true;
          break;
        }
        j++;
      }
      out.push({ k: "str", v: s.slice(i, Math.min(j, i + 33)), flag: !closed });
      i = closed ? j + 1 : n;
      continue;
    }
    if (c === "`") {
      const end = s.indexOf("`", i + 1);
      out.push({ k: "word", v: "`ident`", flag: false });
      i = end === -1 ? n : end + 1;
      continue;
    }
    if (isDigit(c) || (c === "." && isDigit(s[i + 1]))) {
      let j = i + 1;
      if (c === "0" && (s[j] === "x" || s[j] === "X" || s[j] === "b" || s[j] === "B")) {
        j++;
        while (j < n && /[0-9A-Fa-f]/.test(s[j]!)) j++;
      } else {
        while (j < n && (isDigit(s[j]) || s[j] === ".")) j++;
        if ((s[j] === "e" || s[j] === "E") && (isDigit(s[j + 1]) || ((s[j + 1] === "-" || s[j + 1] === "+") && isDigit(s[j + 2])))) {
          j += 2;
          while (isDigit(s[j])) j++;
        }
      }
      // `1abc` is a word in prose, a number followed by a word in SQL: keep SQL's view.
      out.push({ k: "num", v: s.slice(i, j), flag: false });
      i = j;
      continue;
    }
    if (isWordStart(c)) {
      let j = i + 1;
      while (j < n && (isWordChar(s[j]!) || (s[j] === "." && j + 1 < n && isWordStart(s[j + 1]!)))) j++;
      const v = s.slice(i, j).toLowerCase();
      let k = j;
      while (k < n && isSpace(s[k]!)) k++;
      // Comments between a function name and its parenthesis still make a call: `sleep/**/(5)`.
      if (s[k] === "/" && s[k + 1] === "*") {
        const end = s.indexOf("*/", k + 2);
        if (end !== -1) {
          k = end + 2;
          while (k < n && isSpace(s[k]!)) k++;
        }
      }
      const kind: Kind = BOOL_WORDS.has(v) ? "bool" : CMP_WORDS.has(v) ? "cmp" : "word";
      out.push({ k: kind, v, flag: s[k] === "(" });
      i = j;
      continue;
    }
    if (c === "@") {
      let j = i + 1;
      if (s[j] === "@") j++;
      while (j < n && (isWordChar(s[j]!) || s[j] === ".")) j++;
      out.push({ k: "var", v: s.slice(i, j).toLowerCase(), flag: false });
      i = j;
      continue;
    }
    const two = s.slice(i, i + 2);
    if (two === "||" || two === "&&") {
      out.push({ k: "bool", v: two, flag: false });
      i += 2;
      continue;
    }
    if (two === "<>" || two === "!=" || two === "<=" || two === ">=" || two === "==" || two === ":=") {
      const three = s.slice(i, i + 3);
      out.push({ k: "cmp", v: three === "<=>" ? three : two, flag: false });
      i += three === "<=>" ? 3 : 2;
      continue;
    }
    if (c === "=" || c === "<" || c === ">") {
      out.push({ k: "cmp", v: c, flag: false });
      i++;
      continue;
    }
    if ("+-*/%^~!|&".includes(c)) {
      out.push({ k: "op", v: c, flag: false });
      i++;
      continue;
    }
    if (c === "(" || c === ")" || c === "," || c === ";" || c === ".") {
      out.push({ k: c, v: c, flag: false });
      i++;
      continue;
    }
    out.push({ k: "other", v: c, flag: false });
    i++;
  }
  return out;
}

/**
 * A value operand. An unterminated string only counts when it is short and has no spaces
 * (`' or 'a` is closed by the application's own quote); a long one is the rest of a sentence.
 */
const isLiteral = (t: Tok | undefined): boolean =>
  t !== undefined &&
  (t.k === "num" || t.k === "var" || (t.k === "str" && (!t.flag || (t.v.length <= 17 && !/\s/.test(t.v)))) || (t.k === "word" && (t.v === "null" || t.v === "true" || t.v === "false")));
const isEnd = (t: Tok | undefined): boolean => t === undefined || t.k === "cmt" || t.k === ";";
const isCall = (t: Tok | undefined): boolean => t !== undefined && t.k === "word" && t.flag;
const isSqlCall = (t: Tok | undefined): boolean => isCall(t) && SQL_FUNCS.has(t!.v);
const word = (t: Tok | undefined, ...vs: string[]): boolean => t !== undefined && (t.k === "word" || t.k === "bool" || t.k === "cmp") && vs.includes(t.v);

/** Skips comments and `(`, returning the next index (comments act as whitespace in SQL). */
function skip(toks: Tok[], i: number, kinds: ReadonlyArray<Kind>): number {
  while (i < toks.length && kinds.includes(toks[i]!.k)) i++;
  return i;
}

/** After `UNION [ALL|DISTINCT] [(]` at `i` (pointing at SELECT): is what follows a select list? */
function unionSelectAt(toks: Tok[], i: number): boolean {
  let j = skip(toks, i, ["cmt"]);
  if (word(toks[j], "all", "distinct")) j = skip(toks, j + 1, ["cmt"]);
  j = skip(toks, j, ["(", "cmt"]);
  if (!word(toks[j], "select")) return false;
  j = skip(toks, j + 1, ["cmt"]);
  if (word(toks[j], "all", "distinct", "top")) j = skip(toks, j + 1, ["cmt"]);
  const a = toks[j];
  const b = toks[skip(toks, j + 1, ["cmt"])];
  if (a === undefined) return false;
  if (isLiteral(a) || isCall(a) || a.k === "(" || (a.k === "op" && a.v === "*")) return true;
  if (a.k === "word") return b !== undefined && (b.k === "," || b.k === "cmt" || word(b, "from", "into", "limit", "where"));
  return false;
}

/** Is there a statement that a stacked query would start, at `i`? */
function statementAt(toks: Tok[], i: number): boolean {
  const a = toks[i];
  const b = toks[i + 1];
  const c = toks[i + 2];
  const d = toks[i + 3];
  if (a === undefined || (a.k !== "word" && a.k !== "bool")) return false;
  switch (a.v) {
    case "drop":
    case "truncate":
      return word(b, "table", "database", "schema", "user", "view", "procedure", "function", "index", "login");
    case "delete":
      return word(b, "from") && c !== undefined && c.k === "word" && (isEnd(d) || word(d, "where"));
    case "insert":
      return word(b, "into") && c !== undefined && c.k === "word" && (word(d, "values", "select") || d?.k === "(");
    case "update":
      return b !== undefined && b.k === "word" && word(c, "set");
    case "exec":
    case "execute":
      return b !== undefined && (b.k === "word" || b.k === "var" || b.k === "str" || b.k === "(");
    case "declare":
      return b?.k === "var";
    case "shutdown":
      return isEnd(b) || word(b, "with");
    case "waitfor":
      return word(b, "delay", "time");
    case "create":
    case "alter":
      return word(b, "table", "user", "login", "function", "procedure", "trigger", "database", "role");
    case "grant":
      return word(b, "all", "select", "insert", "update", "delete", "dba", "execute");
    case "set":
      return b?.k === "var";
    case "select":
      return unionSelectAt(toks, i) || isSqlCall(b) || b?.k === "var";
    case "load_file":
      return true;
    default:
      return PROC_WORDS.has(a.v);
  }
}

/** Scores what follows a boolean operator at `i` (`OR …`, `AND …`). */
function booleanTail(toks: Tok[], i: number, strict: boolean): number {
  let j = skip(toks, i, ["cmt", "("]);
  const a = toks[j];
  if (a === undefined) return 0;
  if (word(a, "not")) j = skip(toks, j + 1, ["cmt", "("]);
  const first = toks[j];
  if (first === undefined) return 0;
  if (word(first, "select", "exists") || isSqlCall(first) || PROC_WORDS.has(first.v)) return 6;
  // Look for a comparison within the next few tokens.
  let sawWord = false;
  for (let k = j, steps = 0; k < toks.length && steps < 8; k++, steps++) {
    const t = toks[k]!;
    if (t.k === ";" || (t.k === "bool" && k > j)) break;
    if (t.k === "cmt") continue;
    if (t.k === "cmp") {
      const left = toks[k - 1];
      const right = toks[skip(toks, k + 1, ["cmt", "("])];
      if (right !== undefined && (word(right, "select") || isSqlCall(right))) return 6;
      if (isLiteral(left) && isLiteral(right)) return 6;
      if (right === undefined) return strict ? 0 : 4;
      return strict ? (sawWord ? 0 : 4) : 5;
    }
    if (t.k === "word" && !t.flag) sawWord = true;
  }
  // `' OR 1--`, `' OR true#`, `' or 'a` (closed by the application's own quote); also `' or ''-'`.
  let k = j + 1;
  while (!strict && isLiteral(first) && toks[k]?.k === "op" && isLiteral(toks[k + 1]) && k < j + 9) k += 2;
  if (isLiteral(first) && isEnd(toks[k]) && (!strict || toks[k]?.k === "cmt")) return 5;
  return strict ? 0 : 2;
}

/** The statement continues right after a breakout (string end) or a numeric value at `i`. */
function afterValue(toks: Tok[], i: number, fromString: boolean): { score: number; rule: string } {
  const strict = !fromString;
  let j = i;
  let parens = 0;
  while (toks[j]?.k === ")") {
    j++;
    parens++;
  }
  const t = toks[j];
  if (t === undefined) return { score: 0, rule: "" };
  if (t.k === "cmt") {
    if (!fromString && parens === 0) return { score: 0, rule: "" };
    // `admin'--`, `admin')#`, `x'/*`; a `#hashtag` right after a quote is prose.
    if (t.v === "#" && t.flag) return { score: 2, rule: "sqli-comment-truncation" };
    return { score: 6, rule: "sqli-comment-truncation" };
  }
  if (t.k === ";") {
    const next = skip(toks, j + 1, ["cmt"]);
    if (statementAt(toks, next)) return { score: 7, rule: "sqli-stacked-query" };
    // `';--` ends the statement and cuts off the rest; a bare `';` is a probe at most.
    if (fromString && toks[j + 1]?.k === "cmt") return { score: 5, rule: "sqli-stacked-query" };
    if (fromString && toks[j + 1] === undefined) return { score: 3, rule: "sqli-stacked-query" };
    return { score: 0, rule: "" };
  }
  if (t.k === "bool") {
    const s = booleanTail(toks, j + 1, strict);
    return { score: s, rule: s >= 6 ? "sqli-tautology" : "sqli-boolean" };
  }
  if (word(t, "union") && unionSelectAt(toks, j + 1)) return { score: 7, rule: "sqli-union-select" };
  if (fromString && t.k === "cmp") {
    const next = toks[j + 1];
    if (next === undefined || isLiteral(next) || next.k === "cmt" || next.k === "(" || isCall(next)) return { score: 5, rule: "sqli-boolean" };
    return { score: 2, rule: "sqli-boolean" };
  }
  if (word(t, "order", "group") && word(toks[j + 1], "by")) {
    const k = toks[j + 2];
    if (k !== undefined && (k.k === "num" || isCall(k)) ) return { score: 6, rule: "sqli-order-by" };
    if (fromString && k !== undefined && k.k === "word" && isEnd(toks[j + 3]) && toks[j + 3] !== undefined) return { score: 5, rule: "sqli-order-by" };
    return { score: 0, rule: "" };
  }
  if (fromString && word(t, "having", "limit", "procedure", "into", "rlike", "regexp", "like") && toks[j + 1] !== undefined) {
    const next = toks[j + 1]!;
    if (word(t, "into") && word(next, "outfile", "dumpfile")) return { score: 7, rule: "sqli-file-access" };
    if (isLiteral(next) || isCall(next) || next.k === "(") return { score: 5, rule: "sqli-boolean" };
  }
  if (t.k === "op" && "+-|*/^".includes(t.v)) {
    const next = toks[skip(toks, j + 1, ["(", "cmt"])];
    if (next !== undefined && (word(next, "select") || isSqlCall(next))) return { score: fromString ? 6 : 5, rule: "sqli-expression" };
  }
  return { score: 0, rule: "" };
}

interface Best {
  score: number;
  rule: string;
}

function better(best: Best, score: number, rule: string): void {
  if (score > best.score) {
    best.score = score;
    best.rule = rule;
  }
}

/** Patterns that count wherever they appear in the bare token stream. */
function anywhere(toks: Tok[], best: Best, lower: string): void {
  const first = toks[0];
  // A complete statement (a developer's snippet, a SQL console) is code, not a fragment that
  // continues someone else's statement: only attack-only functions count in it.
  const statement = first !== undefined && STATEMENT_START.has(first.v) && first.k === "word";
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.k === "word") {
      if (!statement && t.v === "union" && unionSelectAt(toks, i + 1)) better(best, 7, "sqli-union-select");
      else if (PROC_WORDS.has(t.v)) better(best, 7, "sqli-stored-procedure");
      else if (t.v === "waitfor" && word(toks[i + 1], "delay", "time") && toks[i + 2]?.k === "str") better(best, 7, "sqli-time-delay");
      else if (t.v === "into" && word(toks[i + 1], "outfile", "dumpfile") && toks[i + 2]?.k === "str") better(best, 7, "sqli-file-access");
      else if (t.flag && (TIME_FUNCS.has(t.v) || ERROR_FUNCS.has(t.v) || FILE_FUNCS.has(t.v))) {
        const prev = toks[i - 1];
        // `time.sleep(1)` / `Thread.sleep(…)` are method calls in other languages.
        if (prev?.k === ".") continue;
        const family = TIME_FUNCS.has(t.v) ? "sqli-time-delay" : FILE_FUNCS.has(t.v) ? "sqli-file-access" : "sqli-error-based";
        const arg = toks[i + 2];
        const sqlish =
          prev === undefined
            ? arg !== undefined && (arg.k === "num" || word(arg, "select") || isCall(arg))
            : prev.k === "bool" || prev.k === "(" || prev.k === "," || prev.k === "op" || prev.k === "cmp" || word(prev, "select", "if", "then", "else", "when", "where", "rlike", "like", "regexp", "and", "or");
        if (FILE_FUNCS.has(t.v) && arg?.k === "str") better(best, 6, family);
        better(best, sqlish ? 6 : 3, family);
      }
    } else if (t.k === "bool" && !statement && i > 0) {
      // Tautology / contradiction between literals: `OR 1=1`, `AND 'a'='b'`, `|| 2>1`.
      const j = skip(toks, i + 1, ["(", "cmt"]);
      const a = toks[j];
      const op = toks[j + 1];
      const b = toks[skip(toks, j + 2, ["(", "cmt"])];
      // …that ends the condition (end, comment, `)`, `;`, another boolean, LIMIT/ORDER): prose goes on with words.
      const bi = skip(toks, j + 2, ["(", "cmt"]);
      const after = toks[bi + 1];
      const closes = after === undefined || after.k === "cmt" || after.k === ";" || after.k === ")" || after.k === "bool" || (after.k === "str" && after.flag) || word(after, "limit", "order", "group", "union", "into", "having");
      if (isLiteral(a) && op?.k === "cmp" && isLiteral(b) && (a!.k !== "word" || b!.k !== "word") && closes) better(best, 6, "sqli-tautology");
      else if (op?.k === "cmp" && b !== undefined && (word(b, "select") || (isSqlCall(b) && SQL_FUNCS.has(b.v)))) better(best, 5, "sqli-subquery");
      else if (a !== undefined && (word(a, "select", "exists") && toks[j - 1]?.k === "(")) better(best, 6, "sqli-subquery");
      else if (a !== undefined && a.flag && (TIME_FUNCS.has(a.v) || ERROR_FUNCS.has(a.v))) better(best, 6, "sqli-time-delay");
      else if (isSqlCall(a)) {
        // `AND ORD(MID(user(),1,1))>100`: a boolean on an SQL function's result (blind extraction).
        let depth = 0;
        let k = j + 1;
        for (; k < toks.length && k < j + 64; k++) {
          if (toks[k]!.k === "(") depth++;
          else if (toks[k]!.k === ")" && --depth === 0) break;
        }
        if (toks[k + 1]?.k === "cmp" && isLiteral(toks[k + 2])) better(best, 6, "sqli-boolean");
      }
    } else if (t.k === ";" && !statement && i > 0) {
      if (statementAt(toks, skip(toks, i + 1, ["cmt"]))) better(best, 6, "sqli-stacked-query");
    }
  }
  if (best.score >= 5) return;
  // Catalog tables next to a SELECT: reading the schema is what blind/union attacks do first.
  if (lower.includes("select")) {
    for (const m of META_OBJECTS) if (lower.includes(m)) return better(best, statement ? 2 : 4, "sqli-schema-probe");
  }
}

/** SQL injection score of one (normalised) value. */
export function detectSqli(v: Inspected): Finding | null {
  const s = v.text;
  const best: Best = { score: 0, rule: "" };
  // Bare: numeric contexts at the start, and patterns anywhere.
  const bare = tokenize(s, MAX_TOKENS);
  if (bare.length === 0) return null;
  const first = bare[0]!;
  if (first.k === "num" || (first.k === "op" && first.v === "-" && bare[1]?.k === "num")) {
    const r = afterValue(bare, first.k === "num" ? 1 : 2, false);
    better(best, r.score, r.rule);
  }
  anywhere(bare, best, v.lower);
  // String contexts: the value lands after an opening quote.
  for (const q of ["'", '"']) {
    if (best.score >= 7) break;
    const at = s.indexOf(q);
    if (at === -1) continue;
    // The application's opening quote plus everything up to the value's first quote is one string.
    const toks = tokenize(q + s, QUOTE_CONTEXT_TOKENS);
    const str = toks[0];
    if (str === undefined || str.k !== "str" || str.flag) continue;
    const r = afterValue(toks, 1, true);
    better(best, r.score, r.rule);
  }
  return best.score > 0 ? { ruleId: best.rule, score: best.score } : null;
}
