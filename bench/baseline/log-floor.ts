/**
 * Reference for the cost of the contract's log line alone: the bare baseline plus what every
 * app request does for its log line (read `request.cf`, build one JSON line like the app's,
 * `console.log` it). Under Miniflare each line also goes through workerd's stdout into the
 * host process, which parses it; that part of the cost is the harness's, not production's.
 */
import { Hono } from "hono";

const app = new Hono();
app.get("*", (c) => {
  const started = performance.now();
  const res = c.json({ status: "ok" });
  const cf = (c.req.raw as Request & { cf?: { country?: unknown; colo?: unknown } }).cf;
  console.log(
    JSON.stringify({
      level: "info",
      msg: "request",
      time: new Date().toISOString(),
      requestId: crypto.randomUUID(),
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      method: c.req.method,
      path: c.req.path,
      status: res.status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      country: typeof cf?.country === "string" ? cf.country : null,
      colo: typeof cf?.colo === "string" ? cf.colo : null,
      configVersion: 0,
    }),
  );
  return res;
});

export default app;
