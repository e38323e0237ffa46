/**
 * Upstash Redis over REST: Upstash in production, the local bridge to redis-server in
 * development. Built per request (a plain object over fetch; nothing to connect).
 */
import { Redis } from "@upstash/redis/cloudflare";

export function createRedis(url: string, token: string): Redis {
  return new Redis({
    url,
    token,
    enableTelemetry: false,
    // Edge requests must not wait long on Redis: one quick retry, then the caller decides.
    retry: { retries: 1, backoff: () => 50 },
  });
}
