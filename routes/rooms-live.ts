/**
 * `/v1/rooms/{room}/ws` and `/v1/rooms/{room}/events`: joining a live room over a WebSocket or
 * as an event stream (SSE), with a ticket or a token (see `rooms.ts` for the rules), relayed to
 * the room's object or, in a big room, to one of its shards.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../src/env.ts";
import { connectToRoom, relayStream, relayUpgrade, SeqSchema } from "../src/lib/rooms/api.ts";
import { lastEventSeq } from "../src/lib/rooms/sse.ts";
import {
  connectToShard,
  SHARD_HEADER,
  shardObjectName,
  type ShardConnect,
  type ShardRedirect,
} from "../src/lib/rooms/shards.ts";
import { EPOCH, ROOMS_SUBPROTOCOL, subprotocolAuth } from "../src/lib/rooms/protocol.ts";
import { ApiError } from "../src/lib/errors.ts";
import { orUnavailable, problem } from "./problem.ts";
import { logLine } from "../src/lib/log.ts";
import { bearerToken } from "../src/middleware/auth.ts";
import { callRoom, invalidTicket, joining, RoomParams, tokenProblems } from "./rooms-access.ts";

export const roomsLiveRoutes = new OpenAPIHono<AppEnv>()
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
        "`after` (and `epoch`) resume: everything after that seq is replayed before any live message, or a `reset` frame says why it cannot be. " +
        "`batch=1` opts in to `batch` frames (several messages in one frame while the room is busy).",
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
          batch: z.enum(["0", "1"]).optional().openapi({ description: "`1`: take `batch` frames (rooms-protocol.md)" }),
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
      const { after, epoch, batch, ticket, access_token: queryToken } = c.req.valid("query");
      if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
        throw new ApiError("upgrade-required", {
          detail: "This endpoint is a WebSocket: send Upgrade: websocket.",
          headers: { upgrade: "websocket", connection: "Upgrade" },
        });
      }
      const offered = subprotocolAuth(c.req.header("sec-websocket-protocol"));
      const { access, identity } = await joining(c, room, {
        ticket,
        queryToken,
        token: bearerToken(c) ?? offered.token,
        options: {
          ...(batch === "1" ? { batch: true } : {}),
          ...(after !== undefined ? { after } : {}),
          ...(epoch !== undefined ? { epoch } : {}),
          ...(offered.accept !== undefined ? { protocol: offered.accept } : {}),
        },
      });
      let res = await callRoom(c, access, (stub) => connectToRoom(stub, identity));
      if (res.status === 401 && identity.via === "ticket") {
        await res.body?.cancel();
        throw invalidTicket(c);
      }
      const shard = res.headers.get(SHARD_HEADER);
      if (shard !== null) {
        // A big room: the room picked one of its shards for this socket (src/lib/rooms/shards.ts).
        const redirect = (await res.json()) as ShardRedirect;
        const connect: ShardConnect = {
          link: { roomObjectName: access.objectName, index: redirect.shard, room, shared: access.shared },
          identity: redirect.identity,
          settings: identity.settings,
          ...(identity.batch ? { batch: true } : {}),
          ...(identity.after !== undefined ? { after: identity.after } : {}),
          ...(identity.epoch !== undefined ? { epoch: identity.epoch } : {}),
          ...(identity.protocol !== undefined ? { protocol: identity.protocol } : {}),
          ...(identity.via === "ticket" ? { viaTicket: true } : {}),
        };
        res = await orUnavailable(
          c,
          () =>
            connectToShard(c.env.ROOM_SHARDS.getByName(shardObjectName(access.objectName, redirect.shard)), connect),
          {
            log: "room shard unreachable",
            detail: "The room cannot be reached right now; retry shortly.",
          },
        );
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
      method: "get",
      path: "/v1/rooms/{room}/events",
      tags: ["Rooms"],
      summary: "Follow the room as Server-Sent Events",
      description:
        "For clients behind proxies that drop WebSockets: the room's frames as `text/event-stream`, one event per frame named after its " +
        "`type` (`welcome`, `msg`, `presence`, `ephemeral`, `reset`) with the frame's JSON as `data`; a `msg` event's `id` is its seq. " +
        "Same authentication as the WebSocket: `?ticket=` (what `EventSource` uses) or `Authorization: Bearer`. " +
        "`Last-Event-ID` (sent by a reconnecting `EventSource`) or `after` resumes with no gap, or a `reset` event says why it cannot. " +
        "Publishing stays `POST /v1/rooms/{room}/messages`.",
      security: [{ bearerAuth: [] }],
      request: {
        params: RoomParams,
        query: z.object({
          after: SeqSchema.optional().openapi({
            description: "Resume after this seq (`Last-Event-ID` wins when both are sent)",
          }),
          epoch: z
            .string()
            .regex(EPOCH)
            .optional()
            .openapi({ description: "The epoch the resume point belongs to (from `welcome`)" }),
          ticket: z
            .string()
            .max(1024)
            .optional()
            .openapi({ description: "A single-use ticket from `POST /v1/rooms/{room}/tickets`" }),
          access_token: z.string().optional().openapi({
            description: "Refused (400) unless `ROOMS_ALLOW_QUERY_TOKEN=true`: tokens in URLs end up in logs",
          }),
        }),
        headers: z.object({
          "last-event-id": z
            .string()
            .max(32)
            .optional()
            .openapi({ description: "The seq of the last `msg` event received: resume after it" }),
        }),
      },
      responses: {
        200: { description: "The room's events", content: { "text/event-stream": { schema: z.string() } } },
        ...tokenProblems,
        400: problem("Invalid room name or query, or a token in the URL"),
        401: problem("Missing or invalid token or ticket"),
      },
    }),
    async (c) => {
      const { room } = c.req.valid("param");
      const { after, epoch, ticket, access_token: queryToken } = c.req.valid("query");
      const resumeAfter = lastEventSeq(c.req.valid("header")["last-event-id"]) ?? after;
      const { access, identity } = await joining(c, room, {
        ticket,
        queryToken,
        token: bearerToken(c),
        options: {
          ...(resumeAfter !== undefined ? { after: resumeAfter } : {}),
          ...(epoch !== undefined ? { epoch } : {}),
        },
      });
      const res = await callRoom(c, access, (stub) => connectToRoom(stub, identity, "events"));
      if (res.status === 401 && identity.via === "ticket") {
        await res.body?.cancel();
        throw invalidTicket(c);
      }
      if (res.status !== 200 || !res.body) {
        await res.body?.cancel();
        logLine("error", "room refused an authenticated event stream", {
          requestId: c.get("requestId"),
          status: res.status,
        });
        throw new ApiError("unavailable", { detail: "The room cannot accept connections right now; retry shortly." });
      }
      const { response, user } = relayStream(res);
      if (identity.via === "ticket") {
        c.get("log").auth = "ok:ticket";
        if (user !== undefined) c.get("log").sub = user;
      }
      return response;
    },
  );
