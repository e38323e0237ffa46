/**
 * Refuses bodies over the configured size (`security.maxBodyBytes`) before they are read
 * whole: a declared Content-Length is checked up front, a streamed body is cut off at the limit.
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../lib/errors.ts";

export function bodyLimit(): MiddlewareHandler<AppEnv> {
  return async function bodyLimit(c, next) {
    const maxSize = c.var.config.security.maxBodyBytes;
    const limiter = honoBodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError("payload-too-large", { detail: `The request body exceeds ${maxSize} bytes.` });
      },
    });
    return limiter(c, next);
  };
}
