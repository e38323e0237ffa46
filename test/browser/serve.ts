/**
 * Serves the real Worker for browser tests: the local stack (`dev/stack-process.ts`) in a temp
 * folder plus `wrangler dev --local` on a free loopback port, with the stack's addresses and
 * the dev issuer as vars. The user's `.dev.vars` is not read (an `--env-file` replaces it) and
 * the Durable Object state lives in the temp folder, so a test never sees or changes `npm run
 * dev`'s data. `close()` stops wrangler (its whole process group), then the stack.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { JWK } from "jose";
import { signDevToken, type DevKeys, type DevTokenClaims } from "../../dev/dev-keys.ts";
import type { StackProcessReady } from "../../dev/stack-process.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const STACK_TIMEOUT_MS = 60_000;
const WORKER_TIMEOUT_MS = 90_000;
const VERBOSE = Boolean(process.env.BROWSER_TEST_VERBOSE);

export interface LocalWorker {
  /** e.g. `http://127.0.0.1:41234` (no trailing slash). */
  url: string;
  vars: StackProcessReady["vars"];
  devOriginUrl: string;
  devIdpUrl: string;
  /** The webhook receiver of the stack (`dev/webhook-receiver.ts`). */
  webhookReceiverUrl: string;
  /** An access token from the dev issuer the Worker trusts. */
  token(claims: Omit<DevTokenClaims, "issuer" | "audience">): Promise<string>;
  /** The last lines wrangler printed (for failure messages). */
  logs(): string;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

/** Keeps the last `max` lines of a child's output; echoes them with BROWSER_TEST_VERBOSE=1. */
function tail(max: number, label: string) {
  const lines: string[] = [];
  return {
    push: (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) {
        if (!line.trim()) continue;
        if (VERBOSE) process.stderr.write(`[${label}] ${line}\n`);
        lines.push(line);
        if (lines.length > max) lines.shift();
      }
    },
    text: () => lines.join("\n"),
  };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

async function startStack(dataDir: string): Promise<{ child: ChildProcess; ready: StackProcessReady }> {
  const script = join(root, "dev", "stack-process.ts");
  const child = spawn(process.execPath, [script, dataDir], { stdio: ["pipe", "pipe", "pipe"] });
  const errors = tail(40, "stack");
  child.stderr?.on("data", errors.push);
  const ready = await new Promise<StackProcessReady>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("local stack did not start within 60 s")), STACK_TIMEOUT_MS);
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n").find((l) => l.startsWith('{"ready"'));
      if (line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { ready: StackProcessReady }).ready);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`local stack exited with code ${code} before it was ready:\n${errors.text()}`));
    });
  }).catch(async (err: unknown) => {
    await stopStack(child);
    throw err;
  });
  return { child, ready };
}

async function stopStack(child: ChildProcess): Promise<void> {
  const done = exited(child);
  child.stdin?.end();
  await Promise.race([done, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill("SIGKILL");
    await done;
  }
}

interface WranglerProcess {
  child: ChildProcess;
  /** The process group of wrangler and its workerd, once the wrapper has reported it. */
  pgid?: number;
}

/** Signals wrangler's process group; ignores a group already gone. */
function signalGroup(pgid: number | undefined, signal: NodeJS.Signals): void {
  if (pgid === undefined) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: nothing left to stop.
  }
}

/** Closing the wrapper's stdin stops wrangler's group; the direct kills are the fallback. */
async function stopWrangler({ child, pgid }: WranglerProcess): Promise<void> {
  const done = exited(child);
  child.stdin?.end();
  await Promise.race([done, new Promise((r) => setTimeout(r, 10_000))]);
  child.kill("SIGKILL");
  signalGroup(pgid, "SIGKILL");
  await done;
}

async function waitForHealth(url: string, child: ChildProcess, logs: () => string): Promise<void> {
  const deadline = Date.now() + WORKER_TIMEOUT_MS;
  let exitedEarly = false;
  child.once("exit", () => (exitedEarly = true));
  while (Date.now() < deadline) {
    if (exitedEarly) throw new Error(`wrangler dev exited before it served /healthz:\n${logs()}`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`wrangler dev did not serve /healthz within ${WORKER_TIMEOUT_MS / 1000} s:\n${logs()}`);
}

/**
 * Starts the local stack and `wrangler dev` serving this repository's Worker.
 *
 * @example
 * const worker = await serveWorker();
 * const token = await worker.token({ sub: "alice", roles: ["admin"] });
 * await fetch(`${worker.url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
 * await worker.close();
 */
export async function serveWorker(): Promise<LocalWorker> {
  const dir = mkdtempSync(join(tmpdir(), "edge-browser-"));
  let stack: { child: ChildProcess; ready: StackProcessReady } | undefined;
  let wrangler: WranglerProcess | undefined;
  const killOnExit = () => {
    if (wrangler) signalGroup(wrangler.pgid, "SIGKILL");
    wrangler?.child.kill("SIGKILL");
    stack?.child.kill("SIGKILL");
  };
  process.once("exit", killOnExit);

  const close = async () => {
    process.off("exit", killOnExit);
    if (wrangler) await stopWrangler(wrangler);
    if (stack) await stopStack(stack.child);
    rmSync(dir, { recursive: true, force: true });
  };

  const output = tail(80, "wrangler");
  try {
    stack = await startStack(join(dir, "stack"));
    const { vars, devOriginUrl, devIdpUrl, privateJwk } = stack.ready;
    const [port, inspectorPort] = [await freePort(), await freePort()];
    // An --env-file stops wrangler from reading the developer's .dev.vars (and .env).
    const envFile = join(dir, "worker.env");
    writeFileSync(envFile, "ENVIRONMENT=development\n");
    const args = [
      join(root, "test", "browser", "worker-process.ts"),
      "dev",
      "--local",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-ip",
      "127.0.0.1",
      "--inspector-port",
      String(inspectorPort),
      "--persist-to",
      join(dir, "wrangler-state"),
      "--env-file",
      envFile,
      "--show-interactive-dev-session=false",
      ...Object.entries({ ...vars, ENVIRONMENT: "development" }).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    ];
    // Through a wrapper that stops wrangler and its workerd when this process goes away,
    // however it goes (a crashed or killed test run leaves nothing behind).
    const child = spawn(process.execPath, args, { cwd: root, stdio: ["pipe", "pipe", "pipe"] });
    const started: WranglerProcess = { child };
    wrangler = started;
    // The wrapper's first line is `{"pgid": N}`; the rest is wrangler's output.
    let head: string | undefined = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      if (head === undefined) return output.push(chunk);
      head += chunk.toString();
      const newline = head.indexOf("\n");
      if (newline === -1) return;
      const match = /"pgid":\s*(\d+)/.exec(head.slice(0, newline));
      if (match) started.pgid = Number(match[1]);
      output.push(Buffer.from(head.slice(newline + 1)));
      head = undefined;
    });
    child.stderr?.on("data", output.push);
    const url = `http://127.0.0.1:${port}`;
    await waitForHealth(url, child, output.text);

    const keys: DevKeys = {
      privateJwk: JSON.parse(privateJwk) as JWK,
      publicJwks: JSON.parse(vars.JWT_PUBLIC_JWKS) as { keys: JWK[] },
    };
    return {
      url,
      vars,
      devOriginUrl,
      devIdpUrl,
      webhookReceiverUrl: stack.ready.devWebhookReceiverUrl,
      token: (claims) => signDevToken(keys, { ...claims, issuer: vars.JWT_ISSUER, audience: vars.JWT_AUDIENCE }),
      logs: output.text,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
