/**
 * What the Worker and a `Room` object exchange: the connect request (identity verified by the
 * Worker before the upgrade) and the plain-data answers of the Room's RPC methods. Routes and
 * the Durable Object both depend on these shapes, never on each other. The shapes the HTTP API
 * shows are zod schemas (also its OpenAPI description); their types are inferred from them.
 */
import { z } from "@hono/zod-openapi";
import type { ConnectionIdentity } from "./connection.ts";
import { CLIENT_MSG_ID, EVENT_NAME, MemberSchema, SEQ, SenderSchema, type Seq } from "./protocol.ts";
import { TICKET_TTL_MS } from "./tickets.ts";

/**
 * Header carrying the `ConnectRequest` (JSON) on the internal upgrade request to the object.
 * Only the Worker can reach the object, and it builds that request itself.
 */
export const CONNECT_HEADER = "x-room-connect";
/** On the object's 101 to the Worker only: who a ticket let in, for the request's log line. */
export const CONNECTED_USER_HEADER = "x-room-user";

/** A `seq` on the wire. */
export const SeqSchema = z.string().regex(SEQ);

/** Who is connecting, as the Worker verified it from an access token. */
export type VerifiedIdentity = { via: "token" } & ConnectionIdentity;

/** A ticket for the room to redeem: the identity is the one it was issued to. */
export interface TicketPresented {
  via: "ticket";
  /** The tenant named by the ticket (the room checks it was issued to that tenant). */
  tenant: string;
  secret: string;
}

export type ConnectRequest = {
  room: string;
  shared: boolean;
  after?: Seq;
  epoch?: string;
  /** The subprotocol to echo in the 101, when the client offered any. */
  protocol?: string;
} & (VerifiedIdentity | TicketPresented);

/** Asks the room's object to accept a WebSocket for `request` (its stub's `fetch`). */
export function connectToRoom(
  room: { fetch(url: string, init: RequestInit): Promise<Response> },
  request: ConnectRequest,
): Promise<Response> {
  return room.fetch("https://room.internal/connect", {
    headers: { upgrade: "websocket", [CONNECT_HEADER]: JSON.stringify(request) },
  });
}

/**
 * The client's 101 made from the object's: fresh headers (the object's are immutable, and the
 * middleware adds some) without the internal `CONNECTED_USER_HEADER`, and the user it named.
 */
export function relayUpgrade(res: Response, webSocket: WebSocket): { response: Response; user: string | undefined } {
  const headers = new Headers(res.headers);
  const user = headers.get(CONNECTED_USER_HEADER);
  headers.delete(CONNECTED_USER_HEADER);
  return {
    response: new Response(null, { status: 101, webSocket, headers }),
    user: user === null ? undefined : decodeURIComponent(user),
  };
}

export const TicketSchema = z
  .object({
    ticket: z
      .string()
      .openapi({ description: "Pass as `?ticket=` on the upgrade: single use, for this room, you and your tenant" }),
    expiresIn: z.int().openapi({
      description: `Seconds it stays valid (at most ${TICKET_TTL_MS / 1000})`,
      example: TICKET_TTL_MS / 1000,
    }),
  })
  .openapi("RoomTicket");
export type IssuedTicket = z.infer<typeof TicketSchema>;

export const RoomInfoSchema = z
  .object({
    room: z.string(),
    shared: z.boolean().openapi({ description: "One room for every tenant (by policy) rather than your tenant's own" }),
    canPublish: z
      .boolean()
      .openapi({ description: "Whether your roles may publish here (reading is implied by the 200)" }),
    online: z.int().openapi({ description: "Members online" }),
    members: z.array(MemberSchema),
    headSeq: SeqSchema,
  })
  .openapi("RoomInfo");
/** What the room tells about itself; the Worker adds what the policy says (`shared`, `canPublish`). */
export type RoomInfo = Omit<z.infer<typeof RoomInfoSchema>, "shared" | "canPublish"> & { epoch: string };

export const PublishBodySchema = z
  .strictObject({
    event: z.string().regex(EVENT_NAME).openapi({ example: "chat" }),
    data: z.unknown().openapi({ example: { text: "hello" } }),
    clientMsgId: z
      .string()
      .regex(CLIENT_MSG_ID)
      .optional()
      .openapi({ description: "Idempotency key: the same one from you within 10 minutes is stored once" }),
  })
  .openapi("RoomPublish");

/** An HTTP publish as the room takes it: the sender, and `data` already serialized as JSON. */
export type PublishInput = Omit<z.infer<typeof PublishBodySchema>, "data"> & {
  userId: string;
  /** The sender's tenant: shown (and part of the sender's identity) in shared rooms. */
  tenant: string;
  dataJson: string;
};

export const PublishedSchema = z
  .object({ seq: SeqSchema, id: z.string(), dup: z.boolean().optional() })
  .openapi("RoomPublished");
/** `dup`: the same `clientMsgId` from this user was stored before (this is the original). */
export type PublishResult = Required<z.infer<typeof PublishedSchema>>;

export const HistoryMessageSchema = z
  .object({
    seq: SeqSchema,
    id: z.string(),
    clientMsgId: z.string().optional(),
    from: SenderSchema,
    event: z.string(),
    ts: z.int().openapi({ description: "Server time of the publish, ms since the Unix epoch" }),
    data: z.unknown(),
  })
  .openapi("RoomMessage");
export type HistoryMessage = z.infer<typeof HistoryMessageSchema>;

export const HistoryPageSchema = z
  .object({
    room: z.string(),
    epoch: z.string(),
    headSeq: SeqSchema,
    firstSeq: SeqSchema.nullable().openapi({ description: "Oldest stored seq; a resume point below it has a gap" }),
    messages: z.array(HistoryMessageSchema),
    /** More messages follow the last one returned. */
    hasMore: z.boolean(),
  })
  .openapi("RoomHistory");
export type HistoryPage = z.infer<typeof HistoryPageSchema>;

export interface HistoryQuery {
  /** Messages after this seq, ascending; without it, the latest `limit` messages (ascending). */
  after?: number;
  limit: number;
}
