/**
 * A room's index of its open connections, by connId: who each one is in this room (a shared
 * room tells tenants apart), how many connections a person has, the member list and the
 * broadcast. Nothing here is the source of truth for sockets: their part of the index is
 * rebuilt from the object's hibernatable sockets and their attachments (`connection.ts`) after
 * a wake. Event streams (`sse.ts`) live in memory only and are added as they open (an open
 * stream keeps the object awake).
 */
import { attachmentOf, type ConnectionState } from "./connection.ts";
import type { OutFrame } from "./fanout.ts";
import { encodeBatch, encodeFrame, type Member, type Person } from "./protocol.ts";
import { sseEvent, type SseStream } from "./sse.ts";

/** A WebSocket, or (`stream`) an event stream. */
export interface LiveConnection {
  ws?: WebSocket;
  stream?: SseStream;
  /** The person's identity in this room: the user id, or (tenant, user id) in a shared room. */
  key: string;
  person: Person;
  /** Opted in to `batch` frames. */
  batch: boolean;
  /** `msg` frames up to this seq already reached the connection another way (welcome's head, a replay). */
  skipThrough?: number;
}

/** Sends a frame; a socket that is closing or gone is left to its close event. */
export function sendText(ws: WebSocket, text: string): void {
  try {
    ws.send(text);
  } catch {
    // Closing or gone: its close event tidies up.
  }
}

/** A second resume on one connection is refused (the first one already replayed). */
export function refuseSecondResume(ws: WebSocket): void {
  sendText(
    ws,
    encodeFrame({
      v: 1,
      type: "error",
      code: "bad_frame",
      message: "This connection already resumed; reconnect to resume again.",
    }),
  );
}

/** Sends one frame to a connection, whichever kind it is. */
export function sendFrame(c: LiveConnection, text: string): void {
  if (c.stream) c.stream.frame(text);
  else if (c.ws) sendText(c.ws, text);
}

const encoder = new TextEncoder();

export class LiveConnections {
  readonly #sockets: () => WebSocket[];
  readonly #shared: () => boolean;
  #live: Map<string, LiveConnection> | undefined;
  /** People present, by key, with their connection count, in order of arrival (shards' connections included). */
  #people = new Map<string, Member>();
  readonly #remote: () => Iterable<{ key: string; member: Member }>;

  /** `sockets`: the object's accepted sockets (`ctx.getWebSockets`); `shared`: whether the room is shared across tenants. */
  constructor(
    sockets: () => WebSocket[],
    shared: () => boolean,
    remote: () => Iterable<{ key: string; member: Member }> = () => [],
  ) {
    this.#sockets = sockets;
    this.#shared = shared;
    this.#remote = remote;
  }

  /**
   * Open connections by connId, indexed from the sockets on first use after a wake. Read it
   * freely; change it only with `add` and `remove`, which keep the people count.
   */
  all(): ReadonlyMap<string, LiveConnection> {
    return this.#index();
  }

  #index(): Map<string, LiveConnection> {
    if (this.#live) return this.#live;
    const live = new Map<string, LiveConnection>();
    this.#live = live;
    for (const { key, member } of this.#remote()) this.#people.set(key, { ...member });
    for (const ws of this.#sockets()) {
      const state = attachmentOf(ws);
      if (!state || state.closed || ws.readyState !== WebSocket.OPEN) continue;
      this.add(state.connId, this.connection(ws, state));
    }
    return live;
  }

  add(connId: string, c: LiveConnection): void {
    this.#index().set(connId, c);
    const member = this.#people.get(c.key);
    if (member) member.connections++;
    else this.#people.set(c.key, { ...c.person, connections: 1 });
  }

  /** Forgets a connection; false when it was not indexed (already gone). */
  remove(connId: string): boolean {
    const live = this.#index();
    const c = live.get(connId);
    if (!c) return false;
    live.delete(connId);
    const member = this.#people.get(c.key);
    if (member && --member.connections <= 0) this.#people.delete(c.key);
    return true;
  }

  /** Counts `delta` connections of a person held elsewhere (on a shard); returns their count after it. */
  adjustRemote(key: string, person: Person, delta: number): number {
    this.#index();
    const member = this.#people.get(key);
    const count = (member?.connections ?? 0) + delta;
    if (count <= 0) this.#people.delete(key);
    else if (member) member.connections = count;
    else this.#people.set(key, { ...person, connections: count });
    return Math.max(0, count);
  }

  /** Connections held by this object (sockets and streams, not a shard's). */
  local(): number {
    return this.#index().size;
  }

  /** How many people are present (a person with several connections counts once). */
  people(): number {
    this.#index();
    return this.#people.size;
  }

  /** At most `n` members, those present longest first: presence in a large room. */
  sample(n: number): Member[] {
    this.#index();
    const out: Member[] = [];
    for (const member of this.#people.values()) {
      if (out.length >= n) break;
      out.push({ ...member });
    }
    return out;
  }

  /** Who a connection is in this room (a shared room tells tenants apart). */
  identity(state: { userId: string; tenant: string }): { key: string; person: Person } {
    return this.#shared()
      ? { key: JSON.stringify([state.tenant, state.userId]), person: { userId: state.userId, tenant: state.tenant } }
      : { key: state.userId, person: { userId: state.userId } };
  }

  connection(ws: WebSocket, state: ConnectionState): LiveConnection {
    return { ws, ...this.identity(state), batch: state.batch === true, skipThrough: state.startSeq };
  }

  /** Whether any open connection takes `batch` frames (only then is batching worth a wait). */
  anyBatched(): boolean {
    for (const c of this.all().values()) if (c.batch) return true;
    return false;
  }

  /** How many open connections the person with this key has. */
  count(key: string): number {
    this.#index();
    return this.#people.get(key)?.connections ?? 0;
  }

  /** One member per person with their connection count, ordered by key. */
  members(): Member[] {
    return this.page(Number.MAX_SAFE_INTEGER).members;
  }

  /** Up to `limit` members ordered by key, after the key `after`; `next` is the key to page on from. */
  page(limit: number, after?: string): { members: Member[]; next?: string } {
    this.#index();
    const keys = [...this.#people.keys()]
      .filter((k) => after === undefined || k > after)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const members = keys.slice(0, limit).map((k) => ({ ...this.#people.get(k)! }));
    return keys.length > limit ? { members, next: keys[limit - 1]! } : { members };
  }

  broadcast(text: string, exceptConnId?: string): void {
    for (const [connId, c] of this.all()) if (connId !== exceptConnId) sendFrame(c, text);
  }

  /**
   * Sends frames, in order, to every connection: one `batch` frame (encoded once) to those that
   * opted in when there is more than one, the frames one by one to the others.
   */
  deliver(frames: readonly OutFrame[]): void {
    const excepted = new Set<string>();
    for (const f of frames) if (f.except !== undefined) excepted.add(f.except);
    let batch: string | undefined;
    /** The frames as events, encoded once for every stream. */
    let events: Uint8Array | undefined;
    let firstSeq: number | undefined;
    for (const f of frames) if (f.seq !== undefined && (firstSeq === undefined || f.seq < firstSeq)) firstSeq = f.seq;
    for (const [connId, c] of this.all()) {
      if (c.skipThrough !== undefined && firstSeq !== undefined && firstSeq <= c.skipThrough) {
        // Joined while these were on their way: only what it has not had (rare, not shared).
        const skip = c.skipThrough;
        const rest = frames.filter((f) => f.except !== connId && (f.seq === undefined || f.seq > skip));
        if (rest.length) this.#sendOwn(c, rest);
        continue;
      }
      if (c.stream) {
        if (!excepted.has(connId))
          c.stream.writeBytes((events ??= encoder.encode(frames.map((f) => sseEvent(f.text, f.seq)).join(""))));
        else
          c.stream.write(
            frames
              .filter((f) => f.except !== connId)
              .map((f) => sseEvent(f.text, f.seq))
              .join(""),
          );
      } else if (!c.ws) continue;
      else if (frames.length === 1) {
        if (frames[0]!.except !== connId) sendText(c.ws, frames[0]!.text);
      } else if (!c.batch) {
        for (const f of frames) if (f.except !== connId) sendText(c.ws, f.text);
      } else if (excepted.has(connId)) {
        // An ephemeral's sender: its own batch without its frames (rare, so not shared).
        const own = frames.filter((f) => f.except !== connId).map((f) => f.text);
        if (own.length > 1) sendText(c.ws, encodeBatch(own));
        else if (own.length === 1) sendText(c.ws, own[0]!);
      } else sendText(c.ws, (batch ??= encodeBatch(frames.map((f) => f.text))));
    }
  }

  #sendOwn(c: LiveConnection, frames: readonly OutFrame[]): void {
    if (c.stream) c.stream.write(frames.map((f) => sseEvent(f.text, f.seq)).join(""));
    else if (!c.ws) return;
    else if (c.batch && frames.length > 1) sendText(c.ws, encodeBatch(frames.map((f) => f.text)));
    else for (const f of frames) sendText(c.ws, f.text);
  }
}
