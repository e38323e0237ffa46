/**
 * Local stand-in for the Upstash Redis REST API, backed by a real Redis via ioredis.
 *
 * Lets the Worker's unmodified `@upstash/redis` / `@upstash/ratelimit` talk to a local `redis-server`.
 * Wire format mirrors what `@upstash/redis` (pkg/http.ts) sends and decodes:
 *
 *   POST /              body `["SET","k","v"]`          -> 200 `{"result": ...}` | 400 `{"error": "ERR ..."}`
 *   GET|POST /set/k/v   path style; POST body is appended as the last argument, then `?EX=100` query pairs
 *   POST /pipeline      body `[[...],[...]]`            -> 200 `[{"result":..}|{"error":".."}, ...]`
 *   POST /multi-exec    same shape, run in MULTI/EXEC on a dedicated connection (atomic);
 *                       a transaction discarded as a whole (EXECABORT, refused command) -> 400 `{"error"}`
 *   GET  /health        200 when Redis answers PING, else 503 (no auth)
 *
 * Auth: `Authorization: Bearer <token>` or `?_token=<token>`; otherwise 401 `{"error"}`.
 *
 * `Upstash-Encoding: base64`: every string in the result is base64 of the raw bytes (nested arrays
 * recursed), integers stay JSON numbers, nil stays null. The one exception, as documented by Upstash
 * and special-cased by the client's decoder, is a top-level "OK", which is sent verbatim. (ioredis does
 * not tell status replies from bulk strings, so a top-level bulk "OK" is sent verbatim too; the client
 * decodes both forms to "OK".) Nested "OK"s are always base64 ("T0s="): the client would otherwise
 * base64-decode the literal "OK" into garbage. Errors are never encoded.
 *
 * Lua: `@upstash/ratelimit` scripts start with `#!lua flags=allow-key-locking`, an Upstash-only flag that
 * stock Redis rejects. The bridge strips Upstash-only flags before EVAL / SCRIPT LOAD and keeps a map from
 * the SHA1 of the original text (what the client computes and sends to EVALSHA) to the SHA1 Redis
 * actually caches, so EVALSHA hits after the first EVAL and SCRIPT LOAD returns the original SHA1.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import type { RedisOptions } from "ioredis";
import type { RunningService } from "./redis-server.ts";

export interface UpstashBridgeOptions {
  redisUrl: string;
  token: string;
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** 0 or undefined picks a free port. */
  port?: number;
  log?: (line: string) => void;
  /** Request body limit; larger bodies get 413. Default 10 MiB. */
  maxBodyBytes?: number;
  /** Per-command timeout towards Redis (a hung Redis yields 503, not a hung request). Default 10 s. */
  commandTimeoutMs?: number;
}

type Arg = string | Buffer;

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** A command the bridge refuses to forward (becomes a per-command `{error}`). */
class RefusedCommand extends Error {}

interface PreparedCommand {
  name: string;
  args: Arg[];
  /** Post-processes a successful reply (script SHA translation). */
  mapReply?: (reply: unknown) => unknown;
}

type Outcome = { ok: true; value: unknown } | { ok: false; message: string };

const DEFAULT_MAX_BODY = 10 * 1024 * 1024;
const JSON_HEADERS = { "content-type": "application/json" } as const;

// ---- command policy ------------------------------------------------------------------------------

const REFUSED: ReadonlyMap<string, string> = new Map([
  ...["SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"].map(
    (c): [string, string] => [c, "pub/sub subscriptions are not supported by the local bridge"],
  ),
  ...["MONITOR", "SYNC", "PSYNC", "REPLCONF"].map((c): [string, string] => [
    c,
    "streaming/replication commands are not supported by the local bridge",
  ]),
  ...["MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH"].map((c): [string, string] => [
    c,
    "use the /multi-exec endpoint (redis.multi()) for transactions",
  ]),
  ...["BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "WAIT", "WAITAOF"].map(
    (c): [string, string] => [c, "blocking commands are not supported by the local bridge"],
  ),
  ...["SELECT", "QUIT", "RESET", "HELLO", "AUTH", "SHUTDOWN"].map((c): [string, string] => [
    c,
    "connection-level commands are not allowed over REST",
  ]),
]);
const REFUSED_CLIENT_SUBCOMMANDS = new Set([
  "REPLY",
  "TRACKING",
  "CACHING",
  "KILL",
  "PAUSE",
  "UNPAUSE",
  "SETNAME",
  "SETINFO",
  "NO-EVICT",
  "NO-TOUCH",
]);

/** Shebang flags Upstash understands but stock Redis rejects ("Unexpected flag in script shebang"). */
const UPSTASH_ONLY_SCRIPT_FLAGS = new Set(["allow-key-locking"]);

function argToString(a: Arg): string {
  return typeof a === "string" ? a : a.toString("utf8");
}

function sha1Hex(data: Arg): string {
  return createHash("sha1").update(data).digest("hex");
}

/** Returns the script with Upstash-only shebang flags removed, or undefined if nothing to change. */
function stripUpstashScriptFlags(script: Arg): string | undefined {
  const text = argToString(script);
  if (!text.startsWith("#!")) return undefined;
  const nl = text.indexOf("\n");
  const first = nl < 0 ? text : text.slice(0, nl);
  const rest = nl < 0 ? "" : text.slice(nl);
  const parts = first.split(/\s+/).filter((p) => p !== "");
  let changed = false;
  const kept: string[] = [];
  for (const part of parts) {
    if (!part.startsWith("flags=")) {
      kept.push(part);
      continue;
    }
    const flags = part
      .slice("flags=".length)
      .split(",")
      .filter((f) => f !== "");
    const remaining = flags.filter((f) => !UPSTASH_ONLY_SCRIPT_FLAGS.has(f));
    if (remaining.length !== flags.length) changed = true;
    if (remaining.length > 0) kept.push(`flags=${remaining.join(",")}`);
  }
  return changed ? kept.join(" ") + rest : undefined;
}

class ScriptShaMap {
  private readonly toRedis = new Map<string, string>();
  private readonly toClient = new Map<string, string>();

  /** Rewrites `script` if needed and records original-sha -> redis-sha. */
  rewrite(script: Arg): { script: Arg; originalSha: string; redisSha: string } {
    const rewritten = stripUpstashScriptFlags(script);
    const originalSha = sha1Hex(script);
    if (rewritten === undefined) return { script, originalSha, redisSha: originalSha };
    const redisSha = sha1Hex(rewritten);
    this.toRedis.set(originalSha, redisSha);
    this.toClient.set(redisSha, originalSha);
    return { script: rewritten, originalSha, redisSha };
  }

  redisShaFor(sha: Arg): Arg {
    return this.toRedis.get(argToString(sha).toLowerCase()) ?? sha;
  }

  clear(): void {
    this.toRedis.clear();
    this.toClient.clear();
  }
}

function prepareCommand(raw: Arg[], scripts: ScriptShaMap): PreparedCommand {
  const first = raw[0];
  if (first === undefined) throw new RefusedCommand("ERR empty command");
  const name = argToString(first).toUpperCase();
  if (name === "") throw new RefusedCommand("ERR empty command");
  const args = raw.slice(1);

  const refusal = REFUSED.get(name);
  if (refusal !== undefined) throw new RefusedCommand(`ERR Command is not available: '${name}' (${refusal})`);
  const sub = args[0] === undefined ? "" : argToString(args[0]).toUpperCase();
  if (name === "CLIENT" && REFUSED_CLIENT_SUBCOMMANDS.has(sub)) {
    throw new RefusedCommand(`ERR Command is not available: 'CLIENT ${sub}' (it would alter the shared connection)`);
  }
  if ((name === "XREAD" || name === "XREADGROUP") && args.some((a) => argToString(a).toUpperCase() === "BLOCK")) {
    throw new RefusedCommand(
      `ERR Command is not available: '${name} ... BLOCK' (blocking commands are not supported by the local bridge)`,
    );
  }

  // ioredis applies reply transformers keyed by the lower-case command name (e.g. HGETALL -> object);
  // sending the upper-case name keeps every reply in its raw RESP shape.
  switch (name) {
    case "EVAL":
    case "EVAL_RO": {
      const script = args[0];
      if (script !== undefined) args[0] = scripts.rewrite(script).script;
      return { name, args };
    }
    case "EVALSHA":
    case "EVALSHA_RO": {
      const sha = args[0];
      if (sha !== undefined) args[0] = scripts.redisShaFor(sha);
      return { name, args };
    }
    case "SCRIPT": {
      if (sub === "LOAD" && args[1] !== undefined) {
        const { script, originalSha, redisSha } = scripts.rewrite(args[1]);
        args[1] = script;
        return {
          name,
          args,
          mapReply: (reply) =>
            Buffer.isBuffer(reply) && reply.toString("latin1").toLowerCase() === redisSha
              ? Buffer.from(originalSha, "latin1")
              : reply,
        };
      }
      if (sub === "EXISTS") {
        return { name, args: [args[0] ?? "EXISTS", ...args.slice(1).map((a) => scripts.redisShaFor(a))] };
      }
      if (sub === "FLUSH") {
        return {
          name,
          args,
          mapReply: (reply) => {
            scripts.clear();
            return reply;
          },
        };
      }
      return { name, args };
    }
    default:
      return { name, args };
  }
}

// ---- request parsing -----------------------------------------------------------------------------

/** JSON scalar -> Redis argument, the way Upstash converts them. */
function jsonToArg(v: unknown): Arg {
  if (typeof v === "string") return v;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new HttpError(400, "ERR failed to parse command: invalid number");
    return String(v);
  }
  if (typeof v === "boolean") return v ? "true" : "false";
  throw new HttpError(
    400,
    `ERR failed to parse command: arguments must be strings, numbers or booleans, got ${v === null ? "null" : Array.isArray(v) ? "array" : typeof v}`,
  );
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) throw new HttpError(400, "ERR failed to parse command: empty request body");
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (err) {
    throw new HttpError(400, `ERR failed to parse command: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function parseCommand(v: unknown): Arg[] {
  if (!Array.isArray(v) || v.length === 0) {
    throw new HttpError(400, 'ERR failed to parse command: expected a non-empty JSON array like ["SET","key","value"]');
  }
  return v.map(jsonToArg);
}

function parseCommandList(v: unknown): Arg[][] {
  if (!Array.isArray(v) || v.length === 0) {
    throw new HttpError(
      400,
      'ERR failed to parse command: expected a non-empty JSON array of commands like [["SET","k","v"],["GET","k"]]',
    );
  }
  return v.map(parseCommand);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    let tooLarge = Number.isFinite(declared) && declared > limit;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      // Keep draining an oversized body (so the client reliably reads the 413) but don't keep it.
      if (!tooLarge) chunks.push(chunk);
    });
    req.on("end", () => {
      if (tooLarge) reject(new HttpError(413, `ERR request body exceeds the ${limit} byte limit`));
      else resolve(Buffer.concat(chunks, size));
    });
    req.on("error", reject);
  });
}

// ---- response encoding ---------------------------------------------------------------------------

const OK_BYTES = Buffer.from("OK");

/**
 * Serializes a raw ioredis reply (Buffers for strings, decimal strings for integers thanks to
 * `stringNumbers`, arrays, null, nested ReplyErrors) to JSON text. Integers are written verbatim so
 * 64-bit values are not rounded on our side.
 */
function encodeReply(v: unknown, base64: boolean, topLevel: boolean): string {
  if (v === null || v === undefined) return "null";
  if (Buffer.isBuffer(v)) {
    if (!base64) return JSON.stringify(v.toString("utf8"));
    if (topLevel && v.equals(OK_BYTES)) return '"OK"';
    return JSON.stringify(v.toString("base64"));
  }
  if (typeof v === "string") {
    // Integer replies (stringNumbers: true).
    if (/^-?\d+$/.test(v)) return v;
    return JSON.stringify(base64 ? Buffer.from(v).toString("base64") : v);
  }
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : JSON.stringify(String(v));
  if (typeof v === "boolean") return v ? "1" : "0";
  if (Array.isArray(v)) return `[${v.map((x: unknown) => encodeReply(x, base64, false)).join(",")}]`;
  if (v instanceof Error) {
    // An error nested inside an array reply (e.g. a Lua table holding redis.error_reply()).
    return JSON.stringify(base64 ? Buffer.from(v.message).toString("base64") : v.message);
  }
  // oxlint-disable-next-line typescript/no-base-to-string -- catch-all for a reply of no known kind
  return JSON.stringify(String(v));
}

function encodeOutcome(o: Outcome, base64: boolean): string {
  return o.ok ? `{"result":${encodeReply(o.value, base64, true)}}` : `{"error":${JSON.stringify(o.message)}}`;
}

function isReplyError(err: unknown): err is Error {
  return err instanceof Error && err.name === "ReplyError";
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Non-reply errors (connection refused/closed, timeouts) mean Redis is unavailable. */
function unavailable(err: unknown): HttpError {
  return new HttpError(503, `ERR Redis is unavailable: ${errorMessage(err)}`);
}

function tokenMatches(given: string | undefined, expected: Buffer): boolean {
  if (given === undefined) return false;
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

// ---- the bridge ------------------------------------------------------------------------------------

export async function startUpstashBridge(
  opts: UpstashBridgeOptions,
): Promise<RunningService & { redisHealthy(): Promise<boolean> }> {
  if (opts.token === "") throw new Error("startUpstashBridge: token must not be empty");
  const log = opts.log ?? ((): void => undefined);
  const host = opts.host ?? "127.0.0.1";
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const expectedToken = Buffer.from(opts.token);
  const scripts = new ScriptShaMap();
  let syncToken = 0;

  const redisOptions: RedisOptions = {
    protocol: 2, // Upstash replies are RESP2-shaped (flat HGETALL arrays, doubles as strings).
    stringNumbers: true, // integer replies as decimal strings: exact, and distinguishable from bulk strings (Buffers)
    enableOfflineQueue: false, // while Redis is down, fail immediately instead of queueing
    maxRetriesPerRequest: 0, // in-flight commands fail as soon as the connection drops
    autoResendUnfulfilledCommands: false, // never replay possibly-applied writes
    commandTimeout: opts.commandTimeoutMs ?? 10_000,
    connectTimeout: 2_000,
    retryStrategy: (times: number) => Math.min(times * 100, 1_000), // keep reconnecting forever
    connectionName: "upstash-bridge",
  };
  const main = new Redis(opts.redisUrl, redisOptions);
  // MULTI/EXEC get their own connection so a transaction can never interleave with other traffic.
  const tx = new Redis(opts.redisUrl, { ...redisOptions, connectionName: "upstash-bridge-multi" });

  let redisUp = false;
  let lastError = "";
  for (const conn of [main, tx]) {
    conn.on("error", (err: Error) => {
      if (conn !== main) return;
      if (redisUp || err.message !== lastError) log(`upstash-bridge: redis error: ${err.message}`);
      redisUp = false;
      lastError = err.message;
    });
  }
  main.on("ready", () => {
    if (!redisUp) log(`upstash-bridge: connected to ${opts.redisUrl}`);
    redisUp = true;
    lastError = "";
  });
  let shuttingDown = false;
  main.on("close", () => {
    if (redisUp && !shuttingDown) log("upstash-bridge: connection to redis lost; reconnecting");
    redisUp = false;
  });

  await Promise.race([
    Promise.all(
      [main, tx].map((c) => (c.status === "ready" ? Promise.resolve() : new Promise((r) => c.once("ready", r)))),
    ),
    new Promise((r) => setTimeout(r, 5_000).unref()),
  ]);
  if (main.status !== "ready")
    log(`upstash-bridge: redis at ${opts.redisUrl} is not reachable yet; serving 503 until it is`);

  async function redisHealthy(): Promise<boolean> {
    if (main.status !== "ready") return false;
    let timer: NodeJS.Timeout | undefined;
    try {
      const reply = await Promise.race([
        main.callBuffer("PING"),
        new Promise<undefined>((r) => {
          timer = setTimeout(() => r(undefined), 1_000);
        }),
      ]);
      return Buffer.isBuffer(reply) && reply.toString() === "PONG";
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async function runSingle(raw: Arg[]): Promise<unknown> {
    let cmd: PreparedCommand;
    try {
      cmd = prepareCommand(raw, scripts);
    } catch (err) {
      if (err instanceof RefusedCommand) throw new HttpError(400, err.message);
      throw err;
    }
    try {
      const reply: unknown = await main.callBuffer(cmd.name, ...cmd.args);
      return cmd.mapReply ? cmd.mapReply(reply) : reply;
    } catch (err) {
      if (isReplyError(err)) throw new HttpError(400, err.message);
      throw unavailable(err);
    }
  }

  async function runPipeline(raws: Arg[][]): Promise<Outcome[]> {
    // Issued back-to-back on one connection: ioredis pipelines them in order.
    const pending = raws.map((raw): Promise<Outcome> => {
      let cmd: PreparedCommand;
      try {
        cmd = prepareCommand(raw, scripts);
      } catch (err) {
        if (err instanceof RefusedCommand) return Promise.resolve({ ok: false, message: err.message });
        return Promise.reject(err);
      }
      return main.callBuffer(cmd.name, ...cmd.args).then(
        (reply: unknown): Outcome => ({ ok: true, value: cmd.mapReply ? cmd.mapReply(reply) : reply }),
        (err: unknown): Outcome => {
          if (isReplyError(err)) return { ok: false, message: err.message };
          throw unavailable(err);
        },
      );
    });
    const settled = await Promise.allSettled(pending);
    const failure = settled.find((s) => s.status === "rejected");
    if (failure !== undefined) throw failure.reason;
    return settled.map((s) => (s.status === "fulfilled" ? s.value : { ok: false, message: "ERR internal error" }));
  }

  async function runMultiExec(raws: Arg[][]): Promise<Outcome[]> {
    let cmds: PreparedCommand[];
    try {
      cmds = raws.map((raw) => prepareCommand(raw, scripts));
    } catch (err) {
      if (err instanceof RefusedCommand) throw new HttpError(400, `${err.message}; transaction discarded`);
      throw err;
    }
    const multi = tx.multi();
    for (const c of cmds) multi.callBuffer(c.name, ...c.args);
    let results: [Error | null, unknown][] | null;
    try {
      results = await multi.exec();
    } catch (err) {
      if (isReplyError(err) || (err instanceof Error && err.message.startsWith("EXECABORT"))) {
        const previous: unknown = (err as Error & { previousErrors?: unknown }).previousErrors;
        const details = Array.isArray(previous) ? previous.map(errorMessage).join("; ") : "";
        throw new HttpError(400, details === "" ? err.message : `${err.message} ${details}`);
      }
      throw unavailable(err);
    }
    if (results === null) throw new HttpError(400, "ERR transaction aborted");
    return results.map(([err, value], i): Outcome => {
      if (err === null) {
        const map = cmds[i]?.mapReply;
        return { ok: true, value: map ? map(value) : value };
      }
      if (isReplyError(err)) return { ok: false, message: err.message };
      throw unavailable(err);
    });
  }

  function send(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, { ...JSON_HEADERS, "upstash-sync-token": String(++syncToken), ...extra });
    res.end(body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", "http://bridge.local");
    const pathname = url.pathname;

    if (!["GET", "HEAD", "POST", "PUT"].includes(method)) {
      req.resume();
      throw new HttpError(405, `ERR method ${method} not allowed; use GET, HEAD, POST or PUT`);
    }

    if (pathname === "/health" && (method === "GET" || method === "HEAD")) {
      req.resume();
      const healthy = await redisHealthy();
      send(
        res,
        healthy ? 200 : 503,
        JSON.stringify(healthy ? { result: "OK" } : { error: "ERR Redis is unavailable" }),
      );
      return;
    }

    const auth = req.headers.authorization;
    const bearer = auth !== undefined && /^bearer\s+/i.test(auth) ? auth.replace(/^bearer\s+/i, "").trim() : undefined;
    if (!tokenMatches(bearer ?? url.searchParams.get("_token") ?? undefined, expectedToken)) {
      req.resume();
      throw new HttpError(
        401,
        "Unauthorized: missing or invalid token (send `Authorization: Bearer <token>` or `?_token=<token>`)",
      );
    }

    const format = req.headers["upstash-response-format"];
    if (typeof format === "string" && format.toLowerCase() !== "json") {
      req.resume();
      throw new HttpError(
        400,
        `ERR Upstash-Response-Format '${format}' is not supported by the local bridge (only json)`,
      );
    }
    const encodingHeader = req.headers["upstash-encoding"];
    const base64 = typeof encodingHeader === "string" && encodingHeader.toLowerCase() === "base64";

    const hasBody = method === "POST" || method === "PUT";
    const body = hasBody ? await readBody(req, maxBody) : Buffer.alloc(0);
    if (!hasBody) req.resume();

    if (pathname === "/pipeline" || pathname === "/multi-exec") {
      if (!hasBody) throw new HttpError(405, `ERR ${pathname} requires POST`);
      const cmds = parseCommandList(parseJson(body));
      const outcomes = pathname === "/pipeline" ? await runPipeline(cmds) : await runMultiExec(cmds);
      send(res, 200, `[${outcomes.map((o) => encodeOutcome(o, base64)).join(",")}]`);
      return;
    }

    let command: Arg[];
    if (pathname === "/") {
      if (!hasBody) throw new HttpError(400, 'ERR empty command: POST a JSON array like ["GET","key"] or use /get/key');
      command = parseCommand(parseJson(body));
    } else {
      // Path style: /CMD/arg1/arg2, then the raw body (if any) as the value, then ?k=v pairs.
      const segments = pathname.split("/").slice(1);
      if (segments[segments.length - 1] === "") segments.pop();
      try {
        command = segments.map((s) => decodeURIComponent(s));
      } catch {
        throw new HttpError(400, "ERR failed to parse command: malformed percent-encoding in path");
      }
      if (body.length > 0) command.push(body);
      for (const [k, v] of url.searchParams) {
        if (k === "_token") continue;
        command.push(k);
        if (v !== "") command.push(v);
      }
    }
    const result = await runSingle(command);
    send(res, 200, encodeOutcome({ ok: true, value: result }, base64));
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) {
        const extra: Record<string, string> = err.status === 413 ? { connection: "close" } : {};
        send(res, err.status, JSON.stringify({ error: err.message }), extra);
      } else {
        log(`upstash-bridge: internal error: ${errorMessage(err)}`);
        send(res, 500, JSON.stringify({ error: `ERR internal bridge error: ${errorMessage(err)}` }));
      }
    });
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (err) {
    main.disconnect();
    tx.disconnect();
    throw err;
  }
  server.on("error", (err) => log(`upstash-bridge: server error: ${err.message}`));

  const port = (server.address() as AddressInfo).port;
  const urlHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;
  log(`upstash-bridge: listening on ${url} -> ${opts.redisUrl}`);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      shuttingDown = true;
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
      main.disconnect();
      tx.disconnect();
    })();
    return closing;
  };

  return { url, port, close, redisHealthy };
}
