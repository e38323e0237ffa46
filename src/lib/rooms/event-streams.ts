/**
 * A room's open event streams (`sse.ts`): opening one (welcome, the replay after the client's
 * `Last-Event-ID` or a `reset`, then live frames, all in one turn's order), the heartbeat
 * that keeps them open, and ending them when the client goes away or its token expires. A
 * stream is a member like a socket (it is in the room's `LiveConnections` too) but lives in
 * memory only. Moved out of `durable-objects/room.ts`, which passes its parts in.
 */
import { CONNECTED_USER_HEADER, type ConnectRequest } from "./api.ts";
import type { ConnectionIdentity } from "./connection.ts";
import type { FanOut } from "./fanout.ts";
import type { RoomHistory } from "./history.ts";
import type { LiveConnection, LiveConnections } from "./live-connections.ts";
import type { PresenceBatcher } from "./presence.ts";
import { encodeFrame, REPLAY_MAX_BYTES, type ResetReason } from "./protocol.ts";
import { SSE_HEARTBEAT_MS, SseStream } from "./sse.ts";

/** An open event stream: in memory only (an open response keeps the object awake). */
interface StreamState {
  stream: SseStream;
  key: string;
  person: LiveConnection["person"];
  expiresAt: number;
}

/** What the streams use of their room object. */
export interface EventStreamsRoom {
  live: LiveConnections;
  presence: PresenceBatcher;
  fanout: FanOut;
  welcome(connId: string, resumed: boolean, batch: boolean): string;
  resume(send: (text: string, seq?: number) => void, after: number, reset: ResetReason | undefined, upTo: number): void;
  wakeBy(at: number): void;
}

export class EventStreams {
  readonly #room: EventStreamsRoom;
  /** Open event streams by connId (they are in the room's `live` too). */
  readonly #streams = new Map<string, StreamState>();
  #heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(room: EventStreamsRoom) {
    this.#room = room;
  }

  /**
   * Opens an event stream for `identity` (verified, and the room adopted): welcome, the replay
   * after `after` (the client's `Last-Event-ID`) or a `reset`, then live frames, all in this
   * turn's order. The stream cannot publish (that is `POST …/messages`).
   */
  open(connect: ConnectRequest, identity: ConnectionIdentity, history: RoomHistory): Response {
    this.#room.fanout.flush();
    const connId = crypto.randomUUID();
    const who = this.#room.live.identity(identity);
    const firstOfUser = this.#room.live.count(who.key) === 0;
    const stream = new SseStream(() => this.gone(connId));
    const live: LiveConnection = { stream, ...who, batch: false };
    this.#room.live.add(connId, live);
    this.#streams.set(connId, { stream, ...who, expiresAt: identity.expiresAt });
    const after = connect.after === undefined ? undefined : Number(connect.after);
    const reset = after === undefined ? undefined : history.resumeProblem(after, connect.epoch, REPLAY_MAX_BYTES);
    stream.frame(this.#room.welcome(connId, after !== undefined && reset === undefined, false));
    if (after !== undefined) this.#room.resume((text, seq) => stream.frame(text, seq), after, reset, history.headSeq);
    this.#room.presence.welcomed(connId, firstOfUser ? live : undefined);
    this.#room.wakeBy(identity.expiresAt);
    this.#heartbeat ??= setInterval(() => {
      for (const s of this.#streams.values()) s.stream.write(": ping\n\n");
      if (this.#streams.size === 0) {
        clearInterval(this.#heartbeat);
        this.#heartbeat = undefined;
      }
    }, SSE_HEARTBEAT_MS);
    const headers: Record<string, string> = {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
    };
    if (connect.via === "ticket") headers[CONNECTED_USER_HEADER] = encodeURIComponent(identity.userId);
    return new Response(stream.readable, { headers });
  }

  /** A stream ended (the client went away, read too slowly, or its token expired): it leaves. */
  gone(connId: string): void {
    const s = this.#streams.get(connId);
    if (!s) return;
    this.#streams.delete(connId);
    this.#room.live.remove(connId);
    this.#room.presence.dropped(connId, this.#room.live.count(s.key) === 0 ? s : undefined);
  }

  /** The alarm's part: ends streams whose token expired at `now`; adds the others' expiry to `deadlines`. */
  expire(now: number, deadlines: number[]): void {
    for (const [connId, s] of this.#streams) {
      if (s.expiresAt > now) deadlines.push(s.expiresAt);
      else {
        s.stream.frame(
          encodeFrame({
            v: 1,
            type: "error",
            code: "token_expired",
            message: "Your token expired; reconnect with a new one.",
          }),
        );
        s.stream.close();
        this.gone(connId);
      }
    }
  }
}
