/**
 * The cold-start JWKS finding, reproduced the way production meets it: the built Worker in
 * workerd (Miniflare), `JWT_JWKS_URL` pointing at the stand-in identity provider, and a burst
 * of *separate* requests (each its own workerd request, so none may wait on another's promise)
 * arriving before the isolate holds any key. Every one must pass, and the provider must see
 * about one fetch per isolate, not one per request. Two isolates run side by side.
 */
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevIdp, type DevIdp } from "../../dev/dev-idp.ts";
import { startTwoIsolates, UNUSED_BACKENDS, type TwoIsolates, type WorkerFetcher } from "./two-isolates.ts";

const ISSUER = "https://issuer.test";
const AUDIENCE = "edge";

let workers: TwoIsolates;
let idp: DevIdp;
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
  idp = await startDevIdp();
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  signer = privateKey;
  const put = await fetch(dev("jwks"), {
    method: "PUT",
    body: JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" }] }),
  });
  expect(put.status).toBe(200);
  // Every request of the burst arrives while the first fetch is still in flight.
  await fetch(dev("behaviour"), { method: "PUT", body: JSON.stringify({ latencyMs: 200 }) });

  workers = await startTwoIsolates("auth-cold", {
    ...UNUSED_BACKENDS,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    JWT_JWKS_URL: `${idp.url}/t/${TENANT}/jwks.json`,
    JWT_ALGORITHMS: "ES256",
  });
  ({ a, b } = workers);
}, 120_000);

afterAll(async () => {
  await workers?.dispose();
  await idp?.close();
});

describe("cold start with a remote JWKS, separate requests", () => {
  it("20 first requests to each of two isolates (HTTP and WebSocket joins) all get in, for about one IdP fetch per isolate", async () => {
    const room = `cold-${crypto.randomUUID().slice(0, 8)}`;
    const http = (w: WorkerFetcher, i: number) =>
      token(`http-${i}`).then((t) => w.fetch("http://edge.test/v1/me", { headers: { authorization: `Bearer ${t}` } }));
    const join = (w: WorkerFetcher, i: number) =>
      token(`ws-${i}`).then((t) =>
        w.fetch(`http://edge.test/v1/rooms/${room}/ws`, {
          headers: { upgrade: "websocket", authorization: `Bearer ${t}` },
        }),
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
