/**
 * Liveness and readiness. `/healthz` says the Worker runs and touches nothing else;
 * `/readyz` checks every dependency (libSQL, Redis, the AI origin, the EdgeConfig object)
 * in parallel, each within a short budget, and answers 503 if any fails.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { AppEnv } from "../src/env.ts";
import { EDGE_CONFIG_INSTANCE } from "../src/lib/config/instance.ts";
import { withTimeout } from "../src/lib/timeout.ts";

const CHECK_TIMEOUT_MS = 2_000;

const HealthSchema = z.object({ status: z.literal("ok") }).openapi("Health");

const CheckSchema = z
  .object({
    status: z.enum(["ok", "fail"]),
    latencyMs: z.number(),
    error: z.string().optional().openapi({ description: "Short reason; never contains credentials." }),
  })
  .openapi("ReadinessCheck");

const ReadinessSchema = z
  .object({
    status: z.enum(["ok", "degraded"]),
    checks: z.object({ db: CheckSchema, redis: CheckSchema, origin: CheckSchema, config: CheckSchema }),
  })
  .openapi("Readiness");

type Check = z.infer<typeof CheckSchema>;

async function runCheck(probe: () => Promise<void>): Promise<Check> {
  const t0 = performance.now();
  try {
    await withTimeout(probe(), CHECK_TIMEOUT_MS, "timeout");
    return { status: "ok", latencyMs: Math.round(performance.now() - t0) };
  } catch (err) {
    const reason = err instanceof Error && err.name === "TimeoutError" ? "timeout" : "unreachable or failing";
    return { status: "fail", latencyMs: Math.round(performance.now() - t0), error: reason };
  }
}

export const healthRoutes = new OpenAPIHono<AppEnv>().openapi(
  createRoute({
    method: "get",
    path: "/healthz",
    tags: ["Operations"],
    summary: "Liveness: the Worker runs",
    responses: { 200: { description: "The Worker runs", content: { "application/json": { schema: HealthSchema } } } },
  }),
  (c) => c.json({ status: "ok" as const }, 200),
);

export const readinessRoutes = new OpenAPIHono<AppEnv>().openapi(
  createRoute({
    method: "get",
    path: "/readyz",
    tags: ["Operations"],
    summary: "Readiness: every dependency answers",
    responses: {
      200: { description: "All dependencies answer", content: { "application/json": { schema: ReadinessSchema } } },
      503: {
        description: "At least one dependency fails",
        content: { "application/json": { schema: ReadinessSchema } },
      },
    },
  }),
  async (c) => {
    const [db, redis, origin, config] = await Promise.all([
      runCheck(async () => {
        await c.get("db").run(sql`select 1`);
      }),
      runCheck(async () => {
        const pong = await c.get("redis").ping();
        if (pong !== "PONG") throw new Error("unexpected PING reply");
      }),
      runCheck(async () => {
        const res = await c.get("origin").fetch("models", { timeoutMs: CHECK_TIMEOUT_MS });
        await res.body?.cancel();
        if (!res.ok) throw new Error(`origin answered ${res.status}`);
      }),
      runCheck(async () => {
        await c.env.EDGE_CONFIG.getByName(EDGE_CONFIG_INSTANCE).version();
      }),
    ]);
    const checks = { db, redis, origin, config };
    const ok = Object.values(checks).every((check) => check.status === "ok");
    if (!ok) c.get("log").readiness = Object.fromEntries(Object.entries(checks).map(([k, v]) => [k, v.status]));
    return ok ? c.json({ status: "ok" as const, checks }, 200) : c.json({ status: "degraded" as const, checks }, 503);
  },
);
