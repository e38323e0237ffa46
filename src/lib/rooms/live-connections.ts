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
import { encodeBatch, type Member, type Person } from "./protocol.ts";
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
}

/** Sends a frame; a socket that is closing or gone is left to its close event. */
export function sendText(ws: WebSocket, text: string): void {
  try {
    ws.send(text);
  } catch {
    // Closing or gone: its close event tidies up.
  }
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
  /** People present, by key, with their connection count, in order of arrival. */
  #people = new Map<string, Member>();

  /** `sockets`: the object's accepted sockets (`ctx.getWebSockets`); `shared`: whether the room is shared across tenants. */
  constructor(sockets: () => WebSocket[], shared: () => boolean) {
    this.#sockets = sockets;
    this.#shared = shared;
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

  remove(connId: string): void {
    const live = this.#index();
    const c = live.get(connId);
    if (!c) return;
    live.delete(connId);
    const member = this.#people.get(c.key);
    if (member && --member.connections <= 0) this.#people.delete(c.key);
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
    return { ws, ...this.identity(state), batch: state.batch === true };
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
    const keys = [...this.#people.keys()].filter((k) => after === undefined || k > after).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
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
    for (const [connId, c] of this.all()) {
      if (c.stream) {
        if (!excepted.has(connId)) c.stream.writeBytes((events ??= encoder.encode(frames.map((f) => sseEvent(f.text, f.seq)).join(""))));
        else c.stream.write(frames.filter((f) => f.except !== connId).map((f) => sseEvent(f.text, f.seq)).join(""));
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
}
