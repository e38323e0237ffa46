/**
 * `node bench/webhooks.ts` (`npm run bench:webhooks`): a config change fanned out to 100
 * webhook subscriptions, end to end. The built Worker (wrangler deploy --dry-run) in workerd
 * (Miniflare) with its `webhooks` queue and consumer in-process, the real local stack, and the
 * dev webhook receiver as the 100 receivers (one path each, all verifying signatures).
 *
 * Measures, over ROUNDS config changes:
 * - fan-out: from the PUT's answer to the 100th verified delivery at the receiver (p50, max);
 * - the request path: PUT /v1/admin/config latency with 0 and with 100 subscriptions (the
 *   event is sent from the EdgeConfig object's waitUntil, so the two should not differ).
 *
 * Env: WEBHOOK_BENCH_SUBSCRIPTIONS (100), WEBHOOK_BENCH_ROUNDS (10).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { unstable_readConfig } from "wrangler";
import { DEV_AUDIENCE, DEV_ISSUER, loadOrCreateDevKeys, signDevToken } from "../dev/dev-keys.ts";
import { startStack } from "../dev/stack.ts";
import { wranglerBin } from "../dev/wrangler-bin.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const SUBSCRIPTIONS = Number(process.env.WEBHOOK_BENCH_SUBSCRIPTIONS ?? 100);
const ROUNDS = Number(process.env.WEBHOOK_BENCH_ROUNDS ?? 10);

function build(outDir: string): string {
  execFileSync(
    process.execPath,
    [wranglerBin(), "deploy", "--dry-run", "--config", join(root, "wrangler.toml"), "--outdir", outDir],
    {
      cwd: root,
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    },
  );
  const bundle = readdirSync(outDir).find((f) => f.endsWith(".js"));
  if (!bundle) throw new Error(`no bundle in ${outDir}`);
  return join(outDir, bundle);
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
};
const ms = (x: number) => `${x.toFixed(1)} ms`;

async function main() {
  const work = mkdtempSync(join(tmpdir(), "webhook-bench-"));
  console.log("bench:webhooks: building the Worker (wrangler deploy --dry-run)…");
  const script = build(join(work, "app"));
  const stack = await startStack({ dataDir: join(work, "data") });
  const keys = await loadOrCreateDevKeys(join(work, "data"));
  const config = unstable_readConfig({ config: join(root, "wrangler.toml") });
  const sqliteClasses = new Set(
    config.migrations.flatMap((m: { new_sqlite_classes?: string[] }) => m.new_sqlite_classes ?? []),
  );
  const durableObjects = Object.fromEntries(
    config.durable_objects.bindings.map((b: { name: string; class_name: string }) => [
      b.name,
      { className: b.class_name, useSQLite: sqliteClasses.has(b.class_name) },
    ]),
  );
  const consumer = config.queues.consumers?.find((c: { queue: string }) => c.queue === "webhooks");
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      log: new Log(LogLevel.NONE),
      modules: true,
      scriptPath: script,
      modulesRoot: dirname(script),
      compatibilityDate: config.compatibility_date,
      compatibilityFlags: config.compatibility_flags,
      durableObjects,
      queueProducers: { WEBHOOKS: { queueName: "webhooks" } },
      queueConsumers: {
        webhooks: {
          maxBatchSize: consumer?.max_batch_size ?? 50,
          maxBatchTimeout: consumer?.max_batch_timeout ?? 1,
          maxRetries: consumer?.max_retries ?? 12,
        },
      },
      bindings: {
        ...config.vars,
        ...stack.vars,
        ENVIRONMENT: "development",
        JWT_ISSUER: DEV_ISSUER,
        JWT_AUDIENCE: DEV_AUDIENCE,
        JWT_PUBLIC_JWKS: JSON.stringify(keys.publicJwks),
      },
      handleStructuredLogs: () => {},
      port: 0,
      host: "127.0.0.1",
    }),
  );
  try {
    const base = await mf.ready;
    const token = `Bearer ${await signDevToken(keys, { sub: "bench", roles: ["admin"], ttlSeconds: 3600 })}`;
    const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(new URL(path, base), {
        method,
        headers: {
          authorization: token,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
      return text ? (JSON.parse(text) as unknown) : null;
    };
    const change = async (label: string) => {
      const { version, config: doc } = (await call("GET", "/v1/admin/config")) as {
        version: number;
        config: { maintenance: { message: string } };
      };
      doc.maintenance.message = label;
      const t0 = performance.now();
      const written = (await call("PUT", "/v1/admin/config", doc, { "if-match": `"${version}"` })) as {
        version: number;
      };
      return { version: written.version, putMs: performance.now() - t0, answeredAt: Date.now() };
    };

    // The request path without subscriptions.
    const bare: number[] = [];
    for (let i = 0; i < ROUNDS; i++) bare.push((await change(`bare ${i}`)).putMs);

    // Those events are still in the queue (fanned out at consume time): let them go first.
    await new Promise((r) => setTimeout(r, 3_000));
    console.log(`bench:webhooks: subscribing ${SUBSCRIPTIONS} receivers…`);
    const receiver = stack.webhookReceiver;
    for (let i = 0; i < SUBSCRIPTIONS; i++) {
      const path = `/hooks/bench-${i}`;
      const sub = (await call("POST", "/v1/admin/webhooks", {
        url: `${receiver.url}${path}`,
        events: ["config.changed"],
      })) as { secret: string };
      receiver.setSecrets(path, [sub.secret]);
    }

    const withSubs: number[] = [];
    const fanOut: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const { version, putMs, answeredAt } = await change(`fan-out ${i}`);
      withSubs.push(putMs);
      const deadline = Date.now() + 60_000;
      for (;;) {
        const got = receiver
          .received()
          .filter((r) => (r.body as { data?: { version?: number } }).data?.version === version);
        if (got.length >= SUBSCRIPTIONS) {
          if (got.some((r) => r.verified !== true)) throw new Error("a delivery failed verification");
          fanOut.push(Math.max(...got.map((r) => r.receivedAt)) - answeredAt);
          break;
        }
        if (Date.now() > deadline) throw new Error(`round ${i}: ${got.length}/${SUBSCRIPTIONS} delivered within 60 s`);
        await new Promise((r) => setTimeout(r, 5));
      }
    }

    const all = receiver.received();
    const attemptsById = new Map<string, number>();
    for (const r of all) if (r.id) attemptsById.set(r.id, (attemptsById.get(r.id) ?? 0) + 1);
    const retried = [...attemptsById.values()].filter((n) => n > 1).length;
    const refused = all.filter((r) => r.answered !== 200).length;
    console.log(
      `\nwebhooks: a config change fanned out to ${SUBSCRIPTIONS} subscriptions (${ROUNDS} rounds, workerd via Miniflare, local receiver)`,
    );
    console.log(
      `  all ${SUBSCRIPTIONS} delivered and verified after the PUT answered: p50 ${ms(quantile(fanOut, 0.5))}, max ${ms(Math.max(...fanOut))}`,
    );
    console.log(
      `  deliveries that needed a retry: ${retried} of ${attemptsById.size}; receiver answers other than 200: ${refused}`,
    );
    console.log(
      `  PUT /v1/admin/config: p50 ${ms(quantile(bare, 0.5))} without subscriptions, ${ms(quantile(withSubs, 0.5))} with ${SUBSCRIPTIONS} (max ${ms(Math.max(...bare))} / ${ms(Math.max(...withSubs))})`,
    );
  } finally {
    await mf.dispose();
    await stack.close();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
