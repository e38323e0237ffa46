/**
 * What the edge did (role `admin`): time series and breakdowns of the edge's counters, and the
 * security events (blocks and would-blocks), from the Metrics object. Each call first flushes
 * this isolate's own counters, so an admin sees their requests up to now; other isolates' arrive
 * within their flush interval (10 s).
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../src/env.ts";
import { ApiError } from "../src/lib/errors.ts";
import {
  metricsQuery,
  MetricsQuerySchema,
  MetricsReportSchema,
  SecurityEventsQuerySchema,
  SecurityEventsSchema,
} from "../src/lib/metrics/api.ts";
import { flushNow } from "../src/lib/metrics/flush.ts";
import { METRICS_INSTANCE } from "../src/lib/metrics/shape.ts";
import { requireRole } from "../src/middleware/auth.ts";
import { orUnavailable, problem, UNAUTHORIZED } from "./problem.ts";

const ADMIN_ONLY = problem("Needs the admin role");
const admin = { security: [{ bearerAuth: [] }], tags: ["Admin"] };
const UNREACHABLE = { log: "metrics object unreachable", detail: "The metrics store cannot be reached." };

export const metricsRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    createRoute({
      ...admin,
      middleware: [requireRole("admin")] as const,
      method: "get",
      path: "/v1/admin/metrics",
      summary: "Requests, blocks, rate limits and latency over time, with breakdowns",
      description:
        "Counts per slot of `step` seconds over `[from, to)`: requests, status classes, blocked, would-block " +
        "(rules in `log` mode), rate-limited, origin calls, cache hits and latency percentiles (from a fixed-bucket " +
        "histogram); totals; the top classes, rules, would-block rules, rate-limit policies, countries, paths and " +
        "client addresses. Kept 7 days.",
      request: { query: MetricsQuerySchema },
      responses: {
        200: { description: "The report", content: { "application/json": { schema: MetricsReportSchema } } },
        400: problem("Bad query (a time that is not ISO 8601 or relative, from after to, too many slots)"),
        401: UNAUTHORIZED,
        403: ADMIN_ONLY,
        503: problem("The metrics store cannot be reached"),
      },
    }),
    async (c) => {
      const q = metricsQuery(c.req.valid("query"), Date.now());
      if ("error" in q) throw new ApiError("bad-request", { detail: q.error });
      const sink = c.env.METRICS.getByName(METRICS_INSTANCE);
      const report = await orUnavailable(
        c,
        async () => {
          await flushNow(c.env, c.get("config").metrics.securityEventsPerMinute, sink);
          return sink.report(q);
        },
        UNREACHABLE,
      );
      return c.json(report, 200, { "cache-control": "no-store" });
    },
  )
  .openapi(
    createRoute({
      ...admin,
      middleware: [requireRole("admin")] as const,
      method: "get",
      path: "/v1/admin/security-events",
      summary: "Security events (blocked and would-block requests), newest first",
      description:
        "Sampled when there are more than `metrics.securityEventsPerMinute` in a minute; at most 10,000 are kept, 7 days.",
      request: { query: SecurityEventsQuerySchema },
      responses: {
        200: { description: "One page of events", content: { "application/json": { schema: SecurityEventsSchema } } },
        400: problem("Bad query"),
        401: UNAUTHORIZED,
        403: ADMIN_ONLY,
        503: problem("The metrics store cannot be reached"),
      },
    }),
    async (c) => {
      const { limit, before, rule, class: cls, ip, action } = c.req.valid("query");
      const sink = c.env.METRICS.getByName(METRICS_INSTANCE);
      const events = await orUnavailable(
        c,
        async () => {
          await flushNow(c.env, c.get("config").metrics.securityEventsPerMinute, sink);
          // One more than asked: whether another page exists, without an empty last page.
          return sink.events({
            limit: limit + 1,
            ...(before !== undefined ? { before } : {}),
            ...(rule !== undefined ? { rule } : {}),
            ...(cls !== undefined ? { class: cls } : {}),
            ...(ip !== undefined ? { ip } : {}),
            ...(action !== undefined ? { action } : {}),
          });
        },
        UNREACHABLE,
      );
      const page = events.slice(0, limit);
      const body = {
        events: page.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
        next: events.length > limit ? (page[page.length - 1]?.id ?? null) : null,
      };
      return c.json(body, 200, { "cache-control": "no-store" });
    },
  );
