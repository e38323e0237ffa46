/**
 * Refuses bodies over the configured size (`security.maxBodyBytes`) before they are read
 * whole: a declared Content-Length is checked up front, a streamed body is cut off at the limit.
 * Requests without a body (GET, HEAD, …) pass straight through.
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../lib/errors.ts";

/** The limiter for the current `maxBodyBytes`; rebuilt only when the config changes it. */
let limiter: { maxSize: number; handler: MiddlewareHandler<AppEnv> } | undefined;

function limiterFor(maxSize: number): MiddlewareHandler<AppEnv> {
  if (limiter?.maxSize !== maxSize) {
    const handler = honoBodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError("payload-too-large", { detail: `The request body exceeds ${maxSize} bytes.` });
      },
    });
    limiter = { maxSize, handler };
  }
  return limiter.handler;
}

export function bodyLimit(): MiddlewareHandler<AppEnv> {
  return function bodyLimit(c, next) {
    // hono/body-limit lets body-less requests through too; skip finding the limiter for them.
    if (!c.req.raw.body) return next();
    return limiterFor(c.get("config").security.maxBodyBytes)(c, next);
  };
}
