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
 */
import type { Finding, Inspected } from "./types.ts";

type Kind = "str" | "num" | "word" | "bool" | "cmp" | "op" | "(" | ")" | "," | ";" | "." | "cmt" | "var" | "other";

interface Tok {
  k: Kind;
  /** Lower-cased text for words and operators; for strings the quote and (up to 32 chars of) content. */
  v: string;
  /** Words: directly followed by `(` (a call). Strings: unterminated. Comments: a bare `#` before a word. */
  flag: boolean;
  /** A PostgreSQL cast right after the token (`'{}'::jsonb`, `f(x)::int`): the type, lower case. */
  cast?: string;
  /** The cast's type was written in lower case (`::int`, not `::Int` as in `Foo::Int`). */
  castLower?: boolean;
}

/** What the tokenizer saw besides tokens. */
interface Info {
  /** A MySQL versioned/executable comment `/*!50000` or `/*!union`. */
  versioned: boolean;
  /** Empty comments `/**​/` (used as whitespace to split keywords). */
  empty: number;
  /** Comments of any kind. */
  comments: number;
}

const BOOL_WORDS = new Set(["or", "and", "xor", "not", "div", "||", "&&"]);
const CMP_WORDS = new Set(["like", "rlike", "regexp", "is", "in", "between", "sounds", "glob", "similar"]);
const STATEMENT_START = new Set(["select", "insert", "update", "delete", "create", "alter", "drop", "with", "explain", "truncate", "replace", "merge", "grant", "begin", "show", "describe", "pragma"]);
/** Functions that only show up in attacks when they appear in an SQL position. */
const TIME_FUNCS = new Set(["sleep", "benchmark", "pg_sleep", "randomblob", "pg_sleep_for", "pg_sleep_until", "dbms_lock.sleep", "dbms_pipe.receive_message", "dbms_session.sleep", "sys.dbms_lock.sleep"]);
const ERROR_FUNCS = new Set(["extractvalue", "updatexml", "exp", "geometrycollection", "multipoint", "polygon", "linestring", "multilinestring", "multipolygon", "name_const", "json_keys", "gtid_subset", "gtid_subtract", "xmltype", "ctxsys.drithsx.sn", "utl_inaddr.get_host_name", "utl_inaddr.get_host_address", "dbms_xmlgen.getxml", "dbms_utility.sqlid_to_sqlhash", "ordsys.ord_dicom.getmappingxpath", "sys.dbms_aw_xml.readawmetadata"]);
const FILE_FUNCS = new Set(["load_file", "pg_read_file", "pg_read_binary_file", "pg_ls_dir", "lo_import", "lo_export", "lo_get", "utl_http.request", "httpuritype.getclob", "utl_file.fopen", "dbms_java.runjava", "dbms_ldap.init", "openrowset", "opendatasource", "bulk", "load_extension", "dblink", "dblink_connect"]);
const PROC_WORDS = new Set(["xp_cmdshell", "sp_oacreate", "sp_oamethod", "xp_dirtree", "xp_subdirs", "xp_regread", "xp_regwrite", "xp_fileexist", "sp_makewebtask", "sp_addsrvrolemember", "sp_addlogin", "sp_configure", "sp_executesql", "xp_servicecontrol", "sp_password", "xp_availablemedia", "xp_loginconfig", "xp_ntsec_enumdomains", "xp_terminate_process", "sp_execute_external_script", "fn_varbintohexstr"]);
/** Functions whose presence right after a breakout/boolean says "this is SQL". */
const SQL_FUNCS = new Set([
  ...TIME_FUNCS, ...ERROR_FUNCS, ...FILE_FUNCS,
  "ascii", "ord", "char", "chr", "nchar", "substring", "substr", "mid", "left", "right", "length", "len", "concat", "concat_ws",
  "group_concat", "string_agg", "listagg", "version", "database", "user", "current_user", "system_user", "session_user", "schema",
  "if", "iif", "ifnull", "isnull", "nullif", "coalesce", "case", "cast", "convert", "count", "exists", "hex", "unhex", "md5",
  "sha1", "sha2", "rand", "random", "floor", "ceil", "round", "db_name", "user_name", "suser_name", "suser_sname", "has_dbaccess", "is_srvrolemember", "instr", "locate",
  "position", "elt", "make_set", "field", "row", "bin", "conv", "unicode", "lower", "upper", "trim", "ltrim", "rtrim", "replace", "reverse",
  "sqlite_version", "typeof", "current_database", "pg_typeof", "quote_ident", "to_char", "utl_raw.cast_to_varchar2", "find_in_set",
  "strcmp", "pow", "power", "cos", "sin", "tan", "compress", "uncompress", "decode", "encode", "sysdate", "insert", "char_length",
  "octet_length", "soundex", "lpad", "rpad", "space", "repeat", "oct", "current_setting", "unistr", "starts_with", "format",
  "json_extract", "json_value", "json_query", "json_depth", "json_length", "json_type", "json_valid", "json_object", "json_array",
  "json_contains", "json_search", "json_unquote", "jsonb_pretty", "json_build_object", "jsonb_build_object", "to_json", "to_jsonb",
  "json_each", "jsonb_each", "jsonb_path_query", "json_array_length", "sqlite_compileoption_used", "sqlite_compileoption_get",
  "group_concat", "quote", "zeroblob", "crc32", "aes_decrypt", "des_decrypt", "des_encrypt", "uuid", "connection_id",
  "last_insert_id", "row_count", "found_rows", "current_schema", "inet_server_addr", "pg_backend_pid", "host_name", "serverproperty",
  "object_id", "object_name", "col_name", "type_name", "has_perms_by_name", "permissions", "sys_context", "rawtohex", "to_number",
  "regexp_substr", "regexp_like", "dbms_random.value", "nvl", "nvl2", "decode", "bitand", "tochar", "datalength",
]);
/** Functions a `SELECT` only reaches for in an attack: extraction and probing, not reporting. */
const PROBE_FUNCS = new Set([
  "char", "chr", "nchar", "if", "iif", "group_concat", "user", "current_user", "system_user", "session_user", "version", "database",
  "db_name", "schema", "ascii", "ord", "elt", "make_set", "unhex", "sqlite_version", "user_name", "suser_name", "has_dbaccess",
  "is_srvrolemember", "host_name", "serverproperty", "connection_id", "current_setting", "inet_server_addr", "pg_backend_pid",
  "sys_context", ...TIME_FUNCS, ...ERROR_FUNCS, ...FILE_FUNCS,
]);
const META_OBJECTS = ["information_schema", "sysobjects", "syscolumns", "sys.tables", "sys.objects", "sys.databases", "pg_catalog", "pg_shadow", "pg_user", "pg_database", "pg_tables", "sqlite_master", "sqlite_schema", "sqlite_temp_master", "mysql.user", "mysql.db", "all_tables", "all_users", "all_tab_columns", "user_tables", "dba_users", "msysobjects", "msysaccessobjects", "master..sysdatabases", "master.dbo", "sys.sql_logins"];
/** Whole values that are a database's own catalog or sample-database name (what enumeration sends). */
const CATALOG_VALUES = new Set([
  ...META_OBJECTS, "tempdb", "msdb", "northwind", "schema_name", "table_name", "column_name", "table_schema", "sysusers", "syslogins",
  "sysdatabases", "pg_namespace", "pg_class", "pg_attribute", "pg_proc", "v$version", "sys.user$", "dual", "all_objects", "dba_tables",
  "user_tab_columns", "information_schema.tables", "information_schema.columns", "information_schema.schemata",
]);
/** Keywords that make a MySQL versioned comment `/*!keyword` SQL rather than a JS/CSS banner. */
const VERSIONED_WORDS = /^(?:select|union|from|where|and|or|not|null|order|group|having|limit|concat|all|distinct|insert|update|delete|drop|sleep|benchmark|user|database|version|information_schema|table_name|column_name|if|case|into|procedure|load_file|char|like|xor|desc|asc|and|between|exists|substring|ascii)\b/i;
/** PostgreSQL types a cast names. */
const PG_TYPES = new Set(["int", "int2", "int4", "int8", "integer", "smallint", "bigint", "numeric", "decimal", "real", "float", "float4", "float8", "double", "bool", "boolean", "text", "varchar", "char", "character", "bpchar", "name", "json", "jsonb", "xml", "bytea", "oid", "regclass", "regproc", "regtype", "uuid", "inet", "cidr", "money", "tsvector", "tsquery", "jsonpath", "interval", "timestamp", "timestamptz", "date", "time"]);
/** Numbers that probe integer overflows / the `2.2250738585072011e-308` float-parsing hang. */
const OVERFLOW_NUMBERS = new Set(["2147483648", "-2147483649", "4294967296", "9223372036854775808", "-9223372036854775809", "18446744073709551616"]);
const MAGIC_FLOAT = /^2\.225073858507201\d{0,4}e-0{0,2}308$/;

const MAX_TOKENS = 4_000;
/** Tokens of the (quote-context) stream the breakout scorer looks at. */
const QUOTE_CONTEXT_TOKENS = 48;
/** Whole-value checks apply to values up to this length. */
const SHORT = 256;

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
function nextNonSpace(s: string, i: number): number {
  const stop = Math.min(s.length, i + 8);
  while (i < stop && isSpace(s[i]!)) i++;
  return i;
}

/** Tokenizes `s` as SQL (MySQL flavoured, with PostgreSQL casts/JSON operators; tolerant); stops after `max` tokens. */
function tokenize(s: string, max: number, info: Info): Tok[] {
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
      info.comments++;
      if (s[i + 2] === "!") {
        i += 3;
        const digits = i;
        while (isDigit(s[i]) && i < digits + 6) i++;
        if (i > digits || VERSIONED_WORDS.test(s.slice(i, i + 24))) info.versioned = true;
        continue;
      }
      const end = s.indexOf("*/", i + 2);
      if (end === i + 2) info.empty++;
      // `/*+!50000select …` (a hint comment hiding a versioned one) and `/* … /*!50000from*/`.
      const body = s.slice(i + 2, end === -1 ? Math.min(n, i + 256) : Math.min(end, i + 256));
      if (/^\+?\s{0,4}!\s{0,4}(?:\d|[a-z])/i.test(body) || body.includes("/*!")) info.versioned = true;
      out.push({ k: "cmt", v: end === i + 2 ? "/**/" : "/*", flag: false });
      i = end === -1 ? n : end + 2;
      continue;
    }
    if (c === "*" && s[i + 1] === "/") {
      i += 2;
      continue;
    }
    if (c === "-" && s[i + 1] === "-") {
      info.comments++;
      const end = s.indexOf("\n", i);
      out.push({ k: "cmt", v: "--", flag: false });
      i = end === -1 ? n : end + 1;
      continue;
    }
    // PostgreSQL JSON operators: `->`, `->>`, `#>`, `#>>`, `#-`, `?|`, `?&`, `? '…'`, `@>`, `<@`, `@?`, `@@`.
    if (c === "-" && s[i + 1] === ">") {
      const len = s[i + 2] === ">" ? 3 : 2;
      out.push({ k: "cmp", v: s.slice(i, i + len), flag: true });
      i += len;
      continue;
    }
    if (c === "#" && (s[i + 1] === ">" || (s[i + 1] === "-" && s[nextNonSpace(s, i + 2)] === "'" && isSpace(s[i + 2] ?? "x")))) {
      const len = s[i + 1] === ">" && s[i + 2] === ">" ? 3 : 2;
      out.push({ k: "cmp", v: s.slice(i, i + len), flag: true });
      i += len;
      continue;
    }
    if (c === "?" && (s[i + 1] === "|" || s[i + 1] === "&" || s[nextNonSpace(s, i + 1)] === "'")) {
      const len = s[i + 1] === "|" || s[i + 1] === "&" ? 2 : 1;
      out.push({ k: "cmp", v: s.slice(i, i + len), flag: true });
      i += len;
      continue;
    }
    if ((c === "@" && (s[i + 1] === ">" || s[i + 1] === "?" || (s[i + 1] === "@" && (i + 2 >= n || isSpace(s[i + 2]!))))) || (c === "<" && s[i + 1] === "@")) {
      out.push({ k: "cmp", v: s.slice(i, i + 2), flag: true });
      i += 2;
      continue;
    }
    if (c === ":" && s[i + 1] === ":" && out.length > 0 && isWordStart(s[i + 2] ?? "")) {
      let j = i + 3;
      while (j < n && isWordChar(s[j]!) && j < i + 40) j++;
      const raw = s.slice(i + 2, j);
      const prev = out[out.length - 1]!;
      prev.cast = raw.toLowerCase();
      prev.castLower = raw === prev.cast;
      i = j;
      continue;
    }
    if (c === "#") {
      info.comments++;
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
      const name = s.slice(i + 1, end === -1 ? Math.min(n, i + 41) : Math.min(end, i + 41)).toLowerCase();
      out.push({ k: "word", v: "`" + name + "`", flag: false });
      i = end === -1 ? n : end + 1;
      continue;
    }
    // MSSQL `[dbo].[users]`, `TRUNCATE [t]`: a bracketed identifier (not `[1,2]` or `["a"]`).
    if (c === "[" && isWordStart(s[i + 1] ?? "")) {
      let j = i + 1;
      while (j < n && j < i + 64 && isWordChar(s[j]!)) j++;
      if (s[j] === "]") j++;
      out.push({ k: "word", v: "[" + s.slice(i + 1, j).replace("]", "").toLowerCase() + "]", flag: false });
      i = j;
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
    // `1or1=1`, `1and2>1`: MySQL reads a boolean glued between numbers as a boolean.
    if (isWordStart(c) && out.length > 0 && out[out.length - 1]!.k === "num" && isDigit(s[i - 1])) {
      const glued = gluedBoolean(s, i);
      if (glued > 0) {
        out.push({ k: "bool", v: s.slice(i, i + glued).toLowerCase(), flag: false });
        i += glued;
        continue;
      }
    }
    if (isWordStart(c)) {
      let j = i + 1;
      while (j < n && (isWordChar(s[j]!) || (s[j] === "." && j + 1 < n && (isWordStart(s[j + 1]!) || (s[j + 1] === "." && isWordStart(s[j + 2] ?? "")))))) j++;
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
      out.push(j === i + 1 ? { k: "op", v: "@", flag: false } : { k: "var", v: s.slice(i, j).toLowerCase(), flag: false });
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

/** Length of `or`/`and`/`xor` at `i` when a digit follows it (`1or1`), else 0. */
function gluedBoolean(s: string, i: number): number {
  for (const b of ["or", "and", "xor"]) {
    if (s.slice(i, i + b.length).toLowerCase() === b && isDigit(s[i + b.length])) return b.length;
  }
  return 0;
}

/**
 * A value operand. An unterminated string only counts when it is short and has no spaces
 * (`' or 'a` is closed by the application's own quote); a long one is the rest of a sentence.
 */
const isLiteral = (t: Tok | undefined): boolean =>
  t !== undefined &&
  (t.k === "num" || t.k === "var" || (t.k === "str" && (!t.flag || (t.v.length <= 17 && !/\s/.test(t.v)))) || (t.k === "word" && (t.v === "null" || t.v === "true" || t.v === "false" || t.v === "array")));
const isEnd = (t: Tok | undefined): boolean => t === undefined || t.k === "cmt" || t.k === ";";
const isCall = (t: Tok | undefined): boolean => t !== undefined && t.k === "word" && t.flag;
const isSqlCall = (t: Tok | undefined): boolean => isCall(t) && SQL_FUNCS.has(t!.v);
const word = (t: Tok | undefined, ...vs: string[]): boolean => t !== undefined && (t.k === "word" || t.k === "bool" || t.k === "cmp") && vs.includes(t.v);
/** The last segment of a dotted name: `master.dbo.xp_cmdshell` → `xp_cmdshell`. */
const tail = (v: string): string => v.slice(v.lastIndexOf(".") + 1);
const isProc = (t: Tok | undefined): boolean => t !== undefined && t.k === "word" && (PROC_WORDS.has(t.v) || PROC_WORDS.has(tail(t.v)));
/** A PostgreSQL cast of a literal or a call's result (`'{}'::jsonb`, `f(x)::int`, `1::text`). */
const isSqlCast = (t: Tok | undefined): boolean =>
  t !== undefined && t.cast !== undefined && PG_TYPES.has(t.cast) && (t.k === "str" || t.k === "num" || t.k === ")" || (t.k === "word" && t.castLower === true));

/** Skips comments and `(`, returning the next index (comments act as whitespace in SQL). */
function skip(toks: Tok[], i: number, kinds: ReadonlyArray<Kind>): number {
  while (i < toks.length && kinds.includes(toks[i]!.k)) i++;
  return i;
}

/** Index just after the parenthesised group that starts at `i` (a `(`), bounded. */
function closeParen(toks: Tok[], i: number): number {
  let depth = 0;
  for (let k = i; k < toks.length && k < i + 96; k++) {
    if (toks[k]!.k === "(") depth++;
    else if (toks[k]!.k === ")" && --depth <= 0) return k + 1;
  }
  return -1;
}

/** After `UNION [ALL|DISTINCT] [(]` at `i` (pointing at SELECT): is what follows a select list? */
function unionSelectAt(toks: Tok[], i: number, truncated: boolean): boolean {
  let j = skip(toks, i, ["cmt"]);
  if (word(toks[j], "all", "distinct", "distinctrow")) j = skip(toks, j + 1, ["cmt"]);
  j = skip(toks, j, ["(", "cmt"]);
  if (!word(toks[j], "select")) return false;
  j = skip(toks, j + 1, ["cmt"]);
  if (word(toks[j], "all", "distinct", "distinctrow", "top")) j = skip(toks, j + 1, ["cmt"]);
  const a = toks[j];
  const b = toks[skip(toks, j + 1, ["cmt"])];
  // `' UNION SELECT` cut off at the end (a probe, or the rest is in another parameter).
  if (a === undefined) return truncated;
  if (isLiteral(a) || isCall(a) || a.k === "(" || (a.k === "op" && a.v === "*")) return true;
  if (a.k === "word") {
    if (b === undefined) return truncated || SQL_FUNCS.has(a.v) || a.v.startsWith("@@");
    return b.k === "," || b.k === "cmt" || word(b, "from", "into", "limit", "where");
  }
  return truncated && a.k === "op";
}

/** The next `count` non-comment tokens from `i`. */
function nextTokens(toks: Tok[], i: number, count: number): Array<Tok | undefined> {
  const out: Array<Tok | undefined> = [];
  for (let k = i; out.length < count && k < toks.length && k < i + 16; k++) if (toks[k]!.k !== "cmt") out.push(toks[k]);
  while (out.length < count) out.push(undefined);
  return out;
}

/** Index of the `count`-th non-comment token from `i` (for re-entering the stream). */
function indexOfNext(toks: Tok[], i: number, count: number): number {
  let seen = 0;
  for (let k = i; k < toks.length && k < i + 16; k++) {
    if (toks[k]!.k === "cmt") continue;
    if (seen++ === count) return k;
  }
  return toks.length;
}

const SQL_TYPES = new Set(["varchar", "nvarchar", "char", "nchar", "int", "bigint", "smallint", "tinyint", "bit", "table", "cursor", "sysname", "sql_variant", "varbinary", "binary", "text", "ntext", "datetime", "date", "float", "decimal", "numeric", "money", "xml", "uniqueidentifier"]);

/** Is there a statement that a stacked query would start, at `i`? */
function statementAt(toks: Tok[], i: number, afterBreakout = false): boolean {
  const [a, b, c, d] = nextTokens(toks, i, 4);
  if (a === undefined || (a.k !== "word" && a.k !== "bool")) return false;
  switch (a.v) {
    case "drop":
    case "truncate":
      return word(b, "table", "database", "schema", "user", "view", "procedure", "function", "index", "login", "trigger") || (b?.k === "word" && b.v.startsWith("["));
    case "delete":
      return word(b, "from") && c !== undefined && c.k === "word" && (isEnd(d) || word(d, "where"));
    case "insert":
    case "replace":
      if (word(b, "into")) return c !== undefined && c.k === "word" && (word(d, "values", "select") || d?.k === "(" || c.flag);
      return a.v === "replace" && b !== undefined && b.k === "word" && (c?.k === "(" || b.flag) ? true : afterBreakout && a.v === "insert" && b?.k === "word";
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
      return word(b, "table", "user", "login", "function", "procedure", "trigger", "database", "role", "or", "definer");
    case "grant":
    case "revoke":
      return word(b, "all", "select", "insert", "update", "delete", "dba", "execute", "connect", "file", "super");
    case "set":
      return b?.k === "var" || (b?.k === "word" && c?.k === "cmp");
    case "select":
      // After a breakout, `'; SELECT …` is a stacked query whatever it selects.
      return afterBreakout ? b !== undefined && !(b.k === "str" && b.flag) : unionSelectAt(toks, i, false) || isSqlCall(b) || b?.k === "var";
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
function literalChain(toks: Tok[], j: number): { end: number; cmp: number; json: boolean; cast: boolean } {
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
    if (op === undefined || (op.k !== "cmp" && op.k !== "op") || word(op, "in", "is", "between", "sounds", "similar")) break;
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

/** Scores what follows a boolean operator at `i` (`OR …`, `AND …`). */
function booleanTail(toks: Tok[], i: number, strict: boolean): number {
  let j = skip(toks, i, ["cmt", "("]);
  const a = toks[j];
  if (a === undefined) return 0;
  if (word(a, "not")) j = skip(toks, j + 1, ["cmt", "("]);
  const first = toks[j];
  if (first === undefined) return 0;
  if (word(first, "select", "exists") || isSqlCall(first) || isProc(first) || isSqlCast(first)) return 6;
  // `'||UTL_HTTP.REQUEST`: a database package's attack-only routine named after the boolean.
  if (first.k === "word" && first.v.includes(".") && (FILE_FUNCS.has(first.v) || ERROR_FUNCS.has(first.v) || TIME_FUNCS.has(first.v))) return 5;
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

interface Scored {
  score: number;
  rule: string;
}
const NONE: Scored = { score: 0, rule: "" };

/** The statement continues right after a breakout (string end) or a numeric value at `i`. */
function afterValue(toks: Tok[], i: number, fromString: boolean, strict: boolean, near = true): Scored {
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
    // `admin'--`, `admin')#`, `x'/*`; a `#hashtag` right after a quote is prose.
    if (t.v === "#" && t.flag) return { score: 2, rule: "sqli-comment-truncation" };
    return { score: 6, rule: "sqli-comment-truncation" };
  }
  if (t.k === ";") {
    const next = skip(toks, j + 1, ["cmt"]);
    if (statementAt(toks, next, fromString || parens > 0)) return { score: 7, rule: "sqli-stacked-query" };
    // `';--` ends the statement and cuts off the rest; a bare `';` is a probe at most.
    if (fromString && toks[j + 1]?.k === "cmt") return { score: 5, rule: "sqli-stacked-query" };
    if (fromString && toks[j + 1] === undefined) return { score: 3, rule: "sqli-stacked-query" };
    return NONE;
  }
  if (t.k === "bool") {
    const s = booleanTail(toks, j + 1, strict);
    return { score: s, rule: s >= 6 ? "sqli-tautology" : "sqli-boolean" };
  }
  if (word(t, "union") && unionSelectAt(toks, j + 1, fromString)) return { score: 7, rule: "sqli-union-select" };
  // `' INSERT INTO mysql.user …`, `' GRANT CONNECT TO x;`: MSSQL runs a following statement without `;`.
  if (fromString && near && t.k === "word" && !word(t, "select", "begin", "set") && statementAt(toks, j, false)) {
    const [, b, c] = nextTokens(toks, j, 3);
    if (!(c?.k === "str" || b?.k === "str")) return { score: 6, rule: "sqli-stacked-query" };
  }
  if (word(t, "waitfor") && word(toks[j + 1], "delay", "time")) return { score: 7, rule: "sqli-time-delay" };
  // `' sleep(5) '`: the `+` of `'+sleep(5)+'` arrives as a space in a form or query.
  if (fromString && isCall(t) && (TIME_FUNCS.has(t.v) || ERROR_FUNCS.has(t.v) || FILE_FUNCS.has(t.v))) return { score: 6, rule: TIME_FUNCS.has(t.v) ? "sqli-time-delay" : "sqli-error-based" };
  if ((fromString || parens > 0) && t.k === "cmp") {
    const next = toks[j + 1];
    if (next === undefined || isLiteral(next) || next.k === "cmt" || next.k === "(" || isCall(next)) return { score: 5, rule: "sqli-boolean" };
    return { score: 2, rule: "sqli-boolean" };
  }
  if (fromString && near && t.k === "(" && word(toks[skip(toks, j, ["(", "cmt"])], "select")) return { score: 6, rule: "sqli-subquery" };
  if (fromString && near && word(t, "select")) {
    const next = toks[skip(toks, j + 1, ["cmt"])];
    const after = toks[skip(toks, j + 1, ["cmt"]) + 1];
    if (next !== undefined && ((isLiteral(next) && (next.k !== "str" || after?.k === "," || word(after, "from"))) || isCall(next) || next.k === "(" || next.k === "var" || (next.k === "op" && next.v === "*"))) return { score: 6, rule: "sqli-subquery" };
    if (next?.k === "word" && (toks[j + 2] === undefined || word(toks[j + 2], "from"))) return { score: 5, rule: "sqli-subquery" };
  }
  if (word(t, "order", "group") && word(toks[j + 1], "by")) {
    const k = toks[j + 2];
    // `' GROUP BY password HAVING 1=1--` (MSSQL column enumeration through errors).
    if (word(t, "group") && k?.k === "word" && word(toks[j + 3], "having") && literalChain(toks, j + 4).cmp > 0) return { score: 6, rule: "sqli-having" };
    if (k !== undefined && (k.k === "num" || isCall(k))) return { score: 6, rule: "sqli-order-by" };
    if (fromString && k !== undefined && k.k === "word" && isEnd(toks[j + 3]) && toks[j + 3] !== undefined) return { score: 5, rule: "sqli-order-by" };
    return NONE;
  }
  if (word(t, "procedure") && word(toks[j + 1], "analyse")) return { score: 6, rule: "sqli-procedure-analyse" };
  if ((fromString || parens > 0) && word(t, "having", "limit", "procedure", "into", "rlike", "regexp", "like") && toks[j + 1] !== undefined) {
    const next = toks[j + 1]!;
    if (word(t, "into") && word(next, "outfile", "dumpfile")) return { score: 7, rule: "sqli-file-access" };
    // `' having 1=1`, `' limit 1`, `' like 'a`; "'having' a gerund" is prose.
    if ((isLiteral(next) && (next.k !== "str" || next.flag || toks[j + 2]?.k === "cmp" || isEnd(toks[j + 2]))) || isCall(next) || next.k === "(") return { score: 5, rule: "sqli-boolean" };
  }
  if (t.k === "op" && "+-|*/^".includes(t.v)) {
    const next = toks[skip(toks, j + 1, ["(", "cmt"])];
    if (next !== undefined && (word(next, "select") || isSqlCall(next))) return { score: fromString ? 6 : 5, rule: "sqli-expression" };
  }
  // `1 AS "x" FROM t`: the value lands in a select list.
  if (!fromString && word(t, "as") && (toks[j + 1]?.k === "str" || toks[j + 1]?.v.startsWith("`") === true)) {
    const next = toks[j + 2];
    if (word(next, "from") || (toks[j + 1]!.k === "str" && toks[j + 1]!.flag && /\bfrom\b/i.test(toks[j + 1]!.v))) return { score: 5, rule: "sqli-select-list" };
  }
  return NONE;
}

/**
 * `'+ X +'`, `" | X | "`: the value closes the string, concatenates something and reopens the
 * string so the application's own closing quote still fits.
 */
function concatBreakout(toks: Tok[], q: string): boolean {
  const op = toks[1];
  const last = toks[toks.length - 1];
  if (op === undefined || last === undefined || toks.length < 4 || toks.length > 24) return false;
  if (!((op.k === "op" && "+|&".includes(op.v)) || (op.k === "bool" && op.v === "||"))) return false;
  if (!(last.k === "str" && last.flag && last.v.length <= 2 && last.v.startsWith(q))) return false;
  const before = toks[toks.length - 2]!;
  return (before.k === "op" && "+|&".includes(before.v)) || (before.k === "bool" && before.v === "||");
}

function better(best: Scored, score: number, rule: string): void {
  if (score > best.score) {
    best.score = score;
    best.rule = rule;
  }
}

const SQL_AFTER_CALL = new Set(["order", "union", "from", "where", "limit", "group", "having", "then", "else", "end", "when", "as", "into", "procedure", "offset", "waitfor", "select"]);
const SQLISH_PREV = ["select", "if", "then", "else", "when", "where", "rlike", "like", "regexp", "and", "or", "begin", "do", "return", "values", "exec", "execute", "waitfor", "from", "having", "by", "case"];

/** Patterns that count wherever they appear in a token stream. */
function anywhere(toks: Tok[], best: Scored, statement: boolean): void {
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.cast !== undefined && !statement && isSqlCast(t)) {
      // `'{"a":1}'::jsonb`, `password::int`, `f(x)::text`: PostgreSQL casts turning a value into SQL.
      const prev = toks[i - 1];
      const next = toks[i + 1];
      const op = next !== undefined && (next.k === "cmp" || next.k === "op" || next.k === "bool" || next.k === "cmt");
      const whole = toks.length <= 2 && t.k === "word";
      if (t.k === ")" || op || whole || (prev !== undefined && (prev.k === "cmp" || prev.k === "op" || prev.k === "bool"))) better(best, 5, "sqli-pg-cast");
    }
    if (t.k === "word") {
      if (!statement && t.v === "union" && unionSelectAt(toks, i + 1, false)) better(best, 7, "sqli-union-select");
      else if (isProc(t)) better(best, 7, "sqli-stored-procedure");
      else if (t.v === "waitfor" && word(toks[i + 1], "delay", "time") && toks[i + 2]?.k === "str") better(best, 7, "sqli-time-delay");
      else if (t.v === "into" && word(toks[i + 1], "outfile", "dumpfile") && toks[i + 2]?.k === "str") better(best, 7, "sqli-file-access");
      else if (t.v === "procedure" && word(toks[i + 1], "analyse") && (toks[i + 2]?.k === "(" || toks[i + 1]!.flag)) better(best, 6, "sqli-procedure-analyse");
      else if ((t.v === "exec" || t.v === "execute") && !statement) {
        // `EXEC master..xp_dirtree`, `EXEC(@q)`, `EXEC sp_…`, `EXECUTE IMMEDIATE '…'`.
        const b = toks[skip(toks, i + 1, ["cmt"])];
        const c = toks[skip(toks, skip(toks, i + 1, ["cmt"]) + 1, ["cmt"])];
        const master = b?.k === "word" && (b.v.startsWith("master.") || (b.v === "master" && c?.k === "."));
        if (b !== undefined && (master || (b.k === "word" && (b.v.startsWith("xp_") || b.v.startsWith("sp_") || b.v === "immediate")) || (b.k === "(" && (c?.k === "var" || c?.v === "@")) || (b.k === "var" && !b.v.startsWith("@@")))) {
          better(best, 6, "sqli-stored-procedure");
        }
      } else if (t.v === "declare") {
        // `DECLARE @q VARCHAR(99)`: T-SQL; "I declare @bob the winner" is not.
        const bi = skip(toks, i + 1, ["cmt"]);
        const b = toks[bi];
        const c = toks[skip(toks, bi + 1, ["cmt"])];
        if (b?.k === "var" && (c === undefined || c.k === ";" || (c.k === "word" && (SQL_TYPES.has(c.v) || word(c, "as"))))) better(best, 6, "sqli-stacked-query");
      } else if (t.v === "select") {
        // `SELECT CHAR(`, `SELECT IF(`, `SELECT @@version`, `SELECT 1,2,3`, `select(user(`: probing, not reporting.
        const j = skip(toks, i + 1, ["cmt", "("]);
        const b = toks[j];
        // `SELECT IIF(1 > 1, …)` probes with literals; `SELECT IIF(a > b, …)` in a snippet reports.
        const literalIf = b !== undefined && (b.v === "if" || b.v === "iif") ? literalChain(toks, j + 1).cmp > 0 || closeParen(toks, j + 1) === -1 : true;
        if (b !== undefined && literalIf && ((isCall(b) && PROBE_FUNCS.has(b.v)) || (b.k === "var" && b.v.startsWith("@@")) || (b.k === "word" && (b.v === "pg_sleep" || b.v === "dbms_pipe.receive_message")))) better(best, 6, "sqli-probe-select");
        else if (b !== undefined && (b.k === "num" || word(b, "null")) && toks[j + 1]?.k === "," && (toks[j + 2]?.k === "num" || word(toks[j + 2], "null")) && (toks[j + 3]?.k === "," || isEnd(toks[j + 3]) || word(toks[j + 3], "from"))) better(best, 5, "sqli-probe-select");
        if (!statement && toks[i - 1]?.k === "(" && i > 1) {
          // `(SELECT …)` inside a value that is not a statement: a sub-select in an expression.
          const p = toks[i - 2];
          if (p !== undefined && (p.k === "bool" || p.k === "cmp" || p.k === "," || (p.k === "op" && p.v !== "*") || isCall(p))) better(best, 5, "sqli-subquery");
        }
      } else if (t.v === "from" && i + 1 < toks.length) {
        const b = toks[skip(toks, i + 1, ["cmt", "("])];
        const name = b === undefined ? "" : b.v.replace(/^[`[]|[`\]]$/g, "").replace(/\.$/, "");
        if (b !== undefined && b.k === "word" && (CATALOG_VALUES.has(name) || name.startsWith("information_schema.") || name.startsWith("pg_catalog."))) better(best, statement ? 4 : 5, "sqli-schema-probe");
      } else if (t.flag && (TIME_FUNCS.has(t.v) || ERROR_FUNCS.has(t.v) || FILE_FUNCS.has(t.v))) {
        let p = i - 1;
        while (p >= 0 && toks[p]!.k === "cmt") p--;
        const prev = toks[p];
        // `time.sleep(1)` / `Thread.sleep(…)` are method calls in other languages.
        if (prev?.k === ".") continue;
        const family = TIME_FUNCS.has(t.v) ? "sqli-time-delay" : FILE_FUNCS.has(t.v) ? "sqli-file-access" : "sqli-error-based";
        const arg = toks[skip(toks, i + 2, ["cmt"])];
        const close = toks[i + 1]?.k === "(" ? closeParen(toks, i + 1) : -1;
        const follow = close === -1 ? undefined : toks[close];
        // At the very start, `sleep(5)` must also end like SQL: "sleep(1) python" is a search.
        const endsLikeSql = close === -1 || follow === undefined || isEnd(follow) || follow.k === "op" || follow.k === "cmp" || follow.k === "bool" || follow.k === ")" || follow.k === ",";
        // "sleep(1) python", "?q=sleep(1) python": a closed call followed by a plain word is prose.
        const prose = close !== -1 && follow?.k === "word" && !follow.flag && !SQL_AFTER_CALL.has(follow.v);
        const sqlish =
          prose
            ? false
            : prev === undefined
            ? endsLikeSql && arg !== undefined && (arg.k === "num" || word(arg, "select") || isCall(arg) || arg.k === "(" || (arg.k === "word" && follow?.k === "cmt" && toks.length <= 8))
            : prev.k === "bool" || prev.k === "(" || prev.k === "," || prev.k === "op" || prev.k === "cmp" || prev.k === ";" || (prev.k === "str" && !prev.flag) || word(prev, ...SQLISH_PREV);
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
      const closes = chain.end !== -1 && (after === undefined || after.k === "cmt" || after.k === ";" || after.k === ")" || after.k === "bool" || (after.k === "str" && after.flag) || word(after, "limit", "order", "group", "union", "into", "having"));
      const wordOnly = a !== undefined && a.k === "word" && toks[skip(toks, j + 2, ["(", "cmt"])]?.k === "word";
      // At the very start (`or 1=1--`, ` AND 1=1#`: a suffix for someone else's value) the condition must be cut off by a comment.
      const cut = after !== undefined && (after.k === "cmt" || after.k === ";");
      if (chain.end !== -1 && (chain.cmp > 0 || chain.json || chain.cast) && closes && !wordOnly && (i > 0 || chain.json || chain.cast || a?.k === "str" || cut)) better(best, 6, "sqli-tautology");
      else if (chain.end !== -1 && (chain.json || chain.cast)) better(best, 5, "sqli-json-operator");
      else if (i > 0 && toks[j + 1]?.k === "cmp" && (() => {
        const b = toks[skip(toks, j + 2, ["(", "cmt"])];
        return b !== undefined && (word(b, "select") || isSqlCall(b));
      })()) better(best, 5, "sqli-subquery");
      else if (i > 0 && a !== undefined && (word(a, "select", "exists") && toks[j - 1]?.k === "(")) better(best, 6, "sqli-subquery");
      else if (i > 0 && a !== undefined && a.flag && (TIME_FUNCS.has(a.v) || ERROR_FUNCS.has(a.v))) better(best, 6, "sqli-time-delay");
      if (a !== undefined && isSqlCall(a) && (i > 0 || toks.length < 64)) {
        // `AND ORD(MID(user(),1,1))>100`: a boolean on an SQL function's result (blind extraction).
        const k = closeParen(toks, j + 1);
        if (k !== -1 && toks[k]?.k === "cmp" && isLiteral(toks[skip(toks, k + 1, ["(", "cmt"])])) better(best, 6, "sqli-boolean");
        // ` or isNULL(1/0) /*`: a short suffix that adds a condition on an SQL function and cuts the rest off.
        else if (i === 0 && k !== -1 && toks[k]?.k === "cmt" && k === toks.length - 1 && toks.length <= 16) better(best, 5, "sqli-boolean");
      }
    } else if (t.k === ";" && !statement) {
      if (statementAt(toks, skip(toks, i + 1, ["cmt"]), false)) better(best, 6, "sqli-stacked-query");
    }
  }
}

const WHOLE_CALL = /^([a-z_][a-z0-9_.]{1,40})\s{0,4}\(([^()]{0,80})\)\s{0,4}(?:::\s{0,2}[a-z]{2,12})?$/;
const LITERAL_ARGS = /^\s{0,4}(?:[-+]?[\d.]{1,20}|'[^']{0,40}'|null|\*)?(?:\s{0,4},\s{0,4}(?:[-+]?[\d.]{1,20}|'[^']{0,40}'|null))*\s{0,4}$/;
/** Functions whose call on literals, as a whole value, is SQL (besides PROBE_FUNCS). */
const CALL_VALUES = new Set(["div", "concat", "concat_ws", "substring", "substr", "mid", "find_in_set", "strcmp", "unistr", "json_extract", "pg_sleep", "make_set", "randomblob", "sqlite_compileoption_get", "sqlite_compileoption_used", "unhex", "to_char", "chr"]);
const FUNC_OPENER = /^([a-z_][a-z0-9_.]{0,40})\s{0,8}[\\=]?\s{0,8}\(\s{0,8}$/;
const TRAILING_OPENER = /([a-z_][a-z0-9_]{0,40})\s{0,4}\(\s{0,8}$/;

/** Whole-value shapes: fragments that are SQL on their own (short values only). */
function wholeValue(s: string, lower: string, best: Scored, inner: boolean): void {
  const v = lower.trim();
  if (v.length === 0) return;
  if (v.length <= SHORT && !inner) {
    const m = FUNC_OPENER.exec(v);
    if (m !== null && SQL_FUNCS.has(m[1]!)) better(best, 5, "sqli-function-probe");
    if (CATALOG_VALUES.has(v) || CATALOG_VALUES.has(v.replace(/[.;]$/, ""))) better(best, 5, "sqli-schema-probe");
    if (MAGIC_FLOAT.test(v)) better(best, 5, "sqli-magic-number");
    // A signal only: an API may well take 4294967296 (4 GiB) as a size.
    if (OVERFLOW_NUMBERS.has(v)) better(best, 3, "sqli-integer-overflow");
    if (/^union\s{1,8}(?:all\s{1,8}|distinct\s{1,8})?select\s{0,8}[/*#-]{0,3}$/.test(v)) better(best, 5, "sqli-union-select");
    // `div(23,-2)`, `char(65,66)`, `lo_get(16400)`: the whole value is an SQL function applied to literals.
    const call = WHOLE_CALL.exec(v);
    if (call !== null && (PROBE_FUNCS.has(call[1]!) || CALL_VALUES.has(call[1]!)) && LITERAL_ARGS.test(call[2]!)) better(best, 5, "sqli-function-probe");
    // `"!"`, `'+'`, `'||'`: closes the string, an operator, reopens it (a probe for concatenation).
    if (/^(['"])\s{0,2}(?:!|\+|\|\||&&|\^)\s{0,2}['"`]$/.test(v)) better(best, 5, "sqli-concat-probe");
    // `admin@example.com';`: a single token, a quote and a statement end.
    if (/^[^\s'"`]{1,64}['"`]\s{0,4};\s{0,4}(?:--.{0,20}|#.{0,20})?$/.test(v)) better(best, 5, "sqli-stacked-query");
    // `case when x then y`, `if(2=`: a condition as the value.
    // (at most two tokens or a comparison between WHEN and THEN: "case when you need it then call me" is prose)
    if (/^case\s{1,8}when\s{1,8}(?:[\w'"@.()]{1,40}\s{0,8}(?:(?:=|<>|!=|<=?|>=?)\s{0,8}[\w'"@.()]{1,40}\s{0,8})?|[\w'"@.()]{1,40}\s{1,8}[\w'"@.()]{1,40}\s{1,8})then\s/.test(v)) better(best, 5, "sqli-conditional");
    if (/^if\s{0,4}\(\s{0,4}[\w'"@.]{1,40}\s{0,4}(?:=|<>|!=|<=?|>=?)\s{0,4}(?:[\w'"@.]{1,40}\s{0,4}[,)]|$)/.test(v) && !/^if\s{0,4}\([^)]{0,40}==/.test(v)) better(best, 5, "sqli-conditional");
    // `, FIND_IN_SET('22', x)`: a leading comma continues a select list / ORDER BY with a function.
    if (/^,\s{0,8}[a-z_]{2,30}\s{0,4}\(/.test(v)) {
      const name = /^,\s{0,8}([a-z_]{2,30})/.exec(v)![1]!;
      if (SQL_FUNCS.has(name) || name === "select") better(best, 5, "sqli-expression");
    }
    // `` ` AS `x` FROM ``, `` ` REGEXP ``: a breakout from an identifier.
    if (/^`\s{1,8}(?:as\s{1,8}[`"']|(?:regexp|rlike)\b|(?:from|where|union|having)\s{1,8}[\w`(]|(?:order|group)\s{1,8}by\b|limit\s{1,8}\d)/.test(v)) better(best, 5, "sqli-identifier-breakout");
  }
  if (v.includes("unionselect") || v.includes("union/**/select")) better(best, 5, "sqli-union-select");
  // `--sp_password`: MSSQL leaves a statement that mentions sp_password out of its trace log.
  if (v.includes("--sp_password")) better(best, 5, "sqli-log-evasion");
  // `1.e(ascii`, `1.e.tables`: MySQL scientific-notation bypass (a number glued to a function or a name).
  if (/(?:^|[^\w.])\d{1,20}\.e[(.]/i.test(s) && /\d\.e(?:\(\s{0,4}[a-z_]|\.[a-z_])/i.test(s)) better(best, 5, "sqli-scientific-notation");
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
function ddl(toks: Tok[], best: Scored): void {
  const first = toks[0];
  if (first === undefined) return;
  let i = 0;
  if ((first.k === "op" && first.v === "/") || first.k === ")" || first.k === ",") i = 1;
  const [a, b, c] = nextTokens(toks, i, 3);
  if (a === undefined || a.k !== "word") return;
  if (i === 1 && word(a, "create", "drop", "alter", "truncate") && word(b, "table", "database", "function", "procedure", "user", "trigger") && c?.k === "word") {
    better(best, 5, "sqli-ddl-statement");
    return;
  }
  if (a.v === "alter" && word(b, "table")) {
    for (let k = i + 2; k < toks.length && k < i + 96; k++) {
      const t = toks[k]!;
      if ((word(t, "character") && word(toks[k + 1], "set")) || word(t, "charset") || (word(t, "convert") && word(toks[k + 1], "to"))) return better(best, 5, "sqli-charset-switch");
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

/** SQL injection score of one (normalised) value. */
export function detectSqli(v: Inspected): Finding | null {
  try {
    return detect(v);
  } catch {
    return null;
  }
}

function detect(v: Inspected): Finding | null {
  const found = scan(v.text, v.lower);
  // `"+WAITFOR+DELAY+'`: a value whose spaces are `+` (form encoding nobody decoded) reads as SQL with spaces.
  if ((found === null || found.score < 5) && v.text.length <= 4_096 && v.text.includes("+") && !/\s/.test(v.text.trim())) {
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
    if (alt !== v.text) {
      const again = scan(alt, alt.toLowerCase());
      if (again !== null && (found === null || again.score > found.score)) return again;
    }
    // `0x7700610069…`: a statement spelled as a hex literal (ASCII or UTF-16LE), for `EXEC(@s)` elsewhere.
    const hex = HEX_VALUE.test(v.text) ? hexText(v.text.trim()) : "";
    if (hex !== "") {
      const again = scan(hex, hex.toLowerCase());
      if (again !== null && again.score >= 5 && (found === null || again.score > found.score)) return { ruleId: "sqli-hex-statement", score: again.score };
    }
  }
  return found;
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

const STATEMENT_HEAD = /^\s{0,24}(?:select|insert|update|delete|create|alter|drop|with|explain|truncate|replace|merge|grant|begin|show|describe|pragma)(?![\w$.\u0080-\uffff])/;

// ---------------------------------------------------------------------------------------------
// Hot spots: the places where SQL could start. Each is a superset of what some rule of the
// tokenizing analysis needs there (a breakout quote followed by an operator, comment or keyword;
// a boolean followed by a literal, a call or a comparison; an SQL function call; a statement
// keyword after `;`; UNION … SELECT; a catalog name after FROM; `/*`; a cast; a numeric start).
// ---------------------------------------------------------------------------------------------

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
/** Words after a quote that continue the statement (booleans, comparisons, clauses, statements). */
const QUOTE_NEXT = new Set([
  ...BOOL_WORDS, ...CMP_WORDS, "union", "select", "waitfor", "order", "group", "procedure", "having", "limit", "into", "insert", "replace",
  "update", "delete", "drop", "truncate", "exec", "execute", "declare", "shutdown", "create", "alter", "grant", "revoke", "call",
  "load_file", "copy", "as", "from", "where",
]);
/** Words after a number at the start of the value that continue the statement. */
/** Words that continue an expression after an operator without a call (`1-case when`, `1+select`). */
const OPERAND_WORDS = new Set(["case", "select", "if", "exists", "null", "true", "false", "current_user", "user", "version", "database", "schema"]);
const NUMBER_NEXT = new Set(["or", "and", "xor", "not", "div", "union", "waitfor", "order", "group", "procedure", "as"]);
/** Statements after `;`. */
const STATEMENT_NEXT = new Set(["desc", "describe", "drop", "truncate", "delete", "insert", "replace", "update", "exec", "execute", "declare", "shutdown", "waitfor", "create", "alter", "grant", "revoke", "set", "select", "begin", "call", "load_file", "copy"]);
/** Literal-like words after a boolean. */
const BOOL_NEXT = new Set(["null", "true", "false", "array", "select", "exists"]);
const SELECT_NEXT = new Set(["null", "all", "distinct", "distinctrow", "top", "case", "pg_sleep", "dbms_pipe.receive_message"]);
const DDL_NEXT = new Set(["table", "database", "function", "procedure", "user", "trigger", "schema", "view", "index", "login", "aggregate", "or", "role", "definer"]);
/** Function names whose call makes a hot spot. */
const FUNC_HOT = new Set([...SQL_FUNCS, ...PROBE_FUNCS, "div", "concat", "concat_ws", "substring", "substr", "mid", "find_in_set", "strcmp", "unistr", "json_extract", "pg_sleep", "make_set", "randomblob", "sqlite_compileoption_get", "sqlite_compileoption_used", "unhex", "to_char", "chr", "select", "exists", "analyse", "exec", "execute"]);

/** The character code at `i`, or -1 outside the string (an out-of-range `charCodeAt` is NaN and slows V8 down). */
function at(s: string, i: number): number {
  return i >= 0 && i < s.length ? s.charCodeAt(i) : -1;
}
function isWordCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c > 127;
}
function isLetterCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c > 127;
}
function isSpaceCode(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 160;
}
function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}
/** Skips spaces and `/*…*​/` comments (and, with `parens`, `(`), bounded. */
function skipGap(s: string, i: number, parens = false): number {
  const stop = Math.min(s.length, i + 64);
  while (i < stop) {
    const c = at(s, i);
    if (isSpaceCode(c) || (parens && c === 40)) i++;
    else if (c === 47 && at(s, i + 1) === 42) {
      const end = findWithin(s, "*/", i + 2, 64);
      if (end === -1) return i;
      i = end + 2;
    } else break;
  }
  return i;
}
/** Index of `needle` in `s` at or after `from` and before `from + limit`, or -1 (never scans further). */
function findWithin(s: string, needle: string, from: number, limit: number): number {
  const k = s.slice(from, from + limit + needle.length - 1).indexOf(needle);
  return k === -1 ? -1 : from + k;
}
/** End of the word (letters, digits, `_`, `$`, `.`) at `i`, bounded. */
function wordEnd(s: string, i: number): number {
  const stop = Math.min(s.length, i + 48);
  while (i < stop) {
    const c = at(s, i);
    if (isWordCode(c) || c === 46) i++;
    else break;
  }
  return i;
}
/** The word at `i` (letters first), or "" when none. */
function wordAt(s: string, i: number): string {
  if (i >= s.length || !isLetterCode(at(s, i))) return "";
  let w = s.slice(i, wordEnd(s, i));
  while (w.endsWith(".")) w = w.slice(0, -1);
  return w;
}
/** Is the word at `i`..`end` followed by `(` (a call)? */
function callAfter(s: string, end: number): boolean {
  return at(s, skipGap(s, end)) === 40;
}
const CMP_CHARS = "=<>!";
const OP_CHARS = "-+*/|&^%~";

/** After a comparison or an operator (at `i`): a literal, a call, a sub-select or another quote? */
function operandAt(s: string, i: number): boolean {
  const k = skipGap(s, i, true);
  const c = at(s, k);
  return c === 39 || c === 34 || c === 96 || c === 64 || c === 45 || c === 47 || isDigitCode(c) || isLetterCode(c);
}

/** After a breakout quote at `i`: something that continues the statement? */
function quoteHot(s: string, i: number): boolean {
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
      if ((c === 45 && d === 45) || (c === 47 && d === 42) || (c === 124 && d === 124) || (c === 38 && d === 38)) return true;
      if (operandAt(s, j + 1)) return true;
    }
  }
  // `waitfor delay '0:0:5'`, `into outfile '/tmp/x'`: the string a keyword takes.
  let b = i - 1;
  while (b >= 0 && b > i - 8 && isSpaceCode(at(s, b))) b--;
  const last = at(s, b);
  return b >= 3 && (last === 121 || last === 101) && (s.startsWith("delay", b - 4) || s.startsWith("time", b - 3) || s.startsWith("file", b - 3));
}

/** After a boolean ending at `e`: a literal, a call, a sub-select, or a word compared to something. */
function boolHot(s: string, e: number): boolean {
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
function startHot(s: string): boolean {
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

/**
 * Positions (ascending) where SQL could start in `lower`; empty for ordinary text. A character
 * scan in JavaScript costs far more than a regex or `indexOf`, so: quotes are judged where they
 * stand (what follows them); the other characters SQL needs (`;`, `(`, `/`, `:`, `|`, `&`, `@`,
 * `=`, `<`, `>`, `_`) and every `select` have the words around them scanned (`scanRange`);
 * prose, which has none of them, costs one regex pass and one `indexOf`.
 */
function hotSpots(lower: string): number[] {
  const out = SPOTS;
  out.length = 0;
  const n = lower.length;
  if (startHot(lower)) out.push(0);
  if (n <= SHORT && n > 0) {
    // Whole values: a catalog name, an overflow probe, `case when …`.
    const v = isSpaceCode(at(lower, 0)) || isSpaceCode(at(lower, n - 1)) ? lower.trim() : lower;
    const last = v.charCodeAt(v.length - 1);
    if (v.length <= 48 && (CATALOG_VALUES.has(v) || ((last === 46 || last === 59) && CATALOG_VALUES.has(v.slice(0, -1))))) out.push(0);
    else if (v.length <= 48 && (isDigitCode(v.charCodeAt(0)) || v.charCodeAt(0) === 45) && (OVERFLOW_NUMBERS.has(v) || MAGIC_FLOAT.test(v))) out.push(0);
    else if (v.startsWith("case")) out.push(0);
  }
  // Quotes: judged by what follows them (`indexOf` finds them faster than any scan).
  for (let i = lower.indexOf("'"); i !== -1 && out.length < 4_096; i = lower.indexOf("'", i + 1)) if (quoteHot(lower, i)) out.push(i);
  for (let i = lower.indexOf('"'); i !== -1 && out.length < 4_096; i = lower.indexOf('"', i + 1)) if (quoteHot(lower, i)) out.push(i);
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
        if ((i === 0 || !isWordCode(at(lower, i - 1)) || at(lower, i + 1) === 64) && !(i >= scanned - 24 && i < scanned)) scanned = around(lower, i, 72, 72, scanned, out);
        break;
      default:
        // `=`, `<`, `>` after a literal: a comparison a boolean may stand before (`or 1=1`, `and 'a'<>'b'`).
        if (literalBefore(lower, i) && !(i >= scanned - 24 && i < scanned)) scanned = around(lower, i, 72, 48, scanned, out);
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

/** A comment at `i` that SQL evasion uses: versioned `/*!`, hint `/*+`, empty `/**​/`, or one right next to a word (`union/*x*​/select`). */
function commentHot(s: string, i: number): boolean {
  const c = at(s, i + 2);
  if (c === 33 || c === 43 || c === 42) return true;
  if (i > 0 && isWordCode(at(s, i - 1))) return true;
  const end = findWithin(s, "*/", i + 2, 256);
  if (end === -1) return false;
  return isWordCode(at(s, end + 2)) || s.slice(i + 2, end).includes("/*!");
}

/** Before a comparison at `i` (past spaces, `)`, other comparison characters, `-`, `#`): a literal? */
function literalBefore(s: string, i: number): boolean {
  let b = i - 1;
  const low = Math.max(0, i - 24);
  while (b >= low) {
    const c = at(s, b);
    if (isSpaceCode(c) || c === 41 || c === 61 || c === 60 || c === 62 || c === 33 || c === 45 || c === 35 || c === 58) b--;
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
function underscoreHot(s: string, i: number): boolean {
  let a = i;
  const low = Math.max(0, i - 48);
  while (a > low && (isWordCode(at(s, a - 1)) || at(s, a - 1) === 46)) a--;
  while (a < i && !isLetterCode(at(s, a))) a++;
  let w = s.slice(a, wordEnd(s, i));
  while (w.endsWith(".")) w = w.slice(0, -1);
  if (w.startsWith("xp_") || w.startsWith("sp_") || w.startsWith("fn_varbintohexstr") || w.startsWith("information_schema") || w.startsWith("pg_catalog.")) return true;
  if (w.includes(".xp_") || w.includes(".sp_")) return true;
  return CATALOG_VALUES.has(w);
}

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
      if (!inWord && at(lower, i + 1) === 46 && at(lower, i + 2) === 101 && (at(lower, i + 3) === 40 || at(lower, i + 3) === 46)) out.push(i);
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

/** Words that count only as whole words (not `order`, `andrew`, `fromage`); prefixes do not need that. */
const PREFIXES = new Set(["xp_", "sp_", "union", "information_schema", "fn_varbintohexstr"]);

function spotAt(s: string, i: number, t: string): boolean {
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

/**
 * Values the tokenizer-free pre-filters of `inspect.ts` (plain words, single tokens) must still
 * hand to `detectSqli`: catalog names, overflow probes, `exec xp_cmdshell`,
 * `select pg_sleep`, `case when … then`, `password::int`, `1.e.tables`, `--sp_password`, hex
 * literals that spell text. Cheap: one trim, a few Set lookups and bounded regexes (a hex
 * literal is decoded only when it is one whole token of at most 1 KiB).
 */
export function sqliPlainValue(lower: string): boolean {
  const v = lower.trim();
  if (v.length > SHORT) return false;
  const c = v.charCodeAt(0);
  if (CATALOG_VALUES.has(v) || ((isDigitCode(c) || c === 45) && (OVERFLOW_NUMBERS.has(v) || MAGIC_FLOAT.test(v))) || v.includes("unionselect") || v.includes("--sp_password")) return true;
  // A hex literal that spells text (`0x73656c656374…`): the detector decodes it.
  if (v.startsWith("0x") && HEX_VALUE.test(v) && hexText(v) !== "") return true;
  return PLAIN_SQL.test(v);
}
const PLAIN_SQL = /\b(?:exec(?:ute)?\s{1,8}(?:xp_|sp_|master)|select\s{1,8}(?:pg_sleep|benchmark|sleep|@@|user|version|database|char)|case\s{1,8}when\s|waitfor\s{1,8}(?:delay|time)|declare\s{1,8}@|union\s{1,8}(?:all\s{1,8})?select|from\s{1,8}information_schema)|[a-z_)]::[a-z]{2,12}$|\d\.e\.[a-z_]/;

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
  if (info.empty >= 2 && /\b(?:select|union|from|where|and|or|order|concat|sleep)\b/.test(lower)) better(best, 5, "sqli-comment-obfuscation");
  if (!inner) {
    // `*/=1--`: the value closes a comment opened in another parameter (`admin'/*`) and goes on as SQL.
    const close = s.length <= SHORT ? s.indexOf("*/") : -1;
    if (close !== -1 && close < 64 && !s.slice(0, close).includes("/*")) {
      const rest = tokenize(s.slice(close + 2), QUOTE_CONTEXT_TOKENS, { versioned: false, empty: 0, comments: 0 });
      const r = afterValue(rest, 0, true, true);
      if (r.score >= 5 && rest[0]?.k !== "cmt") better(best, r.score, r.rule);
    }
    // `@v SELECT @v AS v INTO t --`: a T-SQL batch fragment that starts with a variable and is cut off.
    if (first.k === "var" && bare.length <= 32 && bare[bare.length - 1]!.k === "cmt" && statementAt(bare, skip(bare, 1, ["cmt"]), false)) better(best, 5, "sqli-stacked-query");
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
    const toks = tokenize(q + (escaped ? s.slice(0, at - 1) + "\\\\" + s.slice(at) : s), statement ? QUOTE_CONTEXT_TOKENS : MAX_TOKENS, qinfo);
    const str = toks[0];
    if (str === undefined || str.k !== "str" || str.flag) continue;
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
  return best.score > 0 ? { ruleId: best.rule, score: best.score } : null;
}
