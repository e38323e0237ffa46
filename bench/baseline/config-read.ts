/**
 * Reference for the cost of the edge config read alone: the bare baseline plus the real
 * `edgeConfig()` middleware (the isolate's cached copy, revalidated against the EdgeConfig
 * object at most once a second) and its `x-config-version` header.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../src/env.ts";
import { edgeConfig } from "../../src/middleware/edge-config.ts";

export { EdgeConfig } from "../../durable-objects/edge-config.ts";

const app = new Hono<AppEnv>();
app.use(async (c, next) => {
  c.set("log", {}); // edgeConfig notes a stale copy on the log fields
  await next();
});
app.use(edgeConfig());
app.get("*", (c) => c.json({ status: "ok" }));

export default app;
