/**
 * The app, read top to bottom as a request's path through the edge:
 * context (request id, timing, trace, log line) → geo (who, from where) → edge config →
 * body size → security filter → CORS → maintenance → feature flags → services →
 * rate limits → routes (auth and roles are declared per route with `requireAuth`/`requireRole`).
 * Errors from anywhere become problem+json in `onError`/`notFound`.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { adminConfigRoutes } from "../routes/admin-config.ts";
import { aiRoutes } from "../routes/ai.ts";
import { contentRoutes } from "../routes/content.ts";
import { docsRoutes } from "../routes/docs.ts";
import { geoRoutes } from "../routes/geo.ts";
import { healthRoutes, readinessRoutes } from "../routes/health.ts";
import { meRoutes } from "../routes/me.ts";
import { metricsRoutes } from "../routes/metrics.ts";
import { pageFileRoutes, pageRoutes } from "../routes/pages.ts";
import { roomsRoutes } from "../routes/rooms.ts";
import { registerWebhookEvents, webhookRoutes } from "../routes/webhooks.ts";
import type { AppEnv } from "./env.ts";
import { bodyLimit } from "./middleware/body-limit.ts";
import { edgeConfig } from "./middleware/edge-config.ts";
import { cors, flags, maintenance } from "./middleware/edge-policies.ts";
import { geo } from "./middleware/geo.ts";
import { notFound, onError, validationHook } from "./middleware/problems.ts";
import { rateLimit } from "./middleware/rate-limit.ts";
import { securityFilter } from "./middleware/security-filter.ts";
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
    .use(requestContext())
    .use(geo())
    .use(edgeConfig())
    .use(bodyLimit())
    .use(securityFilter())
    .use(cors())
    // The pages' scripts and styles are static: served even in maintenance (the admin page needs
    // them to switch it off; the pages themselves follow the maintenance rules).
    .route("/", pageFileRoutes)
    .use(maintenance())
    .use(flags())
    // Liveness answers before any service is built: it must not depend on settings or backends.
    .route("/", healthRoutes)
    // The pages need no backend either (their API calls do).
    .route("/", pageRoutes)
    .use(services())
    .use(rateLimit())
    .route("/", readinessRoutes)
    .route("/", geoRoutes)
    .route("/", meRoutes)
    .route("/", contentRoutes)
    .route("/", roomsRoutes)
    .route("/", aiRoutes)
    .route("/", adminConfigRoutes)
    .route("/", metricsRoutes)
    .route("/", webhookRoutes);
  registerWebhookEvents(app);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "Access token (`npm run token -- --sub alice --roles admin` locally).",
  });

  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  const openApiDocument = () => (document ??= app.getOpenAPI31Document({ openapi: "3.1.0", info: { ...API_INFO } }));
  app.get("/openapi.json", (c) => c.json(openApiDocument()));
  app.route("/", docsRoutes(openApiDocument));

  app.onError(onError);
  app.notFound(notFound);
  return app;
}

export type App = ReturnType<typeof createApp>;
