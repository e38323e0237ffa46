/**
 * The cold-start JWKS finding, reproduced the way production meets it: the built Worker in
 * workerd (Miniflare), `JWT_JWKS_URL` pointing at the stand-in identity provider, and a burst
 * of *separate* requests (each its own workerd request, so none may wait on another's promise)
 * arriving before the isolate holds any key. Every one must pass, and the provider must see
 * about one fetch per isolate, not one per request. Two isolates run side by side.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevIdp, type DevIdp } from "../../dev/dev-idp.ts";
import { wranglerBin } from "../../dev/wrangler-bin.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const ISSUER = "https://issuer.test";
const AUDIENCE = "edge";

type ServerSocket = { accept(): void; close(code?: number, reason?: string): void };
type WorkerFetcher = { fetch(url: string, init?: RequestInit): Promise<Response & { webSocket?: ServerSocket | null }> };

let mf: Miniflare;
let idp: DevIdp;
let work: string;
let signer: CryptoKey;
let a: WorkerFetcher;
let b: WorkerFetcher;

const TENANT = "cold";
const dev = (path: string) => `${idp.url}/__dev/${path}?tenant=${TENANT}`;
const fetches = async () => ((await (await fetch(dev("stats"))).json()) as { fetches: number }).fetches;

function token(sub: string): Promise<string> {
  return new SignJWT({ roles: ["viewer"] })
    .setProtectedHeader({ alg: "ES256", typ: "JWT", kid: "k1" })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(signer);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "edge-auth-cold-"));
  const out = join(work, "build");
  execFileSync(process.execPath, [wranglerBin(), "deploy", "--dry-run", "--outdir", out], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  const script = join(out, readdirSync(out).find((f) => f.endsWith(".js"))!);

  idp = await startDevIdp();
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  signer = privateKey;
  const put = await fetch(dev("jwks"), { method: "PUT", body: JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" }] }) });
  expect(put.status).toBe(200);
  // Every request of the burst arrives while the first fetch is still in flight.
  await fetch(dev("behaviour"), { method: "PUT", body: JSON.stringify({ latencyMs: 200 }) });

  // Settings must validate; these routes never call the database, Redis or the origin.
  const bindings = {
    ENVIRONMENT: "development",
    LIBSQL_URL: "http://127.0.0.1:9",
    UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9",
    UPSTASH_REDIS_REST_TOKEN: "unused",
    ORIGIN_AI_URL: "http://127.0.0.1:9/v1",
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    JWT_JWKS_URL: `${idp.url}/t/${TENANT}/jwks.json`,
    JWT_ALGORITHMS: "ES256",
  };
  const common = { modules: true, scriptPath: script, modulesRoot: dirname(script), compatibilityDate: "2026-11-01", compatibilityFlags: ["nodejs_compat"], bindings };
  mf = new Miniflare(
    convertV4MiniflareOptions({
      log: new Log(LogLevel.NONE),
      handleStructuredLogs: () => {},
      workers: [
        {
          ...common,
          name: "edge-a",
          durableObjects: { EDGE_CONFIG: { className: "EdgeConfig", useSQLite: true }, ROOMS: { className: "Room", useSQLite: true } },
        },
        {
          ...common,
          name: "edge-b",
          durableObjects: {
            EDGE_CONFIG: { className: "EdgeConfig", scriptName: "edge-a", useSQLite: true },
            ROOMS: { className: "Room", scriptName: "edge-a", useSQLite: true },
          },
        },
      ],
    }),
  );
  await mf.ready;
  // Miniflare's Fetcher type clashes with the DOM lib's Request here; only fetch is used.
  a = (await mf.getWorker("edge-a")) as unknown as WorkerFetcher;
  b = (await mf.getWorker("edge-b")) as unknown as WorkerFetcher;
}, 120_000);

afterAll(async () => {
  await mf?.dispose();
  await idp?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("cold start with a remote JWKS, separate requests", () => {
  it("20 first requests to each of two isolates (HTTP and WebSocket joins) all get in, for about one IdP fetch per isolate", async () => {
    const room = `cold-${crypto.randomUUID().slice(0, 8)}`;
    const http = (w: WorkerFetcher, i: number) =>
      token(`http-${i}`).then((t) => w.fetch("http://edge.test/v1/me", { headers: { authorization: `Bearer ${t}` } }));
    const join = (w: WorkerFetcher, i: number) =>
      token(`ws-${i}`).then((t) =>
        w.fetch(`http://edge.test/v1/rooms/${room}/ws`, { headers: { upgrade: "websocket", authorization: `Bearer ${t}` } }),
      );
    const burst = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => http(a, i)),
      ...Array.from({ length: 10 }, (_, i) => join(a, i)),
      ...Array.from({ length: 10 }, (_, i) => http(b, 10 + i)),
      ...Array.from({ length: 10 }, (_, i) => join(b, 10 + i)),
    ]);
    const statuses = burst.map((r) => r.status);
    const expected = [...Array(10).fill(200), ...Array(10).fill(101), ...Array(10).fill(200), ...Array(10).fill(101)];
    expect(statuses).toEqual(expected);
    for (const res of burst) {
      if (res.webSocket) {
        res.webSocket.accept();
        res.webSocket.close(1000, "done");
      } else await res.arrayBuffer();
    }
    // One per isolate; the bound allows one more each for a first fetch that outlives the
    // in-flight window on a loaded machine. One per request would be 40.
    const n = await fetches();
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThanOrEqual(4);
  }, 60_000);
});
