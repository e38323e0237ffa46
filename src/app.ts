/**
 * The app, read top to bottom as a request's path through the edge:
 * context (request id, timing, trace, log line) → edge config → body size → [security filter,
 * maintenance, rate limits, auth: added by their issues] → services → routes.
 * Errors from anywhere become problem+json in `onError`/`notFound`.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { requestId } from "hono/request-id";
import { timing } from "hono/timing";
import { docsRoutes } from "../routes/docs.ts";
import { healthRoutes, readinessRoutes } from "../routes/health.ts";
import type { AppEnv } from "./env.ts";
import { bodyLimit } from "./middleware/body-limit.ts";
import { edgeConfig } from "./middleware/edge-config.ts";
import { notFound, onError, validationHook } from "./middleware/problems.ts";
import { requestContext } from "./middleware/request-context.ts";
import { services } from "./middleware/services.ts";

export const API_INFO = {
  title: "Edge Backend API",
  version: "0.1.0",
  description: "Edge-first backend on Cloudflare Workers. Errors are application/problem+json.",
} as const;

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app
    .use(requestId({ headerName: "x-request-id", limitLength: 128 }))
    .use(timing({ crossOrigin: false }))
    .use(requestContext())
    .use(edgeConfig())
    .use(bodyLimit())
    // Liveness answers before any service is built: it must not depend on settings or backends.
    .route("/", healthRoutes)
    .use(services())
    .route("/", readinessRoutes);

  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  const openApiDocument = () =>
    (document ??= app.getOpenAPI31Document({ openapi: "3.1.0", info: { ...API_INFO } }));
  app.get("/openapi.json", (c) => c.json(openApiDocument()));
  app.route("/", docsRoutes(openApiDocument));

  app.onError(onError);
  app.notFound(notFound);
  return app;
}

export type App = ReturnType<typeof createApp>;
