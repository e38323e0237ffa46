/**
 * Structured logging: one JSON line per request, plus error lines, to the Workers log stream.
 * Never put tokens, secrets or request bodies in here.
 */

/** Outcome fields that middleware adds to the request's log line (e.g. `waf`, `ratelimit`, `auth`). */
export type LogFields = Record<string, unknown>;

export type LogLevel = "info" | "warn" | "error";

// Workers freeze the clock between I/O events, so lines written close together share one
// millisecond: format each millisecond's ISO timestamp once.
let isoMs = Number.NaN;
let iso = "";

/** `new Date().toISOString()`, formatted once per millisecond. */
export function isoNow(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    iso = new Date(now).toISOString();
  }
  return iso;
}

/** Writes an already complete line object (`level`, `msg` and `time` first) at its level. */
export function writeLine(level: LogLevel, line: object): void {
  const text = JSON.stringify(line);
  if (level === "error") console.error(text);
  else if (level === "warn") console.warn(text);
  else console.log(text);
}

export function logLine(level: LogLevel, msg: string, fields: LogFields): void {
  writeLine(level, { level, msg, time: isoNow(), ...fields });
}

/** Whether `fields` has any own enumerable key (cheaper than `Object.keys(fields).length`). */
export function hasFields(fields: LogFields): boolean {
  for (const key in fields) if (Object.hasOwn(fields, key)) return true;
  return false;
}

/** A short, safe description of an unknown thrown value (no secrets are expected in messages). */
export function describeError(err: unknown): { name: string; message: string; stack?: string } {
  if (err instanceof Error) {
    const out: { name: string; message: string; stack?: string } = { name: err.name, message: err.message };
    if (err.stack) out.stack = err.stack.split("\n").slice(0, 8).join("\n");
    return out;
  }
  return { name: typeof err, message: String(err) };
}
