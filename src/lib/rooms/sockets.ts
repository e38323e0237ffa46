/**
 * A room's hibernatable WebSockets: accepting one (welcome, then the replay after `after` or a
 * `reset`, in the same turn, after what waits in the batch window went out), its `hello`
 * (batch opt-in, or the resume of a socket that connected without `after`), closing one from
 * the server side, forgetting one the client closed, relaying its `ephemeral` frames, and the
 * alarm's sweep of sockets whose token expired or that went idle (`IDLE_TIMEOUT_MS`). Each
 * closed connection leaves the room's presence, the last one of a person announcing the
 * leave. Moved out of `durable-objects/room.ts`, which passes its parts in.
 */
import { CONNECTED_USER_HEADER, type ConnectRequest } from "./api.ts";
import { attachmentOf, newConnection, type ConnectionIdentity, type ConnectionState } from "./connection.ts";
import type { FanOut } from "./fanout.ts";
import type { RoomHistory } from "./history.ts";
import { refuseSecondResume, sendText, type LiveConnections } from "./live-connections.ts";
import type { PresenceBatcher } from "./presence.ts";
import {
  CloseCode,
  encodeFrame,
  IDLE_TIMEOUT_MS,
  REPLAY_MAX_BYTES,
  type EphemeralRequest,
  type HelloRequest,
  type ResetReason,
} from "./protocol.ts";

/** What the sockets use of their room object. */
export interface RoomSocketsRoom {
  ctx: DurableObjectState;
  live: LiveConnections;
  presence: PresenceBatcher;
  fanout: FanOut;
  history(): RoomHistory;
  welcome(connId: string, resumed: boolean, batch: boolean): string;
  resume(send: (text: string, seq?: number) => void, after: number, reset: ResetReason | undefined, upTo: number): void;
  wakeBy(at: number): void;
}

export class RoomSockets {
  readonly #room: RoomSocketsRoom;

  constructor(room: RoomSocketsRoom) {
    this.#room = room;
  }

  /** Accepts a socket for `identity` (verified, and the room adopted) and answers the 101. */
  accept(connect: ConnectRequest, identity: ConnectionIdentity, history: RoomHistory): Response {
    // What is waiting for the batch window goes out first: this connection starts after it.
    this.#room.fanout.flush();
    const now = Date.now();
    const { 0: client, 1: server } = new WebSocketPair();
    const state = newConnection(identity, history.headSeq, now);
    if (connect.batch) state.batch = true;
    const live = this.#room.live.connection(server, state);
    const firstOfUser = this.#room.live.count(live.key) === 0;

    this.#room.ctx.acceptWebSocket(server, [state.userId]);
    this.#room.live.add(state.connId, live);

    let reset: ResetReason | undefined;
    if (connect.after !== undefined) {
      state.resumed = true;
      reset = history.resumeProblem(Number(connect.after), connect.epoch, REPLAY_MAX_BYTES);
    }
    server.serializeAttachment(state);
    sendText(
      server,
      this.#room.welcome(state.connId, connect.after !== undefined && reset === undefined, state.batch === true),
    );
    if (connect.after !== undefined)
      this.#room.resume((text) => sendText(server, text), Number(connect.after), reset, history.headSeq);
    this.#room.presence.welcomed(state.connId, firstOfUser ? live : undefined);
    this.#room.wakeBy(Math.min(state.expiresAt, now + IDLE_TIMEOUT_MS));

    const headers: Record<string, string> = connect.protocol ? { "sec-websocket-protocol": connect.protocol } : {};
    if (connect.via === "ticket") headers[CONNECTED_USER_HEADER] = encodeURIComponent(state.userId);
    return new Response(null, { status: 101, webSocket: client, headers });
  }

  hello(ws: WebSocket, state: ConnectionState, frame: HelloRequest): void {
    if (frame.batch !== undefined) {
      state.batch = frame.batch;
      const live = this.#room.live.all().get(state.connId);
      if (live) live.batch = frame.batch;
      // A hello that only opts in (or out) is not the connection's resume.
      if (frame.after === undefined && frame.epoch === undefined) return;
    }
    if (state.resumed) {
      refuseSecondResume(ws);
      return;
    }
    state.resumed = true;
    if (frame.after === undefined) return;
    // Messages after `startSeq` reached this socket live; the gap is (after, startSeq].
    const after = Number(frame.after);
    const reset = this.#room.history().resumeProblem(after, frame.epoch, REPLAY_MAX_BYTES, state.startSeq);
    this.#room.resume((text) => sendText(ws, text), after, reset, state.startSeq);
  }

  /** An `ephemeral` from a socket: to everyone but that socket. */
  ephemeral(state: ConnectionState, frame: EphemeralRequest, now: number): void {
    const text = encodeFrame({
      v: 1,
      type: "ephemeral",
      room: this.#room.history().room,
      from: { ...this.#room.live.identity(state).person, connId: state.connId },
      event: frame.event,
      ts: now,
      data: frame.data,
    });
    this.#room.fanout.push({ text, except: state.connId });
  }

  /** Forgets a connection; the last one of a user announces the leave. */
  #drop(state: ConnectionState): void {
    this.#room.live.remove(state.connId);
    const who = this.#room.live.identity(state);
    this.#room.presence.dropped(state.connId, this.#room.live.count(who.key) === 0 ? who : undefined);
  }

  /** Closes a connection from the server side and announces the leave at once. */
  close(ws: WebSocket, state: ConnectionState, code: number, reason: string): void {
    this.#room.live.all(); // index it while it still counts as open
    state.closed = true;
    ws.serializeAttachment(state);
    try {
      ws.close(code, reason);
    } catch {
      // Already closing.
    }
    this.#drop(state);
  }

  /** The client closed the socket, or it failed. */
  gone(ws: WebSocket): void {
    const state = attachmentOf(ws);
    // A connection the server closed has announced its leave already (and an error may be
    // followed by a close for the same socket).
    if (!state || state.closed) return;
    state.closed = true;
    try {
      ws.serializeAttachment(state);
    } catch {
      // A socket that is fully closed may refuse; its close is then the last event anyway.
    }
    this.#drop(state);
  }

  /** Last sign of life: a frame, or an auto-answered `ping`. */
  #lastActivity(ws: WebSocket, state: ConnectionState): number {
    const pinged = this.#room.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
    return Math.max(state.seenAt, pinged);
  }

  /** The alarm's part: closes sockets whose token expired or that went idle by `now`; adds the others' deadlines. */
  sweep(now: number, deadlines: number[]): void {
    for (const ws of this.#room.ctx.getWebSockets()) {
      const state = attachmentOf(ws);
      if (!state || state.closed) continue;
      if (state.expiresAt <= now) {
        this.close(ws, state, CloseCode.tokenExpired, "token expired");
        continue;
      }
      const idleUntil = this.#lastActivity(ws, state) + IDLE_TIMEOUT_MS;
      if (idleUntil <= now) {
        this.close(ws, state, CloseCode.goingAway, "idle timeout");
        continue;
      }
      deadlines.push(state.expiresAt, idleUntil);
    }
  }
}
