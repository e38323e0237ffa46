/**
 * Upstash Redis over REST: Upstash in production, the local bridge to redis-server in
 * development.
 *
 * `sharedRedis` keeps one client per isolate (per URL and token): building an `@upstash/redis`
 * client defines a closure for every Redis command (hundreds), which cost more CPU per request
 * than anything else on a rate-limited route (`npm run bench`, BENCHMARKS.md). Sharing it across
 * requests is safe because it holds only configuration: each command is its own `fetch` made
 * inside the calling request. Auto-pipelining is off for that reason: it batches the commands
 * of concurrent callers into one shared promise, and in workerd a request must not await a
 * promise another request created.
 */
import { Redis } from "@upstash/redis/cloudflare";

export function createRedis(url: string, token: string): Redis {
  return new Redis({
    url,
    token,
    enableTelemetry: false,
    enableAutoPipelining: false,
    // Edge requests must not wait long on Redis: one quick retry, then the caller decides.
    retry: { retries: 1, backoff: () => 50 },
  });
}

const shared = new Map<string, Redis>();
/** The last client handed out: settings are the same strings on every request of an isolate. */
let last: { url: string; token: string; redis: Redis } | undefined;

/** The isolate's client for this URL and token (built on first use). */
export function sharedRedis(url: string, token: string): Redis {
  if (last && last.url === url && last.token === token) return last.redis;
  const key = `${url}\n${token}`;
  let redis = shared.get(key);
  if (!redis) {
    // Settings change only with a deploy; a few entries at most (tests use one per stack).
    if (shared.size >= 8) shared.clear();
    redis = createRedis(url, token);
    shared.set(key, redis);
  }
  last = { url, token, redis };
  return redis;
}
