/**
 * Local libSQL server speaking Hrana over HTTP (the protocol used by
 * `@libsql/client/web` and by `@libsql/client` with an `http://` URL).
 *
 * Dev infrastructure only: in production the Worker talks to Turso (sqld);
 * locally it talks to this, backed by the real libSQL engine from the `libsql`
 * npm package (so F32_BLOB, libsql_vector_idx, vector_top_k, ... all work).
 *
 * Endpoints:
 *   GET  /health                 200 (readiness)
 *   GET  /, /v2, /v3             200 (version probes)
 *   GET  /v3-protobuf, ...       404 (protobuf is not implemented; the client falls back to JSON v2)
 *   POST /v2/pipeline, /v3/pipeline
 *   POST /v3/cursor              NDJSON stream (first line: {baton, base_url}, then cursor entries)
 *
 * Semantics follow sqld (libsql-server) where the client can observe them:
 * - every stream owns its own SQLite connection, so interactive transactions
 *   spanning several HTTP requests are isolated from other streams;
 * - a fresh baton is handed out on every response; the previous one becomes
 *   invalid; idle streams expire after 10 s (rolling back open transactions);
 * - SQLite errors are returned as Hrana errors `{message, code}` (code = the
 *   primary SQLite result code name, e.g. `SQLITE_CONSTRAINT`, like sqld);
 * - `affected_row_count` is only reported for INSERT/UPDATE/DELETE and
 *   `last_insert_rowid` only for INSERT (like sqld);
 * - an `execute` whose SQL holds several statements fails with
 *   SQL_MANY_STATEMENTS (like sqld) instead of silently running the first.
 *
 * SQLITE_BUSY is handled by waiting *asynchronously* (up to 5 s) instead of
 * with SQLite's busy_timeout: the engine API is synchronous, so an in-engine
 * busy wait would block the event loop - and with it the very stream that
 * holds the lock and is about to COMMIT. Retrying a statement that failed with
 * SQLITE_BUSY is safe: SQLite guarantees a failed statement has no effect.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { dirname, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "libsql";

export interface LibsqlServerOptions {
  dbPath: string;
  /** default 127.0.0.1 */
  host?: string;
  /** 0 (default) = pick a free port */
  port?: number;
  /** if set, require `Authorization: Bearer <token>`, else 401 */
  authToken?: string;
  log?: (line: string) => void;
}

export interface RunningService {
  url: string;
  port: number;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Tunables
// ---------------------------------------------------------------------------

const MAX_BODY_BYTES = 10 * 1024 * 1024;
/**
 * After answering 413 the rest of the upload is read and discarded (closing the socket while the
 * client is still sending makes the kernel reset the connection, and the client may never see
 * the 413). Past this many discarded bytes the connection is dropped anyway.
 */
const MAX_DISCARD_BYTES = 64 * 1024 * 1024;
/** Streams idle for longer than this are closed (sqld uses 10 s as well). */
const STREAM_IDLE_MS = 10_000;
/** Expired streams are remembered this long to report STREAM_EXPIRED instead of BATON_INVALID. */
const EXPIRED_MEMORY_MS = 5 * 60_000;
const SWEEP_INTERVAL_MS = 500;
/** How long a statement keeps retrying while the database is locked by another connection. */
const BUSY_WAIT_MS = 5_000;
const MAX_SQL_VARIABLE = 32766;

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/** An error returned to the client inside the protocol (`{type: "error", error}`). */
class HranaError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.code = code;
  }
}

/** The request as a whole is unacceptable: answered with an HTTP error and a JSON `{message, code}` body. */
class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, message: string, code: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function protocolError(message: string): HttpError {
  return new HttpError(400, message, "PROTOCOL_ERROR");
}

const SQLITE_PRIMARY_CODES: readonly string[] = [
  "SQLITE_OK", "SQLITE_ERROR", "SQLITE_INTERNAL", "SQLITE_PERM", "SQLITE_ABORT", "SQLITE_BUSY",
  "SQLITE_LOCKED", "SQLITE_NOMEM", "SQLITE_READONLY", "SQLITE_INTERRUPT", "SQLITE_IOERR",
  "SQLITE_CORRUPT", "SQLITE_NOTFOUND", "SQLITE_FULL", "SQLITE_CANTOPEN", "SQLITE_PROTOCOL",
  "SQLITE_EMPTY", "SQLITE_SCHEMA", "SQLITE_TOOBIG", "SQLITE_CONSTRAINT", "SQLITE_MISMATCH",
  "SQLITE_MISUSE", "SQLITE_NOLFS", "SQLITE_AUTH", "SQLITE_FORMAT", "SQLITE_RANGE", "SQLITE_NOTADB",
  "SQLITE_NOTICE", "SQLITE_WARNING",
];
const SQLITE_BUSY = 5;
const SQLITE_BUSY_SNAPSHOT = 517;

function errorProp(e: unknown, key: string): unknown {
  return typeof e === "object" && e !== null ? (e as Record<string, unknown>)[key] : undefined;
}

function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** Primary code name (`SQLITE_CONSTRAINT`) from a libsql error (`code: "SQLITE_CONSTRAINT_PRIMARYKEY", rawCode: 1555`). */
function sqliteCodeOf(e: unknown): string | undefined {
  const raw = errorProp(e, "rawCode");
  if (typeof raw === "number" && Number.isInteger(raw) && raw > 0) {
    const primary = SQLITE_PRIMARY_CODES[raw & 0xff];
    if (primary !== undefined) return primary;
  }
  const code = errorProp(e, "code");
  if (typeof code === "string" && code.startsWith("SQLITE_")) {
    let best: string | undefined;
    for (const name of SQLITE_PRIMARY_CODES) {
      if ((code === name || code.startsWith(`${name}_`)) && (best === undefined || name.length > best.length)) {
        best = name;
      }
    }
    return best ?? code;
  }
  return undefined;
}

function toHranaError(e: unknown): HranaError {
  if (e instanceof HranaError) return e;
  return new HranaError(errorMessage(e), sqliteCodeOf(e) ?? "SQLITE_UNKNOWN");
}

function isBusy(e: unknown): boolean {
  const raw = errorProp(e, "rawCode");
  if (typeof raw === "number") return (raw & 0xff) === SQLITE_BUSY;
  const code = errorProp(e, "code");
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}

/** SQLITE_BUSY_SNAPSHOT cannot succeed on retry (the transaction's snapshot is stale). */
function isRetryableBusy(e: unknown): boolean {
  return isBusy(e) && errorProp(e, "rawCode") !== SQLITE_BUSY_SNAPSHOT && errorProp(e, "code") !== "SQLITE_BUSY_SNAPSHOT";
}

// ---------------------------------------------------------------------------
// Protocol structures (parsed & validated request side)
// ---------------------------------------------------------------------------

type SqlValue = null | bigint | number | string | Buffer;

interface ProtoStmt {
  sql: string | undefined;
  sqlId: number | undefined;
  args: SqlValue[];
  namedArgs: Array<{ name: string; value: SqlValue }>;
  wantRows: boolean;
}

type ProtoCond =
  | { type: "ok" | "error"; step: number }
  | { type: "not"; cond: ProtoCond }
  | { type: "and" | "or"; conds: ProtoCond[] }
  | { type: "is_autocommit" };

interface ProtoBatchStep {
  condition: ProtoCond | undefined;
  stmt: ProtoStmt;
}

type StreamRequest =
  | { type: "close" }
  | { type: "execute"; stmt: ProtoStmt }
  | { type: "batch"; steps: ProtoBatchStep[] }
  | { type: "sequence"; sql: string | undefined; sqlId: number | undefined }
  | { type: "describe"; sql: string | undefined; sqlId: number | undefined }
  | { type: "store_sql"; sqlId: number; sql: string }
  | { type: "close_sql"; sqlId: number }
  | { type: "get_autocommit" };

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function expectObject(v: unknown, what: string): JsonObject {
  if (!isObject(v)) throw protocolError(`Expected ${what} to be an object`);
  return v;
}

function expectArray(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw protocolError(`Expected ${what} to be an array`);
  return v;
}

function optArray(v: unknown, what: string): unknown[] {
  return v === undefined || v === null ? [] : expectArray(v, what);
}

function expectString(v: unknown, what: string): string {
  if (typeof v !== "string") throw protocolError(`Expected ${what} to be a string`);
  return v;
}

function optString(v: unknown, what: string): string | undefined {
  return v === undefined || v === null ? undefined : expectString(v, what);
}

function expectInt32(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
    throw protocolError(`Expected ${what} to be a 32-bit integer`);
  }
  return v;
}

function optInt32(v: unknown, what: string): number | undefined {
  return v === undefined || v === null ? undefined : expectInt32(v, what);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const BASE64_RE = /^[A-Za-z0-9+/\-_]*={0,2}$/;

function parseValue(v: unknown, what: string): SqlValue {
  const o = expectObject(v, what);
  const type = o["type"];
  switch (type) {
    case "null":
      return null;
    case "integer": {
      const raw = o["value"];
      let n: bigint;
      if (typeof raw === "string" && /^[+-]?\d+$/.test(raw.trim())) n = BigInt(raw.trim());
      else if (typeof raw === "number" && Number.isSafeInteger(raw)) n = BigInt(raw);
      else throw protocolError(`Expected ${what}.value to be an integer encoded as a string`);
      if (n < INT64_MIN || n > INT64_MAX) throw protocolError(`Integer ${what}.value is out of the 64-bit range`);
      return n;
    }
    case "float": {
      const raw = o["value"];
      if (typeof raw !== "number") throw protocolError(`Expected ${what}.value to be a number`);
      return raw;
    }
    case "text":
      return expectString(o["value"], `${what}.value`);
    case "blob": {
      const b64 = expectString(o["base64"], `${what}.base64`);
      if (!BASE64_RE.test(b64)) throw protocolError(`Expected ${what}.base64 to be base64`);
      return Buffer.from(b64, "base64");
    }
    default:
      throw protocolError(`Unknown value type ${JSON.stringify(type)} in ${what}`);
  }
}

function checkSqlSource(sql: string | undefined, sqlId: number | undefined, what: string): void {
  if (sql !== undefined && sqlId !== undefined) throw protocolError(`${what}: only one of "sql" and "sql_id" may be given`);
  if (sql === undefined && sqlId === undefined) throw protocolError(`${what}: one of "sql" and "sql_id" is required`);
}

function parseStmt(v: unknown, what: string): ProtoStmt {
  const o = expectObject(v, what);
  const sql = optString(o["sql"], `${what}.sql`);
  const sqlId = optInt32(o["sql_id"], `${what}.sql_id`);
  checkSqlSource(sql, sqlId, what);
  const args = optArray(o["args"], `${what}.args`).map((a, i) => parseValue(a, `${what}.args[${i}]`));
  const namedArgs = optArray(o["named_args"], `${what}.named_args`).map((a, i) => {
    const na = expectObject(a, `${what}.named_args[${i}]`);
    return {
      name: expectString(na["name"], `${what}.named_args[${i}].name`),
      value: parseValue(na["value"], `${what}.named_args[${i}].value`),
    };
  });
  const wantRowsRaw = o["want_rows"];
  if (wantRowsRaw !== undefined && wantRowsRaw !== null && typeof wantRowsRaw !== "boolean") {
    throw protocolError(`Expected ${what}.want_rows to be a boolean`);
  }
  return { sql, sqlId, args, namedArgs, wantRows: wantRowsRaw !== false };
}

function parseCond(v: unknown, what: string, stepIndex: number): ProtoCond {
  const o = expectObject(v, what);
  const type = o["type"];
  switch (type) {
    case "ok":
    case "error": {
      const step = o["step"];
      if (typeof step !== "number" || !Number.isInteger(step) || step < 0 || step >= stepIndex) {
        throw protocolError(`${what}: condition refers to step ${String(step)}, which is not an earlier step`);
      }
      return { type, step };
    }
    case "not":
      return { type, cond: parseCond(o["cond"], `${what}.cond`, stepIndex) };
    case "and":
    case "or":
      return {
        type,
        conds: expectArray(o["conds"], `${what}.conds`).map((c, i) => parseCond(c, `${what}.conds[${i}]`, stepIndex)),
      };
    case "is_autocommit":
      return { type };
    default:
      throw protocolError(`Unknown condition type ${JSON.stringify(type)} in ${what}`);
  }
}

function parseBatch(v: unknown, what: string): ProtoBatchStep[] {
  const o = expectObject(v, what);
  return expectArray(o["steps"], `${what}.steps`).map((s, i) => {
    const step = expectObject(s, `${what}.steps[${i}]`);
    const condRaw = step["condition"];
    return {
      condition: condRaw === undefined || condRaw === null ? undefined : parseCond(condRaw, `${what}.steps[${i}].condition`, i),
      stmt: parseStmt(step["stmt"], `${what}.steps[${i}].stmt`),
    };
  });
}

function parseStreamRequest(v: unknown, what: string): StreamRequest {
  const o = expectObject(v, what);
  const type = o["type"];
  switch (type) {
    case "close":
    case "get_autocommit":
      return { type };
    case "execute":
      return { type, stmt: parseStmt(o["stmt"], `${what}.stmt`) };
    case "batch":
      return { type, steps: parseBatch(o["batch"], `${what}.batch`) };
    case "sequence":
    case "describe": {
      const sql = optString(o["sql"], `${what}.sql`);
      const sqlId = optInt32(o["sql_id"], `${what}.sql_id`);
      checkSqlSource(sql, sqlId, what);
      return { type, sql, sqlId };
    }
    case "store_sql":
      return { type, sqlId: expectInt32(o["sql_id"], `${what}.sql_id`), sql: expectString(o["sql"], `${what}.sql`) };
    case "close_sql":
      return { type, sqlId: expectInt32(o["sql_id"], `${what}.sql_id`) };
    default:
      throw protocolError(`Unknown stream request type ${JSON.stringify(type)} in ${what}`);
  }
}

function parseBaton(v: unknown): string | undefined {
  return optString(v, "baton");
}

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
    (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x24 || c >= 0x80
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

interface ParsedStatement {
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

  return { sql: text, paramCount, paramNames: names, paramError, isExplain, isInsert, isIud, isReadonly, isBeginReadonly };
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

function parseSqlCached(sql: string): ParsedStatement[] {
  const hit = parseCache.get(sql);
  if (hit !== undefined) return hit;
  const parsed = parseSql(sql);
  if (sql.length <= 16_384) {
    if (parseCache.size >= PARSE_CACHE_MAX) parseCache.clear();
    parseCache.set(sql, parsed);
  }
  return parsed;
}

function parseSingleStatement(sql: string): ParsedStatement {
  const statements = parseSqlCached(sql);
  const [first] = statements;
  if (first === undefined) throw new HranaError("SQL string does not contain any statement", "SQL_NO_STATEMENT");
  if (statements.length > 1) throw new HranaError("SQL string contains more than one statement", "SQL_MANY_STATEMENTS");
  return first;
}

/**
 * Builds the positional bind array. Semantics follow the Hrana spec / sqld:
 * a named parameter takes its value from `named_args` (matching `:a`, or `a`
 * with the prefix guessed), otherwise from `args` by its index; every
 * parameter must get a value and every argument must be used.
 */
function bindArgs(stmt: ParsedStatement, args: SqlValue[], namedArgs: Array<{ name: string; value: SqlValue }>): SqlValue[] {
  const invalid = (msg: string): HranaError => new HranaError(`Arguments do not match SQL parameters: ${msg}`, "ARGS_INVALID");
  if (stmt.paramError !== undefined) throw new HranaError(stmt.paramError, "SQLITE_ERROR");
  if (args.length > stmt.paramCount) {
    throw invalid(`too many parameters, expected ${stmt.paramCount} found ${args.length}`);
  }
  const named = new Map<string, SqlValue>();
  for (const { name, value } of namedArgs) named.set(name, value);
  const usedNames = new Set<string>();
  const values: SqlValue[] = [];
  for (let index = 1; index <= stmt.paramCount; index++) {
    const name = stmt.paramNames[index - 1] ?? null;
    let value: SqlValue | undefined;
    if (name !== null) {
      // `:a` matches "a" or ":a"; `?3` matches "3" or "?3" (an extension; sqld binds ?NNN only by position)
      for (const key of [name, name.slice(1)]) {
        if (named.has(key)) {
          value = named.get(key);
          usedNames.add(key);
          break;
        }
      }
    }
    if (value === undefined && index <= args.length) value = args[index - 1];
    if (value === undefined) {
      if (stmt.isExplain) value = null;
      else throw invalid(`value for parameter ${name ?? index} not found`);
    }
    values.push(value);
  }
  for (const { name } of namedArgs) {
    if (!usedNames.has(name)) throw invalid(`the SQL statement has no parameter named ${JSON.stringify(name)}`);
  }
  return values;
}

// ---------------------------------------------------------------------------
// Result encoding
// ---------------------------------------------------------------------------

const rawJSON = (JSON as unknown as { rawJSON?: (text: string) => unknown }).rawJSON;

function encodeValue(v: unknown): JsonObject {
  if (v === null || v === undefined) return { type: "null" };
  if (typeof v === "bigint") return { type: "integer", value: v.toString() };
  if (typeof v === "number") {
    if (Number.isFinite(v)) return { type: "float", value: v };
    if (Number.isNaN(v)) return { type: "null" };
    // JSON has no Infinity; 1e999 parses back to Infinity in every JS engine.
    return { type: "float", value: rawJSON !== undefined ? rawJSON(v > 0 ? "1e999" : "-1e999") : v > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE };
  }
  if (typeof v === "string") return { type: "text", value: v };
  if (v instanceof Uint8Array) return { type: "blob", base64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") };
  if (v instanceof ArrayBuffer) return { type: "blob", base64: Buffer.from(v).toString("base64") }; // newer libsql builds
  if (typeof v === "boolean") return { type: "integer", value: v ? "1" : "0" };
  return { type: "text", value: String(v) };
}

interface Col {
  name: string | null;
  decltype: string | null;
}

interface StmtResult {
  cols: Col[];
  rows: JsonObject[][];
  affected_row_count: number;
  last_insert_rowid: string | null;
  replication_index: null;
  rows_read: number;
  rows_written: number;
  query_duration_ms: number;
}

// ---------------------------------------------------------------------------
// Streams
// ---------------------------------------------------------------------------

type Db = Database.Database;

class HranaStream {
  readonly id: string;
  db: Db | undefined;
  readonly sqls = new Map<number, string>();
  /** Secret part of the currently valid baton; undefined while a request holds the stream. */
  nonce: string | undefined;
  lastUsed = Date.now();
  /** Number of requests currently using the stream (never expired while > 0). */
  busy = 0;
  /** Inside `BEGIN READONLY`: `PRAGMA query_only` is on until the transaction ends. */
  readOnlyTx = false;
  #tail: Promise<void> = Promise.resolve();

  constructor(id: string, db: Db) {
    this.id = id;
    this.db = db;
  }

  /** Runs `fn` after every earlier holder of the stream has finished (requests on a stream are serial). */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.#tail;
    let release = (): void => undefined;
    this.#tail = new Promise<void>((r) => {
      release = r;
    });
    try {
      await previous;
      return await fn();
    } finally {
      release();
    }
  }

  connection(): Db {
    if (this.db === undefined) throw new HranaError("The stream has been closed", "STREAM_CLOSED");
    return this.db;
  }

  /** Closes the connection; SQLite rolls back any open transaction. Returns whether one was open. */
  closeDb(): boolean {
    const db = this.db;
    this.db = undefined;
    if (db === undefined) return false;
    let hadTransaction = false;
    try {
      hadTransaction = db.inTransaction;
      if (hadTransaction) db.exec("ROLLBACK");
    } catch {
      // closing below rolls back anyway
    }
    try {
      db.close();
    } catch {
      // already closed
    }
    return hadTransaction;
  }
}

function newToken(bytes: number): string {
  return randomBytes(bytes).toString("base64url");
}

function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

// ---------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------

export async function startLibsqlServer(opts: LibsqlServerOptions): Promise<RunningService> {
  if (typeof opts.dbPath !== "string" || opts.dbPath === "" || opts.dbPath === ":memory:" || opts.dbPath.startsWith("file::memory:")) {
    throw new Error("startLibsqlServer: dbPath must be a database file path (each stream opens its own connection, so :memory: cannot be shared)");
  }
  const dbPath = resolve(opts.dbPath);
  const host = opts.host ?? "127.0.0.1";
  const log = opts.log;
  const authToken = opts.authToken;

  mkdirSync(dirname(dbPath), { recursive: true });

  // The anchor connection enables WAL (persistent in the file) and stays open for the server's
  // lifetime so the WAL/shm files are not torn down and rebuilt by every short-lived stream.
  const anchor = new Database(dbPath);
  try {
    anchor.prepare("PRAGMA journal_mode = WAL").raw(true).all();
  } catch (e) {
    anchor.close();
    throw e;
  }

  const streams = new Map<string, HranaStream>();
  const expired = new Map<string, number>();
  let closing = false;

  function openConnection(): Db {
    const db = new Database(dbPath);
    try {
      db.defaultSafeIntegers(true);
      // Busy waits happen asynchronously in withBusyRetry(); an in-engine wait would block the event loop.
      db.exec("PRAGMA busy_timeout = 0");
    } catch (e) {
      db.close();
      throw e;
    }
    return db;
  }

  async function withBusyRetry<T>(fn: () => T): Promise<T> {
    const deadline = Date.now() + BUSY_WAIT_MS;
    let delay = 1;
    for (;;) {
      try {
        return fn();
      } catch (e) {
        if (!isRetryableBusy(e) || closing || Date.now() >= deadline) throw e;
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 25);
    }
  }

  // -- statement execution ---------------------------------------------------

  /**
   * Runs one statement, waiting (asynchronously) while the database is locked.
   *
   * Retries re-run the *same* prepared statement: libsql resets a statement only when it is run
   * again (it has no reset()), and a statement that failed with SQLITE_BUSY stays active until
   * then - an active write statement keeps later autocommit writes on the connection from
   * committing (they would be silently rolled back when the stream closes).
   */
  async function execStatement(stream: HranaStream, stmt: ParsedStatement, values: SqlValue[], wantRows: boolean): Promise<StmtResult> {
    const db = stream.connection();
    const started = performance.now();
    try {
      const prepared = await withBusyRetry(() => db.prepare(stmt.sql));
      const result = await withBusyRetry(() => runPrepared(db, prepared, stmt, values, wantRows, started));
      if (stmt.isBeginReadonly && db.inTransaction) {
        // The engine accepts BEGIN READONLY but does not enforce it; sqld (and the client docs) do.
        db.exec("PRAGMA query_only = 1");
        stream.readOnlyTx = true;
      }
      return result;
    } catch (e) {
      if (isBusy(e)) recoverFromBusy(stream);
      throw toHranaError(e);
    } finally {
      if (stream.readOnlyTx && stream.db === db && !db.inTransaction) {
        stream.readOnlyTx = false;
        try {
          db.exec("PRAGMA query_only = 0");
        } catch {
          // connection unusable; later requests will report it
        }
      }
    }
  }

  /**
   * After giving up on SQLITE_BUSY the failed statement is still active (see execStatement).
   * Outside an explicit transaction nothing is lost by swapping in a fresh connection, so do that;
   * inside one, the client is expected to ROLLBACK (which SQLite allows with active statements).
   */
  function recoverFromBusy(stream: HranaStream): void {
    const db = stream.db;
    if (db === undefined || closing) return;
    try {
      if (db.inTransaction) return;
      stream.db = openConnection();
      stream.readOnlyTx = false;
    } catch {
      return;
    }
    try {
      db.close();
    } catch {
      // ignore
    }
  }

  function runPrepared(db: Db, prepared: Database.Statement, stmt: ParsedStatement, values: SqlValue[], wantRows: boolean, started: number): StmtResult {
    const cols: Col[] = prepared.columns().map((c) => ({ name: c.name, decltype: c.type ?? null }));
    const rows: JsonObject[][] = [];
    let rowsRead = 0;
    if (prepared.reader) {
      prepared.raw(true);
      prepared.safeIntegers(true);
      for (const row of prepared.iterate(values)) {
        rowsRead++;
        if (wantRows && Array.isArray(row)) rows.push(row.map(encodeValue));
      }
    } else {
      prepared.run(values);
    }
    let affected = 0;
    let lastInsertRowid: string | null = null;
    if (stmt.isIud || stmt.isInsert) {
      // .all() (not .get()): a statement left mid-iteration would pin a read snapshot.
      const [meta] = db.prepare("SELECT changes(), last_insert_rowid()").raw(true).safeIntegers(true).all();
      if (Array.isArray(meta)) {
        if (stmt.isIud) affected = Number(meta[0]);
        if (stmt.isInsert) lastInsertRowid = String(meta[1]);
      }
    }
    return {
      cols,
      rows,
      affected_row_count: affected,
      last_insert_rowid: lastInsertRowid,
      replication_index: null,
      rows_read: rowsRead,
      rows_written: affected,
      query_duration_ms: performance.now() - started,
    };
  }

  function resolveSql(stream: HranaStream, sql: string | undefined, sqlId: number | undefined): string {
    if (sql !== undefined) return sql;
    const stored = sqlId === undefined ? undefined : stream.sqls.get(sqlId);
    if (stored === undefined) throw new HranaError(`SQL text with id ${String(sqlId)} has not been stored on this stream`, "SQL_NOT_FOUND");
    return stored;
  }

  /** Executes one Hrana statement; throws HranaError. */
  async function executeStmt(stream: HranaStream, ps: ProtoStmt): Promise<StmtResult> {
    stream.connection();
    const stmt = parseSingleStatement(resolveSql(stream, ps.sql, ps.sqlId));
    const values = bindArgs(stmt, ps.args, ps.namedArgs);
    return execStatement(stream, stmt, values, ps.wantRows);
  }

  type StepOutcome = "ok" | "error" | "skipped";

  function evalCond(cond: ProtoCond, outcomes: StepOutcome[], db: Db): boolean {
    switch (cond.type) {
      case "ok":
        return outcomes[cond.step] === "ok";
      case "error":
        return outcomes[cond.step] === "error";
      case "not":
        return !evalCond(cond.cond, outcomes, db);
      case "and":
        return cond.conds.every((c) => evalCond(c, outcomes, db));
      case "or":
        return cond.conds.some((c) => evalCond(c, outcomes, db));
      case "is_autocommit":
        return !db.inTransaction;
    }
  }

  type StepEvent =
    | { kind: "ok"; step: number; result: StmtResult }
    | { kind: "error"; step: number; error: HranaError }
    | { kind: "skipped"; step: number };

  /** Runs a batch, reporting each step as it completes. */
  async function runBatch(stream: HranaStream, steps: ProtoBatchStep[], onStep: (e: StepEvent) => Promise<void> | void): Promise<void> {
    const outcomes: StepOutcome[] = [];
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i];
      if (step === undefined) break;
      const db = stream.connection();
      if (step.condition !== undefined && !evalCond(step.condition, outcomes, db)) {
        outcomes.push("skipped");
        await onStep({ kind: "skipped", step: i });
        continue;
      }
      try {
        const result = await executeStmt(stream, step.stmt);
        outcomes.push("ok");
        await onStep({ kind: "ok", step: i, result });
      } catch (e) {
        outcomes.push("error");
        await onStep({ kind: "error", step: i, error: toHranaError(e) });
      }
    }
  }

  async function handleStreamRequest(stream: HranaStream, req: StreamRequest): Promise<JsonObject> {
    switch (req.type) {
      case "close": {
        if (stream.closeDb()) log?.(`stream ${stream.id.slice(0, 8)} closed with an open transaction (rolled back)`);
        return { type: "close" };
      }
      case "execute":
        return { type: "execute", result: await executeStmt(stream, req.stmt) };
      case "batch": {
        const stepResults: Array<StmtResult | null> = [];
        const stepErrors: Array<JsonObject | null> = [];
        await runBatch(stream, req.steps, (e) => {
          stepResults.push(e.kind === "ok" ? e.result : null);
          stepErrors.push(e.kind === "error" ? { message: e.error.message, code: e.error.code } : null);
        });
        return { type: "batch", result: { step_results: stepResults, step_errors: stepErrors, replication_index: null } };
      }
      case "sequence": {
        stream.connection();
        const statements = parseSqlCached(resolveSql(stream, req.sql, req.sqlId));
        for (const stmt of statements) {
          await execStatement(stream, stmt, bindArgs(stmt, [], []), false);
        }
        return { type: "sequence" };
      }
      case "describe": {
        const db = stream.connection();
        const stmt = parseSingleStatement(resolveSql(stream, req.sql, req.sqlId));
        let cols: Array<{ name: string; decltype: string | null }>;
        try {
          cols = (await withBusyRetry(() => db.prepare(stmt.sql).columns())).map((c) => ({ name: c.name, decltype: c.type ?? null }));
        } catch (e) {
          throw toHranaError(e);
        }
        return {
          type: "describe",
          result: {
            params: stmt.paramNames.map((name) => ({ name })),
            cols,
            is_explain: stmt.isExplain,
            is_readonly: stmt.isReadonly,
          },
        };
      }
      case "store_sql": {
        stream.connection();
        if (stream.sqls.has(req.sqlId)) throw new HranaError(`SQL text with id ${req.sqlId} is already stored`, "SQL_STORE_EXISTS");
        stream.sqls.set(req.sqlId, req.sql);
        return { type: "store_sql" };
      }
      case "close_sql":
        stream.sqls.delete(req.sqlId);
        return { type: "close_sql" };
      case "get_autocommit":
        return { type: "get_autocommit", is_autocommit: !stream.connection().inTransaction };
    }
  }

  // -- stream lifecycle -------------------------------------------------------

  /** Takes the stream named by the baton (invalidating the baton) or opens a new stream. */
  function acquireStream(baton: string | undefined): HranaStream {
    if (closing) throw new HttpError(503, "The server is shutting down", "SERVER_CLOSING");
    if (baton === undefined) {
      let db: Db;
      try {
        db = openConnection();
      } catch (e) {
        throw new HttpError(500, `Could not open a database connection: ${errorMessage(e)}`, "INTERNAL_ERROR");
      }
      let id = newToken(16);
      while (streams.has(id)) id = newToken(16);
      const stream = new HranaStream(id, db);
      streams.set(id, stream);
      stream.busy++;
      return stream;
    }
    const dot = baton.indexOf(".");
    const id = dot < 0 ? baton : baton.slice(0, dot);
    const nonce = dot < 0 ? "" : baton.slice(dot + 1);
    const stream = streams.get(id);
    if (stream === undefined) {
      if (expired.has(id)) throw new HttpError(400, "The stream has expired due to inactivity", "STREAM_EXPIRED");
      throw new HttpError(400, "The baton is invalid, or its stream has been closed", "BATON_INVALID");
    }
    if (stream.nonce === undefined || !safeEqual(stream.nonce, nonce)) {
      throw new HttpError(
        400,
        "The baton has already been used: requests on a stream must be sent one after another, each with the baton from the previous response",
        "BATON_REUSED",
      );
    }
    stream.nonce = undefined;
    stream.busy++;
    return stream;
  }

  /** The baton for the next request on this stream, or null when the stream has been closed. */
  function issueBaton(stream: HranaStream): string | null {
    if (stream.db === undefined) return null;
    stream.nonce = newToken(18);
    return `${stream.id}.${stream.nonce}`;
  }

  function finishRequest(stream: HranaStream): void {
    stream.busy--;
    stream.lastUsed = Date.now();
    if (stream.db === undefined && stream.busy === 0) streams.delete(stream.id);
  }

  function sweep(): void {
    const now = Date.now();
    for (const stream of streams.values()) {
      if (stream.busy > 0) continue;
      if (stream.db === undefined) {
        streams.delete(stream.id);
        continue;
      }
      if (now - stream.lastUsed >= STREAM_IDLE_MS) {
        streams.delete(stream.id);
        expired.set(stream.id, now);
        const rolledBack = stream.closeDb();
        log?.(`stream ${stream.id.slice(0, 8)} expired after ${STREAM_IDLE_MS} ms idle${rolledBack ? " (open transaction rolled back)" : ""}`);
      }
    }
    for (const [id, at] of expired) {
      if (now - at >= EXPIRED_MEMORY_MS) expired.delete(id);
    }
  }
  const sweeper = setInterval(sweep, SWEEP_INTERVAL_MS);
  sweeper.unref();

  // -- HTTP ------------------------------------------------------------------

  function sendJson(res: ServerResponse, status: number, body: unknown): void {
    if (res.headersSent || res.destroyed) return;
    const data = JSON.stringify(body);
    // The client only parses error bodies whose content-type is exactly "application/json".
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(data) });
    res.end(data);
  }

  function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, { "content-type": "text/plain", "content-length": Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  function checkAuth(req: IncomingMessage): boolean {
    if (authToken === undefined) return true;
    const header = req.headers.authorization;
    if (typeof header !== "string") return false;
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    return match?.[1] !== undefined && safeEqual(match[1], authToken);
  }

  /** Reads the body, refusing (without buffering) anything over MAX_BODY_BYTES. */
  function readBody(req: IncomingMessage): Promise<Buffer> {
    return new Promise((resolveBody, reject) => {
      const declared = Number(req.headers["content-length"]);
      if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
        reject(new HttpError(413, `Request body exceeds ${MAX_BODY_BYTES} bytes`, "REQUEST_TOO_LARGE"));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let done = false;
      const onData = (chunk: Buffer): void => {
        if (done) return;
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          done = true;
          chunks.length = 0;
          reject(new HttpError(413, `Request body exceeds ${MAX_BODY_BYTES} bytes`, "REQUEST_TOO_LARGE"));
          return;
        }
        chunks.push(chunk);
      };
      req.on("data", onData);
      req.once("end", () => {
        if (done) return;
        done = true;
        resolveBody(Buffer.concat(chunks, size));
      });
      req.once("error", (e) => {
        if (done) return;
        done = true;
        reject(e);
      });
      req.once("close", () => {
        if (done) return;
        done = true;
        reject(new Error("request aborted"));
      });
    });
  }

  async function readJson(req: IncomingMessage): Promise<JsonObject> {
    const body = await readBody(req);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch (e) {
      throw protocolError(`Request body is not valid JSON: ${errorMessage(e)}`);
    }
    return expectObject(parsed, "request body");
  }

  async function handlePipeline(req: IncomingMessage, res: ServerResponse): Promise<string> {
    const body = await readJson(req);
    const baton = parseBaton(body["baton"]);
    const requests = expectArray(body["requests"], "requests").map((r, i) => parseStreamRequest(r, `requests[${i}]`));
    const stream = acquireStream(baton);
    try {
      const results = await stream.exclusive(async () => {
        const out: JsonObject[] = [];
        for (const request of requests) {
          try {
            out.push({ type: "ok", response: await handleStreamRequest(stream, request) });
          } catch (e) {
            const err = toHranaError(e);
            out.push({ type: "error", error: { message: err.message, code: err.code } });
          }
        }
        return out;
      });
      sendJson(res, 200, { baton: issueBaton(stream), base_url: null, results });
      const errors = results.filter((r) => r["type"] === "error").length;
      return `${requests.map((r) => r.type).join(",") || "empty"}${errors > 0 ? ` (${errors} error${errors > 1 ? "s" : ""})` : ""}`;
    } finally {
      finishRequest(stream);
    }
  }

  function writeLine(res: ServerResponse, value: unknown): Promise<void> {
    if (res.destroyed || res.writableEnded) return Promise.resolve();
    if (res.write(`${JSON.stringify(value)}\n`)) return Promise.resolve();
    return new Promise((r) => {
      const done = (): void => {
        res.off("drain", done);
        res.off("close", done);
        r();
      };
      res.on("drain", done);
      res.on("close", done);
    });
  }

  async function handleCursor(req: IncomingMessage, res: ServerResponse): Promise<string> {
    const body = await readJson(req);
    const baton = parseBaton(body["baton"]);
    const steps = parseBatch(body["batch"], "batch");
    const stream = acquireStream(baton);
    try {
      await stream.exclusive(async () => {
        if (stream.db === undefined) throw new HttpError(400, "The stream has been closed", "STREAM_CLOSED");
        res.writeHead(200, { "content-type": "text/plain" });
        await writeLine(res, { baton: issueBaton(stream), base_url: null });
        try {
          await runBatch(stream, steps, async (e) => {
            if (e.kind === "ok") {
              await writeLine(res, { type: "step_begin", step: e.step, cols: e.result.cols });
              for (const row of e.result.rows) await writeLine(res, { type: "row", row });
              await writeLine(res, {
                type: "step_end",
                affected_row_count: e.result.affected_row_count,
                last_insert_rowid: e.result.last_insert_rowid,
              });
            } else if (e.kind === "error") {
              await writeLine(res, { type: "step_error", step: e.step, error: { message: e.error.message, code: e.error.code } });
            }
          });
        } catch (e) {
          const err = toHranaError(e);
          await writeLine(res, { type: "error", error: { message: err.message, code: err.code } });
        }
        res.end();
      });
      return `cursor (${steps.length} step${steps.length === 1 ? "" : "s"})`;
    } finally {
      finishRequest(stream);
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<string | undefined> {
    const method = req.method ?? "GET";
    let path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);

    if (method === "GET" || method === "HEAD") {
      switch (path) {
        case "/health":
          sendText(res, 200, "ok");
          return undefined;
        case "/":
        case "/v2":
          sendText(res, 200, "Hello, this is HTTP API v2 (Hrana over HTTP)");
          return undefined;
        case "/v3":
          sendText(res, 200, "Hello, this is HTTP API v3 (Hrana over HTTP)");
          return undefined;
        case "/version":
          sendText(res, 200, "libsql-dev-server (hrana v2, v3; json)");
          return undefined;
      }
    }
    const isApi = path === "/v2/pipeline" || path === "/v3/pipeline" || path === "/v3/cursor";
    if (!isApi) {
      // Includes /v3-protobuf*: answering 404 makes the client fall back to JSON.
      sendText(res, 404, `Not found: ${method} ${path}`);
      return undefined;
    }
    if (method !== "POST") {
      sendText(res, 405, `Method ${method} not allowed on ${path}`, { allow: "POST" });
      return undefined;
    }
    if (!checkAuth(req)) {
      sendText(res, 401, "Unauthorized: missing or invalid bearer token", { "www-authenticate": "Bearer" });
      return undefined;
    }
    return path === "/v3/cursor" ? handleCursor(req, res) : handlePipeline(req, res);
  }

  const server: Server = createServer((req, res) => {
    const started = performance.now();
    const line = (status: number, detail?: string): void => {
      if (log === undefined) return;
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      log(`${req.method ?? "?"} ${path} ${status} ${(performance.now() - started).toFixed(1)}ms${detail ? ` ${detail}` : ""}`);
    };
    route(req, res).then(
      // Successful requests are not logged (the Worker hits the database on every request);
      // failures and statements that returned errors are.
      (detail) => {
        if (res.statusCode >= 400 || detail?.includes(" error")) line(res.statusCode, detail);
      },
      (e: unknown) => {
        if (e instanceof HttpError) {
          if (e.status === 413) {
            sendText(res, 413, e.message);
            let discarded = 0;
            req.on("data", (chunk: Buffer) => {
              discarded += chunk.length;
              if (discarded > MAX_DISCARD_BYTES) req.socket.destroy();
            });
            req.resume();
          } else {
            sendJson(res, e.status, { message: e.message, code: e.code });
          }
          line(e.status, `${e.code}: ${e.message}`);
          return;
        }
        log?.(`internal error on ${req.method ?? "?"} ${req.url ?? ""}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        if (!res.headersSent) {
          sendJson(res, 500, { message: `Internal server error: ${errorMessage(e)}`, code: "INTERNAL_ERROR" });
        } else {
          res.destroy();
        }
      },
    );
  });
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
    else socket.destroy();
  });

  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once("error", reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off("error", reject);
        resolveListen();
      });
    });
  } catch (e) {
    clearInterval(sweeper);
    anchor.close();
    throw e;
  }

  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("startLibsqlServer: unexpected server address");
  const port = address.port;
  const urlHost = host === "0.0.0.0" || host === "::" || host === "" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;
  log?.(`libSQL (Hrana over HTTP) listening on ${url}, database ${dbPath}`);

  let closePromise: Promise<void> | undefined;
  return {
    url,
    port,
    close(): Promise<void> {
      closePromise ??= new Promise<void>((resolveClose) => {
        closing = true;
        clearInterval(sweeper);
        server.close(() => resolveClose());
        server.closeAllConnections();
        for (const stream of streams.values()) stream.closeDb();
        streams.clear();
        expired.clear();
        try {
          anchor.close();
        } catch {
          // already closed
        }
        log?.(`libSQL server on ${url} closed`);
      });
      return closePromise;
    },
  };
}
