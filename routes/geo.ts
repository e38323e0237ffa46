/** `GET /v1/geo`: the personalization context the edge derived for this visitor. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../src/env.ts";
import { GeoSchema } from "../src/lib/geo/api.ts";

export const geoRoutes = new OpenAPIHono<AppEnv>().openapi(
  createRoute({
    method: "get",
    path: "/v1/geo",
    tags: ["Personalization"],
    summary: "Where the visitor is and what that means for the response",
    description:
      "From `request.cf` and `Accept-Language`. In development only, an `x-dev-cf: <JSON>` header replaces the cf fields and the client address.",
    responses: {
      200: { description: "The visitor's context", content: { "application/json": { schema: GeoSchema } } },
    },
  }),
  (c) => c.json(c.get("geo"), 200, { "cache-control": "private, no-store", vary: "accept-language" }),
);
