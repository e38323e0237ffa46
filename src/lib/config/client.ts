/**
 * Per-isolate copy of the edge config. Requests read the in-memory copy; at most once per
 * refresh interval one request revalidates it against the EdgeConfig object (concurrent
 * requests keep serving the current copy meanwhile). When the object cannot be reached the
 * last good copy keeps being served and `stale` says so. Versions only move forward: a slow
 * revalidation that answers after a newer `adoptConfig` does not replace it.
 */
import { withTimeout } from "../timeout.ts";
import { defaultEdgeConfig, type VersionedConfig } from "./schema.ts";

export const CONFIG_REFRESH_MS = 1_000;
/** A revalidation that takes longer than this counts as a failure (the last good copy is served). */
export const CONFIG_FETCH_TIMEOUT_MS = 1_500;

export interface ConfigSnapshot extends VersionedConfig {
  /** True when the last refresh failed and this copy may be out of date. */
  stale: boolean;
  fetchedAt: number;
}

/** What the isolate needs from the EdgeConfig object (its RPC stub satisfies this). */
export interface EdgeConfigSource {
  current(): Promise<VersionedConfig>;
  /** `null` when `known` is still the current version (the cheap revalidation). */
  currentIfNewer(known: number): Promise<VersionedConfig | null>;
}

let snapshot: ConfigSnapshot | undefined;
let revalidationStartedAt = 0;

async function refresh(source: () => EdgeConfigSource, onError: (err: unknown) => void): Promise<ConfigSnapshot> {
  try {
    const known = snapshot;
    const read = known ? source().currentIfNewer(known.version) : source().current();
    const current = (await withTimeout(read, CONFIG_FETCH_TIMEOUT_MS, "edge config read timed out")) ?? known!;
    // While this read was under way, `adoptConfig` (or another revalidation) may have installed
    // a newer version than the one read: never go back to an older one.
    const latest = snapshot;
    snapshot =
      latest && latest.version > current.version
        ? { ...latest, stale: false, fetchedAt: Date.now() }
        : { version: current.version, config: current.config, stale: false, fetchedAt: Date.now() };
  } catch (err) {
    onError(err);
    // Keep serving the last good copy; without one, the built-in defaults.
    const last = snapshot ?? { version: 0, config: defaultEdgeConfig, fetchedAt: 0, stale: true };
    snapshot = { ...last, stale: true, fetchedAt: Date.now() };
  } finally {
    revalidationStartedAt = 0;
  }
  return snapshot;
}

/**
 * Serve `written` from now on in this isolate (after this isolate wrote it to the EdgeConfig
 * object); an older version than the one already held is ignored.
 */
export function adoptConfig(written: VersionedConfig): void {
  if (snapshot && snapshot.version > written.version) return;
  snapshot = { version: written.version, config: written.config, stale: false, fetchedAt: Date.now() };
}

/** Revalidate on the next request (e.g. after a rollback this isolate made). */
export function expireConfig(): void {
  if (snapshot) snapshot = { ...snapshot, fetchedAt: 0 };
  revalidationStartedAt = 0;
}

/**
 * The current snapshot when no revalidation is due (the copy is fresh, or another request is
 * revalidating it); undefined when the caller should revalidate with `readEdgeConfig`. Lets
 * the hot path skip building the `source`/`onError` callbacks.
 */
export function cachedEdgeConfig(now = Date.now()): ConfigSnapshot | undefined {
  if (
    snapshot &&
    (now - snapshot.fetchedAt < CONFIG_REFRESH_MS || now - revalidationStartedAt < CONFIG_FETCH_TIMEOUT_MS)
  )
    return snapshot;
  return undefined;
}

/**
 * The current snapshot, synchronously when the copy is fresh. When it is due, one request
 * revalidates it with its own call while concurrent requests keep using the current copy.
 * Requests never await a promise that belongs to another request: workerd cancels such
 * waits when the other request ends. `source` is called only for a revalidation, so a
 * request normally does not even create a stub (that hashes the name).
 */
export function readEdgeConfig(
  source: () => EdgeConfigSource,
  onError: (err: unknown) => void,
): ConfigSnapshot | Promise<ConfigSnapshot> {
  const now = Date.now();
  const cached = cachedEdgeConfig(now);
  if (cached) return cached;
  revalidationStartedAt = now;
  return refresh(source, onError);
}
