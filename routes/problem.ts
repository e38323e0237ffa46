/**
 * Errors on the HTTP side: the OpenAPI description of an error answer, RFC 9457 problem details
 * (see `src/lib/errors.ts`), and the 503 for a Durable Object that cannot be reached.
 */
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../src/env.ts";
import { ApiError } from "../src/lib/errors.ts";
import { describeError, logLine } from "../src/lib/log.ts";

export const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: z.object({}).passthrough() } },
});

/** The 401 of every route that needs an access token. */
export const UNAUTHORIZED = problem("Missing or invalid token");

/**
 * Runs a call to a Durable Object. If the object cannot be reached, logs `log` with the request
 * id and answers 503 with `detail`: a failed call is never a silent success.
 */
export async function orUnavailable<T>(
  c: Context<AppEnv>,
  call: () => Promise<T>,
  failure: { log: string; detail: string },
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    logLine("error", failure.log, { requestId: c.get("requestId"), error: describeError(err).message });
    throw new ApiError("unavailable", { detail: failure.detail });
  }
}
