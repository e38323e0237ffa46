/**
 * Verification keys for access tokens: an inline JWKS (`JWT_PUBLIC_JWKS`), a remote JWKS
 * (`JWT_JWKS_URL`) or an HS256 secret.
 *
 * A remote key set lives in two places: in this isolate, and in the Workers Cache API (a
 * named cache, one copy per location) so other isolates and later cold starts reuse it
 * instead of asking the identity provider again. A named cache, not `caches.default`: if the
 * JWKS URL is on the Worker's own zone, the default cache may hold the zone's responses for
 * it, and our entry (with its own lifetime and headers) must neither shadow them nor be
 * shadowed by them. Freshness follows the provider's `Cache-Control` within bounds; a stale
 * set is refreshed after the response (`waitUntil`) while requests keep using it, and when
 * the provider fails it keeps working for up to 24 h (stale-if-error).
 *
 * workerd cancels a request's wait on a promise that another request created, so a request
 * never waits on another's fetch. Instead, a request that finds no keys while another request
 * of this isolate is fetching polls the isolate's state on its own timer for a short window,
 * then fetches itself: a burst of first requests costs one fetch, and none fails closed
 * because someone else was busy. The refetch cooldown applies only to unknown-`kid` refetches
 * while a set is held, so a flood of made-up `kid`s costs the provider one request per cooldown.
 */
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import { withTimeout } from "../timeout.ts";

/** Freshness of a remote set when the provider sends no usable `Cache-Control: max-age`. */
export const JWKS_DEFAULT_FRESH_MS = 10 * 60_000;
/** Bounds on the provider's `max-age`: not refetched more often, nor trusted for longer. */
export const JWKS_MIN_FRESH_MS = 60_000;
export const JWKS_MAX_FRESH_MS = 60 * 60_000;
/** How long past its freshness a set still serves while the provider fails. */
export const JWKS_STALE_IF_ERROR_MS = 24 * 60 * 60_000;
/** Least time between refetches caused by an unknown `kid` (or a failing refresh). */
export const JWKS_COOLDOWN_MS = 30_000;
export const JWKS_FETCH_TIMEOUT_MS = 3_000;
/** How long a request with no keys waits for another request's fetch before fetching itself. */
export const JWKS_COLD_WAIT_MS = 1_000;
/** After a failed fetch with no keys at all, refuse without fetching for this long. */
export const JWKS_FAILURE_BACKOFF_MS = 1_000;
const COLD_POLL_MS = 5;
const SHARED_CACHE_TIMEOUT_MS = 500;
const MAX_CLOCK_SKEW_MS = 60_000;
const MAX_JWKS_BYTES = 64 * 1024;
const FETCHED_AT = "x-jwks-fetched-at";
const FRESH_MS = "x-jwks-fresh-ms";

/** One version of a remote key set. `keys` keeps its identity while the set's text is unchanged. */
interface KeySet {
  text: string;
  keys: JWTVerifyGetKey;
  kids: Set<string>;
  fetchedAt: number;
  freshUntil: number;
  usableUntil: number;
}

interface RemoteState {
  set?: KeySet;
  /** A fetch in flight in this isolate: when it began, and whose it is. */
  loading?: { since: number; owner: object };
  /** Last time the provider was asked (cooldown for unknown-kid refetches and failing refreshes). */
  askedAt: number;
  /** Last failed fetch while no set was held. */
  failedAt: number;
}

interface Fetched {
  text: string;
  jwks: JSONWebKeySet;
  fetchedAt: number;
  freshMs: number;
}

const remote = new Map<string, RemoteState>();
const inline = new Map<string, JWTVerifyGetKey>();

function isJwks(value: unknown): value is JSONWebKeySet {
  return typeof value === "object" && value !== null && Array.isArray((value as { keys?: unknown }).keys);
}

/** Verification keys from an inline JWKS JSON string (parsed once per isolate). */
export function inlineKeys(jwksJson: string): JWTVerifyGetKey {
  let keys = inline.get(jwksJson);
  if (!keys) {
    const parsed: unknown = JSON.parse(jwksJson);
    if (!isJwks(parsed)) throw new Error("JWT_PUBLIC_JWKS is not a JWK set");
    keys = createLocalJWKSet(parsed);
    inline.set(jwksJson, keys);
  }
  return keys;
}

function parseJwks(text: string): JSONWebKeySet {
  if (text.length > MAX_JWKS_BYTES) throw new Error("JWKS too large");
  const parsed: unknown = JSON.parse(text);
  if (!isJwks(parsed)) throw new Error("not a JWK set");
  return parsed;
}

const clamp = (ms: number) => Math.min(JWKS_MAX_FRESH_MS, Math.max(JWKS_MIN_FRESH_MS, ms));

/** Freshness from the provider's `Cache-Control` (`s-maxage` over `max-age`, less `Age`), bounded. */
export function freshnessFrom(cacheControl: string | null, age: string | null): number {
  if (!cacheControl) return JWKS_DEFAULT_FRESH_MS;
  const directives = new Map<string, string>();
  for (const part of cacheControl.toLowerCase().split(",")) {
    const [name = "", value = ""] = part.split("=", 2).map((s) => s.trim());
    if (name) directives.set(name, value.replace(/^"|"$/g, ""));
  }
  if (directives.has("no-store") || directives.has("no-cache")) return JWKS_MIN_FRESH_MS;
  const raw = directives.get("s-maxage") ?? directives.get("max-age");
  if (raw === undefined || !/^\d{1,10}$/.test(raw)) return JWKS_DEFAULT_FRESH_MS;
  const ageSeconds = age !== null && /^\d{1,10}$/.test(age.trim()) ? Number(age.trim()) : 0;
  return clamp((Number(raw) - ageSeconds) * 1000);
}

async function fetchFromProvider(url: string, now: number): Promise<Fetched> {
  const res = await withTimeout(
    fetch(url, { headers: { accept: "application/jwk-set+json, application/json" } }),
    JWKS_FETCH_TIMEOUT_MS,
  );
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`JWKS endpoint answered ${res.status}`);
  }
  const text = await withTimeout(res.text(), JWKS_FETCH_TIMEOUT_MS);
  return {
    text,
    jwks: parseJwks(text),
    fetchedAt: now,
    freshMs: freshnessFrom(res.headers.get("cache-control"), res.headers.get("age")),
  };
}

/** The Cache API namespace holding shared key sets, keyed by the JWKS URL. */
export const JWKS_SHARED_CACHE = "edge-auth-jwks";

async function sharedCache(): Promise<Cache | undefined> {
  try {
    return typeof caches === "undefined"
      ? undefined
      : await withTimeout(caches.open(JWKS_SHARED_CACHE), SHARED_CACHE_TIMEOUT_MS);
  } catch {
    return undefined;
  }
}

/** The location's shared copy, if any and well-formed. Never throws. */
async function readShared(url: string, now: number): Promise<Fetched | undefined> {
  const cache = await sharedCache();
  if (!cache) return undefined;
  try {
    const res = await withTimeout(cache.match(url), SHARED_CACHE_TIMEOUT_MS);
    if (!res) return undefined;
    const fetchedAt = Number(res.headers.get(FETCHED_AT));
    const freshMs = Number(res.headers.get(FRESH_MS));
    const text = await withTimeout(res.text(), SHARED_CACHE_TIMEOUT_MS);
    // Another isolate's clock may be a little ahead; a copy from far in the future is not trusted.
    if (!Number.isFinite(fetchedAt) || !Number.isFinite(freshMs) || fetchedAt > now + MAX_CLOCK_SKEW_MS)
      return undefined;
    return { text, jwks: parseJwks(text), fetchedAt, freshMs: clamp(freshMs) };
  } catch {
    return undefined;
  }
}

/** Stores a set for other isolates of this location, kept long enough to serve stale-if-error. */
async function writeShared(url: string, f: Fetched): Promise<void> {
  const cache = await sharedCache();
  if (!cache) return;
  const maxAge = Math.ceil((f.freshMs + JWKS_STALE_IF_ERROR_MS) / 1000);
  const res = new Response(f.text, {
    headers: {
      "content-type": "application/jwk-set+json",
      "cache-control": `public, max-age=${maxAge}`,
      [FETCHED_AT]: String(f.fetchedAt),
      [FRESH_MS]: String(f.freshMs),
    },
  });
  try {
    await withTimeout(cache.put(url, res), SHARED_CACHE_TIMEOUT_MS);
  } catch {
    // The shared copy is an optimisation; this isolate keeps its own.
  }
}

function kidsOf(jwks: JSONWebKeySet): Set<string> {
  return new Set(jwks.keys.map((k) => k.kid).filter((k): k is string => typeof k === "string"));
}

/** Makes `f` the isolate's set unless the held one is newer; unchanged text keeps the same `keys`. */
function adopt(st: RemoteState, f: Fetched): void {
  const held = st.set;
  if (held && held.fetchedAt > f.fetchedAt) return;
  const keys = held && held.text === f.text ? held.keys : createLocalJWKSet(f.jwks);
  const freshUntil = f.fetchedAt + f.freshMs;
  st.set = {
    text: f.text,
    keys,
    kids: kidsOf(f.jwks),
    fetchedAt: f.fetchedAt,
    freshUntil,
    usableUntil: freshUntil + JWKS_STALE_IF_ERROR_MS,
  };
}

const isFresh = (f: Fetched, now: number) => now - f.fetchedAt < f.freshMs;
const isUsable = (f: Fetched, now: number) => now - f.fetchedAt < f.freshMs + JWKS_STALE_IF_ERROR_MS;

/**
 * One load of the set for this request: the shared copy when it will do, else the provider
 * (then shared), else a stale copy. `wantKid`: only a shared copy holding that kid will do.
 */
async function load(url: string, st: RemoteState, now: number, wantKid?: string): Promise<void> {
  const owner = {};
  st.loading = { since: Date.now(), owner };
  try {
    const shared = await readShared(url, now);
    const newer = shared && (!st.set || shared.fetchedAt > st.set.fetchedAt);
    if (shared && newer && isFresh(shared, now) && (wantKid === undefined || kidsOf(shared.jwks).has(wantKid))) {
      adopt(st, shared);
      return;
    }
    st.askedAt = now;
    try {
      const fetched = await fetchFromProvider(url, now);
      adopt(st, fetched);
      await writeShared(url, fetched);
    } catch {
      // stale-if-error: a stale shared copy beats none; otherwise keep what is held.
      if (shared && isUsable(shared, now)) adopt(st, shared);
      if (!st.set) st.failedAt = now;
    }
  } finally {
    if (st.loading?.owner === owner) st.loading = undefined;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function stateOf(url: string): RemoteState {
  let st = remote.get(url);
  if (!st) {
    st = { askedAt: -Infinity, failedAt: -Infinity };
    remote.set(url, st);
  }
  return st;
}

function heldSet(st: RemoteState, now: number): KeySet | undefined {
  if (st.set && now >= st.set.usableUntil) st.set = undefined;
  return st.set;
}

/**
 * While another request of this isolate is fetching (and not for longer than the cold window),
 * waits on this request's own timer until `done()` holds. Never awaits the other's promise.
 */
async function waitForOthers(st: RemoteState, done: () => boolean): Promise<void> {
  const deadline = Date.now() + JWKS_COLD_WAIT_MS;
  // The count also bounds the wait should the clock not advance across timers.
  for (let polls = 0; polls <= JWKS_COLD_WAIT_MS / COLD_POLL_MS && st.loading && !done(); polls++) {
    const t = Date.now();
    if (t - st.loading.since >= JWKS_COLD_WAIT_MS || t >= deadline) return;
    await sleep(COLD_POLL_MS);
  }
}

/** No keys in this isolate: wait briefly for a fetch in flight, else fetch. */
async function coldKeys(url: string, st: RemoteState, now: number): Promise<void> {
  // Check and claim happen in one synchronous step: an await in between would let every
  // request of a burst see "nobody is fetching" and fetch.
  if (st.loading) {
    await waitForOthers(st, () => heldSet(st, now) !== undefined);
    if (heldSet(st, now)) return;
  }
  // The provider just failed and nothing is held: fail closed without piling on.
  if (Math.abs(now - st.failedAt) < JWKS_FAILURE_BACKOFF_MS) return;
  await load(url, st, now);
}

/**
 * The held set if it is fresh (no I/O needed), for callers that only need to know whether a
 * key they used before is still the one in force.
 */
export function freshRemoteKeys(url: string, now = Date.now()): JWTVerifyGetKey | undefined {
  const set = remote.get(url)?.set;
  return set && now < set.freshUntil ? set.keys : undefined;
}

/** Hands work to the runtime to finish after the response (`ctx.waitUntil`). */
export type Defer = (work: Promise<unknown>) => void;

/**
 * Keys from a remote JWKS for a token with this `kid`. Loads when none are held; refreshes a
 * set past its freshness (one request of the isolate at a time, after the response when
 * `defer` is given, else before it; meanwhile everyone uses the stale set); refetches for an
 * unknown kid at most once per cooldown, and a request whose kid another request is already
 * fetching waits for that instead of being refused.
 */
export async function remoteKeys(
  url: string,
  kid: string | undefined,
  now = Date.now(),
  defer?: Defer,
): Promise<JWTVerifyGetKey | undefined> {
  const st = stateOf(url);
  let held = heldSet(st, now);
  if (!held) {
    // A cold load may bring an older shared copy that lacks this kid: the checks below still apply.
    await coldKeys(url, st, now);
    held = heldSet(st, now);
    if (!held) return undefined;
  }
  // Either direction: a request that began just before another's fetch must not count as cooled.
  const cooled = () => Math.abs(now - st.askedAt) >= JWKS_COOLDOWN_MS;
  if (now >= held.freshUntil) {
    if (!st.loading && cooled()) {
      const refresh = load(url, st, now);
      if (defer) defer(refresh.catch(() => undefined));
      else await refresh;
    }
  } else if (kid !== undefined && !held.kids.has(kid)) {
    const known = () => heldSet(st, now)?.kids.has(kid) === true;
    if (st.loading) await waitForOthers(st, known);
    if (!known() && !st.loading && cooled()) await load(url, st, now, kid);
  }
  return heldSet(st, now)?.keys;
}

/** Test hook: forget this isolate's key sets (as a new isolate would). The shared copy stays. */
export function resetKeyCaches(): void {
  remote.clear();
  inline.clear();
}
