/**
 * Reference for the cost of the security filter alone: the bare baseline (which reads the
 * request body, as any handler of a POST does) plus the real `securityFilter()` middleware with
 * the default config (`mode: "block"`, no lists, 1 MiB body limit). Only what the filter
 * reads is set up around it: the config, the visitor, the log fields and the timing store.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../src/env.ts";
import { defaultEdgeConfig } from "../../src/lib/config/schema.ts";
import { visitorGeo } from "../../src/lib/geo/visitor.ts";
import { securityFilter } from "../../src/middleware/security-filter.ts";

const app = new Hono<AppEnv>();
app.use(async (c, next) => {
  c.set("log", {});
  c.set("metric", { headers: [], timers: new Map() });
  c.set("config", defaultEdgeConfig);
  c.set("visitor", visitorGeo(c.req.raw, { development: false }));
  await next();
});
app.use(securityFilter());
app.all("*", async (c) => {
  if (c.req.raw.body !== null) await c.req.arrayBuffer();
  return c.json({ status: "ok" });
});

export default app;
