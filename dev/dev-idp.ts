/**
 * A stand-in identity provider for tests: serves a JWK set that tests can replace and counts
 * how often it is fetched, so the Worker's JWKS caching, refetch cooldown and behaviour during
 * an outage can be observed. Outside service stand-in only.
 *
 * Tests that run side by side each use their own tenant, so they never see each other's keys
 * or counts: `/t/<tenant>/jwks.json` is that tenant's set, and the `/__dev/*` switches take
 * `?tenant=<tenant>`. Without a tenant, `/jwks.json` and the switches use the default one.
 *
 *   PUT  /__dev/jwks       {keys: [...]}                      the set to serve
 *   PUT  /__dev/behaviour  {status?, latencyMs?, cacheControl?, body?, padToBytes?}
 *                          an outage (status >= 400), a slow IdP, the Cache-Control sent, a raw
 *                          body served instead of the set, or the set padded with spaces
 *   GET  /__dev/stats      {fetches}                          JWKS fetches since the last reset
 *   POST /__dev/reset                                         zeroes the count, clears the behaviour
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface DevIdp {
  url: string;
  /** `${url}/jwks.json` (the default tenant) */
  jwksUrl: string;
  close(): Promise<void>;
}

interface Behaviour {
  /** Answer every JWKS fetch with this status (an outage), when set. */
  status?: number;
  latencyMs?: number;
  /** The Cache-Control header on JWKS responses (none when unset). */
  cacheControl?: string;
  /** Served instead of the set (a broken IdP). */
  body?: string;
  /** The set, padded with trailing spaces to this many bytes (an oversized answer). */
  padToBytes?: number;
}

interface Tenant {
  jwks: unknown;
  fetches: number;
  behaviour: Behaviour;
}

const MAX_BODY = 64 * 1024;
const MAX_LATENCY_MS = 30_000;
const TENANT = /^[A-Za-z0-9_-]{1,64}$/;
const TENANT_JWKS = /^\/t\/([A-Za-z0-9_-]{1,64})\/jwks\.json$/;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error("body too large"));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function parseBehaviour(value: unknown): Behaviour | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "body must be an object";
  const { status, latencyMs, cacheControl, body, padToBytes } = value as Record<string, unknown>;
  const out: Behaviour = {};
  if (status !== undefined && status !== null) {
    if (!Number.isInteger(status) || (status as number) < 200 || (status as number) > 599)
      return "status must be an HTTP status";
    out.status = status as number;
  }
  if (latencyMs !== undefined && latencyMs !== null) {
    if (!Number.isInteger(latencyMs) || (latencyMs as number) < 0 || (latencyMs as number) > MAX_LATENCY_MS)
      return `latencyMs must be 0..${MAX_LATENCY_MS}`;
    out.latencyMs = latencyMs as number;
  }
  if (cacheControl !== undefined && cacheControl !== null) {
    if (typeof cacheControl !== "string" || cacheControl.length > 200 || /[\r\n]/.test(cacheControl))
      return "cacheControl must be a header value";
    out.cacheControl = cacheControl;
  }
  if (body !== undefined && body !== null) {
    if (typeof body !== "string") return "body must be a string";
    out.body = body;
  }
  if (padToBytes !== undefined && padToBytes !== null) {
    if (!Number.isInteger(padToBytes) || (padToBytes as number) < 0 || (padToBytes as number) > 1024 * 1024)
      return "padToBytes must be 0..1048576";
    out.padToBytes = padToBytes as number;
  }
  return out;
}

export async function startDevIdp(opts: { host?: string; port?: number } = {}): Promise<DevIdp> {
  const tenants = new Map<string, Tenant>();
  const tenant = (name: string): Tenant => {
    let t = tenants.get(name);
    if (!t) {
      t = { jwks: { keys: [] }, fetches: 0, behaviour: {} };
      tenants.set(name, t);
    }
    return t;
  };
  const timers = new Set<ReturnType<typeof setTimeout>>();

  const server = createServer((req, res) => {
    const sendText = (status: number, text: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(text);
    };
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      sendText(status, JSON.stringify(body), headers);
    const url = new URL(req.url ?? "/", "http://idp");
    const path = url.pathname;

    const jwksTenant = path === "/jwks.json" ? "" : TENANT_JWKS.exec(path)?.[1];
    if (req.method === "GET" && jwksTenant !== undefined) {
      const t = tenant(jwksTenant);
      t.fetches++;
      const { status, latencyMs, cacheControl, body, padToBytes } = t.behaviour;
      const answer = () => {
        if (status !== undefined && status >= 400) return send(status, { error: "identity provider unavailable" });
        const text = body ?? JSON.stringify(t.jwks);
        sendText(
          200,
          padToBytes ? text.padEnd(padToBytes, " ") : text,
          cacheControl ? { "cache-control": cacheControl } : {},
        );
      };
      if (latencyMs) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          answer();
        }, latencyMs);
        timers.add(timer);
      } else answer();
      return;
    }

    if (!path.startsWith("/__dev/")) return send(404, { error: "not found" });
    const name = url.searchParams.get("tenant") ?? "";
    if (name !== "" && !TENANT.test(name)) return send(400, { error: "tenant must be 1-64 of [A-Za-z0-9_-]" });
    const t = tenant(name);

    if (req.method === "GET" && path === "/__dev/stats") return send(200, { fetches: t.fetches });
    if (req.method === "POST" && path === "/__dev/reset") {
      t.fetches = 0;
      t.behaviour = {};
      return send(200, { fetches: 0 });
    }
    if (req.method === "PUT" && (path === "/__dev/jwks" || path === "/__dev/behaviour")) {
      readBody(req).then(
        (text) => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            return send(400, { error: "malformed JSON" });
          }
          if (path === "/__dev/jwks") {
            if (typeof parsed !== "object" || parsed === null || !Array.isArray((parsed as { keys?: unknown }).keys)) {
              return send(400, { error: "body must be a JWK set {keys: [...]}" });
            }
            t.jwks = parsed;
            return send(200, { keys: (parsed as { keys: unknown[] }).keys.length });
          }
          const behaviour = parseBehaviour(parsed);
          if (typeof behaviour === "string") return send(400, { error: behaviour });
          t.behaviour = behaviour;
          return send(200, behaviour);
        },
        () => send(413, { error: "body too large" }),
      );
      return;
    }
    send(404, { error: "not found" });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    jwksUrl: `${url}/jwks.json`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
