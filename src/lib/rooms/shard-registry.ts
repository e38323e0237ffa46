/**
 * A room's record of its shards (`shards.ts`), in the room object's storage so a woken room has
 * it: its own object name (its shards are named after it) and sockets per shard in the
 * SQLite-backed KV, and each shard's connections per person in the `remote_people` table (the
 * room's presence counts them with its own). Nothing is stored for a room that never sharded.
 */
import type { Member, Person } from "./protocol.ts";
import { MAX_SHARDS, type PresenceDelta } from "./shards.ts";

interface ShardingState {
  objectName: string;
  sockets: number[];
}

interface PersonRow {
  key: string;
  person: string;
  connections: number;
  [column: string]: SqlStorageValue;
}

export class ShardRegistry {
  readonly #storage: DurableObjectStorage;
  #state: ShardingState | undefined;

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
    this.#state = storage.kv.get<ShardingState>("sharding");
  }

  /** The room object's name, once it sharded. */
  get objectName(): string | undefined {
    return this.#state?.objectName;
  }

  /** Shards in use (indexes 0 to count − 1). */
  get count(): number {
    return this.#state?.sockets.length ?? 0;
  }

  /** The shard for a new socket: the least loaded one under `shardAbove`, else a new one (up to `MAX_SHARDS`), else the least loaded. */
  pick(objectName: string, shardAbove: number): number {
    if (!this.#state) {
      this.#storage.sql.exec(
        "CREATE TABLE IF NOT EXISTS remote_people (shard INTEGER NOT NULL, key TEXT NOT NULL, person TEXT NOT NULL, connections INTEGER NOT NULL, PRIMARY KEY (shard, key)) WITHOUT ROWID",
      );
      this.#state = { objectName, sockets: [] };
    }
    const sockets = this.#state.sockets;
    let best = -1;
    for (let i = 0; i < sockets.length; i++) {
      if (sockets[i]! < shardAbove && (best < 0 || sockets[i]! < sockets[best]!)) best = i;
    }
    if (best < 0 && sockets.length < MAX_SHARDS) {
      sockets.push(0);
      best = sockets.length - 1;
    }
    if (best < 0) best = sockets.indexOf(Math.min(...sockets));
    this.#storage.kv.put("sharding", this.#state);
    return best;
  }

  /** Records connections that opened (+1) or closed (−1) on shard `index`. */
  record(index: number, deltas: readonly PresenceDelta[]): void {
    const state = this.#state;
    if (!state) return;
    for (const { key, person, delta } of deltas) {
      const row = this.#storage.sql
        .exec<{ connections: number }>(
          "INSERT INTO remote_people (shard, key, person, connections) VALUES (?, ?, ?, ?) ON CONFLICT (shard, key) DO UPDATE SET connections = connections + excluded.connections RETURNING connections",
          index,
          key,
          JSON.stringify(person),
          delta,
        )
        .one();
      if (row.connections <= 0)
        this.#storage.sql.exec("DELETE FROM remote_people WHERE shard = ? AND key = ?", index, key);
      state.sockets[index] = Math.max(0, (state.sockets[index] ?? 0) + delta);
    }
    this.#storage.kv.put("sharding", state);
  }

  /** Everyone on the shards, one entry per person (read when the room rebuilds its connection index). */
  *people(): Iterable<{ key: string; member: Member }> {
    if (!this.#state) return;
    const rows = this.#storage.sql.exec<PersonRow>(
      "SELECT key, MIN(person) AS person, SUM(connections) AS connections FROM remote_people GROUP BY key",
    );
    for (const row of rows)
      yield { key: row.key, member: { ...(JSON.parse(row.person) as Person), connections: row.connections } };
  }

  /** The deltas that turn what is recorded for shard `index` into `snapshot` (who it holds now). */
  reconcile(index: number, snapshot: readonly PresenceDelta[]): PresenceDelta[] {
    if (!this.#state) return [];
    const counted = new Map<string, PresenceDelta>();
    for (const row of this.#storage.sql.exec<PersonRow>(
      "SELECT key, person, connections FROM remote_people WHERE shard = ?",
      index,
    )) {
      counted.set(row.key, { key: row.key, person: JSON.parse(row.person) as Person, delta: -row.connections });
    }
    for (const now of snapshot) {
      const before = counted.get(now.key);
      counted.set(now.key, { key: now.key, person: now.person, delta: now.delta + (before?.delta ?? 0) });
    }
    return [...counted.values()].filter((d) => d.delta !== 0);
  }
}
