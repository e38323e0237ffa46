/**
 * Puts the request's services on the context (`createServices`: the drizzle client built on
 * first use, the isolate's shared Redis client, the origin AI client with this request's trace),
 * with libSQL calls timed for the `Server-Timing` header. Nothing here connects until it is used.
 */
import type { MiddlewareHandler } from "hono";
import { setMetric } from "hono/timing";
import { readSettings, type AppEnv } from "../env.ts";
import { ApiError } from "../lib/errors.ts";
import { logLine } from "../lib/log.ts";
import { createServices } from "../lib/services.ts";

let reportedMisconfiguration = false;

export function services(): MiddlewareHandler<AppEnv> {
  return async function services(c, next) {
    const result = readSettings(c.env);
    if (!result.ok) {
      if (!reportedMisconfiguration) {
        reportedMisconfiguration = true;
        logLine("error", "invalid Worker settings (vars/secrets)", { problems: result.problems });
      }
      throw new ApiError("unavailable", { detail: "The service is not configured correctly." });
    }
    const s = result.settings;
    let dbMs = 0;
    let dbCalls = 0;
    c.set("settings", s);
    const timedFetch: typeof fetch = async (input, init) => {
      const t0 = performance.now();
      dbCalls++;
      try {
        return await fetch(input, init);
      } finally {
        dbMs += performance.now() - t0;
      }
    };
    const { db, redis, origin } = createServices(s, { traceparent: c.get("trace").traceparent, dbFetch: timedFetch });
    c.set("db", db);
    c.set("redis", redis);
    c.set("origin", origin);
    await next();
    if (dbCalls > 0) setMetric(c, "db", dbMs);
  };
}
