/**
 * Builds the request's services from the validated settings: the drizzle client (libSQL, built
 * on first use: `lazyDatabase`) and the origin AI client per request (each carries this
 * request's timing or trace), and the isolate's shared Redis client (configuration only; see
 * `sharedRedis`). Nothing here connects until it is used.
 */
import type { MiddlewareHandler } from "hono";
import { setMetric } from "hono/timing";
import { readSettings, type AppEnv } from "../env.ts";
import { createDatabase, lazyDatabase } from "../lib/db/client.ts";
import { ApiError } from "../lib/errors.ts";
import { logLine } from "../lib/log.ts";
import { createOriginClient } from "../lib/origin.ts";
import { sharedRedis } from "../lib/redis.ts";

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
    c.set(
      "db",
      lazyDatabase(() => {
        const timedFetch: typeof fetch = async (input, init) => {
          const t0 = performance.now();
          dbCalls++;
          try {
            return await fetch(input, init);
          } finally {
            dbMs += performance.now() - t0;
          }
        };
        return createDatabase({ url: s.LIBSQL_URL, authToken: s.LIBSQL_AUTH_TOKEN, fetch: timedFetch });
      }),
    );
    c.set("redis", sharedRedis(s.UPSTASH_REDIS_REST_URL, s.UPSTASH_REDIS_REST_TOKEN));
    c.set(
      "origin",
      createOriginClient({ baseUrl: s.ORIGIN_AI_URL, apiKey: s.ORIGIN_AI_KEY, model: s.ORIGIN_AI_MODEL, traceparent: c.get("trace").traceparent }),
    );
    await next();
    if (dbCalls > 0) setMetric(c, "db", dbMs);
  };
}
