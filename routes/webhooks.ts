/**
 * Webhook subscriptions (role `admin`): create (the secret is shown once), list, read, change,
 * delete, rotate the secret (24 h overlap), list deliveries, replay one. Targets are checked by
 * `checkTarget` (422 naming the refused rule). Delivery itself is the queue consumer's
 * (src/lib/webhooks/delivery.ts). The events and their payloads are in OpenAPI's `webhooks`.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../src/env.ts";
import { inBackground } from "../src/lib/background.ts";
import { ApiError } from "../src/lib/errors.ts";
import {
  DeliverySchema,
  EVENT_SCHEMAS,
  EVENT_TYPES,
  SecretRotatedSchema,
  SubscriptionCreatedSchema,
  SubscriptionInputSchema,
  SubscriptionPatchSchema,
  SubscriptionSchema,
} from "../src/lib/webhooks/api.ts";
import { deliverMessage, resendPending } from "../src/lib/webhooks/delivery.ts";
import { webhookQueue } from "../src/lib/webhooks/options.ts";
import {
  createSubscription,
  deleteSubscription,
  deliveryView,
  getDelivery,
  getSubscription,
  listDeliveries,
  listSubscriptions,
  markForReplay,
  rotateSecret,
  subscriptionView,
  updateSubscription,
} from "../src/lib/webhooks/store.ts";
import { checkTarget } from "../src/lib/webhooks/targets.ts";
import { requireRole } from "../src/middleware/auth.ts";
import { problem, UNAUTHORIZED } from "./problem.ts";

const ADMIN_ONLY = problem("Needs the admin role");
const NOT_FOUND = problem("No such subscription (or delivery)");
const ID = /^sub_[0-9a-f]{32}$/;
const DELIVERY_ID = /^msg_[A-Za-z0-9_-]{24}$/;

const IdParams = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" }, example: "sub_0f8e…" }) });
const DeliveryParams = IdParams.extend({
  deliveryId: z.string().openapi({ param: { name: "deliveryId", in: "path" } }),
});

const admin = { security: [{ bearerAuth: [] }], tags: ["Webhooks"] };

/** The target after the SSRF rules; a refusal is 422 naming the rule. */
function allowedTarget(c: Context<AppEnv>, url: string): string {
  const checked = checkTarget(url, { development: c.get("settings").ENVIRONMENT === "development" });
  if (checked.ok) return checked.url;
  throw new ApiError("validation-failed", {
    detail: `/url: refused by the ${checked.rule} rule: ${checked.detail}`,
    extensions: { rule: checked.rule, errors: [{ path: "/url", message: `${checked.rule}: ${checked.detail}` }] },
  });
}

/** `room.message` needs a room filter (the event is opt-in per room). */
function checkRooms(events: readonly string[], rooms: readonly string[] | undefined): void {
  if (events.includes("room.message") && (!rooms || rooms.length === 0)) {
    throw new ApiError("validation-failed", {
      detail: "/rooms: room.message needs the rooms to deliver messages of.",
      extensions: { errors: [{ path: "/rooms", message: "room.message needs a non-empty rooms filter" }] },
    });
  }
}

function notFound(what = "webhook subscription"): ApiError {
  return new ApiError("not-found", { detail: `There is no such ${what}.` });
}

async function subscriptionOr404(c: Context<AppEnv>, id: string) {
  const row = ID.test(id) ? await getSubscription(c.get("db"), id) : undefined;
  if (!row) throw notFound();
  return row;
}

export const webhookRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    createRoute({
      ...admin,
      middleware: [requireRole("admin")] as const,
      method: "post",
      path: "/v1/admin/webhooks",
      summary: "Subscribe a URL to events",
      description:
        "Answers the subscription with its `secret` (`whsec_…`), shown only here. Targets: https only in production; " +
        "loopback, private, link-local, metadata and IPv4-mapped IPv6 addresses and internal names are refused (422 with `rule`).",
      request: { body: { required: true, content: { "application/json": { schema: SubscriptionInputSchema } } } },
      responses: {
        201: { description: "Subscribed", content: { "application/json": { schema: SubscriptionCreatedSchema } } },
        401: UNAUTHORIZED,
        403: ADMIN_ONLY,
        422: problem("Invalid body, a refused target (`rule` names it) or room.message without rooms"),
      },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const url = allowedTarget(c, input.url);
      checkRooms(input.events, input.rooms);
      const row = await createSubscription(c.get("db"), { ...input, url });
      c.get("log").webhook = row.id;
      return c.json({ ...subscriptionView(row), secret: row.secret }, 201, {
        location: `/v1/admin/webhooks/${row.id}`,
        "cache-control": "no-store",
      });
    },
  )
  .openapi(
    createRoute({
      ...admin,
      middleware: [requireRole("admin")] as const,
      method: "get",
      path: "/v1/admin/webhooks",
      summary: "Every subscription, newest first (without secrets)",
      responses: {
        200: { description: "Subscriptions", content: { "application/json": { schema: z.array(SubscriptionSchema) } } },
        401: UNAUTHORIZED,
        403: ADMIN_ONLY,
      },
    }),
    async (c) => {
      const rows = await listSubscriptions(c.get("db"));
      return c.json(
        rows.map((r) => subscriptionView(r)),
        200,
        { "cache-control": "no-store" },
      );
    },
  )
  .openapi(
    createRoute({
      ...admin,
      middleware: [requireRole("admin")] as const,
      method: "get",
      path: "/v1/admin/webhooks/{id}",
      summary: "One subscription (without its secret)",
      request: { params: IdParams },
      responses: {
        200: { description: "The subscription", content: { "application/json": { schema: SubscriptionSchema } } },
        401: UNAUTHORIZED,
        403: ADMIN_ONLY,
        404: NOT_FOUND,
      },
    }),
    async (c) =>
      c.json(subscriptionView(await subscriptionOr404(c, c.req.valid("param").id)), 200, {
        "cache-control": "no-store",
      }),
  )
  .openapi(
    createRoute({
      ...admin,
      middleware: [requireRole("admin")] as const,
      method: "patch",
      path: "/v1/admin/webhooks/{id}",
      summary: "Change a subscription; `status: active` resumes a paused or disabled one",
      request: {
        params: IdParams,
        body: { required: true, content: { "application/json": { schema: SubscriptionPatchSchema } } },
      },
      responses: {
        200: {
          description: "The changed subscription",
          content: { "application/json": { schema: SubscriptionSchema } },
        },
        401: UNAUTHORIZED,
        403: ADMIN_ONLY,
        404: NOT_FOUND,
        422: problem("Invalid body or a refused target (`rule` names it)"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const patch = c.req.valid("json");
      const current = await subscriptionOr404(c, id);
      const url = patch.url === undefined ? undefined : allowedTarget(c, patch.url);
      checkRooms(patch.events ?? current.events, patch.rooms ?? current.rooms);
      const row = await updateSubscription(c.get("db"), id, { ...patch, ...(url ? { url } : {}) });
      if (!row) throw notFound();
      if (patch.status === "active" && current.status !== "active") {
        // Resumed: what waited while it was paused goes out now (in the background).
        const queue = webhookQueue(c.env as unknown as Record<string, unknown>);
        if (queue) await inBackground(c, resendPending(c.get("db"), queue, id));
      }
      return c.json(subscriptionView(row), 200);
    },
  )
  .openapi(
    createRoute({
      ...admin,
      middleware: [requireRole("admin")] as const,
      method: "delete",
      path: "/v1/admin/webhooks/{id}",
      summary: "Delete a subscription and its delivery log",
      request: { params: IdParams },
      responses: { 204: { description: "Deleted" }, 401: UNAUTHORIZED, 403: ADMIN_ONLY, 404: NOT_FOUND },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      if (!ID.test(id) || !(await deleteSubscription(c.get("db"), id))) throw notFound();
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      ...admin,
      middleware: [requireRole("admin")] as const,
      method: "post",
      path: "/v1/admin/webhooks/{id}/rotate-secret",
      summary: "A new secret; the old one keeps signing alongside it for 24 h",
      request: { params: IdParams },
      responses: {
        200: {
          description: "The new secret (shown only here)",
          content: { "application/json": { schema: SecretRotatedSchema } },
        },
        401: UNAUTHORIZED,
        403: ADMIN_ONLY,
        404: NOT_FOUND,
        409: problem("Another rotation happened at the same time; retry"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await subscriptionOr404(c, id);
      const rotated = await rotateSecret(c.get("db"), id);
      if (!rotated) throw new ApiError("conflict", { detail: "The secret changed while rotating; retry." });
      return c.json(
        { secret: rotated.secret, previousSecretExpiresAt: rotated.previousSecretExpiresAt.toISOString() },
        200,
        { "cache-control": "no-store" },
      );
    },
  )
  .openapi(
    createRoute({
      ...admin,
      middleware: [requireRole("admin")] as const,
      method: "get",
      path: "/v1/admin/webhooks/{id}/deliveries",
      summary: "Deliveries of a subscription, newest first",
      request: {
        params: IdParams,
        query: z.object({
          limit: z.coerce.number().int().min(1).max(200).default(50),
          before: z.iso.datetime().optional().openapi({
            description: "Only deliveries created before this time (the `createdAt` of the last one you have)",
          }),
        }),
      },
      responses: {
        200: {
          description: "Status, attempts, last response code and times",
          content: { "application/json": { schema: z.array(DeliverySchema) } },
        },
        400: problem("Bad query"),
        401: UNAUTHORIZED,
        403: ADMIN_ONLY,
        404: NOT_FOUND,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { limit, before } = c.req.valid("query");
      await subscriptionOr404(c, id);
      const rows = await listDeliveries(c.get("db"), id, { limit, ...(before ? { before: new Date(before) } : {}) });
      return c.json(rows.map(deliveryView), 200, { "cache-control": "no-store" });
    },
  )
  .openapi(
    createRoute({
      ...admin,
      middleware: [requireRole("admin")] as const,
      method: "post",
      path: "/v1/admin/webhooks/{id}/deliveries/{deliveryId}/replay",
      summary: "Send a delivery again (same body and webhook-id, a new series of attempts)",
      description:
        "Also when the subscription is paused (a successful replay resumes it); not when it is disabled (resume it with PATCH first).",
      request: { params: DeliveryParams },
      responses: {
        202: { description: "Queued", content: { "application/json": { schema: DeliverySchema } } },
        401: UNAUTHORIZED,
        403: ADMIN_ONLY,
        404: NOT_FOUND,
        409: problem("The subscription is disabled"),
        503: problem("The webhooks queue is not bound"),
      },
    }),
    async (c) => {
      const { id, deliveryId } = c.req.valid("param");
      const sub = await subscriptionOr404(c, id);
      const delivery = DELIVERY_ID.test(deliveryId) ? await getDelivery(c.get("db"), id, deliveryId) : undefined;
      if (!delivery) throw notFound("delivery");
      if (sub.status === "disabled")
        throw new ApiError("conflict", {
          detail: 'The subscription is disabled; resume it with PATCH {"status":"active"} first.',
        });
      const queue = webhookQueue(c.env as unknown as Record<string, unknown>);
      if (!queue) throw new ApiError("unavailable", { detail: "The webhooks queue is not bound." });
      await markForReplay(c.get("db"), delivery.id);
      await queue.send(deliverMessage(delivery.id, true), { contentType: "json" });
      return c.json({ ...deliveryView(delivery), status: "pending" as const }, 202);
    },
  );

/** The events in OpenAPI 3.1's `webhooks` section: what a receiver gets, per event type. */
export function registerWebhookEvents(app: OpenAPIHono<AppEnv>): void {
  for (const type of EVENT_TYPES) {
    app.openAPIRegistry.registerWebhook({
      method: "post",
      path: type,
      summary: `The ${type} event`,
      description:
        "Signed with Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`); see docs/webhooks.md.",
      request: {
        headers: z.object({
          "webhook-id": z.string().openapi({ description: "Same on every attempt of this delivery" }),
          "webhook-timestamp": z.string().openapi({ description: "Unix seconds of this attempt" }),
          "webhook-signature": z
            .string()
            .openapi({ description: "`v1,<base64 HMAC-SHA256>`, space-separated, one per secret" }),
        }),
        body: { content: { "application/json": { schema: EVENT_SCHEMAS[type] } } },
      },
      responses: {
        200: { description: "Any 2xx acknowledges; 410 disables the subscription; anything else is retried" },
      },
    });
  }
}
