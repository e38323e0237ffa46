/**
 * The staleness bound, across isolates: two copies of the built Worker run as separate
 * isolates in one workerd (Miniflare) and share the EdgeConfig object. A change written
 * through one must be served by the other within 2 s (README: "Edge config").
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wranglerBin } from "../../dev/wrangler-bin.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const STALENESS_BOUND_MS = 2_000;

let mf: Miniflare;
let work: string;
let token: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "edge-propagation-"));
  const out = join(work, "build");
  execFileSync(process.execPath, [wranglerBin(), "deploy", "--dry-run", "--outdir", out], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  const script = join(out, readdirSync(out).find((f) => f.endsWith(".js"))!);

  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" }] });
  token = await new SignJWT({ roles: ["admin"] })
    .setProtectedHeader({ alg: "ES256", kid: "k1" })
    .setIssuer("https://issuer.test")
    .setAudience("edge")
    .setSubject("alice")
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(privateKey);

  // Settings must validate; the backends are never called by these routes.
  const bindings = {
    ENVIRONMENT: "development",
    LIBSQL_URL: "http://127.0.0.1:9",
    UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9",
    UPSTASH_REDIS_REST_TOKEN: "unused",
    ORIGIN_AI_URL: "http://127.0.0.1:9/v1",
    JWT_ISSUER: "https://issuer.test",
    JWT_AUDIENCE: "edge",
    JWT_PUBLIC_JWKS: jwks,
    JWT_ALGORITHMS: "ES256",
  };
  const common = { modules: true, scriptPath: script, modulesRoot: dirname(script), compatibilityDate: "2026-11-01", compatibilityFlags: ["nodejs_compat"], bindings };
  mf = new Miniflare(
    convertV4MiniflareOptions({
      log: new Log(LogLevel.NONE),
      handleStructuredLogs: () => {},
      workers: [
        { ...common, name: "edge-a", durableObjects: { EDGE_CONFIG: { className: "EdgeConfig", useSQLite: true } } },
        { ...common, name: "edge-b", durableObjects: { EDGE_CONFIG: { className: "EdgeConfig", scriptName: "edge-a", useSQLite: true } } },
      ],
    }),
  );
  await mf.ready;
}, 120_000);

afterAll(async () => {
  await mf?.dispose();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("edge config propagation across isolates", () => {
  it(`an isolate that did not make the change serves it within ${STALENESS_BOUND_MS} ms`, async () => {
    // Miniflare's Fetcher type clashes with the DOM lib's Request here; only fetch is used.
    type WorkerFetcher = { fetch(url: string, init?: RequestInit): Promise<Response> };
    const a = (await mf.getWorker("edge-a")) as unknown as WorkerFetcher;
    const b = (await mf.getWorker("edge-b")) as unknown as WorkerFetcher;
    const version = async (w: WorkerFetcher) => (await w.fetch("http://edge.test/healthz")).headers.get("x-config-version");
    // Both isolates hold a copy of version 0.
    expect(await version(a)).toBe("0");
    expect(await version(b)).toBe("0");

    const read = await a.fetch("http://edge.test/v1/admin/config", { headers: { authorization: `Bearer ${token}` } });
    const { config } = (await read.json()) as { config: { maintenance: Record<string, unknown> } };
    const written = Date.now();
    const put = await a.fetch("http://edge.test/v1/admin/config", {
      method: "PUT",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "if-match": '"0"' },
      body: JSON.stringify({ ...config, maintenance: { ...config.maintenance, message: "propagate me" } }),
    });
    expect(put.status).toBe(200);
    expect(await version(a)).toBe("1");

    let seenAfter = Number.POSITIVE_INFINITY;
    while (Date.now() - written < STALENESS_BOUND_MS + 1_000) {
      if ((await version(b)) === "1") {
        seenAfter = Date.now() - written;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(seenAfter).toBeLessThanOrEqual(STALENESS_BOUND_MS);
  }, 30_000);
});
