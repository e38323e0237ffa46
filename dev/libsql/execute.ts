/**
 * Statement execution for the local libSQL server: runs Hrana stream requests (`execute`,
 * `batch` with step conditions, `sequence`, `describe`, stored SQL, autocommit state) on a
 * stream's own connection, and reports results the way sqld does.
 *
 * SQLITE_BUSY is handled by waiting *asynchronously* (up to 5 s) instead of with SQLite's
 * busy_timeout: the engine API is synchronous, so an in-engine busy wait would block the event
 * loop - and with it the very stream that holds the lock and is about to COMMIT. Retrying a
 * statement that failed with SQLITE_BUSY is safe: SQLite guarantees a failed statement has no
 * effect.
 */
import { setTimeout as sleep } from "node:timers/promises";
import Database from "libsql";
import { HranaError, isBusy, isRetryableBusy, toHranaError } from "./errors.ts";
import type { JsonObject, ProtoBatchStep, ProtoCond, ProtoStmt, SqlValue, StreamRequest } from "./protocol.ts";
import { parseSingleStatement, parseSqlCached, type ParsedStatement } from "./sql.ts";
import type { Db, HranaStream } from "./stream.ts";
import { bindArgs, encodeValue, type Col, type StmtResult } from "./values.ts";

/** How long a statement keeps retrying while the database is locked by another connection. */
const BUSY_WAIT_MS = 5_000;

type StepOutcome = "ok" | "error" | "skipped";

export type StepEvent =
  | { kind: "ok"; step: number; result: StmtResult }
  | { kind: "error"; step: number; error: HranaError }
  | { kind: "skipped"; step: number };

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

function runPrepared(
  db: Db,
  prepared: Database.Statement,
  stmt: ParsedStatement,
  values: SqlValue[],
  wantRows: boolean,
  started: number,
): StmtResult {
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
  if (stored === undefined)
    throw new HranaError(`SQL text with id ${String(sqlId)} has not been stored on this stream`, "SQL_NOT_FOUND");
  return stored;
}

/** Opens connections to one database file and runs stream requests on them. */
export class Executor {
  readonly #dbPath: string;
  readonly #log: ((line: string) => void) | undefined;
  /** Set when the server closes: busy waits stop and no connection is swapped in. */
  closing = false;

  constructor(dbPath: string, log: ((line: string) => void) | undefined) {
    this.#dbPath = dbPath;
    this.#log = log;
  }

  openConnection(): Db {
    const db = new Database(this.#dbPath);
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

  async #withBusyRetry<T>(fn: () => T): Promise<T> {
    const deadline = Date.now() + BUSY_WAIT_MS;
    let delay = 1;
    for (;;) {
      try {
        return fn();
      } catch (e) {
        if (!isRetryableBusy(e) || this.closing || Date.now() >= deadline) throw e;
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 25);
    }
  }

  /**
   * Runs one statement, waiting (asynchronously) while the database is locked.
   *
   * Retries re-run the *same* prepared statement: libsql resets a statement only when it is run
   * again (it has no reset()), and a statement that failed with SQLITE_BUSY stays active until
   * then - an active write statement keeps later autocommit writes on the connection from
   * committing (they would be silently rolled back when the stream closes).
   */
  async #execStatement(
    stream: HranaStream,
    stmt: ParsedStatement,
    values: SqlValue[],
    wantRows: boolean,
  ): Promise<StmtResult> {
    const db = stream.connection();
    const started = performance.now();
    try {
      const prepared = await this.#withBusyRetry(() => db.prepare(stmt.sql));
      const result = await this.#withBusyRetry(() => runPrepared(db, prepared, stmt, values, wantRows, started));
      if (stmt.isBeginReadonly && db.inTransaction) {
        // The engine accepts BEGIN READONLY but does not enforce it; sqld (and the client docs) do.
        db.exec("PRAGMA query_only = 1");
        stream.readOnlyTx = true;
      }
      return result;
    } catch (e) {
      if (isBusy(e)) this.#recoverFromBusy(stream);
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
  #recoverFromBusy(stream: HranaStream): void {
    const db = stream.db;
    if (db === undefined || this.closing) return;
    try {
      if (db.inTransaction) return;
      stream.db = this.openConnection();
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

  /** Executes one Hrana statement; throws HranaError. */
  async #executeStmt(stream: HranaStream, ps: ProtoStmt): Promise<StmtResult> {
    stream.connection();
    const stmt = parseSingleStatement(resolveSql(stream, ps.sql, ps.sqlId));
    const values = bindArgs(stmt, ps.args, ps.namedArgs);
    return this.#execStatement(stream, stmt, values, ps.wantRows);
  }

  /** Runs a batch, reporting each step as it completes. */
  async runBatch(
    stream: HranaStream,
    steps: ProtoBatchStep[],
    onStep: (e: StepEvent) => Promise<void> | void,
  ): Promise<void> {
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
        const result = await this.#executeStmt(stream, step.stmt);
        outcomes.push("ok");
        await onStep({ kind: "ok", step: i, result });
      } catch (e) {
        outcomes.push("error");
        await onStep({ kind: "error", step: i, error: toHranaError(e) });
      }
    }
  }

  async handleStreamRequest(stream: HranaStream, req: StreamRequest): Promise<JsonObject> {
    switch (req.type) {
      case "close": {
        if (stream.closeDb())
          this.#log?.(`stream ${stream.id.slice(0, 8)} closed with an open transaction (rolled back)`);
        return { type: "close" };
      }
      case "execute":
        return { type: "execute", result: await this.#executeStmt(stream, req.stmt) };
      case "batch": {
        const stepResults: Array<StmtResult | null> = [];
        const stepErrors: Array<JsonObject | null> = [];
        await this.runBatch(stream, req.steps, (e) => {
          stepResults.push(e.kind === "ok" ? e.result : null);
          stepErrors.push(e.kind === "error" ? { message: e.error.message, code: e.error.code } : null);
        });
        return {
          type: "batch",
          result: { step_results: stepResults, step_errors: stepErrors, replication_index: null },
        };
      }
      case "sequence": {
        stream.connection();
        const statements = parseSqlCached(resolveSql(stream, req.sql, req.sqlId));
        for (const stmt of statements) {
          await this.#execStatement(stream, stmt, bindArgs(stmt, [], []), false);
        }
        return { type: "sequence" };
      }
      case "describe": {
        const db = stream.connection();
        const stmt = parseSingleStatement(resolveSql(stream, req.sql, req.sqlId));
        let cols: Array<{ name: string; decltype: string | null }>;
        try {
          cols = (await this.#withBusyRetry(() => db.prepare(stmt.sql).columns())).map((c) => ({
            name: c.name,
            decltype: c.type ?? null,
          }));
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
        if (stream.sqls.has(req.sqlId))
          throw new HranaError(`SQL text with id ${req.sqlId} is already stored`, "SQL_STORE_EXISTS");
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
}
