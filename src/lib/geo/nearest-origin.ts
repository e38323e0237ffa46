/**
 * Which origin region is closest to the visitor, by great-circle distance. Distance is a
 * proxy for latency good enough to pick a region; it knows nothing about network topology.
 */

export interface OriginRegion {
  /** Stable identifier, e.g. `eu-central`: `[a-z0-9][a-z0-9_-]*`, at most 63 characters. */
  id: string;
  latitude: number;
  longitude: number;
}

/**
 * Default regions: one per major cloud hub, at the city that hosts it.
 * us-east Ashburn VA, us-west San Jose CA, sa-east São Paulo, eu-west London,
 * eu-central Frankfurt, ap-south Mumbai, ap-southeast Singapore, ap-northeast Tokyo,
 * oceania Sydney. Override per deployment with `parseOriginRegions`.
 */
export const DEFAULT_ORIGIN_REGIONS: readonly OriginRegion[] = Object.freeze(
  [
    { id: "us-east", latitude: 39.0438, longitude: -77.4874 },
    { id: "us-west", latitude: 37.3382, longitude: -121.8863 },
    { id: "sa-east", latitude: -23.5505, longitude: -46.6333 },
    { id: "eu-west", latitude: 51.5072, longitude: -0.1276 },
    { id: "eu-central", latitude: 50.1109, longitude: 8.6821 },
    { id: "ap-south", latitude: 19.076, longitude: 72.8777 },
    { id: "ap-southeast", latitude: 1.3521, longitude: 103.8198 },
    { id: "ap-northeast", latitude: 35.6762, longitude: 139.6503 },
    { id: "oceania", latitude: -33.8688, longitude: 151.2093 },
  ].map((r) => Object.freeze(r)),
);

/** Mean Earth radius (IUGG), km. */
export const EARTH_RADIUS_KM = 6371.0088;
/** Upper bound on a configured list, so a bad config cannot make every request slow. */
export const MAX_ORIGIN_REGIONS = 64;

const RAD = Math.PI / 180;

/** The haversine term `a` for two points; monotone in distance, so it ranks without asin/sqrt. */
function haversineTerm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const sinDLat = Math.sin(((lat2 - lat1) * RAD) / 2);
  const sinDLon = Math.sin(((lon2 - lon1) * RAD) / 2);
  const a = sinDLat * sinDLat + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * sinDLon * sinDLon;
  return Math.min(1, Math.max(0, a)); // rounding can push a just outside [0, 1]
}

function termToKm(a: number): number {
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(a));
}

/**
 * Great-circle distance in km between two points (haversine on a sphere of radius
 * 6371.0088 km; within ~0.5 % of the ellipsoidal distance).
 * @example greatCircleKm({ latitude: 51.5072, longitude: -0.1276 }, { latitude: 48.8566, longitude: 2.3522 }) // ≈ 344
 */
export function greatCircleKm(
  a: { latitude: number; longitude: number },
  b: { latitude: number; longitude: number },
): number {
  return termToKm(haversineTerm(a.latitude, a.longitude, b.latitude, b.longitude));
}

/**
 * The region closest to (lat, lon), with its distance; null when the position is unknown or
 * out of range, or there are no regions. Ties go to the region listed first.
 */
export function nearestOrigin(
  lat: number | null,
  lon: number | null,
  regions: readonly OriginRegion[] = DEFAULT_ORIGIN_REGIONS,
): { id: string; distanceKm: number } | null {
  if (lat === null || lon === null || !(Math.abs(lat) <= 90) || !(Math.abs(lon) <= 180)) return null;
  let best: OriginRegion | undefined;
  let bestTerm = Infinity;
  for (const region of regions) {
    const term = haversineTerm(lat, lon, region.latitude, region.longitude);
    if (term < bestTerm) {
      bestTerm = term;
      best = region;
    }
  }
  return best === undefined ? null : { id: best.id, distanceKm: termToKm(bestTerm) };
}

const REGION_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const REGION_KEYS: ReadonlySet<string> = new Set(["id", "latitude", "longitude"]);

/**
 * Validates a configured list of origin regions, e.g. from a `[vars]` entry:
 * `[{"id":"eu-central","latitude":50.11,"longitude":8.68}, …]`.
 * Requires a non-empty array (at most 64) of objects with exactly `id`, `latitude` and
 * `longitude`; ids unique. Returns frozen copies.
 * @throws Error naming the first offending path, e.g. `origin regions[1].latitude: …`
 */
export function parseOriginRegions(json: string): OriginRegion[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw new Error(`origin regions: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!Array.isArray(parsed)) throw new Error("origin regions: expected a JSON array of {id, latitude, longitude}");
  if (parsed.length === 0) throw new Error("origin regions: the list is empty");
  if (parsed.length > MAX_ORIGIN_REGIONS) {
    throw new Error(`origin regions: ${parsed.length} entries, at most ${MAX_ORIGIN_REGIONS} allowed`);
  }
  const seen = new Set<string>();
  return parsed.map((item: unknown, i): OriginRegion => {
    const at = `origin regions[${i}]`;
    if (typeof item !== "object" || item === null || Array.isArray(item)) throw new Error(`${at}: expected an object`);
    const entry = item as Record<string, unknown>;
    for (const k of Object.keys(entry)) {
      if (!REGION_KEYS.has(k)) throw new Error(`${at}.${k}: unknown key (allowed: id, latitude, longitude)`);
    }
    const { id, latitude, longitude } = entry;
    if (typeof id !== "string" || !REGION_ID.test(id)) {
      throw new Error(`${at}.id: expected 1-63 characters of a-z, 0-9, "-" or "_", starting with a letter or digit`);
    }
    if (seen.has(id)) throw new Error(`${at}.id: duplicate id "${id}"`);
    seen.add(id);
    if (typeof latitude !== "number" || !(Math.abs(latitude) <= 90)) {
      throw new Error(`${at}.latitude: expected a number between -90 and 90`);
    }
    if (typeof longitude !== "number" || !(Math.abs(longitude) <= 180)) {
      throw new Error(`${at}.longitude: expected a number between -180 and 180`);
    }
    return Object.freeze({ id, latitude, longitude });
  });
}
