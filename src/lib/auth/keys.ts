/**
 * Verification keys for access tokens: an inline JWKS (`JWT_PUBLIC_JWKS`), a remote JWKS
 * (`JWT_JWKS_URL`) or an HS256 secret. Remote key sets are cached per isolate; an unknown
 * `kid` triggers a refetch at most once per cooldown, counted from the attempt (not its
 * completion), so a flood of made-up `kid`s costs the identity provider one request per
 * cooldown. Each refetch belongs to the request that made it (never shared across requests).
 */
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import { withTimeout } from "../timeout.ts";

export const JWKS_MAX_AGE_MS = 10 * 60_000;
export const JWKS_COOLDOWN_MS = 30_000;
export const JWKS_FETCH_TIMEOUT_MS = 3_000;
const MAX_JWKS_BYTES = 64 * 1024;

interface RemoteEntry {
  keys?: JWTVerifyGetKey;
  kids: Set<string>;
  fetchedAt: number;
  lastAttemptAt: number;
}

const remote = new Map<string, RemoteEntry>();
const inline = new Map<string, JWTVerifyGetKey>();

function isJwks(value: unknown): value is JSONWebKeySet {
  return typeof value === "object" && value !== null && Array.isArray((value as { keys?: unknown }).keys);
}

/** Verification keys from an inline JWKS JSON string (parsed once per isolate). */
export function inlineKeys(jwksJson: string): JWTVerifyGetKey {
  let keys = inline.get(jwksJson);
  if (!keys) {
    const parsed: unknown = JSON.parse(jwksJson);
    if (!isJwks(parsed)) throw new Error("JWT_PUBLIC_JWKS is not a JWK set");
    keys = createLocalJWKSet(parsed);
    inline.set(jwksJson, keys);
  }
  return keys;
}

async function fetchJwks(url: string): Promise<JSONWebKeySet> {
  const res = await withTimeout(fetch(url, { headers: { accept: "application/jwk-set+json, application/json" } }), JWKS_FETCH_TIMEOUT_MS);
  if (!res.ok) throw new Error(`JWKS endpoint answered ${res.status}`);
  const text = await res.text();
  if (text.length > MAX_JWKS_BYTES) throw new Error("JWKS response too large");
  const parsed: unknown = JSON.parse(text);
  if (!isJwks(parsed)) throw new Error("JWKS response is not a JWK set");
  return parsed;
}

function kidsOf(jwks: JSONWebKeySet): Set<string> {
  return new Set(jwks.keys.map((k) => k.kid).filter((k): k is string => typeof k === "string"));
}

/**
 * Keys from a remote JWKS for a token with this `kid`. Refetches when the cached set is older
 * than the max age, or when the kid is unknown and the cooldown since the last attempt passed.
 */
export async function remoteKeys(url: string, kid: string | undefined, now = Date.now()): Promise<JWTVerifyGetKey | undefined> {
  let entry = remote.get(url);
  if (!entry) {
    entry = { kids: new Set(), fetchedAt: 0, lastAttemptAt: 0 };
    remote.set(url, entry);
  }
  const expired = now - entry.fetchedAt > JWKS_MAX_AGE_MS;
  const unknownKid = kid !== undefined && !entry.kids.has(kid);
  const mayAttempt = now - entry.lastAttemptAt >= JWKS_COOLDOWN_MS;
  if ((expired || !entry.keys || unknownKid) && mayAttempt) {
    entry.lastAttemptAt = now;
    try {
      const jwks = await fetchJwks(url);
      entry.keys = createLocalJWKSet(jwks);
      entry.kids = kidsOf(jwks);
      entry.fetchedAt = Date.now();
    } catch {
      // Keep the last good set; the caller fails closed when it has none.
    }
  }
  return entry.keys;
}

/** Test hook: forget cached remote key sets. */
export function resetKeyCaches(): void {
  remote.clear();
  inline.clear();
}
