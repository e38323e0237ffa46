/**
 * Remote key sets under load and failure, inside workerd against the stand-in identity
 * provider (dev/dev-idp.ts), which counts its JWKS fetches. Each test uses its own IdP tenant,
 * so its JWKS URL is one this isolate (and the location's Cache API copy) has never seen: the
 * first request for it is a cold start. Time-dependent cases (rotation after the cooldown,
 * stale-if-error over hours) call the verifier with an explicit clock instead of waiting.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from "jose";
import { describe, expect, inject, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { readSettings, type Settings } from "../../src/env.ts";
import {
  freshnessFrom,
  JWKS_COOLDOWN_MS,
  JWKS_DEFAULT_FRESH_MS,
  JWKS_MAX_FRESH_MS,
  JWKS_MIN_FRESH_MS,
  JWKS_SHARED_CACHE,
  JWKS_STALE_IF_ERROR_MS,
} from "../../src/lib/auth/keys.ts";
import { AuthError, authConfig, resetAuthCaches, verifyAccessToken } from "../../src/lib/auth/verify.ts";

const stack = inject("stack");
const app = createApp();

// ---- the stand-in IdP, one tenant per test ----------------------------------------------------

interface Tenant {
  jwksUrl: string;
  publish(keys: JWK[]): Promise<void>;
  behave(b: {
    status?: number;
    latencyMs?: number;
    cacheControl?: string;
    body?: string;
    padToBytes?: number;
  }): Promise<void>;
  fetches(): Promise<number>;
}

async function tenant(label: string): Promise<Tenant> {
  const name = `${label}-${crypto.randomUUID().slice(0, 8)}`;
  const dev = (path: string) => `${stack.DEV_IDP_URL}/__dev/${path}?tenant=${name}`;
  const put = async (path: string, body: unknown) => {
    const res = await fetch(dev(path), { method: "PUT", body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    await res.body?.cancel();
  };
  return {
    jwksUrl: `${stack.DEV_IDP_URL}/t/${name}/jwks.json`,
    publish: (keys) => put("jwks", { keys }),
    behave: (b) => put("behaviour", b),
    fetches: async () => ((await (await fetch(dev("stats"))).json()) as { fetches: number }).fetches,
  };
}

// ---- keys and tokens -----------------------------------------------------------------------

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" } };
}

/** A token valid from `atMs` for `ttlS` seconds. */
function token(key: SigningKey, sub = "alice", atMs = Date.now(), ttlS = 600, kid = key.kid): Promise<string> {
  const iat = Math.floor(atMs / 1000);
  return new SignJWT({ iss: stack.JWT_ISSUER, aud: stack.JWT_AUDIENCE, sub, roles: ["viewer"], iat, exp: iat + ttlS })
    .setProtectedHeader({ alg: "ES256", typ: "JWT", kid })
    .sign(key.privateKey);
}

const remoteEnv = (t: Tenant): Env => ({ ...env, JWT_JWKS_URL: t.jwksUrl, JWT_PUBLIC_JWKS: "" });

function settingsOf(bindings: Env): Settings {
  const r = readSettings(bindings);
  if (!r.ok) throw new Error(r.problems.join("; "));
  return r.settings;
}

async function me(bindings: Env, t: string): Promise<Response> {
  const req = new Request("https://edge.test/v1/me", { headers: { authorization: `Bearer ${t}` } });
  return app.fetch(req, bindings, createExecutionContext());
}

/** The log-only reason a token is refused at `now`, or "ok". */
async function verdict(bindings: Env, t: string, now: number): Promise<string> {
  try {
    await verifyAccessToken(t, authConfig(settingsOf(bindings)), now);
    return "ok";
  } catch (err) {
    if (err instanceof AuthError) return err.reason;
    throw err;
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

// ---- cold start ------------------------------------------------------------------------------

describe("cold start: a burst of first requests", () => {
  it("20 concurrent first HTTP requests on an isolate with no keys all pass, for one IdP fetch", async () => {
    const idp = await tenant("burst-http");
    const k1 = await signingKey("k1");
    await idp.publish([k1.jwk]);
    // Slow enough that every request arrives while the first fetch is still in flight.
    await idp.behave({ latencyMs: 150 });
    const bindings = remoteEnv(idp);
    const tokens = await Promise.all(range(20).map((i) => token(k1, `user-${i}`)));

    const responses = await Promise.all(tokens.map((t) => me(bindings, t)));
    expect(responses.map((r) => r.status)).toEqual(range(20).map(() => 200));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as Array<{ sub: string }>;
    expect(bodies.map((b) => b.sub)).toEqual(range(20).map((i) => `user-${i}`));
    // One fetch for the burst; the bound allows one more in case the first outlives the
    // in-flight window on a loaded machine. Each request fetching on its own would be 20.
    const fetches = await idp.fetches();
    expect(fetches).toBeGreaterThanOrEqual(1);
    expect(fetches).toBeLessThanOrEqual(2);
  });

  it("20 concurrent first WebSocket joins to a room all get in, for one IdP fetch", async () => {
    const idp = await tenant("burst-ws");
    const k1 = await signingKey("k1");
    await idp.publish([k1.jwk]);
    await idp.behave({ latencyMs: 150 });
    const bindings = remoteEnv(idp);
    const room = `cold-${crypto.randomUUID().slice(0, 8)}`;
    const tokens = await Promise.all(range(20).map((i) => token(k1, `member-${i}`)));

    const responses = await Promise.all(
      tokens.map(async (t) =>
        app.fetch(
          new Request(`https://edge.test/v1/rooms/${room}/ws`, {
            headers: { upgrade: "websocket", authorization: `Bearer ${t}` },
          }),
          bindings,
          createExecutionContext(),
        ),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(range(20).map(() => 101));
    const welcomes = await Promise.all(
      responses.map(
        (res) =>
          new Promise<{ type: string }>((resolve) => {
            const ws = res.webSocket!;
            ws.accept();
            ws.addEventListener("message", (e) => {
              resolve(JSON.parse(String(e.data)) as { type: string });
              ws.close(1000, "done");
            });
          }),
      ),
    );
    expect(welcomes.map((w) => w.type)).toEqual(range(20).map(() => "welcome"));
    const fetches = await idp.fetches();
    expect(fetches).toBeGreaterThanOrEqual(1);
    expect(fetches).toBeLessThanOrEqual(2);
  });

  it("a new isolate reuses the location's shared copy (Cache API) instead of asking the IdP", async () => {
    const idp = await tenant("shared");
    const k1 = await signingKey("k1");
    await idp.publish([k1.jwk]);
    const bindings = remoteEnv(idp);
    expect((await me(bindings, await token(k1))).status).toBe(200);
    expect(await idp.fetches()).toBe(1);

    resetAuthCaches(); // this isolate forgets everything, as a fresh one would
    const burst = await Promise.all(range(10).map(async (i) => me(bindings, await token(k1, `later-${i}`))));
    expect(burst.map((r) => r.status)).toEqual(range(10).map(() => 200));
    expect(await idp.fetches()).toBe(1);
  });

  it("an inline JWKS: a burst on an isolate that has parsed nothing yet all passes", async () => {
    resetAuthCaches();
    const jwk = JSON.parse(inject("devPrivateJwk")) as JWK;
    const dev: SigningKey = { kid: jwk.kid!, privateKey: (await importJWK(jwk, "ES256")) as CryptoKey, jwk };
    const responses = await Promise.all(range(20).map(async (i) => me(env, await token(dev, `inline-${i}`))));
    expect(responses.map((r) => r.status)).toEqual(range(20).map(() => 200));
  });

  it("a malformed shared copy is ignored: the IdP is asked and the token passes", async () => {
    const idp = await tenant("poisoned");
    const k1 = await signingKey("k1");
    await idp.publish([k1.jwk]);
    await (
      await caches.open(JWKS_SHARED_CACHE)
    ).put(
      idp.jwksUrl,
      new Response('{"keys": "not a list"}', {
        headers: {
          "cache-control": "max-age=600",
          "x-jwks-fetched-at": String(Date.now()),
          "x-jwks-fresh-ms": "600000",
        },
      }),
    );
    expect((await me(remoteEnv(idp), await token(k1))).status).toBe(200);
    expect(await idp.fetches()).toBe(1);
  });

  it("the IdP down and nothing cached: refused (401, not 500) without a fetch per request", async () => {
    const idp = await tenant("down-cold");
    const k1 = await signingKey("k1");
    await idp.publish([k1.jwk]);
    await idp.behave({ status: 503, latencyMs: 50 });
    const bindings = remoteEnv(idp);
    const responses = await Promise.all(range(10).map(async (i) => me(bindings, await token(k1, `u${i}`))));
    expect(responses.map((r) => r.status)).toEqual(range(10).map(() => 401));
    expect(responses[0]!.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
    expect(await idp.fetches()).toBeLessThanOrEqual(2);
  });

  for (const [what, behaviour] of [
    ["not JSON", { body: "<html>oops</html>" }],
    ["not a key set", { body: '{"keys": {"kid": "k1"}}' }],
    ["a set over 64 KiB", { padToBytes: 70_000 }],
    ["a server error", { status: 500 }],
  ] as const) {
    it(`the IdP answers ${what}: refused with 401, never 500`, async () => {
      const idp = await tenant("garbage");
      const k1 = await signingKey("k1");
      await idp.publish([k1.jwk]);
      await idp.behave(behaviour);
      const res = await me(remoteEnv(idp), await token(k1));
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
      // Control: the same token passes once the IdP answers properly (after the failure backoff).
      await idp.behave({});
      expect(await verdict(remoteEnv(idp), await token(k1), Date.now() + 2_000)).toBe("ok");
    });
  }
});

// ---- rotation and outages ----------------------------------------------------------------------

describe("rotation, cooldown and stale-if-error", () => {
  it("a rotated key is accepted within one cooldown, and a burst of it costs one refetch", async () => {
    const idp = await tenant("rotate");
    const k1 = await signingKey("k1");
    const k2 = await signingKey("k2");
    await idp.publish([k1.jwk]);
    const bindings = remoteEnv(idp);
    const t0 = Date.now();
    expect(await verdict(bindings, await token(k1, "a", t0), t0)).toBe("ok");
    expect(await idp.fetches()).toBe(1);

    await idp.publish([k1.jwk, k2.jwk]);
    // Within the cooldown of the last fetch, an unknown kid is not refetched.
    expect(await verdict(bindings, await token(k2, "b", t0), t0 + 1_000)).toBe("unknown_kid");
    expect(await idp.fetches()).toBe(1);
    // Once it has passed, a burst of the new kid is accepted for a single refetch.
    const later = t0 + JWKS_COOLDOWN_MS;
    const tokens = await Promise.all(range(20).map((i) => token(k2, `rot-${i}`, later)));
    await idp.behave({ latencyMs: 100 });
    const verdicts = await Promise.all(tokens.map((t) => verdict(bindings, t, later)));
    expect(verdicts).toEqual(range(20).map(() => "ok"));
    expect(await idp.fetches()).toBe(2);
    // The old key is still in the set and still works.
    expect(await verdict(bindings, await token(k1, "c", later), later)).toBe("ok");
  });

  it("a new isolate whose shared copy predates a rotation still accepts the new key at once", async () => {
    const idp = await tenant("rotate-shared");
    const k1 = await signingKey("k1");
    const k2 = await signingKey("k2");
    await idp.publish([k1.jwk]);
    const bindings = remoteEnv(idp);
    expect((await me(bindings, await token(k1, "a"))).status).toBe(200); // the shared copy holds k1 only
    await idp.publish([k1.jwk, k2.jwk]);
    resetAuthCaches();
    const res = await me(bindings, await token(k2, "b"));
    expect(res.status).toBe(200);
    expect(await idp.fetches()).toBe(2);
  });

  it("a flood of made-up kids while a set is held costs one refetch per cooldown", async () => {
    const idp = await tenant("flood");
    const k1 = await signingKey("k1");
    const attacker = await signingKey("x");
    await idp.publish([k1.jwk]);
    const bindings = remoteEnv(idp);
    const t0 = Date.now();
    expect(await verdict(bindings, await token(k1, "a", t0), t0)).toBe("ok");
    for (const at of [t0 + 10, t0 + JWKS_COOLDOWN_MS, t0 + JWKS_COOLDOWN_MS + 10]) {
      const flood = await Promise.all(range(15).map((i) => token(attacker, "m", at, 600, `made-up-${at}-${i}`)));
      const verdicts = await Promise.all(flood.map((t) => verdict(bindings, t, at)));
      expect(new Set(verdicts)).toEqual(new Set(["unknown_kid"]));
    }
    expect(await idp.fetches()).toBe(2);
  });

  it("the IdP's Cache-Control sets the freshness (refetch after max-age, not before)", async () => {
    const idp = await tenant("max-age");
    const k1 = await signingKey("k1");
    await idp.publish([k1.jwk]);
    await idp.behave({ cacheControl: "public, max-age=120" });
    const bindings = remoteEnv(idp);
    const t0 = Date.now();
    expect(await verdict(bindings, await token(k1, "a", t0), t0)).toBe("ok");
    expect(await verdict(bindings, await token(k1, "b", t0), t0 + 119_000)).toBe("ok");
    expect(await idp.fetches()).toBe(1);
    expect(await verdict(bindings, await token(k1, "c", t0), t0 + 121_000)).toBe("ok");
    expect(await idp.fetches()).toBe(2);
  });

  it("an IdP outage with a held set keeps valid users in for up to 24 h past freshness, then fails closed", async () => {
    const idp = await tenant("outage");
    const k1 = await signingKey("k1");
    await idp.publish([k1.jwk]);
    const bindings = remoteEnv(idp);
    const t0 = Date.now();
    const longLived = (sub: string) => token(k1, sub, t0, 3 * 24 * 3600);
    expect(await verdict(bindings, await longLived("a"), t0)).toBe("ok");
    await idp.behave({ status: 503 });

    const stale = t0 + JWKS_DEFAULT_FRESH_MS + 1_000;
    expect(await verdict(bindings, await longLived("b"), stale)).toBe("ok"); // refresh failed, stale set used
    expect(await idp.fetches()).toBe(2);
    expect(await verdict(bindings, await longLived("c"), stale + 1_000)).toBe("ok"); // no retry within the cooldown
    expect(await idp.fetches()).toBe(2);
    const lastMoment = t0 + JWKS_DEFAULT_FRESH_MS + JWKS_STALE_IF_ERROR_MS - 1_000;
    expect(await verdict(bindings, await longLived("d"), lastMoment)).toBe("ok");
    expect(await verdict(bindings, await longLived("e"), lastMoment + 2_000)).toBe("keys_unavailable");

    // The IdP comes back: the next request loads the set again.
    await idp.behave({});
    expect(await verdict(bindings, await longLived("f"), lastMoment + 2_000 + JWKS_COOLDOWN_MS)).toBe("ok");
  });

  it("with waitUntil, a stale set is refreshed after the response: the request is answered from the stale set", async () => {
    const idp = await tenant("deferred");
    const k1 = await signingKey("k1");
    const k2 = await signingKey("k2");
    await idp.publish([k1.jwk]);
    const bindings = remoteEnv(idp);
    const cfg = authConfig(settingsOf(bindings));
    const t0 = Date.now();
    const byK1 = (sub: string) => token(k1, sub, t0, 3600);
    expect(await verdict(bindings, await byK1("a"), t0)).toBe("ok");
    await idp.publish([k2.jwk]); // k1 withdrawn

    const stale = t0 + JWKS_DEFAULT_FRESH_MS + 1_000;
    const deferred: Array<Promise<unknown>> = [];
    const principal = await verifyAccessToken(await byK1("b"), cfg, stale, (work) => deferred.push(work));
    expect(principal.sub).toBe("b"); // not held up by the refresh, which is left to the runtime
    expect(deferred).toHaveLength(1);
    await Promise.all(deferred);
    expect(await idp.fetches()).toBe(2);
    // The refresh has landed: k1 is gone for the next request.
    expect(await verdict(bindings, await byK1("c"), stale + 1)).toBe("unknown_kid");
  });

  it("an IdP outage: a fresh isolate is let in from the location's stale shared copy", async () => {
    const idp = await tenant("outage-shared");
    const k1 = await signingKey("k1");
    await idp.publish([k1.jwk]);
    const bindings = remoteEnv(idp);
    const t0 = Date.now();
    expect(await verdict(bindings, await token(k1, "a", t0, 3 * 24 * 3600), t0)).toBe("ok");
    await idp.behave({ status: 503 });
    resetAuthCaches();
    const hoursLater = t0 + 6 * 3600_000;
    expect(await verdict(bindings, await token(k1, "b", t0, 3 * 24 * 3600), hoursLater)).toBe("ok");
    expect(await idp.fetches()).toBe(2); // it did try the IdP first
  });

  it("freshness from Cache-Control stays within bounds; odd headers fall back to the default", () => {
    expect(freshnessFrom(null, null)).toBe(JWKS_DEFAULT_FRESH_MS);
    expect(freshnessFrom("max-age=300", null)).toBe(300_000);
    expect(freshnessFrom("public, max-age=300", "100")).toBe(200_000);
    expect(freshnessFrom("max-age=60, s-maxage=900", null)).toBe(900_000);
    expect(freshnessFrom("max-age=5", null)).toBe(JWKS_MIN_FRESH_MS);
    expect(freshnessFrom("max-age=31536000", null)).toBe(JWKS_MAX_FRESH_MS);
    expect(freshnessFrom("no-store", null)).toBe(JWKS_MIN_FRESH_MS);
    expect(freshnessFrom("no-cache, max-age=600", null)).toBe(JWKS_MIN_FRESH_MS);
    expect(freshnessFrom("max-age=abc", null)).toBe(JWKS_DEFAULT_FRESH_MS);
    expect(freshnessFrom("max-age=-5", null)).toBe(JWKS_DEFAULT_FRESH_MS);
    expect(freshnessFrom("max-age=300", "9999999")).toBe(JWKS_MIN_FRESH_MS);
  });
});
