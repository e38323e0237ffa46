/**
 * Route-level authentication and RBAC. `requireAuth()` verifies the bearer token and puts the
 * principal on `c.get("principal")`; `requireRole(...)` also demands one of the roles. Any token
 * problem is a 401 with `WWW-Authenticate: Bearer error="invalid_token"` and no detail that
 * helps an attacker (the reason goes to the log line); a valid token without the role is 403.
 */
import type { Context, MiddlewareHandler } from "hono";
import { setMetric } from "hono/timing";
import type { AppEnv } from "../env.ts";
import { waitUntilOf } from "../lib/background.ts";
import { authConfig, AuthError, verifyAccessToken, type Principal } from "../lib/auth/verify.ts";
import { ApiError } from "../lib/errors.ts";

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i;
export const WWW_AUTHENTICATE = 'Bearer error="invalid_token"';

function unauthorized(c: Context<AppEnv>, reason: string): ApiError {
  c.get("log").auth = `invalid:${reason}`;
  return new ApiError("invalid-token", {
    detail: "A valid access token is required.",
    headers: { "www-authenticate": WWW_AUTHENTICATE },
  });
}

/** The bearer token of the request: from `Authorization`, or from `extra` (e.g. a WebSocket subprotocol). */
export function bearerToken(c: Context<AppEnv>): string | undefined {
  const header = c.req.header("authorization");
  if (header === undefined) return undefined;
  // Two Authorization headers arrive joined by ", " and fail this match on purpose.
  return BEARER.exec(header)?.[1] ?? "";
}

/** Verifies `token` (or the request's bearer token) and sets `c.get("principal")`; throws a 401 ApiError. */
export async function authenticate(c: Context<AppEnv>, token = bearerToken(c)): Promise<Principal> {
  if (token === undefined) throw unauthorized(c, "missing");
  if (token === "") throw unauthorized(c, "malformed_header");
  const t0 = performance.now();
  try {
    const principal = await verifyAccessToken(token, authConfig(c.get("settings")), Date.now(), waitUntilOf(c));
    c.set("principal", principal);
    c.get("log").auth = "ok";
    c.get("log").sub = principal.sub;
    return principal;
  } catch (err) {
    if (err instanceof AuthError) throw unauthorized(c, err.reason);
    throw unauthorized(c, "error");
  } finally {
    setMetric(c, "auth", performance.now() - t0);
  }
}

/** Requests whose bearer token was already tried softly (by `optionalPrincipal`). */
const softlyChecked = new WeakMap<Request, Principal | null>();

/**
 * The principal if the request carries a valid bearer token, else `undefined` — never throws
 * (e.g. for keying rate limits by user before the route's own `requireAuth`). The result is
 * kept for the request, so the token is verified once.
 */
export async function optionalPrincipal(c: Context<AppEnv>): Promise<Principal | undefined> {
  const known = c.get("principal");
  if (known) return known;
  const cached = softlyChecked.get(c.req.raw);
  if (cached !== undefined) return cached ?? undefined;
  const token = bearerToken(c);
  let principal: Principal | null = null;
  if (token) {
    try {
      principal = await verifyAccessToken(token, authConfig(c.get("settings")), Date.now(), waitUntilOf(c));
      c.set("principal", principal);
    } catch {
      principal = null;
    }
  }
  softlyChecked.set(c.req.raw, principal);
  return principal ?? undefined;
}

export function requireAuth(): MiddlewareHandler<AppEnv> {
  return async function requireAuth(c, next) {
    if (c.get("principal")) {
      c.get("log").auth = "ok";
      c.get("log").sub = c.get("principal").sub;
    } else await authenticate(c);
    await next();
  };
}

/** Requires a valid token carrying at least one of `roles`. */
export function requireRole(...roles: string[]): MiddlewareHandler<AppEnv> {
  return async function requireRole(c, next) {
    const principal = c.get("principal") ?? (await authenticate(c));
    c.get("log").auth = "ok";
    c.get("log").sub = principal.sub;
    if (!principal.roles.some((r) => roles.includes(r))) {
      c.get("log").auth = "forbidden";
      throw new ApiError("forbidden", { detail: `This needs one of the roles: ${roles.join(", ")}.` });
    }
    await next();
  };
}
