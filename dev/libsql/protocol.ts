/**
 * Hrana request structures (the JSON flavour of Hrana v2/v3 over HTTP) and their parsing:
 * a pipeline's stream requests (`execute`, `batch`, `sequence`, `describe`, `store_sql`,
 * `close_sql`, `get_autocommit`, `close`), statements with positional and named arguments,
 * batch step conditions, and the baton. Anything malformed is a 400 `PROTOCOL_ERROR`.
 */
import { protocolError } from "./errors.ts";

// ---------------------------------------------------------------------------
// Protocol structures (parsed & validated request side)
// ---------------------------------------------------------------------------

export type SqlValue = null | bigint | number | string | Buffer;

export interface ProtoStmt {
  sql: string | undefined;
  sqlId: number | undefined;
  args: SqlValue[];
  namedArgs: Array<{ name: string; value: SqlValue }>;
  wantRows: boolean;
}

export type ProtoCond =
  | { type: "ok" | "error"; step: number }
  | { type: "not"; cond: ProtoCond }
  | { type: "and" | "or"; conds: ProtoCond[] }
  | { type: "is_autocommit" };

export interface ProtoBatchStep {
  condition: ProtoCond | undefined;
  stmt: ProtoStmt;
}

export type StreamRequest =
  | { type: "close" }
  | { type: "execute"; stmt: ProtoStmt }
  | { type: "batch"; steps: ProtoBatchStep[] }
  | { type: "sequence"; sql: string | undefined; sqlId: number | undefined }
  | { type: "describe"; sql: string | undefined; sqlId: number | undefined }
  | { type: "store_sql"; sqlId: number; sql: string }
  | { type: "close_sql"; sqlId: number }
  | { type: "get_autocommit" };

export type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function expectObject(v: unknown, what: string): JsonObject {
  if (!isObject(v)) throw protocolError(`Expected ${what} to be an object`);
  return v;
}

export function expectArray(v: unknown, what: string): unknown[] {
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
  if (sql !== undefined && sqlId !== undefined)
    throw protocolError(`${what}: only one of "sql" and "sql_id" may be given`);
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

export function parseBatch(v: unknown, what: string): ProtoBatchStep[] {
  const o = expectObject(v, what);
  return expectArray(o["steps"], `${what}.steps`).map((s, i) => {
    const step = expectObject(s, `${what}.steps[${i}]`);
    const condRaw = step["condition"];
    return {
      condition:
        condRaw === undefined || condRaw === null ? undefined : parseCond(condRaw, `${what}.steps[${i}].condition`, i),
      stmt: parseStmt(step["stmt"], `${what}.steps[${i}].stmt`),
    };
  });
}

export function parseStreamRequest(v: unknown, what: string): StreamRequest {
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

export function parseBaton(v: unknown): string | undefined {
  return optString(v, "baton");
}
