/**
 * The services a unit of work uses, built from the validated settings: the drizzle client
 * (libSQL, built on first use), the isolate's shared Redis client (configuration only) and the
 * origin AI client (carrying the work's trace). Nothing here connects until it is used. One
 * builder for the request middleware (`src/middleware/services.ts`) and the queue consumer
 * (`src/lib/ai/ingest-queue.ts`).
 */
import type { Redis } from "@upstash/redis/cloudflare";
import { createDatabase, lazyDatabase, type Database } from "./db/client.ts";
import { createOriginClient, type OriginClient } from "./origin.ts";
import { sharedRedis } from "./redis.ts";
import type { Settings } from "./settings.ts";

export interface Services {
  db: Database;
  redis: Redis;
  origin: OriginClient;
}

export interface ServiceOptions {
  /** The W3C `traceparent` the origin client sends. */
  traceparent: string;
  /** The `fetch` libSQL uses (e.g. one that times the calls); the runtime's by default. */
  dbFetch?: typeof fetch;
}

export function createServices(s: Settings, { traceparent, dbFetch }: ServiceOptions): Services {
  return {
    db: lazyDatabase(() => createDatabase({ url: s.LIBSQL_URL, authToken: s.LIBSQL_AUTH_TOKEN, fetch: dbFetch })),
    redis: sharedRedis(s.UPSTASH_REDIS_REST_URL, s.UPSTASH_REDIS_REST_TOKEN),
    origin: createOriginClient({
      baseUrl: s.ORIGIN_AI_URL,
      apiKey: s.ORIGIN_AI_KEY,
      model: s.ORIGIN_AI_MODEL,
      traceparent,
    }),
  };
}
