/**
 * CPU time used by the workerd processes this process started (Linux `/proc`), so a case can
 * be reported as CPU per request: unlike req/s, that barely moves when other processes on the
 * machine compete for the cores. Only the side under load is busy during a phase, so the sum
 * over all workerd children is that side's cost.
 */
import { readdirSync, readFileSync } from "node:fs";

const TICK_MS = 10; // USER_HZ is 100 on Linux

/**
 * CPU milliseconds of one process from its threads' `schedstat` (nanoseconds on the CPU), far
 * finer than `stat`'s 10 ms ticks; undefined where the kernel does not keep it.
 */
function schedstatMs(pid: string): number | undefined {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  let ns = 0;
  for (const tid of tasks) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return Number.isFinite(ns) ? ns / 1e6 : undefined;
}

/**
 * Total CPU milliseconds of this process's workerd children (threads' nanosecond counters where
 * the kernel keeps them, else user+system ticks); undefined without /proc.
 */
export function workerdCpuMs(): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return undefined;
  }
  let ticks = 0;
  let ms = 0;
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
    const precise = schedstatMs(pid);
    if (precise !== undefined) ms += precise;
    else ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ms + ticks * TICK_MS;
}

/** CPU milliseconds of this (host) process: Miniflare's log handling and the local stack. */
export function hostCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
