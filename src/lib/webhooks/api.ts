/**
 * The webhooks API's shapes, declared once as zod schemas (also the OpenAPI description):
 * subscriptions, deliveries, and the events with their payloads (the OpenAPI `webhooks`
 * section). Types are inferred from them.
 */
import { z } from "@hono/zod-openapi";
import { ROOM_NAME } from "../rooms/protocol.ts";

export const EVENT_TYPES = [
  "config.changed",
  "document.ready",
  "document.failed",
  "room.message",
  "security.spike",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const EventTypeSchema = z.enum(EVENT_TYPES);

export const MAX_SUBSCRIPTION_ROOMS = 50;

const SubscriptionFields = {
  url: z.string().min(1).max(2048).openapi({
    example: "https://hooks.example.com/edge",
    description: "https: URL to POST events to (http: to loopback in development)",
  }),
  events: z
    .array(EventTypeSchema)
    .min(1)
    .max(EVENT_TYPES.length)
    .openapi({ example: ["config.changed"] }),
  description: z.string().max(500).openapi({ example: "Ops channel" }),
  rooms: z
    .array(z.string().regex(ROOM_NAME))
    .max(MAX_SUBSCRIPTION_ROOMS)
    .openapi({
      description:
        "Room filter of `room.message` (required with that event): only messages of these rooms are delivered",
      example: ["demo"],
    }),
};

export const SubscriptionInputSchema = z
  .strictObject({
    url: SubscriptionFields.url,
    events: SubscriptionFields.events,
    description: SubscriptionFields.description.optional(),
    rooms: SubscriptionFields.rooms.optional(),
  })
  .openapi("WebhookSubscriptionInput");
export type SubscriptionInput = z.infer<typeof SubscriptionInputSchema>;

export const SubscriptionPatchSchema = z
  .strictObject({
    url: SubscriptionFields.url.optional(),
    events: SubscriptionFields.events.optional(),
    description: SubscriptionFields.description.optional(),
    rooms: SubscriptionFields.rooms.optional(),
    status: z
      .enum(["active", "paused"])
      .optional()
      .openapi({ description: "`active` resumes a paused or disabled subscription; `paused` stops deliveries" }),
  })
  .openapi("WebhookSubscriptionPatch");
export type SubscriptionPatch = z.infer<typeof SubscriptionPatchSchema>;

export const SubscriptionStatusSchema = z.enum(["active", "paused", "disabled"]);

export const SubscriptionSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string(),
    events: z.array(EventTypeSchema),
    rooms: z.array(z.string()),
    status: SubscriptionStatusSchema.openapi({
      description: "`paused` after failing for too long; `disabled` after a 410 Gone",
    }),
    statusReason: z.string().nullable(),
    consecutiveFailures: z.int(),
    rotatingUntil: z
      .string()
      .nullable()
      .openapi({ description: "While set, the previous secret still signs alongside the current one (ISO 8601)" }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("WebhookSubscription");
export type SubscriptionView = z.infer<typeof SubscriptionSchema>;

export const SubscriptionCreatedSchema = SubscriptionSchema.extend({
  secret: z
    .string()
    .openapi({ description: "`whsec_` + base64; shown only here and by rotate-secret", example: "whsec_…" }),
}).openapi("WebhookSubscriptionCreated");

export const SecretRotatedSchema = z
  .object({
    secret: z.string(),
    previousSecretExpiresAt: z.string().openapi({ description: "Until then both secrets sign every delivery" }),
  })
  .openapi("WebhookSecretRotated");

export const DeliveryStatusSchema = z.enum(["pending", "succeeded", "failed", "dead"]);

export const DeliverySchema = z
  .object({
    id: z.string().openapi({ description: "The `webhook-id` header of every attempt" }),
    subscriptionId: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    status: DeliveryStatusSchema.openapi({
      description: "`failed`: given up on at once (410, subscription gone); `dead`: every attempt failed (dead letter)",
    }),
    attempts: z.int(),
    lastStatusCode: z.int().nullable(),
    lastError: z.string().nullable(),
    lastAttemptAt: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("WebhookDelivery");
export type DeliveryView = z.infer<typeof DeliverySchema>;

// ---- events ---------------------------------------------------------------------------------

const envelope = <T extends z.ZodType>(type: EventType, data: T, name: string) =>
  z
    .object({
      id: z
        .string()
        .openapi({ description: "The event's stable id (the same for every subscription)", example: "evt_3b1f…" }),
      type: z.literal(type),
      timestamp: z.string().openapi({ description: "When the event happened (ISO 8601)" }),
      data,
    })
    .openapi(name);

export const ConfigChangedSchema = envelope(
  "config.changed",
  z.object({
    version: z.int(),
    author: z.string(),
    reason: z.string(),
    changedPaths: z
      .array(z.string())
      .openapi({ description: "JSON pointers of what changed", example: ["/maintenance/enabled"] }),
  }),
  "ConfigChangedEvent",
);

const DocumentData = z.object({
  tenant: z.string(),
  documentId: z.string(),
  chunks: z.int().optional(),
  error: z.string().optional(),
});
export const DocumentReadySchema = envelope("document.ready", DocumentData, "DocumentReadyEvent");
export const DocumentFailedSchema = envelope("document.failed", DocumentData, "DocumentFailedEvent");

export const RoomMessageSchema = envelope(
  "room.message",
  z.object({
    room: z.string(),
    tenant: z.string().nullable().openapi({ description: "The room's tenant; in a shared room the sender's tenant" }),
    shared: z.boolean(),
    seq: z.string(),
    messageId: z.string(),
    userId: z.string(),
    event: z.string(),
    data: z.unknown(),
    ts: z.int(),
  }),
  "RoomMessageEvent",
);

export const SecuritySpikeSchema = envelope(
  "security.spike",
  z.object({
    minute: z
      .string()
      .openapi({ description: "The minute (ISO 8601, UTC) in which blocked requests reached the threshold" }),
    blocked: z.int(),
    threshold: z.int(),
  }),
  "SecuritySpikeEvent",
);

export const EVENT_SCHEMAS = {
  "config.changed": ConfigChangedSchema,
  "document.ready": DocumentReadySchema,
  "document.failed": DocumentFailedSchema,
  "room.message": RoomMessageSchema,
  "security.spike": SecuritySpikeSchema,
} as const satisfies Record<EventType, z.ZodType>;

export type WebhookEvent = { [K in EventType]: z.infer<(typeof EVENT_SCHEMAS)[K]> }[EventType];
export type EventData<K extends EventType> = z.infer<(typeof EVENT_SCHEMAS)[K]>["data"];
