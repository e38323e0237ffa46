/**
 * Errors of the local libSQL server (`dev/libsql-server.ts`): protocol-level errors returned
 * inside a Hrana response (`HranaError`, `{message, code}`), errors that reject the HTTP request
 * as a whole (`HttpError`), and the mapping of libsql engine errors to SQLite primary result code
 * names (`SQLITE_CONSTRAINT`, ...) and to "busy, retry later".
 */

/** An error returned to the client inside the protocol (`{type: "error", error}`). */
export class HranaError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.code = code;
  }
}

/** The request as a whole is unacceptable: answered with an HTTP error and a JSON `{message, code}` body. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, message: string, code: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function protocolError(message: string): HttpError {
  return new HttpError(400, message, "PROTOCOL_ERROR");
}

const SQLITE_PRIMARY_CODES: readonly string[] = [
  "SQLITE_OK",
  "SQLITE_ERROR",
  "SQLITE_INTERNAL",
  "SQLITE_PERM",
  "SQLITE_ABORT",
  "SQLITE_BUSY",
  "SQLITE_LOCKED",
  "SQLITE_NOMEM",
  "SQLITE_READONLY",
  "SQLITE_INTERRUPT",
  "SQLITE_IOERR",
  "SQLITE_CORRUPT",
  "SQLITE_NOTFOUND",
  "SQLITE_FULL",
  "SQLITE_CANTOPEN",
  "SQLITE_PROTOCOL",
  "SQLITE_EMPTY",
  "SQLITE_SCHEMA",
  "SQLITE_TOOBIG",
  "SQLITE_CONSTRAINT",
  "SQLITE_MISMATCH",
  "SQLITE_MISUSE",
  "SQLITE_NOLFS",
  "SQLITE_AUTH",
  "SQLITE_FORMAT",
  "SQLITE_RANGE",
  "SQLITE_NOTADB",
  "SQLITE_NOTICE",
  "SQLITE_WARNING",
];
const SQLITE_BUSY = 5;
const SQLITE_BUSY_SNAPSHOT = 517;

function errorProp(e: unknown, key: string): unknown {
  return typeof e === "object" && e !== null ? (e as Record<string, unknown>)[key] : undefined;
}

export function errorMessage(e: unknown): string {
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

export function toHranaError(e: unknown): HranaError {
  if (e instanceof HranaError) return e;
  return new HranaError(errorMessage(e), sqliteCodeOf(e) ?? "SQLITE_UNKNOWN");
}

export function isBusy(e: unknown): boolean {
  const raw = errorProp(e, "rawCode");
  if (typeof raw === "number") return (raw & 0xff) === SQLITE_BUSY;
  const code = errorProp(e, "code");
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}

/** SQLITE_BUSY_SNAPSHOT cannot succeed on retry (the transaction's snapshot is stale). */
export function isRetryableBusy(e: unknown): boolean {
  return (
    isBusy(e) && errorProp(e, "rawCode") !== SQLITE_BUSY_SNAPSHOT && errorProp(e, "code") !== "SQLITE_BUSY_SNAPSHOT"
  );
}
