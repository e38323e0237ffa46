/**
 * Who is visiting from where: `c.get("visitor")` (from `request.cf` and `CF-Connecting-IP`, or the
 * `x-dev-cf` override in development only) and `c.get("geo")` (locale, currency, units, consent,
 * nearest origin). Pure and synchronous; every later check (maintenance, security filter, rate
 * limits, content) reads these instead of `request.cf`. The visitor's address is read on every
 * request (the security filter needs it); its place (`request.cf`) on first use
 * (`LazyVisitorGeo`); locale, currency, consent and nearest origin only when a route reads them
 * (`LazyGeoContext`).
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { LazyGeoContext, LazyVisitorGeo } from "../lib/geo/index.ts";

const DEVELOPMENT = { development: true } as const;
const PRODUCTION = { development: false } as const;

export function geo(): MiddlewareHandler<AppEnv> {
  return async function geo(c, next) {
    const visitor = new LazyVisitorGeo(c.req.raw, c.env.ENVIRONMENT === "development" ? DEVELOPMENT : PRODUCTION);
    c.set("visitor", visitor);
    c.set("geo", new LazyGeoContext(visitor, c.req.raw.headers));
    await next();
  };
}
