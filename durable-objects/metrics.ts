/**
 * Metrics: the edge's counters per minute and its security events, summed over every isolate.
 * One named instance (`METRICS.getByName("global")`) keeps them in SQLite:
 *
 * - `minutes`: one row per minute (requests, status classes, blocked, would-block,
 *   rate-limited, origin calls, cache hits, latency histogram, security events seen/kept);
 * - `breakdown`: per minute and dimension (class, rule, wouldBlock, policy, country, path, ip)
 *   at most `MAX_KEYS_PER_DIMENSION` keys, the rest summed under `OTHER_KEY`;
 * - `events`: security events, at most the batch's `eventsPerMinute` per minute over all
 *   isolates and `MAX_STORED_EVENTS` in all (a ring: the oldest go first).
 *
 * Everything older than `RETENTION_MINUTES` (7 days) is deleted on the next write. Isolates
 * write with `ingest` (src/lib/metrics/flush.ts); the admin routes read with `report` and `events`.
 * Each call is synchronous SQL with no await inside, so it is atomic.
 */
import { DurableObject } from "cloudflare:workers";
import { buildReport, type MetricsReport } from "../src/lib/metrics/report.ts";
import {
  DIMENSIONS,
  LATENCY_BUCKETS,
  MAX_KEYS_PER_DIMENSION,
  MAX_STORED_EVENTS,
  OTHER_KEY,
  RETENTION_MINUTES,
  type EventsQuery,
  type MetricsBatch,
  type MetricsQuery,
  type MinuteRow,
  type StoredEvent,
} from "../src/lib/metrics/shape.ts";

/** Minutes further in the future than this (a skewed clock) are not stored. */
const MAX_FUTURE_MINUTES = 5;
const DIMENSION_SET: ReadonlySet<string> = new Set(DIMENSIONS);

interface MinuteSqlRow {
  minute: number;
  requests: number;
  status: string;
  blocked: number;
  would_block: number;
  rate_limited: number;
  origin_calls: number;
  cache_hits: number;
  latency: string;
  events_seen: number;
  events_kept: number;
  [key: string]: SqlStorageValue;
}

interface EventSqlRow {
  id: number;
  at: number;
  request_id: string;
  rule_ids: string;
  class: string | null;
  part: string | null;
  excerpt: string | null;
  action: string;
  country: string | null;
  colo: string | null;
  ip: string | null;
  method: string;
  path: string;
  [key: string]: SqlStorageValue;
}

function numbers(text: string, length: number): number[] {
  const out = new Array<number>(length).fill(0);
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed)) parsed.slice(0, length).forEach((n, i) => (out[i] = typeof n === "number" ? n : 0));
  } catch {
    // A damaged row counts as zeros.
  }
  return out;
}

const add = (a: number[], b: readonly number[]) => a.map((n, i) => n + (b[i] ?? 0));

export class Metrics extends DurableObject<Env> {
  #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => {
      this.#sql.exec(`CREATE TABLE IF NOT EXISTS minutes (
        minute INTEGER PRIMARY KEY,
        requests INTEGER NOT NULL,
        status TEXT NOT NULL,
        blocked INTEGER NOT NULL,
        would_block INTEGER NOT NULL,
        rate_limited INTEGER NOT NULL,
        origin_calls INTEGER NOT NULL,
        cache_hits INTEGER NOT NULL,
        latency TEXT NOT NULL,
        events_seen INTEGER NOT NULL,
        events_kept INTEGER NOT NULL
      )`);
      this.#sql.exec(`CREATE TABLE IF NOT EXISTS breakdown (
        minute INTEGER NOT NULL,
        dim TEXT NOT NULL,
        key TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (minute, dim, key)
      ) WITHOUT ROWID`);
      this.#sql.exec(`CREATE TABLE IF NOT EXISTS events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        request_id TEXT NOT NULL,
        rule_ids TEXT NOT NULL,
        class TEXT,
        part TEXT,
        excerpt TEXT,
        action TEXT NOT NULL,
        country TEXT,
        colo TEXT,
        ip TEXT,
        method TEXT NOT NULL,
        path TEXT NOT NULL
      )`);
      this.#sql.exec("CREATE INDEX IF NOT EXISTS events_at ON events (at)");
    });
  }

  #minute(minute: number): MinuteRow | undefined {
    const row = this.#sql.exec<MinuteSqlRow>("SELECT * FROM minutes WHERE minute = ?", minute).toArray()[0];
    return row === undefined ? undefined : this.#row(row);
  }

  #row(r: MinuteSqlRow): MinuteRow {
    return {
      minute: r.minute,
      requests: r.requests,
      status: numbers(r.status, 5),
      blocked: r.blocked,
      wouldBlock: r.would_block,
      rateLimited: r.rate_limited,
      originCalls: r.origin_calls,
      cacheHits: r.cache_hits,
      latency: numbers(r.latency, LATENCY_BUCKETS),
      eventsSeen: r.events_seen,
      eventsKept: r.events_kept,
    };
  }

  /** Keeps the `MAX_KEYS_PER_DIMENSION` biggest keys of a minute's dimension; the rest go to `OTHER_KEY`. */
  #capDimension(minute: number, dim: string): void {
    const rows = this.#sql
      .exec<{ key: string; n: number }>(
        "SELECT key, n FROM breakdown WHERE minute = ? AND dim = ? AND key != ? ORDER BY n DESC, key",
        minute,
        dim,
        OTHER_KEY,
      )
      .toArray();
    const hasOther =
      this.#sql
        .exec("SELECT 1 FROM breakdown WHERE minute = ? AND dim = ? AND key = ?", minute, dim, OTHER_KEY)
        .toArray().length > 0;
    if (rows.length + (hasOther ? 1 : 0) <= MAX_KEYS_PER_DIMENSION) return;
    const dropped = rows.slice(MAX_KEYS_PER_DIMENSION - 1);
    let moved = 0;
    for (const r of dropped) {
      moved += r.n;
      this.#sql.exec("DELETE FROM breakdown WHERE minute = ? AND dim = ? AND key = ?", minute, dim, r.key);
    }
    this.#addKey(minute, dim, OTHER_KEY, moved);
  }

  #addKey(minute: number, dim: string, key: string, n: number): void {
    this.#sql.exec(
      "INSERT INTO breakdown (minute, dim, key, n) VALUES (?, ?, ?, ?) ON CONFLICT (minute, dim, key) DO UPDATE SET n = n + excluded.n",
      minute,
      dim,
      key,
      n,
    );
  }

  /** Adds one isolate's counters; returns how many security events were stored. */
  async ingest(batch: MetricsBatch): Promise<{ minutes: number; events: number }> {
    const now = Date.now();
    const nowMinute = Math.floor(now / 60_000);
    const oldest = nowMinute - RETENTION_MINUTES;
    let minutes = 0;
    let stored = 0;
    for (const m of batch.minutes) {
      if (!Number.isInteger(m.minute) || m.minute < oldest || m.minute > nowMinute + MAX_FUTURE_MINUTES) continue;
      minutes++;
      const before = this.#minute(m.minute);
      const room = Math.max(0, batch.eventsPerMinute - (before?.eventsKept ?? 0));
      const events = m.events.slice(0, room);
      for (const e of events) {
        this.#sql.exec(
          `INSERT INTO events (at, request_id, rule_ids, class, part, excerpt, action, country, colo, ip, method, path)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          e.at,
          e.requestId,
          `,${e.ruleIds.join(",")},`,
          e.class,
          e.part,
          e.excerpt,
          e.action,
          e.country,
          e.colo,
          e.ip,
          e.method,
          e.path,
        );
      }
      stored += events.length;
      const status = add(before?.status ?? [0, 0, 0, 0, 0], m.status);
      const latency = add(before?.latency ?? new Array<number>(LATENCY_BUCKETS).fill(0), m.latency);
      this.#sql.exec(
        `INSERT OR REPLACE INTO minutes (minute, requests, status, blocked, would_block, rate_limited, origin_calls,
           cache_hits, latency, events_seen, events_kept) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        m.minute,
        (before?.requests ?? 0) + m.requests,
        JSON.stringify(status),
        (before?.blocked ?? 0) + m.blocked,
        (before?.wouldBlock ?? 0) + m.wouldBlock,
        (before?.rateLimited ?? 0) + m.rateLimited,
        (before?.originCalls ?? 0) + m.originCalls,
        (before?.cacheHits ?? 0) + m.cacheHits,
        JSON.stringify(latency),
        (before?.eventsSeen ?? 0) + m.eventsSeen,
        (before?.eventsKept ?? 0) + events.length,
      );
      for (const [dim, keys] of Object.entries(m.breakdown)) {
        if (!DIMENSION_SET.has(dim) || keys === undefined) continue;
        for (const [key, n] of Object.entries(keys)) this.#addKey(m.minute, dim, key.slice(0, 256), n);
        this.#capDimension(m.minute, dim);
      }
    }
    this.#sql.exec("DELETE FROM minutes WHERE minute < ?", oldest);
    this.#sql.exec("DELETE FROM breakdown WHERE minute < ?", oldest);
    this.#sql.exec("DELETE FROM events WHERE at < ?", oldest * 60_000);
    this.#sql.exec("DELETE FROM events WHERE id <= (SELECT MAX(id) FROM events) - ?", MAX_STORED_EVENTS);
    return { minutes, events: stored };
  }

  /** Time series and breakdowns of `[fromMinute, toMinute)`. */
  async report(q: MetricsQuery): Promise<MetricsReport> {
    const rows = this.#sql
      .exec<MinuteSqlRow>(
        "SELECT * FROM minutes WHERE minute >= ? AND minute < ? ORDER BY minute",
        q.fromMinute,
        q.toMinute,
      )
      .toArray()
      .map((r) => this.#row(r));
    const keys = this.#sql
      .exec<{ dim: string; key: string; n: number }>(
        "SELECT dim, key, SUM(n) AS n FROM breakdown WHERE minute >= ? AND minute < ? GROUP BY dim, key",
        q.fromMinute,
        q.toMinute,
      )
      .toArray();
    return buildReport(q, rows, keys);
  }

  /** Security events, newest first. */
  async events(q: EventsQuery): Promise<StoredEvent[]> {
    const where: string[] = [];
    const args: SqlStorageValue[] = [];
    if (q.before !== undefined) {
      where.push("id < ?");
      args.push(q.before);
    }
    if (q.rule !== undefined) {
      where.push("instr(rule_ids, ?) > 0");
      args.push(`,${q.rule},`);
    }
    if (q.class !== undefined) {
      where.push("class = ?");
      args.push(q.class);
    }
    if (q.ip !== undefined) {
      where.push("ip = ?");
      args.push(q.ip);
    }
    if (q.action !== undefined) {
      where.push("action = ?");
      args.push(q.action);
    }
    // Only fixed clauses are joined; every value is a bound parameter.
    const sql = `SELECT * FROM events ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
    return this.#sql
      .exec<EventSqlRow>(sql, ...args, q.limit)
      .toArray()
      .map((r) => ({
        id: r.id,
        at: r.at,
        requestId: r.request_id,
        ruleIds: r.rule_ids.split(",").filter(Boolean),
        class: r.class,
        part: r.part,
        excerpt: r.excerpt,
        action: r.action === "log" ? "log" : "block",
        country: r.country,
        colo: r.colo,
        ip: r.ip,
        method: r.method,
        path: r.path,
      }));
  }
}
