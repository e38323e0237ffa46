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

/** Payload attack classes of the security filter (`src/lib/waf`), as rule exclusions name them. */
export const attackClasses = [
  "sqli",
  "xss",
  "traversal",
  "rfi",
  "command",
  "ssrf",
  "template",
  "log4shell",
  "php",
  "java",
  "xxe",
  "node",
  "nosql",
  "ldap",
  "ssi",
  "crlf",
  "fixation",
] as const;
const wafRuleId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,63}$/, "a security filter rule id (lower case letters, digits, -)");

/**
 * A false-positive fix: the named rules and/or classes do not count for requests under
 * `pathPrefix` (if given) and only for the values of `parameters`/`headers` (if given; names in
 * any case). At least one of `rules` and `classes` is required.
 */
export const securityExclusionSchema = z
  .strictObject({
    rules: z.array(wafRuleId).max(100).optional(),
    classes: z.array(z.enum(attackClasses)).max(attackClasses.length).optional(),
    pathPrefix: z.string().startsWith("/").max(512).optional(),
    parameters: z.array(z.string().min(1).max(128)).max(100).optional(),
    headers: z
      .array(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/, "an HTTP header name"))
      .max(100)
      .optional(),
    note: z.string().max(500).optional(),
  })
  .refine((e) => (e.rules?.length ?? 0) + (e.classes?.length ?? 0) > 0, {
    message: "an exclusion names at least one rule id or class",
    path: ["rules"],
  });

/**
 * The one exclusion of the default config: a webhook subscription's `url` is a URL the Worker
 * will fetch, so the filter's SSRF class would block every internal-looking target before
 * the admin route (role admin) checks it with stricter rules of its own and answers 422 naming
 * the rule (src/lib/webhooks/targets.ts); in development it would also block the local receiver.
 */
export const WEBHOOK_TARGET_EXCLUSION = {
  classes: ["ssrf"],
  pathPrefix: "/v1/admin/webhooks",
  parameters: ["url"],
  note: "webhook targets: the route refuses internal ones itself (422 with the rule)",
} as const;

export const securitySchema = z.strictObject({
  mode: z.enum(["block", "log"]).default("block"),
  blockedCountries: z.array(countryCode).max(300).default([]),
  blockedIps: z.array(ipOrCidr).max(10_000).default([]),
  allowedIps: z.array(ipOrCidr).max(10_000).default([]),
  blockedAsns: z.array(z.int().min(0).max(4_294_967_295)).max(10_000).default([]),
  blockedUserAgents: z.array(z.string().min(1).max(256)).max(1_000).default([]),
  maxBodyBytes: z
    .int()
    .min(0)
    .max(100 * 1024 * 1024)
    .default(1_048_576),
  rules: z.array(securityRuleSchema).max(500).default([]),
  /** Payload rules up to this level count (1: only high-confidence detections; 4: everything). */
  paranoiaLevel: z.int().min(1).max(4).default(1),
  /** A request whose anomaly score (sum of its counted findings' scores) reaches this is blocked. */
  anomalyThreshold: z.int().min(1).max(1_000).default(5),
  exclusions: z
    .array(securityExclusionSchema)
    .max(500)
    .default([
      {
        ...WEBHOOK_TARGET_EXCLUSION,
        classes: [...WEBHOOK_TARGET_EXCLUSION.classes],
        parameters: [...WEBHOOK_TARGET_EXCLUSION.parameters],
      },
    ]),
  /** Per-rule action: `log` records what the rule would block without blocking; `off` ignores it. */
  ruleActions: z.record(wafRuleId, z.enum(["log", "off"])).default({}),
  /** How much of a body is inspected (the rest passes by `inspectOverflow`). */
  inspectBodyBytes: z
    .int()
    .min(0)
    .max(10 * 1024 * 1024)
    .default(131_072),
  /** What happens to a body longer than `inspectBodyBytes`: let it through, log it, or block it. */
  inspectOverflow: z.enum(["allow", "log", "block"]).default("allow"),
  /** What an internal error of the filter does to the request (never a 500): block (403) or allow. */
  onError: z.enum(["block", "allow"]).default("block"),
});

export const rateLimitPolicySchema = z
  .strictObject({
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
    /** Also record allowed/blocked counts for the Upstash console (one more Redis call per request, after the response). */
    analytics: z.boolean().default(false),
    /**
     * 1: every request is checked in Redis (exact). N > 1: an isolate takes up to N tokens per
     * key at once and spends them locally; never admits more than exact, may admit up to
     * N - 1 fewer per isolate and window (README, "Rate limits").
     */
    reserve: z.int().min(1).max(1_000).default(1),
  })
  .refine((p) => p.reserve <= p.limit, { message: "reserve must not exceed limit", path: ["reserve"] });

export const flagSchema = z.strictObject({
  enabled: z.boolean().default(false),
  rollout: z.number().min(0).max(100).default(100),
  countries: z.array(countryCode).max(300).default([]),
});

/**
 * Live rooms: who may read and publish in which rooms, and which rooms are shared across
 * tenants (README, "Live rooms"). `match` is a room name or a prefix ending in `*` (`*` alone:
 * every room); the most specific policy wins (an exact name, then the longest prefix). Roles
 * omitted: every signed-in user of the tenant; `publish` omitted: whoever may read.
 */
export const ROOM_PATTERN = /^(?:[A-Za-z0-9_-]{1,64}|[A-Za-z0-9_-]{0,63}\*)$/;
const roomRole = z.string().min(1).max(64);
export const roomPolicySchema = z.strictObject({
  match: z.string().regex(ROOM_PATTERN, "a room name (letters, digits, _ -) or a prefix ending in *"),
  read: z.array(roomRole).max(64).optional(),
  publish: z.array(roomRole).max(64).optional(),
  /** One room for every tenant (e.g. a public lobby) instead of one per tenant. */
  shared: z.boolean().default(false),
  note: z.string().max(500).optional(),
});
/** Batch window of a busy room (ms) for connections that opted in to `batch` frames; 0: no batching. */
export const ROOMS_BATCH_WINDOW_MS = 20;
/** Above this many people a room's presence frames carry counts and a sample instead of the full list. */
export const ROOMS_PRESENCE_LIST_ABOVE = 100;
/** Above this many sockets on the room's object, new sockets go to shard objects. */
export const ROOMS_SHARD_ABOVE = 1_000;
/** How long a room keeps its messages: history pages and resumes reach back this far (seconds). */
export const ROOMS_HISTORY_RETENTION_SECONDS = 86_400;
/** A room's history is also bounded by count and by size (characters of data, event and sender). */
export const ROOMS_HISTORY_MAX_MESSAGES = 10_000;
export const ROOMS_HISTORY_MAX_BYTES = 16 * 1_048_576;
export const roomsSchema = z.strictObject({
  shardAbove: z.int().min(1).max(1_000_000).default(ROOMS_SHARD_ABOVE),
  batchWindowMs: z.int().min(0).max(1_000).default(ROOMS_BATCH_WINDOW_MS),
  presenceListAbove: z.int().min(1).max(1_000_000).default(ROOMS_PRESENCE_LIST_ABOVE),
  historyRetentionSeconds: z
    .int()
    .min(60)
    .max(7 * 86_400)
    .default(ROOMS_HISTORY_RETENTION_SECONDS),
  historyMaxMessages: z.int().min(100).max(100_000).default(ROOMS_HISTORY_MAX_MESSAGES),
  historyMaxBytes: z
    .int()
    .min(1_048_576)
    .max(128 * 1_048_576)
    .default(ROOMS_HISTORY_MAX_BYTES),
  policies: z
    .array(roomPolicySchema)
    .max(500)
    .default([])
    .superRefine((policies, ctx) => {
      const seen = new Set<string>();
      policies.forEach((p, i) => {
        if (seen.has(p.match))
          ctx.addIssue({ code: "custom", message: `another policy already matches "${p.match}"`, path: [i, "match"] });
        seen.add(p.match);
      });
    }),
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
      cacheTtlSeconds: z
        .int()
        .min(0)
        .max(30 * 86_400)
        .default(86_400),
      originTimeoutMs: z.int().min(100).max(120_000).default(20_000),
    })
    .default({ cacheThreshold: 0.95, cacheTtlSeconds: 86_400, originTimeoutMs: 20_000 }),
  rooms: roomsSchema.default(roomsSchema.parse({})),
  /** Webhook events that need a setting (src/lib/webhooks/spike.ts). */
  webhooks: z
    .strictObject({
      /** Blocked requests in one minute (all isolates) that make a `security.spike` event; 0: never. */
      securitySpikePerMinute: z.int().min(0).max(100_000_000).default(0),
    })
    .default({ securitySpikePerMinute: 0 }),
  /** The edge's own counters and security events (src/lib/metrics, the admin dashboard). */
  metrics: z
    .strictObject({
      /** Count requests per minute in each isolate and flush them to the Metrics object (every 10 s at most). */
      enabled: z.boolean().default(true),
      /** Security events (blocks and would-blocks) kept per minute; more are sampled. 0: none kept. */
      securityEventsPerMinute: z.int().min(0).max(1_000).default(100),
    })
    .default({ enabled: true, securityEventsPerMinute: 100 }),
});

export type EdgeConfigDocument = z.output<typeof edgeConfigSchema>;

/** The document every deployment starts from (version 0). */
export const defaultEdgeConfig: EdgeConfigDocument = edgeConfigSchema.parse({});

export interface VersionedConfig {
  version: number;
  config: EdgeConfigDocument;
}
