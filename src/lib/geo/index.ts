/**
 * Geo personalisation: who is visiting from where (`visitorGeo`), and what that means for the
 * response (`personalize`): locale, currency, units, consent and the nearest origin region.
 * Everything here is pure and synchronous, cheap enough to run on every request.
 */
import { consentRequired, currencyFor, unitsFor } from "./country.ts";
import { negotiateLocale } from "./locale.ts";
import type { SupportedLocale } from "./locale.ts";
import { DEFAULT_ORIGIN_REGIONS, nearestOrigin } from "./nearest-origin.ts";
import type { OriginRegion } from "./nearest-origin.ts";
import type { VisitorGeo } from "./visitor.ts";

export {
  consentRequired, currencyFor, defaultLocaleFor, isEuEea, isEuMember, KNOWN_COUNTRIES, unitsFor,
} from "./country.ts";
export {
  localeCount, MAX_ACCEPT_LANGUAGE_ENTRIES, MAX_ACCEPT_LANGUAGE_LENGTH, negotiateLocale, SUPPORTED_LOCALES,
} from "./locale.ts";
export type { SupportedLocale } from "./locale.ts";
export {
  DEFAULT_ORIGIN_REGIONS, EARTH_RADIUS_KM, greatCircleKm, MAX_ORIGIN_REGIONS, nearestOrigin, parseOriginRegions,
} from "./nearest-origin.ts";
export type { OriginRegion } from "./nearest-origin.ts";
export { DEV_CF_HEADER, isIpAddress, MAX_DEV_CF_LENGTH, visitorGeo } from "./visitor.ts";
export type { VisitorGeo, VisitorGeoOptions } from "./visitor.ts";

/** The body of `GET /v1/geo` (README, "Geo and content"; `/openapi.json`). The client address is deliberately not part of it. */
export interface GeoContext {
  country: string | null;
  region: string | null;
  city: string | null;
  continent: string | null;
  timezone: string | null;
  latitude: number | null;
  longitude: number | null;
  colo: string | null;
  asn: number | null;
  isEU: boolean;
  locale: SupportedLocale;
  currency: string;
  units: "metric" | "imperial";
  consentRequired: boolean;
  /** Id of the closest origin region, or null when the visitor's position is unknown. */
  nearestOrigin: string | null;
}

/**
 * Derives the personalisation context for a visitor.
 * @param geo from `visitorGeo(request, …)`
 * @param acceptLanguage the request's `Accept-Language` header, if any
 * @param regions origin regions to choose from (default: DEFAULT_ORIGIN_REGIONS)
 * @example
 * const ctx = personalize(visitorGeo(c.req.raw, { development }), c.req.header("accept-language") ?? null);
 */
export function personalize(
  geo: VisitorGeo,
  acceptLanguage: string | null,
  regions: readonly OriginRegion[] = DEFAULT_ORIGIN_REGIONS,
): GeoContext {
  return {
    country: geo.country,
    region: geo.region,
    city: geo.city,
    continent: geo.continent,
    timezone: geo.timezone,
    latitude: geo.latitude,
    longitude: geo.longitude,
    colo: geo.colo,
    asn: geo.asn,
    isEU: geo.isEU,
    locale: negotiateLocale(acceptLanguage, geo.country),
    currency: currencyFor(geo.country),
    units: unitsFor(geo.country),
    consentRequired: consentRequired(geo),
    nearestOrigin: nearestOrigin(geo.latitude, geo.longitude, regions)?.id ?? null,
  };
}
