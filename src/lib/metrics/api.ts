/**
 * The admin metrics API's shapes (zod, also the OpenAPI description) and the reading of its
 * time parameters: `from`/`to` are ISO 8601 times or relative to now (`-1h`, `-30m`, `-7d`),
 * `step` is seconds (a multiple of 60); a range is cut into at most `MAX_POINTS` slots.
 */
import { z } from "@hono/zod-openapi";
import { RETENTION_MINUTES, type MetricsQuery } from "./shape.ts";

export const MAX_POINTS = 1_440;
/** Steps the default picks from: the smallest that gives at most `DEFAULT_POINTS` slots. */
const STEPS_MINUTES = [1, 2, 5, 10, 15, 30, 60, 120, 360, 720, 1_440] as const;
const DEFAULT_POINTS = 400;
const RELATIVE = /^-(\d{1,6})([mhd])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const TOP = 10;

const timeParam = (description: string) => z.string().max(40).optional().openapi({ description, example: "-1h" });

export const MetricsQuerySchema = z.object({
  from: timeParam("Start: an ISO 8601 time or relative to now (`-1h`, `-30m`, `-7d`). Default: one hour before `to`."),
  to: timeParam("End (exclusive): an ISO 8601 time or relative to now. Default: now."),
  step: z.coerce
    .number()
    .int()
    .min(60)
    .max(86_400)
    .refine((s) => s % 60 === 0, "a multiple of 60")
    .optional()
    .openapi({ description: "Slot length in seconds (a multiple of 60). Default: chosen for at most 400 slots." }),
});

/** Reads `from`/`to`; null when the text is neither an ISO time nor a relative one. */
export function parseTime(text: string, now: number): number | null {
  const rel = RELATIVE.exec(text);
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2] as keyof typeof UNIT_MS];
  // An ISO 8601 date-time with a zone, or a date.
  if (!/^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : null;
}

/** The query for the stored minutes, or a message naming what is wrong with the parameters. */
export function metricsQuery(
  input: { from?: string | undefined; to?: string | undefined; step?: number | undefined },
  now: number,
): MetricsQuery | { error: string } {
  const to = input.to === undefined ? now : parseTime(input.to, now);
  if (to === null) return { error: "to: an ISO 8601 time or -<n>m, -<n>h, -<n>d" };
  const from = input.from === undefined ? to - 3_600_000 : parseTime(input.from, now);
  if (from === null) return { error: "from: an ISO 8601 time or -<n>m, -<n>h, -<n>d" };
  if (from >= to) return { error: "from must be before to" };
  const toMinute = Math.ceil(to / 60_000);
  let fromMinute = Math.floor(from / 60_000);
  const span = toMinute - fromMinute;
  if (span > RETENTION_MINUTES + 1_440) return { error: "the range is longer than the 7 days kept (plus one)" };
  const stepMinutes: number =
    input.step !== undefined ? input.step / 60 : (STEPS_MINUTES.find((s) => span / s <= DEFAULT_POINTS) ?? 1_440);
  // Slots start at multiples of the step, so the same range always gives the same slots.
  fromMinute -= fromMinute % stepMinutes;
  if ((toMinute - fromMinute) / stepMinutes > MAX_POINTS)
    return { error: `step: at most ${MAX_POINTS} slots per range; use a larger step` };
  return { fromMinute, toMinute, stepMinutes, top: TOP };
}

const counts = z.array(z.number().int());
const ms = z.array(z.number().nullable());
const KeyCountList = z.array(z.object({ key: z.string(), count: z.number().int() }));

export const MetricsReportSchema = z
  .object({
    from: z.string().openapi({ description: "Start of the first slot (ISO 8601)" }),
    to: z.string(),
    stepSeconds: z.number().int(),
    series: z
      .object({
        time: counts.openapi({ description: "Start of each slot, epoch seconds" }),
        requests: counts,
        blocked: counts,
        wouldBlock: counts.openapi({
          description: "Requests a rule in `log` mode (or `mode: log`) would have blocked",
        }),
        rateLimited: counts,
        status2xx: counts,
        status3xx: counts,
        status4xx: counts,
        status5xx: counts,
        originCalls: counts,
        cacheHits: counts,
        p50Ms: ms,
        p95Ms: ms,
        p99Ms: ms,
      })
      .openapi({ description: "One value per slot; latency null where a slot had no requests" }),
    totals: z.object({
      requests: z.number().int(),
      blocked: z.number().int(),
      wouldBlock: z.number().int(),
      rateLimited: z.number().int(),
      originCalls: z.number().int(),
      cacheHits: z.number().int(),
      status: z.object({
        "1xx": z.number().int(),
        "2xx": z.number().int(),
        "3xx": z.number().int(),
        "4xx": z.number().int(),
        "5xx": z.number().int(),
      }),
      securityEvents: z
        .object({ seen: z.number().int(), kept: z.number().int() })
        .openapi({ description: "Security events of the range, and how many were kept (sampling)" }),
    }),
    latencyMs: z.object({ p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable() }),
    latencyHistogram: z.object({ boundsMs: z.array(z.number()), counts }),
    breakdowns: z
      .object({
        classes: KeyCountList,
        rules: KeyCountList,
        wouldBlockRules: KeyCountList,
        rateLimitPolicies: KeyCountList,
        countries: KeyCountList,
        paths: KeyCountList,
        ips: KeyCountList,
      })
      .openapi({ description: `Top ${TOP} keys of each, by count, over the range (blocked requests unless named)` }),
  })
  .openapi("MetricsReport");

export const SecurityEventsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .openapi({ description: "Only events older than this event id (the last id of the previous page)" }),
  rule: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
    .optional()
    .openapi({ description: "Events one of whose rule ids is this", example: "sqli-union-select" }),
  class: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/)
    .optional()
    .openapi({ example: "sqli" }),
  ip: z.string().min(2).max(64).optional(),
  action: z.enum(["block", "log"]).optional().openapi({ description: "`log`: would-block events only" }),
});

export const SecurityEventSchema = z
  .object({
    id: z.number().int(),
    at: z.string().openapi({ description: "ISO 8601" }),
    requestId: z.string(),
    ruleIds: z.array(z.string()),
    class: z.string().nullable(),
    part: z.string().nullable().openapi({ description: "Where the deciding value was, e.g. `query:q`" }),
    excerpt: z.string().nullable().openapi({ description: "At most 120 sanitized characters of that value" }),
    action: z.enum(["block", "log"]),
    country: z.string().nullable(),
    colo: z.string().nullable(),
    ip: z.string().nullable(),
    method: z.string(),
    path: z.string().openapi({ description: "Without the query string" }),
  })
  .openapi("SecurityEvent");

export const SecurityEventsSchema = z
  .object({
    events: z.array(SecurityEventSchema),
    next: z.number().int().nullable().openapi({ description: "`before` for the next page; null on the last" }),
  })
  .openapi("SecurityEvents");
