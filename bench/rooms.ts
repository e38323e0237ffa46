/**
 * `npm run bench:rooms`: N WebSocket clients in one room, driven from a separate Node process
 * with the `ws` package (or Node's own `WebSocket`), against the Worker served from workerd (Miniflare, the built
 * bundle) or against any running Worker (`ROOMS_BENCH_URL=http://127.0.0.1:8787` for
 * `npm run dev`/`wrangler dev`, tokens then signed with the dev key in `.data/`).
 *
 * Each case: N clients join (distinct users), then P publishers send R msg/s in total for
 * ROOMS_BENCH_SECONDS; every client receives every message. Reported per case:
 * - publish-to-receive latency p50/p99/max over every (message, receiver) pair: the publisher
 *   stamps `performance.now()` into the message, each receiver (same process, same clock)
 *   subtracts it on arrival;
 * - reach: deliveries ÷ (messages acked × N), with out-of-order, duplicate and missing counts
 *   (exactly once in order means reach 1.000 and 0/0/0);
 * - CPU per delivery of workerd (Miniflare mode) and of the driver during the publish phase,
 *   since both share the machine: when the driver saturates, latency is the driver's queue.
 * Each case also runs against a bare relay Durable Object (the floor) under the same driver,
 * so what the room adds is told apart from what the machine and the client can do at all.
 *
 * Above `rooms.shardAbove` sockets (default 1,000) the room shards: the clients per object are
 * printed under the table (per-shard load).
 *
 * With ROOMS_BENCH_BATCH=1 the room's clients opt in to `batch` frames (`?batch=1`);
 * "0,1" runs each case both ways. Frames are counted apart from deliveries, so CPU per frame and
 * per delivery are both reported, and deliveries per workerd CPU-second.
 *
 * Options (env): ROOMS_BENCH_CLIENTS (default "100,1000"), ROOMS_BENCH_RATES ("10,100"),
 * ROOMS_BENCH_SECONDS (10), ROOMS_BENCH_BATCH ("0"), ROOMS_BENCH_FLOOR=0 (skip the floor),
 * ROOMS_BENCH_URL (a running Worker instead of Miniflare), ROOMS_BENCH_CLIENT ("ws", the npm
 * package, default; "node": Node's built-in WebSocket, which costs the driver about twice the CPU).
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { unstable_readConfig } from "wrangler";
import { DEV_AUDIENCE, DEV_ISSUER, loadOrCreateDevKeys, signDevToken, type DevKeys } from "../dev/dev-keys.ts";
import { startStack } from "../dev/stack.ts";
import { wranglerBin } from "../dev/wrangler-bin.ts";
import { workerdCpuMs } from "./proc-cpu.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const list = (v: string | undefined, fallback: number[]) =>
  v
    ? v
        .split(",")
        .map(Number)
        .filter((n) => n > 0)
    : fallback;

interface CaseSpec {
  url: string;
  room: string;
  clients: number;
  rate: number;
  seconds: number;
  tokens: string[];
  batch: boolean;
  /** The driver's WebSocket client: `ws` (the npm package) or `node` (Node's built-in). */
  client: "ws" | "node";
}

interface CaseResult {
  clients: number;
  rate: number;
  connectMs: number;
  published: number;
  acked: number;
  refused: number;
  expected: number;
  delivered: number;
  /** Frames that carried messages (a `batch` frame counts once). */
  frames: number;
  /** Clients per object: "room" and each shard index (a room above `rooms.shardAbove` sockets shards). */
  placement: Record<string, number>;
  outOfOrder: number;
  duplicates: number;
  missing: number;
  p50: number;
  p99: number;
  max: number;
  driverCpuMs: number;
  workerdCpuMs?: number;
}

// ---- the driver (child process) -------------------------------------------------------------

/** Latencies in 0.1 ms buckets up to 60 s: a million samples cost nothing to keep. */
class Histogram {
  readonly #buckets = new Uint32Array(600_000);
  count = 0;
  max = 0;
  add(ms: number) {
    const i = Math.min(this.#buckets.length - 1, Math.max(0, Math.round(ms * 10)));
    this.#buckets[i]!++;
    this.count++;
    if (ms > this.max) this.max = ms;
  }
  quantile(q: number): number {
    const target = Math.ceil(this.count * q);
    let seen = 0;
    for (let i = 0; i < this.#buckets.length; i++) {
      seen += this.#buckets[i]!;
      if (seen >= target && target > 0) return i / 10;
    }
    return 0;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function drive(spec: CaseSpec): Promise<CaseResult> {
  // The `ws` package spends less than half the CPU per received frame of Node's built-in WebSocket
  // (undici): 10.6 against 23.4 µs per delivery at 1,000 × 30 msg/s, so the driver leaves more of
  // the shared cores to workerd.
  const Socket: typeof WebSocket =
    spec.client === "ws" ? ((await import("ws")).WebSocket as unknown as typeof WebSocket) : WebSocket;
  const latency = new Histogram();
  let outOfOrder = 0;
  let duplicates = 0;
  let refused = 0;
  let closed = 0;
  let measuring = false;
  /** Deliveries per seq, and the seqs the room acked, while measuring. */
  const deliveries = new Map<number, number>();
  const ackedSeqs = new Set<number>();
  let received = 0;
  let frames = 0;
  let lastFrameAt = 0;
  const placement: Record<string, number> = {};
  const lastSeq = new Array<number>(spec.clients).fill(-1);
  const sockets: WebSocket[] = [];
  const wsBase = spec.url.replace(/^http/, "ws");

  const open = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const url = `${wsBase}/v1/rooms/${spec.room}/ws${spec.batch ? "?batch=1" : ""}`;
      const protocols = ["rooms.v1", `bearer.${spec.tokens[i]}`];
      const ws =
        spec.client === "ws"
          ? new (Socket as unknown as new (u: string, p: string[], o: object) => WebSocket)(url, protocols, {
              perMessageDeflate: false,
            })
          : new Socket(url, protocols);
      const take = (f: { seq: string; data: { s: number } }, now: number) => {
        const seq = Number(f.seq);
        const prev = lastSeq[i]!;
        if (!measuring) {
          lastSeq[i] = seq;
          return;
        }
        if (seq <= prev) {
          duplicates++;
          return;
        }
        if (seq !== prev + 1) outOfOrder++;
        lastSeq[i] = seq;
        received++;
        deliveries.set(seq, (deliveries.get(seq) ?? 0) + 1);
        latency.add(now - f.data.s);
      };
      const timer = setTimeout(() => reject(new Error(`client ${i} got no welcome within 60 s`)), 60_000);
      ws.addEventListener("error", () => reject(new Error(`client ${i} failed to connect`)));
      ws.addEventListener("close", () => closed++);
      ws.addEventListener("message", (e: MessageEvent) => {
        const text = e.data as string;
        lastFrameAt = performance.now();
        // Messages are what is measured; welcome, presence and acks are few.
        if (text.startsWith('{"v":1,"type":"msg"')) {
          if (measuring) frames++;
          take(JSON.parse(text) as { seq: string; data: { s: number } }, performance.now());
          return;
        }
        if (text.startsWith('{"v":1,"type":"batch"')) {
          if (measuring) frames++;
          const now = performance.now();
          for (const f of (JSON.parse(text) as { messages: Array<{ seq: string; data: { s: number } }> }).messages)
            take(f, now);
          return;
        }
        if (text.startsWith('{"v":1,"type":"welcome"')) {
          clearTimeout(timer);
          const welcome = JSON.parse(text) as { headSeq: string; shard?: number };
          lastSeq[i] = Number(welcome.headSeq);
          const where = welcome.shard === undefined ? "room" : `shard ${welcome.shard}`;
          placement[where] = (placement[where] ?? 0) + 1;
          resolve();
        } else if (text.startsWith('{"v":1,"type":"ack"')) {
          if (measuring) ackedSeqs.add(Number((JSON.parse(text) as { seq: string }).seq));
        } else if (text.startsWith('{"v":1,"type":"error"')) refused++;
      });
      sockets[i] = ws;
    });

  // Every client pings every 20 s from the start, as the page does (the room closes silent ones after 60 s).
  const pinger = setInterval(
    () => sockets.forEach((ws) => ws.readyState === WebSocket.OPEN && ws.send("ping")),
    20_000,
  );
  const t0 = performance.now();
  // Join in waves of 50.
  for (let i = 0; i < spec.clients; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, spec.clients - i) }, (_, k) => open(i + k)));
  }
  const connectMs = performance.now() - t0;
  // Let the join storm's presence announcements drain: until no frame came for 1 s (at most 60 s).
  const settleUntil = performance.now() + 60_000;
  do await sleep(250);
  while (performance.now() - lastFrameAt < 1_000 && performance.now() < settleUntil);

  // Publishers: at most 10 msg/s each (the per-connection limit is 20/s sustained).
  const publishers = Math.min(spec.clients, Math.max(1, Math.ceil(spec.rate / 10)));
  const interval = (1000 * publishers) / spec.rate;
  // The parent samples workerd's CPU at these marks.
  process.stdout.write(`${JSON.stringify({ mark: "start" })}\n`);
  const cpu0 = process.cpuUsage();
  measuring = true;
  refused = 0;
  let published = 0;
  const start = performance.now();
  const end = start + spec.seconds * 1000;
  await Promise.all(
    Array.from({ length: publishers }, async (_, p) => {
      const ws = sockets[Math.floor((p * spec.clients) / publishers)]!;
      let next = start + (p * interval) / publishers;
      for (let n = 0; next < end; n++) {
        const wait = next - performance.now();
        if (wait > 0) await sleep(wait);
        ws.send(JSON.stringify({ v: 1, type: "publish", ref: n, event: "bench", data: { s: performance.now() } }));
        published++;
        next += interval;
      }
    }),
  );
  // Drain: until every publish is answered and every acked message reached every client, or 30 s.
  const drainUntil = performance.now() + 30_000;
  while (
    performance.now() < drainUntil &&
    (ackedSeqs.size + refused < published || received < ackedSeqs.size * spec.clients)
  )
    await sleep(50);
  measuring = false;
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(`${JSON.stringify({ mark: "end" })}\n`);
  clearInterval(pinger);
  const closedEarly = closed;
  for (const ws of sockets) ws.close(1000, "bench done");
  await sleep(500);

  let delivered = 0;
  for (const seq of ackedSeqs) delivered += Math.min(spec.clients, deliveries.get(seq) ?? 0);
  const expected = ackedSeqs.size * spec.clients;
  if (closedEarly) console.error(`bench:rooms: ${closedEarly} clients were closed during the case`);
  return {
    clients: spec.clients,
    rate: spec.rate,
    connectMs: Math.round(connectMs),
    published,
    acked: ackedSeqs.size,
    refused,
    expected,
    delivered,
    frames,
    placement,
    outOfOrder,
    duplicates,
    missing: expected - delivered,
    p50: latency.quantile(0.5),
    p99: latency.quantile(0.99),
    max: Math.round(latency.max * 10) / 10,
    driverCpuMs: Math.round((cpu.user + cpu.system) / 1000),
  };
}

// ---- the harness (parent process) ------------------------------------------------------------

function build(outDir: string): string {
  // Until src/app.ts mounts the rooms routes, build an entry that does (the same app otherwise).
  const app = readFileSync(join(root, "src/app.ts"), "utf8");
  let entry: string | undefined;
  if (!app.includes("roomsRoutes")) {
    entry = join(outDir, "..", "rooms-entry.ts");
    writeFileSync(
      entry,
      `import { createApp } from ${JSON.stringify(join(root, "src/app.ts"))};
import { roomsRoutes } from ${JSON.stringify(join(root, "routes/rooms.ts"))};
export { EdgeConfig, Room } from ${JSON.stringify(join(root, "src/index.ts"))};
const app = createApp().route("/", roomsRoutes);
export default { fetch: app.fetch };
`,
    );
    console.log("bench:rooms: src/app.ts does not mount roomsRoutes yet; benchmarking createApp() + roomsRoutes");
  }
  const args = [
    wranglerBin(),
    "deploy",
    "--dry-run",
    "--config",
    join(root, "wrangler.toml"),
    "--outdir",
    outDir,
    ...(entry ? [entry] : []),
  ];
  execFileSync(process.execPath, args, {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  const bundle = readdirSync(outDir).find((f) => f.endsWith(".js"));
  if (!bundle) throw new Error(`no bundle in ${outDir}`);
  return join(outDir, bundle);
}

/** Runs one case in a driver process; `cpu` samples the server's CPU at the driver's marks. */
function runDriver(spec: CaseSpec, cpu: () => number | undefined): Promise<CaseResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "--drive"], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    let out = "";
    let start: number | undefined;
    let serverMs: number | undefined;
    child.stdout.on("data", (d: Buffer) => {
      const before = out.length;
      out += d.toString();
      for (const line of out.slice(out.lastIndexOf("\n", before) + 1).split("\n")) {
        if (line === '{"mark":"start"}') start = cpu();
        if (line === '{"mark":"end"}') {
          const end = cpu();
          if (start !== undefined && end !== undefined) serverMs = end - start;
        }
      }
    });
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`driver exited ${code}`));
      const result = JSON.parse(out.trim().split("\n").pop()!) as CaseResult;
      if (serverMs !== undefined) result.workerdCpuMs = serverMs;
      resolve(result);
    });
    child.stdin.end(JSON.stringify(spec));
  });
}

/**
 * The floor: a Durable Object that only accepts sockets and relays each publish to all of them
 * (no auth, no storage, no limits), answering just enough of the protocol for the driver. The
 * room's cost is what it adds on top of this; what the floor itself cannot do is the machine.
 */
const FLOOR_WORKER = `import { DurableObject } from "cloudflare:workers";
export class Floor extends DurableObject {
  seq = 0;
  async fetch() {
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    server.send(JSON.stringify({ v: 1, type: "welcome", headSeq: String(this.seq) }));
    return new Response(null, { status: 101, webSocket: client, headers: { "sec-websocket-protocol": "rooms.v1" } });
  }
  async webSocketMessage(ws, message) {
    if (message === "ping") return;
    const f = JSON.parse(message);
    const seq = String(++this.seq);
    ws.send(JSON.stringify({ v: 1, type: "ack", ref: f.ref, seq }));
    const text = JSON.stringify({ v: 1, type: "msg", seq, data: f.data });
    for (const w of this.ctx.getWebSockets()) w.send(text);
  }
}
export default { fetch: (request, env) => env.FLOOR.getByName(new URL(request.url).pathname).fetch(request) };
`;

interface Target {
  name: string;
  url: string;
  batch?: boolean;
}

async function main() {
  const clientCounts = list(process.env.ROOMS_BENCH_CLIENTS, [100, 1000]);
  const rates = list(process.env.ROOMS_BENCH_RATES, [10, 100]);
  const seconds = Number(process.env.ROOMS_BENCH_SECONDS ?? 10);
  const withFloor = process.env.ROOMS_BENCH_FLOOR !== "0";
  const batchModes = (process.env.ROOMS_BENCH_BATCH ?? "0").split(",").map((v) => v.trim() === "1");
  const external = process.env.ROOMS_BENCH_URL?.replace(/\/$/, "");
  const client: CaseSpec["client"] = process.env.ROOMS_BENCH_CLIENT === "node" ? "node" : "ws";
  const work = mkdtempSync(join(tmpdir(), "rooms-bench-"));
  const issuer = DEV_ISSUER;
  const audience = DEV_AUDIENCE;
  const targets: Target[] = [];
  const closers: Array<() => Promise<void>> = [];
  let keys: DevKeys;

  try {
    const config = unstable_readConfig({ config: join(root, "wrangler.toml") });
    const workerd = (scriptPath: string, extra: Record<string, unknown>) =>
      new Miniflare(
        convertV4MiniflareOptions({
          log: new Log(LogLevel.NONE),
          modules: true,
          scriptPath,
          modulesRoot: dirname(scriptPath),
          compatibilityDate: config.compatibility_date,
          compatibilityFlags: config.compatibility_flags,
          // The per-request log lines are discarded, as in `npm run bench`.
          handleStructuredLogs: () => {},
          port: 0,
          host: "127.0.0.1",
          ...extra,
        }),
      );
    if (external) {
      keys = await loadOrCreateDevKeys(join(root, ".data"));
      for (const batch of batchModes) targets.push({ name: batch ? "room, batch" : "room", url: external, batch });
    } else {
      console.log("bench:rooms: building the Worker (wrangler deploy --dry-run)…");
      const script = build(join(work, "app"));
      const stack = await startStack({ dataDir: join(work, "data") });
      closers.push(() => stack.close());
      keys = await loadOrCreateDevKeys(join(work, "data"));
      const mf = workerd(script, {
        durableObjects: {
          EDGE_CONFIG: { className: "EdgeConfig", useSQLite: true },
          ROOMS: { className: "Room", useSQLite: true },
          ROOM_SHARDS: { className: "RoomShard", useSQLite: true },
        },
        bindings: {
          ...config.vars,
          ...stack.vars,
          ENVIRONMENT: "development",
          JWT_ISSUER: issuer,
          JWT_AUDIENCE: audience,
          JWT_PUBLIC_JWKS: JSON.stringify(keys.publicJwks),
        },
      });
      closers.push(() => mf.dispose());
      const url = (await mf.ready).origin;
      for (const batch of batchModes) targets.push({ name: batch ? "room, batch" : "room", url, batch });
    }
    if (withFloor) {
      const floorScript = join(work, "floor.js");
      writeFileSync(floorScript, FLOOR_WORKER);
      const mf = workerd(floorScript, { durableObjects: { FLOOR: { className: "Floor", useSQLite: true } } });
      closers.push(() => mf.dispose());
      targets.push({ name: "floor", url: (await mf.ready).origin });
    }

    const maxClients = Math.max(...clientCounts);
    console.log(`bench:rooms: signing ${maxClients} tokens…`);
    const tokens = await Promise.all(
      Array.from({ length: maxClients }, (_, i) =>
        signDevToken(keys, { sub: `bench-${i}`, tenant: "bench", ttlSeconds: 3600, issuer, audience }),
      ),
    );

    const rows: Array<CaseResult & { target: string }> = [];
    for (const clients of clientCounts) {
      for (const rate of rates) {
        for (const target of targets) {
          process.stdout.write(`bench:rooms: ${target.name}, ${clients} clients × ${rate} msg/s for ${seconds}s… `);
          const spec = {
            url: target.url,
            room: `bench-${clients}-${rate}-${Date.now()}`,
            clients,
            rate,
            seconds,
            tokens: tokens.slice(0, clients),
            batch: target.batch === true,
            client,
          };
          const result = await runDriver(spec, () => (target.url === external ? undefined : workerdCpuMs()));
          rows.push({ ...result, target: target.name });
          console.log(
            `p50 ${result.p50} ms, p99 ${result.p99} ms, reach ${(result.delivered / Math.max(1, result.expected)).toFixed(4)}`,
          );
        }
      }
    }

    const fmt = (n: number) => n.toLocaleString("en-US");
    const perDelivery = (ms: number | undefined, r: CaseResult) =>
      ms === undefined ? "–" : ((ms * 1000) / Math.max(1, r.delivered)).toFixed(1);
    const perFrame = (ms: number | undefined, r: CaseResult) =>
      ms === undefined ? "–" : ((ms * 1000) / Math.max(1, r.frames)).toFixed(1);
    const perCpuSecond = (ms: number | undefined, r: CaseResult) =>
      ms === undefined || ms <= 0 ? "–" : fmt(Math.round((r.delivered * 1000) / ms));
    console.log(
      [
        "",
        `${external ? `Worker at ${external}` : "Miniflare (workerd), built bundle"}; ${seconds} s per case; node ${process.version}; ` +
          "floor = a bare relay Durable Object (no auth, storage or limits) under the same driver",
        "",
        "| target | clients | msg/s | msgs acked | deliveries / expected | reach | out of order / dup / missing | p50 ms | p99 ms | max ms | refused | join all ms | frames | workerd CPU µs/delivery | workerd CPU µs/frame | deliveries / workerd CPU-s | driver CPU µs/delivery |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ...rows.map(
          (r) =>
            `| ${r.target} | ${fmt(r.clients)} | ${r.rate} | ${fmt(r.acked)} | ${fmt(r.delivered)} / ${fmt(r.expected)} | ${(r.delivered / Math.max(1, r.expected)).toFixed(4)} | ` +
            `${r.outOfOrder} / ${r.duplicates} / ${r.missing} | ${r.p50} | ${r.p99} | ${r.max} | ${r.refused} | ${fmt(r.connectMs)} | ` +
            `${fmt(r.frames)} | ${perDelivery(r.workerdCpuMs, r)} | ${perFrame(r.workerdCpuMs, r)} | ${perCpuSecond(r.workerdCpuMs, r)} | ${perDelivery(r.driverCpuMs, r)} |`,
        ),
        "",
        ...rows
          .filter((r) => Object.keys(r.placement ?? {}).length > 1)
          .map(
            (r) =>
              `${r.target}, ${fmt(r.clients)} clients × ${r.rate} msg/s, clients per object: ` +
              Object.entries(r.placement)
                .map(([where, n]) => `${where} ${fmt(n)}`)
                .join(", "),
          ),
      ].join("\n"),
    );
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv.includes("--drive")) {
  let input = "";
  process.stdin.on("data", (d: Buffer) => (input += d.toString()));
  process.stdin.on("end", () => {
    drive(JSON.parse(input) as CaseSpec).then(
      (result) => {
        process.stdout.write(`${JSON.stringify(result)}\n`);
        process.exit(0);
      },
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
} else {
  await main();
}
