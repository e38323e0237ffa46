/**
 * Access-token checks end to end through GET /v1/me, one test per attack. Every bad token
 * must get 401 with `WWW-Authenticate: Bearer error="invalid_token"` and a body that does
 * not say what was wrong; none may get a 500.
 */
import { env } from "cloudflare:workers";
import { base64url, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { createApp } from "../../src/app.ts";
import { problemOf, worker } from "./helpers.ts";

const stack = inject("stack");
const ISS = stack.JWT_ISSUER;
const AUD = stack.JWT_AUDIENCE;
let devKey: CryptoKey;
let devKid: string;

beforeAll(async () => {
  const jwk = JSON.parse(inject("devPrivateJwk")) as JWK;
  devKid = jwk.kid!;
  devKey = (await importJWK(jwk, "ES256")) as CryptoKey;
});

const now = () => Math.floor(Date.now() / 1000);

interface TokenOptions {
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  omit?: string[];
  key?: CryptoKey | Uint8Array;
  alg?: string;
}

/** A token signed with the dev issuer's key unless told otherwise. */
async function token(opts: TokenOptions = {}): Promise<string> {
  const claims: Record<string, unknown> = {
    iss: ISS,
    aud: AUD,
    sub: "alice",
    roles: ["viewer"],
    iat: now(),
    exp: now() + 600,
    ...opts.claims,
  };
  for (const k of opts.omit ?? []) delete claims[k];
  const alg = opts.alg ?? "ES256";
  return new SignJWT(claims)
    .setProtectedHeader({ alg, typ: "JWT", kid: devKid, ...opts.header } as { alg: string })
    .sign(opts.key ?? devKey);
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const seg = (value: unknown) => base64url.encode(utf8(JSON.stringify(value)));

/** A hand-assembled token (for shapes jose refuses to produce). */
function rawToken(header: unknown, claims: Record<string, unknown>, signature = ""): string {
  return `${seg(header)}.${seg(claims)}.${signature}`;
}
const goodClaims = () => ({ iss: ISS, aud: AUD, sub: "mallory", roles: ["admin"], iat: now(), exp: now() + 600 });

async function me(authorization: string | string[] | undefined, app?: ReturnType<typeof createApp>, bindings?: Env) {
  const headers = new Headers();
  if (typeof authorization === "string") headers.set("authorization", authorization);
  else if (authorization) for (const a of authorization) headers.append("authorization", a);
  return app ? app.request("/v1/me", { headers }, bindings) : worker("/v1/me", { headers });
}

async function expectRejected(res: Response) {
  expect(res.status).toBe(401);
  expect(res.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
  const problem = await problemOf(res);
  expect(problem.detail).toBe("A valid access token is required.");
}

describe("valid tokens", () => {
  it("a token from the inline JWKS (ES256) passes and yields sub, roles and tenant", async () => {
    const res = await me(`Bearer ${await token({ claims: { roles: ["admin", "editor"], tenant: "t1" } })}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { sub: string; roles: string[]; tenant: string };
    expect(body).toMatchObject({ sub: "alice", roles: ["admin", "editor"], tenant: "t1" });
  });

  it("tenant defaults to sub; the scheme is case-insensitive", async () => {
    const res = await me(`bearer ${await token()}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ sub: "alice", roles: ["viewer"], tenant: "alice" });
  });

  it("a token from a remote JWKS (EdDSA) passes", async () => {
    const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const jwk = { ...(await exportJWK(publicKey)), kid: "remote-ed", alg: "EdDSA" };
    const put = await fetch(`${stack.DEV_IDP_URL}/__dev/jwks`, {
      method: "PUT",
      body: JSON.stringify({ keys: [jwk] }),
    });
    expect(put.status).toBe(200);
    const bindings = { ...env, JWT_JWKS_URL: `${stack.DEV_IDP_URL}/jwks.json?case=valid`, JWT_PUBLIC_JWKS: "" };
    const t = await token({ alg: "EdDSA", key: privateKey, header: { kid: "remote-ed" } });
    const res = await me(`Bearer ${t}`, createApp(), bindings);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ sub: "alice" });
  });
});

describe("attacks and bad tokens: every one is 401, none is 500", () => {
  it("missing token", async () => expectRejected(await me(undefined)));
  it("not a Bearer scheme", async () => expectRejected(await me(`Basic ${btoa("a:b")}`)));

  for (const alg of ["none", "None", "NONE", "nOnE"]) {
    it(`alg "${alg}" with no signature`, async () =>
      expectRejected(await me(`Bearer ${rawToken({ alg, typ: "JWT" }, goodClaims())}`)));
  }
  it('alg "none" with a signature attached', async () =>
    expectRejected(await me(`Bearer ${rawToken({ alg: "none" }, goodClaims(), base64url.encode(utf8("sig")))}`)));

  it("empty signature on a real header and payload", async () => {
    const [h, p] = (await token()).split(".");
    await expectRejected(await me(`Bearer ${h}.${p}.`));
  });

  it("one flipped signature byte", async () => {
    const [h, p, s] = (await token()).split(".") as [string, string, string];
    const sig = base64url.decode(s);
    sig[10] = sig[10]! ^ 0x01;
    await expectRejected(await me(`Bearer ${h}.${p}.${base64url.encode(sig)}`));
  });

  it("payload changed after signing (roles escalated)", async () => {
    const [h, , s] = (await token()).split(".");
    await expectRejected(await me(`Bearer ${h}.${seg({ ...goodClaims(), sub: "alice" })}.${s}`));
  });

  it("HS256 signed with the public key as the secret (key confusion)", async () => {
    const publicJwks = stack.JWT_PUBLIC_JWKS;
    const t = await token({ alg: "HS256", key: utf8(publicJwks) });
    await expectRejected(await me(`Bearer ${t}`));
    // Also when HS256 is allowed: the key is the configured secret, never the public key.
    const bindings = { ...env, JWT_ALGORITHMS: "ES256,HS256", JWT_HS256_SECRET: "s".repeat(32) };
    await expectRejected(await me(`Bearer ${t}`, createApp(), bindings));
  });

  it("HS256 listed but the secret is shorter than 32 bytes: refused even when signed with it", async () => {
    const secret = "short-secret-31-bytes-long-xxxx";
    const bindings = { ...env, JWT_ALGORITHMS: "ES256,HS256", JWT_HS256_SECRET: secret };
    await expectRejected(await me(`Bearer ${await token({ alg: "HS256", key: utf8(secret) })}`, createApp(), bindings));
  });

  it("embedded jwk: signed by the attacker's key, which rides in the header", async () => {
    const { privateKey, publicKey } = await generateKeyPair("ES256");
    const t = await token({ key: privateKey, header: { jwk: await exportJWK(publicKey), kid: undefined } });
    await expectRejected(await me(`Bearer ${t}`));
  });

  for (const param of ["jku", "x5u"]) {
    it(`${param} pointing elsewhere`, async () => {
      const { privateKey } = await generateKeyPair("ES256");
      const t = await token({
        key: privateKey,
        header: { [param]: "https://attacker.example/keys.json", kid: "attacker" },
      });
      await expectRejected(await me(`Bearer ${t}`));
    });
  }

  it("x5c certificate chain in the header", async () => {
    const t = await token({ header: { x5c: ["MIIBszCCAVmgAwIBAgIUQ"] } });
    await expectRejected(await me(`Bearer ${t}`));
  });

  for (const kid of ["../../../../../dev/null", "' OR '1'='1' --", "unknown-kid", "a".repeat(300), "kid\u0000null"]) {
    it(`kid ${JSON.stringify(kid.slice(0, 30))}`, async () => {
      const { privateKey } = await generateKeyPair("ES256");
      await expectRejected(await me(`Bearer ${await token({ key: privateKey, header: { kid } })}`));
    });
  }

  it("ES256 with an all-zero signature", async () => {
    const [h, p] = (await token()).split(".");
    await expectRejected(await me(`Bearer ${h}.${p}.${base64url.encode(new Uint8Array(64))}`));
  });

  it("expired (beyond the clock tolerance)", async () =>
    expectRejected(await me(`Bearer ${await token({ claims: { exp: now() - 120, iat: now() - 900 } })}`)));
  it("not yet valid (nbf in the future)", async () =>
    expectRejected(await me(`Bearer ${await token({ claims: { nbf: now() + 600 } })}`)));
  it("issued in the future (iat)", async () =>
    expectRejected(await me(`Bearer ${await token({ claims: { iat: now() + 600 } })}`)));
  it("missing exp", async () => expectRejected(await me(`Bearer ${await token({ omit: ["exp"] })}`)));
  it("missing sub", async () => expectRejected(await me(`Bearer ${await token({ omit: ["sub"] })}`)));
  it("wrong iss", async () =>
    expectRejected(await me(`Bearer ${await token({ claims: { iss: "https://evil.example" } })}`)));
  it("missing iss", async () => expectRejected(await me(`Bearer ${await token({ omit: ["iss"] })}`)));
  it("wrong aud", async () => expectRejected(await me(`Bearer ${await token({ claims: { aud: "another-api" } })}`)));
  it("missing aud", async () => expectRejected(await me(`Bearer ${await token({ omit: ["aud"] })}`)));
  it("roles that are not a list of strings", async () =>
    expectRejected(await me(`Bearer ${await token({ claims: { roles: "admin" } })}`)));
  it("wrong typ", async () => expectRejected(await me(`Bearer ${await token({ header: { typ: "secevent+jwt" } })}`)));
  it("unknown crit (correctly signed, so only the crit check can refuse it)", async () => {
    const signed = async (header: Record<string, unknown>) => {
      const input = `${seg({ alg: "ES256", typ: "JWT", kid: devKid, ...header })}.${seg({ ...goodClaims(), sub: "alice" })}`;
      const sig = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, devKey, utf8(input));
      return `Bearer ${input}.${base64url.encode(new Uint8Array(sig))}`;
    };
    // Control: the same hand-made signing path without crit is accepted.
    expect((await me(await signed({}))).status).toBe(200);
    await expectRejected(await me(await signed({ crit: ["x-custom"], "x-custom": true })));
  });

  it("two segments", async () => {
    const [h, p] = (await token()).split(".");
    await expectRejected(await me(`Bearer ${h}.${p}`));
  });
  it("four segments", async () => expectRejected(await me(`Bearer ${await token()}.AAAA`)));
  it("bad base64url", async () => {
    const [h, p, s] = (await token()).split(".");
    await expectRejected(await me(`Bearer ${h}.${p}+/.${s}`));
    await expectRejected(await me(`Bearer !!!.${p}.${s}`));
  });
  it("header that is not JSON", async () =>
    expectRejected(await me(`Bearer ${base64url.encode(utf8("{alg:"))}.${seg(goodClaims())}.c2ln`)));
  it("oversized token", async () => {
    const big = await token({ claims: { pad: "x".repeat(12_000) } });
    await expectRejected(await me(`Bearer ${big}`));
  });
  it("two Authorization headers", async () => {
    const t = await token();
    await expectRejected(await me([`Bearer ${t}`, `Bearer ${t}`]));
  });
});

describe("remote JWKS refetch cooldown", () => {
  it("a flood of unknown kids costs the identity provider at most one refetch per cooldown", async () => {
    const { privateKey, publicKey } = await generateKeyPair("ES256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "flood-good", alg: "ES256" };
    await fetch(`${stack.DEV_IDP_URL}/__dev/jwks`, { method: "PUT", body: JSON.stringify({ keys: [jwk] }) });
    await fetch(`${stack.DEV_IDP_URL}/__dev/reset`, { method: "POST" });
    const bindings = { ...env, JWT_JWKS_URL: `${stack.DEV_IDP_URL}/jwks.json?case=flood`, JWT_PUBLIC_JWKS: "" };
    const app = createApp();
    // A good token first: one fetch fills the cache.
    expect(
      (await me(`Bearer ${await token({ key: privateKey, header: { kid: "flood-good" } })}`, app, bindings)).status,
    ).toBe(200);
    for (let i = 0; i < 30; i++) {
      await expectRejected(
        await me(`Bearer ${await token({ key: privateKey, header: { kid: `made-up-${i}` } })}`, app, bindings),
      );
    }
    const stats = (await (await fetch(`${stack.DEV_IDP_URL}/__dev/stats`)).json()) as { fetches: number };
    expect(stats.fetches).toBe(1);
    // The good key still works from the cache.
    expect(
      (await me(`Bearer ${await token({ key: privateKey, header: { kid: "flood-good" } })}`, app, bindings)).status,
    ).toBe(200);
  });
});
