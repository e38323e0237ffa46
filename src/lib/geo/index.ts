/**
 * Geo personalisation: who is visiting from where (`visitorGeo`), and what that means for the
 * response (`personalize`): locale, currency, units, consent and the nearest origin region.
 * Everything here is pure and synchronous. `LazyGeoContext` is what requests get: each derived
 * field is computed on first read, so a request that never reads it (`/healthz`, the admin API)
 * never negotiates a locale or ranks origins.
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

/**
 * The same fields as `personalize` returns, each derived on first read and kept for the request.
 * `JSON.stringify` (and so `c.json`) sees the plain object (`toJSON`).
 * @example
 * c.set("geo", new LazyGeoContext(visitor, c.req.raw.headers));
 */
export class LazyGeoContext implements GeoContext {
  readonly #visitor: VisitorGeo;
  readonly #headers: Pick<Headers, "get">;
  readonly #regions: readonly OriginRegion[];
  #locale: SupportedLocale | undefined;
  #nearestOrigin: string | null | undefined;

  /** `headers`: the request's (only `Accept-Language` is read, on first use of `locale`). */
  constructor(visitor: VisitorGeo, headers: Pick<Headers, "get">, regions: readonly OriginRegion[] = DEFAULT_ORIGIN_REGIONS) {
    this.#visitor = visitor;
    this.#headers = headers;
    this.#regions = regions;
  }

  get country() { return this.#visitor.country; }
  get region() { return this.#visitor.region; }
  get city() { return this.#visitor.city; }
  get continent() { return this.#visitor.continent; }
  get timezone() { return this.#visitor.timezone; }
  get latitude() { return this.#visitor.latitude; }
  get longitude() { return this.#visitor.longitude; }
  get colo() { return this.#visitor.colo; }
  get asn() { return this.#visitor.asn; }
  get isEU() { return this.#visitor.isEU; }
  get locale(): SupportedLocale {
    return (this.#locale ??= negotiateLocale(this.#headers.get("accept-language"), this.#visitor.country));
  }
  get currency() { return currencyFor(this.#visitor.country); }
  get units() { return unitsFor(this.#visitor.country); }
  get consentRequired() { return consentRequired(this.#visitor); }
  get nearestOrigin(): string | null {
    if (this.#nearestOrigin === undefined) this.#nearestOrigin = nearestOrigin(this.#visitor.latitude, this.#visitor.longitude, this.#regions)?.id ?? null;
    return this.#nearestOrigin;
  }

  /** The plain `GeoContext`, in `personalize`'s field order. */
  toJSON(): GeoContext {
    return {
      country: this.country,
      region: this.region,
      city: this.city,
      continent: this.continent,
      timezone: this.timezone,
      latitude: this.latitude,
      longitude: this.longitude,
      colo: this.colo,
      asn: this.asn,
      isEU: this.isEU,
      locale: this.locale,
      currency: this.currency,
      units: this.units,
      consentRequired: this.consentRequired,
      nearestOrigin: this.nearestOrigin,
    };
  }
}
