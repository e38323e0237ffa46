/**
 * Sharded fan-out: above `rooms.shardAbove` sockets a room's new sockets go to shard objects
 * (`RoomShard`, `durable-objects/room-shard.ts`), each holding up to that many more. The room
 * object stays the one place that orders (seq), stores history and deduplicates; it pushes each
 * delivery (the frames of one batch window) to every shard, which sends them to its sockets.
 *
 * - Names: a shard is addressed by its room object's name and its index
 *   (`shardObjectName`), so a shard belongs to one (tenant, room) like the room itself.
 * - Order: one push per shard in flight at a time, in delivery order; a failed push is retried
 *   (a shard drops `msg` frames it already delivered, by seq), so a shard that restarts or
 *   hibernates misses nothing.
 * - Joining: the room picks the shard; the shard `attach`es to the room, which counts the
 *   connection in its presence and answers the welcome's data and the resume replay in one
 *   turn, with the head seq it reached. The shard sends the socket what it received meanwhile
 *   above that seq, then live pushes; frames at or below it are not sent to that socket again.
 * - Presence: shards report connections that close; the room keeps everyone's counts (in its
 *   SQLite, so a woken room has them) and announces presence to its sockets and to every shard.
 */
import type { ConnectionIdentity } from "./connection.ts";
import type { OutFrame } from "./fanout.ts";
import type { RoomSettings } from "./policy.ts";
import type { Member, Person, ResetReason, Seq } from "./protocol.ts";

/** Shards a room uses at most; beyond it, shards hold more than `shardAbove` sockets each. */
export const MAX_SHARDS = 32;
/** On the room's answer to a connect that belongs on a shard: the shard's index. */
export const SHARD_HEADER = "x-room-shard";
/** Header carrying the `ShardConnect` (JSON) on the internal upgrade request to a shard. */
export const SHARD_CONNECT_HEADER = "x-room-shard-connect";

/** A shard's object name: its room object's name and index (`roomObjectName` is unique per tenant and room). */
export function shardObjectName(roomObjectName: string, index: number): string {
  return JSON.stringify(["shard", roomObjectName, index]);
}

/** Which room a shard serves. */
export interface ShardLink {
  roomObjectName: string;
  index: number;
  room: string;
  shared: boolean;
}

/** What the room answers a connect that belongs on a shard (with `SHARD_HEADER`). */
export interface ShardRedirect {
  shard: number;
  identity: ConnectionIdentity;
}

/** What the Worker sends a shard to open a socket (identity already verified or redeemed by the room). */
export interface ShardConnect {
  link: ShardLink;
  identity: ConnectionIdentity;
  settings: RoomSettings;
  batch?: boolean;
  after?: Seq;
  epoch?: string;
  protocol?: string;
  /** Set when a ticket let the user in (the Worker logs who). */
  viaTicket?: boolean;
}

/** The room's answer to a shard's `attach`: what the welcome shows, and the replay. */
export interface AttachResult {
  epoch: string;
  headSeq: number;
  presence: Member[];
  online?: number;
  /** The frames of (after, headSeq], or why they cannot be replayed. */
  replay?: string[];
  reset?: ResetReason;
}

/** One connection more (+1) or less (−1) of a person on a shard. */
export interface PresenceDelta {
  key: string;
  person: Person;
  delta: number;
}

/**
 * A presence announcement for a shard's sockets: `text` for each, except those in `own`
 * (welcomed since the last announcement), which get their own frame or none (`null`).
 */
export interface ShardPresence {
  text: string | null;
  own?: Record<string, string | null>;
}

/** What the room pushes to a shard: frames (in order) and presence announcements. */
export interface ShardPush {
  frames: OutFrame[];
  presence: ShardPresence[];
}

interface Queue {
  frames: OutFrame[];
  presence: ShardPresence[];
  busy: boolean;
  failures: number;
}

/** Asks a shard to accept a WebSocket (its stub's `fetch`). */
export function connectToShard(
  shard: { fetch(url: string, init: RequestInit): Promise<Response> },
  connect: ShardConnect,
): Promise<Response> {
  return shard.fetch("https://room-shard.internal/connect", {
    headers: { upgrade: "websocket", [SHARD_CONNECT_HEADER]: JSON.stringify(connect) },
  });
}

/** The room's side: one ordered push queue per shard, at most one push in flight each. */
export class ShardLinks {
  readonly #push: (index: number, push: ShardPush) => Promise<void>;
  readonly #queues = new Map<number, Queue>();

  constructor(push: (index: number, push: ShardPush) => Promise<void>) {
    this.#push = push;
  }

  /** Shards that get every delivery from now on. */
  activate(count: number): void {
    for (let i = 0; i < count; i++)
      if (!this.#queues.has(i)) this.#queues.set(i, { frames: [], presence: [], busy: false, failures: 0 });
  }

  get count(): number {
    return this.#queues.size;
  }

  deliver(frames: readonly OutFrame[]): void {
    for (const [i, q] of this.#queues) {
      q.frames.push(...frames);
      this.#pump(i, q);
    }
  }

  presence(index: number, announcement: ShardPresence): void {
    const q = this.#queues.get(index);
    if (!q) return;
    q.presence.push(announcement);
    this.#pump(index, q);
  }

  #pump(index: number, q: Queue): void {
    if (q.busy || (q.frames.length === 0 && q.presence.length === 0)) return;
    const push: ShardPush = { frames: q.frames, presence: q.presence };
    q.frames = [];
    q.presence = [];
    q.busy = true;
    this.#push(index, push).then(
      () => {
        q.busy = false;
        q.failures = 0;
        this.#pump(index, q);
      },
      () => {
        // Put it back in front and retry: the shard drops msg frames it already delivered.
        q.frames = [...push.frames, ...q.frames];
        q.presence = [...push.presence, ...q.presence];
        q.failures++;
        setTimeout(
          () => {
            q.busy = false;
            this.#pump(index, q);
          },
          Math.min(5_000, 50 * 2 ** q.failures),
        );
      },
    );
  }
}
