/**
 * Structured logging: one JSON line per request, plus error lines, to the Workers log stream.
 * Never put tokens, secrets or request bodies in here.
 */

/** Outcome fields that middleware adds to the request's log line (e.g. `waf`, `ratelimit`, `auth`). */
export type LogFields = Record<string, unknown>;

export function logLine(level: "info" | "warn" | "error", msg: string, fields: LogFields): void {
  const line = JSON.stringify({ level, msg, time: new Date().toISOString(), ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
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
