/**
 * SQL text as SQLite sees it, without asking the engine: a tokenizer like SQLite's, statement
 * splitting with sqlite3_complete()'s state machine, parameter discovery numbered like
 * sqlite3ExprAssignVarNumber(), and the statement kind (INSERT/UPDATE/DELETE, read-only,
 * EXPLAIN, `BEGIN READONLY`) that decides what a result reports.
 */
import { HranaError } from "./errors.ts";

const MAX_SQL_VARIABLE = 32766;

// ---------------------------------------------------------------------------
// SQL lexing: statement splitting and parameter discovery
//
// The `libsql` binding exposes neither sqlite3_bind_parameter_count/name nor
// the "tail" of a prepared statement, and it *aborts the process* when an
// object of named parameters meets a nameless `?`. So we tokenize SQL the way
// SQLite's tokenizer does, split statements with sqlite3_complete()'s state
// machine (which knows about `CREATE TRIGGER ... BEGIN ...; END`), assign
// parameter indexes exactly like sqlite3ExprAssignVarNumber(), and always bind
// a plain positional array.
// ---------------------------------------------------------------------------

type TokenKind = "space" | "semi" | "word" | "quoted" | "variable" | "lparen" | "rparen" | "other";

interface Token {
  kind: TokenKind;
  start: number;
  end: number;
}

function isSpaceCode(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d;
}

function isDigitCode(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** SQLite's IdChar(): letters, digits, `_`, `$` and every non-ASCII character. */
function isIdCode(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x5f ||
    c === 0x24 ||
    c >= 0x80
  );
}

function scanQuoted(sql: string, open: number, quote: number): number {
  let i = open + 1;
  for (;;) {
    const j = sql.indexOf(String.fromCharCode(quote), i);
    if (j < 0) return sql.length;
    if (sql.charCodeAt(j + 1) === quote) {
      i = j + 2;
      continue;
    }
    return j + 1;
  }
}

/** `:name`, `@name`, `#name`, `$name` (with Tcl-style `::` and `(...)` suffixes). Returns [end, valid]. */
function scanNamedVariable(sql: string, start: number): [number, boolean] {
  let i = start + 1;
  let n = 0;
  const len = sql.length;
  while (i < len) {
    const c = sql.charCodeAt(i);
    if (isIdCode(c)) {
      n++;
      i++;
    } else if (c === 0x28 && n > 0) {
      do i++;
      while (i < len && !isSpaceCode(sql.charCodeAt(i)) && sql.charCodeAt(i) !== 0x29);
      if (i < len && sql.charCodeAt(i) === 0x29) return [i + 1, true];
      return [i, false];
    } else if (c === 0x3a && sql.charCodeAt(i + 1) === 0x3a) {
      i += 2;
    } else {
      break;
    }
  }
  return [i, n > 0];
}

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  const len = sql.length;
  let i = 0;
  while (i < len) {
    const start = i;
    const c = sql.charCodeAt(i);
    let kind: TokenKind;
    if (isSpaceCode(c)) {
      while (i < len && isSpaceCode(sql.charCodeAt(i))) i++;
      kind = "space";
    } else if (c === 0x2d && sql.charCodeAt(i + 1) === 0x2d) {
      const nl = sql.indexOf("\n", i + 2);
      i = nl < 0 ? len : nl + 1;
      kind = "space";
    } else if (c === 0x2f && sql.charCodeAt(i + 1) === 0x2a) {
      const close = sql.indexOf("*/", i + 2);
      i = close < 0 ? len : close + 2;
      kind = "space";
    } else if (c === 0x3b) {
      i++;
      kind = "semi";
    } else if (c === 0x28) {
      i++;
      kind = "lparen";
    } else if (c === 0x29) {
      i++;
      kind = "rparen";
    } else if (c === 0x27 || c === 0x22 || c === 0x60) {
      i = scanQuoted(sql, i, c);
      kind = "quoted";
    } else if (c === 0x5b) {
      const close = sql.indexOf("]", i + 1);
      i = close < 0 ? len : close + 1;
      kind = "quoted";
    } else if ((c === 0x78 || c === 0x58) && sql.charCodeAt(i + 1) === 0x27) {
      i = scanQuoted(sql, i + 1, 0x27);
      kind = "quoted";
    } else if (c === 0x3f) {
      i++;
      while (i < len && isDigitCode(sql.charCodeAt(i))) i++;
      kind = "variable";
    } else if (c === 0x3a || c === 0x40 || c === 0x23 || c === 0x24) {
      const [end, valid] = scanNamedVariable(sql, i);
      i = end;
      kind = valid ? "variable" : "other";
    } else if (isDigitCode(c) || (c === 0x2e && isDigitCode(sql.charCodeAt(i + 1)))) {
      i++;
      while (i < len) {
        const d = sql.charCodeAt(i);
        const prev = sql.charCodeAt(i - 1);
        if (isIdCode(d) || d === 0x2e) i++;
        else if ((d === 0x2b || d === 0x2d) && (prev === 0x65 || prev === 0x45)) i++;
        else break;
      }
      kind = "other";
    } else if (isIdCode(c)) {
      while (i < len && isIdCode(sql.charCodeAt(i))) i++;
      kind = "word";
    } else {
      i++;
      kind = "other";
    }
    tokens.push({ kind, start, end: i });
  }
  return tokens;
}

// sqlite3_complete() state machine. Token classes:
const TK_SEMI = 0;
const TK_WS = 1;
const TK_OTHER = 2;
const TK_EXPLAIN = 3;
const TK_CREATE = 4;
const TK_TEMP = 5;
const TK_TRIGGER = 6;
const TK_END = 7;
// States: 0 INVALID, 1 START, 2 NORMAL, 3 EXPLAIN, 4 CREATE, 5 TRIGGER, 6 SEMI, 7 END
const COMPLETE_TRANS: readonly (readonly number[])[] = [
  /* 0 INVALID */ [1, 0, 2, 3, 4, 2, 2, 2],
  /* 1 START   */ [1, 1, 2, 3, 4, 2, 2, 2],
  /* 2 NORMAL  */ [1, 2, 2, 2, 2, 2, 2, 2],
  /* 3 EXPLAIN */ [1, 3, 3, 2, 4, 2, 2, 2],
  /* 4 CREATE  */ [1, 4, 2, 2, 2, 4, 5, 2],
  /* 5 TRIGGER */ [6, 5, 5, 5, 5, 5, 5, 5],
  /* 6 SEMI    */ [6, 6, 5, 5, 5, 5, 5, 7],
  /* 7 END     */ [1, 7, 5, 5, 5, 5, 5, 5],
];

function tokenClass(sql: string, t: Token): number {
  switch (t.kind) {
    case "space":
      return TK_WS;
    case "semi":
      return TK_SEMI;
    case "word":
      switch (sql.slice(t.start, t.end).toUpperCase()) {
        case "EXPLAIN":
          return TK_EXPLAIN;
        case "CREATE":
          return TK_CREATE;
        case "TEMP":
        case "TEMPORARY":
          return TK_TEMP;
        case "TRIGGER":
          return TK_TRIGGER;
        case "END":
          return TK_END;
        default:
          return TK_OTHER;
      }
    default:
      return TK_OTHER;
  }
}

export interface ParsedStatement {
  /** Statement text (without the terminating semicolon). */
  sql: string;
  /** Number of SQL parameters (sqlite3_bind_parameter_count). */
  paramCount: number;
  /** Name of each parameter, index 0 = parameter 1 (sqlite3_bind_parameter_name); null for `?`. */
  paramNames: Array<string | null>;
  /** Parameter error detected while lexing (e.g. `?0`), reported like SQLite would. */
  paramError: string | undefined;
  isExplain: boolean;
  isInsert: boolean;
  /** INSERT / REPLACE / UPDATE / DELETE: the statement kinds for which sqld reports affected_row_count. */
  isIud: boolean;
  isReadonly: boolean;
  /** `BEGIN [TRANSACTION] READONLY` (libSQL extension, sent by client.transaction("read")). */
  isBeginReadonly: boolean;
}

function analyzeStatement(sql: string, tokens: Token[]): ParsedStatement {
  const first = tokens[0];
  const last = tokens[tokens.length - 1];
  const text = first !== undefined && last !== undefined ? sql.slice(first.start, last.end) : "";

  // Parameters, numbered like sqlite3ExprAssignVarNumber().
  let paramCount = 0;
  const paramNames: Array<string | null> = [];
  const byName = new Map<string, number>();
  let paramError: string | undefined;
  for (const t of tokens) {
    if (t.kind !== "variable") continue;
    const name = sql.slice(t.start, t.end);
    if (name === "?") {
      paramCount++;
      continue;
    }
    if (name.startsWith("?")) {
      const n = Number(name.slice(1));
      if (!Number.isInteger(n) || n < 1 || n > MAX_SQL_VARIABLE) {
        paramError ??= `variable number must be between ?1 and ?${MAX_SQL_VARIABLE}`;
        continue;
      }
      if (n > paramCount) paramCount = n;
      if (!byName.has(name)) byName.set(name, n);
      paramNames[n - 1] ??= name;
      continue;
    }
    if (!byName.has(name)) {
      paramCount++;
      byName.set(name, paramCount);
      paramNames[paramCount - 1] = name;
    }
  }
  const names: Array<string | null> = [];
  for (let i = 0; i < paramCount; i++) names.push(paramNames[i] ?? null);

  // Statement kind from the leading keyword(s).
  const words: string[] = [];
  let depth = 0;
  let verb: string | undefined;
  for (const t of tokens) {
    if (t.kind === "lparen") depth++;
    else if (t.kind === "rparen") depth = Math.max(0, depth - 1);
    else if (t.kind === "word") {
      const w = sql.slice(t.start, t.end).toUpperCase();
      if (words.length < 1) words.push(w);
      if (words[0] !== "WITH") break;
      if (depth === 0 && ["SELECT", "VALUES", "INSERT", "REPLACE", "UPDATE", "DELETE"].includes(w)) {
        verb = w;
        break;
      }
    }
  }
  const lead = words[0] ?? "";
  if (lead !== "WITH") verb = lead;
  const isExplain = lead === "EXPLAIN";
  const isInsert = verb === "INSERT" || verb === "REPLACE";
  const isIud = isInsert || verb === "UPDATE" || verb === "DELETE";
  const hasEquals = tokens.some((t) => t.kind === "other" && sql.charCodeAt(t.start) === 0x3d);
  const isReadonly =
    isExplain ||
    verb === "SELECT" ||
    verb === "VALUES" ||
    ["BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"].includes(lead) ||
    (lead === "PRAGMA" && !hasEquals);

  const isBeginReadonly =
    lead === "BEGIN" && tokens.some((t) => t.kind === "word" && sql.slice(t.start, t.end).toUpperCase() === "READONLY");

  return {
    sql: text,
    paramCount,
    paramNames: names,
    paramError,
    isExplain,
    isInsert,
    isIud,
    isReadonly,
    isBeginReadonly,
  };
}

/** Splits SQL into its non-empty statements. */
function parseSql(sql: string): ParsedStatement[] {
  const tokens = tokenize(sql);
  const statements: ParsedStatement[] = [];
  let current: Token[] = [];
  let state = 0;
  const flush = (): void => {
    // trim leading/trailing whitespace & comments
    let a = 0;
    let b = current.length;
    while (a < b && current[a]?.kind === "space") a++;
    while (b > a && current[b - 1]?.kind === "space") b--;
    if (b > a) statements.push(analyzeStatement(sql, current.slice(a, b)));
    current = [];
  };
  for (const t of tokens) {
    const next = COMPLETE_TRANS[state]?.[tokenClass(sql, t)] ?? 2;
    if (t.kind === "semi" && next === 1) {
      flush();
    } else {
      current.push(t);
    }
    state = next;
  }
  flush();
  return statements;
}

const parseCache = new Map<string, ParsedStatement[]>();
const PARSE_CACHE_MAX = 1000;

export function parseSqlCached(sql: string): ParsedStatement[] {
  const hit = parseCache.get(sql);
  if (hit !== undefined) return hit;
  const parsed = parseSql(sql);
  if (sql.length <= 16_384) {
    if (parseCache.size >= PARSE_CACHE_MAX) parseCache.clear();
    parseCache.set(sql, parsed);
  }
  return parsed;
}

export function parseSingleStatement(sql: string): ParsedStatement {
  const statements = parseSqlCached(sql);
  const [first] = statements;
  if (first === undefined) throw new HranaError("SQL string does not contain any statement", "SQL_NO_STATEMENT");
  if (statements.length > 1) throw new HranaError("SQL string contains more than one statement", "SQL_MANY_STATEMENTS");
  return first;
}
