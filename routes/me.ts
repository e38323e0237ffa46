/** `GET /v1/me`: who the access token says the caller is, and where they are. */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../src/env.ts";
import { GeoSchema } from "../src/lib/geo/api.ts";
import { requireAuth } from "../src/middleware/auth.ts";

const MeSchema = z
  .object({ sub: z.string(), roles: z.array(z.string()), tenant: z.string(), geo: GeoSchema })
  .openapi("Me");

export const meRoutes = new OpenAPIHono<AppEnv>().openapi(
  createRoute({
    method: "get",
    path: "/v1/me",
    tags: ["Identity"],
    summary: "The caller's identity from the access token",
    security: [{ bearerAuth: [] }],
    middleware: [requireAuth()] as const,
    responses: {
      200: { description: "The verified principal", content: { "application/json": { schema: MeSchema } } },
      401: { description: 'Missing or invalid token (`WWW-Authenticate: Bearer error="invalid_token"`)' },
    },
  }),
  (c) => {
    const { sub, roles, tenant } = c.get("principal");
    return c.json({ sub, roles, tenant, geo: c.get("geo") }, 200, { "cache-control": "private, no-store" });
  },
);
