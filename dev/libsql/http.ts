/**
 * The HTTP side of the local libSQL server: routes (`/health`, version probes, `POST
 * /v2/pipeline`, `/v3/pipeline`, `/v3/cursor`), bearer auth, bounded body reading (413 without
 * buffering), JSON answers for pipelines and the NDJSON stream of a cursor, and the one log
 * line per failed request.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { errorMessage, HttpError, protocolError, toHranaError } from "./errors.ts";
import type { Executor } from "./execute.ts";
import { expectArray, expectObject, parseBatch, parseBaton, parseStreamRequest, type JsonObject } from "./protocol.ts";
import { safeEqual, type StreamRegistry } from "./stream.ts";

const MAX_BODY_BYTES = 10 * 1024 * 1024;
/**
 * After answering 413 the rest of the upload is read and discarded (closing the socket while the
 * client is still sending makes the kernel reset the connection, and the client may never see
 * the 413). Past this many discarded bytes the connection is dropped anyway.
 */
const MAX_DISCARD_BYTES = 64 * 1024 * 1024;

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

export interface HttpOptions {
  /** if set, require `Authorization: Bearer <token>`, else 401 */
  authToken: string | undefined;
  log: ((line: string) => void) | undefined;
  streams: StreamRegistry;
  executor: Executor;
}

/** The server's request handler. */
export function hranaRequestListener({ authToken, log, streams, executor }: HttpOptions): RequestListener {
  function checkAuth(req: IncomingMessage): boolean {
    if (authToken === undefined) return true;
    const header = req.headers.authorization;
    if (typeof header !== "string") return false;
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    return match?.[1] !== undefined && safeEqual(match[1], authToken);
  }

  async function handlePipeline(req: IncomingMessage, res: ServerResponse): Promise<string> {
    const body = await readJson(req);
    const baton = parseBaton(body["baton"]);
    const requests = expectArray(body["requests"], "requests").map((r, i) => parseStreamRequest(r, `requests[${i}]`));
    const stream = streams.acquire(baton);
    try {
      const results = await stream.exclusive(async () => {
        const out: JsonObject[] = [];
        for (const request of requests) {
          try {
            out.push({ type: "ok", response: await executor.handleStreamRequest(stream, request) });
          } catch (e) {
            const err = toHranaError(e);
            out.push({ type: "error", error: { message: err.message, code: err.code } });
          }
        }
        return out;
      });
      sendJson(res, 200, { baton: streams.issueBaton(stream), base_url: null, results });
      const errors = results.filter((r) => r["type"] === "error").length;
      return `${requests.map((r) => r.type).join(",") || "empty"}${errors > 0 ? ` (${errors} error${errors > 1 ? "s" : ""})` : ""}`;
    } finally {
      streams.finishRequest(stream);
    }
  }

  async function handleCursor(req: IncomingMessage, res: ServerResponse): Promise<string> {
    const body = await readJson(req);
    const baton = parseBaton(body["baton"]);
    const steps = parseBatch(body["batch"], "batch");
    const stream = streams.acquire(baton);
    try {
      await stream.exclusive(async () => {
        if (stream.db === undefined) throw new HttpError(400, "The stream has been closed", "STREAM_CLOSED");
        res.writeHead(200, { "content-type": "text/plain" });
        await writeLine(res, { baton: streams.issueBaton(stream), base_url: null });
        try {
          await executor.runBatch(stream, steps, async (e) => {
            if (e.kind === "ok") {
              await writeLine(res, { type: "step_begin", step: e.step, cols: e.result.cols });
              for (const row of e.result.rows) await writeLine(res, { type: "row", row });
              await writeLine(res, {
                type: "step_end",
                affected_row_count: e.result.affected_row_count,
                last_insert_rowid: e.result.last_insert_rowid,
              });
            } else if (e.kind === "error") {
              await writeLine(res, {
                type: "step_error",
                step: e.step,
                error: { message: e.error.message, code: e.error.code },
              });
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
      streams.finishRequest(stream);
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

  return (req, res) => {
    const started = performance.now();
    const line = (status: number, detail?: string): void => {
      if (log === undefined) return;
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      log(
        `${req.method ?? "?"} ${path} ${status} ${(performance.now() - started).toFixed(1)}ms${detail ? ` ${detail}` : ""}`,
      );
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
        log?.(
          `internal error on ${req.method ?? "?"} ${req.url ?? ""}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
        );
        if (!res.headersSent) {
          sendJson(res, 500, { message: `Internal server error: ${errorMessage(e)}`, code: "INTERNAL_ERROR" });
        } else {
          res.destroy();
        }
      },
    );
  };
}
