/**
 * The body of `GET /v1/geo` (README, "Geo and content"), declared once as a zod schema (also its
 * OpenAPI description); `GeoContext` is inferred from it. The client address is deliberately
 * not part of it.
 */
import { z } from "@hono/zod-openapi";
import type { SupportedLocale } from "./supported-locales.ts";

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
    /** Id of the closest origin region, or null when the visitor's position is unknown. */
    nearestOrigin: z.string().nullable().openapi({ example: "eu-central" }),
  })
  .openapi("Geo");

/** The visitor's context: where they are (`VisitorGeo` without the address) and what follows from it. */
export type GeoContext = Omit<z.infer<typeof GeoSchema>, "locale"> & { locale: SupportedLocale };
