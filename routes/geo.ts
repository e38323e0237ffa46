/** `GET /v1/geo`: the personalization context the edge derived for this visitor. */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../src/env.ts";

export const GeoSchema = z
  .object({
    country: z.string().nullable().openapi({ example: "DE" }),
    region: z.string().nullable(),
    city: z.string().nullable(),
    continent: z.string().nullable().openapi({ example: "EU" }),
    timezone: z.string().nullable().openapi({ example: "Europe/Berlin" }),
    latitude: z.number().nullable(),
    longitude: z.number().nullable(),
    colo: z.string().nullable(),
    asn: z.number().int().nullable(),
    isEU: z.boolean(),
    locale: z.string().openapi({ example: "de" }),
    currency: z.string().openapi({ example: "EUR" }),
    units: z.enum(["metric", "imperial"]),
    consentRequired: z.boolean(),
    nearestOrigin: z.string().nullable().openapi({ example: "eu-central" }),
  })
  .openapi("Geo");

export const geoRoutes = new OpenAPIHono<AppEnv>().openapi(
  createRoute({
    method: "get",
    path: "/v1/geo",
    tags: ["Personalization"],
    summary: "Where the visitor is and what that means for the response",
    description:
      "From `request.cf` and `Accept-Language`. In development only, an `x-dev-cf: <JSON>` header replaces the cf fields and the client address.",
    responses: { 200: { description: "The visitor's context", content: { "application/json": { schema: GeoSchema } } } },
  }),
  (c) => c.json(c.get("geo"), 200, { "cache-control": "private, no-store", vary: "accept-language" }),
);
