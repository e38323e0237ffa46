/**
 * Runs `wrangler dev` for a test harness and makes sure it never outlives the harness:
 *
 *   node test/browser/worker-process.ts <wrangler args…>
 *
 * Wrangler (and the workerd it starts) get their own process group; when this process's stdin
 * closes (the harness finished, crashed or was killed) or it gets SIGTERM/SIGINT, the whole
 * group is stopped. The first stdout line is `{"pgid": N}`; wrangler's output follows.
 */
import { spawn } from "node:child_process";
import { wranglerBin } from "../../dev/wrangler-bin.ts";

const child = spawn(process.execPath, [wranglerBin(), ...process.argv.slice(2)], {
  detached: true,
  stdio: ["ignore", "inherit", "inherit"],
  env: {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    NO_COLOR: "1",
    FORCE_COLOR: "0",
  },
});
const pgid = child.pid;
if (pgid === undefined) {
  process.stderr.write("worker-process: could not start wrangler\n");
  process.exit(1);
}
process.stdout.write(`${JSON.stringify({ pgid })}\n`);

function signalGroup(signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid!, signal);
  } catch {
    // ESRCH: the group is gone.
  }
}

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  if (child.exitCode !== null || child.signalCode !== null) {
    signalGroup("SIGKILL");
    process.exit(0);
  }
  signalGroup("SIGTERM");
  // workerd can linger after wrangler exits; whatever is left of the group goes after 5 s.
  setTimeout(() => {
    signalGroup("SIGKILL");
    process.exit(0);
  }, 5_000).unref();
  child.once("exit", () => {
    signalGroup("SIGKILL");
    process.exit(0);
  });
}

child.once("exit", (code, signal) => {
  if (stopping) return;
  signalGroup("SIGKILL");
  process.exit(code ?? (signal ? 1 : 0));
});
process.stdin.on("end", stop);
process.stdin.on("close", stop);
process.stdin.resume();
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.on("SIGHUP", stop);
