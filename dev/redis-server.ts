/**
 * Spawns a private, throw-away `redis-server` for local development and tests.
 *
 * - Always starts its own process (never touches a system Redis on 6379 unless asked to use that port).
 * - No persistence: `--save "" --appendonly no`, working dir is a fresh temp dir unless `dir` is given.
 * - The child never outlives this process: it is killed from a `process.on("exit")` hook and, on POSIX,
 *   by a tiny detached `sh` watchdog that notices when our end of its stdin pipe closes (which also
 *   covers the parent being SIGKILLed or dying on an unhandled signal).
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { accessSync, constants as fsConstants, rmSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";

export interface RunningService {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface StartRedisServerOptions {
  /** TCP port on 127.0.0.1; 0 or undefined picks a free port. */
  port?: number;
  /** Working directory for redis-server; a temp dir (removed on close) when omitted. */
  dir?: string;
  /** Receives every line redis-server prints. */
  log?: (line: string) => void;
  /** How long to wait for PING to succeed. Default 10 s. */
  startTimeoutMs?: number;
}

const FALLBACK_DIRS = ["/usr/bin", "/usr/local/bin", "/opt/homebrew/bin"] as const;

export class RedisNotInstalledError extends Error {
  constructor(message?: string) {
    super(
      message ??
        `redis-server was not found on PATH or in ${FALLBACK_DIRS.join(", ")}; install it (Debian/Ubuntu: \`apt-get install -y redis-server\`, macOS: \`brew install redis\`) and try again.`,
    );
    this.name = "RedisNotInstalledError";
  }
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Absolute path of `redis-server` (PATH first, then the usual install dirs), or undefined. */
export function findRedisServer(): string | undefined {
  const exe = process.platform === "win32" ? "redis-server.exe" : "redis-server";
  const dirs = (process.env.PATH ?? "").split(path.delimiter).filter((d) => d !== "");
  for (const dir of [...dirs, ...FALLBACK_DIRS]) {
    const candidate = path.join(dir, exe);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** A port that was free on 127.0.0.1 a moment ago. */
export function getFreePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error("could not determine a free port"))));
    });
  });
}

/** Sends one inline command and returns the first reply line (or undefined on error/timeout). */
function sendInline(port: number, command: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    let buf = "";
    let settled = false;
    const sock = net.connect({ host: "127.0.0.1", port });
    const finish = (v: string | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    sock.setEncoding("utf8");
    sock.on("connect", () => sock.write(`${command}\r\n`));
    sock.on("data", (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf("\r\n");
      if (nl >= 0) finish(buf.slice(0, nl));
    });
    sock.on("error", () => finish(undefined));
    sock.on("close", () => finish(buf === "" ? undefined : buf));
  });
}

/** `process_id` reported by whatever Redis answers on `port` (undefined if none answers). */
function serverPid(port: number, timeoutMs = 500): Promise<number | undefined> {
  return new Promise((resolve) => {
    let buf = "";
    let settled = false;
    const sock = net.connect({ host: "127.0.0.1", port });
    const finish = (v: number | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    sock.setEncoding("utf8");
    sock.on("connect", () => sock.write("INFO server\r\n"));
    sock.on("data", (chunk: string) => {
      buf += chunk;
      if (buf.startsWith("-")) return finish(undefined); // e.g. -LOADING
      const m = /process_id:(\d+)/.exec(buf);
      if (m?.[1] !== undefined) finish(Number(m[1]));
    });
    sock.on("error", () => finish(undefined));
    sock.on("close", () => finish(undefined));
  });
}

// ---- child bookkeeping: kill everything we started when this process exits ----------------------

interface Tracked {
  child: ChildProcess;
  watchdog: ChildProcess | undefined;
  /** Temp dir we created (removed when the parent exits without calling close()). */
  ownDir: string | undefined;
}
const live = new Set<Tracked>();
let exitHookInstalled = false;

function killQuietly(p: ChildProcess | undefined, signal: NodeJS.Signals): void {
  if (p === undefined || p.exitCode !== null || p.signalCode !== null) return;
  try {
    p.kill(signal);
  } catch {
    /* already gone */
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const t of live) {
      killQuietly(t.watchdog, "SIGKILL");
      killQuietly(t.child, "SIGKILL");
      if (t.ownDir !== undefined) {
        try {
          rmSync(t.ownDir, { recursive: true, force: true });
        } catch {
          /* best effort */
        }
      }
    }
    live.clear();
  });
}

/**
 * Detached `sh` that blocks on `read` from a pipe whose only writer is this process. When this
 * process dies for any reason the pipe hits EOF and the watchdog SIGKILLs the redis child (and
 * removes its temp dir, if we created one).
 */
function startWatchdog(pid: number, ownDir: string | undefined): ChildProcess | undefined {
  if (process.platform === "win32" || !isExecutableFile("/bin/sh")) return undefined;
  try {
    const script = 'read _unused; kill -9 "$1" 2>/dev/null; if [ -n "$2" ]; then sleep 0.2; rm -rf -- "$2"; fi';
    const wd = spawn("/bin/sh", ["-c", script, "redis-watchdog", String(pid), ownDir ?? ""], {
      stdio: ["pipe", "ignore", "ignore"],
      detached: true,
    });
    wd.on("error", () => undefined);
    wd.stdin?.on("error", () => undefined);
    wd.unref();
    // Don't let the pipe keep our event loop alive.
    const stdinHandle: unknown = wd.stdin;
    if (typeof stdinHandle === "object" && stdinHandle !== null && "unref" in stdinHandle) {
      const unref = (stdinHandle as { unref: unknown }).unref;
      if (typeof unref === "function") unref.call(stdinHandle);
    }
    return wd;
  } catch {
    return undefined;
  }
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off("exit", onExit);
      resolve(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once("exit", onExit);
  });
}

// ---- public API --------------------------------------------------------------------------------

export async function startRedisServer(opts: StartRedisServerOptions = {}): Promise<RunningService & { pid: number }> {
  const bin = findRedisServer();
  if (bin === undefined) throw new RedisNotInstalledError();
  const log = opts.log ?? ((): void => undefined);
  const startTimeoutMs = opts.startTimeoutMs ?? 10_000;
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? (await mkdtemp(path.join(os.tmpdir(), "redis-dev-")));
  const pickPort = opts.port === undefined || opts.port === 0;

  try {
    // A port picked for us can be stolen between probing and binding: retry a few times then.
    for (let attempt = 1; ; attempt++) {
      const port = pickPort ? await getFreePort() : (opts.port as number);
      try {
        return await launch(bin, port, dir, ownDir, log, startTimeoutMs);
      } catch (err) {
        const portClash = err instanceof Error && /address already in use/i.test(err.message);
        if (!(pickPort && portClash && attempt < 5)) throw err;
      }
    }
  } catch (err) {
    if (ownDir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
}

async function launch(
  bin: string,
  port: number,
  dir: string,
  ownDir: boolean,
  log: (line: string) => void,
  startTimeoutMs: number,
): Promise<RunningService & { pid: number }> {
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
    "--daemonize",
    "no",
  ];
  const child = spawn(bin, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });

  const lastLines: string[] = [];
  const onLine = (line: string): void => {
    lastLines.push(line);
    if (lastLines.length > 30) lastLines.shift();
    log(line);
  };
  if (child.stdout) createInterface({ input: child.stdout }).on("line", onLine);
  if (child.stderr) createInterface({ input: child.stderr }).on("line", onLine);
  const tail = (): string => (lastLines.length > 0 ? lastLines.join("\n") : "(no output)");

  let spawnError: Error | undefined;
  child.on("error", (err: NodeJS.ErrnoException) => {
    spawnError = err.code === "ENOENT" ? new RedisNotInstalledError() : err;
  });
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      resolve();
    });
  });

  // `spawn` reports ENOENT asynchronously; give it a tick before relying on the pid.
  await new Promise<void>((r) => setImmediate(r));
  if (spawnError !== undefined || child.pid === undefined) {
    throw spawnError ?? new Error(`failed to spawn ${bin}`);
  }
  const pid = child.pid;

  installExitHook();
  const trackedDir = ownDir ? dir : undefined;
  const tracked: Tracked = { child, watchdog: startWatchdog(pid, trackedDir), ownDir: trackedDir };
  live.add(tracked);
  child.once("exit", () => {
    live.delete(tracked);
    killQuietly(tracked.watchdog, "SIGKILL");
  });

  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (spawnError !== undefined) throw spawnError;
    if (exited) {
      await new Promise<void>((r) => setTimeout(r, 20)); // let the last output lines arrive
      throw new Error(
        `redis-server (${bin}) exited with code ${String(child.exitCode)} before accepting connections on 127.0.0.1:${port}. Last output:\n${tail()}`,
      );
    }
    // Ready when *our* process answers: another server already on this port must not count.
    const answeringPid = await serverPid(port);
    if (answeringPid === pid && (await sendInline(port, "PING", 500)) === "+PONG") break;
    if (Date.now() > deadline) {
      killQuietly(child, "SIGKILL");
      await waitForExit(child, 2000);
      const other =
        answeringPid !== undefined && answeringPid !== pid
          ? ` (port is served by another process, pid ${answeringPid})`
          : "";
      throw new Error(
        `redis-server did not answer PING on 127.0.0.1:${port} within ${startTimeoutMs} ms${other}. Last output:\n${tail()}`,
      );
    }
    await new Promise<void>((r) => setTimeout(r, 50));
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (!exited) {
        // Graceful first (no save configured, so this is instant), then signals. Only talk to the
        // port if it is still our process answering there.
        if ((await serverPid(port)) === pid) await sendInline(port, "SHUTDOWN NOSAVE", 1000);
        else killQuietly(child, "SIGTERM");
        if (!(await waitForExit(child, 3000))) {
          killQuietly(child, "SIGTERM");
          if (!(await waitForExit(child, 2000))) {
            killQuietly(child, "SIGKILL");
          }
        }
        await exitPromise;
      }
      live.delete(tracked);
      killQuietly(tracked.watchdog, "SIGKILL");
      if (ownDir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    })();
    return closing;
  };

  return { url: `redis://127.0.0.1:${port}`, port, pid, close };
}
