/**
 * A room's presence announcements. A join or leave is announced at once, except that changes
 * within `PRESENCE_BATCH_MS` of the last announcement wait for the end of that window and go
 * out as one net `presence` frame: a join storm of N users then costs a few frames per
 * connection instead of N. The batch is the only presence state held in memory, for at most
 * that window (who is present is derived from the open sockets); a connection welcomed inside
 * it gets only the changes its `welcome` did not already show.
 */
import { encodeFrame, PRESENCE_BATCH_MS, PRESENCE_SAMPLE, type Person, type PresenceFrame } from "./protocol.ts";

/** A person's arrival (first connection) or departure (last connection). */
export interface PresenceChange {
  /** The person's identity in the room (`LiveConnections.identity`). */
  key: string;
  person: Person;
  joined: boolean;
}

/** Where announcements go: the room's open connections (its own, and its shards'). */
export interface PresenceOutlet {
  /**
   * Sends `shared` to every connection except those in `own`, which were welcomed since the
   * last announcement and get their own frame (or, `undefined`, none: their welcome showed it all).
   */
  announce(shared: string | undefined, own: ReadonlyMap<string, string | undefined>): void;
  /** How many people are present, and above how many frames carry counts and a sample instead of lists. */
  scale(): { online: number; listAbove: number };
}

/** A presence frame for a large room: at most `PRESENCE_SAMPLE` joins and leaves, with the counts. */
export function boundedPresence(frame: PresenceFrame, online: number): PresenceFrame {
  return {
    v: 1,
    type: "presence",
    joins: frame.joins.slice(0, PRESENCE_SAMPLE),
    leaves: frame.leaves.slice(0, PRESENCE_SAMPLE),
    online,
    joined: frame.joins.length,
    left: frame.leaves.length,
  };
}

/** The net effect of a run of changes: who is in now and was not before, and the reverse. */
export function netPresence(changes: PresenceChange[]): PresenceFrame | undefined {
  const first = new Map<string, PresenceChange>();
  const last = new Map<string, boolean>();
  for (const change of changes) {
    if (!first.has(change.key)) first.set(change.key, change);
    last.set(change.key, change.joined);
  }
  const frame: PresenceFrame = { v: 1, type: "presence", joins: [], leaves: [] };
  // A first change that is a join means the user was out before the run, and vice versa.
  for (const [key, { joined: joinedFirst, person }] of first) {
    const joinedLast = last.get(key);
    if (joinedFirst && joinedLast) frame.joins.push(person);
    else if (!joinedFirst && !joinedLast) frame.leaves.push(person);
  }
  return frame.joins.length || frame.leaves.length ? frame : undefined;
}

export class PresenceBatcher {
  readonly #outlet: PresenceOutlet;
  /** Changes not announced yet, in order. */
  #changes: PresenceChange[] = [];
  /** Connections welcomed since the last announcement, with how many changes their welcome showed. */
  #welcomedAfter = new Map<string, number>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #announcedAt = 0;

  constructor(outlet: PresenceOutlet) {
    this.#outlet = outlet;
  }

  /**
   * A connection was welcomed (its `welcome` listing everyone present); `joined` when it is the
   * person's first connection.
   */
  welcomed(connId: string, joined: { key: string; person: Person } | undefined): void {
    if (joined) this.#changes.push({ key: joined.key, person: joined.person, joined: true });
    // Its welcome shows every change so far, its own join included.
    this.#welcomedAfter.set(connId, this.#changes.length);
    this.#schedule();
  }

  /** A connection is gone; `left` when it was the person's last one. */
  dropped(connId: string, left: { key: string; person: Person } | undefined): void {
    this.#welcomedAfter.delete(connId);
    if (!left) return;
    this.#changes.push({ key: left.key, person: left.person, joined: false });
    this.#schedule();
  }

  /** A person arrived or left through a connection held elsewhere (a shard's). */
  changed(change: PresenceChange): void {
    this.#changes.push(change);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    const wait = this.#announcedAt + PRESENCE_BATCH_MS - Date.now();
    if (wait <= 0) this.#announce();
    else this.#timer = setTimeout(() => this.#announce(), wait);
  }

  #announce(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#announcedAt = Date.now();
    const changes = this.#changes;
    const welcomed = this.#welcomedAfter;
    this.#changes = [];
    this.#welcomedAfter = new Map();
    if (changes.length === 0) return;
    const { online, listAbove } = this.#outlet.scale();
    const sized = (frame: PresenceFrame | undefined) =>
      frame && online > listAbove ? boundedPresence(frame, online) : frame;
    const all = sized(netPresence(changes));
    const own = new Map<string, string | undefined>();
    for (const [connId, seen] of welcomed) {
      const rest = sized(netPresence(changes.slice(seen)));
      own.set(connId, rest && encodeFrame(rest));
    }
    this.#outlet.announce(all && encodeFrame(all), own);
  }
}
