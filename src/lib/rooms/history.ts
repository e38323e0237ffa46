/**
 * A room's durable state in the object's SQLite storage: the epoch (a random id created with
 * the storage, so a wiped room is told apart from the old one), the head seq, the message
 * history and the `clientMsgId` dedupe table. Every method is synchronous SQL, so a caller
 * that assigns a seq and broadcasts in the same turn keeps the room's total order.
 *
 * Retention (`HistoryLimits`, retention.ts): by age, count and size, oldest first; trimmed every
 * 100 messages, when a message takes the size over its bound, and by the room's alarm. Seqs are
 * contiguous and never reused, so "is everything after N still here" is one comparison with the
 * oldest stored seq: a resume inside what is kept replays exactly, one outside gets `reset`.
 */
import type { HistoryPage, HistoryQuery } from "./api.ts";
import type { RoomSettings } from "./policy.ts";
import { historyMessage, type NewMessage, type StoredMessage } from "./messages.ts";
import { DEDUPE_WINDOW_MS, type ResetReason } from "./protocol.ts";
import { SIZE_SQL, sizeOf, type HistoryLimits } from "./retention.ts";

export { historyMessage, messageFrame, type NewMessage, type StoredMessage } from "./messages.ts";

interface MessageRow {
  seq: number;
  id: string;
  client_msg_id: string | null;
  user_id: string;
  tenant: string | null;
  conn_id: string | null;
  event: string;
  data: string;
  ts: number;
  [key: string]: SqlStorageValue;
}

const TRIM_EVERY = 100;
const COLUMNS = "seq, id, client_msg_id, user_id, tenant, conn_id, event, data, ts";

const fromRow = (r: MessageRow): StoredMessage => ({
  seq: r.seq,
  id: r.id,
  clientMsgId: r.client_msg_id,
  userId: r.user_id,
  tenant: r.tenant,
  connId: r.conn_id,
  event: r.event,
  dataJson: r.data,
  ts: r.ts,
});

/** Who a `clientMsgId` belongs to: the user, and in a shared room the user of that tenant. */
function dedupeOwner(userId: string, tenant: string | null): string {
  return tenant === null ? userId : JSON.stringify([tenant, userId]);
}

export class RoomHistory {
  readonly #sql: SqlStorage;
  #epoch: string;
  #head: number;
  #room: string | undefined;
  #shared = false;
  #settings: RoomSettings | undefined;
  #settingsJson: string | undefined;
  /** Size of the stored messages (`sizeOf`), read from storage on first need. */
  #bytes: number | undefined;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS room_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS messages (
      seq INTEGER PRIMARY KEY,
      id TEXT NOT NULL,
      client_msg_id TEXT,
      user_id TEXT NOT NULL,
      tenant TEXT,
      conn_id TEXT,
      event TEXT NOT NULL,
      data TEXT NOT NULL,
      ts INTEGER NOT NULL
    )`);
    sql.exec(`CREATE TABLE IF NOT EXISTS dedupe (
      user_id TEXT NOT NULL,
      client_msg_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      id TEXT NOT NULL,
      at INTEGER NOT NULL,
      PRIMARY KEY (user_id, client_msg_id)
    ) WITHOUT ROWID`);
    sql.exec(`CREATE INDEX IF NOT EXISTS dedupe_at ON dedupe (at)`);
    const meta = new Map(
      sql
        .exec<{ key: string; value: string }>("SELECT key, value FROM room_meta")
        .toArray()
        .map((r) => [r.key, r.value]),
    );
    let epoch = meta.get("epoch");
    if (epoch === undefined) {
      epoch = crypto.randomUUID().replaceAll("-", "");
      sql.exec(
        "INSERT INTO room_meta (key, value) VALUES ('epoch', ?), ('head_seq', '0'), ('created_at', ?)",
        epoch,
        String(Date.now()),
      );
    }
    this.#epoch = epoch;
    this.#head = Number(meta.get("head_seq") ?? 0);
    this.#room = meta.get("room");
    this.#shared = meta.get("shared") === "1";
    this.#settingsJson = meta.get("settings");
    if (this.#settingsJson !== undefined) this.#settings = JSON.parse(this.#settingsJson) as RoomSettings;
  }

  /** The settings the Worker last sent (`RoomSettings`), if it ever sent any. */
  get settings(): RoomSettings | undefined {
    return this.#settings;
  }

  /** Keeps the Worker's latest settings (stored only when they changed). */
  adoptSettings(settings: RoomSettings): void {
    const json = JSON.stringify(settings);
    if (json === this.#settingsJson) return;
    this.#settings = settings;
    this.#settingsJson = json;
    this.#sql.exec("INSERT OR REPLACE INTO room_meta (key, value) VALUES ('settings', ?)", json);
  }

  /** The room's name as the caller sees it (without the tenant); stored so a woken object knows it. */
  get room(): string {
    return this.#room ?? "";
  }

  /** Whether the room is shared across tenants (its object is addressed without a tenant). */
  get shared(): boolean {
    return this.#shared;
  }

  adoptRoom(room: string, shared: boolean): void {
    if (this.#room === room && this.#shared === shared) return;
    this.#room = room;
    this.#shared = shared;
    this.#sql.exec(
      "INSERT OR REPLACE INTO room_meta (key, value) VALUES ('room', ?), ('shared', ?)",
      room,
      shared ? "1" : "0",
    );
  }

  get epoch(): string {
    return this.#epoch;
  }

  get headSeq(): number {
    return this.#head;
  }

  /** The message a `clientMsgId` from this user already produced within the dedupe window. */
  duplicate(
    userId: string,
    tenant: string | null,
    clientMsgId: string,
    now: number,
  ): { seq: number; id: string } | undefined {
    return this.#sql
      .exec<{ seq: number; id: string }>(
        "SELECT seq, id FROM dedupe WHERE user_id = ? AND client_msg_id = ? AND at > ?",
        dedupeOwner(userId, tenant),
        clientMsgId,
        now - DEDUPE_WINDOW_MS,
      )
      .toArray()[0];
  }

  /** Stores a message under the next seq and keeps `limits`. The caller broadcasts it in the same turn. */
  append(message: NewMessage, now: number, limits: HistoryLimits): StoredMessage {
    const seq = this.#head + 1;
    const before = this.#storedBytes();
    const stored: StoredMessage = {
      seq,
      id: crypto.randomUUID(),
      clientMsgId: message.clientMsgId ?? null,
      userId: message.userId,
      tenant: message.tenant,
      connId: message.connId,
      event: message.event,
      dataJson: message.dataJson,
      ts: now,
    };
    this.#sql.exec(
      `INSERT INTO messages (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      seq,
      stored.id,
      stored.clientMsgId,
      stored.userId,
      stored.tenant,
      stored.connId,
      stored.event,
      stored.dataJson,
      now,
    );
    this.#sql.exec("UPDATE room_meta SET value = ? WHERE key = 'head_seq'", String(seq));
    if (stored.clientMsgId !== null) {
      this.#sql.exec(
        "INSERT OR REPLACE INTO dedupe (user_id, client_msg_id, seq, id, at) VALUES (?, ?, ?, ?, ?)",
        dedupeOwner(stored.userId, stored.tenant),
        stored.clientMsgId,
        seq,
        stored.id,
        now,
      );
    }
    this.#head = seq;
    this.#bytes = before + sizeOf(stored);
    if (seq % TRIM_EVERY === 0 || this.#bytes > limits.maxBytes) this.trim(now, limits);
    return stored;
  }

  /** Messages with seq > `after`, ascending, at most `limit`. */
  after(after: number, limit: number): StoredMessage[] {
    return this.#sql
      .exec<MessageRow>(`SELECT ${COLUMNS} FROM messages WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
      .toArray()
      .map(fromRow);
  }

  /** Every message with `after` < seq <= `upTo`, ascending, read lazily (for a replay). */
  *stream(after: number, upTo: number = this.#head): Generator<StoredMessage> {
    const rows = this.#sql.exec<MessageRow>(
      `SELECT ${COLUMNS} FROM messages WHERE seq > ? AND seq <= ? ORDER BY seq`,
      after,
      upTo,
    );
    for (const row of rows) yield fromRow(row);
  }

  /** The latest `limit` messages, ascending. */
  latest(limit: number): StoredMessage[] {
    return this.#sql
      .exec<MessageRow>(`SELECT ${COLUMNS} FROM messages ORDER BY seq DESC LIMIT ?`, limit)
      .toArray()
      .reverse()
      .map(fromRow);
  }

  /** A page of history as the HTTP API shows it: after a seq, or the latest messages. */
  page({ after, limit }: HistoryQuery): HistoryPage {
    const first = this.firstSeq();
    let messages: StoredMessage[];
    let hasMore = false;
    if (after === undefined) messages = this.latest(limit);
    else {
      messages = this.after(after, limit + 1);
      hasMore = messages.length > limit;
      if (hasMore) messages.pop();
    }
    return {
      room: this.room,
      epoch: this.#epoch,
      headSeq: String(this.#head),
      firstSeq: first === null ? null : String(first),
      messages: messages.map(historyMessage),
      hasMore,
    };
  }

  firstSeq(): number | null {
    return this.#sql.exec<{ seq: number | null }>("SELECT MIN(seq) AS seq FROM messages").one().seq;
  }

  /**
   * Whether everything after `after` can be replayed within `maxBytes`: `undefined` when it
   * can, otherwise why not. `epoch` is the client's, when it sent one.
   */
  resumeProblem(
    after: number,
    epoch: string | undefined,
    maxBytes: number,
    upTo: number = this.#head,
  ): ResetReason | undefined {
    if (epoch !== undefined && epoch !== this.#epoch) return "epoch_changed";
    if (after > this.#head) return "ahead";
    if (after >= upTo) return undefined;
    const first = this.firstSeq();
    if (first === null || first > after + 1) return "trimmed";
    const { n, bytes } = this.#sql
      .exec<{ n: number; bytes: number }>(
        `SELECT COUNT(*) AS n, COALESCE(SUM(${SIZE_SQL}), 0) AS bytes FROM messages WHERE seq > ? AND seq <= ?`,
        after,
        upTo,
      )
      .one();
    // ~200 bytes of envelope per frame (ids, seq, room, epoch, ts).
    return bytes + n * 200 > maxBytes ? "too_far_behind" : undefined;
  }

  #storedBytes(): number {
    return (this.#bytes ??= this.#sql
      .exec<{ bytes: number }>(`SELECT COALESCE(SUM(${SIZE_SQL}), 0) AS bytes FROM messages`)
      .one().bytes);
  }

  /** Deletes the messages before `seq` (keeping the size in step). */
  #dropBefore(seq: number): void {
    if (this.#bytes !== undefined) {
      const { bytes } = this.#sql
        .exec<{ bytes: number }>(`SELECT COALESCE(SUM(${SIZE_SQL}), 0) AS bytes FROM messages WHERE seq < ?`, seq)
        .one();
      this.#bytes -= bytes;
    }
    this.#sql.exec("DELETE FROM messages WHERE seq < ?", seq);
  }

  /** Drops messages beyond the retention bounds and expired dedupe entries. */
  trim(now: number, limits: HistoryLimits): void {
    // Walks from the oldest seq and stops at the first young enough message: no full scan.
    const young = this.#sql
      .exec<{ seq: number }>("SELECT seq FROM messages WHERE ts >= ? ORDER BY seq LIMIT 1", now - limits.maxAgeMs)
      .toArray()[0];
    this.#dropBefore(Math.max(young?.seq ?? this.#head + 1, this.#head - limits.maxMessages + 1));
    let excess = this.#storedBytes() - limits.maxBytes;
    if (excess > 0) {
      // The oldest go first until the rest fits (the newest message always stays).
      let keepFrom = this.#head;
      for (const row of this.#sql.exec<{ seq: number; size: number }>(
        `SELECT seq, ${SIZE_SQL} AS size FROM messages WHERE seq < ? ORDER BY seq`,
        this.#head,
      )) {
        excess -= row.size;
        if (excess <= 0) {
          keepFrom = row.seq + 1;
          break;
        }
      }
      this.#dropBefore(keepFrom);
    }
    this.#sql.exec("DELETE FROM dedupe WHERE at <= ?", now - DEDUPE_WINDOW_MS);
  }

  /** When the next stored item expires (the oldest message or dedupe entry), if any. */
  nextExpiry(maxAgeMs: number): number | undefined {
    const { m, d } = this.#sql
      .exec<{ m: number | null; d: number | null }>(
        "SELECT (SELECT ts FROM messages ORDER BY seq LIMIT 1) AS m, (SELECT MIN(at) FROM dedupe) AS d",
      )
      .one();
    const times = [m === null ? undefined : m + maxAgeMs, d === null ? undefined : d + DEDUPE_WINDOW_MS].filter(
      (t): t is number => t !== undefined,
    );
    return times.length ? Math.min(...times) : undefined;
  }
}
