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
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../src/env.ts";
import {
  cursorKey,
  memberCursor,
  MEMBERS_PAGE_DEFAULT,
  MEMBERS_PAGE_MAX,
  HistoryPageSchema,
  PublishBodySchema,
  PublishedSchema,
  RoomInfoSchema,
  SeqSchema,
  TicketSchema,
  type HistoryPage,
} from "../src/lib/rooms/api.ts";
import { TICKET_TTL_MS } from "../src/lib/rooms/tickets.ts";
import { HISTORY_PAGE_MAX, ROOM_LIMITS } from "../src/lib/rooms/protocol.ts";
import { ApiError } from "../src/lib/errors.ts";
import { problem } from "./problem.ts";
import { requireAuth } from "../src/middleware/auth.ts";
import { allowed, callRoom, RoomParams, settingsOf, tokenProblems } from "./rooms-access.ts";
import { roomsLiveRoutes } from "./rooms-live.ts";
/** Bodies over the frame limit are refused before they are read whole. */
const publishBodyLimit = bodyLimit({
  maxSize: ROOM_LIMITS.maxBytes,
  onError: () => {
    throw new ApiError("payload-too-large", { detail: `A room message is limited to ${ROOM_LIMITS.maxBytes} bytes.` });
  },
});

export const roomsRoutes = new OpenAPIHono<AppEnv>()
  .route("/", roomsLiveRoutes)
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
      description:
        "`online` counts the people present (one with several connections counts once); `members` is a page of them ordered by user " +
        `(and tenant), at most \`limit\` (default ${MEMBERS_PAGE_DEFAULT}, at most ${MEMBERS_PAGE_MAX}); when more follow, \`next\` is the \`cursor\` of the next page.`,
      security: [{ bearerAuth: [] }],
      middleware: [requireAuth()] as const,
      request: {
        params: RoomParams,
        query: z.object({
          limit: z.coerce.number().int().min(1).max(MEMBERS_PAGE_MAX).default(MEMBERS_PAGE_DEFAULT),
          cursor: z
            .string()
            .regex(/^[A-Za-z0-9_-]{1,1024}$/)
            .optional()
            .openapi({ description: "`next` of the previous page" }),
        }),
      },
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
      const { limit, cursor } = c.req.valid("query");
      const after = cursor === undefined ? undefined : cursorKey(cursor);
      if (cursor !== undefined && after === undefined)
        throw new ApiError("bad-request", { detail: "cursor must be the next of a previous page." });
      const access = allowed(c, room, "read");
      const page = { limit, ...(after !== undefined ? { after } : {}) };
      const info = await callRoom(c, access, (stub) => stub.info(room, access.shared, settingsOf(c), page));
      return c.json(
        {
          room: info.room,
          shared: access.shared,
          canPublish: access.publish,
          online: info.online,
          members: info.members,
          ...(info.next !== undefined ? { next: memberCursor(info.next) } : {}),
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
      const result = await callRoom(c, access, (stub) => stub.publish(room, access.shared, input, settingsOf(c)));
      if (result.dup) return c.json({ seq: result.seq, id: result.id, dup: true }, 200);
      return c.json({ seq: result.seq, id: result.id }, 201);
    },
  );
