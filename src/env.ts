/**
 * The Worker's environment: bindings (typed by `wrangler types` in worker-configuration.d.ts),
 * the runtime settings validated once per isolate with zod, and the per-request variables
 * that middleware sets (read them with `c.get`: Hono's `c.var` copies every variable into a
 * new object on each read).
 */
import type { RequestIdVariables } from "hono/request-id";
import type { TimingVariables } from "hono/timing";
import type { EdgeConfigDocument } from "./lib/config/schema.ts";
import type { Database } from "./lib/db/client.ts";
import type { RequestLogFields } from "./lib/log.ts";
import type { OriginClient } from "./lib/origin.ts";
import type { TraceContext } from "./lib/trace.ts";
import type { AuthVariables } from "./lib/auth/principal.ts";
import type { FeatureFlags } from "./lib/config/flags.ts";
import type { GeoContext, VisitorGeo } from "./lib/geo/index.ts";
import type { Settings } from "./lib/settings.ts";
import type { Redis } from "@upstash/redis/cloudflare";

export { readSettings, settingsSchema, type Settings, type SettingsResult } from "./lib/settings.ts";

export interface AppVariables extends RequestIdVariables, TimingVariables, AuthVariables {
  visitor: VisitorGeo;
  geo: GeoContext;
  flags: FeatureFlags;
  trace: TraceContext;
  log: RequestLogFields;
  settings: Settings;
  db: Database;
  redis: Redis;
  origin: OriginClient;
  config: EdgeConfigDocument;
  configVersion: number;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}
