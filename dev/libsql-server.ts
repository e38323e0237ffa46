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
 * SQLITE_BUSY is waited for asynchronously (`dev/libsql/execute.ts`).
 *
 * This file starts and stops the server; the parts live in `dev/libsql/`:
 *   protocol.ts  Hrana request structures and their parsing
 *   sql.ts       SQL tokenizer, statement splitting, parameter discovery
 *   values.ts    argument binding and result value encoding
 *   execute.ts   statement and batch execution on a stream's connection
 *   stream.ts    streams, batons and idle expiry
 *   http.ts      routes, auth, body limits, pipeline and cursor responses
 *   errors.ts    Hrana/HTTP errors and SQLite result codes
 */
import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import type { Server } from "node:http";
import { dirname, resolve } from "node:path";
import Database from "libsql";
import { Executor } from "./libsql/execute.ts";
import { hranaRequestListener } from "./libsql/http.ts";
import { StreamRegistry } from "./libsql/stream.ts";

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

export async function startLibsqlServer(opts: LibsqlServerOptions): Promise<RunningService> {
  if (
    typeof opts.dbPath !== "string" ||
    opts.dbPath === "" ||
    opts.dbPath === ":memory:" ||
    opts.dbPath.startsWith("file::memory:")
  ) {
    throw new Error(
      "startLibsqlServer: dbPath must be a database file path (each stream opens its own connection, so :memory: cannot be shared)",
    );
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

  const executor = new Executor(dbPath, log);
  const streams = new StreamRegistry(
    () => executor.openConnection(),
    () => executor.closing,
    log,
  );

  const server: Server = createServer(hranaRequestListener({ authToken, log, streams, executor }));
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
    streams.stopSweeping();
    anchor.close();
    throw e;
  }

  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("startLibsqlServer: unexpected server address");
  const port = address.port;
  const urlHost =
    host === "0.0.0.0" || host === "::" || host === "" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;
  log?.(`libSQL (Hrana over HTTP) listening on ${url}, database ${dbPath}`);

  let closePromise: Promise<void> | undefined;
  return {
    url,
    port,
    close(): Promise<void> {
      closePromise ??= new Promise<void>((resolveClose) => {
        executor.closing = true;
        streams.stopSweeping();
        server.close(() => resolveClose());
        server.closeAllConnections();
        streams.closeAll();
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
