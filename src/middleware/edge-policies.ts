/**
 * What the edge config drives on every request, after the config is read:
 * - maintenance: `503` + `Retry-After` everywhere or for the listed countries, never for
 *   health checks or the admin API and page (so admins can switch it off);
 * - CORS for the configured origins (exact origins, or `*`);
 * - feature flags on `c.get("flags")`.
 */
import type { MiddlewareHandler } from "hono";
import { cors as honoCors } from "hono/cors";
import type { AppEnv } from "../env.ts";
import { featureFlags } from "../lib/config/flags.ts";
import { ApiError } from "../lib/errors.ts";

const MAINTENANCE_EXEMPT = /^\/(healthz|readyz|admin)(\/|$)|^\/v1\/admin(\/|$)/;

export function maintenance(): MiddlewareHandler<AppEnv> {
  return async function maintenance(c, next) {
    const m = c.get("config").maintenance;
    if (m.enabled && !MAINTENANCE_EXEMPT.test(c.req.path)) {
      const country = c.get("visitor").country;
      if (m.countries.length === 0 || (country !== null && m.countries.includes(country))) {
        c.get("log").maintenance = true;
        throw new ApiError("maintenance", {
          detail: m.message || "The service is down for maintenance. Please retry later.",
          headers: { "retry-after": String(m.retryAfterSeconds) },
        });
      }
    }
    await next();
  };
}

const EXPOSED_HEADERS = [
  "x-request-id",
  "x-config-version",
  "etag",
  "retry-after",
  "ratelimit",
  "ratelimit-policy",
  "server-timing",
  "x-cache",
];
const ALLOWED_HEADERS = ["authorization", "content-type", "if-match", "x-change-reason", "x-request-id", "traceparent"];

export function cors(): MiddlewareHandler<AppEnv> {
  return async function cors(c, next) {
    const origins = c.get("config").cors.origins;
    if (origins.length === 0 || !c.req.header("origin")) return next();
    const allowAny = origins.includes("*");
    const handler = honoCors({
      origin: (origin) => (allowAny || origins.includes(origin) ? origin : null),
      allowMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
      allowHeaders: ALLOWED_HEADERS,
      exposeHeaders: EXPOSED_HEADERS,
      maxAge: 600,
      credentials: false,
    });
    return handler(c, next);
  };
}

export function flags(): MiddlewareHandler<AppEnv> {
  return async function flags(c, next) {
    const visitor = c.get("visitor");
    c.set(
      "flags",
      featureFlags(c.get("config").flags, () => ({
        id: c.get("principal")?.sub ?? visitor.ip ?? "anonymous",
        country: visitor.country,
      })),
    );
    await next();
  };
}
