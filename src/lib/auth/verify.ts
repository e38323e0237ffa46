/**
 * Access-token verification with jose, strict by construction: the algorithm must be on the
 * allowlist, key material named in the token header (`jwk`, `jku`, `x5u`, `x5c`) is never
 * used, `crit` extensions are refused, `iss`, `aud`, `exp` and `sub` are required, `nbf`/`iat`
 * are enforced with a small clock tolerance. Every failure is an `AuthError` whose reason is
 * for the log only; callers answer a plain 401. A token that passed is remembered per isolate
 * (token-cache.ts) and served from there while its settings and key are still in force.
 */
import { errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import type { Settings } from "../settings.ts";
import { freshRemoteKeys, inlineKeys, remoteKeys, resetKeyCaches, type Defer } from "./keys.ts";
import type { Principal } from "./principal.ts";
import { cachedToken, clearTokenCache, countHit, forgetToken, rememberToken } from "./token-cache.ts";

export type { Principal } from "./principal.ts";

/** Seconds of clock skew tolerated for `exp`, `nbf` and `iat`. */
export const CLOCK_TOLERANCE_SECONDS = 30;
/** Tokens longer than this are refused before any parsing. */
export const MAX_TOKEN_LENGTH = 8 * 1024;
export const MIN_HS256_SECRET_BYTES = 32;

// oxfmt-ignore
const SUPPORTED_ALGORITHMS = new Set(["ES256", "ES384", "ES512", "EdDSA", "Ed25519", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "HS256"]);
const UNTRUSTED_HEADER_PARAMS = ["jwk", "jku", "x5u", "x5c"] as const;
const ALLOWED_TYP = new Set(["jwt", "at+jwt", "application/jwt", "application/at+jwt"]);
const KID = /^[A-Za-z0-9._:-]{1,128}$/;
const B64URL = /^[A-Za-z0-9_-]+$/;

export class AuthError extends Error {
  override name = "AuthError";
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.reason = reason;
  }
}

export interface AuthConfig {
  issuer?: string | undefined;
  audience?: string | undefined;
  algorithms: string[];
  jwksUrl?: string | undefined;
  inlineJwks?: string | undefined;
  hs256Secret?: Uint8Array | undefined;
  /** Why the configuration cannot verify anything (missing issuer, no keys…), if so. */
  unusable?: string;
}

const configs = new WeakMap<Settings, AuthConfig>();

/** Derives the verification setup from the settings once per isolate. */
export function authConfig(settings: Settings): AuthConfig {
  let cfg = configs.get(settings);
  if (cfg) return cfg;
  const listed = settings.JWT_ALGORITHMS.split(",")
    .map((a) => a.trim())
    .filter(Boolean);
  const secret = settings.JWT_HS256_SECRET ? new TextEncoder().encode(settings.JWT_HS256_SECRET) : undefined;
  const hsUsable = secret !== undefined && secret.byteLength >= MIN_HS256_SECRET_BYTES;
  // HS256 only when listed *and* a long enough secret is set; unknown names are dropped.
  const algorithms = listed.filter((a) => SUPPORTED_ALGORITHMS.has(a) && (a !== "HS256" || hsUsable));
  cfg = {
    issuer: settings.JWT_ISSUER,
    audience: settings.JWT_AUDIENCE,
    algorithms,
    jwksUrl: settings.JWT_JWKS_URL,
    inlineJwks: settings.JWT_PUBLIC_JWKS,
    hs256Secret: hsUsable ? secret : undefined,
  };
  if (!cfg.issuer || !cfg.audience) cfg.unusable = "JWT_ISSUER and JWT_AUDIENCE must be set";
  else if (algorithms.length === 0) cfg.unusable = "JWT_ALGORITHMS allows no usable algorithm";
  else if (!cfg.jwksUrl && !cfg.inlineJwks && !cfg.hs256Secret)
    cfg.unusable = "no verification keys (JWT_JWKS_URL, JWT_PUBLIC_JWKS or JWT_HS256_SECRET)";
  configs.set(settings, cfg);
  return cfg;
}

function decodeJsonSegment(segment: string): Record<string, unknown> {
  const b64 = segment.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  const bytes = Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
  const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not an object");
  return value as Record<string, unknown>;
}

function reasonFor(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return "expired";
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `claim_${err.claim}_${err.reason}`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return "bad_signature";
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return "alg_not_allowed";
  if (err instanceof joseErrors.JWKSNoMatchingKey) return "unknown_kid";
  if (err instanceof joseErrors.JWKSMultipleMatchingKeys) return "ambiguous_kid";
  if (err instanceof joseErrors.JOSENotSupported) return "not_supported";
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) return "malformed";
  return "verification_failed";
}

function principalFrom(payload: JWTPayload): Principal {
  const { sub, roles, tenant, exp } = payload as JWTPayload & { roles?: unknown; tenant?: unknown };
  if (typeof sub !== "string" || sub.length === 0 || sub.length > 256) throw new AuthError("bad_sub");
  let roleList: string[] = [];
  if (roles !== undefined) {
    if (
      !Array.isArray(roles) ||
      roles.length > 64 ||
      !roles.every((r) => typeof r === "string" && r.length > 0 && r.length <= 64)
    ) {
      throw new AuthError("bad_roles");
    }
    roleList = roles as string[];
  }
  if (tenant !== undefined && (typeof tenant !== "string" || tenant.length === 0 || tenant.length > 128))
    throw new AuthError("bad_tenant");
  return { sub, roles: roleList, tenant: typeof tenant === "string" ? tenant : sub, expiresAt: exp! };
}

/** The key for `alg`/`kid` under `cfg`, fetching a remote set if needed. */
async function keyFor(
  cfg: AuthConfig,
  alg: string,
  kid: string | undefined,
  now: number,
  defer?: Defer,
): Promise<JWTVerifyGetKey | Uint8Array> {
  if (alg === "HS256") return cfg.hs256Secret!; // present: HS256 is only on the list with a usable secret
  if (cfg.jwksUrl) {
    const remote = await remoteKeys(cfg.jwksUrl, kid, now, defer);
    if (!remote) throw new AuthError("keys_unavailable");
    return remote;
  }
  if (cfg.inlineJwks) return inlineKeys(cfg.inlineJwks);
  throw new AuthError("no_key_for_alg");
}

/** The key in force now for a token verified before, when knowable without I/O. */
function keyInForceNow(cfg: AuthConfig, alg: string, now: number): object | undefined {
  if (alg === "HS256") return cfg.hs256Secret;
  if (cfg.jwksUrl) return freshRemoteKeys(cfg.jwksUrl, now);
  return cfg.inlineJwks ? inlineKeys(cfg.inlineJwks) : undefined;
}

/**
 * Verifies `token` under `cfg` at `now`. `defer` (the request's `waitUntil`) lets a refresh of a
 * stale remote key set run after the response instead of before it.
 */
export async function verifyAccessToken(
  token: string,
  cfg: AuthConfig,
  now = Date.now(),
  defer?: Defer,
): Promise<Principal> {
  if (cfg.unusable) throw new AuthError("not_configured");
  if (token.length > MAX_TOKEN_LENGTH) throw new AuthError("oversized");

  const hit = cachedToken(token, now);
  if (hit) {
    // Same settings and the very key object it passed with: nothing it was checked against changed.
    if (hit.config === cfg) {
      const inForce =
        keyInForceNow(cfg, hit.alg, now) ??
        (hit.alg !== "HS256" && cfg.jwksUrl ? await remoteKeys(cfg.jwksUrl, hit.kid, now, defer) : undefined);
      if (inForce === hit.key) {
        countHit();
        return hit.principal;
      }
    }
    forgetToken(token);
  }

  const parts = token.split(".");
  if (parts.length !== 3) throw new AuthError("malformed");
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  if (!signaturePart) throw new AuthError("unsigned");
  if (!B64URL.test(headerPart) || !B64URL.test(payloadPart) || !B64URL.test(signaturePart))
    throw new AuthError("malformed");

  let header: Record<string, unknown>;
  try {
    header = decodeJsonSegment(headerPart);
  } catch {
    throw new AuthError("malformed");
  }
  const { alg, typ, kid } = header;
  // Exact, case-sensitive match: "none", "None", "NONE" and anything unlisted fail here.
  if (typeof alg !== "string" || !cfg.algorithms.includes(alg)) throw new AuthError("alg_not_allowed");
  if (UNTRUSTED_HEADER_PARAMS.some((p) => p in header)) throw new AuthError("untrusted_key_reference");
  if ("crit" in header) throw new AuthError("unsupported_crit");
  if (typ !== undefined && (typeof typ !== "string" || !ALLOWED_TYP.has(typ.toLowerCase())))
    throw new AuthError("bad_typ");
  if (kid !== undefined && (typeof kid !== "string" || !KID.test(kid))) throw new AuthError("bad_kid");

  const key = await keyFor(cfg, alg, kid as string | undefined, now, defer);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key as JWTVerifyGetKey, {
      algorithms: cfg.algorithms,
      issuer: cfg.issuer!,
      audience: cfg.audience!,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ["exp", "sub"],
      currentDate: new Date(now),
    }));
  } catch (err) {
    throw new AuthError(reasonFor(err));
  }
  if (typeof payload.iat === "number" && payload.iat > now / 1000 + CLOCK_TOLERANCE_SECONDS)
    throw new AuthError("iat_in_future");
  const principal = principalFrom(payload);
  Object.freeze(principal.roles);
  Object.freeze(principal);
  // jose refuses once floor(now / 1000) >= exp + tolerance; the cache stops at the same instant.
  rememberToken(
    token,
    { principal, config: cfg, key, alg, kid: kid as string | undefined, verifiedAt: now },
    (principal.expiresAt + CLOCK_TOLERANCE_SECONDS) * 1000,
  );
  return principal;
}

/** Test hook: forget this isolate's key sets and verified tokens (as a new isolate would). */
export function resetAuthCaches(): void {
  resetKeyCaches();
  clearTokenCache();
}
