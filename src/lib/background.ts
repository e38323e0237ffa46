import type { Context } from "hono";

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
  let ctx: { waitUntil(promise: Promise<unknown>): void } | undefined;
  try {
    ctx = c.executionCtx;
  } catch {
    ctx = undefined;
  }
  if (ctx) ctx.waitUntil(settled);
  else await settled;
}
