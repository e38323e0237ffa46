/**
 * A room's index of its open connections, by connId: who each one is in this room (a shared
 * room tells tenants apart), how many connections a person has, the member list and the
 * broadcast. Nothing here is the source of truth: the index is rebuilt from the object's
 * hibernatable sockets and their attachments (`connection.ts`) after a wake.
 */
import { attachmentOf, type ConnectionState } from "./connection.ts";
import type { Member, Person } from "./protocol.ts";

export interface LiveConnection {
  ws: WebSocket;
  /** The person's identity in this room: the user id, or (tenant, user id) in a shared room. */
  key: string;
  person: Person;
}

/** Sends a frame; a socket that is closing or gone is left to its close event. */
export function sendText(ws: WebSocket, text: string): void {
  try {
    ws.send(text);
  } catch {
    // Closing or gone: its close event tidies up.
  }
}

export class LiveConnections {
  readonly #sockets: () => WebSocket[];
  readonly #shared: () => boolean;
  #live: Map<string, LiveConnection> | undefined;

  /** `sockets`: the object's accepted sockets (`ctx.getWebSockets`); `shared`: whether the room is shared across tenants. */
  constructor(sockets: () => WebSocket[], shared: () => boolean) {
    this.#sockets = sockets;
    this.#shared = shared;
  }

  /** Open connections by connId, indexed from the sockets on first use after a wake. */
  all(): Map<string, LiveConnection> {
    if (this.#live) return this.#live;
    const live = new Map<string, LiveConnection>();
    for (const ws of this.#sockets()) {
      const state = attachmentOf(ws);
      if (!state || state.closed || ws.readyState !== WebSocket.OPEN) continue;
      live.set(state.connId, this.connection(ws, state));
    }
    this.#live = live;
    return live;
  }

  /** Who a connection is in this room (a shared room tells tenants apart). */
  identity(state: { userId: string; tenant: string }): { key: string; person: Person } {
    return this.#shared()
      ? { key: JSON.stringify([state.tenant, state.userId]), person: { userId: state.userId, tenant: state.tenant } }
      : { key: state.userId, person: { userId: state.userId } };
  }

  connection(ws: WebSocket, state: ConnectionState): LiveConnection {
    return { ws, ...this.identity(state) };
  }

  /** How many open connections the person with this key has. */
  count(key: string): number {
    let n = 0;
    for (const c of this.all().values()) if (c.key === key) n++;
    return n;
  }

  /** One member per person with their connection count, ordered by key. */
  members(): Member[] {
    const members = new Map<string, Member>();
    for (const c of this.all().values()) {
      const member = members.get(c.key);
      if (member) member.connections++;
      else members.set(c.key, { ...c.person, connections: 1 });
    }
    return [...members].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, member]) => member);
  }

  broadcast(text: string, exceptConnId?: string): void {
    for (const [connId, c] of this.all()) if (connId !== exceptConnId) sendText(c.ws, text);
  }
}
