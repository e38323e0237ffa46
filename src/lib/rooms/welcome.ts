/**
 * What a new member of a room is sent first, whether a socket, a shard's socket or an event
 * stream: the `welcome` frame with who is present (everyone, or above `presenceListAbove`
 * people a sample and how many), then the replay of what it missed or a `reset` saying why it
 * cannot have it. Moved out of `durable-objects/room.ts`, which passes its history and
 * connections in.
 */
import { messageFrame, type RoomHistory } from "./history.ts";
import type { LiveConnections } from "./live-connections.ts";
import { encodeFrame, PRESENCE_SAMPLE, ROOM_LIMITS, type Member, type ResetReason } from "./protocol.ts";

/** Everyone present, or above `presenceListAbove` people a sample and how many there are. */
export function presenceList(
  live: LiveConnections,
  presenceListAbove: number,
): { presence: Member[]; online?: number } {
  const online = live.people();
  return online > presenceListAbove ? { presence: live.sample(PRESENCE_SAMPLE), online } : { presence: live.members() };
}

export function welcomeFrame(
  history: RoomHistory,
  presence: { presence: Member[]; online?: number },
  connId: string,
  resumed: boolean,
  batch: boolean,
): string {
  return encodeFrame({
    v: 1,
    type: "welcome",
    connId,
    room: history.room,
    epoch: history.epoch,
    headSeq: String(history.headSeq),
    resumed,
    ...presence,
    limits: { maxBytes: ROOM_LIMITS.maxBytes, msgPerSec: ROOM_LIMITS.msgPerSec },
    ...(batch ? { batch: true as const } : {}),
  });
}

/** Replays (after, upTo] to one connection (`send`), or tells it why it cannot. */
export function resume(
  history: RoomHistory,
  send: (text: string, seq?: number) => void,
  after: number,
  reset: ResetReason | undefined,
  upTo: number,
): void {
  if (reset) {
    send(encodeFrame({ v: 1, type: "reset", reason: reset, headSeq: String(history.headSeq) }));
    return;
  }
  for (const m of history.stream(after, upTo)) send(messageFrame(history.room, history.epoch, m), m.seq);
}
