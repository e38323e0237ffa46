/**
 * Problem details (RFC 9457) for every error the API returns. Handlers and middleware throw
 * `ApiError`; `app.onError` turns anything thrown into one problem response, so a 500 never
 * carries internals.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export const PROBLEM_BASE = "https://edge-backend.dev/problems/";
export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** Problem type slugs with their default status and title. */
export const problemTypes = {
  "bad-request": { status: 400, title: "Bad request" },
  "malformed-json": { status: 400, title: "Malformed JSON" },
  "invalid-token": { status: 401, title: "Unauthorized" },
  forbidden: { status: 403, title: "Forbidden" },
  "request-blocked": { status: 403, title: "Request blocked" },
  "not-found": { status: 404, title: "Not found" },
  "method-not-allowed": { status: 405, title: "Method not allowed" },
  conflict: { status: 409, title: "Conflict" },
  "precondition-failed": { status: 412, title: "Precondition failed" },
  "payload-too-large": { status: 413, title: "Payload too large" },
  "unsupported-media-type": { status: 415, title: "Unsupported media type" },
  "validation-failed": { status: 422, title: "Validation failed" },
  "upgrade-required": { status: 426, title: "Upgrade required" },
  "precondition-required": { status: 428, title: "Precondition required" },
  "rate-limited": { status: 429, title: "Too many requests" },
  internal: { status: 500, title: "Internal server error" },
  "bad-gateway": { status: 502, title: "Bad gateway" },
  unavailable: { status: 503, title: "Service unavailable" },
  maintenance: { status: 503, title: "Down for maintenance" },
} as const satisfies Record<string, { status: ContentfulStatusCode; title: string }>;

export type ProblemType = keyof typeof problemTypes;

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId: string;
  [extension: string]: unknown;
}

export interface ApiErrorOptions {
  detail?: string;
  /** Extra members of the problem document (e.g. `errors` for validation failures). */
  extensions?: Record<string, unknown>;
  headers?: Record<string, string>;
  cause?: unknown;
}

/** An error with a problem type; thrown anywhere, rendered once by `app.onError`. */
export class ApiError extends HTTPException {
  readonly problemType: ProblemType;
  readonly detail: string;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(problemType: ProblemType, options: ApiErrorOptions = {}) {
    const { status, title } = problemTypes[problemType];
    super(status, { message: options.detail ?? title, cause: options.cause });
    this.problemType = problemType;
    this.detail = options.detail ?? title;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }
}

/** Maps a plain status (e.g. from Hono's own HTTPException) to a problem type. */
export function problemTypeForStatus(status: number): ProblemType {
  for (const [type, def] of Object.entries(problemTypes)) {
    if (def.status === status) return type as ProblemType;
  }
  return status >= 500 ? "internal" : "bad-request";
}

export function problemResponse(
  c: Context,
  problemType: ProblemType,
  detail: string,
  extensions: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  const { status, title } = problemTypes[problemType];
  const body: Problem = {
    ...extensions,
    type: PROBLEM_BASE + problemType,
    title,
    status,
    detail,
    requestId: c.get("requestId") ?? "",
  };
  const res = c.json(body, status, headers);
  res.headers.set("content-type", PROBLEM_CONTENT_TYPE);
  return res;
}
