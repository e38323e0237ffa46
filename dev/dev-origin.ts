/**
 * Local OpenAI-compatible "origin AI" stand-in for `npm run dev` and tests.
 *
 * - Deterministic chat completions (plain JSON and SSE streaming) and embeddings.
 * - Switchable faults (error status, Retry-After, latency, stall before first byte,
 *   connection reset mid-body) so the Worker's fallback paths can be exercised.
 * - Fault control and stats over HTTP (`/__dev/*`) as well as programmatically.
 *
 * Only Node built-ins; runs directly with Node 22 type stripping:
 *   node dev/dev-origin.ts            (DEV_ORIGIN_PORT, DEV_ORIGIN_HOST, DEV_ORIGIN_API_KEY)
 */
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { createHash } from "node:crypto";
import { pathToFileURL } from "node:url";
import { hash32 } from "../src/lib/hash.ts";

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

export interface RunningService {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface DevOriginOptions {
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** Port to bind. Default 0 (a free port). */
  port?: number;
  /** If set, /v1/* requires `Authorization: Bearer <apiKey>` (else 401, OpenAI error shape). */
  apiKey?: string;
  /** Default embedding size when the request has no `dimensions`. Default 256. */
  embeddingDimensions?: number;
  /** Delay between SSE chunks in ms. Default 5. */
  streamChunkDelayMs?: number;
  /** Receives one line per handled request. Default: silent. */
  log?: (line: string) => void;
}

export type FaultPath = "chat" | "embeddings" | "any";

export interface Fault {
  /** Respond with this HTTP status (400-599) and an OpenAI error body. */
  status?: number;
  /** With `status`: add `Retry-After` (whole seconds, rounded up) and `retry-after-ms`. */
  retryAfterSeconds?: number;
  /** Delay the whole response (headers included) by this many ms. */
  latencyMs?: number;
  /** Accept the request, then send nothing at all (not even headers) for this many ms. */
  stallBeforeFirstByteMs?: number;
  /**
   * Streaming: send N SSE data events, then destroy the socket (no [DONE]).
   * Non-streaming: send headers (full Content-Length) and, if N > 0, the first half of
   * the body, then destroy the socket.
   */
  resetAfterChunks?: number;
  /** Apply to the next N matching requests, then clear. Default: until cleared. */
  times?: number;
  /** Which endpoint the fault applies to. Default "any" (every /v1 request). */
  path?: FaultPath;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** Request headers; credentials (authorization, api-key, ...) are redacted. */
  headers: Record<string, string>;
  /** Parsed JSON body, the raw text if it was not JSON, or null when empty. */
  body: unknown;
}

export interface OriginStats {
  /** Requests that reached POST /v1/chat/completions (faulted/invalid included). */
  chat: number;
  /** Requests that reached POST /v1/embeddings (faulted/invalid included). */
  embeddings: number;
  /** Every request that reached any /v1 path. */
  total: number;
  /** Requests to which a fault was applied. */
  faulted: number;
  lastRequest?: RecordedRequest;
}

export interface DevOrigin extends RunningService {
  setFault(f: Fault | null): void;
  stats(): OriginStats;
  resetStats(): void;
}

export const DEV_CHAT_MODEL = "dev-origin-chat";
export const DEV_EMBEDDING_MODEL = "dev-origin-embedding";

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

type JsonObject = Record<string, unknown>;

interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

class HttpError extends Error {
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
  constructor(
    status: number,
    message: string,
    param: string | null = null,
    code: string | null = null,
    type = "invalid_request_error",
  ) {
    super(message);
    this.status = status;
    this.type = type;
    this.param = param;
    this.code = code;
  }
}

function errorBody(message: string, type: string, param: string | null, code: string | null): OpenAIErrorBody {
  return { error: { message, type, param, code } };
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isNonNegFinite(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0;
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0;
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function sha256Hex(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

function collapse(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function words(s: string): string[] {
  return s.split(/\s+/).filter((w) => w.length > 0);
}

/** "Tokens" for usage accounting are whitespace-separated words. */
function countTokens(s: string): number {
  return words(s).length;
}

// ---------------------------------------------------------------------------
// Fault validation
// ---------------------------------------------------------------------------

const FAULT_KEYS = new Set([
  "status",
  "retryAfterSeconds",
  "latencyMs",
  "stallBeforeFirstByteMs",
  "resetAfterChunks",
  "times",
  "path",
]);
const MAX_DELAY_MS = 10 * 60 * 1000;

/** Returns a clean copy of a valid fault, or throws HttpError(400) describing the problem. */
export function validateFault(input: unknown): Fault {
  if (!isObject(input)) throw new HttpError(400, "fault must be a JSON object", null, "invalid_fault");
  for (const k of Object.keys(input)) {
    if (!FAULT_KEYS.has(k)) throw new HttpError(400, `unknown fault field '${k}'`, k, "invalid_fault");
  }
  const out: Fault = {};
  const { status, retryAfterSeconds, latencyMs, stallBeforeFirstByteMs, resetAfterChunks, times, path } = input;
  if (status !== undefined) {
    if (!isNonNegInt(status) || status < 400 || status > 599)
      throw new HttpError(400, "status must be an integer 400-599", "status", "invalid_fault");
    out.status = status;
  }
  if (retryAfterSeconds !== undefined) {
    if (!isNonNegFinite(retryAfterSeconds) || retryAfterSeconds > 86_400)
      throw new HttpError(400, "retryAfterSeconds must be a number 0-86400", "retryAfterSeconds", "invalid_fault");
    if (out.status === undefined)
      throw new HttpError(400, "retryAfterSeconds requires status", "retryAfterSeconds", "invalid_fault");
    out.retryAfterSeconds = retryAfterSeconds;
  }
  for (const [name, value] of [
    ["latencyMs", latencyMs],
    ["stallBeforeFirstByteMs", stallBeforeFirstByteMs],
  ] as const) {
    if (value === undefined) continue;
    if (!isNonNegFinite(value) || value > MAX_DELAY_MS)
      throw new HttpError(400, `${name} must be a number 0-${MAX_DELAY_MS}`, name, "invalid_fault");
    out[name] = value;
  }
  if (resetAfterChunks !== undefined) {
    if (!isNonNegInt(resetAfterChunks))
      throw new HttpError(400, "resetAfterChunks must be a non-negative integer", "resetAfterChunks", "invalid_fault");
    out.resetAfterChunks = resetAfterChunks;
  }
  if (times !== undefined) {
    if (!isNonNegInt(times) || times < 1)
      throw new HttpError(400, "times must be a positive integer", "times", "invalid_fault");
    out.times = times;
  }
  if (path !== undefined) {
    if (path !== "chat" && path !== "embeddings" && path !== "any")
      throw new HttpError(400, "path must be 'chat', 'embeddings' or 'any'", "path", "invalid_fault");
    out.path = path;
  }
  if (
    out.status === undefined &&
    out.latencyMs === undefined &&
    out.stallBeforeFirstByteMs === undefined &&
    out.resetAfterChunks === undefined
  ) {
    throw new HttpError(
      400,
      "fault must set at least one of status, latencyMs, stallBeforeFirstByteMs, resetAfterChunks",
      null,
      "invalid_fault",
    );
  }
  return out;
}

// ---------------------------------------------------------------------------
// Chat completions
// ---------------------------------------------------------------------------

interface ChatMessage {
  role: string;
  text: string;
}

interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature: number | null;
  maxTokens: number | null;
  stream: boolean;
  includeUsage: boolean;
}

const ROLES = new Set(["system", "developer", "user", "assistant", "tool", "function"]);

function contentText(content: unknown, i: number): string {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    const parts: string[] = [];
    content.forEach((part, j) => {
      if (!isObject(part) || typeof part.type !== "string") {
        throw new HttpError(
          400,
          `Invalid content part at messages[${i}].content[${j}]`,
          `messages[${i}].content[${j}]`,
          "invalid_value",
        );
      }
      if (part.type === "text") {
        if (typeof part.text !== "string")
          throw new HttpError(
            400,
            `messages[${i}].content[${j}].text must be a string`,
            `messages[${i}].content[${j}].text`,
            "invalid_type",
          );
        parts.push(part.text);
      } else {
        parts.push(`[${part.type}]`);
      }
    });
    return parts.join(" ");
  }
  throw new HttpError(
    400,
    `messages[${i}].content must be a string, an array of content parts, or null`,
    `messages[${i}].content`,
    "invalid_type",
  );
}

function parseChatRequest(body: unknown): ChatRequest {
  if (!isObject(body)) throw new HttpError(400, "Request body must be a JSON object", null, "invalid_body");
  const { model, messages, temperature, max_tokens, max_completion_tokens, stream, stream_options } = body;
  if (typeof model !== "string" || model.length === 0)
    throw new HttpError(400, "you must provide a model parameter", "model", "missing_required_parameter");
  if (!Array.isArray(messages))
    throw new HttpError(400, "Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
  if (messages.length === 0)
    throw new HttpError(400, "'messages' must contain at least one message.", "messages", "empty_array");
  const parsed: ChatMessage[] = messages.map((m: unknown, i) => {
    if (!isObject(m)) throw new HttpError(400, `messages[${i}] must be an object`, `messages[${i}]`, "invalid_type");
    if (typeof m.role !== "string" || !ROLES.has(m.role))
      throw new HttpError(400, `Invalid value for messages[${i}].role`, `messages[${i}].role`, "invalid_value");
    if (m.content === undefined && m.role !== "assistant")
      throw new HttpError(
        400,
        `Missing required parameter: 'messages[${i}].content'.`,
        `messages[${i}].content`,
        "missing_required_parameter",
      );
    return { role: m.role, text: contentText(m.content, i) };
  });
  let temp: number | null = null;
  if (temperature !== undefined && temperature !== null) {
    if (typeof temperature !== "number" || !Number.isFinite(temperature) || temperature < 0 || temperature > 2)
      throw new HttpError(400, "temperature must be a number between 0 and 2", "temperature", "invalid_value");
    temp = temperature;
  }
  let maxTokens: number | null = null;
  for (const [name, v] of [
    ["max_tokens", max_tokens],
    ["max_completion_tokens", max_completion_tokens],
  ] as const) {
    if (v === undefined || v === null) continue;
    if (!isNonNegInt(v) || v < 1) throw new HttpError(400, `${name} must be a positive integer`, name, "invalid_value");
    maxTokens = maxTokens === null ? v : Math.min(maxTokens, v);
  }
  if (stream !== undefined && stream !== null && typeof stream !== "boolean")
    throw new HttpError(400, "stream must be a boolean", "stream", "invalid_type");
  const isStream = stream === true;
  let includeUsage = false;
  if (stream_options !== undefined && stream_options !== null) {
    if (!isStream)
      throw new HttpError(
        400,
        "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
        "stream_options",
        "invalid_value",
      );
    if (!isObject(stream_options))
      throw new HttpError(400, "stream_options must be an object", "stream_options", "invalid_type");
    const iu = stream_options.include_usage;
    if (iu !== undefined && iu !== null && typeof iu !== "boolean")
      throw new HttpError(
        400,
        "stream_options.include_usage must be a boolean",
        "stream_options.include_usage",
        "invalid_type",
      );
    includeUsage = iu === true;
  }
  return { model, messages: parsed, temperature: temp, maxTokens, stream: isStream, includeUsage };
}

const PHRASES = [
  "The edge keeps the hot path short and the origin handles the rest.",
  "Caching the answer close to the user usually pays off.",
  "A fallback should be fast, boring and well tested.",
  "Measure first, then move work to where the data lives.",
  "Idempotent requests make retries safe.",
  "Small payloads travel faster than clever protocols.",
  "Timeouts are a feature, not a failure.",
  "Consistency costs latency; choose where to spend it.",
];

interface ChatAnswer {
  id: string;
  text: string;
  finishReason: "stop" | "length";
  promptTokens: number;
  completionTokens: number;
}

/** Deterministic answer: same request (ignoring stream flags) → same text. */
export function answerChat(req: Pick<ChatRequest, "model" | "messages" | "temperature" | "maxTokens">): ChatAnswer {
  const hash = sha256Hex(
    JSON.stringify([req.model, req.messages.map((m) => [m.role, m.text]), req.temperature, req.maxTokens]),
  );
  const lastUser = [...req.messages].reverse().find((m) => m.role === "user") ?? req.messages[req.messages.length - 1];
  const question = truncate(collapse(lastUser?.text ?? ""), 200);
  const context = req.messages
    .filter((m) => m.role === "system" || m.role === "developer")
    .map((m) => collapse(m.text))
    .filter((t) => t.length > 0)
    .join(" | ");
  const a = parseInt(hash.slice(8, 12), 16) % PHRASES.length;
  const b = (a + 1 + (parseInt(hash.slice(12, 16), 16) % (PHRASES.length - 1))) % PHRASES.length;
  let text =
    `[dev-origin ${hash.slice(0, 8)}] You asked: "${question}". ${PHRASES[a] ?? ""} ${PHRASES[b] ?? ""}` +
    (context ? ` Context seen: "${truncate(context, 400)}".` : " No context was provided.");
  let finishReason: "stop" | "length" = "stop";
  const ws = words(text);
  if (req.maxTokens !== null && ws.length > req.maxTokens) {
    text = ws.slice(0, req.maxTokens).join(" ");
    finishReason = "length";
  }
  const promptTokens = req.messages.reduce((n, m) => n + 4 + countTokens(m.text), 3);
  return {
    id: `chatcmpl-dev${hash.slice(0, 24)}`,
    text,
    finishReason,
    promptTokens,
    completionTokens: countTokens(text),
  };
}

/** Splits text into stream pieces (groups of words, whitespace preserved) that concatenate back to it. */
function splitForStream(text: string): string[] {
  const pieces = text.match(/\S+\s*/g) ?? [text];
  const per = Math.max(1, Math.ceil(pieces.length / 8));
  const out: string[] = [];
  for (let i = 0; i < pieces.length; i += per) out.push(pieces.slice(i, i + per).join(""));
  // keep leading whitespace (if any) on the first piece
  const lead = /^\s*/.exec(text)?.[0] ?? "";
  if (lead && out.length > 0) out[0] = lead + (out[0] ?? "");
  return out.length > 0 ? out : [""];
}

// ---------------------------------------------------------------------------
// Embeddings
// ---------------------------------------------------------------------------

const STOPWORDS = new Set([
  "a",
  "an",
  "the",
  "is",
  "are",
  "was",
  "were",
  "be",
  "to",
  "of",
  "and",
  "or",
  "in",
  "on",
  "at",
  "for",
  "with",
  "it",
  "this",
  "that",
  "as",
  "by",
  "from",
  "do",
  "does",
  "how",
  "what",
  "i",
  "you",
  "we",
  "my",
  "your",
]);

/**
 * Hashed bag of word tokens + character trigrams, signed feature hashing, L2-normalised,
 * rounded to float32 precision (so float and base64 encodings decode to identical values).
 */
export function embedText(text: string, dimensions: number): number[] {
  const v = new Float64Array(dimensions);
  const add = (feature: string, weight: number): void => {
    const h = hash32(feature, 0);
    const sign = hash32(feature, 0x9e3779b9) & 1 ? 1 : -1;
    v[h % dimensions] = (v[h % dimensions] ?? 0) + sign * weight;
  };
  const lower = text.normalize("NFKC").toLowerCase();
  const tokens = lower.match(/[\p{L}\p{N}]+/gu) ?? [];
  for (const w of tokens) {
    const stop = STOPWORDS.has(w);
    add(`w:${w}`, stop ? 0.3 : 1);
    if (stop) continue;
    const padded = `#${w}#`;
    for (let i = 0; i + 3 <= padded.length; i++) add(`c:${padded.slice(i, i + 3)}`, 0.4);
  }
  if (tokens.length === 0) {
    const raw = collapse(lower);
    add(`r:${raw}`, 1);
    for (let i = 0; i + 3 <= raw.length; i++) add(`c:${raw.slice(i, i + 3)}`, 0.4);
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  if (norm === 0) {
    v[0] = 1;
    norm = 1;
  }
  return Array.from(v, (x) => Math.fround(x / norm));
}

function toBase64Float32(vec: number[]): string {
  const buf = Buffer.alloc(vec.length * 4);
  vec.forEach((x, i) => buf.writeFloatLE(x, i * 4));
  return buf.toString("base64");
}

interface EmbeddingRequest {
  model: string;
  inputs: string[];
  dimensions: number;
  encoding: "float" | "base64";
}

function parseEmbeddingRequest(body: unknown, defaultDims: number): EmbeddingRequest {
  if (!isObject(body)) throw new HttpError(400, "Request body must be a JSON object", null, "invalid_body");
  const { model, input, dimensions, encoding_format } = body;
  if (typeof model !== "string" || model.length === 0)
    throw new HttpError(400, "you must provide a model parameter", "model", "missing_required_parameter");
  if (input === undefined || input === null)
    throw new HttpError(400, "Missing required parameter: 'input'.", "input", "missing_required_parameter");
  let inputs: string[];
  if (typeof input === "string") inputs = [input];
  else if (
    Array.isArray(input) &&
    input.length > 0 &&
    input.length <= 2048 &&
    input.every((x): x is string => typeof x === "string")
  )
    inputs = input;
  else
    throw new HttpError(
      400,
      "'input' must be a non-empty string or an array of 1-2048 non-empty strings",
      "input",
      "invalid_type",
    );
  if (inputs.some((s) => s.length === 0))
    throw new HttpError(400, "'input' must not contain empty strings", "input", "invalid_value");
  let dims = defaultDims;
  if (dimensions !== undefined && dimensions !== null) {
    if (!isNonNegInt(dimensions) || dimensions < 1 || dimensions > 8192)
      throw new HttpError(400, "dimensions must be an integer 1-8192", "dimensions", "invalid_value");
    dims = dimensions;
  }
  let encoding: "float" | "base64" = "float";
  if (encoding_format !== undefined && encoding_format !== null) {
    if (encoding_format !== "float" && encoding_format !== "base64")
      throw new HttpError(400, "encoding_format must be 'float' or 'base64'", "encoding_format", "invalid_value");
    encoding = encoding_format;
  }
  return { model, inputs, dimensions: dims, encoding };
}

// ---------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------

type Endpoint = "chat" | "embeddings" | "models" | "other";

const MAX_BODY_BYTES = 8 * 1024 * 1024;
const REDACT = new Set(["authorization", "proxy-authorization", "api-key", "x-api-key", "cookie"]);

interface ActiveFault {
  fault: Fault;
  remaining: number | null;
}

function faultErrorBody(status: number): OpenAIErrorBody {
  const suffix = " (injected by dev-origin fault)";
  if (status === 429) return errorBody(`Rate limit reached${suffix}`, "requests", null, "rate_limit_exceeded");
  if (status === 401)
    return errorBody(`Incorrect API key provided${suffix}`, "invalid_request_error", null, "invalid_api_key");
  if (status === 503)
    return errorBody(`The server is overloaded or not ready yet.${suffix}`, "server_error", null, null);
  if (status >= 500)
    return errorBody(`The server had an error while processing your request.${suffix}`, "server_error", null, null);
  return errorBody(`Request failed with status ${status}${suffix}`, "invalid_request_error", null, null);
}

export async function startDevOrigin(opts: DevOriginOptions = {}): Promise<DevOrigin> {
  const host = opts.host ?? "127.0.0.1";
  const defaultDims = opts.embeddingDimensions ?? 256;
  if (!Number.isInteger(defaultDims) || defaultDims < 1 || defaultDims > 8192)
    throw new RangeError("embeddingDimensions must be an integer 1-8192");
  const chunkDelay = opts.streamChunkDelayMs ?? 5;
  const log = opts.log ?? ((): void => {});
  const apiKey = opts.apiKey;

  let active: ActiveFault | null = null;
  let stats: OriginStats = { chat: 0, embeddings: 0, total: 0, faulted: 0 };
  const sockets = new Set<Socket>();
  const closing = new AbortController();

  const setFault = (f: Fault | null): void => {
    if (f === null) {
      active = null;
      return;
    }
    const fault = validateFault(f);
    active = { fault, remaining: fault.times ?? null };
  };

  /** Takes the fault for this request (decrementing `times`), or null if none matches. */
  const takeFault = (endpoint: Endpoint): Fault | null => {
    const a = active;
    if (!a) return null;
    const p = a.fault.path ?? "any";
    if (p !== "any" && p !== endpoint) return null;
    if (a.remaining !== null) {
      a.remaining -= 1;
      if (a.remaining <= 0) active = null;
    }
    stats.faulted += 1;
    return a.fault;
  };

  const snapshot = (): OriginStats => {
    const s: OriginStats = {
      chat: stats.chat,
      embeddings: stats.embeddings,
      total: stats.total,
      faulted: stats.faulted,
    };
    if (stats.lastRequest) s.lastRequest = structuredClone(stats.lastRequest);
    return s;
  };

  const server = createServer((req, res) => {
    const started = Date.now();
    res.on("close", () => {
      const outcome = res.writableFinished
        ? String(res.statusCode)
        : res.headersSent
          ? `${res.statusCode} (connection cut)`
          : "(no response)";
      log(`[dev-origin] ${req.method ?? "?"} ${req.url ?? "?"} -> ${outcome} ${Date.now() - started}ms`);
    });
    handle(req, res).catch((err: unknown) => {
      log(`[dev-origin] handler error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (!res.headersSent && !res.destroyed)
        sendJson(res, 500, errorBody("dev-origin internal error", "server_error", null, null));
      else res.destroy();
    });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return;
    const buf = Buffer.from(JSON.stringify(body));
    res.writeHead(status, { "content-type": "application/json", "content-length": String(buf.length), ...headers });
    res.end(buf);
  }

  function sendError(res: ServerResponse, e: HttpError): void {
    sendJson(res, e.status, errorBody(e.message, e.type, e.param, e.code));
  }

  function readBody(req: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let tooBig = false;
      req.on("data", (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY_BYTES) tooBig = true;
        else chunks.push(c);
      });
      req.on("end", () =>
        tooBig
          ? reject(new HttpError(413, "Request body too large", null, "request_too_large"))
          : resolve(Buffer.concat(chunks).toString("utf8")),
      );
      req.on("error", reject);
    });
  }

  function recordHeaders(req: IncomingMessage): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined) continue;
      out[k] = REDACT.has(k) ? "[redacted]" : Array.isArray(v) ? v.join(", ") : v;
    }
    return out;
  }

  /** Destroy the socket after letting already-written bytes reach the peer. */
  async function resetConnection(res: ServerResponse, signal: AbortSignal): Promise<void> {
    await new Promise<void>((resolve) => {
      if (res.destroyed) return resolve();
      // an empty write's callback runs once everything queued before it was flushed
      res.write("", () => resolve());
    });
    await sleep(Math.max(20, chunkDelay * 4), signal);
    res.socket?.destroy();
    res.destroy();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reqAbort = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) reqAbort.abort();
    });
    const signal = AbortSignal.any([reqAbort.signal, closing.signal]);
    const method = req.method ?? "GET";
    const path = new URL(req.url ?? "/", "http://dev-origin.local").pathname;

    if (path === "/health" || path === "/") {
      if (method !== "GET" && method !== "HEAD")
        return sendJson(res, 405, { ok: false, error: "method not allowed" }, { allow: "GET, HEAD" });
      return sendJson(res, 200, { ok: true, service: "dev-origin" });
    }
    if (path.startsWith("/__dev/")) return handleControl(req, res, method, path);
    if (!path.startsWith("/v1/") && path !== "/v1") {
      return sendJson(
        res,
        404,
        errorBody(`Unknown route ${method} ${path}`, "invalid_request_error", null, "unknown_url"),
      );
    }

    // ---- /v1: counted in stats ----
    const endpoint: Endpoint =
      path === "/v1/chat/completions"
        ? "chat"
        : path === "/v1/embeddings"
          ? "embeddings"
          : path === "/v1/models"
            ? "models"
            : "other";
    stats.total += 1;
    if (endpoint === "chat") stats.chat += 1;
    if (endpoint === "embeddings") stats.embeddings += 1;

    let rawBody = "";
    try {
      rawBody = method === "GET" || method === "HEAD" ? "" : await readBody(req);
    } catch (e) {
      if (e instanceof HttpError) return sendError(res, e);
      throw e;
    }
    let body: unknown = null;
    let bodyError: HttpError | null = null;
    if (rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody) as unknown;
      } catch (e) {
        body = rawBody;
        bodyError = new HttpError(
          400,
          `We could not parse the JSON body of your request. (${e instanceof Error ? e.message : "invalid JSON"})`,
          null,
          "invalid_json",
        );
      }
    }
    stats.lastRequest = { method, path, headers: recordHeaders(req), body: structuredClone(body) };

    if (apiKey !== undefined && req.headers.authorization !== `Bearer ${apiKey}`) {
      const hasAuth = req.headers.authorization !== undefined;
      return sendJson(
        res,
        401,
        errorBody(
          hasAuth
            ? "Incorrect API key provided."
            : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth.",
          "invalid_request_error",
          null,
          hasAuth ? "invalid_api_key" : null,
        ),
      );
    }

    const fault = takeFault(endpoint);
    if (fault?.stallBeforeFirstByteMs !== undefined && !(await sleep(fault.stallBeforeFirstByteMs, signal))) return;
    if (fault?.latencyMs !== undefined && !(await sleep(fault.latencyMs, signal))) return;
    if (fault?.status !== undefined) {
      const headers: Record<string, string> = { "x-dev-origin-fault": "status" };
      if (fault.retryAfterSeconds !== undefined) {
        headers["retry-after"] = String(Math.ceil(fault.retryAfterSeconds));
        headers["retry-after-ms"] = String(Math.round(fault.retryAfterSeconds * 1000));
      }
      return sendJson(res, fault.status, faultErrorBody(fault.status), headers);
    }
    const resetAfter = fault?.resetAfterChunks;

    const expected: Record<Endpoint, string> = { chat: "POST", embeddings: "POST", models: "GET", other: "" };
    if (endpoint === "other")
      return sendJson(
        res,
        404,
        errorBody(`Invalid URL (${method} ${path})`, "invalid_request_error", null, "unknown_url"),
      );
    if (method !== expected[endpoint]) {
      return sendJson(
        res,
        405,
        errorBody(`Method ${method} not allowed for ${path}`, "invalid_request_error", null, "method_not_allowed"),
        { allow: expected[endpoint] },
      );
    }

    try {
      if (endpoint === "models") {
        const created = 1_700_000_000;
        return finishJson(
          res,
          200,
          {
            object: "list",
            data: [
              { id: DEV_CHAT_MODEL, object: "model", created, owned_by: "dev-origin" },
              { id: DEV_EMBEDDING_MODEL, object: "model", created, owned_by: "dev-origin" },
            ],
          },
          resetAfter,
          signal,
        );
      }
      if (bodyError) throw bodyError;
      if (rawBody.length === 0) throw new HttpError(400, "Request body is required", null, "missing_body");
      if (endpoint === "embeddings") {
        const er = parseEmbeddingRequest(body, defaultDims);
        let promptTokens = 0;
        const data = er.inputs.map((text, index) => {
          promptTokens += countTokens(text);
          const vec = embedText(text, er.dimensions);
          return { object: "embedding", index, embedding: er.encoding === "base64" ? toBase64Float32(vec) : vec };
        });
        return finishJson(
          res,
          200,
          { object: "list", data, model: er.model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } },
          resetAfter,
          signal,
        );
      }
      const cr = parseChatRequest(body);
      const ans = answerChat(cr);
      const usage = {
        prompt_tokens: ans.promptTokens,
        completion_tokens: ans.completionTokens,
        total_tokens: ans.promptTokens + ans.completionTokens,
      };
      const created = Math.floor(Date.now() / 1000);
      if (!cr.stream) {
        return finishJson(
          res,
          200,
          {
            id: ans.id,
            object: "chat.completion",
            created,
            model: cr.model,
            system_fingerprint: "fp_dev_origin",
            choices: [
              {
                index: 0,
                message: { role: "assistant", content: ans.text, refusal: null },
                logprobs: null,
                finish_reason: ans.finishReason,
              },
            ],
            usage,
          },
          resetAfter,
          signal,
        );
      }
      await streamChat(res, cr, ans, usage, created, resetAfter, signal);
    } catch (e) {
      if (e instanceof HttpError) return sendError(res, e);
      throw e;
    }
  }

  async function finishJson(
    res: ServerResponse,
    status: number,
    body: unknown,
    resetAfter: number | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    if (resetAfter === undefined) return sendJson(res, status, body);
    const buf = Buffer.from(JSON.stringify(body));
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": String(buf.length),
      "x-dev-origin-fault": "reset",
    });
    if (resetAfter > 0) res.write(buf.subarray(0, Math.floor(buf.length / 2)));
    else res.flushHeaders();
    await resetConnection(res, signal);
  }

  async function streamChat(
    res: ServerResponse,
    cr: ChatRequest,
    ans: ChatAnswer,
    usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number },
    created: number,
    resetAfter: number | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    const base = {
      id: ans.id,
      object: "chat.completion.chunk",
      created,
      model: cr.model,
      system_fingerprint: "fp_dev_origin",
    };
    const usageField = cr.includeUsage ? { usage: null } : {};
    const events: unknown[] = splitForStream(ans.text).map((piece, i) => ({
      ...base,
      choices: [
        {
          index: 0,
          delta: i === 0 ? { role: "assistant", content: piece } : { content: piece },
          logprobs: null,
          finish_reason: null,
        },
      ],
      ...usageField,
    }));
    events.push({
      ...base,
      choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: ans.finishReason }],
      ...usageField,
    });
    if (cr.includeUsage) events.push({ ...base, choices: [], usage });

    const headers: Record<string, string> = {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
    };
    if (resetAfter !== undefined) headers["x-dev-origin-fault"] = "reset";
    res.writeHead(200, headers);
    res.flushHeaders();
    for (let i = 0; i < events.length; i++) {
      if (resetAfter !== undefined && i >= resetAfter) return resetConnection(res, signal);
      if (i > 0 && !(await sleep(chunkDelay, signal))) return;
      if (res.destroyed) return;
      res.write(`data: ${JSON.stringify(events[i])}\n\n`);
    }
    if (resetAfter !== undefined) return resetConnection(res, signal);
    if (!(await sleep(chunkDelay, signal))) return;
    res.end("data: [DONE]\n\n");
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, method: string, path: string): Promise<void> {
    const faultView = (): unknown =>
      active ? { fault: active.fault, remaining: active.remaining } : { fault: null, remaining: null };
    if (path === "/__dev/fault") {
      if (method === "GET") return sendJson(res, 200, faultView());
      if (method === "DELETE") {
        active = null;
        return sendJson(res, 200, faultView());
      }
      if (method === "PUT" || method === "POST") {
        let raw: string;
        try {
          raw = await readBody(req);
        } catch (e) {
          if (e instanceof HttpError) return sendError(res, e);
          throw e;
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw) as unknown;
        } catch {
          return sendError(res, new HttpError(400, "fault body must be valid JSON", null, "invalid_json"));
        }
        if (parsed === null) {
          active = null;
          return sendJson(res, 200, faultView());
        }
        try {
          setFault(validateFault(parsed));
        } catch (e) {
          if (e instanceof HttpError) return sendError(res, e);
          throw e;
        }
        log(`[dev-origin] fault set: ${JSON.stringify(active)}`);
        return sendJson(res, 200, faultView());
      }
      return sendJson(
        res,
        405,
        errorBody(`Method ${method} not allowed`, "invalid_request_error", null, "method_not_allowed"),
        { allow: "GET, PUT, DELETE" },
      );
    }
    if (path === "/__dev/stats") {
      if (method !== "GET")
        return sendJson(
          res,
          405,
          errorBody(`Method ${method} not allowed`, "invalid_request_error", null, "method_not_allowed"),
          { allow: "GET" },
        );
      return sendJson(res, 200, snapshot());
    }
    if (path === "/__dev/reset") {
      if (method !== "POST")
        return sendJson(
          res,
          405,
          errorBody(`Method ${method} not allowed`, "invalid_request_error", null, "method_not_allowed"),
          { allow: "POST" },
        );
      req.resume();
      active = null;
      stats = { chat: 0, embeddings: 0, total: 0, faulted: 0 };
      return sendJson(res, 200, { ok: true });
    }
    return sendJson(
      res,
      404,
      errorBody(`Unknown dev control route ${method} ${path}`, "invalid_request_error", null, "unknown_url"),
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  const url = `http://${urlHost}:${port}`;

  let closed: Promise<void> | null = null;
  const close = (): Promise<void> => {
    if (closed) return closed;
    closing.abort();
    closed = new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
    });
    return closed;
  };

  return {
    url,
    port,
    close,
    setFault,
    stats: snapshot,
    resetStats: (): void => {
      stats = { chat: 0, embeddings: 0, total: 0, faulted: 0 };
    },
  };
}

// ---------------------------------------------------------------------------
// CLI: node dev/dev-origin.ts
// ---------------------------------------------------------------------------

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.DEV_ORIGIN_PORT ?? 8788);
  const svc = await startDevOrigin({
    host: process.env.DEV_ORIGIN_HOST ?? "127.0.0.1",
    port,
    apiKey: process.env.DEV_ORIGIN_API_KEY || undefined,
    log: (l) => console.log(l),
  });
  console.log(`[dev-origin] listening on ${svc.url} (OpenAI base URL: ${svc.url}/v1)`);
  const stop = (): void => {
    void svc.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
