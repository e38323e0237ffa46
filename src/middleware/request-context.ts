/**
 * Request context: W3C trace context and the one structured log line written per request.
 * Other middleware add their outcome (`waf`, `ratelimit`, `auth`, …) to `c.var.log`.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { logLine, type LogFields } from "../lib/log.ts";
import { traceFromHeader } from "../lib/trace.ts";

export function requestContext(): MiddlewareHandler<AppEnv> {
  return async function requestContext(c, next) {
    const started = performance.now();
    const trace = traceFromHeader(c.req.header("traceparent"));
    const fields: LogFields = {};
    c.set("trace", trace);
    c.set("log", fields);
    await next();
    const cf = c.req.raw.cf;
    logLine(c.res.status >= 500 ? "error" : "info", "request", {
      requestId: c.var.requestId,
      traceId: trace.traceId,
      method: c.req.method,
      // The path only: query strings can carry tokens (`?access_token=`).
      path: c.req.path,
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      country: typeof cf?.country === "string" ? cf.country : null,
      colo: typeof cf?.colo === "string" ? cf.colo : null,
      configVersion: c.var.configVersion ?? null,
      ...fields,
    });
  };
}
