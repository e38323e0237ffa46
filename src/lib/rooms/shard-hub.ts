/**
 * The room object's side of sharded fan-out (`shards.ts`): picking a shard for a new socket,
 * counting the connections its shards report in the room's presence, answering a shard's
 * `attach` (welcome data and replay in one turn) and `hello` replay, relaying its sockets'
 * ephemerals, and announcing presence to the room's own connections and to every shard. Moved
 * out of `durable-objects/room.ts`, which keeps the RPC methods and passes its parts in.
 */
import type { FanOut } from "./fanout.ts";
import { messageFrame, type RoomHistory } from "./history.ts";
import { sendFrame, type LiveConnections } from "./live-connections.ts";
import type { PresenceBatcher } from "./presence.ts";
import { encodeFrame, REPLAY_MAX_BYTES, type Member, type ResetReason, type Sender, type Seq } from "./protocol.ts";
import type { ShardRegistry } from "./shard-registry.ts";
import type { AttachResult, PresenceDelta, ShardLinks } from "./shards.ts";

/** What the hub uses of its room object. */
export interface ShardHubRoom {
  live: LiveConnections;
  presence: PresenceBatcher;
  fanout: FanOut;
  links: ShardLinks;
  shards: ShardRegistry;
  history(): RoomHistory;
  shardAbove(): number;
  presenceList(): { presence: Member[]; online?: number };
}

export class ShardHub {
  readonly #room: ShardHubRoom;

  constructor(room: ShardHubRoom) {
    this.#room = room;
  }

  /** The shard for a new socket (`ShardRegistry.pick`); a new shard gets every delivery from now on. */
  pick(objectName: string): number {
    const index = this.#room.shards.pick(objectName, this.#room.shardAbove());
    this.#room.links.activate(this.#room.shards.count);
    return index;
  }

  /** Shard sockets attached since the last presence announcement, and their shard. */
  #attachedTo = new Map<string, number>();

  /** A presence announcement: to this object's connections, and to every shard for its sockets. */
  announce(shared: string | undefined, own: ReadonlyMap<string, string | undefined>): void {
    for (const [connId, c] of this.#room.live.all()) {
      const text = own.has(connId) ? own.get(connId) : shared;
      if (text) sendFrame(c, text);
    }
    const attached = this.#attachedTo;
    this.#attachedTo = new Map();
    for (let i = 0; i < this.#room.links.count; i++) {
      const mine: Record<string, string | null> = {};
      let any = false;
      for (const [connId, shard] of attached) {
        if (shard !== i || !own.has(connId)) continue;
        mine[connId] = own.get(connId) ?? null;
        any = true;
      }
      if (shared || any) this.#room.links.presence(i, { text: shared ?? null, ...(any ? { own: mine } : {}) });
    }
  }

  /** Counts connections that opened (+1) or closed (−1) on shard `index`; announces first arrivals and last departures. */
  #shardDeltas(index: number, deltas: readonly PresenceDelta[], welcomedConnId?: string): void {
    if (this.#room.shards.count === 0) return;
    this.#room.shards.record(index, deltas);
    for (const { key, person, delta } of deltas) {
      const before = this.#room.live.count(key);
      const after = this.#room.live.adjustRemote(key, person, delta);
      if (welcomedConnId !== undefined) {
        this.#room.presence.welcomed(welcomedConnId, before === 0 && after > 0 ? { key, person } : undefined);
      } else if (before === 0 && after > 0) this.#room.presence.changed({ key, person, joined: true });
      else if (before > 0 && after === 0) this.#room.presence.changed({ key, person, joined: false });
    }
  }

  /**
   * A shard opens a socket: the connection counts at once, and the shard gets what its welcome
   * shows and the replay after `after`, up to the head seq it returns, all from this one turn.
   */
  attach(
    index: number,
    who: { userId: string; tenant: string; connId: string },
    after?: Seq,
    epoch?: string,
  ): AttachResult {
    this.#room.fanout.flush();
    const identity = this.#room.live.identity(who);
    this.#shardDeltas(index, [{ key: identity.key, person: identity.person, delta: 1 }], who.connId);
    this.#attachedTo.set(who.connId, index);
    const history = this.#room.history();
    const reset = after === undefined ? undefined : history.resumeProblem(Number(after), epoch, REPLAY_MAX_BYTES);
    const replay =
      after === undefined || reset !== undefined
        ? undefined
        : [...history.stream(Number(after), history.headSeq)].map((m) => messageFrame(history.room, history.epoch, m));
    return {
      epoch: history.epoch,
      headSeq: history.headSeq,
      ...this.#room.presenceList(),
      ...(replay ? { replay } : {}),
      ...(reset ? { reset } : {}),
    };
  }

  /**
   * A shard's sockets closed; or (`snapshot`) a shard that started afresh says who it holds
   * now, which replaces what the room counted for it (sockets that went away with a restarted
   * shard never reported their close).
   */
  detach(index: number, deltas: PresenceDelta[], snapshot?: PresenceDelta[]): void {
    if (snapshot) this.#shardDeltas(index, this.#room.shards.reconcile(index, snapshot));
    this.#shardDeltas(index, deltas);
  }

  /** The replay a shard's socket asks for with `hello`: (after, upTo], or why it cannot be. */
  replay(after: Seq, epoch: string | undefined, upTo: number): { replay?: string[]; reset?: ResetReason } {
    const history = this.#room.history();
    const reset = history.resumeProblem(Number(after), epoch, REPLAY_MAX_BYTES, upTo);
    if (reset) return { reset };
    return {
      replay: [...history.stream(Number(after), upTo)].map((m) => messageFrame(history.room, history.epoch, m)),
    };
  }

  /** A shard's socket sent an `ephemeral`: to everyone but that socket. */
  relayEphemeral(from: Sender, event: string, data: unknown): void {
    const text = encodeFrame({
      v: 1,
      type: "ephemeral",
      room: this.#room.history().room,
      from,
      event,
      ts: Date.now(),
      data,
    });
    this.#room.fanout.push({ text, ...(from.connId !== null ? { except: from.connId } : {}) });
  }
}
