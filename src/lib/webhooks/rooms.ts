/**
 * The `room.message` hook of the Room object: after a message is stored, send the event when
 * some active subscription's room filter names this room. The filter is read from libSQL at
 * most every `ROOM_FILTER_REFRESH_MS` per isolate (a new subscription sees messages within that
 * time), so a room nobody subscribed to costs one Set lookup per message and never a queue
 * send; the send and any refresh run in the object's `waitUntil`, never in the publish turn.
 * Deliveries are not ordered (each retries on its own): receivers order by `data.seq`.
 */
import { and, eq, like } from "drizzle-orm";
import { createServices } from "../services.ts";
import { readSettings } from "../settings.ts";
import { webhookSubscriptions } from "../db/schema.ts";
import { describeError, logLine } from "../log.ts";
import { newEvent, sendEvent } from "./events.ts";
import { webhookQueue } from "./options.ts";

export const ROOM_FILTER_REFRESH_MS = 30_000;

export interface StoredRoomMessage {
  seq: number;
  id: string;
  userId: string;
  tenant: string | null;
  event: string;
  dataJson: string;
  ts: number;
}

let filter: { rooms: Set<string>; at: number } | undefined;
/**
 * The read in flight, per Room object: an object never waits on a promise another object's
 * request started (workerd may cancel that request's I/O), so on a cold isolate each object
 * reads once, and the messages of one object share its read.
 */
const refreshing = new WeakMap<DurableObjectState, Promise<Set<string>>>();

async function loadRooms(env: Env): Promise<Set<string>> {
  const settings = readSettings(env);
  if (!settings.ok) return new Set();
  const { db } = createServices(settings.settings, { traceparent: "" });
  const rows = await db
    .select({ rooms: webhookSubscriptions.rooms })
    .from(webhookSubscriptions)
    .where(and(eq(webhookSubscriptions.status, "active"), like(webhookSubscriptions.events, '%"room.message"%')));
  return new Set(rows.flatMap((r) => r.rooms));
}

function subscribedRooms(env: Env, ctx: DurableObjectState, now: number): Set<string> | Promise<Set<string>> {
  if (filter && now - filter.at < ROOM_FILTER_REFRESH_MS) return filter.rooms;
  const inFlight = refreshing.get(ctx);
  if (inFlight) return inFlight;
  const read = loadRooms(env)
    .then((rooms) => ((filter = { rooms, at: Date.now() }), rooms))
    .catch((err: unknown) => {
      logLine("warn", "room webhooks: subscriptions unreadable", { error: describeError(err).message });
      // Keep the last known filter for another period rather than asking on every message.
      const rooms = filter?.rooms ?? new Set<string>();
      filter = { rooms, at: Date.now() };
      return rooms;
    })
    .finally(() => refreshing.delete(ctx));
  refreshing.set(ctx, read);
  return read;
}

/** The tenant of a tenant's own room, from the object's name (`["tenant", t, room]`). */
function roomTenant(objectName: string | undefined): string | null {
  try {
    const parsed = objectName ? (JSON.parse(objectName) as unknown) : undefined;
    return Array.isArray(parsed) && parsed[0] === "tenant" && typeof parsed[1] === "string" ? parsed[1] : null;
  } catch {
    return null;
  }
}

/** Called by the Room object after storing a message; returns at once. */
export function roomMessageStored(
  env: Env,
  ctx: DurableObjectState,
  room: string,
  shared: boolean,
  message: StoredRoomMessage,
): void {
  const queue = webhookQueue(env as unknown as Record<string, unknown>);
  if (!queue) return;
  const send = () => {
    let data: unknown;
    try {
      data = JSON.parse(message.dataJson);
    } catch {
      data = message.dataJson;
    }
    return sendEvent(
      queue,
      newEvent("room.message", {
        room,
        tenant: shared ? message.tenant : roomTenant(ctx.id.name),
        shared,
        seq: String(message.seq),
        messageId: message.id,
        userId: message.userId,
        event: message.event,
        data,
        ts: message.ts,
      }),
    );
  };
  const rooms = subscribedRooms(env, ctx, Date.now());
  if (rooms instanceof Set) {
    if (rooms.has(room)) ctx.waitUntil(send());
    return;
  }
  ctx.waitUntil(rooms.then((r) => (r.has(room) ? send() : undefined)));
}

/** Forget the cached filter (tests, and this isolate after a subscription change). */
export function forgetRoomFilter(): void {
  filter = undefined;
}
