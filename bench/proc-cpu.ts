/**
 * CPU time used by the workerd processes this process started (Linux `/proc`), so a case can
 * be reported as CPU per request: unlike req/s, that barely moves when other processes on the
 * machine compete for the cores. Only the side under load is busy during a phase, so the sum
 * over all workerd children is that side's cost.
 */
import { readdirSync, readFileSync } from "node:fs";

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** Total user+system CPU milliseconds of this process's workerd children; undefined without /proc. */
export function workerdCpuMs(): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return undefined;
  }
  let ticks = 0;
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue;
    }
    // pid (comm) state ppid … utime(14) stime(15): comm may contain spaces, so split after ")".
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    if (comm !== "workerd" || Number(fields[1]) !== process.pid) continue;
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks * TICK_MS;
}

/** CPU milliseconds of this (host) process: Miniflare's log handling and the local stack. */
export function hostCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
