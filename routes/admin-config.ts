/**
 * The admin API for the edge config (role `admin`): read with an ETag, write the whole document
 * with `If-Match` (428 without, 412 when stale, 422 when invalid), list versions, roll back.
 * Reads and writes go straight to the EdgeConfig object (never the isolate's cached copy);
 * when it cannot be reached, the call fails loudly with 503.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../src/env.ts";
import { adoptConfig, expireConfig } from "../src/lib/config/client.ts";
import { EDGE_CONFIG_INSTANCE } from "../src/lib/config/instance.ts";
import { edgeConfigSchema } from "../src/lib/config/schema.ts";
import type { ConfigVersionEntry, ConfigWriteResult } from "../src/lib/config/store.ts";
import { ApiError } from "../src/lib/errors.ts";
import { orUnavailable, problem, UNAUTHORIZED } from "./problem.ts";
import { requireRole } from "../src/middleware/auth.ts";

const ConfigDocument = edgeConfigSchema.openapi("EdgeConfigDocument");
const VersionedConfigSchema = z
  .object({ version: z.number().int(), config: ConfigDocument })
  .openapi("VersionedEdgeConfig");
const WrittenSchema = z.object({ version: z.number().int() }).openapi("ConfigWritten");
const ChangeSchema = z.object({ path: z.string(), from: z.unknown(), to: z.unknown() });
const VersionEntrySchema = z
  .object({
    version: z.number().int(),
    author: z.string(),
    at: z.string(),
    reason: z.string(),
    changes: z.array(ChangeSchema),
  })
  .openapi("ConfigVersion");

const ETAG = /^(?:W\/)?"(\d{1,15})"$/;
const REASON_HEADER = "x-change-reason";
const MAX_REASON = 500;

const etag = (version: number) => `"${version}"`;
const ADMIN_ONLY = problem("Needs the admin role");

function edgeConfigObject(c: Context<AppEnv>) {
  return c.env.EDGE_CONFIG.getByName(EDGE_CONFIG_INSTANCE);
}

/** Calls the EdgeConfig object; an unreachable object is a loud 503, never a silent success. */
function callConfig<T>(c: Context<AppEnv>, call: () => Promise<T>): Promise<T> {
  return orUnavailable(c, call, {
    log: "edge config object unreachable",
    detail: "The config store cannot be reached; nothing was changed.",
  });
}

function ifMatchVersion(c: Context<AppEnv>, required: boolean): number | undefined {
  const header = c.req.header("if-match");
  if (header === undefined) {
    if (!required) return undefined;
    throw new ApiError("precondition-required", {
      detail: 'Send If-Match with the ETag you read (e.g. If-Match: "12").',
    });
  }
  const m = ETAG.exec(header.trim());
  if (!m)
    throw new ApiError("bad-request", {
      detail: 'If-Match must be one ETag as returned by GET /v1/admin/config, e.g. "12".',
    });
  return Number(m[1]);
}

function changeReason(c: Context<AppEnv>, fallback?: string): string {
  const reason = (c.req.header(REASON_HEADER) ?? fallback ?? "").trim();
  if (reason.length > MAX_REASON || /[\u0000-\u001f\u007f]/.test(reason)) {
    throw new ApiError("bad-request", { detail: `The reason must be at most ${MAX_REASON} printable characters.` });
  }
  return reason;
}

function stale(currentVersion: number): ApiError {
  return new ApiError("precondition-failed", {
    detail: `The config changed since you read it; the current version is ${currentVersion}. Reload, reapply your change and retry.`,
    headers: { etag: etag(currentVersion) },
    extensions: { currentVersion },
  });
}

export const adminConfigRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/admin/config",
      tags: ["Admin"],
      summary: "The current edge config",
      security: [{ bearerAuth: [] }],
      middleware: [requireRole("admin")] as const,
      responses: {
        200: {
          description: "Current version and document",
          headers: { ETag: { schema: { type: "string" }, description: 'The version, quoted: "12"' } },
          content: { "application/json": { schema: VersionedConfigSchema } },
        },
        401: UNAUTHORIZED,
        403: ADMIN_ONLY,
        503: problem("Config store unreachable"),
      },
    }),
    async (c) => {
      const current = await callConfig(c, () => edgeConfigObject(c).current());
      return c.json(current, 200, { etag: etag(current.version), "cache-control": "no-store" });
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/v1/admin/config",
      tags: ["Admin"],
      summary: "Replace the whole edge config document",
      description:
        'Send the whole document with `If-Match: "<version>"` from the last read, and optionally `X-Change-Reason`. ' +
        "Unknown keys are rejected; missing sections take their defaults. The change reaches every isolate within 2 s.",
      security: [{ bearerAuth: [] }],
      middleware: [requireRole("admin")] as const,
      request: {
        headers: z.object({
          "if-match": z.string().optional().openapi({ description: "Required: the ETag you read", example: '"12"' }),
          "x-change-reason": z.string().optional().openapi({ description: "Why (shown in the history)" }),
        }),
        body: { required: true, content: { "application/json": { schema: ConfigDocument } } },
      },
      responses: {
        200: { description: "Stored as a new version", content: { "application/json": { schema: WrittenSchema } } },
        400: problem("Malformed JSON, If-Match or reason"),
        401: UNAUTHORIZED,
        403: ADMIN_ONLY,
        412: problem("Stale: someone changed the config since your read (ETag has the current version)"),
        422: problem("Invalid document (`errors` names each path)"),
        428: problem("If-Match missing"),
        503: problem("Config store unreachable: nothing was changed"),
      },
    }),
    async (c) => {
      const expectedVersion = ifMatchVersion(c, true)!;
      const reason = changeReason(c);
      const document = c.req.valid("json");
      const result = await callConfig<ConfigWriteResult>(c, () =>
        edgeConfigObject(c).write({ document, expectedVersion, author: c.get("principal").sub, reason }),
      );
      if (!result.ok) {
        if (result.error === "stale" || result.error === "not_found") throw stale(result.currentVersion);
        throw new ApiError("validation-failed", {
          detail: result.issues[0]?.message ?? "Invalid document.",
          extensions: { errors: result.issues },
        });
      }
      c.get("log").configWrite = result.version;
      // This isolate serves the new version from the next request on; others within 2 s.
      adoptConfig({ version: result.version, config: document });
      return c.json({ version: result.version }, 200, { etag: etag(result.version) });
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/admin/config/versions",
      tags: ["Admin"],
      summary: "Version history, newest first",
      security: [{ bearerAuth: [] }],
      middleware: [requireRole("admin")] as const,
      request: {
        query: z.object({
          limit: z.coerce.number().int().min(1).max(200).default(50),
          before: z.coerce
            .number()
            .int()
            .min(1)
            .optional()
            .openapi({ description: "Only versions older than this one" }),
        }),
      },
      responses: {
        200: {
          description: "Versions with who, when, why and what changed",
          content: { "application/json": { schema: z.array(VersionEntrySchema) } },
        },
        400: problem("Bad query"),
        401: UNAUTHORIZED,
        403: ADMIN_ONLY,
      },
    }),
    async (c) => {
      const { limit, before } = c.req.valid("query");
      const versions = await callConfig<ConfigVersionEntry[]>(c, () =>
        edgeConfigObject(c).versions({ limit, ...(before ? { before } : {}) }),
      );
      return c.json(versions, 200, { "cache-control": "no-store" });
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/admin/config/rollback",
      tags: ["Admin"],
      summary: "Write a new version equal to an earlier one",
      description: "`If-Match` is optional here; when sent, the rollback fails with 412 if the config moved on.",
      security: [{ bearerAuth: [] }],
      middleware: [requireRole("admin")] as const,
      request: {
        body: {
          required: true,
          content: {
            "application/json": {
              schema: z
                .strictObject({ version: z.int().min(0), reason: z.string().max(MAX_REASON).optional() })
                .openapi("ConfigRollback"),
            },
          },
        },
      },
      responses: {
        200: { description: "The new version", content: { "application/json": { schema: WrittenSchema } } },
        401: UNAUTHORIZED,
        403: ADMIN_ONLY,
        404: problem("No such version"),
        412: problem("Stale If-Match"),
        422: problem("Invalid body"),
      },
    }),
    async (c) => {
      const { version, reason } = c.req.valid("json");
      const expectedVersion = ifMatchVersion(c, false);
      const result = await callConfig<ConfigWriteResult>(c, () =>
        edgeConfigObject(c).rollback({
          toVersion: version,
          author: c.get("principal").sub,
          ...(reason !== undefined ? { reason: changeReason(c, reason) } : {}),
          ...(expectedVersion !== undefined ? { expectedVersion } : {}),
        }),
      );
      if (!result.ok) {
        if (result.error === "not_found")
          throw new ApiError("not-found", { detail: `There is no version ${version}.` });
        if (result.error === "stale") throw stale(result.currentVersion);
        throw new ApiError("validation-failed", {
          detail: "The stored version no longer validates.",
          extensions: { errors: result.issues },
        });
      }
      c.get("log").configWrite = result.version;
      expireConfig();
      return c.json({ version: result.version }, 200, { etag: etag(result.version) });
    },
  );
