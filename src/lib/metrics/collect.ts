/**
 * Per-isolate collection of the edge's counters: `recordRequest` adds one request to the
 * current minute's counters in memory (a few increments; security events and breakdown keys
 * only for blocked, would-block and rate-limited requests), `takePending` hands everything
 * counted so far to a flush and starts afresh, `restorePending` puts a batch back when the flush
 * could not deliver it.
 *
 * Bounds (an isolate that cannot flush loses the oldest minutes, never grows without end):
 * at most `MAX_PENDING_MINUTES` minutes, `MAX_KEYS_PER_DIMENSION` keys per breakdown and minute
 * (the rest under `OTHER_KEY`), and `eventsPerMinute` security events per minute, sampled
 * uniformly (reservoir) from all the minute's events when there are more.
 */
import type { RequestLogFields } from "../log.ts";
import {
  LATENCY_BUCKETS,
  MAX_KEYS_PER_DIMENSION,
  MAX_PATH_CHARS,
  OTHER_KEY,
  latencyBucket,
  type Dimension,
  type MinuteCounts,
  type SecurityEvent,
} from "./shape.ts";

/** Minutes kept while the Metrics object cannot be reached. */
export const MAX_PENDING_MINUTES = 15;

/** What the request's context knows when its response is ready. */
export interface RequestRecord {
  now: number;
  status: number;
  durationMs: number;
  method: string;
  path: string;
  requestId: string;
  /**
   * Where the request came from, as every check saw it (`c.get("visitor")`); read only for
   * blocked and would-block requests (its place may be computed on first read).
   */
  visitor: { readonly country: string | null; readonly colo: string | null; readonly ip: string | null };
  /** The outcome fields of the request's log line (`waf`, `ratelimit`, `aiOrigin`, `aiCache`). */
  fields: RequestLogFields;
  /** Security events kept per minute (0: none). */
  eventsPerMinute: number;
}

interface WafFields {
  action?: unknown;
  ruleId?: unknown;
  ruleIds?: unknown;
  class?: unknown;
  part?: unknown;
  excerpt?: unknown;
}

let pending = new Map<number, MinuteCounts>();
/** The minute most requests land in: no map lookup for them. */
let current: MinuteCounts | undefined;

/** A minute with nothing counted yet. */
export function emptyMinute(minute: number): MinuteCounts {
  return {
    minute,
    requests: 0,
    status: [0, 0, 0, 0, 0],
    blocked: 0,
    wouldBlock: 0,
    rateLimited: 0,
    originCalls: 0,
    cacheHits: 0,
    latency: new Array<number>(LATENCY_BUCKETS).fill(0),
    breakdown: {},
    events: [],
    eventsSeen: 0,
  };
}

function minuteOf(minute: number): MinuteCounts {
  if (current !== undefined && current.minute === minute) return current;
  let m = pending.get(minute);
  if (m === undefined) {
    m = emptyMinute(minute);
    pending.set(minute, m);
    if (pending.size > MAX_PENDING_MINUTES) {
      let oldest = minute;
      for (const k of pending.keys()) if (k < oldest) oldest = k;
      pending.delete(oldest);
    }
  }
  if (current === undefined || minute >= current.minute) current = m;
  return m;
}

function count(m: MinuteCounts, dim: Dimension, key: string | null, by = 1): void {
  let keys = m.breakdown[dim];
  if (keys === undefined) keys = m.breakdown[dim] = {};
  let k = key ?? "unknown";
  if (!Object.hasOwn(keys, k)) {
    let size = 0;
    for (const _ in keys) size++;
    // One place is kept for the rest.
    if (size >= MAX_KEYS_PER_DIMENSION - 1) k = OTHER_KEY;
  }
  keys[k] = (keys[k] ?? 0) + by;
}

function str(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}

function noteEvent(m: MinuteCounts, r: RequestRecord, waf: WafFields, action: "block" | "log"): void {
  if (r.eventsPerMinute <= 0) return;
  m.eventsSeen++;
  let slot = m.events.length;
  if (slot >= r.eventsPerMinute) {
    // Reservoir sampling: every event of the minute has the same chance to be kept.
    slot = Math.floor(Math.random() * m.eventsSeen);
    if (slot >= r.eventsPerMinute) return;
  }
  const ruleId = str(waf.ruleId);
  const ruleIds = Array.isArray(waf.ruleIds)
    ? waf.ruleIds.filter((x): x is string => typeof x === "string")
    : ruleId !== null
      ? [ruleId]
      : [];
  m.events[slot] = {
    at: r.now,
    requestId: r.requestId,
    ruleIds,
    class: str(waf.class),
    part: str(waf.part),
    excerpt: str(waf.excerpt),
    action,
    country: r.visitor.country,
    colo: r.visitor.colo,
    ip: r.visitor.ip,
    method: r.method,
    path: r.path.length > MAX_PATH_CHARS ? r.path.slice(0, MAX_PATH_CHARS) : r.path,
  } satisfies SecurityEvent;
}

/** Adds one finished request to this isolate's counters. */
export function recordRequest(r: RequestRecord): void {
  const m = minuteOf(Math.floor(r.now / 60_000));
  m.requests++;
  const cls = Math.floor(r.status / 100) - 1;
  if (cls >= 0 && cls < 5) m.status[cls]!++;
  m.latency[latencyBucket(r.durationMs)]!++;

  const fields = r.fields;
  const waf = fields.waf as WafFields | undefined;
  if (waf !== undefined && waf.action !== "allow") {
    const ruleId = str(waf.ruleId);
    if (waf.action === "block") {
      m.blocked++;
      count(m, "class", str(waf.class));
      count(m, "rule", ruleId);
      count(m, "country", r.visitor.country);
      count(m, "path", r.path.length > MAX_PATH_CHARS ? r.path.slice(0, MAX_PATH_CHARS) : r.path);
      count(m, "ip", r.visitor.ip);
      noteEvent(m, r, waf, "block");
    } else if (waf.action === "log") {
      m.wouldBlock++;
      count(m, "wouldBlock", ruleId);
      noteEvent(m, r, waf, "log");
    }
  }
  const rl = fields.ratelimit as { limited?: unknown; policy?: unknown } | undefined;
  if (rl !== undefined && rl.limited === true) {
    m.rateLimited++;
    count(m, "policy", str(rl.policy));
  }
  const origin = fields.aiOrigin as { attempts?: unknown } | undefined;
  if (origin !== undefined && typeof origin.attempts === "number") m.originCalls += origin.attempts;
  const cache = fields.aiCache;
  if (typeof cache === "string" && cache !== "miss") m.cacheHits++;
}

/** Whether anything was counted since the last `takePending`. */
export function hasPending(): boolean {
  return pending.size > 0;
}

/** Everything counted so far, oldest minute first; the counters start afresh. */
export function takePending(): MinuteCounts[] {
  if (pending.size === 0) return [];
  const out = [...pending.values()].sort((a, b) => a.minute - b.minute);
  pending = new Map();
  current = undefined;
  return out;
}

/** Puts back minutes a flush could not deliver (merged with what was counted meanwhile). */
export function restorePending(minutes: MinuteCounts[], eventsPerMinute: number): void {
  for (const old of minutes) {
    const m = pending.get(old.minute);
    if (m === undefined) {
      pending.set(old.minute, old);
      continue;
    }
    m.requests += old.requests;
    m.blocked += old.blocked;
    m.wouldBlock += old.wouldBlock;
    m.rateLimited += old.rateLimited;
    m.originCalls += old.originCalls;
    m.cacheHits += old.cacheHits;
    old.status.forEach((n, i) => (m.status[i]! += n));
    old.latency.forEach((n, i) => (m.latency[i]! += n));
    for (const [dim, keys] of Object.entries(old.breakdown) as Array<[Dimension, Record<string, number>]>)
      for (const [key, n] of Object.entries(keys)) count(m, dim, key, n);
    m.eventsSeen += old.eventsSeen;
    for (const e of old.events) if (m.events.length < eventsPerMinute) m.events.push(e);
  }
  // Oldest first out when the isolate has kept too much.
  const minutesKept = [...pending.keys()].sort((a, b) => a - b);
  for (const minute of minutesKept.slice(0, Math.max(0, minutesKept.length - MAX_PENDING_MINUTES)))
    pending.delete(minute);
  current = undefined;
}
