/**
 * What the rooms routes share (`rooms.ts`, `rooms-live.ts`): the room parameter, who may read
 * or publish under the room's policy, tickets and tokens for joining, and calls to the room's
 * object (503 when it cannot be reached).
 */
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../src/env.ts";
import { type ConnectRequest } from "../src/lib/rooms/api.ts";
import { roomAccess, roomSettings, type RoomAccess, type RoomSettings } from "../src/lib/rooms/policy.ts";
import { parseTicket } from "../src/lib/rooms/tickets.ts";
import { ROOM_NAME } from "../src/lib/rooms/protocol.ts";
import { ApiError } from "../src/lib/errors.ts";
import { orUnavailable, problem, UNAUTHORIZED } from "./problem.ts";
import { authenticate, WWW_AUTHENTICATE } from "../src/middleware/auth.ts";

export const RoomParams = z.object({
  room: z
    .string()
    .regex(ROOM_NAME)
    .openapi({ param: { name: "room", in: "path" }, example: "demo", description: "^[A-Za-z0-9_-]{1,64}$" }),
});

export const tokenProblems = {
  400: problem("Invalid room name or query"),
  401: UNAUTHORIZED,
  403: problem("The room's policy does not let your roles do this"),
  503: problem("Room unreachable"),
};

/** The caller's access to `room` (their tenant's, or the shared one); a 403 unless they may `need`. */
export function allowed(c: Context<AppEnv>, room: string, need: "read" | "publish"): RoomAccess {
  const access = roomAccess(c.get("config").rooms.policies, room, c.get("principal"));
  if (!access[need]) {
    c.get("log").auth = "forbidden";
    throw new ApiError("forbidden", {
      detail:
        need === "read" ? "Your roles may not read this room." : "Your roles may read this room but not publish in it.",
    });
  }
  return access;
}

export function invalidTicket(c: Context<AppEnv>): ApiError {
  c.get("log").auth = "invalid:ticket";
  return new ApiError("invalid-token", {
    detail: "A valid ticket is required: tickets are single use, for one room, and expire after 30 s.",
    headers: { "www-authenticate": WWW_AUTHENTICATE },
  });
}

export function tokenInUrl(c: Context<AppEnv>): ApiError {
  c.get("log").auth = "refused:query_token";
  return new ApiError("bad-request", {
    detail:
      "Access tokens in the URL are refused (URLs end up in logs). Get a ticket with POST /v1/rooms/{room}/tickets and connect " +
      "with ?ticket=, or send the token as Authorization: Bearer or the bearer.<token> subprotocol.",
    headers: { "www-authenticate": 'Bearer error="invalid_request"' },
  });
}

export type RoomStub = ReturnType<Env["ROOMS"]["getByName"]>;

/** The edge config's room settings, for the room's object (it has no config of its own). */
export const settingsOf = (c: Context<AppEnv>): RoomSettings => roomSettings(c.get("config").rooms);

/** Calls the room's object; an unreachable object is a 503 (the call may be retried), never a silent success. */
export function callRoom<T>(c: Context<AppEnv>, access: RoomAccess, call: (room: RoomStub) => Promise<T>): Promise<T> {
  return orUnavailable(c, () => call(c.env.ROOMS.getByName(access.objectName)), {
    log: "room object unreachable",
    detail: "The room cannot be reached right now; retry shortly.",
  });
}

export type JoinOptions = Pick<ConnectRequest, "batch" | "after" | "epoch" | "protocol">;

/**
 * Who joins (a socket or an event stream) and the room's object to ask: a ticket (the room
 * redeems it), else a token from a header (or the URL, only where the deployment allows it),
 * with read access under the room's policy.
 */
export async function joining(
  c: Context<AppEnv>,
  room: string,
  how: { ticket: string | undefined; queryToken: string | undefined; token: string | undefined; options: JoinOptions },
): Promise<{ access: RoomAccess; identity: ConnectRequest }> {
  // Refused even next to a ticket or a header: the token is in the URL (and the logs) already.
  if (how.queryToken !== undefined && !c.get("settings").ROOMS_ALLOW_QUERY_TOKEN) throw tokenInUrl(c);
  const base = { room, settings: settingsOf(c), ...how.options };
  if (how.ticket !== undefined) {
    const presented = parseTicket(how.ticket);
    if (!presented) throw invalidTicket(c);
    // The ticket names its tenant only to find the room; the room checks it issued it to that tenant.
    const access = roomAccess(c.get("config").rooms.policies, room, { tenant: presented.tenant, roles: [] });
    return {
      access,
      identity: {
        ...base,
        shared: access.shared,
        objectName: access.objectName,
        via: "ticket",
        tenant: presented.tenant,
        secret: presented.secret,
      },
    };
  }
  const principal = await authenticate(c, how.token ?? how.queryToken);
  const access = allowed(c, room, "read");
  return {
    access,
    identity: {
      ...base,
      shared: access.shared,
      objectName: access.objectName,
      via: "token",
      userId: principal.sub,
      tenant: principal.tenant,
      canPublish: access.publish,
      expiresAt: principal.expiresAt * 1000,
    },
  };
}
