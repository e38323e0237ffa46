/**
 * The edge config document: one zod schema validates every write (unknown keys rejected) and
 * gives the defaults. The EdgeConfig Durable Object stores versions of it; the edge reads it.
 */
// zod from @hono/zod-openapi: the same zod, extended with .openapi() before any schema is built.
import { z } from "@hono/zod-openapi";

const countryCode = z.string().regex(/^([A-Z]{2}|T1|XX)$/, "ISO 3166-1 alpha-2 country code (upper case)");
const id = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, "1-64 letters, digits, _ . : -");
const ipOrCidr = z.string().min(2).max(64);
const method = z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

export const maintenanceSchema = z.strictObject({
  enabled: z.boolean().default(false),
  countries: z.array(countryCode).max(300).default([]),
  retryAfterSeconds: z.int().min(1).max(86_400).default(300),
  message: z.string().max(500).default(""),
});

export const securityRuleSchema = z.strictObject({
  id,
  action: z.enum(["block", "log", "allow"]),
  match: z.strictObject({
    pathPrefix: z.string().startsWith("/").max(512).optional(),
    methods: z.array(method).max(7).optional(),
    countries: z.array(countryCode).max(300).optional(),
    header: z.strictObject({ name: z.string().min(1).max(128), contains: z.string().min(1).max(512) }).optional(),
  }),
});

export const securitySchema = z.strictObject({
  mode: z.enum(["block", "log"]).default("block"),
  blockedCountries: z.array(countryCode).max(300).default([]),
  blockedIps: z.array(ipOrCidr).max(10_000).default([]),
  allowedIps: z.array(ipOrCidr).max(10_000).default([]),
  blockedAsns: z.array(z.int().min(0).max(4_294_967_295)).max(10_000).default([]),
  blockedUserAgents: z.array(z.string().min(1).max(256)).max(1_000).default([]),
  maxBodyBytes: z.int().min(0).max(100 * 1024 * 1024).default(1_048_576),
  rules: z.array(securityRuleSchema).max(500).default([]),
});

export const rateLimitPolicySchema = z.strictObject({
  id,
  match: z
    .strictObject({
      pathPrefix: z.string().startsWith("/").max(512).optional(),
      methods: z.array(method).max(7).optional(),
      countries: z.array(countryCode).max(300).optional(),
    })
    .default({}),
  limit: z.int().min(1).max(1_000_000),
  windowSeconds: z.int().min(1).max(86_400),
  by: z.enum(["ip", "user", "tenant"]).default("ip"),
  /** When Redis cannot answer in time: `open` lets requests through, `closed` refuses them (503). */
  failMode: z.enum(["open", "closed"]).default("open"),
  /** How long to wait for Redis before `failMode` applies. */
  timeoutMs: z.int().min(50).max(10_000).default(1_000),
});

export const flagSchema = z.strictObject({
  enabled: z.boolean().default(false),
  rollout: z.number().min(0).max(100).default(100),
  countries: z.array(countryCode).max(300).default([]),
});

export const edgeConfigSchema = z.strictObject({
  maintenance: maintenanceSchema.default(maintenanceSchema.parse({})),
  security: securitySchema.default(securitySchema.parse({})),
  rateLimits: z.array(rateLimitPolicySchema).max(100).default([]),
  flags: z.record(id, flagSchema).default({}),
  cors: z.strictObject({ origins: z.array(z.string().max(256)).max(100).default([]) }).default({ origins: [] }),
  ai: z
    .strictObject({
      cacheThreshold: z.number().min(0.5).max(1).default(0.95),
      cacheTtlSeconds: z.int().min(0).max(30 * 86_400).default(86_400),
      originTimeoutMs: z.int().min(100).max(120_000).default(20_000),
    })
    .default({ cacheThreshold: 0.95, cacheTtlSeconds: 86_400, originTimeoutMs: 20_000 }),
});

export type EdgeConfigDocument = z.output<typeof edgeConfigSchema>;

/** The document every deployment starts from (version 0). */
export const defaultEdgeConfig: EdgeConfigDocument = edgeConfigSchema.parse({});

export interface VersionedConfig {
  version: number;
  config: EdgeConfigDocument;
}
