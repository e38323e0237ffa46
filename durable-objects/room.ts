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
 * The sockets' lifecycle is `sockets.ts`, event streams `event-streams.ts`, the shards' side of
 * the room `shard-hub.ts`, welcome and replay `welcome.ts`, identity and tickets `admission.ts`
 * (all in `src/lib/rooms/`); this object wires them and keeps the one store path (`#store`).
 */
import { DurableObject } from "cloudflare:workers";
import {
  CONNECT_HEADER,
  EVENTS_PATH,
  type ConnectRequest,
  type HistoryPage,
  type HistoryQuery,
  type IssuedTicket,
  type MembersPage,
  type PublishInput,
  type PublishResult,
  type RoomInfo,
} from "../src/lib/rooms/api.ts";
import { RoomAdmission } from "../src/lib/rooms/admission.ts";
import { attachmentOf, type ConnectionState } from "../src/lib/rooms/connection.ts";
import { EventStreams } from "../src/lib/rooms/event-streams.ts";
import { FanOut } from "../src/lib/rooms/fanout.ts";
import { messageFrame, RoomHistory, type NewMessage, type StoredMessage } from "../src/lib/rooms/history.ts";
import { intakeFrame } from "../src/lib/rooms/intake.ts";
import { LiveConnections, sendText } from "../src/lib/rooms/live-connections.ts";
import { DEFAULT_ROOM_SETTINGS, type RoomSettings } from "../src/lib/rooms/policy.ts";
import { PresenceBatcher } from "../src/lib/rooms/presence.ts";
import { historyLimits } from "../src/lib/rooms/retention.ts";
import {
  CloseCode,
  encodeFrame,
  type Member,
  type Sender,
  type Seq,
  type PublishRequest,
  type ResetReason,
  type ServerFrame,
} from "../src/lib/rooms/protocol.ts";
import { ShardHub } from "../src/lib/rooms/shard-hub.ts";
import { RoomSockets } from "../src/lib/rooms/sockets.ts";
import { ShardRegistry } from "../src/lib/rooms/shard-registry.ts";
import {
  SHARD_HEADER,
  shardObjectName,
  ShardLinks,
  type AttachResult,
  type PresenceDelta,
  type ShardRedirect,
} from "../src/lib/rooms/shards.ts";
import type { TicketGrant } from "../src/lib/rooms/tickets.ts";
import { presenceList, resume, welcomeFrame } from "../src/lib/rooms/welcome.ts";
import { roomMessageStored } from "../src/lib/webhooks/rooms.ts";

export class Room extends DurableObject<Env> {
  /** Created on first use, so a request the room refuses (a made-up ticket) stores nothing. */
  #historyStore: RoomHistory | undefined;
  /** Identities from the Worker or from tickets this room issued (`src/lib/rooms/admission.ts`). */
  readonly #admission = new RoomAdmission(this.ctx.storage.sql);
  /** Open connections by connId: an index rebuilt from `ctx.getWebSockets()` after a wake. */
  readonly #live = new LiveConnections(
    () => this.ctx.getWebSockets(),
    () => this.#history.shared,
    () => this.#shards.people(),
  );
  readonly #presence = new PresenceBatcher({
    announce: (shared, own) => this.#hub.announce(shared, own),
    scale: () => ({ online: this.#live.people(), listAbove: this.#settings.presenceListAbove }),
  });
  /** `msg` and `ephemeral` frames on their way out, batched while the room is busy (`fanout.ts`). */
  readonly #fanout = new FanOut({
    windowMs: () => (this.#links.count > 0 || this.#live.anyBatched() ? this.#settings.batchWindowMs : 0),
    deliver: (frames) => {
      this.#live.deliver(frames);
      this.#links.deliver(frames);
    },
  });
  /** Open event streams (`src/lib/rooms/event-streams.ts`); they are in `#live` too. */
  readonly #streams = new EventStreams({
    live: this.#live,
    presence: this.#presence,
    fanout: this.#fanout,
    welcome: (connId, resumed, batch) => this.#welcome(connId, resumed, batch),
    resume: (send, after, reset, upTo) => resume(this.#history, send, after, reset, upTo),
    wakeBy: (at) => this.#wakeBy(at),
  });
  /** Its WebSockets: accept, hello, close, the alarm's sweep (`src/lib/rooms/sockets.ts`). */
  readonly #sockets = new RoomSockets({
    ctx: this.ctx,
    live: this.#live,
    presence: this.#presence,
    fanout: this.#fanout,
    history: () => this.#history,
    welcome: (connId, resumed, batch) => this.#welcome(connId, resumed, batch),
    resume: (send, after, reset, upTo) => resume(this.#history, send, after, reset, upTo),
    wakeBy: (at) => this.#wakeBy(at),
  });
  /** This room's shards, once it has any (`src/lib/rooms/shards.ts`); every delivery is pushed to each. */
  readonly #links = new ShardLinks((index, push) => this.#shardStub(index).push(push));
  /** Which shards this room uses and who is on them (in its storage). */
  readonly #shards: ShardRegistry;
  /** Shard picking, shards' presence, attach and replay (`src/lib/rooms/shard-hub.ts`). */
  readonly #hub: ShardHub;
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
    this.#hub = new ShardHub({
      live: this.#live,
      presence: this.#presence,
      fanout: this.#fanout,
      links: this.#links,
      shards: this.#shards,
      history: () => this.#history,
      shardAbove: () => this.#settings.shardAbove,
      presenceList: () => this.#presenceList(),
    });
  }

  // ---- shards (RPC from RoomShard) -----------------------------------------------------------

  #shardStub(index: number) {
    return this.env.ROOM_SHARDS.getByName(shardObjectName(this.#shards.objectName!, index));
  }

  /** A shard opens a socket (`ShardHub.attach`): welcome data and replay from this one turn. */
  async attach(
    index: number,
    who: { userId: string; tenant: string; connId: string },
    after?: Seq,
    epoch?: string,
  ): Promise<AttachResult> {
    return this.#hub.attach(index, who, after, epoch);
  }

  /** A shard's sockets closed, or a restarted shard's snapshot (`ShardHub.detach`). */
  async detach(index: number, deltas: PresenceDelta[], snapshot?: PresenceDelta[]): Promise<void> {
    this.#hub.detach(index, deltas, snapshot);
  }

  /** The replay a shard's socket asks for with `hello`: (after, upTo], or why it cannot be. */
  async replay(
    after: Seq,
    epoch: string | undefined,
    upTo: number,
  ): Promise<{ replay?: string[]; reset?: ResetReason }> {
    return this.#hub.replay(after, epoch, upTo);
  }

  /** A shard's socket sent an `ephemeral`: to everyone but that socket. */
  async relayEphemeral(from: Sender, event: string, data: unknown): Promise<void> {
    this.#hub.relayEphemeral(from, event, data);
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

  // ---- alarm -------------------------------------------------------------------------------

  /** Makes sure the alarm fires no later than `at`. */
  #wakeBy(at: number): void {
    if (this.#alarmAt !== null && this.#alarmAt <= at) return;
    this.#alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }

  override async alarm(): Promise<void> {
    this.#alarmAt = null;
    const now = Date.now();
    const deadlines: number[] = [];
    this.#sockets.sweep(now, deadlines);
    this.#streams.expire(now, deadlines);
    const limits = historyLimits(this.#settings);
    this.#history.trim(now, limits);
    const expiry = this.#history.nextExpiry(limits.maxAgeMs);
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
    const identity = await this.#admission.identify(connect);
    // The Worker answers 401; which check failed is nobody's business.
    if (!identity) return new Response("invalid ticket", { status: 401 });
    const history = this.#adopt(connect.room, connect.shared, connect.settings);
    // A big room: sockets beyond `shardAbove` go to a shard (the Worker connects it there).
    if (this.#live.local() >= this.#settings.shardAbove) {
      const redirect: ShardRedirect = {
        shard: this.#hub.pick(connect.objectName),
        identity,
      };
      return new Response(JSON.stringify(redirect), { headers: { [SHARD_HEADER]: String(redirect.shard) } });
    }
    return this.#sockets.accept(connect, identity, history);
  }

  #welcome(connId: string, resumed: boolean, batch: boolean): string {
    return welcomeFrame(this.#history, this.#presenceList(), connId, resumed, batch);
  }

  /** Everyone present, or above `presenceListAbove` people a sample and how many there are. */
  #presenceList(): { presence: Member[]; online?: number } {
    return presenceList(this.#live, this.#settings.presenceListAbove);
  }

  // ---- event streams (SSE) -----------------------------------------------------------------

  /** Opens an event stream (`src/lib/rooms/event-streams.ts`) for a verified identity. */
  async #openStream(connect: ConnectRequest): Promise<Response> {
    const identity = await this.#admission.identify(connect);
    if (!identity) return new Response("invalid ticket", { status: 401 });
    const history = this.#adopt(connect.room, connect.shared, connect.settings);
    return this.#streams.open(connect, identity, history);
  }

  // ---- frames ------------------------------------------------------------------------------

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const state = attachmentOf(ws);
    if (!state || state.closed) return;
    const now = Date.now();
    const intake = intakeFrame(state, message, now);
    if (intake.kind === "close") {
      this.#sockets.close(ws, state, intake.code, intake.reason);
      return;
    }
    if (intake.kind === "take" && intake.frame.type === "hello") this.#sockets.hello(ws, state, intake.frame);
    ws.serializeAttachment(state);
    if (intake.kind === "refuse") this.#reply(ws, intake.frame);
    else if (intake.frame.type === "publish") this.#publishFrame(ws, state, intake.frame, now);
    else if (intake.frame.type === "ephemeral") this.#sockets.ephemeral(state, intake.frame, now);
  }

  #reply(ws: WebSocket, frame: ServerFrame): void {
    sendText(ws, encodeFrame(frame));
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
    const limits = historyLimits(this.#settings);
    const stored = this.#history.append(input, now, limits);
    // The room.message webhook event, when a subscription names this room (sent after this turn).
    roomMessageStored(this.env, this.ctx, this.#history.room, this.#history.shared, stored);
    // Retention needs a wake-up even in a room nobody is connected to (only ever moved earlier,
    // so a shorter retention set later takes effect by this message's expiry).
    this.#wakeBy(now + limits.maxAgeMs);
    return stored;
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.#sockets.gone(ws);
    // Completes the closing handshake where the runtime does not reply on its own.
    try {
      ws.close(code === 1005 || code === 1006 ? CloseCode.normal : code, reason);
    } catch {
      // Already answered.
    }
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.#sockets.gone(ws);
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
    return this.#admission.issue(room, request);
  }

  async history(room: string, shared: boolean, query: HistoryQuery): Promise<HistoryPage> {
    this.#history.adoptRoom(room, shared);
    return this.#history.page(query);
  }
}
