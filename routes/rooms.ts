/**
 * `/v1/rooms/*`: live rooms. Every call needs a valid access token (or, for the WebSocket
 * upgrade, a ticket), verified here in the Worker before the room's Durable Object is touched,
 * so an invalid token is a plain 401 and never a socket. A room belongs to the caller's tenant
 * unless a policy shares it; the policies in the edge config (`rooms.policies`) decide who may
 * read and publish (`src/lib/rooms/policy.ts`). Tokens in the URL (`?access_token=`) are
 * refused unless `ROOMS_ALLOW_QUERY_TOKEN=true`: URLs end up in logs; browsers use tickets.
 * The protocol itself is in `src/lib/rooms/protocol.ts` (and the README, "Live rooms"); the
 * room is `durable-objects/room.ts`.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../src/env.ts";
import {
  connectToRoom,
  HistoryPageSchema,
  PublishBodySchema,
  PublishedSchema,
  relayUpgrade,
  RoomInfoSchema,
  SeqSchema,
  TicketSchema,
  type ConnectRequest,
  type HistoryPage,
} from "../src/lib/rooms/api.ts";
import { roomAccess, type RoomAccess } from "../src/lib/rooms/policy.ts";
import { parseTicket, TICKET_TTL_MS } from "../src/lib/rooms/tickets.ts";
import {
  EPOCH,
  HISTORY_PAGE_MAX,
  ROOM_LIMITS,
  ROOM_NAME,
  ROOMS_SUBPROTOCOL,
  subprotocolAuth,
} from "../src/lib/rooms/protocol.ts";
import { ApiError } from "../src/lib/errors.ts";
import { orUnavailable, problem, UNAUTHORIZED } from "./problem.ts";
import { logLine } from "../src/lib/log.ts";
import { authenticate, bearerToken, requireAuth, WWW_AUTHENTICATE } from "../src/middleware/auth.ts";

const RoomParams = z.object({
  room: z
    .string()
    .regex(ROOM_NAME)
    .openapi({ param: { name: "room", in: "path" }, example: "demo", description: "^[A-Za-z0-9_-]{1,64}$" }),
});

const tokenProblems = {
  400: problem("Invalid room name or query"),
  401: UNAUTHORIZED,
  403: problem("The room's policy does not let your roles do this"),
  503: problem("Room unreachable"),
};

/** The caller's access to `room` (their tenant's, or the shared one); a 403 unless they may `need`. */
function allowed(c: Context<AppEnv>, room: string, need: "read" | "publish"): RoomAccess {
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

function invalidTicket(c: Context<AppEnv>): ApiError {
  c.get("log").auth = "invalid:ticket";
  return new ApiError("invalid-token", {
    detail: "A valid ticket is required: tickets are single use, for one room, and expire after 30 s.",
    headers: { "www-authenticate": WWW_AUTHENTICATE },
  });
}

function tokenInUrl(c: Context<AppEnv>): ApiError {
  c.get("log").auth = "refused:query_token";
  return new ApiError("bad-request", {
    detail:
      "Access tokens in the URL are refused (URLs end up in logs). Get a ticket with POST /v1/rooms/{room}/tickets and connect " +
      "with ?ticket=, or send the token as Authorization: Bearer or the bearer.<token> subprotocol.",
    headers: { "www-authenticate": 'Bearer error="invalid_request"' },
  });
}

type RoomStub = ReturnType<Env["ROOMS"]["getByName"]>;

/** Calls the room's object; an unreachable object is a 503 (the call may be retried), never a silent success. */
function callRoom<T>(c: Context<AppEnv>, access: RoomAccess, call: (room: RoomStub) => Promise<T>): Promise<T> {
  return orUnavailable(c, () => call(c.env.ROOMS.getByName(access.objectName)), {
    log: "room object unreachable",
    detail: "The room cannot be reached right now; retry shortly.",
  });
}

/** Bodies over the frame limit are refused before they are read whole. */
const publishBodyLimit = bodyLimit({
  maxSize: ROOM_LIMITS.maxBytes,
  onError: () => {
    throw new ApiError("payload-too-large", { detail: `A room message is limited to ${ROOM_LIMITS.maxBytes} bytes.` });
  },
});

export const roomsRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/rooms/{room}/ws",
      tags: ["Rooms"],
      summary: "Join the room over WebSocket",
      description:
        'Upgrade to the rooms protocol (README, "Live rooms"). Checked before the upgrade: a `?ticket=` from ' +
        "`POST /v1/rooms/{room}/tickets` (what browsers use), or the token as `Authorization: Bearer` or the subprotocol " +
        `\`bearer.<token>\` (offer \`${ROOMS_SUBPROTOCOL}\` too and that one is echoed instead of the token). ` +
        "`?access_token=` is refused (400) unless the deployment sets `ROOMS_ALLOW_QUERY_TOKEN=true`. The caller needs read access " +
        "under the room's policy; without publish access the socket reads and its publish frames get `error forbidden`. " +
        "`after` (and `epoch`) resume: everything after that seq is replayed before any live message, or a `reset` frame says why it cannot be.",
      security: [{ bearerAuth: [] }],
      request: {
        params: RoomParams,
        query: z.object({
          after: SeqSchema.optional().openapi({ description: "Resume after this seq" }),
          epoch: z
            .string()
            .regex(EPOCH)
            .optional()
            .openapi({ description: "The epoch the `after` belongs to (from `welcome`)" }),
          ticket: z
            .string()
            .max(1024)
            .optional()
            .openapi({ description: "A single-use ticket from `POST /v1/rooms/{room}/tickets`" }),
          access_token: z.string().optional().openapi({
            description: "Refused (400) unless `ROOMS_ALLOW_QUERY_TOKEN=true`: tokens in URLs end up in logs",
          }),
        }),
      },
      responses: {
        101: { description: "Switching protocols: the socket speaks the rooms protocol" },
        ...tokenProblems,
        400: problem("Invalid room name or query, or a token in the URL"),
        401: problem("Missing or invalid token or ticket"),
        426: problem("Not a WebSocket upgrade"),
      },
    }),
    async (c) => {
      const { room } = c.req.valid("param");
      const { after, epoch, ticket, access_token: queryToken } = c.req.valid("query");
      if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
        throw new ApiError("upgrade-required", {
          detail: "This endpoint is a WebSocket: send Upgrade: websocket.",
          headers: { upgrade: "websocket", connection: "Upgrade" },
        });
      }
      const offered = subprotocolAuth(c.req.header("sec-websocket-protocol"));
      let access: RoomAccess;
      let identity: ConnectRequest;
      const resume = {
        ...(after !== undefined ? { after } : {}),
        ...(epoch !== undefined ? { epoch } : {}),
        ...(offered.accept !== undefined ? { protocol: offered.accept } : {}),
      };
      // Refused even next to a ticket or a header: the token is in the URL (and the logs) already.
      if (queryToken !== undefined && !c.get("settings").ROOMS_ALLOW_QUERY_TOKEN) throw tokenInUrl(c);
      if (ticket !== undefined) {
        const presented = parseTicket(ticket);
        if (!presented) throw invalidTicket(c);
        // The ticket names its tenant only to find the room; the room checks it issued it to that tenant.
        access = roomAccess(c.get("config").rooms.policies, room, { tenant: presented.tenant, roles: [] });
        identity = {
          room,
          shared: access.shared,
          via: "ticket",
          tenant: presented.tenant,
          secret: presented.secret,
          ...resume,
        };
      } else {
        const principal = await authenticate(c, bearerToken(c) ?? offered.token ?? queryToken);
        access = allowed(c, room, "read");
        identity = {
          room,
          shared: access.shared,
          via: "token",
          userId: principal.sub,
          tenant: principal.tenant,
          canPublish: access.publish,
          expiresAt: principal.expiresAt * 1000,
          ...resume,
        };
      }
      const res = await callRoom(c, access, (stub) => connectToRoom(stub, identity));
      if (res.status === 401 && identity.via === "ticket") {
        await res.body?.cancel();
        throw invalidTicket(c);
      }
      if (res.status !== 101 || !res.webSocket) {
        logLine("error", "room refused an authenticated upgrade", {
          requestId: c.get("requestId"),
          status: res.status,
        });
        throw new ApiError("unavailable", { detail: "The room cannot accept connections right now; retry shortly." });
      }
      const { response, user } = relayUpgrade(res, res.webSocket);
      if (identity.via === "ticket") {
        c.get("log").auth = "ok:ticket";
        if (user !== undefined) c.get("log").sub = user;
      }
      return response;
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/rooms/{room}/tickets",
      tags: ["Rooms"],
      summary: "A single-use ticket to join the room's WebSocket",
      description:
        "For clients that cannot set a header on a WebSocket (browsers): connect to `/v1/rooms/{room}/ws?ticket=…` within " +
        `${TICKET_TTL_MS / 1000} s. The ticket opens one socket, in this room, as you (same tenant, same publish rights), ` +
        "and the socket closes when your token expires. Needs read access to the room.",
      security: [{ bearerAuth: [] }],
      middleware: [requireAuth()] as const,
      request: { params: RoomParams },
      responses: {
        201: { description: "Issued", content: { "application/json": { schema: TicketSchema } } },
        ...tokenProblems,
      },
    }),
    async (c) => {
      const { room } = c.req.valid("param");
      const access = allowed(c, room, "read");
      const { sub, tenant, expiresAt } = c.get("principal");
      const grant = { userId: sub, tenant, canPublish: access.publish, tokenExpiresAt: expiresAt * 1000 };
      const issued = await callRoom(c, access, (stub) => stub.issueTicket(room, access.shared, grant));
      return c.json({ ticket: issued.ticket, expiresIn: issued.expiresIn }, 201, { "cache-control": "no-store" });
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/rooms/{room}",
      tags: ["Rooms"],
      summary: "Who is in the room, and its head seq",
      security: [{ bearerAuth: [] }],
      middleware: [requireAuth()] as const,
      request: { params: RoomParams },
      responses: {
        200: {
          description: "Presence: one member per user with their connection count",
          content: { "application/json": { schema: RoomInfoSchema } },
        },
        ...tokenProblems,
      },
    }),
    async (c) => {
      const { room } = c.req.valid("param");
      const access = allowed(c, room, "read");
      const info = await callRoom(c, access, (stub) => stub.info(room, access.shared));
      return c.json(
        {
          room: info.room,
          shared: access.shared,
          canPublish: access.publish,
          online: info.online,
          members: info.members,
          headSeq: info.headSeq,
        },
        200,
        { "cache-control": "no-store" },
      );
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/rooms/{room}/messages",
      tags: ["Rooms"],
      summary: "Room history, ascending seq",
      description:
        "With `after`: the messages after that seq (page on with the last seq while `hasMore`). Without: the latest `limit`. " +
        "History keeps the last 10,000 messages and none older than 7 days; `firstSeq` is the oldest still stored.",
      security: [{ bearerAuth: [] }],
      middleware: [requireAuth()] as const,
      request: {
        params: RoomParams,
        query: z.object({
          after: SeqSchema.optional(),
          limit: z.coerce.number().int().min(1).max(HISTORY_PAGE_MAX).default(100),
        }),
      },
      responses: {
        200: { description: "A page of history", content: { "application/json": { schema: HistoryPageSchema } } },
        ...tokenProblems,
      },
    }),
    async (c) => {
      const { room } = c.req.valid("param");
      const { after, limit } = c.req.valid("query");
      const access = allowed(c, room, "read");
      const query = { limit, ...(after !== undefined ? { after: Number(after) } : {}) };
      const page: HistoryPage = await callRoom(c, access, (stub) => stub.history(room, access.shared, query));
      return c.json(page, 200, { "cache-control": "no-store" });
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/rooms/{room}/messages",
      tags: ["Rooms"],
      summary: "Publish a message to the room",
      description:
        "Stored under the next seq and sent to everyone connected, like a `publish` frame. " +
        "A repeated `clientMsgId` (same user, within 10 minutes) answers 200 with the original instead of storing it again.",
      security: [{ bearerAuth: [] }],
      middleware: [requireAuth(), publishBodyLimit] as const,
      request: {
        params: RoomParams,
        body: { required: true, content: { "application/json": { schema: PublishBodySchema } } },
      },
      responses: {
        201: { description: "Stored", content: { "application/json": { schema: PublishedSchema } } },
        200: {
          description: "Duplicate `clientMsgId`: the original",
          content: { "application/json": { schema: PublishedSchema } },
        },
        ...tokenProblems,
        413: problem(`Body over ${ROOM_LIMITS.maxBytes} bytes`),
        422: problem("Invalid message"),
      },
    }),
    async (c) => {
      const { room } = c.req.valid("param");
      const { event, data, clientMsgId } = c.req.valid("json");
      const access = allowed(c, room, "publish");
      const { sub: userId, tenant } = c.get("principal");
      const input = {
        userId,
        tenant,
        event,
        dataJson: JSON.stringify(data ?? null),
        ...(clientMsgId !== undefined ? { clientMsgId } : {}),
      };
      const result = await callRoom(c, access, (stub) => stub.publish(room, access.shared, input));
      if (result.dup) return c.json({ seq: result.seq, id: result.id, dup: true }, 200);
      return c.json({ seq: result.seq, id: result.id }, 201);
    },
  );
