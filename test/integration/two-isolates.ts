/**
 * The built Worker (`wrangler deploy --dry-run`) as two isolates in one workerd (Miniflare),
 * `edge-a` and `edge-b`, sharing the EdgeConfig and Room Durable Objects (which live in
 * `edge-a`): what production does when two requests land in different isolates.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { wranglerBin } from "../../dev/wrangler-bin.ts";

type ServerSocket = { accept(): void; close(code?: number, reason?: string): void };
/** Miniflare's Fetcher type clashes with the DOM lib's Request here; only fetch is used. */
export type WorkerFetcher = {
  fetch(url: string, init?: RequestInit): Promise<Response & { webSocket?: ServerSocket | null }>;
};

export interface TwoIsolates {
  a: WorkerFetcher;
  b: WorkerFetcher;
  dispose(): Promise<void>;
}

/** Settings that validate; tests that use them never reach the database, Redis or the origin. */
export const UNUSED_BACKENDS = {
  ENVIRONMENT: "development",
  LIBSQL_URL: "http://127.0.0.1:9",
  UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9",
  UPSTASH_REDIS_REST_TOKEN: "unused",
  ORIGIN_AI_URL: "http://127.0.0.1:9/v1",
} as const;

export async function startTwoIsolates(name: string, bindings: Record<string, string>): Promise<TwoIsolates> {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const work = mkdtempSync(join(tmpdir(), `edge-${name}-`));
  try {
    const out = join(work, "build");
    execFileSync(process.execPath, [wranglerBin(), "deploy", "--dry-run", "--outdir", out], {
      cwd: root,
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
    const script = join(
      out,
      readdirSync(out).find((f) => f.endsWith(".js"))!,
    );
    const common = {
      modules: true,
      scriptPath: script,
      modulesRoot: dirname(script),
      compatibilityDate: "2026-11-01",
      compatibilityFlags: ["nodejs_compat"],
      bindings,
    };
    const mf = new Miniflare(
      convertV4MiniflareOptions({
        log: new Log(LogLevel.NONE),
        handleStructuredLogs: () => {},
        workers: [
          {
            ...common,
            name: "edge-a",
            durableObjects: {
              EDGE_CONFIG: { className: "EdgeConfig", useSQLite: true },
              ROOMS: { className: "Room", useSQLite: true },
            },
          },
          {
            ...common,
            name: "edge-b",
            durableObjects: {
              EDGE_CONFIG: { className: "EdgeConfig", scriptName: "edge-a", useSQLite: true },
              ROOMS: { className: "Room", scriptName: "edge-a", useSQLite: true },
            },
          },
        ],
      }),
    );
    await mf.ready;
    return {
      a: (await mf.getWorker("edge-a")) as unknown as WorkerFetcher,
      b: (await mf.getWorker("edge-b")) as unknown as WorkerFetcher,
      async dispose() {
        await mf.dispose();
        rmSync(work, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
}
