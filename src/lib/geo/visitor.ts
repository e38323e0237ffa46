/**
 * Where the visitor is, as Cloudflare sees it: `request.cf` and `CF-Connecting-IP`, validated
 * and normalised. In development only, the `x-dev-cf` header (README, "Geo and content") overrides those
 * fields so the geo features can be exercised locally; in production it is ignored.
 */
import { isEuMember } from "./country.ts";

export interface VisitorGeo {
  /** ISO 3166-1 alpha-2, upper-case; `T1` for Tor; null when unknown (`XX` or missing). */
  country: string | null;
  region: string | null;
  city: string | null;
  /** AF, AN, AS, EU, NA, OC or SA. */
  continent: string | null;
  /** IANA time zone, e.g. `Europe/Berlin`. */
  timezone: string | null;
  latitude: number | null;
  longitude: number | null;
  /** IATA code of the Cloudflare data centre, e.g. `FRA`. */
  colo: string | null;
  asn: number | null;
  /** EU member state, by Cloudflare's `isEUCountry` flag or by the country. */
  isEU: boolean;
  /** Client address (IPv4 or IPv6). */
  ip: string | null;
}

export interface VisitorGeoOptions {
  /** `ENVIRONMENT === "development"`: only then is `x-dev-cf` honoured. */
  development: boolean;
}

/** Development-only override header (JSON, same field names as `request.cf`, plus `ip`). */
export const DEV_CF_HEADER = "x-dev-cf";
/** Longer `x-dev-cf` values are ignored whole (characters; the JSON is normally ASCII, so = bytes). */
export const MAX_DEV_CF_LENGTH = 2048;

const COUNTRY = /^[A-Z]{2}$/;
const COLO = /^[A-Z]{3}$/;
const CONTINENTS: ReadonlySet<string> = new Set(["AF", "AN", "AS", "EU", "NA", "OC", "SA"]);
const TIMEZONE = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+){0,2}$/;
/** Printable text without control characters (region and city names are UTF-8). */
const PLACE = /^[^\u0000-\u001f\u007f]{1,128}$/u;
const DECIMAL = /^[+-]?\d{1,3}(?:\.\d{1,12})?$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const HEXTET = /^[0-9A-Fa-f]{1,4}$/;

/**
 * Reads the visitor's location and address.
 *
 * Every field is validated; a missing or malformed value becomes null (never a throw). With
 * `development: true`, each *valid* field of `x-dev-cf` replaces the Cloudflare value, invalid
 * ones are skipped one by one, and a header that is not a JSON object or is over 2 KiB is
 * ignored whole. When the override sets `country` but not `isEUCountry`, `isEU` follows the
 * overriding country (Cloudflare's flag described the real one).
 *
 * @example
 * const geo = visitorGeo(c.req.raw, { development: c.env.ENVIRONMENT === "development" });
 */
export function visitorGeo(request: Request, opts: VisitorGeoOptions): VisitorGeo {
  const override = opts.development ? readDevOverride(request.headers.get(DEV_CF_HEADER)) : null;
  return placeOf(request, override, ipOf(request, override));
}

/**
 * The same fields as `visitorGeo` returns, but `request.cf` is read (and the place validated) on
 * the first read of a field other than `ip`: the runtime builds `request.cf` on first access,
 * and a request that no check asks "from where?" (a health check with the default config) never
 * pays for it. `ip` comes from `CF-Connecting-IP` (or the override) at once.
 * @example
 * c.set("visitor", new LazyVisitorGeo(c.req.raw, { development: false }));
 */
export class LazyVisitorGeo implements VisitorGeo {
  readonly ip: string | null;
  readonly #request: Request;
  readonly #override: Record<string, unknown> | null;
  #place: VisitorGeo | undefined;

  constructor(request: Request, opts: VisitorGeoOptions) {
    this.#request = request;
    this.#override = opts.development ? readDevOverride(request.headers.get(DEV_CF_HEADER)) : null;
    this.ip = ipOf(request, this.#override);
  }

  #resolve(): VisitorGeo {
    return (this.#place ??= placeOf(this.#request, this.#override, this.ip));
  }
  get country() {
    return this.#resolve().country;
  }
  get region() {
    return this.#resolve().region;
  }
  get city() {
    return this.#resolve().city;
  }
  get continent() {
    return this.#resolve().continent;
  }
  get timezone() {
    return this.#resolve().timezone;
  }
  get latitude() {
    return this.#resolve().latitude;
  }
  get longitude() {
    return this.#resolve().longitude;
  }
  get colo() {
    return this.#resolve().colo;
  }
  get asn() {
    return this.#resolve().asn;
  }
  get isEU() {
    return this.#resolve().isEU;
  }
  /** `JSON.stringify` sees the plain object. */
  toJSON(): VisitorGeo {
    return { ...this.#resolve() };
  }
}

/** `CF-Connecting-IP`, or in development a valid `ip` of the override. */
function ipOf(request: Request, override: Record<string, unknown> | null): string | null {
  const ip = override === null ? undefined : parseIp(override.ip);
  if (ip !== undefined) return ip;
  const connectingIp = request.headers.get("cf-connecting-ip");
  return connectingIp === null ? null : (parseIp(connectingIp.trim()) ?? null);
}

function placeOf(request: Request, override: Record<string, unknown> | null, ip: string | null): VisitorGeo {
  const geo: VisitorGeo = {
    country: null,
    region: null,
    city: null,
    continent: null,
    timezone: null,
    latitude: null,
    longitude: null,
    colo: null,
    asn: null,
    isEU: false,
    ip,
  };
  const cf: unknown = request.cf;
  let euFlag = false;
  if (isRecord(cf)) {
    applyFields(geo, cf, false);
    euFlag = cf.isEUCountry === "1";
  }
  if (override !== null) {
    applyFields(geo, override, true);
    const flag = parseEuFlag(override.isEUCountry);
    if (flag !== undefined) euFlag = flag;
    else if (parseCountry(override.country, true) !== undefined) euFlag = false;
  }
  geo.isEU = euFlag || isEuMember(geo.country);
  return geo;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The parsed `x-dev-cf` object, or null when absent, too large or not a JSON object. */
function readDevOverride(header: string | null): Record<string, unknown> | null {
  if (header === null || header.length === 0 || header.length > MAX_DEV_CF_LENGTH) return null;
  try {
    const parsed: unknown = JSON.parse(header);
    return isRecord(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/**
 * Copies the valid fields of `source` onto `geo`. Parsers return `undefined` for "invalid,
 * leave as is" and null for "valid: unknown" (e.g. country `XX`).
 */
function applyFields(geo: VisitorGeo, source: Record<string, unknown>, strictCountry: boolean): void {
  const country = parseCountry(source.country, strictCountry);
  if (country !== undefined) geo.country = country;
  const region = parsePlace(source.region);
  if (region !== undefined) geo.region = region;
  const city = parsePlace(source.city);
  if (city !== undefined) geo.city = city;
  const continent = parseContinent(source.continent);
  if (continent !== undefined) geo.continent = continent;
  const timezone = parseTimezone(source.timezone);
  if (timezone !== undefined) geo.timezone = timezone;
  const latitude = parseCoordinate(source.latitude, 90);
  if (latitude !== undefined) geo.latitude = latitude;
  const longitude = parseCoordinate(source.longitude, 180);
  if (longitude !== undefined) geo.longitude = longitude;
  const colo = parseColo(source.colo);
  if (colo !== undefined) geo.colo = colo;
  const asn = parseAsn(source.asn);
  if (asn !== undefined) geo.asn = asn;
}

/**
 * `XX` (Cloudflare: unknown) → null; `T1` (Tor) is kept. Cloudflare's value is upper-cased;
 * an override must already be upper-case (`strict`), so typos surface instead of guessing.
 */
function parseCountry(value: unknown, strict: boolean): string | null | undefined {
  if (typeof value !== "string" || value.length !== 2) return undefined;
  const upper = strict ? value : value.toUpperCase();
  if (!COUNTRY.test(upper) && upper !== "T1") return undefined;
  return upper === "XX" ? null : upper;
}

function parsePlace(value: unknown): string | undefined {
  return typeof value === "string" && PLACE.test(value) ? value : undefined;
}

function parseContinent(value: unknown): string | undefined {
  if (typeof value !== "string" || value.length !== 2) return undefined;
  const upper = value.toUpperCase();
  return CONTINENTS.has(upper) ? upper : undefined;
}

function parseTimezone(value: unknown): string | undefined {
  return typeof value === "string" && value.length <= 64 && TIMEZONE.test(value) ? value : undefined;
}

/** Cloudflare sends coordinates as decimal strings; numbers are accepted too. */
function parseCoordinate(value: unknown, limit: number): number | undefined {
  let n: number;
  if (typeof value === "number") n = value;
  else if (typeof value === "string" && DECIMAL.test(value)) n = Number(value);
  else return undefined;
  return Number.isFinite(n) && n >= -limit && n <= limit ? n : undefined;
}

function parseColo(value: unknown): string | undefined {
  if (typeof value !== "string" || value.length !== 3) return undefined;
  const upper = value.toUpperCase();
  return COLO.test(upper) ? upper : undefined;
}

/** AS numbers are unsigned 32-bit integers. */
function parseAsn(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff ? value : undefined;
}

/** Cloudflare sends `"1"` or nothing; an override may also say `"0"`, `true` or `false`. */
function parseEuFlag(value: unknown): boolean | undefined {
  if (value === "1" || value === true) return true;
  if (value === "0" || value === false) return false;
  return undefined;
}

function parseIp(value: unknown): string | undefined {
  return typeof value === "string" && isIpAddress(value) ? value : undefined;
}

/** Whether `value` is a textual IPv4 or IPv6 address (RFC 4291 §2.2, no zone id). */
export function isIpAddress(value: string): boolean {
  if (value.length < 2 || value.length > 45) return false;
  return value.includes(":") ? isIpv6(value) : IPV4.test(value);
}

function isIpv6(value: string): boolean {
  const halves = value.split("::");
  if (halves.length > 2) return false;
  const compressed = halves.length === 2;
  let groups = 0;
  for (let h = 0; h < halves.length; h++) {
    const half = halves[h]!;
    if (half === "") continue;
    const parts = half.split(":");
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      // A dotted IPv4 tail (`::ffff:192.0.2.1`) counts as two groups and must come last.
      if (h === halves.length - 1 && i === parts.length - 1 && part.includes(".")) {
        if (!IPV4.test(part)) return false;
        groups += 2;
      } else if (HEXTET.test(part)) {
        groups += 1;
      } else {
        return false;
      }
    }
  }
  return compressed ? groups <= 7 : groups === 8;
}
