/**
 * Vitest global setup for the Workers tests: starts the real local stack (redis-server + the
 * Upstash bridge, libSQL with migrations, the dev origin) on free ports in a temp folder, in a
 * child process, and provides the addresses, which vitest.config.ts injects into the Worker's
 * bindings.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import type { StackProcessReady } from "../dev/stack-process.ts";

const STARTUP_TIMEOUT_MS = 60_000;

export default async function setup(project: TestProject) {
  const dataDir = mkdtempSync(join(tmpdir(), "edge-test-"));
  const script = fileURLToPath(new URL("../dev/stack-process.ts", import.meta.url));
  const child = spawn(process.execPath, [script, dataDir], { stdio: ["pipe", "pipe", "inherit"] });

  const ready = await new Promise<StackProcessReady>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("local stack did not start within 60 s")), STARTUP_TIMEOUT_MS);
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n").find((l) => l.startsWith('{"ready"'));
      if (line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { ready: StackProcessReady }).ready);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`local stack exited with code ${code} before it was ready`));
    });
  });

  project.provide("stack", {
    ...ready.vars,
    DEV_ORIGIN_URL: ready.devOriginUrl,
    DEV_IDP_URL: ready.devIdpUrl,
    DEV_WEBHOOK_RECEIVER_URL: ready.devWebhookReceiverUrl,
  });
  project.provide("devPrivateJwk", ready.privateJwk);

  return async () => {
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.stdin.end();
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  };
}
