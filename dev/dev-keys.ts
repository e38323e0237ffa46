/**
 * The local development identity provider: an ES256 key pair kept in the git-ignored data
 * folder, created on first use. The public half goes into `.dev.vars` as `JWT_PUBLIC_JWKS`;
 * `npm run token` signs with the private half.
 */
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from "jose";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const DEV_ISSUER = "https://dev-issuer.local";
export const DEV_AUDIENCE = "edge-backend";

export interface DevKeys {
  privateJwk: JWK;
  publicJwks: { keys: JWK[] };
}

export async function loadOrCreateDevKeys(dataDir: string): Promise<DevKeys> {
  const file = join(dataDir, "dev-jwt-key.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as DevKeys;
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const kid = `dev-${new Date().toISOString().slice(0, 10)}-${Math.random().toString(36).slice(2, 8)}`;
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: "ES256", use: "sig" };
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" };
  const keys: DevKeys = { privateJwk, publicJwks: { keys: [publicJwk] } };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(keys, null, 2), { mode: 0o600 });
  return keys;
}

export interface DevTokenClaims {
  sub: string;
  roles?: string[];
  tenant?: string;
  ttlSeconds?: number;
  issuer?: string;
  audience?: string;
}

export async function signDevToken(keys: DevKeys, claims: DevTokenClaims): Promise<string> {
  const key = await importJWK(keys.privateJwk, "ES256");
  const jwt = new SignJWT({ roles: claims.roles ?? [], ...(claims.tenant ? { tenant: claims.tenant } : {}) })
    .setProtectedHeader({ alg: "ES256", typ: "JWT", kid: keys.privateJwk.kid ?? "dev" })
    .setSubject(claims.sub)
    .setIssuer(claims.issuer ?? DEV_ISSUER)
    .setAudience(claims.audience ?? DEV_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${claims.ttlSeconds ?? 900}s`);
  return jwt.sign(key);
}
