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

export interface ConnectRequest {
  room: string;
  userId: string;
  /** When the access token expires, ms since the Unix epoch: the socket closes with 4001 then. */
  expiresAt: number;
  after?: Seq;
  epoch?: string;
  /** The subprotocol to echo in the 101, when the client offered any. */
  protocol?: string;
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
