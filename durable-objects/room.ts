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
 * Order: a publish assigns its seq and stores it in one synchronous turn and hands the frame to
 * the fan-out (`src/lib/rooms/fanout.ts`), which sends frames in seq order: at once when the
 * room is idle, or at the end of a batch window (`rooms.batchWindowMs`) when it is busy, as one
 * `batch` frame to connections that opted in. What waits in a window goes out before a new
 * connection is accepted, and a resume replays the gap in the same turn as the connection is
 * accepted (or its `hello` arrives), so every receiver sees every message once, in seq order.
 *
 * Event streams (`GET /v1/rooms/:room/events`, `src/lib/rooms/sse.ts`) are members like
 * sockets, held in memory. Above `rooms.shardAbove` sockets new sockets go to `RoomShard`
 * objects (`src/lib/rooms/shards.ts`): this object still orders, stores and deduplicates, and
 * pushes every delivery to its shards; it keeps everyone's presence.
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
  EVENTS_PATH,
  CONNECTED_USER_HEADER,
  type ConnectRequest,
  type HistoryPage,
  type HistoryQuery,
  type IssuedTicket,
  type MembersPage,
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
import { FanOut } from "../src/lib/rooms/fanout.ts";
import { messageFrame, RoomHistory, type NewMessage, type StoredMessage } from "../src/lib/rooms/history.ts";
import { intakeFrame } from "../src/lib/rooms/intake.ts";
import { LiveConnections, sendFrame, sendText, type LiveConnection } from "../src/lib/rooms/live-connections.ts";
import { DEFAULT_ROOM_SETTINGS, type RoomSettings } from "../src/lib/rooms/policy.ts";
import { PresenceBatcher } from "../src/lib/rooms/presence.ts";
import {
  CloseCode,
  encodeFrame,
  HISTORY_MAX_AGE_MS,
  IDLE_TIMEOUT_MS,
  PRESENCE_SAMPLE,
  REPLAY_MAX_BYTES,
  ROOM_LIMITS,
  type EphemeralRequest,
  type HelloRequest,
  type Member,
  type Sender,
  type Seq,
  type PublishRequest,
  type ResetReason,
  type ServerFrame,
} from "../src/lib/rooms/protocol.ts";
import { SSE_HEARTBEAT_MS, SseStream } from "../src/lib/rooms/sse.ts";
import { ShardRegistry } from "../src/lib/rooms/shard-registry.ts";
import {
  SHARD_HEADER,
  shardObjectName,
  ShardLinks,
  type AttachResult,
  type PresenceDelta,
  type ShardRedirect,
} from "../src/lib/rooms/shards.ts";
import { newTicket, RoomTickets, ticketHash, type TicketGrant } from "../src/lib/rooms/tickets.ts";
import { roomMessageStored } from "../src/lib/webhooks/rooms.ts";

/** An open event stream: in memory only (an open response keeps the object awake). */
interface StreamState {
  stream: SseStream;
  key: string;
  person: LiveConnection["person"];
  expiresAt: number;
}

export class Room extends DurableObject<Env> {
  /** Created on first use, so a request the room refuses (a made-up ticket) stores nothing. */
  #historyStore: RoomHistory | undefined;
  #ticketStore: RoomTickets | undefined;
  /** Open connections by connId: an index rebuilt from `ctx.getWebSockets()` after a wake. */
  readonly #live = new LiveConnections(
    () => this.ctx.getWebSockets(),
    () => this.#history.shared,
    () => this.#shards.people(),
  );
  readonly #presence = new PresenceBatcher({
    announce: (shared, own) => this.#announce(shared, own),
    scale: () => ({ online: this.#live.people(), listAbove: this.#settings.presenceListAbove }),
  });
  /** Open event streams by connId (they are in `#live` too). */
  readonly #streams = new Map<string, StreamState>();
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  /** `msg` and `ephemeral` frames on their way out, batched while the room is busy (`fanout.ts`). */
  readonly #fanout = new FanOut({
    windowMs: () => (this.#links.count > 0 || this.#live.anyBatched() ? this.#settings.batchWindowMs : 0),
    deliver: (frames) => {
      this.#live.deliver(frames);
      this.#links.deliver(frames);
    },
  });
  /** This room's shards, once it has any (`src/lib/rooms/shards.ts`); every delivery is pushed to each. */
  readonly #links = new ShardLinks((index, push) => this.#shardStub(index).push(push));
  /** Which shards this room uses and who is on them (in its storage). */
  readonly #shards: ShardRegistry;
  /** The scheduled alarm (ms) or null; read from storage once per instance. */
  #alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Answered by the runtime without waking the object; the time is kept per socket.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    void ctx.blockConcurrencyWhile(async () => {
      this.#alarmAt = await ctx.storage.getAlarm();
    });
    this.#shards = new ShardRegistry(ctx.storage);
    this.#links.activate(this.#shards.count);
  }

  // ---- shards ------------------------------------------------------------------------------

  #shardStub(index: number) {
    return this.env.ROOM_SHARDS.getByName(shardObjectName(this.#shards.objectName!, index));
  }

  /** The shard for a new socket (`ShardRegistry.pick`); a new shard gets every delivery from now on. */
  #pickShard(objectName: string): number {
    const index = this.#shards.pick(objectName, this.#settings.shardAbove);
    this.#links.activate(this.#shards.count);
    return index;
  }

  /** Shard sockets attached since the last presence announcement, and their shard. */
  #attachedTo = new Map<string, number>();

  /** A presence announcement: to this object's connections, and to every shard for its sockets. */
  #announce(shared: string | undefined, own: ReadonlyMap<string, string | undefined>): void {
    for (const [connId, c] of this.#live.all()) {
      const text = own.has(connId) ? own.get(connId) : shared;
      if (text) sendFrame(c, text);
    }
    const attached = this.#attachedTo;
    this.#attachedTo = new Map();
    for (let i = 0; i < this.#links.count; i++) {
      const mine: Record<string, string | null> = {};
      let any = false;
      for (const [connId, shard] of attached) {
        if (shard !== i || !own.has(connId)) continue;
        mine[connId] = own.get(connId) ?? null;
        any = true;
      }
      if (shared || any) this.#links.presence(i, { text: shared ?? null, ...(any ? { own: mine } : {}) });
    }
  }

  /** Counts connections that opened (+1) or closed (−1) on shard `index`; announces first arrivals and last departures. */
  #shardDeltas(index: number, deltas: readonly PresenceDelta[], welcomedConnId?: string): void {
    if (this.#shards.count === 0) return;
    this.#shards.record(index, deltas);
    for (const { key, person, delta } of deltas) {
      const before = this.#live.count(key);
      const after = this.#live.adjustRemote(key, person, delta);
      if (welcomedConnId !== undefined) {
        this.#presence.welcomed(welcomedConnId, before === 0 && after > 0 ? { key, person } : undefined);
      } else if (before === 0 && after > 0) this.#presence.changed({ key, person, joined: true });
      else if (before > 0 && after === 0) this.#presence.changed({ key, person, joined: false });
    }
  }

  /**
   * A shard opens a socket: the connection counts at once, and the shard gets what its welcome
   * shows and the replay after `after`, up to the head seq it returns, all from this one turn.
   */
  async attach(
    index: number,
    who: { userId: string; tenant: string; connId: string },
    after?: Seq,
    epoch?: string,
  ): Promise<AttachResult> {
    this.#fanout.flush();
    const identity = this.#live.identity(who);
    this.#shardDeltas(index, [{ key: identity.key, person: identity.person, delta: 1 }], who.connId);
    this.#attachedTo.set(who.connId, index);
    const history = this.#history;
    const reset = after === undefined ? undefined : history.resumeProblem(Number(after), epoch, REPLAY_MAX_BYTES);
    const replay =
      after === undefined || reset !== undefined
        ? undefined
        : [...history.stream(Number(after), history.headSeq)].map((m) => messageFrame(history.room, history.epoch, m));
    return {
      epoch: history.epoch,
      headSeq: history.headSeq,
      ...this.#presenceList(),
      ...(replay ? { replay } : {}),
      ...(reset ? { reset } : {}),
    };
  }

  /**
   * A shard's sockets closed; or (`snapshot`) a shard that started afresh says who it holds
   * now, which replaces what the room counted for it (sockets that went away with a restarted
   * shard never reported their close).
   */
  async detach(index: number, deltas: PresenceDelta[], snapshot?: PresenceDelta[]): Promise<void> {
    if (snapshot) this.#shardDeltas(index, this.#shards.reconcile(index, snapshot));
    this.#shardDeltas(index, deltas);
  }

  /** The replay a shard's socket asks for with `hello`: (after, upTo], or why it cannot be. */
  async replay(
    after: Seq,
    epoch: string | undefined,
    upTo: number,
  ): Promise<{ replay?: string[]; reset?: ResetReason }> {
    const history = this.#history;
    const reset = history.resumeProblem(Number(after), epoch, REPLAY_MAX_BYTES, upTo);
    if (reset) return { reset };
    return {
      replay: [...history.stream(Number(after), upTo)].map((m) => messageFrame(history.room, history.epoch, m)),
    };
  }

  /** A shard's socket sent an `ephemeral`: to everyone but that socket. */
  async relayEphemeral(from: Sender, event: string, data: unknown): Promise<void> {
    const text = encodeFrame({ v: 1, type: "ephemeral", room: this.#history.room, from, event, ts: Date.now(), data });
    this.#fanout.push({ text, ...(from.connId !== null ? { except: from.connId } : {}) });
  }

  get #history(): RoomHistory {
    return (this.#historyStore ??= new RoomHistory(this.ctx.storage.sql));
  }

  #settingsFrom: RoomSettings | undefined;
  #settingsMerged = DEFAULT_ROOM_SETTINGS;

  get #settings(): RoomSettings {
    const stored = this.#history.settings;
    // Settings stored by an older version may lack newer keys: those take their defaults.
    if (stored !== this.#settingsFrom) {
      this.#settingsFrom = stored;
      this.#settingsMerged = { ...DEFAULT_ROOM_SETTINGS, ...stored };
    }
    return this.#settingsMerged;
  }

  /** Takes the room's name and the Worker's latest settings, as every entry point does first. */
  #adopt(room: string, shared: boolean, settings: RoomSettings | undefined): RoomHistory {
    const history = this.#history;
    history.adoptRoom(room, shared);
    if (settings) history.adoptSettings(settings);
    return history;
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
    this.#live.remove(state.connId);
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
        this.#streamGone(connId);
      }
    }
    this.#history.trim(now);
    const expiry = this.#history.nextExpiry();
    if (expiry !== undefined) deadlines.push(expiry);
    if (deadlines.length) this.#wakeBy(Math.max(now + 1_000, Math.min(...deadlines)));
  }

  // ---- WebSocket upgrade -------------------------------------------------------------------

  override async fetch(request: Request): Promise<Response> {
    const header = request.headers.get(CONNECT_HEADER);
    if (header && new URL(request.url).pathname === EVENTS_PATH)
      return this.#openStream(JSON.parse(header) as ConnectRequest);
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || !header) {
      return new Response("expected an authenticated WebSocket upgrade from the Worker", { status: 426 });
    }
    const connect = JSON.parse(header) as ConnectRequest;
    const identity = await this.#identify(connect);
    // The Worker answers 401; which check failed is nobody's business.
    if (!identity) return new Response("invalid ticket", { status: 401 });
    const history = this.#adopt(connect.room, connect.shared, connect.settings);
    // A big room: sockets beyond `shardAbove` go to a shard (the Worker connects it there).
    if (this.#live.local() >= this.#settings.shardAbove) {
      const redirect: ShardRedirect = {
        shard: this.#pickShard(connect.objectName),
        identity,
      };
      return new Response(JSON.stringify(redirect), { headers: { [SHARD_HEADER]: String(redirect.shard) } });
    }
    // What is waiting for the batch window goes out first: this connection starts after it.
    this.#fanout.flush();
    const now = Date.now();
    const { 0: client, 1: server } = new WebSocketPair();
    const state = newConnection(identity, history.headSeq, now);
    if (connect.batch) state.batch = true;
    const live = this.#live.connection(server, state);
    const firstOfUser = this.#live.count(live.key) === 0;

    this.ctx.acceptWebSocket(server, [state.userId]);
    this.#live.add(state.connId, live);

    let reset: ResetReason | undefined;
    if (connect.after !== undefined) {
      state.resumed = true;
      reset = history.resumeProblem(Number(connect.after), connect.epoch, REPLAY_MAX_BYTES);
    }
    server.serializeAttachment(state);
    sendText(
      server,
      this.#welcome(state.connId, connect.after !== undefined && reset === undefined, state.batch === true),
    );
    if (connect.after !== undefined)
      this.#resume((text) => sendText(server, text), Number(connect.after), reset, history.headSeq);
    this.#presence.welcomed(state.connId, firstOfUser ? live : undefined);
    this.#wakeBy(Math.min(state.expiresAt, now + IDLE_TIMEOUT_MS));

    const headers: Record<string, string> = connect.protocol ? { "sec-websocket-protocol": connect.protocol } : {};
    if (connect.via === "ticket") headers[CONNECTED_USER_HEADER] = encodeURIComponent(state.userId);
    return new Response(null, { status: 101, webSocket: client, headers });
  }

  /** Who connects: the identity the Worker verified, or the one a ticket (redeemed now) was issued to. */
  async #identify(connect: ConnectRequest): Promise<ConnectionIdentity | undefined> {
    if (connect.via !== "ticket") {
      return {
        userId: connect.userId,
        tenant: connect.tenant,
        canPublish: connect.canPublish,
        expiresAt: connect.expiresAt,
      };
    }
    // Anyone can present a made-up ticket: refuse it without writing anything.
    const hash = await ticketHash(connect.secret);
    const grant = this.#hasTickets() ? this.#tickets.redeem(hash, connect.room, connect.tenant, Date.now()) : undefined;
    return (
      grant && {
        userId: grant.userId,
        tenant: grant.tenant,
        canPublish: grant.canPublish,
        expiresAt: grant.tokenExpiresAt,
      }
    );
  }

  #welcome(connId: string, resumed: boolean, batch: boolean): string {
    const history = this.#history;
    return encodeFrame({
      v: 1,
      type: "welcome",
      connId,
      room: history.room,
      epoch: history.epoch,
      headSeq: String(history.headSeq),
      resumed,
      ...this.#presenceList(),
      limits: { maxBytes: ROOM_LIMITS.maxBytes, msgPerSec: ROOM_LIMITS.msgPerSec },
      ...(batch ? { batch: true as const } : {}),
    });
  }

  /** Everyone present, or above `presenceListAbove` people a sample and how many there are. */
  #presenceList(): { presence: Member[]; online?: number } {
    const online = this.#live.people();
    return online > this.#settings.presenceListAbove
      ? { presence: this.#live.sample(PRESENCE_SAMPLE), online }
      : { presence: this.#live.members() };
  }

  /** Replays (after, upTo] to one connection (`send`), or tells it why it cannot. */
  #resume(
    send: (text: string, seq?: number) => void,
    after: number,
    reset: ResetReason | undefined,
    upTo: number,
  ): void {
    const history = this.#history;
    if (reset) {
      send(encodeFrame({ v: 1, type: "reset", reason: reset, headSeq: String(history.headSeq) }));
      return;
    }
    for (const m of history.stream(after, upTo)) send(messageFrame(history.room, history.epoch, m), m.seq);
  }

  // ---- event streams (SSE) -----------------------------------------------------------------

  /**
   * Opens an event stream (`src/lib/rooms/sse.ts`): welcome, the replay after `after` (the
   * client's `Last-Event-ID`) or a `reset`, then live frames, all in this turn's order. The
   * stream is a member like a socket; it cannot publish (that is `POST …/messages`).
   */
  async #openStream(connect: ConnectRequest): Promise<Response> {
    const identity = await this.#identify(connect);
    if (!identity) return new Response("invalid ticket", { status: 401 });
    const history = this.#adopt(connect.room, connect.shared, connect.settings);
    this.#fanout.flush();
    const connId = crypto.randomUUID();
    const who = this.#live.identity(identity);
    const firstOfUser = this.#live.count(who.key) === 0;
    const stream = new SseStream(() => this.#streamGone(connId));
    const live: LiveConnection = { stream, ...who, batch: false };
    this.#live.add(connId, live);
    this.#streams.set(connId, { stream, ...who, expiresAt: identity.expiresAt });
    const after = connect.after === undefined ? undefined : Number(connect.after);
    const reset = after === undefined ? undefined : history.resumeProblem(after, connect.epoch, REPLAY_MAX_BYTES);
    stream.frame(this.#welcome(connId, after !== undefined && reset === undefined, false));
    if (after !== undefined) this.#resume((text, seq) => stream.frame(text, seq), after, reset, history.headSeq);
    this.#presence.welcomed(connId, firstOfUser ? live : undefined);
    this.#wakeBy(identity.expiresAt);
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
  #streamGone(connId: string): void {
    const s = this.#streams.get(connId);
    if (!s) return;
    this.#streams.delete(connId);
    this.#live.remove(connId);
    this.#presence.dropped(connId, this.#live.count(s.key) === 0 ? s : undefined);
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
    if (frame.batch !== undefined) {
      state.batch = frame.batch;
      const live = this.#live.all().get(state.connId);
      if (live) live.batch = frame.batch;
      // A hello that only opts in (or out) is not the connection's resume.
      if (frame.after === undefined && frame.epoch === undefined) return;
    }
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
    this.#resume((text) => sendText(ws, text), after, reset, state.startSeq);
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
    this.#fanout.push({ text: messageFrame(this.#history.room, this.#history.epoch, stored), seq: stored.seq });
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
    this.#fanout.push({ text, except: state.connId });
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

  /** Who is present: how many, and a page of members ordered by key (after `page.after`, a key from an earlier `next`). */
  async info(room: string, shared: boolean, settings?: RoomSettings, page?: MembersPage): Promise<RoomInfo> {
    this.#adopt(room, shared, settings);
    const { members, next } = this.#live.page(page?.limit ?? Number.MAX_SAFE_INTEGER, page?.after);
    return {
      room,
      online: this.#live.people(),
      members,
      ...(next !== undefined ? { next } : {}),
      headSeq: String(this.#history.headSeq),
      epoch: this.#history.epoch,
    };
  }

  async publish(room: string, shared: boolean, input: PublishInput, settings?: RoomSettings): Promise<PublishResult> {
    const history = this.#adopt(room, shared, settings);
    const now = Date.now();
    const tenant = shared ? input.tenant : null;
    const dup =
      input.clientMsgId !== undefined ? history.duplicate(input.userId, tenant, input.clientMsgId, now) : undefined;
    if (dup) return { seq: String(dup.seq), id: dup.id, dup: true };
    const stored = this.#store({ ...input, tenant, connId: input.connId ?? null }, now);
    this.#fanout.push({ text: messageFrame(room, history.epoch, stored), seq: stored.seq });
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
