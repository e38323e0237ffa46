/**
 * The Worker's `scheduled` handler (Cron Trigger in wrangler.toml, every 10 minutes). Each
 * job runs on its own (one failing does not stop the others) and writes one log line with what
 * it did:
 *
 * - `webhook-delivery-retention`: delivery log rows older than `DELIVERY_RETENTION_MS` (30 days)
 *   are deleted, except deliveries still pending;
 * - `ai-cache-expiry`: cached AI answers past their `expires_at` (and their citation rows);
 * - `webhook-probe`: paused subscriptions whose probe time came get one delivery sent as a probe
 *   (a success resumes them and sends what waited); a paused one with nothing to send is resumed;
 * - `webhook-stuck`: pending deliveries of active subscriptions whose next attempt is more than an
 *   hour overdue (their queue message was lost) are sent again (at least once, same webhook-id).
 *
 * Room history is not kept here: each Room object trims its own (count and age) on its alarm.
 * There is no store of security events to expire (the filter's decisions are log lines).
 */
import { and, eq, inArray, isNotNull, lt, lte, ne } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { aiAnswerCache, aiAnswerCacheDocuments, webhookDeliveries, webhookSubscriptions } from "../db/schema.ts";
import { describeError, logLine } from "../log.ts";
import { createServices } from "../services.ts";
import { readSettings } from "../settings.ts";
import { deliverMessage, FIRST_PROBE_DELAY_MS } from "./delivery.ts";
import { webhookQueue, type WebhookQueue } from "./options.ts";
import { probeCandidate } from "./store.ts";

export const DELIVERY_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
/** A pending delivery whose next attempt is this late lost its queue message. */
export const STUCK_AFTER_MS = 60 * 60 * 1000;
const STUCK_BATCH = 200;
const PROBE_BATCH = 50;

export type JobResult = Record<string, number>;

export async function expireDeliveries(db: Database, now: number): Promise<JobResult> {
  const gone = await db
    .delete(webhookDeliveries)
    .where(
      and(
        lt(webhookDeliveries.createdAt, new Date(now - DELIVERY_RETENTION_MS)),
        ne(webhookDeliveries.status, "pending"),
      ),
    )
    .returning({ id: webhookDeliveries.id });
  return { deleted: gone.length };
}

export async function expireAnswerCache(db: Database, now: number): Promise<JobResult> {
  const gone = await db
    .delete(aiAnswerCache)
    .where(lt(aiAnswerCache.expiresAt, new Date(now)))
    .returning({ id: aiAnswerCache.id });
  const ids = gone.map((g) => g.id);
  for (let i = 0; i < ids.length; i += 500) {
    await db.delete(aiAnswerCacheDocuments).where(inArray(aiAnswerCacheDocuments.cacheId, ids.slice(i, i + 500)));
  }
  return { deleted: ids.length };
}

export async function probePaused(db: Database, queue: WebhookQueue, now: number): Promise<JobResult> {
  const due = await db
    .select()
    .from(webhookSubscriptions)
    .where(
      and(
        eq(webhookSubscriptions.status, "paused"),
        isNotNull(webhookSubscriptions.nextProbeAt),
        lte(webhookSubscriptions.nextProbeAt, new Date(now)),
      ),
    )
    .limit(PROBE_BATCH);
  let probed = 0;
  let resumed = 0;
  for (const sub of due) {
    const candidate = await probeCandidate(db, sub.id);
    if (!candidate) {
      await db
        .update(webhookSubscriptions)
        .set({
          status: "active",
          statusReason: null,
          consecutiveFailures: 0,
          nextProbeAt: null,
          updatedAt: new Date(now),
        })
        .where(eq(webhookSubscriptions.id, sub.id));
      resumed++;
      continue;
    }
    // Not probed again by an overlapping run before this probe reports (it moves the time on failure).
    await db
      .update(webhookSubscriptions)
      .set({ nextProbeAt: new Date(now + FIRST_PROBE_DELAY_MS) })
      .where(eq(webhookSubscriptions.id, sub.id));
    await queue.send(deliverMessage(candidate.id, true), { contentType: "json" });
    probed++;
  }
  return { due: due.length, probed, resumed };
}

export async function resendStuck(db: Database, queue: WebhookQueue, now: number): Promise<JobResult> {
  const active = db
    .select({ id: webhookSubscriptions.id })
    .from(webhookSubscriptions)
    .where(eq(webhookSubscriptions.status, "active"));
  const stuck = await db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.status, "pending"),
        lt(webhookDeliveries.nextAttemptAt, new Date(now - STUCK_AFTER_MS)),
        inArray(webhookDeliveries.subscriptionId, active),
      ),
    )
    .limit(STUCK_BATCH);
  if (stuck.length === 0) return { resent: 0 };
  await db
    .update(webhookDeliveries)
    .set({ nextAttemptAt: new Date(now) })
    .where(
      inArray(
        webhookDeliveries.id,
        stuck.map((s) => s.id),
      ),
    );
  for (let i = 0; i < stuck.length; i += 100) {
    await queue.sendBatch(
      stuck.slice(i, i + 100).map((s) => ({ body: deliverMessage(s.id), contentType: "json" as const })),
    );
  }
  return { resent: stuck.length };
}

/** Runs every job; resolves with each job's result (or its error). */
export async function runScheduledJobs(
  env: Env,
  now = Date.now(),
): Promise<Record<string, JobResult | { error: string }>> {
  const settings = readSettings(env);
  if (!settings.ok) {
    logLine("error", "scheduled: invalid Worker settings; no job ran", { problems: settings.problems });
    return {};
  }
  const { db } = createServices(settings.settings, { traceparent: "" });
  const queue = webhookQueue(env as unknown as Record<string, unknown>);
  const jobs: Record<string, () => Promise<JobResult>> = {
    "webhook-delivery-retention": () => expireDeliveries(db, now),
    "ai-cache-expiry": () => expireAnswerCache(db, now),
    ...(queue
      ? {
          "webhook-probe": () => probePaused(db, queue, now),
          "webhook-stuck": () => resendStuck(db, queue, now),
        }
      : {}),
  };
  const results: Record<string, JobResult | { error: string }> = {};
  for (const [job, run] of Object.entries(jobs)) {
    const started = performance.now();
    try {
      const result = await run();
      results[job] = result;
      logLine("info", "scheduled job", { job, ...result, ms: Math.round(performance.now() - started) });
    } catch (err) {
      results[job] = { error: describeError(err).message };
      logLine("error", "scheduled job failed", {
        job,
        error: describeError(err).message,
        ms: Math.round(performance.now() - started),
      });
    }
  }
  return results;
}

/** The Worker's `scheduled` handler. */
export function scheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext): void {
  ctx.waitUntil(runScheduledJobs(env));
}
