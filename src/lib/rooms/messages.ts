/**
 * A room's messages as stored, and as they go out: the `msg` frame (sockets, shards, replays)
 * and the history API's shape.
 */
import type { HistoryMessage } from "./api.ts";
import type { Sender } from "./protocol.ts";

export interface StoredMessage {
  seq: number;
  id: string;
  clientMsgId: string | null;
  userId: string;
  /** The sender's tenant in a shared room; `null` in a tenant's own room. */
  tenant: string | null;
  connId: string | null;
  event: string;
  /** `data` as JSON text, exactly as it goes on the wire. */
  dataJson: string;
  ts: number;
}

export interface NewMessage {
  userId: string;
  tenant: string | null;
  connId: string | null;
  event: string;
  dataJson: string;
  clientMsgId?: string | undefined;
}

/** The `msg` frame for a stored message; `data` is spliced in as stored, never re-serialized. */
export function messageFrame(room: string, epoch: string, m: StoredMessage): string {
  const from = senderOf(m);
  const head = JSON.stringify({
    v: 1,
    type: "msg",
    room,
    epoch,
    seq: String(m.seq),
    id: m.id,
    ...(m.clientMsgId !== null ? { clientMsgId: m.clientMsgId } : {}),
    from,
    event: m.event,
    ts: m.ts,
  });
  return `${head.slice(0, -1)},"data":${m.dataJson}}`;
}

function senderOf(m: StoredMessage): Sender {
  return m.tenant === null
    ? { userId: m.userId, connId: m.connId }
    : { userId: m.userId, tenant: m.tenant, connId: m.connId };
}

export function historyMessage(m: StoredMessage): HistoryMessage {
  return {
    seq: String(m.seq),
    id: m.id,
    ...(m.clientMsgId !== null ? { clientMsgId: m.clientMsgId } : {}),
    from: senderOf(m),
    event: m.event,
    ts: m.ts,
    data: JSON.parse(m.dataJson) as unknown,
  };
}
