import type { Context } from "hono";

/** The request's `waitUntil`, when the runtime offers one (not in `app.request()` tests). */
export function waitUntilOf(c: Context): ((work: Promise<unknown>) => void) | undefined {
  try {
    const ctx = c.executionCtx;
    return (work) => ctx.waitUntil(work);
  } catch {
    return undefined;
  }
}

/**
 * Runs `work` after the response when the runtime offers `waitUntil`, else awaits it (e.g. in
 * `app.request()` tests without an execution context). Failures are swallowed by design:
 * background work (cache fills, analytics) must never fail the request.
 */
export async function inBackground(c: Context, work: Promise<unknown>): Promise<void> {
  const settled = work.then(
    () => undefined,
    () => undefined,
  );
  const waitUntil = waitUntilOf(c);
  if (waitUntil) waitUntil(settled);
  else await settled;
}
