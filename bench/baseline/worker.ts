/** The bare baseline: a Hono app with one handler and no middleware, in the same workerd. */
import { Hono } from "hono";

const app = new Hono();
app.get("*", (c) => c.json({ status: "ok" }));

export default app;
