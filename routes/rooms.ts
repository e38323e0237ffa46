/**
 * `/v1/rooms/*`: live rooms. Every call needs a valid access token, verified here in the
 * Worker, before the room's Durable Object is touched; the WebSocket upgrade too (token from
 * `Authorization: Bearer`, the `bearer.<token>` subprotocol or `?access_token=`), so an invalid
 * token is a plain 401 and never a socket. The protocol itself is in `src/lib/rooms/protocol.ts`
 * (and the README, "Live rooms"); the room is `durable-objects/room.ts`.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../src/env.ts";
import { CONNECT_HEADER, type ConnectRequest, type HistoryPage } from "../src/lib/rooms/api.ts";
import {
  CLIENT_MSG_ID,
  EPOCH,
  EVENT_NAME,
  HISTORY_PAGE_MAX,
  ROOM_LIMITS,
  ROOM_NAME,
  ROOMS_SUBPROTOCOL,
  SEQ,
  subprotocolAuth,
} from "../src/lib/rooms/protocol.ts";
import { ApiError, PROBLEM_BASE, PROBLEM_CONTENT_TYPE } from "../src/lib/errors.ts";
import { describeError, logLine } from "../src/lib/log.ts";
import { authenticate, bearerToken, requireAuth } from "../src/middleware/auth.ts";

const RoomParams = z.object({
  room: z.string().regex(ROOM_NAME).openapi({ param: { name: "room", in: "path" }, example: "demo", description: "^[A-Za-z0-9_-]{1,64}$" }),
});
const SeqString = z.string().regex(SEQ);
const SenderSchema = z.object({ userId: z.string(), connId: z.string().nullable().openapi({ description: "null for HTTP publishes" }) });
const MemberSchema = z.object({ userId: z.string(), connections: z.int() }).openapi("RoomMember");
const RoomInfoSchema = z
  .object({ room: z.string(), online: z.int().openapi({ description: "Members online" }), members: z.array(MemberSchema), headSeq: SeqString })
  .openapi("RoomInfo");
const MessageSchema = z
  .object({
    seq: SeqString,
    id: z.string(),
    clientMsgId: z.string().optional(),
    from: SenderSchema,
    event: z.string(),
    ts: z.int().openapi({ description: "Server time of the publish, ms since the Unix epoch" }),
    data: z.unknown(),
  })
  .openapi("RoomMessage");
const HistorySchema = z
  .object({
    room: z.string(),
    epoch: z.string(),
    headSeq: SeqString,
    firstSeq: SeqString.nullable().openapi({ description: "Oldest stored seq; a resume point below it has a gap" }),
    messages: z.array(MessageSchema),
    hasMore: z.boolean(),
  })
  .openapi("RoomHistory");
const PublishBody = z
  .strictObject({
    event: z.string().regex(EVENT_NAME).openapi({ example: "chat" }),
    data: z.unknown().openapi({ example: { text: "hello" } }),
    clientMsgId: z.string().regex(CLIENT_MSG_ID).optional().openapi({ description: "Idempotency key: the same one from you within 10 minutes is stored once" }),
  })
  .openapi("RoomPublish");
const PublishedSchema = z.object({ seq: SeqString, id: z.string(), dup: z.boolean().optional() }).openapi("RoomPublished");

const problem = (description: string) => ({ description, content: { "application/problem+json": { schema: z.object({}).passthrough() } } });
const tokenProblems = { 400: problem("Invalid room name or query"), 401: problem("Missing or invalid token"), 503: problem("Room unreachable") };

function roomObject(c: Context<AppEnv>, room: string) {
  return c.env.ROOMS.getByName(room);
}

/** Calls the room; an unreachable object is a 503 (the call may be retried), never a silent success. */
async function callRoom<T>(c: Context<AppEnv>, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    logLine("error", "room object unreachable", { requestId: c.var.requestId, error: describeError(err).message });
    throw new ApiError("unavailable", { detail: "The room cannot be reached right now; retry shortly." });
  }
}

function upgradeRequired(c: Context<AppEnv>): Response {
  const body = {
    type: `${PROBLEM_BASE}upgrade-required`,
    title: "Upgrade required",
    status: 426,
    detail: "This endpoint is a WebSocket: send Upgrade: websocket.",
    requestId: c.var.requestId,
  };
  return c.json(body, 426, { "content-type": PROBLEM_CONTENT_TYPE, upgrade: "websocket", connection: "Upgrade" });
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
        "Upgrade to the rooms protocol (README, \"Live rooms\"). The token is checked before the upgrade: `Authorization: Bearer`, " +
        `the subprotocol \`bearer.<token>\` (offer \`${ROOMS_SUBPROTOCOL}\` too and that one is echoed instead of the token), ` +
        "or `?access_token=`. `after` (and `epoch`) resume: everything after that seq is replayed before any live message, " +
        "or a `reset` frame says why it cannot be.",
      security: [{ bearerAuth: [] }],
      request: {
        params: RoomParams,
        query: z.object({
          after: SeqString.optional().openapi({ description: "Resume after this seq" }),
          epoch: z.string().regex(EPOCH).optional().openapi({ description: "The epoch the `after` belongs to (from `welcome`)" }),
          access_token: z.string().optional().openapi({ description: "For clients that can set neither a header nor a subprotocol" }),
        }),
      },
      responses: {
        101: { description: "Switching protocols: the socket speaks the rooms protocol" },
        ...tokenProblems,
        426: problem("Not a WebSocket upgrade"),
      },
    }),
    async (c) => {
      const { room } = c.req.valid("param");
      const { after, epoch, access_token: queryToken } = c.req.valid("query");
      if (c.req.header("upgrade")?.toLowerCase() !== "websocket") return upgradeRequired(c);
      const offered = subprotocolAuth(c.req.header("sec-websocket-protocol"));
      const principal = await authenticate(c, bearerToken(c) ?? offered.token ?? queryToken);
      const connect: ConnectRequest = {
        room,
        userId: principal.sub,
        expiresAt: principal.expiresAt * 1000,
        ...(after !== undefined ? { after } : {}),
        ...(epoch !== undefined ? { epoch } : {}),
        ...(offered.accept !== undefined ? { protocol: offered.accept } : {}),
      };
      const res = await callRoom(c, () =>
        roomObject(c, room).fetch("https://room.internal/connect", {
          headers: { upgrade: "websocket", [CONNECT_HEADER]: JSON.stringify(connect) },
        }),
      );
      if (res.status !== 101 || !res.webSocket) {
        logLine("error", "room refused an authenticated upgrade", { requestId: c.var.requestId, status: res.status });
        throw new ApiError("unavailable", { detail: "The room cannot accept connections right now; retry shortly." });
      }
      // A fresh response: the object's has immutable headers, and the middleware adds some.
      return new Response(null, { status: 101, webSocket: res.webSocket, headers: res.headers });
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
        200: { description: "Presence: one member per user with their connection count", content: { "application/json": { schema: RoomInfoSchema } } },
        ...tokenProblems,
      },
    }),
    async (c) => {
      const { room } = c.req.valid("param");
      const info = await callRoom(c, () => roomObject(c, room).info(room));
      return c.json({ room: info.room, online: info.online, members: info.members, headSeq: info.headSeq }, 200, { "cache-control": "no-store" });
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
          after: SeqString.optional(),
          limit: z.coerce.number().int().min(1).max(HISTORY_PAGE_MAX).default(100),
        }),
      },
      responses: {
        200: { description: "A page of history", content: { "application/json": { schema: HistorySchema } } },
        ...tokenProblems,
      },
    }),
    async (c) => {
      const { room } = c.req.valid("param");
      const { after, limit } = c.req.valid("query");
      const page: HistoryPage = await callRoom(c, () => roomObject(c, room).history(room, { limit, ...(after !== undefined ? { after: Number(after) } : {}) }));
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
        body: { required: true, content: { "application/json": { schema: PublishBody } } },
      },
      responses: {
        201: { description: "Stored", content: { "application/json": { schema: PublishedSchema } } },
        200: { description: "Duplicate `clientMsgId`: the original", content: { "application/json": { schema: PublishedSchema } } },
        ...tokenProblems,
        413: problem(`Body over ${ROOM_LIMITS.maxBytes} bytes`),
        422: problem("Invalid message"),
      },
    }),
    async (c) => {
      const { room } = c.req.valid("param");
      const { event, data, clientMsgId } = c.req.valid("json");
      const userId = c.var.principal.sub;
      const result = await callRoom(c, () =>
        roomObject(c, room).publish(room, {
          userId,
          event,
          dataJson: JSON.stringify(data ?? null),
          ...(clientMsgId !== undefined ? { clientMsgId } : {}),
        }),
      );
      if (result.dup) return c.json({ seq: result.seq, id: result.id, dup: true }, 200);
      return c.json({ seq: result.seq, id: result.id }, 201);
    },
  );
