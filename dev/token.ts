/**
 * `npm run token -- --sub alice --roles admin,editor [--tenant t1] [--ttl 15m]`
 * prints an access token signed by the local dev issuer (the key `npm run dev` created).
 */
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadOrCreateDevKeys, signDevToken } from "./dev-keys.ts";

const TTL = /^(\d+)(s|m|h|d)?$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

function usage(message: string): never {
  console.error(`token: ${message}\nusage: npm run token -- --sub <user> [--roles a,b] [--tenant t] [--ttl 15m]`);
  process.exit(2);
}

let values: { sub?: string; roles?: string; tenant?: string; ttl?: string };
try {
  ({ values } = parseArgs({
    options: {
      sub: { type: "string" },
      roles: { type: "string" },
      tenant: { type: "string" },
      ttl: { type: "string" },
    },
    strict: true,
  }));
} catch (err) {
  usage(err instanceof Error ? err.message : String(err));
}
if (!values.sub) usage("--sub is required");
const ttl = TTL.exec(values.ttl ?? "15m");
if (!ttl) usage(`--ttl must look like 900, 90s, 15m, 12h or 7d (got ${JSON.stringify(values.ttl)})`);
const ttlSeconds = Number(ttl[1]) * UNIT_SECONDS[(ttl[2] ?? "s") as keyof typeof UNIT_SECONDS];
const roles = (values.roles ?? "")
  .split(",")
  .map((r) => r.trim())
  .filter(Boolean);

const keys = await loadOrCreateDevKeys(join(fileURLToPath(new URL("..", import.meta.url)), ".data"));
console.log(
  await signDevToken(keys, { sub: values.sub, roles, ttlSeconds, ...(values.tenant ? { tenant: values.tenant } : {}) }),
);
