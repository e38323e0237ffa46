/**
 * Room: one object per room of a tenant (or per shared room), addressed by the name from
 * `roomObjectName` in `src/lib/rooms/policy.ts`, holding the room's WebSockets with the
 * Hibernation API and its history in SQLite. The Worker authenticates and applies the room's
 * policy before the upgrade and hands the verified identity over in the internal connect
 * request (`CONNECT_HEADER`), or a ticket this object issued, which it redeems once.
 *
 * In a shared room users of several tenants meet: a person is (tenant, user id) there, and
 * frames, members and history show each sender's tenant. In a tenant's room the tenant is
 * the same for everyone and is left out.
 *
 * Nothing the room needs lives only in memory: identity, token expiry, rate-limit bucket and
 * last activity are in each socket's attachment; presence is derived from the open sockets;
 * epoch, seq, history and dedupe are in SQLite. A woken object rebuilds its in-memory index of
 * connections from `ctx.getWebSockets()` and carries on with the same presence and seq.
 *
 * Order: a publish assigns its seq, stores it and sends it to every socket in one synchronous
 * turn, so every receiver sees the room's messages in seq order; a resume replays the gap in
 * the same turn as the socket is accepted (or its `hello` arrives), so before any live message.
 *
 * One alarm covers all timers: the earliest token expiry (close 4001), the idle timeout of the
 * quietest connection (`IDLE_TIMEOUT_MS`: closed and announced as a leave, which catches
 * connections that vanished without a close frame) and history retention.
 *
 * Presence changes are announced at once or, within `PRESENCE_BATCH_MS` of the last
 * announcement, batched into one net frame (`src/lib/rooms/presence.ts`). What each frame from
 * a client leads to (close, an `error`, or handling it) is decided in
 * `src/lib/rooms/intake.ts`; the index of open connections is `src/lib/rooms/live-connections.ts`.
 */
import { DurableObject } from "cloudflare:workers";
import {
  CONNECT_HEADER,
  CONNECTED_USER_HEADER,
  type ConnectRequest,
  type HistoryPage,
  type HistoryQuery,
  type IssuedTicket,
  type PublishInput,
  type PublishResult,
  type RoomInfo,
} from "../src/lib/rooms/api.ts";
import {
  attachmentOf,
  newConnection,
  type ConnectionIdentity,
  type ConnectionState,
} from "../src/lib/rooms/connection.ts";
import { messageFrame, RoomHistory, type NewMessage, type StoredMessage } from "../src/lib/rooms/history.ts";
import { intakeFrame } from "../src/lib/rooms/intake.ts";
import { LiveConnections, sendText } from "../src/lib/rooms/live-connections.ts";
import { PresenceBatcher } from "../src/lib/rooms/presence.ts";
import {
  CloseCode,
  encodeFrame,
  HISTORY_MAX_AGE_MS,
  IDLE_TIMEOUT_MS,
  REPLAY_MAX_BYTES,
  ROOM_LIMITS,
  type EphemeralRequest,
  type HelloRequest,
  type PublishRequest,
  type ResetReason,
  type ServerFrame,
} from "../src/lib/rooms/protocol.ts";
import { newTicket, RoomTickets, ticketHash, type TicketGrant } from "../src/lib/rooms/tickets.ts";
import { roomMessageStored } from "../src/lib/webhooks/rooms.ts";

export class Room extends DurableObject<Env> {
  /** Created on first use, so a request the room refuses (a made-up ticket) stores nothing. */
  #historyStore: RoomHistory | undefined;
  #ticketStore: RoomTickets | undefined;
  /** Open connections by connId: an index rebuilt from `ctx.getWebSockets()` after a wake. */
  readonly #live = new LiveConnections(
    () => this.ctx.getWebSockets(),
    () => this.#history.shared,
  );
  readonly #presence = new PresenceBatcher({ connections: () => this.#live.all(), send: sendText });
  /** The scheduled alarm (ms) or null; read from storage once per instance. */
  #alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Answered by the runtime without waking the object; the time is kept per socket.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    void ctx.blockConcurrencyWhile(async () => {
      this.#alarmAt = await ctx.storage.getAlarm();
    });
  }

  get #history(): RoomHistory {
    return (this.#historyStore ??= new RoomHistory(this.ctx.storage.sql));
  }

  get #tickets(): RoomTickets {
    return (this.#ticketStore ??= new RoomTickets(this.ctx.storage.sql));
  }

  /** Whether this object ever issued a ticket (read without creating anything). */
  #hasTickets(): boolean {
    return (
      this.ctx.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tickets'").toArray()
        .length > 0
    );
  }

  // ---- connections -------------------------------------------------------------------------

  /** Forgets a connection; the last one of a user announces the leave. */
  #drop(state: ConnectionState): void {
    this.#live.all().delete(state.connId);
    const who = this.#live.identity(state);
    this.#presence.dropped(state.connId, this.#live.count(who.key) === 0 ? who : undefined);
  }

  /** Closes a connection from the server side and announces the leave at once. */
  #close(ws: WebSocket, state: ConnectionState, code: number, reason: string): void {
    this.#live.all(); // index it while it still counts as open
    state.closed = true;
    ws.serializeAttachment(state);
    try {
      ws.close(code, reason);
    } catch {
      // Already closing.
    }
    this.#drop(state);
  }

  // ---- alarm -------------------------------------------------------------------------------

  /** Makes sure the alarm fires no later than `at`. */
  #wakeBy(at: number): void {
    if (this.#alarmAt !== null && this.#alarmAt <= at) return;
    this.#alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }

  /** Last sign of life: a frame, or an auto-answered `ping`. */
  #lastActivity(ws: WebSocket, state: ConnectionState): number {
    const pinged = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
    return Math.max(state.seenAt, pinged);
  }

  override async alarm(): Promise<void> {
    this.#alarmAt = null;
    const now = Date.now();
    const deadlines: number[] = [];
    for (const ws of this.ctx.getWebSockets()) {
      const state = attachmentOf(ws);
      if (!state || state.closed) continue;
      if (state.expiresAt <= now) {
        this.#close(ws, state, CloseCode.tokenExpired, "token expired");
        continue;
      }
      const idleUntil = this.#lastActivity(ws, state) + IDLE_TIMEOUT_MS;
      if (idleUntil <= now) {
        this.#close(ws, state, CloseCode.goingAway, "idle timeout");
        continue;
      }
      deadlines.push(state.expiresAt, idleUntil);
    }
    this.#history.trim(now);
    const expiry = this.#history.nextExpiry();
    if (expiry !== undefined) deadlines.push(expiry);
    if (deadlines.length) this.#wakeBy(Math.max(now + 1_000, Math.min(...deadlines)));
  }

  // ---- WebSocket upgrade -------------------------------------------------------------------

  override async fetch(request: Request): Promise<Response> {
    const header = request.headers.get(CONNECT_HEADER);
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || !header) {
      return new Response("expected an authenticated WebSocket upgrade from the Worker", { status: 426 });
    }
    const connect = JSON.parse(header) as ConnectRequest;
    let identity: ConnectionIdentity;
    if (connect.via === "ticket") {
      // Anyone can present a made-up ticket: refuse it without writing anything.
      const hash = await ticketHash(connect.secret);
      const grant = this.#hasTickets()
        ? this.#tickets.redeem(hash, connect.room, connect.tenant, Date.now())
        : undefined;
      // The Worker answers 401; which check failed is nobody's business.
      if (!grant) return new Response("invalid ticket", { status: 401 });
      identity = {
        userId: grant.userId,
        tenant: grant.tenant,
        canPublish: grant.canPublish,
        expiresAt: grant.tokenExpiresAt,
      };
    } else {
      identity = {
        userId: connect.userId,
        tenant: connect.tenant,
        canPublish: connect.canPublish,
        expiresAt: connect.expiresAt,
      };
    }
    const history = this.#history;
    history.adoptRoom(connect.room, connect.shared);
    const now = Date.now();
    const { 0: client, 1: server } = new WebSocketPair();
    const state = newConnection(identity, history.headSeq, now);
    const live = this.#live.connection(server, state);
    const firstOfUser = this.#live.count(live.key) === 0;

    this.ctx.acceptWebSocket(server, [state.userId]);
    this.#live.all().set(state.connId, live);

    let reset: ResetReason | undefined;
    if (connect.after !== undefined) {
      state.resumed = true;
      reset = history.resumeProblem(Number(connect.after), connect.epoch, REPLAY_MAX_BYTES);
    }
    server.serializeAttachment(state);
    sendText(
      server,
      encodeFrame({
        v: 1,
        type: "welcome",
        connId: state.connId,
        room: history.room,
        epoch: history.epoch,
        headSeq: String(history.headSeq),
        resumed: connect.after !== undefined && reset === undefined,
        presence: this.#live.members(),
        limits: { maxBytes: ROOM_LIMITS.maxBytes, msgPerSec: ROOM_LIMITS.msgPerSec },
      }),
    );
    if (connect.after !== undefined) this.#resume(server, Number(connect.after), reset, history.headSeq);
    this.#presence.welcomed(state.connId, firstOfUser ? live : undefined);
    this.#wakeBy(Math.min(state.expiresAt, now + IDLE_TIMEOUT_MS));

    const headers: Record<string, string> = connect.protocol ? { "sec-websocket-protocol": connect.protocol } : {};
    if (connect.via === "ticket") headers[CONNECTED_USER_HEADER] = encodeURIComponent(state.userId);
    return new Response(null, { status: 101, webSocket: client, headers });
  }

  /** Replays (after, upTo] to one socket, or tells it why it cannot. */
  #resume(ws: WebSocket, after: number, reset: ResetReason | undefined, upTo: number): void {
    const history = this.#history;
    if (reset) {
      sendText(ws, encodeFrame({ v: 1, type: "reset", reason: reset, headSeq: String(history.headSeq) }));
      return;
    }
    for (const m of history.stream(after, upTo)) sendText(ws, messageFrame(history.room, history.epoch, m));
  }

  // ---- frames ------------------------------------------------------------------------------

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const state = attachmentOf(ws);
    if (!state || state.closed) return;
    const now = Date.now();
    const intake = intakeFrame(state, message, now);
    if (intake.kind === "close") {
      this.#close(ws, state, intake.code, intake.reason);
      return;
    }
    if (intake.kind === "take" && intake.frame.type === "hello") this.#hello(ws, state, intake.frame);
    ws.serializeAttachment(state);
    if (intake.kind === "refuse") this.#reply(ws, intake.frame);
    else if (intake.frame.type === "publish") this.#publishFrame(ws, state, intake.frame, now);
    else if (intake.frame.type === "ephemeral") this.#ephemeral(state, intake.frame, now);
  }

  #reply(ws: WebSocket, frame: ServerFrame): void {
    sendText(ws, encodeFrame(frame));
  }

  #hello(ws: WebSocket, state: ConnectionState, frame: HelloRequest): void {
    if (state.resumed) {
      this.#reply(ws, {
        v: 1,
        type: "error",
        code: "bad_frame",
        message: "This connection already resumed; reconnect to resume again.",
      });
      return;
    }
    state.resumed = true;
    if (frame.after === undefined) return;
    // Messages after `startSeq` reached this socket live; the gap is (after, startSeq].
    const after = Number(frame.after);
    const reset = this.#history.resumeProblem(after, frame.epoch, REPLAY_MAX_BYTES, state.startSeq);
    this.#resume(ws, after, reset, state.startSeq);
  }

  #publishFrame(ws: WebSocket, state: ConnectionState, frame: PublishRequest, now: number): void {
    const input: NewMessage = {
      userId: state.userId,
      tenant: this.#history.shared ? state.tenant : null,
      connId: state.connId,
      event: frame.event,
      dataJson: JSON.stringify(frame.data),
      clientMsgId: frame.clientMsgId,
    };
    const ref = frame.ref !== undefined ? { ref: frame.ref } : {};
    const dup =
      input.clientMsgId !== undefined
        ? this.#history.duplicate(state.userId, input.tenant, input.clientMsgId, now)
        : undefined;
    if (dup) {
      this.#reply(ws, { v: 1, type: "ack", ...ref, seq: String(dup.seq), id: dup.id, dup: true });
      return;
    }
    const stored = this.#store(input, now);
    this.#reply(ws, { v: 1, type: "ack", ...ref, seq: String(stored.seq), id: stored.id });
    this.#live.broadcast(messageFrame(this.#history.room, this.#history.epoch, stored));
  }

  #store(input: NewMessage, now: number): StoredMessage {
    const stored = this.#history.append(input, now);
    // The room.message webhook event, when a subscription names this room (sent after this turn).
    roomMessageStored(this.env, this.ctx, this.#history.room, this.#history.shared, stored);
    // Retention needs a wake-up even in a room nobody is connected to.
    if (this.#alarmAt === null) this.#wakeBy(now + HISTORY_MAX_AGE_MS);
    return stored;
  }

  #ephemeral(state: ConnectionState, frame: EphemeralRequest, now: number): void {
    const text = encodeFrame({
      v: 1,
      type: "ephemeral",
      room: this.#history.room,
      from: { ...this.#live.identity(state).person, connId: state.connId },
      event: frame.event,
      ts: now,
      data: frame.data,
    });
    this.#live.broadcast(text, state.connId);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.#gone(ws);
    // Completes the closing handshake where the runtime does not reply on its own.
    try {
      ws.close(code === 1005 || code === 1006 ? CloseCode.normal : code, reason);
    } catch {
      // Already answered.
    }
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.#gone(ws);
  }

  #gone(ws: WebSocket): void {
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

  // ---- RPC for the HTTP API ----------------------------------------------------------------

  async info(room: string, shared: boolean): Promise<RoomInfo> {
    this.#history.adoptRoom(room, shared);
    const members = this.#live.members();
    return {
      room,
      online: members.length,
      members,
      headSeq: String(this.#history.headSeq),
      epoch: this.#history.epoch,
    };
  }

  async publish(room: string, shared: boolean, input: PublishInput): Promise<PublishResult> {
    const history = this.#history;
    history.adoptRoom(room, shared);
    const now = Date.now();
    const tenant = shared ? input.tenant : null;
    const dup =
      input.clientMsgId !== undefined ? history.duplicate(input.userId, tenant, input.clientMsgId, now) : undefined;
    if (dup) return { seq: String(dup.seq), id: dup.id, dup: true };
    const stored = this.#store({ ...input, tenant, connId: null }, now);
    this.#live.broadcast(messageFrame(room, history.epoch, stored));
    return { seq: String(stored.seq), id: stored.id, dup: false };
  }

  /** Issues a single-use ticket to open a socket in this room (`src/lib/rooms/tickets.ts`). */
  async issueTicket(room: string, shared: boolean, request: TicketGrant): Promise<IssuedTicket> {
    this.#history.adoptRoom(room, shared);
    const { ticket, secret } = newTicket(request.tenant);
    const hash = await ticketHash(secret);
    const now = Date.now();
    const expiresAt = this.#tickets.issue(hash, room, request, now);
    return { ticket, expiresIn: Math.max(0, Math.floor((expiresAt - now) / 1000)) };
  }

  async history(room: string, shared: boolean, query: HistoryQuery): Promise<HistoryPage> {
    this.#history.adoptRoom(room, shared);
    return this.#history.page(query);
  }
}
