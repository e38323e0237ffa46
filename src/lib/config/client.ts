/**
 * Per-isolate copy of the edge config. Requests read the in-memory copy; at most once per
 * refresh interval one request revalidates it against the EdgeConfig object (concurrent
 * requests share that call). When the object cannot be reached the last good copy keeps being
 * served and `stale` says so.
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
}

let snapshot: ConfigSnapshot | undefined;
let revalidationStartedAt = 0;

async function refresh(source: () => EdgeConfigSource, onError: (err: unknown) => void): Promise<ConfigSnapshot> {
  try {
    const current = await withTimeout(source().current(), CONFIG_FETCH_TIMEOUT_MS, "edge config read timed out");
    snapshot = { version: current.version, config: current.config, stale: false, fetchedAt: Date.now() };
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
 * The current snapshot, synchronously when the copy is fresh. When it is due, one request
 * revalidates it with its own call while concurrent requests keep using the current copy.
 * Requests never await a promise that belongs to another request: workerd cancels such
 * waits when the other request ends. `source` is called only for a revalidation, so a
 * request normally does not even create a stub (that hashes the name).
 */
export function readEdgeConfig(source: () => EdgeConfigSource, onError: (err: unknown) => void): ConfigSnapshot | Promise<ConfigSnapshot> {
  const now = Date.now();
  if (snapshot && now - snapshot.fetchedAt < CONFIG_REFRESH_MS) return snapshot;
  if (snapshot && now - revalidationStartedAt < CONFIG_FETCH_TIMEOUT_MS) return snapshot;
  revalidationStartedAt = now;
  return refresh(source, onError);
}
