/**
 * Puts the current edge config on `c.var.config` (from the isolate's cached copy) and stamps
 * `x-config-version` on every response.
 */
import type { MiddlewareHandler } from "hono";
import { EDGE_CONFIG_INSTANCE } from "../lib/config/instance.ts";
import { readEdgeConfig, type EdgeConfigSource } from "../lib/config/client.ts";
import type { AppEnv } from "../env.ts";
import { describeError, logLine } from "../lib/log.ts";

export function edgeConfig(): MiddlewareHandler<AppEnv> {
  return async function edgeConfig(c, next) {
    const source = (): EdgeConfigSource => c.env.EDGE_CONFIG.getByName(EDGE_CONFIG_INSTANCE);
    const snapshot = await readEdgeConfig(source, (err) =>
      logLine("warn", "edge config unreachable: serving the last good copy", {
        requestId: c.var.requestId,
        error: describeError(err).message,
      }),
    );
    c.set("config", snapshot.config);
    c.set("configVersion", snapshot.version);
    if (snapshot.stale) c.var.log.configStale = true;
    c.header("x-config-version", String(snapshot.version));
    await next();
  };
}
