/**
 * Request context, in one middleware so the per-request bookkeeping costs one layer:
 * - `x-request-id`: a valid incoming one is echoed, otherwise a UUID is generated
 *   (same rules as `hono/request-id` with `limitLength: 128`);
 * - `Server-Timing`: `c.get("metric")` for `setMetric`/`startTime`/`endTime` from `hono/timing`,
 *   and `total` plus every metric set during the request on the response (same output as
 *   `hono/timing` with its defaults);
 * - W3C trace context on `c.get("trace")`;
 * - the one structured log line written per request. Other middleware add their outcome
 *   (`waf`, `ratelimit`, `auth`, …) to `c.get("log")`;
 * - the request in this isolate's counters (`src/lib/metrics`) when the edge config's
 *   `metrics.enabled` is on, and a flush of them scheduled when none is.
 *
 * When `hono/request-id` or `hono/timing` run before it, it leaves those parts to them.
 */
import type { MiddlewareHandler } from "hono";
import { endTime } from "hono/timing";
import type { AppEnv } from "../env.ts";
import { waitUntilOf } from "../lib/background.ts";
import { hasFields, isoNow, writeLine, type LogFields } from "../lib/log.ts";
import { recordRequest } from "../lib/metrics/collect.ts";
import { scheduleFlush } from "../lib/metrics/flush.ts";
import { traceFromHeader } from "../lib/trace.ts";

export const REQUEST_ID_HEADER = "x-request-id";
/** Longer incoming request ids are replaced. */
export const REQUEST_ID_MAX_LENGTH = 128;
const REQUEST_ID_INVALID = /[^\w\-=]/;
const TOTAL = "total";
const TOTAL_DESCRIPTION = "Total Response Time";

/** The fixed part of the request's log line, in the order the line has always had. */
interface RequestLine {
  level: "info" | "error";
  msg: "request";
  time: string;
  requestId: string;
  traceId: string;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  country: string | null;
  colo: string | null;
  configVersion: number | null;
}

export function requestContext(): MiddlewareHandler<AppEnv> {
  return async function requestContext(c, next) {
    const started = performance.now();
    const headers = c.req.raw.headers;

    let requestId = c.get("requestId");
    if (requestId === undefined) {
      const incoming = headers.get(REQUEST_ID_HEADER);
      requestId =
        !incoming || incoming.length > REQUEST_ID_MAX_LENGTH || REQUEST_ID_INVALID.test(incoming)
          ? crypto.randomUUID()
          : incoming;
      c.set("requestId", requestId);
      c.header(REQUEST_ID_HEADER, requestId);
    }

    let metric = c.get("metric");
    const ownsTiming = metric === undefined;
    if (metric === undefined) {
      metric = { headers: [], timers: new Map([[TOTAL, { description: TOTAL_DESCRIPTION, start: started }]]) };
      c.set("metric", metric);
    }

    const trace = traceFromHeader(headers.get("traceparent"));
    const fields: LogFields = {};
    c.set("trace", trace);
    c.set("log", fields);

    await next();

    const res = c.res;
    const status = res.status;
    const cf = c.req.raw.cf;
    const line: RequestLine = {
      level: status >= 500 ? "error" : "info",
      msg: "request",
      time: isoNow(),
      requestId: c.get("requestId"),
      traceId: trace.traceId,
      method: c.req.method,
      // The path only: query strings can carry tokens (`?access_token=`).
      path: c.req.path,
      status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      country: typeof cf?.country === "string" ? cf.country : null,
      colo: typeof cf?.colo === "string" ? cf.colo : null,
      configVersion: c.get("configVersion") ?? null,
    };
    writeLine(line.level, hasFields(fields) ? { ...line, ...fields } : line);

    const metrics = c.get("config")?.metrics;
    if (metrics?.enabled) {
      const visitor = c.get("visitor");
      recordRequest({
        now: Date.now(),
        status,
        durationMs: line.durationMs,
        method: line.method,
        path: line.path,
        requestId: line.requestId,
        // The visitor (geo middleware) is what every check used: `request.cf` or, in development, `x-dev-cf`.
        country: visitor?.country ?? line.country,
        colo: visitor?.colo ?? line.colo,
        ip: visitor?.ip ?? null,
        fields,
        eventsPerMinute: metrics.securityEventsPerMinute,
      });
      scheduleFlush(c.env, metrics.securityEventsPerMinute, () => waitUntilOf(c));
    }

    if (ownsTiming) {
      const total = metric.timers.get(TOTAL);
      if (total) {
        metric.timers.delete(TOTAL);
        metric.headers.push(`${TOTAL};dur=${(performance.now() - total.start).toFixed(1)};desc="${TOTAL_DESCRIPTION}"`);
      } else endTime(c, TOTAL);
      // Timers started and never ended close with the response, as with hono/timing's autoEnd.
      if (metric.timers.size > 0) metric.timers.forEach((_, key) => endTime(c, key));
      res.headers.append("Server-Timing", metric.headers.join(","));
    }
  };
}
