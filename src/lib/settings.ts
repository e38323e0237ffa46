/**
 * The runtime settings: the Worker's vars and secrets, validated once per isolate with zod.
 * Library code reads them from here (never from `src/env.ts`, which assembles the app's types).
 */
import { z } from "zod";

/** Empty strings in `.dev.vars`/vars mean "not set". */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : v), schema.optional());

const httpUrl = z.url({ protocol: /^https?$/ });

export const settingsSchema = z.object({
  ENVIRONMENT: z.enum(["development", "production"]).default("production"),
  LIBSQL_URL: z.url({ protocol: /^(https?|libsql)$/ }),
  LIBSQL_AUTH_TOKEN: optional(z.string()),
  UPSTASH_REDIS_REST_URL: httpUrl,
  UPSTASH_REDIS_REST_TOKEN: z.string().min(1),
  ORIGIN_AI_URL: httpUrl,
  ORIGIN_AI_KEY: optional(z.string()),
  ORIGIN_AI_MODEL: optional(z.string()).transform((v) => v ?? "gpt-4o-mini"),
  JWT_ISSUER: optional(z.string()),
  JWT_AUDIENCE: optional(z.string()),
  JWT_JWKS_URL: optional(httpUrl),
  JWT_PUBLIC_JWKS: optional(z.string()),
  JWT_ALGORITHMS: optional(z.string()).transform((v) => v ?? "ES256,EdDSA,RS256"),
  JWT_HS256_SECRET: optional(z.string()),
  /** `true` lets the rooms WebSocket take `?access_token=` (tokens in URLs end up in logs; use tickets). */
  ROOMS_ALLOW_QUERY_TOKEN: optional(z.enum(["true", "false"])).transform((v) => v === "true"),
  /**
   * `true` writes the request log line for health checks that pass too (`/healthz`, `/readyz`).
   * Read raw by the request-context middleware (liveness must not depend on the settings); listed
   * here so a malformed value is named.
   */
  LOG_HEALTH_CHECKS: optional(z.enum(["true", "false"])).transform((v) => v === "true"),
});

export type Settings = z.output<typeof settingsSchema>;

export type SettingsResult = { ok: true; settings: Settings } | { ok: false; problems: string[] };

const parsed = new WeakMap<object, SettingsResult>();

/** Validates the environment once per env object (i.e. once per isolate). */
export function readSettings(env: Env): SettingsResult {
  let result = parsed.get(env);
  if (!result) {
    const r = settingsSchema.safeParse(env);
    result = r.success
      ? { ok: true, settings: r.data }
      : { ok: false, problems: r.error.issues.map((i) => `${i.path.join(".") || "(env)"}: ${i.message}`) };
    parsed.set(env, result);
  }
  return result;
}
