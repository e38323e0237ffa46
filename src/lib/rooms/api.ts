/**
 * What the Worker and a `Room` object exchange: the connect request (identity verified by the
 * Worker before the upgrade) and the plain-data answers of the Room's RPC methods. Routes and
 * the Durable Object both depend on these types, never on each other.
 */
import type { Member, Sender, Seq } from "./protocol.ts";

/**
 * Header carrying the `ConnectRequest` (JSON) on the internal upgrade request to the object.
 * Only the Worker can reach the object, and it builds that request itself.
 */
export const CONNECT_HEADER = "x-room-connect";
/** On the object's 101 to the Worker only: who a ticket let in, for the request's log line. */
export const CONNECTED_USER_HEADER = "x-room-user";

/** Who is connecting, as the Worker verified it from an access token. */
export interface VerifiedIdentity {
  via: "token";
  userId: string;
  tenant: string;
  /** Whether the room's policy lets this caller publish (checked per frame by the room). */
  canPublish: boolean;
  /** When the access token expires, ms since the Unix epoch: the socket closes with 4001 then. */
  expiresAt: number;
}

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

/** What the room stores for a ticket it issues. */
export interface TicketRequest {
  userId: string;
  tenant: string;
  canPublish: boolean;
  /** Expiry of the token the ticket is issued against, ms since the Unix epoch. */
  tokenExpiresAt: number;
}

export interface IssuedTicket {
  ticket: string;
  /** Seconds until it expires (at most 30). */
  expiresIn: number;
}

export interface RoomInfo {
  room: string;
  /** Members online (users, however many connections each has). */
  online: number;
  members: Member[];
  headSeq: Seq;
  epoch: string;
}

export interface PublishInput {
  userId: string;
  /** The sender's tenant: shown (and part of the sender's identity) in shared rooms. */
  tenant: string;
  event: string;
  /** `data` already serialized as JSON. */
  dataJson: string;
  clientMsgId?: string;
}

export interface PublishResult {
  seq: Seq;
  id: string;
  /** True when the same `clientMsgId` from this user was stored before (this is the original). */
  dup: boolean;
}

export interface HistoryMessage {
  seq: Seq;
  id: string;
  clientMsgId?: string;
  from: Sender;
  event: string;
  ts: number;
  data: unknown;
}

export interface HistoryPage {
  room: string;
  epoch: string;
  headSeq: Seq;
  /** Oldest seq still stored (`null` when none is): a resume point below it has a gap. */
  firstSeq: Seq | null;
  messages: HistoryMessage[];
  /** More messages follow the last one returned. */
  hasMore: boolean;
}

export interface HistoryQuery {
  /** Messages after this seq, ascending; without it, the latest `limit` messages (ascending). */
  after?: number;
  limit: number;
}
