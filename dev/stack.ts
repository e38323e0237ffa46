/**
 * The local stack behind the Worker: redis-server with the Upstash REST bridge in front, the
 * libSQL (Hrana over HTTP) endpoint with migrations applied, the OpenAI-compatible dev
 * origin, and the webhook receiver (`dev/webhook-receiver.ts`). Used by `npm run dev`, the test suite's global setup and the benchmarks.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startDevOrigin, type DevOrigin } from "./dev-origin.ts";
import { startLibsqlServer } from "./libsql-server.ts";
import { applyMigrations } from "./migrate.ts";
import { startRedisServer } from "./redis-server.ts";
import { startUpstashBridge } from "./upstash-bridge.ts";
import { startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.ts";

export const DEV_UPSTASH_TOKEN = "dev-upstash-token";
export const DEV_ORIGIN_KEY = "dev-origin-key";

export interface StackPorts {
  redis: number;
  upstash: number;
  libsql: number;
  origin: number;
  webhooks: number;
}

export interface StackOptions {
  /** Folder for the database file and redis-server's working dir. */
  dataDir: string;
  /** 0 (default) picks free ports. */
  ports?: Partial<StackPorts>;
  log?: (service: string, line: string) => void;
}

export interface Stack {
  /** Values for the Worker's settings (`.dev.vars` keys). */
  vars: {
    LIBSQL_URL: string;
    UPSTASH_REDIS_REST_URL: string;
    UPSTASH_REDIS_REST_TOKEN: string;
    ORIGIN_AI_URL: string;
    ORIGIN_AI_KEY: string;
  };
  redisUrl: string;
  origin: DevOrigin;
  webhookReceiver: WebhookReceiver;
  close(): Promise<void>;
}

interface Closable {
  close(): Promise<void>;
}

export async function startStack({ dataDir, ports = {}, log }: StackOptions): Promise<Stack> {
  mkdirSync(dataDir, { recursive: true });
  const started: Closable[] = [];
  const closeAll = async () => {
    await Promise.allSettled(started.reverse().map((s) => s.close()));
  };
  const logFor = (service: string) => (line: string) => log?.(service, line);
  try {
    const [redis, libsql, origin, webhookReceiver] = await Promise.all([
      startRedisServer({ port: ports.redis ?? 0, dir: dataDir, log: logFor("redis") }).then(
        (s) => (started.push(s), s),
      ),
      startLibsqlServer({ dbPath: join(dataDir, "local.db"), port: ports.libsql ?? 0, log: logFor("libsql") }).then(
        (s) => (started.push(s), s),
      ),
      startDevOrigin({ port: ports.origin ?? 0, apiKey: DEV_ORIGIN_KEY, log: logFor("origin") }).then(
        (s) => (started.push(s), s),
      ),
      startWebhookReceiver({ port: ports.webhooks ?? 0, log: logFor("webhooks") }).then((s) => (started.push(s), s)),
    ]);
    const bridge = await startUpstashBridge({
      redisUrl: redis.url,
      token: DEV_UPSTASH_TOKEN,
      port: ports.upstash ?? 0,
      log: logFor("upstash"),
    });
    started.push(bridge);
    await applyMigrations(libsql.url);
    return {
      vars: {
        LIBSQL_URL: libsql.url,
        UPSTASH_REDIS_REST_URL: bridge.url,
        UPSTASH_REDIS_REST_TOKEN: DEV_UPSTASH_TOKEN,
        ORIGIN_AI_URL: `${origin.url}/v1`,
        ORIGIN_AI_KEY: DEV_ORIGIN_KEY,
      },
      redisUrl: redis.url,
      origin,
      webhookReceiver,
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
