/**
 * A stand-in identity provider for tests: serves a JWK set at `/jwks.json` that tests can
 * replace (`PUT /__dev/jwks`) and counts how often it is fetched (`GET /__dev/stats`), so the
 * Worker's JWKS caching and refetch cooldown can be observed. Outside service stand-in only.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface DevIdp {
  url: string;
  /** `${url}/jwks.json` */
  jwksUrl: string;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

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

export async function startDevIdp(opts: { host?: string; port?: number } = {}): Promise<DevIdp> {
  let jwks: unknown = { keys: [] };
  let fetches = 0;
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const path = new URL(req.url ?? "/", "http://idp").pathname;
    if (req.method === "GET" && path === "/jwks.json") {
      fetches++;
      return send(200, jwks);
    }
    if (req.method === "GET" && path === "/__dev/stats") return send(200, { fetches });
    if (req.method === "POST" && path === "/__dev/reset") {
      fetches = 0;
      return send(200, { fetches });
    }
    if (req.method === "PUT" && path === "/__dev/jwks") {
      readBody(req).then(
        (text) => {
          try {
            const parsed: unknown = JSON.parse(text);
            if (typeof parsed !== "object" || parsed === null || !Array.isArray((parsed as { keys?: unknown }).keys)) {
              return send(400, { error: "body must be a JWK set {keys: [...]}" });
            }
            jwks = parsed;
            send(200, { keys: (parsed as { keys: unknown[] }).keys.length });
          } catch {
            send(400, { error: "malformed JSON" });
          }
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
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
