/**
 * Delivery through the `webhooks` queue, consumed by this Worker's `queue` handler.
 *
 * 1. Producers (`events.ts`) send one `event` message per event, from `waitUntil`.
 * 2. The consumer fans it out: one delivery row per active subscription that wants the event
 *    (ids derived from event and subscription, so a redelivered fan-out makes no duplicates),
 *    and one `deliver` message per row (`sendBatch`).
 * 3. A `deliver` message is one attempt: POST the stored body with the Standard Webhooks
 *    headers (the same `webhook-id` every time, signed by every current secret), a timeout,
 *    no redirects followed. 2xx: succeeded. 410 Gone: the subscription is disabled. Anything
 *    else (3xx included) is retried through the queue with exponential backoff and jitter
 *    (`retryDelaySeconds`), up to `maxAttempts`; then the row is the dead-letter record
 *    (`dead`). After `pauseAfterFailures` failed attempts in a row, or when a delivery dies, the
 *    subscription is paused: its deliveries stay `pending` until the sweep's probe succeeds
 *    or an admin resumes it.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../db/client.ts";
import { webhookDeliveries, webhookSubscriptions } from "../db/schema.ts";
import { describeError, logLine } from "../log.ts";
import type { WebhookEvent } from "./api.ts";
import { retryDelaySeconds, type DeliveryOptions, type WebhookQueue } from "./options.ts";
import { post } from "./send.ts";
import { webhookHeaders } from "./signing.ts";
import { pendingDeliveries, signingSecrets, type SubscriptionRow } from "./store.ts";
import { checkTarget } from "./targets.ts";

/** How long a paused subscription waits before the sweep probes it again (doubling, at most 24 h). */
export const FIRST_PROBE_DELAY_MS = 10 * 60 * 1000;
export const MAX_PROBE_DELAY_MS = 24 * 60 * 60 * 1000;
/** Deliveries re-sent at once when a subscription is resumed. */
const RESUME_BATCH = 500;

export const eventMessageSchema = z.object({
  v: z.literal(1),
  kind: z.literal("event"),
  event: z.object({ id: z.string(), type: z.string(), timestamp: z.string(), data: z.unknown() }),
});
export const deliverMessageSchema = z.object({
  v: z.literal(1),
  kind: z.literal("deliver"),
  deliveryId: z.string().min(1).max(128),
  probe: z.boolean().optional(),
});
export const webhookMessageSchema = z.discriminatedUnion("kind", [eventMessageSchema, deliverMessageSchema]);
export type WebhookMessage = z.infer<typeof webhookMessageSchema>;

export const deliverMessage = (deliveryId: string, probe = false): WebhookMessage => ({
  v: 1,
  kind: "deliver",
  deliveryId,
  ...(probe ? { probe } : {}),
});

/** The body every attempt of an event sends (the same bytes, signed per attempt). */
export function eventBody(event: WebhookEvent | z.infer<typeof eventMessageSchema>["event"]): string {
  return JSON.stringify({ id: event.id, type: event.type, timestamp: event.timestamp, data: event.data });
}

/** `msg_` + 24 base64url characters of SHA-256(event id, subscription id): the `webhook-id`. */
export async function deliveryId(eventId: string, subscriptionId: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${eventId}\n${subscriptionId}`)),
  );
  let binary = "";
  for (const b of digest.subarray(0, 18)) binary += String.fromCharCode(b);
  return `msg_${btoa(binary).replaceAll("+", "-").replaceAll("/", "_")}`;
}

/** Whether a subscription wants an event (`room.message` only for the rooms it names). */
export function wants(sub: Pick<SubscriptionRow, "events" | "rooms">, event: { type: string; data: unknown }): boolean {
  if (!sub.events.includes(event.type)) return false;
  if (event.type !== "room.message") return true;
  const room = (event.data as { room?: unknown } | null)?.room;
  return typeof room === "string" && sub.rooms.includes(room);
}

/** Step 2: delivery rows and `deliver` messages for every subscription that wants the event. */
export async function fanOut(
  db: Database,
  queue: WebhookQueue,
  event: z.infer<typeof eventMessageSchema>["event"],
): Promise<number> {
  const subs = (await db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.status, "active"))).filter(
    (s) => wants(s, event),
  );
  if (subs.length === 0) return 0;
  const body = eventBody(event);
  const now = new Date();
  const rows = await Promise.all(
    subs.map(async (s) => ({
      id: await deliveryId(event.id, s.id),
      subscriptionId: s.id,
      eventId: event.id,
      eventType: event.type,
      payload: body,
      createdAt: now,
      nextAttemptAt: now,
    })),
  );
  // libSQL takes up to 32766 bound values per statement; 11 columns × 100 rows stays far below.
  for (let i = 0; i < rows.length; i += 100) {
    await db
      .insert(webhookDeliveries)
      .values(rows.slice(i, i + 100))
      .onConflictDoNothing();
  }
  // Only rows not attempted yet: a redelivered fan-out does not restart deliveries under way.
  const fresh = await db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.eventId, event.id),
        eq(webhookDeliveries.attempts, 0),
        eq(webhookDeliveries.status, "pending"),
      ),
    );
  for (let i = 0; i < fresh.length; i += 100) {
    await queue.sendBatch(
      fresh.slice(i, i + 100).map((r) => ({ body: deliverMessage(r.id), contentType: "json" as const })),
    );
  }
  return fresh.length;
}

export type AttemptOutcome =
  | { result: "succeeded"; status: number }
  | { result: "disabled"; status: number }
  | { result: "retry"; status: number | null; delaySeconds: number }
  | { result: "dead"; status: number | null }
  | { result: "paused"; status: number | null }
  | { result: "skipped"; reason: string };

/**
 * Step 3: one attempt of a delivery. `attempt` is the queue's attempt number of this message
 * (1 for the first send, also for a replay or a probe).
 */
export async function attemptDelivery(
  db: Database,
  queue: WebhookQueue,
  message: { deliveryId: string; probe?: boolean | undefined; attempt: number },
  options: DeliveryOptions,
): Promise<AttemptOutcome> {
  const [row] = await db
    .select({ delivery: webhookDeliveries, subscription: webhookSubscriptions })
    .from(webhookDeliveries)
    .innerJoin(webhookSubscriptions, eq(webhookDeliveries.subscriptionId, webhookSubscriptions.id))
    .where(eq(webhookDeliveries.id, message.deliveryId));
  if (!row) return { result: "skipped", reason: "gone" };
  const { delivery, subscription: sub } = row;
  if (delivery.status !== "pending" && !message.probe)
    return { result: "skipped", reason: `already ${delivery.status}` };
  if (sub.status === "disabled") {
    await db
      .update(webhookDeliveries)
      .set({ status: "failed", lastError: "subscription disabled", nextAttemptAt: null })
      .where(eq(webhookDeliveries.id, delivery.id));
    return { result: "skipped", reason: "subscription disabled" };
  }
  if (sub.status === "paused" && !message.probe) {
    await db.update(webhookDeliveries).set({ nextAttemptAt: null }).where(eq(webhookDeliveries.id, delivery.id));
    return { result: "skipped", reason: "subscription paused" };
  }
  const target = checkTarget(sub.url, { development: options.development });
  if (!target.ok) {
    await db
      .update(webhookDeliveries)
      .set({ status: "failed", lastError: `target refused: ${target.rule}`, nextAttemptAt: null })
      .where(eq(webhookDeliveries.id, delivery.id));
    return { result: "skipped", reason: `target refused: ${target.rule}` };
  }

  const now = Date.now();
  const headers = await webhookHeaders(signingSecrets(sub, now), delivery.id, Math.floor(now / 1000), delivery.payload);
  const response = await post(target.url, headers, delivery.payload, options);
  const attemptedAt = new Date();
  const recorded = {
    attempts: sql`${webhookDeliveries.attempts} + 1`,
    lastStatusCode: response.status,
    lastError: response.error,
    lastAttemptAt: attemptedAt,
  };

  if (response.error === null) {
    await db
      .update(webhookDeliveries)
      .set({ ...recorded, status: "succeeded", nextAttemptAt: null })
      .where(eq(webhookDeliveries.id, delivery.id));
    if (sub.consecutiveFailures > 0 || sub.status !== "active") {
      await db
        .update(webhookSubscriptions)
        .set({
          consecutiveFailures: 0,
          status: "active",
          statusReason: null,
          nextProbeAt: null,
          updatedAt: attemptedAt,
        })
        .where(eq(webhookSubscriptions.id, sub.id));
      if (sub.status === "paused") await resendPending(db, queue, sub.id);
    }
    return { result: "succeeded", status: response.status! };
  }

  if (response.status === 410) {
    await db
      .update(webhookDeliveries)
      .set({ ...recorded, status: "failed", nextAttemptAt: null })
      .where(eq(webhookDeliveries.id, delivery.id));
    await db
      .update(webhookSubscriptions)
      .set({
        status: "disabled",
        statusReason: "the receiver answered 410 Gone",
        nextProbeAt: null,
        updatedAt: attemptedAt,
      })
      .where(eq(webhookSubscriptions.id, sub.id));
    return { result: "disabled", status: 410 };
  }

  const [counted] = await db
    .update(webhookSubscriptions)
    .set({ consecutiveFailures: sql`${webhookSubscriptions.consecutiveFailures} + 1` })
    .where(eq(webhookSubscriptions.id, sub.id))
    .returning({ consecutiveFailures: webhookSubscriptions.consecutiveFailures });
  const failures = counted?.consecutiveFailures ?? sub.consecutiveFailures + 1;

  if (message.probe) {
    // A paused subscription's probe failed: probe again later, twice as late.
    const waited = sub.nextProbeAt
      ? Math.max(FIRST_PROBE_DELAY_MS, sub.nextProbeAt.getTime() - sub.updatedAt.getTime())
      : FIRST_PROBE_DELAY_MS;
    const nextProbeAt = new Date(now + Math.min(MAX_PROBE_DELAY_MS, waited * 2));
    await db
      .update(webhookDeliveries)
      .set({ ...recorded, nextAttemptAt: null })
      .where(eq(webhookDeliveries.id, delivery.id));
    await db
      .update(webhookSubscriptions)
      .set({ nextProbeAt, updatedAt: attemptedAt })
      .where(eq(webhookSubscriptions.id, sub.id));
    return { result: "paused", status: response.status };
  }

  const dead = message.attempt >= options.maxAttempts;
  if (dead || failures >= options.pauseAfterFailures) {
    await db
      .update(webhookDeliveries)
      .set({ ...recorded, status: dead ? "dead" : "pending", nextAttemptAt: null })
      .where(eq(webhookDeliveries.id, delivery.id));
    await db
      .update(webhookSubscriptions)
      .set({
        status: "paused",
        statusReason: dead ? `a delivery failed ${message.attempt} times` : `${failures} failed attempts in a row`,
        nextProbeAt: new Date(now + FIRST_PROBE_DELAY_MS),
        updatedAt: attemptedAt,
      })
      .where(and(eq(webhookSubscriptions.id, sub.id), eq(webhookSubscriptions.status, "active")));
    return dead ? { result: "dead", status: response.status } : { result: "paused", status: response.status };
  }

  const delaySeconds = retryDelaySeconds(message.attempt, options.retryBaseSeconds);
  await db
    .update(webhookDeliveries)
    .set({ ...recorded, nextAttemptAt: new Date(now + delaySeconds * 1000) })
    .where(eq(webhookDeliveries.id, delivery.id));
  return { result: "retry", status: response.status, delaySeconds };
}

/** Sends a resumed subscription's pending deliveries again. */
export async function resendPending(db: Database, queue: WebhookQueue, subscriptionId: string): Promise<number> {
  const pending = await pendingDeliveries(db, subscriptionId, RESUME_BATCH);
  if (pending.length === 0) return 0;
  const now = new Date();
  await db
    .update(webhookDeliveries)
    .set({ nextAttemptAt: now })
    .where(
      inArray(
        webhookDeliveries.id,
        pending.map((d) => d.id),
      ),
    );
  for (let i = 0; i < pending.length; i += 100) {
    await queue.sendBatch(
      pending.slice(i, i + 100).map((d) => ({ body: deliverMessage(d.id), contentType: "json" as const })),
    );
  }
  return pending.length;
}

export interface ConsumerMessage {
  readonly id: string;
  readonly body: unknown;
  readonly attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

/** Handles one queue message; never throws (failures are retried through the queue). */
export async function handleWebhookMessage(
  db: Database,
  queue: WebhookQueue,
  message: ConsumerMessage,
  options: DeliveryOptions,
): Promise<void> {
  const parsed = webhookMessageSchema.safeParse(message.body);
  if (!parsed.success) {
    logLine("warn", "webhooks queue: dropping a malformed message", { messageId: message.id });
    message.ack();
    return;
  }
  const m = parsed.data;
  const started = performance.now();
  try {
    if (m.kind === "event") {
      const deliveries = await fanOut(db, queue, m.event);
      logLine("info", "webhook event", {
        eventId: m.event.id,
        type: m.event.type,
        deliveries,
        ms: Math.round(performance.now() - started),
      });
      message.ack();
      return;
    }
    const outcome = await attemptDelivery(
      db,
      queue,
      { deliveryId: m.deliveryId, probe: m.probe, attempt: message.attempts },
      options,
    );
    logLine(outcome.result === "succeeded" || outcome.result === "skipped" ? "info" : "warn", "webhook delivery", {
      deliveryId: m.deliveryId,
      attempt: message.attempts,
      ...outcome,
      ms: Math.round(performance.now() - started),
    });
    if (outcome.result === "retry") message.retry({ delaySeconds: outcome.delaySeconds });
    else message.ack();
  } catch (err) {
    // Our own failure (the database), not the receiver's: try again shortly.
    logLine("error", "webhooks queue: message failed", {
      messageId: message.id,
      kind: m.kind,
      error: describeError(err).message,
    });
    message.retry({ delaySeconds: Math.min(300, 5 * 2 ** Math.min(message.attempts, 6)) });
  }
}
