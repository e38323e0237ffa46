/** The bare baseline: a Hono app with one handler and no middleware, in the same workerd. It reads a request body when there is one, as any handler of a POST does. */
import { Hono } from "hono";

const app = new Hono();
app.all("*", async (c) => {
  if (c.req.raw.body !== null) await c.req.arrayBuffer();
  return c.json({ status: "ok" });
});

export default app;
