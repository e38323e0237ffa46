/**
 * Geo personalisation: who is visiting from where (`visitorGeo`), and what that means for the
 * response (`personalize`): locale, currency, units, consent and the nearest origin region.
 * Everything here is pure and synchronous. `LazyGeoContext` is what requests get: each derived
 * field is computed on first read, so a request that never reads it (`/healthz`, the admin API)
 * never negotiates a locale or ranks origins. The shape is `GeoSchema` (`api.ts`).
 */
import type { GeoContext } from "./api.ts";
import { consentRequired, currencyFor, unitsFor } from "./country.ts";
import { negotiateLocale } from "./locale.ts";
import type { SupportedLocale } from "./locale.ts";
import { DEFAULT_ORIGIN_REGIONS, nearestOrigin } from "./nearest-origin.ts";
import type { OriginRegion } from "./nearest-origin.ts";
import type { VisitorGeo } from "./visitor.ts";

export {
  consentRequired,
  currencyFor,
  defaultLocaleFor,
  isEuEea,
  isEuMember,
  KNOWN_COUNTRIES,
  unitsFor,
} from "./country.ts";
export {
  localeCount,
  MAX_ACCEPT_LANGUAGE_ENTRIES,
  MAX_ACCEPT_LANGUAGE_LENGTH,
  negotiateLocale,
  SUPPORTED_LOCALES,
} from "./locale.ts";
export type { SupportedLocale } from "./locale.ts";
export {
  DEFAULT_ORIGIN_REGIONS,
  EARTH_RADIUS_KM,
  greatCircleKm,
  MAX_ORIGIN_REGIONS,
  nearestOrigin,
  parseOriginRegions,
} from "./nearest-origin.ts";
export type { OriginRegion } from "./nearest-origin.ts";
export { DEV_CF_HEADER, isIpAddress, LazyVisitorGeo, MAX_DEV_CF_LENGTH, visitorGeo } from "./visitor.ts";
export type { VisitorGeo, VisitorGeoOptions } from "./visitor.ts";
export type { GeoContext } from "./api.ts";

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
  return new LazyGeoContext(geo, { get: () => acceptLanguage }, regions).toJSON();
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
  constructor(
    visitor: VisitorGeo,
    headers: Pick<Headers, "get">,
    regions: readonly OriginRegion[] = DEFAULT_ORIGIN_REGIONS,
  ) {
    this.#visitor = visitor;
    this.#headers = headers;
    this.#regions = regions;
  }

  get country() {
    return this.#visitor.country;
  }
  get region() {
    return this.#visitor.region;
  }
  get city() {
    return this.#visitor.city;
  }
  get continent() {
    return this.#visitor.continent;
  }
  get timezone() {
    return this.#visitor.timezone;
  }
  get latitude() {
    return this.#visitor.latitude;
  }
  get longitude() {
    return this.#visitor.longitude;
  }
  get colo() {
    return this.#visitor.colo;
  }
  get asn() {
    return this.#visitor.asn;
  }
  get isEU() {
    return this.#visitor.isEU;
  }
  get locale(): SupportedLocale {
    return (this.#locale ??= negotiateLocale(this.#headers.get("accept-language"), this.#visitor.country));
  }
  get currency() {
    return currencyFor(this.#visitor.country);
  }
  get units() {
    return unitsFor(this.#visitor.country);
  }
  get consentRequired() {
    return consentRequired(this.#visitor);
  }
  get nearestOrigin(): string | null {
    if (this.#nearestOrigin === undefined)
      this.#nearestOrigin = nearestOrigin(this.#visitor.latitude, this.#visitor.longitude, this.#regions)?.id ?? null;
    return this.#nearestOrigin;
  }

  /** The plain `GeoContext`, in `GeoSchema`'s field order. */
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
