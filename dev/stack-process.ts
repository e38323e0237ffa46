/**
 * Runs the local stack as a child process for test and benchmark harnesses:
 *
 *   node dev/stack-process.ts <dataDir>
 *
 * prints one line `{"ready": {...}}` with the addresses and dev keys once everything is up,
 * and stops everything when its stdin closes (the parent exited or died) or on SIGTERM/SIGINT.
 * A separate process keeps the harness's own module resolution (e.g. vitest's workerd
 * conditions) away from the Node-only dev services.
 */
import { DEV_AUDIENCE, DEV_ISSUER, loadOrCreateDevKeys } from "./dev-keys.ts";
import { startDevIdp } from "./dev-idp.ts";
import { startStack } from "./stack.ts";

export interface StackProcessReady {
  vars: {
    LIBSQL_URL: string;
    UPSTASH_REDIS_REST_URL: string;
    UPSTASH_REDIS_REST_TOKEN: string;
    ORIGIN_AI_URL: string;
    ORIGIN_AI_KEY: string;
    JWT_ISSUER: string;
    JWT_AUDIENCE: string;
    JWT_PUBLIC_JWKS: string;
  };
  devOriginUrl: string;
  /** A stand-in identity provider whose JWKS tests can set (`PUT /__dev/jwks`). */
  devIdpUrl: string;
  /** The webhook receiver (`dev/webhook-receiver.ts`): `/__dev/received`, `/__dev/fault`, `/__dev/secrets`. */
  devWebhookReceiverUrl: string;
  redisUrl: string;
  privateJwk: string;
}

const dataDir = process.argv[2];
if (!dataDir) {
  console.error("usage: node dev/stack-process.ts <dataDir>");
  process.exit(2);
}

try {
  const stack = await startStack({ dataDir });
  const idp = await startDevIdp();
  const keys = await loadOrCreateDevKeys(dataDir);
  const ready: StackProcessReady = {
    vars: {
      ...stack.vars,
      JWT_ISSUER: DEV_ISSUER,
      JWT_AUDIENCE: DEV_AUDIENCE,
      JWT_PUBLIC_JWKS: JSON.stringify(keys.publicJwks),
    },
    devOriginUrl: stack.origin.url,
    devIdpUrl: idp.url,
    devWebhookReceiverUrl: stack.webhookReceiver.url,
    redisUrl: stack.redisUrl,
    privateJwk: JSON.stringify(keys.privateJwk),
  };
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void Promise.allSettled([stack.close(), idp.close()]).finally(() => process.exit(0));
  };
  process.stdin.on("end", stop);
  process.stdin.on("close", stop);
  process.stdin.resume();
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.stdout.write(`${JSON.stringify({ ready })}\n`);
} catch (err) {
  process.stderr.write(`stack: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
