/**
 * Values between Hrana and the engine: binding a statement's positional and named arguments
 * to its parameters (always as one positional array: the `libsql` binding aborts the process
 * when named values meet a nameless `?`), and encoding result values and statement results
 * the way sqld does (integers as strings, blobs as base64).
 */
import { HranaError } from "./errors.ts";
import type { JsonObject, SqlValue } from "./protocol.ts";
import type { ParsedStatement } from "./sql.ts";

// ---------------------------------------------------------------------------
// Parameter binding
// ---------------------------------------------------------------------------

/**
 * Builds the positional bind array. Semantics follow the Hrana spec / sqld:
 * a named parameter takes its value from `named_args` (matching `:a`, or `a`
 * with the prefix guessed), otherwise from `args` by its index; every
 * parameter must get a value and every argument must be used.
 */
export function bindArgs(
  stmt: ParsedStatement,
  args: SqlValue[],
  namedArgs: Array<{ name: string; value: SqlValue }>,
): SqlValue[] {
  const invalid = (msg: string): HranaError =>
    new HranaError(`Arguments do not match SQL parameters: ${msg}`, "ARGS_INVALID");
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

export function encodeValue(v: unknown): JsonObject {
  if (v === null || v === undefined) return { type: "null" };
  if (typeof v === "bigint") return { type: "integer", value: v.toString() };
  if (typeof v === "number") {
    if (Number.isFinite(v)) return { type: "float", value: v };
    if (Number.isNaN(v)) return { type: "null" };
    // JSON has no Infinity; 1e999 parses back to Infinity in every JS engine.
    return {
      type: "float",
      value: rawJSON !== undefined ? rawJSON(v > 0 ? "1e999" : "-1e999") : v > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE,
    };
  }
  if (typeof v === "string") return { type: "text", value: v };
  if (v instanceof Uint8Array)
    return { type: "blob", base64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") };
  if (v instanceof ArrayBuffer) return { type: "blob", base64: Buffer.from(v).toString("base64") }; // newer libsql builds
  if (typeof v === "boolean") return { type: "integer", value: v ? "1" : "0" };
  // oxlint-disable-next-line typescript/no-base-to-string -- catch-all for a value of no known kind
  return { type: "text", value: String(v) };
}

export interface Col {
  name: string | null;
  decltype: string | null;
}

export interface StmtResult {
  cols: Col[];
  rows: JsonObject[][];
  affected_row_count: number;
  last_insert_rowid: string | null;
  replication_index: null;
  rows_read: number;
  rows_written: number;
  query_duration_ms: number;
}
