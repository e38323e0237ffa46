/**
 * `npm run dev`: the whole local edge stack from one command, no account needed.
 *
 *  1. starts redis-server + the Upstash REST bridge, the libSQL endpoint (migrations applied)
 *     the dev AI origin and the webhook receiver (`dev/webhook-receiver.ts`) on fixed local ports;
 *  2. creates the dev JWT key pair and `.dev.vars` when absent (never overwrites a user's);
 *  3. runs `wrangler dev` on 127.0.0.1:8787 (`npm run dev -- --port N`), passing the local
 *     defaults only for keys `.dev.vars` leaves out, so the user's settings win.
 * Ctrl-C / SIGTERM stops every child process.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseDotenv } from "dotenv";
import { DEV_AUDIENCE, DEV_ISSUER, loadOrCreateDevKeys } from "./dev-keys.ts";
import { RedisNotInstalledError } from "./redis-server.ts";
import { startStack, type Stack } from "./stack.ts";
import { wranglerBin } from "./wrangler-bin.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const dataDir = join(root, ".data");
const devVarsPath = join(root, ".dev.vars");

const envPort = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 && v < 65536 ? v : fallback;
};

/** Splits our own `--port N` from the args passed through to wrangler. */
function parseArgs(argv: string[]): { port: number; passThrough: string[] } {
  let port = 8787;
  const passThrough: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = arg.startsWith("--port=") ? arg.slice(7) : arg === "--port" ? argv[++i] : undefined;
    if (value !== undefined) {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 65535) {
        console.error(`dev: --port must be an integer between 1 and 65535 (got ${JSON.stringify(value)}).`);
        process.exit(2);
      }
      port = n;
    } else passThrough.push(arg);
  }
  return { port, passThrough };
}

function log(service: string, line: string) {
  if (process.env.DEV_VERBOSE) console.log(`[${service}] ${line}`);
}

async function main() {
  const { port, passThrough } = parseArgs(process.argv.slice(2));
  const keys = await loadOrCreateDevKeys(dataDir);

  if (!existsSync(devVarsPath)) {
    writeFileSync(
      devVarsPath,
      [
        "# Created by `npm run dev` (it never overwrites this file). Keys set here win; keys left",
        "# out get the local defaults. See .dev.vars.example for every key.",
        "ENVIRONMENT=development",
        `JWT_ISSUER=${DEV_ISSUER}`,
        `JWT_AUDIENCE=${DEV_AUDIENCE}`,
        `JWT_PUBLIC_JWKS='${JSON.stringify(keys.publicJwks)}'`,
        "",
      ].join("\n"),
    );
    console.log("dev: created .dev.vars with the local dev issuer and keys");
  }
  const userVars = parseDotenv(readFileSync(devVarsPath));

  console.log("dev: starting local services (redis, upstash bridge, libSQL, dev origin, webhook receiver)…");
  let stack: Stack;
  try {
    stack = await startStack({
      dataDir,
      ports: {
        redis: envPort("DEV_REDIS_PORT", 6390),
        upstash: envPort("DEV_UPSTASH_PORT", 8791),
        libsql: envPort("DEV_LIBSQL_PORT", 8790),
        origin: envPort("DEV_ORIGIN_PORT", 8792),
        webhooks: envPort("DEV_WEBHOOK_RECEIVER_PORT", 8793),
      },
      log,
    });
  } catch (err) {
    if (err instanceof RedisNotInstalledError) console.error(`dev: ${err.message}`);
    else console.error(`dev: could not start the local services: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }

  const defaults: Record<string, string> = {
    ENVIRONMENT: "development",
    JWT_ISSUER: DEV_ISSUER,
    JWT_AUDIENCE: DEV_AUDIENCE,
    JWT_PUBLIC_JWKS: JSON.stringify(keys.publicJwks),
    ...stack.vars,
  };
  const vars = Object.entries(defaults).filter(([key]) => !(key in userVars));
  const overridden = Object.keys(defaults).filter((key) => key in userVars);

  console.log(
    [
      "dev: local services ready",
      `  libSQL (Hrana/HTTP)   ${stack.vars.LIBSQL_URL}`,
      `  Upstash REST bridge   ${stack.vars.UPSTASH_REDIS_REST_URL}  (redis-server ${stack.redisUrl})`,
      `  dev AI origin         ${stack.vars.ORIGIN_AI_URL}`,
      `  webhook receiver      ${stack.webhookReceiver.url}  (subscribe ${stack.webhookReceiver.url}/hooks/<name>; what it got: ${stack.webhookReceiver.url}/)`,
      overridden.length ? `  from your .dev.vars:  ${overridden.join(", ")}` : "",
      `dev: starting wrangler dev on http://127.0.0.1:${port}`,
    ]
      .filter(Boolean)
      .join("\n"),
  );

  const child = spawn(
    process.execPath,
    [
      wranglerBin(),
      "dev",
      "--local",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      ...vars.flatMap(([k, v]) => ["--var", `${k}:${v}`]),
      ...passThrough,
    ],
    {
      cwd: root,
      stdio: "inherit",
      // No request.cf download from Cloudflare (offline it fails with a stack trace on every
      // start): Miniflare's fixed placeholder is used; `x-dev-cf` sets geo per request.
      // CLOUDFLARE_CF_FETCH_ENABLED=true in your shell brings the download back.
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: "false",
        CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false",
      },
    },
  );

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          child.kill("SIGKILL");
          resolve();
        }, 5_000);
        child.once("exit", () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    await stack.close();
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(130));
  process.on("SIGTERM", () => void stop(143));
  process.on("SIGHUP", () => void stop(129));
  child.on("exit", (code, signal) => {
    if (!stopping) {
      console.error(`dev: wrangler dev exited (${signal ?? `code ${code}`}); stopping local services`);
      void stop(code ?? 1);
    }
  });
}

main().catch((err: unknown) => {
  console.error(`dev: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
