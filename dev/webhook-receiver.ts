/**
 * Local webhook receiver for `npm run dev` and tests: accepts `POST` on any path (one path per
 * subscription, e.g. `/hooks/demo`), verifies the Standard Webhooks signature with the secrets
 * it was told for that path (`verifyWebhook`, the helper receivers use), and keeps what it got.
 *
 *   curl -X PUT 127.0.0.1:8793/__dev/secrets -d '{"path":"/hooks/demo","secrets":["whsec_…"]}'
 *   curl 127.0.0.1:8793/__dev/received[?path=/hooks/demo]      # newest last
 *   curl -X PUT 127.0.0.1:8793/__dev/fault -d '{"status":500,"times":2}'   # next 2 deliveries fail
 *   curl -X PUT 127.0.0.1:8793/__dev/fault -d '{"path":"/hooks/demo","status":410}'
 *   curl -X PUT 127.0.0.1:8793/__dev/fault -d '{"latencyMs":15000}'         # slower than the timeout
 *   curl -X POST 127.0.0.1:8793/__dev/reset
 *
 * Fault fields: `status` (answer this instead of 200), `latencyMs`, `times` (how many
 * deliveries; unlimited when absent), `path` (only this path; all paths when absent),
 * `location` (with a 3xx status: the redirect target, which the sender must not follow).
 * A delivery that fails verification is still recorded (with `verified: false` and why) and
 * answered 401. `GET /` lists what was received as plain text.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Socket } from "node:net";
import { pathToFileURL } from "node:url";
import { verifyWebhook, WebhookVerificationError } from "../src/lib/webhooks/signing.ts";

export interface ReceivedWebhook {
  path: string;
  /** Milliseconds since the epoch. */
  receivedAt: number;
  id: string | null;
  timestamp: string | null;
  signature: string | null;
  /** `true` verified, `false` failed (see `reason`), `null` no secret known for the path. */
  verified: boolean | null;
  reason: string | null;
  /** The status this receiver answered. */
  answered: number;
  body: unknown;
}

export interface ReceiverFault {
  status?: number;
  latencyMs?: number;
  times?: number;
  path?: string;
  location?: string;
}

export interface WebhookReceiver {
  url: string;
  port: number;
  received(path?: string): ReceivedWebhook[];
  setSecrets(path: string, secrets: string[]): void;
  setFault(fault: ReceiverFault | null): void;
  reset(): void;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  host?: string;
  port?: number;
  log?: (line: string) => void;
}

const MAX_BODY = 1024 * 1024;
const MAX_KEPT = 5_000;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error("body too large"));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function validFault(raw: unknown): ReceiverFault | null {
  if (raw === null) return null;
  if (typeof raw !== "object" || Array.isArray(raw)) throw new Error("fault must be an object or null");
  const f = raw as Record<string, unknown>;
  const out: ReceiverFault = {};
  if (f.status !== undefined) {
    if (!Number.isInteger(f.status) || (f.status as number) < 200 || (f.status as number) > 599)
      throw new Error("status must be 200-599");
    out.status = f.status as number;
  }
  for (const key of ["latencyMs", "times"] as const) {
    if (f[key] !== undefined) {
      if (!Number.isInteger(f[key]) || (f[key] as number) < 0) throw new Error(`${key} must be a non-negative integer`);
      out[key] = f[key] as number;
    }
  }
  if (f.path !== undefined) {
    if (typeof f.path !== "string" || !f.path.startsWith("/")) throw new Error("path must start with /");
    out.path = f.path;
  }
  if (f.location !== undefined) {
    if (typeof f.location !== "string") throw new Error("location must be a string");
    out.location = f.location;
  }
  return out;
}

export async function startWebhookReceiver(options: ReceiverOptions = {}): Promise<WebhookReceiver> {
  const log = options.log ?? (() => {});
  let received: ReceivedWebhook[] = [];
  const secrets = new Map<string, string[]>();
  /** Faults by path ("" = every path); a path's own fault wins. */
  const faults = new Map<string, { fault: ReceiverFault; remaining: number | null }>();
  const sockets = new Set<Socket>();

  const setFault = (fault: ReceiverFault | null, path?: string) => {
    if (fault === null) {
      if (path === undefined) faults.clear();
      else faults.delete(path);
      return;
    }
    faults.set(fault.path ?? "", { fault, remaining: fault.times ?? null });
  };

  const takeFault = (path: string): ReceiverFault | undefined => {
    const key = faults.has(path) ? path : faults.has("") ? "" : undefined;
    if (key === undefined) return undefined;
    const entry = faults.get(key)!;
    if (entry.remaining !== null) {
      entry.remaining -= 1;
      if (entry.remaining <= 0) faults.delete(key);
    }
    return entry.fault;
  };

  async function control(req: IncomingMessage, res: ServerResponse, method: string, url: URL): Promise<void> {
    const path = url.pathname;
    if (path === "/__dev/received" && method === "GET") {
      const only = url.searchParams.get("path");
      return sendJson(res, 200, only ? received.filter((r) => r.path === only) : received);
    }
    if (path === "/__dev/reset" && method === "POST") {
      received = [];
      faults.clear();
      secrets.clear();
      return sendJson(res, 200, { ok: true });
    }
    if ((path === "/__dev/secrets" || path === "/__dev/fault") && (method === "PUT" || method === "POST")) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(await readBody(req));
      } catch {
        return sendJson(res, 400, { error: "body must be JSON" });
      }
      try {
        if (path === "/__dev/fault") {
          const fault = validFault(parsed);
          setFault(fault);
          log(`[webhook-receiver] fault ${JSON.stringify(fault)}`);
          return sendJson(res, 200, { faults: Object.fromEntries(faults) });
        }
        const body = parsed as { path?: unknown; secrets?: unknown };
        if (
          typeof body.path !== "string" ||
          !Array.isArray(body.secrets) ||
          !body.secrets.every((s) => typeof s === "string")
        ) {
          throw new Error('send {"path": "/hooks/x", "secrets": ["whsec_…"]}');
        }
        secrets.set(body.path, body.secrets as string[]);
        return sendJson(res, 200, { ok: true });
      } catch (err) {
        return sendJson(res, 400, { error: (err as Error).message });
      }
    }
    if (path === "/__dev/fault" && method === "DELETE") {
      faults.clear();
      return sendJson(res, 200, { faults: {} });
    }
    return sendJson(res, 404, { error: `unknown control route ${method} ${path}` });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://receiver.local");
    if (url.pathname.startsWith("/__dev/")) return control(req, res, method, url);
    if (method === "GET" && url.pathname === "/") {
      const lines = received.map(
        (r) =>
          `${new Date(r.receivedAt).toISOString()} ${r.path} ${r.id} ${r.answered} verified=${r.verified}${r.reason ? ` (${r.reason})` : ""} ${JSON.stringify(r.body).slice(0, 200)}`,
      );
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      res.end(`webhook receiver: ${received.length} received (newest last)\n${lines.join("\n")}\n`);
      return;
    }
    if (method !== "POST") return sendJson(res, 405, { error: "POST webhooks here" }, { allow: "POST" });
    let body: string;
    try {
      body = await readBody(req);
    } catch {
      return sendJson(res, 413, { error: "too large" });
    }
    const header = (name: string) => {
      const v = req.headers[name];
      return typeof v === "string" ? v : null;
    };
    const known = secrets.get(url.pathname);
    let verified: boolean | null = null;
    let reason: string | null = null;
    let parsedBody: unknown = body;
    if (known) {
      try {
        parsedBody = (await verifyWebhook(known, req.headers as Record<string, string>, body)).payload;
        verified = true;
      } catch (err) {
        verified = false;
        reason = err instanceof WebhookVerificationError ? err.reason : String(err);
      }
    } else {
      try {
        parsedBody = JSON.parse(body);
      } catch {
        // Kept as text.
      }
    }
    const fault = verified === false ? undefined : takeFault(url.pathname);
    if (fault?.latencyMs) await new Promise((r) => setTimeout(r, fault.latencyMs));
    const answered = verified === false ? 401 : (fault?.status ?? 200);
    received.push({
      path: url.pathname,
      receivedAt: Date.now(),
      id: header("webhook-id"),
      timestamp: header("webhook-timestamp"),
      signature: header("webhook-signature"),
      verified,
      reason,
      answered,
      body: parsedBody,
    });
    if (received.length > MAX_KEPT) received = received.slice(-MAX_KEPT);
    log(
      `[webhook-receiver] ${url.pathname} ${header("webhook-id")} → ${answered}${verified === null ? " (no secret known for this path)" : verified ? " verified" : ` NOT verified: ${reason}`}`,
    );
    if (res.destroyed) return;
    const headers: Record<string, string> =
      fault?.location && answered >= 300 && answered < 400 ? { location: fault.location } : {};
    sendJson(res, answered, answered < 300 ? { ok: true } : { error: reason ?? "fault" }, headers);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: String(err) });
      else res.destroy();
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    received: (path) => (path ? received.filter((r) => r.path === path) : [...received]),
    setSecrets: (path, list) => void secrets.set(path, list),
    setFault: (fault) => setFault(fault),
    reset: () => {
      received = [];
      faults.clear();
      secrets.clear();
    },
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      })),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const receiver = await startWebhookReceiver({
    port: Number(process.env.DEV_WEBHOOK_RECEIVER_PORT ?? 8793),
    log: (l) => console.log(l),
  });
  console.log(`[webhook-receiver] listening on ${receiver.url}`);
  const stop = () => void receiver.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
