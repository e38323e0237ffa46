/**
 * Who may do what in a room, and which Durable Object holds it. A room belongs to the caller's
 * tenant: the object is addressed by (tenant, room), so the same name in two tenants is two
 * rooms that share nothing. A policy in the edge config (`rooms.policies`) can make a room
 * shared by every tenant on purpose (a public lobby) and limit reading and publishing to roles.
 *
 * Patterns are an exact name or a prefix ending in `*`, compared as strings: nothing from the
 * config or the request is ever compiled into a RegExp.
 */
import type { z } from "@hono/zod-openapi";
import { roomsSchema, type roomPolicySchema } from "../config/schema.ts";

export type RoomPolicy = z.output<typeof roomPolicySchema>;

/**
 * The edge config's room settings that the room's object acts on. An object has no edge config
 * of its own: the Worker sends these with every connect and HTTP call, and the object keeps the
 * latest (in its storage, so a woken object has them), so a change reaches a room with its next
 * connection or request.
 */
export interface RoomSettings {
  batchWindowMs: number;
  presenceListAbove: number;
  shardAbove: number;
  historyRetentionSeconds: number;
  historyMaxMessages: number;
  historyMaxBytes: number;
}

export function roomSettings(rooms: z.output<typeof roomsSchema>): RoomSettings {
  return {
    batchWindowMs: rooms.batchWindowMs,
    presenceListAbove: rooms.presenceListAbove,
    shardAbove: rooms.shardAbove,
    historyRetentionSeconds: rooms.historyRetentionSeconds,
    historyMaxMessages: rooms.historyMaxMessages,
    historyMaxBytes: rooms.historyMaxBytes,
  };
}

/** What a room acts on before the Worker ever sent it settings: the schema's defaults. */
export const DEFAULT_ROOM_SETTINGS: RoomSettings = roomSettings(roomsSchema.parse({}));

/** What a caller may do in one room, decided by the Worker before the object is touched. */
export interface RoomAccess {
  read: boolean;
  publish: boolean;
  /** The room is one for every tenant (its messages and members show each sender's tenant). */
  shared: boolean;
  /** The name the room's object is addressed by (`ROOMS.getByName`). */
  objectName: string;
}

export interface RoomCaller {
  tenant: string;
  roles: readonly string[];
}

/** The most specific policy for `room`: the exact name, else the longest matching prefix. */
export function roomPolicyFor(policies: readonly RoomPolicy[], room: string): RoomPolicy | undefined {
  let best: RoomPolicy | undefined;
  let bestLength = -1;
  for (const policy of policies) {
    const pattern = policy.match;
    if (pattern === room) return policy;
    if (!pattern.endsWith("*")) continue;
    const prefix = pattern.slice(0, -1);
    if (prefix.length > bestLength && room.startsWith(prefix)) {
      best = policy;
      bestLength = prefix.length;
    }
  }
  return best;
}

/** Whether `roles` (absent: everyone) lets the caller in. */
function allows(roles: readonly string[] | undefined, caller: RoomCaller): boolean {
  return roles === undefined || caller.roles.some((r) => roles.includes(r));
}

/**
 * The object name of a room: JSON of a tagged tuple, so no tenant and room can produce
 * another pair's name (tenants may contain any character; room names never contain quotes).
 * Rooms created before tenancy were addressed by the bare name and are not reachable from here.
 */
export function roomObjectName(room: string, scope: { shared: true } | { tenant: string }): string {
  return "shared" in scope ? JSON.stringify(["shared", room]) : JSON.stringify(["tenant", scope.tenant, room]);
}

/** Decides the caller's access to `room` under `policies`. Publishing needs read access too. */
export function roomAccess(policies: readonly RoomPolicy[], room: string, caller: RoomCaller): RoomAccess {
  const policy = roomPolicyFor(policies, room);
  const shared = policy?.shared ?? false;
  const read = allows(policy?.read, caller);
  const publish = read && allows(policy?.publish ?? policy?.read, caller);
  return {
    read,
    publish,
    shared,
    objectName: roomObjectName(room, shared ? { shared: true } : { tenant: caller.tenant }),
  };
}
