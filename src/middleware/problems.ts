/**
 * The one place errors become responses: `app.onError`, `app.notFound` and the validation
 * hook shared by every route. Client mistakes get a 4xx problem that says what was wrong;
 * anything unexpected is logged with the request id and answered with a generic 500.
 */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { z } from "zod";
import type { AppEnv } from "../env.ts";
import { ApiError, problemResponse, problemTypeForStatus } from "../lib/errors.ts";
import { describeError, logLine } from "../lib/log.ts";

export const onError: ErrorHandler<AppEnv> = (err, c) => {
  if (err instanceof ApiError) {
    return problemResponse(c, err.problemType, err.detail, err.extensions, err.headers);
  }
  if (err instanceof HTTPException) {
    // Hono's own exceptions (malformed JSON, unsupported media type, …) carry safe messages.
    const type = err.status === 400 && /json/i.test(err.message) ? "malformed-json" : problemTypeForStatus(err.status);
    if (err.status < 500) return problemResponse(c, type, err.message || "Bad request");
  }
  logLine("error", "unhandled error", {
    requestId: c.get("requestId"),
    traceId: c.get("trace")?.traceId,
    method: c.req.method,
    path: c.req.path,
    error: describeError(err),
  });
  return problemResponse(c, "internal", "An unexpected error occurred. Quote the request id when reporting it.");
};

export const notFound: NotFoundHandler<AppEnv> = (c) =>
  problemResponse(c, "not-found", `No route for ${c.req.method} ${c.req.path}.`);

interface ValidationIssue {
  path: string;
  message: string;
}

/** Zod issue path as a JSON-pointer-like string, e.g. `/security/rules/0/id`. */
function issuePath(target: string, path: ReadonlyArray<PropertyKey>): string {
  return `${target === "json" ? "" : `${target}:`}/${path.map(String).join("/")}`;
}

/**
 * Validation hook for `@hono/zod-openapi` routes: invalid input → `422` listing each problem
 * with its path (bodies) or `400` for bad path/query/header parameters.
 */
export function validationHook(
  result: { success: true } | { success: false; error: z.ZodError; target: string },
  c: Context<AppEnv>,
): Response | undefined {
  if (result.success) return undefined;
  const errors: ValidationIssue[] = result.error.issues.map((i) => ({
    path: issuePath(result.target, i.path),
    message: i.message,
  }));
  const first = errors[0];
  const detail = first
    ? `${first.path}: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ""}`
    : "Invalid input.";
  return problemResponse(
    c,
    result.target === "json" || result.target === "form" ? "validation-failed" : "bad-request",
    detail,
    { errors },
  );
}
