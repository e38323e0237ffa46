/**
 * Request context, in one middleware so the per-request bookkeeping costs one layer:
 * - `x-request-id`: a valid incoming one is echoed, otherwise a UUID is generated
 *   (same rules as `hono/request-id` with `limitLength: 128`);
 * - `Server-Timing`: `c.get("metric")` for `setMetric`/`startTime`/`endTime` from `hono/timing`,
 *   and `total` plus every metric set during the request on the response (same output as
 *   `hono/timing` with its defaults);
 * - W3C trace context on `c.get("trace")`;
 * - the one structured log line written per request. Other middleware add their outcome
 *   (`waf`, `ratelimit`, `auth`, …) to `c.get("log")`. Health checks that pass (`/healthz` and
 *   `/readyz` answering below 300 with nothing to report: the security filter allowed them
 *   without a match, no other outcome) write none unless `LOG_HEALTH_CHECKS` is `true`: probes
 *   every few seconds from every region would be most of the log (and of what Workers Logs
 *   bills); the metrics still count them;
 * - the request in this isolate's counters (`src/lib/metrics`) when the edge config's
 *   `metrics.enabled` is on, and a flush of them scheduled when none is.
 *
 * When `hono/request-id` or `hono/timing` run before it, it leaves those parts to them.
 */
import type { MiddlewareHandler } from "hono";
import { endTime } from "hono/timing";
import type { AppEnv } from "../env.ts";
import { waitUntilOf } from "../lib/background.ts";
import { isoNow, writeLine, type RequestLogFields } from "../lib/log.ts";
import { recordRequest } from "../lib/metrics/collect.ts";
import { scheduleFlush } from "../lib/metrics/flush.ts";
import { traceFromHeader } from "../lib/trace.ts";

export const REQUEST_ID_HEADER = "x-request-id";
/** Longer incoming request ids are replaced. */
export const REQUEST_ID_MAX_LENGTH = 128;
const REQUEST_ID_INVALID = /[^\w\-=]/;
const TOTAL = "total";
/** Liveness and readiness probes (routes/health.ts). */
const PROBE_PATHS = new Set(["/healthz", "/readyz"]);
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

/** Whether the request's outcome fields say nothing but "the security filter allowed it, no rule matched". */
function nothingToReport(fields: RequestLogFields): boolean {
  for (const key in fields) {
    if (key !== "waf") return false;
    const waf = fields.waf as Record<string, unknown>;
    for (const k in waf) if (k !== "action") return false;
    if (waf.action !== "allow") return false;
  }
  return true;
}

function placeFromCf(request: Request): { country: string | null; colo: string | null; ip: null } {
  const cf = request.cf;
  return {
    country: typeof cf?.country === "string" ? cf.country : null,
    colo: typeof cf?.colo === "string" ? cf.colo : null,
    ip: null,
  };
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
    const fields: RequestLogFields = {};
    c.set("trace", trace);
    c.set("log", fields);

    await next();

    const res = c.res;
    const status = res.status;
    const method = c.req.method;
    // The path only: query strings can carry tokens (`?access_token=`).
    const path = c.req.path;
    const durationMs = Math.round((performance.now() - started) * 10) / 10;
    if (status >= 300 || !PROBE_PATHS.has(path) || !nothingToReport(fields) || c.env.LOG_HEALTH_CHECKS === "true") {
      // The runtime's own place, as the line has always said (the visitor may be a development override).
      const place = placeFromCf(c.req.raw);
      const line: RequestLine = {
        level: status >= 500 ? "error" : "info",
        msg: "request",
        time: isoNow(),
        requestId,
        traceId: trace.traceId,
        method,
        path,
        status,
        durationMs,
        country: place.country,
        colo: place.colo,
        configVersion: c.get("configVersion") ?? null,
      };
      writeLine(line.level, line, fields);
    }

    const metrics = c.get("config")?.metrics;
    if (metrics?.enabled) {
      recordRequest({
        now: Date.now(),
        status,
        durationMs,
        method,
        path,
        requestId,
        // What every check used (`request.cf` or, in development, `x-dev-cf`); without the geo
        // middleware (an error before it), the runtime's own `request.cf`.
        visitor: c.get("visitor") ?? placeFromCf(c.req.raw),
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
