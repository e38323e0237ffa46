/**
 * The Cron Trigger's jobs (src/lib/webhooks/scheduled.ts) through the Worker's `scheduled`
 * handler, against the local libSQL and the dev webhook receiver: expired rows are removed
 * (delivery logs past 30 days, AI answers past their expiry) and nothing else; a paused
 * subscription whose probe is due gets its waiting delivery and is active again.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDatabase } from "../../src/lib/db/client.ts";
import { aiAnswerCache, webhookDeliveries, webhookSubscriptions } from "../../src/lib/db/schema.ts";
import worker from "../../src/index.ts";
import { eventBody } from "../../src/lib/webhooks/delivery.ts";
import { newEvent } from "../../src/lib/webhooks/events.ts";
import { DELIVERY_RETENTION_MS } from "../../src/lib/webhooks/scheduled.ts";
import { generateSecret } from "../../src/lib/webhooks/signing.ts";
import { stack } from "./helpers.ts";

const db = () => createDatabase({ url: env.LIBSQL_URL });
const uid = () => crypto.randomUUID().replaceAll("-", "");
const DAY = 24 * 60 * 60 * 1000;

async function runCron(): Promise<void> {
  const ctx = createExecutionContext();
  worker.scheduled!(createScheduledController({ scheduledTime: Date.now(), cron: "*/10 * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

async function subscriptionRow(values: Partial<typeof webhookSubscriptions.$inferInsert> = {}) {
  const id = `sub_${uid()}`;
  await db()
    .insert(webhookSubscriptions)
    .values({
      id,
      url: `${stack().DEV_WEBHOOK_RECEIVER_URL}/hooks/cron-${id}`,
      events: ["config.changed"],
      secret: generateSecret(),
      ...values,
    });
  return id;
}

async function deliveryRow(
  subscriptionId: string,
  createdAt: Date,
  status: "pending" | "succeeded" | "dead",
  extra: Partial<typeof webhookDeliveries.$inferInsert> = {},
) {
  const event = newEvent("config.changed", { version: 1, author: "cron", reason: "", changedPaths: [] });
  const id = `msg_${uid().slice(0, 24)}`;
  await db()
    .insert(webhookDeliveries)
    .values({
      id,
      subscriptionId,
      eventId: event.id,
      eventType: event.type,
      payload: eventBody(event),
      status,
      createdAt,
      ...extra,
    });
  return id;
}

describe.sequential("scheduled jobs", () => {
  it("remove expired delivery logs and expired AI answers, and keep the rest", async () => {
    const now = Date.now();
    const sub = await subscriptionRow();
    const oldDone = await deliveryRow(sub, new Date(now - DELIVERY_RETENTION_MS - DAY), "succeeded");
    const oldDead = await deliveryRow(sub, new Date(now - DELIVERY_RETENTION_MS - 1000), "dead");
    const oldPending = await deliveryRow(sub, new Date(now - DELIVERY_RETENTION_MS - DAY), "pending", {
      nextAttemptAt: new Date(now + DAY),
    });
    const recent = await deliveryRow(sub, new Date(now - DAY), "succeeded");

    const tenant = `cron-${uid()}`;
    const cache = (expiresAt: Date) => ({
      tenant,
      partition: "p",
      exactKey: `k-${uid()}`,
      question: "q",
      embedding: new Float32Array(256).fill(0.1),
      answer: "a",
      citations: [],
      expiresAt,
    });
    await db()
      .insert(aiAnswerCache)
      .values([cache(new Date(now - 1000)), cache(new Date(now + DAY))]);

    await runCron();

    const left = await db()
      .select({ id: webhookDeliveries.id })
      .from(webhookDeliveries)
      .where(inArray(webhookDeliveries.id, [oldDone, oldDead, oldPending, recent]));
    expect(left.map((r) => r.id).sort()).toEqual([oldPending, recent].sort());
    const answers = await db()
      .select({ expiresAt: aiAnswerCache.expiresAt })
      .from(aiAnswerCache)
      .where(eq(aiAnswerCache.tenant, tenant));
    expect(answers).toHaveLength(1);
    expect(answers[0]!.expiresAt.getTime()).toBeGreaterThan(now);
    await db().delete(webhookSubscriptions).where(eq(webhookSubscriptions.id, sub));
  });

  it("probe a paused subscription whose time came: the waiting delivery goes out and it is active again", async () => {
    const now = Date.now();
    const sub = await subscriptionRow({
      status: "paused",
      statusReason: "test",
      consecutiveFailures: 60,
      nextProbeAt: new Date(now - 1000),
    });
    const waiting = await deliveryRow(sub, new Date(now - DAY), "pending");
    // Paused by an admin (no probe time): left alone.
    const byAdmin = await subscriptionRow({ status: "paused", statusReason: "paused by an admin" });

    await runCron();

    const deadline = Date.now() + 10_000;
    let row: typeof webhookSubscriptions.$inferSelect | undefined;
    while (Date.now() < deadline) {
      [row] = await db().select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, sub));
      if (row?.status === "active") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(row).toMatchObject({ status: "active", consecutiveFailures: 0, nextProbeAt: null });
    const [delivery] = await db().select().from(webhookDeliveries).where(eq(webhookDeliveries.id, waiting));
    expect(delivery).toMatchObject({ status: "succeeded", attempts: 1, lastStatusCode: 200 });
    const got = (await (
      await fetch(`${stack().DEV_WEBHOOK_RECEIVER_URL}/__dev/received?path=/hooks/cron-${sub}`)
    ).json()) as Array<{ id: string }>;
    expect(got.map((r) => r.id)).toEqual([waiting]);

    const [admin] = await db().select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, byAdmin));
    expect(admin!.status).toBe("paused");
    await db().delete(webhookDeliveries).where(eq(webhookDeliveries.subscriptionId, sub));
    await db()
      .delete(webhookSubscriptions)
      .where(inArray(webhookSubscriptions.id, [sub, byAdmin]));
  });
});
