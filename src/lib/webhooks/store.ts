/**
 * Subscriptions and deliveries in libSQL (drizzle): create, read, change, delete, rotate the
 * secret, list deliveries. The API (`routes/webhooks.ts`) validates input and maps outcomes to
 * statuses; the queue consumer (`delivery.ts`) writes the attempts.
 */
import { and, desc, eq, lt, or } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { webhookDeliveries, webhookSubscriptions } from "../db/schema.ts";
import type { DeliveryView, EventType, SubscriptionInput, SubscriptionPatch, SubscriptionView } from "./api.ts";
import { generateSecret } from "./signing.ts";

export type SubscriptionRow = typeof webhookSubscriptions.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;

/** How long the previous secret keeps signing after a rotation. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function subscriptionView(row: SubscriptionRow, now = Date.now()): SubscriptionView {
  const rotating =
    row.previousSecret && row.previousSecretExpiresAt && row.previousSecretExpiresAt.getTime() > now
      ? row.previousSecretExpiresAt
      : null;
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: row.events as EventType[],
    rooms: row.rooms,
    status: row.status,
    statusReason: row.statusReason,
    consecutiveFailures: row.consecutiveFailures,
    rotatingUntil: iso(rotating),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function deliveryView(row: DeliveryRow): DeliveryView {
  return {
    id: row.id,
    subscriptionId: row.subscriptionId,
    eventId: row.eventId,
    eventType: row.eventType,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    lastAttemptAt: iso(row.lastAttemptAt),
    nextAttemptAt: iso(row.nextAttemptAt),
    createdAt: row.createdAt.toISOString(),
  };
}

/** The secrets that sign now: the current one, and the previous one during the overlap. */
export function signingSecrets(row: SubscriptionRow, now = Date.now()): string[] {
  const previous =
    row.previousSecret && row.previousSecretExpiresAt && row.previousSecretExpiresAt.getTime() > now
      ? [row.previousSecret]
      : [];
  return [row.secret, ...previous];
}

export async function createSubscription(
  db: Database,
  input: SubscriptionInput & { url: string },
): Promise<SubscriptionRow> {
  const now = new Date();
  const [row] = await db
    .insert(webhookSubscriptions)
    .values({
      id: `sub_${crypto.randomUUID().replaceAll("-", "")}`,
      url: input.url,
      description: input.description ?? "",
      events: [...new Set(input.events)],
      rooms: [...new Set(input.rooms ?? [])],
      secret: generateSecret(),
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return row!;
}

export async function listSubscriptions(db: Database): Promise<SubscriptionRow[]> {
  return db.select().from(webhookSubscriptions).orderBy(desc(webhookSubscriptions.createdAt));
}

export async function getSubscription(db: Database, id: string): Promise<SubscriptionRow | undefined> {
  const [row] = await db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, id));
  return row;
}

export async function updateSubscription(
  db: Database,
  id: string,
  patch: SubscriptionPatch,
): Promise<SubscriptionRow | undefined> {
  const values: Partial<typeof webhookSubscriptions.$inferInsert> = { updatedAt: new Date() };
  if (patch.url !== undefined) values.url = patch.url;
  if (patch.description !== undefined) values.description = patch.description;
  if (patch.events !== undefined) values.events = [...new Set(patch.events)];
  if (patch.rooms !== undefined) values.rooms = [...new Set(patch.rooms)];
  if (patch.status === "active")
    Object.assign(values, { status: "active", statusReason: null, consecutiveFailures: 0, nextProbeAt: null });
  if (patch.status === "paused")
    Object.assign(values, { status: "paused", statusReason: "paused by an admin", nextProbeAt: null });
  const [row] = await db.update(webhookSubscriptions).set(values).where(eq(webhookSubscriptions.id, id)).returning();
  return row;
}

export async function deleteSubscription(db: Database, id: string): Promise<boolean> {
  await db.delete(webhookDeliveries).where(eq(webhookDeliveries.subscriptionId, id));
  const deleted = await db
    .delete(webhookSubscriptions)
    .where(eq(webhookSubscriptions.id, id))
    .returning({ id: webhookSubscriptions.id });
  return deleted.length > 0;
}

/** A new secret; the current one keeps signing alongside it for `ROTATION_OVERLAP_MS`. */
export async function rotateSecret(
  db: Database,
  id: string,
  now = Date.now(),
): Promise<{ secret: string; previousSecretExpiresAt: Date } | undefined> {
  const current = await getSubscription(db, id);
  if (!current) return undefined;
  const secret = generateSecret();
  const previousSecretExpiresAt = new Date(now + ROTATION_OVERLAP_MS);
  const [row] = await db
    .update(webhookSubscriptions)
    .set({ secret, previousSecret: current.secret, previousSecretExpiresAt, updatedAt: new Date(now) })
    .where(and(eq(webhookSubscriptions.id, id), eq(webhookSubscriptions.secret, current.secret)))
    .returning({ id: webhookSubscriptions.id });
  // A concurrent rotation won: report nothing rotated rather than a secret that is not stored.
  return row ? { secret, previousSecretExpiresAt } : undefined;
}

export interface DeliveryPageQuery {
  limit: number;
  /** Only deliveries created before this time. */
  before?: Date;
}

export async function listDeliveries(
  db: Database,
  subscriptionId: string,
  { limit, before }: DeliveryPageQuery,
): Promise<DeliveryRow[]> {
  const where = before
    ? and(eq(webhookDeliveries.subscriptionId, subscriptionId), lt(webhookDeliveries.createdAt, before))
    : eq(webhookDeliveries.subscriptionId, subscriptionId);
  return db
    .select()
    .from(webhookDeliveries)
    .where(where)
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(limit);
}

export async function getDelivery(db: Database, subscriptionId: string, id: string): Promise<DeliveryRow | undefined> {
  const [row] = await db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.subscriptionId, subscriptionId), eq(webhookDeliveries.id, id)));
  return row;
}

/** Marks a delivery pending again for a replay (the same `webhook-id`, a new series of attempts). */
export async function markForReplay(db: Database, id: string): Promise<void> {
  await db
    .update(webhookDeliveries)
    .set({ status: "pending", nextAttemptAt: new Date() })
    .where(eq(webhookDeliveries.id, id));
}

/** Pending deliveries of a subscription, oldest first (the sweep and a resume send them again). */
export async function pendingDeliveries(db: Database, subscriptionId: string, limit: number): Promise<DeliveryRow[]> {
  return db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.subscriptionId, subscriptionId), eq(webhookDeliveries.status, "pending")))
    .orderBy(webhookDeliveries.createdAt)
    .limit(limit);
}

/** What the sweep sends to probe a paused subscription: its oldest pending delivery, else its newest dead one. */
export async function probeCandidate(db: Database, subscriptionId: string): Promise<DeliveryRow | undefined> {
  const [pending] = await pendingDeliveries(db, subscriptionId, 1);
  if (pending) return pending;
  const [dead] = await db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.subscriptionId, subscriptionId),
        or(eq(webhookDeliveries.status, "dead"), eq(webhookDeliveries.status, "failed")),
      ),
    )
    .orderBy(desc(webhookDeliveries.createdAt))
    .limit(1);
  return dead;
}
