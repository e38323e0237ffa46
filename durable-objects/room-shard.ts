/**
 * RoomShard: holds some of a big room's WebSockets (Hibernation API) and delivers what its room
 * pushes to them (`src/lib/rooms/shards.ts` says how a room shards and why it stays exact).
 * Addressed by `shardObjectName(room object name, index)`, so a shard belongs to one (tenant,
 * room) like its room.
 *
 * The shard keeps no history and assigns no seq: a socket's `publish` and `ephemeral` go to the
 * room (which orders, stores and deduplicates), and come back with everyone else's in the room's
 * next push. Per socket it keeps what the room object keeps (identity, token expiry, rate bucket,
 * activity: the attachment, `src/lib/rooms/connection.ts`) and applies the same intake, limits,
 * idle timeout and token expiry. What survives a restart: the sockets and their attachments,
 * and the highest seq delivered (SQLite-backed KV), so a push the room retries is not sent twice.
 */
import { DurableObject } from "cloudflare:workers";
import { CONNECTED_USER_HEADER } from "../src/lib/rooms/api.ts";
import { attachmentOf, newConnection, type ConnectionState } from "../src/lib/rooms/connection.ts";
import type { OutFrame } from "../src/lib/rooms/fanout.ts";
import { intakeFrame } from "../src/lib/rooms/intake.ts";
import { LiveConnections, refuseSecondResume, sendFrame, sendText } from "../src/lib/rooms/live-connections.ts";
import { CloseCode, encodeFrame, IDLE_TIMEOUT_MS, ROOM_LIMITS, type ServerFrame } from "../src/lib/rooms/protocol.ts";
import {
  SHARD_CONNECT_HEADER,
  type PresenceDelta,
  type ShardConnect,
  type ShardLink,
  type ShardPush,
} from "../src/lib/rooms/shards.ts";

export class RoomShard extends DurableObject<Env> {
  #link: ShardLink | undefined;
  /** Highest `msg` seq delivered to this shard's sockets. */
  #through: number;
  readonly #live = new LiveConnections(
    () => this.ctx.getWebSockets(),
    () => this.#link?.shared ?? false,
  );
  /** Sockets being attached: what arrives meanwhile, to send them after their welcome. */
  readonly #attaching = new Set<OutFrame[]>();
  /** Connections closed, not yet reported to the room; one report in flight at a time. */
  #deltas: PresenceDelta[] = [];
  #reporting = false;
  /** A fresh instance tells the room who it holds before anything else (sockets lost in a restart never reported their close). */
  #synced = false;
  #alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    this.#link = ctx.storage.kv.get<ShardLink>("link");
    this.#through = ctx.storage.kv.get<number>("through") ?? 0;
    void ctx.blockConcurrencyWhile(async () => {
      this.#alarmAt = await ctx.storage.getAlarm();
    });
  }

  #roomStub: ReturnType<Env["ROOMS"]["getByName"]> | undefined;

  /** One stub for every call, so the room gets them in the order they were made. */
  #room() {
    return (this.#roomStub ??= this.env.ROOMS.getByName(this.#link!.roomObjectName));
  }

  #wakeBy(at: number): void {
    if (this.#alarmAt !== null && this.#alarmAt <= at) return;
    this.#alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }

  // ---- sockets -----------------------------------------------------------------------------

  override async fetch(request: Request): Promise<Response> {
    const header = request.headers.get(SHARD_CONNECT_HEADER);
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || !header) {
      return new Response("expected a WebSocket upgrade from the Worker", { status: 426 });
    }
    const connect = JSON.parse(header) as ShardConnect;
    if (JSON.stringify(this.#link) !== JSON.stringify(connect.link)) {
      this.#link = connect.link;
      this.ctx.storage.kv.put("link", connect.link);
    }
    // Before the attach, so the room counts this socket on top of the snapshot.
    this.#sync();
    const { identity } = connect;
    // Pushes that arrive while the room answers are kept for this socket.
    const meanwhile: OutFrame[] = [];
    const connId = crypto.randomUUID();
    this.#attaching.add(meanwhile);
    let attached;
    try {
      attached = await this.#room().attach(
        connect.link.index,
        { userId: identity.userId, tenant: identity.tenant, connId },
        connect.after,
        connect.epoch,
      );
    } finally {
      this.#attaching.delete(meanwhile);
    }
    const now = Date.now();
    const { 0: client, 1: server } = new WebSocketPair();
    const state = { ...newConnection(identity, attached.headSeq, now), connId };
    if (connect.batch) state.batch = true;
    if (connect.after !== undefined) state.resumed = true;
    this.ctx.acceptWebSocket(server, [state.userId]);
    server.serializeAttachment(state);
    const live = this.#live.connection(server, state);
    this.#live.add(state.connId, live);
    const welcome: ServerFrame = {
      v: 1,
      type: "welcome",
      connId: state.connId,
      room: connect.link.room,
      epoch: attached.epoch,
      headSeq: String(attached.headSeq),
      resumed: connect.after !== undefined && attached.reset === undefined,
      presence: attached.presence,
      ...(attached.online !== undefined ? { online: attached.online } : {}),
      limits: { maxBytes: ROOM_LIMITS.maxBytes, msgPerSec: ROOM_LIMITS.msgPerSec },
      ...(state.batch ? { batch: true as const } : {}),
      shard: connect.link.index,
    };
    sendText(server, encodeFrame(welcome));
    if (attached.reset)
      sendText(server, encodeFrame({ v: 1, type: "reset", reason: attached.reset, headSeq: String(attached.headSeq) }));
    for (const text of attached.replay ?? []) sendText(server, text);
    for (const f of meanwhile)
      if (f.except !== state.connId && (f.seq === undefined || f.seq > attached.headSeq)) sendText(server, f.text);
    this.#wakeBy(Math.min(state.expiresAt, now + IDLE_TIMEOUT_MS));
    const headers: Record<string, string> = connect.protocol ? { "sec-websocket-protocol": connect.protocol } : {};
    if (connect.viaTicket) headers[CONNECTED_USER_HEADER] = encodeURIComponent(state.userId);
    return new Response(null, { status: 101, webSocket: client, headers });
  }

  /** From the room: frames in order (a retried push repeats `msg` frames this shard already sent: dropped) and presence. */
  async push(push: ShardPush): Promise<void> {
    this.#sync();
    const frames = push.frames.filter((f) => f.seq === undefined || f.seq > this.#through);
    for (const meanwhile of this.#attaching) meanwhile.push(...frames);
    if (frames.length) this.#live.deliver(frames);
    let through = this.#through;
    for (const f of frames) if (f.seq !== undefined && f.seq > through) through = f.seq;
    if (through !== this.#through) {
      this.#through = through;
      this.ctx.storage.kv.put("through", through);
    }
    for (const { text, own } of push.presence) {
      for (const [connId, c] of this.#live.all()) {
        const mine = own && connId in own ? own[connId] : text;
        if (mine) sendFrame(c, mine);
      }
    }
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const state = attachmentOf(ws);
    if (!state || state.closed || !this.#link) return;
    this.#sync();
    const now = Date.now();
    const intake = intakeFrame(state, message, now);
    if (intake.kind === "close") {
      this.#close(ws, state, intake.code, intake.reason);
      return;
    }
    const frame = intake.kind === "take" ? intake.frame : undefined;
    if (frame?.type === "hello" && frame.batch !== undefined) {
      state.batch = frame.batch;
      const live = this.#live.all().get(state.connId);
      if (live) live.batch = frame.batch;
    }
    const resume =
      frame?.type === "hello" && !(frame.batch !== undefined && frame.after === undefined && frame.epoch === undefined);
    const firstResume = resume && !state.resumed;
    if (firstResume) state.resumed = true;
    ws.serializeAttachment(state);
    if (intake.kind === "refuse") return sendText(ws, encodeFrame(intake.frame));
    if (!frame) return;
    const link = this.#link;
    if (frame.type === "hello") {
      if (!resume) return;
      if (!firstResume) {
        refuseSecondResume(ws);
        return;
      }
      if (frame.after === undefined) return;
      // Messages after `startSeq` reached this socket live; the gap is (after, startSeq].
      const { replay, reset } = await this.#room().replay(frame.after, frame.epoch, state.startSeq);
      if (reset) sendText(ws, encodeFrame({ v: 1, type: "reset", reason: reset, headSeq: String(state.startSeq) }));
      for (const text of replay ?? []) sendText(ws, text);
      return;
    }
    if (frame.type === "ephemeral") {
      const who = this.#live.identity(state).person;
      await this.#room().relayEphemeral({ ...who, connId: state.connId }, frame.event, frame.data);
      return;
    }
    const ref = frame.ref !== undefined ? { ref: frame.ref } : {};
    const result = await this.#room().publish(link.room, link.shared, {
      userId: state.userId,
      tenant: state.tenant,
      connId: state.connId,
      event: frame.event,
      dataJson: JSON.stringify(frame.data),
      ...(frame.clientMsgId !== undefined ? { clientMsgId: frame.clientMsgId } : {}),
    });
    sendText(
      ws,
      encodeFrame({
        v: 1,
        type: "ack",
        ...ref,
        seq: result.seq,
        id: result.id,
        ...(result.dup ? { dup: true as const } : {}),
      }),
    );
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.#gone(ws);
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
    this.#sync();
    const state = attachmentOf(ws);
    if (!state || state.closed) return;
    state.closed = true;
    try {
      ws.serializeAttachment(state);
    } catch {
      // Fully closed.
    }
    this.#drop(state);
  }

  #close(ws: WebSocket, state: ConnectionState, code: number, reason: string): void {
    this.#live.all();
    state.closed = true;
    ws.serializeAttachment(state);
    try {
      ws.close(code, reason);
    } catch {
      // Already closing.
    }
    this.#drop(state);
  }

  /** Forgets a connection and tells the room (which keeps everyone's presence). */
  #drop(state: ConnectionState): void {
    // Not indexed: the snapshot did not count it either.
    if (!this.#live.remove(state.connId)) return;
    const { key, person } = this.#live.identity(state);
    this.#deltas.push({ key, person, delta: -1 });
    this.#report();
  }

  /** Once per instance, before its first report: who this shard holds now, by person. */
  #sync(): void {
    if (this.#synced || !this.#link) return;
    this.#synced = true;
    const counts = new Map<string, PresenceDelta>();
    for (const c of this.#live.all().values()) {
      const d = counts.get(c.key);
      if (d) d.delta++;
      else counts.set(c.key, { key: c.key, person: c.person, delta: 1 });
    }
    this.#snapshot = [...counts.values()];
    // The snapshot already reflects every close so far.
    this.#deltas = [];
    this.#report();
  }

  #snapshot: PresenceDelta[] | undefined;

  #report(): void {
    if (this.#reporting || (this.#deltas.length === 0 && !this.#snapshot) || !this.#link) return;
    const deltas = this.#deltas;
    const snapshot = this.#snapshot;
    this.#deltas = [];
    this.#snapshot = undefined;
    this.#reporting = true;
    this.#room()
      .detach(this.#link.index, deltas, snapshot)
      .then(
        () => {
          this.#reporting = false;
          this.#report();
        },
        () => {
          this.#deltas = [...deltas, ...this.#deltas];
          this.#snapshot ??= snapshot;
          setTimeout(() => {
            this.#reporting = false;
            this.#report();
          }, 200);
        },
      );
  }

  override async alarm(): Promise<void> {
    this.#alarmAt = null;
    this.#sync();
    const now = Date.now();
    const deadlines: number[] = [];
    for (const ws of this.ctx.getWebSockets()) {
      const state = attachmentOf(ws);
      if (!state || state.closed) continue;
      if (state.expiresAt <= now) {
        this.#close(ws, state, CloseCode.tokenExpired, "token expired");
        continue;
      }
      const pinged = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
      const idleUntil = Math.max(state.seenAt, pinged) + IDLE_TIMEOUT_MS;
      if (idleUntil <= now) {
        this.#close(ws, state, CloseCode.goingAway, "idle timeout");
        continue;
      }
      deadlines.push(state.expiresAt, idleUntil);
    }
    if (deadlines.length) this.#wakeBy(Math.max(now + 1_000, Math.min(...deadlines)));
  }
}
