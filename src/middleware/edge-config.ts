/**
 * Puts the current edge config on `c.get("config")` (from the isolate's cached copy) and stamps
 * `x-config-version` on every response.
 */
import type { Context, MiddlewareHandler, Next } from "hono";
import { EDGE_CONFIG_INSTANCE } from "../lib/config/instance.ts";
import { cachedEdgeConfig, readEdgeConfig, type ConfigSnapshot, type EdgeConfigSource } from "../lib/config/client.ts";
import type { AppEnv } from "../env.ts";
import { describeError, logLine } from "../lib/log.ts";

/** The revalidation path (about once a second per isolate): reads the EdgeConfig object. */
function revalidate(c: Context<AppEnv>): ConfigSnapshot | Promise<ConfigSnapshot> {
  return readEdgeConfig(
    (): EdgeConfigSource => c.env.EDGE_CONFIG.getByName(EDGE_CONFIG_INSTANCE),
    (err) =>
      logLine("warn", "edge config unreachable: serving the last good copy", {
        requestId: c.get("requestId"),
        error: describeError(err).message,
      }),
  );
}

function apply(c: Context<AppEnv>, snapshot: ConfigSnapshot): void {
  c.set("config", snapshot.config);
  c.set("configVersion", snapshot.version);
  if (snapshot.stale) c.get("log").configStale = true;
  c.header("x-config-version", String(snapshot.version));
}

export function edgeConfig(): MiddlewareHandler<AppEnv> {
  return async function edgeConfig(c: Context<AppEnv>, next: Next) {
    // The cached copy is the common case: no callbacks, no await before `next()`.
    const snapshot = cachedEdgeConfig() ?? (await revalidate(c));
    apply(c, snapshot);
    await next();
  };
}
