/**
 * Hrana streams of the local libSQL server: each stream owns its own SQLite connection (so an
 * interactive transaction spanning several HTTP requests is isolated from other streams), is
 * named by a baton that is valid for exactly one request, and expires after 10 s idle (rolling
 * back an open transaction), like sqld.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type Database from "libsql";
import { errorMessage, HranaError, HttpError } from "./errors.ts";

/** Streams idle for longer than this are closed (sqld uses 10 s as well). */
const STREAM_IDLE_MS = 10_000;
/** Expired streams are remembered this long to report STREAM_EXPIRED instead of BATON_INVALID. */
const EXPIRED_MEMORY_MS = 5 * 60_000;
const SWEEP_INTERVAL_MS = 500;

export type Db = Database.Database;

export class HranaStream {
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

export function newToken(bytes: number): string {
  return randomBytes(bytes).toString("base64url");
}

export function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

/** The open streams of one server: batons in, batons out, idle streams swept. */
export class StreamRegistry {
  readonly #streams = new Map<string, HranaStream>();
  readonly #expired = new Map<string, number>();
  readonly #openConnection: () => Db;
  readonly #isClosing: () => boolean;
  readonly #log: ((line: string) => void) | undefined;
  readonly #sweeper: ReturnType<typeof setInterval>;

  constructor(openConnection: () => Db, isClosing: () => boolean, log: ((line: string) => void) | undefined) {
    this.#openConnection = openConnection;
    this.#isClosing = isClosing;
    this.#log = log;
    this.#sweeper = setInterval(() => this.#sweep(), SWEEP_INTERVAL_MS);
    this.#sweeper.unref();
  }

  /** Takes the stream named by the baton (invalidating the baton) or opens a new stream. */
  acquire(baton: string | undefined): HranaStream {
    if (this.#isClosing()) throw new HttpError(503, "The server is shutting down", "SERVER_CLOSING");
    const streams = this.#streams;
    if (baton === undefined) {
      let db: Db;
      try {
        db = this.#openConnection();
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
      if (this.#expired.has(id)) throw new HttpError(400, "The stream has expired due to inactivity", "STREAM_EXPIRED");
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
  issueBaton(stream: HranaStream): string | null {
    if (stream.db === undefined) return null;
    stream.nonce = newToken(18);
    return `${stream.id}.${stream.nonce}`;
  }

  finishRequest(stream: HranaStream): void {
    stream.busy--;
    stream.lastUsed = Date.now();
    if (stream.db === undefined && stream.busy === 0) this.#streams.delete(stream.id);
  }

  #sweep(): void {
    const now = Date.now();
    for (const stream of this.#streams.values()) {
      if (stream.busy > 0) continue;
      if (stream.db === undefined) {
        this.#streams.delete(stream.id);
        continue;
      }
      if (now - stream.lastUsed >= STREAM_IDLE_MS) {
        this.#streams.delete(stream.id);
        this.#expired.set(stream.id, now);
        const rolledBack = stream.closeDb();
        this.#log?.(
          `stream ${stream.id.slice(0, 8)} expired after ${STREAM_IDLE_MS} ms idle${rolledBack ? " (open transaction rolled back)" : ""}`,
        );
      }
    }
    for (const [id, at] of this.#expired) {
      if (now - at >= EXPIRED_MEMORY_MS) this.#expired.delete(id);
    }
  }

  /** Stops the sweeper (first, so nothing expires while the server closes). */
  stopSweeping(): void {
    clearInterval(this.#sweeper);
  }

  /** Closes every stream's connection and forgets all streams. */
  closeAll(): void {
    for (const stream of this.#streams.values()) stream.closeDb();
    this.#streams.clear();
    this.#expired.clear();
  }
}
