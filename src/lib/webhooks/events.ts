/**
 * Producing events: build the envelope (`{id, type, timestamp, data}`, a stable `evt_` id) and
 * send one `event` message to the webhooks queue. Callers run this from `waitUntil` (or a
 * Durable Object's `ctx.waitUntil`), so the request that caused the event is not slowed; a
 * queue that cannot be reached is logged and the event is lost (never the request).
 */
import { describeError, logLine } from "../log.ts";
import type { EventData, EventType } from "./api.ts";
import { webhookQueue, type WebhookQueue } from "./options.ts";

export interface EventEnvelope<K extends EventType = EventType> {
  id: string;
  type: K;
  timestamp: string;
  data: EventData<K>;
}

export function newEvent<K extends EventType>(type: K, data: EventData<K>, now = Date.now()): EventEnvelope<K> {
  return { id: `evt_${crypto.randomUUID().replaceAll("-", "")}`, type, timestamp: new Date(now).toISOString(), data };
}

/** Sends `event` to the queue; resolves either way (failures are logged). */
export async function sendEvent(queue: WebhookQueue | undefined, event: EventEnvelope): Promise<void> {
  if (!queue) return;
  try {
    await queue.send({ v: 1, kind: "event", event }, { contentType: "json" });
  } catch (err) {
    logLine("warn", "webhook event not queued", {
      eventId: event.id,
      type: event.type,
      error: describeError(err).message,
    });
  }
}

/** `newEvent` + `sendEvent` with the queue from the Worker's env. */
export function publishEvent<K extends EventType>(env: object, type: K, data: EventData<K>): Promise<void> {
  return sendEvent(webhookQueue(env as Record<string, unknown>), newEvent(type, data));
}
