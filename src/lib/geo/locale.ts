/**
 * Locale negotiation: the visitor's `Accept-Language` (RFC 9110 §12.5.4, RFC 4647 ranges)
 * against a fixed list of supported locales, with the visitor's country as tie-breaker and
 * fallback. The result is always one of SUPPORTED_LOCALES, so it is safe in cache keys.
 */
import { defaultLocaleFor } from "./country.ts";
import { SUPPORTED_LOCALES, type SupportedLocale } from "./supported-locales.ts";

export { SUPPORTED_LOCALES, type SupportedLocale } from "./supported-locales.ts";

/** Number of distinct values `negotiateLocale` can return (bounds cache keys that include it). */
export const localeCount: number = SUPPORTED_LOCALES.length;

/** Headers longer than this are cut (at the last complete entry) before parsing. */
export const MAX_ACCEPT_LANGUAGE_LENGTH = 512;
/** At most this many language ranges are considered. */
export const MAX_ACCEPT_LANGUAGE_ENTRIES = 20;

/** Lower-case tag → canonical supported locale. */
const SUPPORTED: ReadonlyMap<string, SupportedLocale> = new Map(
  SUPPORTED_LOCALES.map((l) => [l.toLowerCase(), l] as const),
);

/** Deprecated or macro-language codes that mean a supported language. */
const LANGUAGE_ALIASES: ReadonlyMap<string, string> = new Map([
  ["iw", "he"],
  ["in", "id"],
  ["no", "nb"],
  ["nn", "nb"],
]);

/**
 * A regional variant to use when `lang-REGION` itself is not supported but a close one is
 * (e.g. Argentine Spanish → es-MX, New Zealand English → en-AU). Keys are lower-case.
 */
// oxfmt-ignore
const REGION_FALLBACKS: ReadonlyMap<string, SupportedLocale> = new Map<string, SupportedLocale>([
  ...["419", "ar", "bo", "cl", "co", "cr", "cu", "do", "ec", "gt", "hn", "ni", "pa", "pe", "pr", "py", "sv", "us", "uy", "ve"]
    .map((r) => [`es-${r}`, "es-MX"] as const),
  ...["ie", "mt", "gg", "je", "im", "gi", "za"].map((r) => [`en-${r}`, "en-GB"] as const),
  ["en-nz", "en-AU"],
  ["de-li", "de-CH"],
  ["zh-hk", "zh-TW"], ["zh-mo", "zh-TW"], ["zh-sg", "zh-CN"], ["zh-my", "zh-CN"],
  // Script subtags: Traditional / Simplified Chinese.
  ["zh-hant", "zh-TW"], ["zh-hans", "zh-CN"],
]);

/** For a language with no bare locale: the variant to use when nothing more specific applies. */
const LANGUAGE_DEFAULTS: ReadonlyMap<string, SupportedLocale> = new Map<string, SupportedLocale>([["zh", "zh-CN"]]);

interface LanguageRange {
  /** Lower-case primary language subtag (aliases resolved), or `*`. */
  lang: string;
  /** Lower-case region (`ch`, `419`) or script (`hant`) subtag, or "" when absent. */
  region: string;
  script: string;
  q: number;
}

const SUBTAG = /^[a-z0-9]{1,8}$/;
const LANGUAGE = /^[a-z]{1,8}$/;
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;
const SEPARATOR = /[-_]/;
const REGION = /^(?:[a-z]{2}|\d{3})$/;
const SCRIPT = /^[a-z]{4}$/;
const COUNTRY = /^[A-Za-z]{2}$/;

/** Parses one `range;q=…` entry (lower-case input); null when it is not a valid language range. */
function parseEntry(entry: string): LanguageRange | null {
  const semi = entry.indexOf(";");
  const tag = (semi === -1 ? entry : entry.slice(0, semi)).trim();
  let q = 1;
  if (semi !== -1) {
    for (const param of entry.slice(semi + 1).split(";")) {
      const eq = param.indexOf("=");
      if (eq === -1) continue;
      if (param.slice(0, eq).trim() !== "q") continue;
      const value = param.slice(eq + 1).trim();
      // An unreadable weight makes the whole entry unreadable: skip it rather than guess.
      if (!QVALUE.test(value)) return null;
      q = Number(value);
    }
  }
  if (tag === "*") return { lang: "*", region: "", script: "", q };
  if (tag.length === 0 || tag.length > 35) return null;
  // `_` is not valid BCP 47 but some clients send `en_US`.
  const parts = tag.split(SEPARATOR);
  const first = parts[0] ?? "";
  if (!LANGUAGE.test(first)) return null;
  let region = "";
  let script = "";
  for (let i = 1; i < parts.length; i++) {
    const sub = parts[i]!;
    if (!SUBTAG.test(sub)) return null;
    if (sub.length === 1) break; // extension or private use: nothing we match on follows
    if (region === "" && REGION.test(sub)) region = sub;
    else if (script === "" && region === "" && SCRIPT.test(sub)) script = sub;
  }
  return { lang: LANGUAGE_ALIASES.get(first) ?? first, region, script, q };
}

/**
 * Parses `Accept-Language` into ranges with q > 0, best first (stable by position), and the
 * ranges the visitor refused (q = 0). Tolerates garbage: unreadable entries are skipped.
 */
function parseAcceptLanguage(header: string): { ranges: LanguageRange[]; refused: string[] } {
  let value = header;
  if (value.length > MAX_ACCEPT_LANGUAGE_LENGTH) {
    value = value.slice(0, MAX_ACCEPT_LANGUAGE_LENGTH);
    const lastComma = value.lastIndexOf(",");
    if (lastComma !== -1) value = value.slice(0, lastComma);
  }
  const ranges: LanguageRange[] = [];
  const refused: string[] = [];
  let seen = 0;
  for (const raw of value.toLowerCase().split(",")) {
    if (raw.trim() === "") continue;
    if (++seen > MAX_ACCEPT_LANGUAGE_ENTRIES) break;
    const range = parseEntry(raw);
    if (range === null) continue;
    if (range.q === 0) {
      if (range.lang !== "*") refused.push(refusedKey(range));
      continue;
    }
    // Insertion keeps equal q in header order (the header is short, so this is cheap).
    let i = ranges.length;
    while (i > 0 && ranges[i - 1]!.q < range.q) i--;
    ranges.splice(i, 0, range);
  }
  return { ranges, refused };
}

/** The lower-case prefix a q=0 range refuses (`zh-Hant` refuses what it would have matched: zh-TW). */
function refusedKey(range: LanguageRange): string {
  if (range.region) return `${range.lang}-${range.region}`;
  if (range.script)
    return REGION_FALLBACKS.get(`${range.lang}-${range.script}`)?.toLowerCase() ?? `${range.lang}-${range.script}`;
  return range.lang;
}

/** RFC 4647 basic filtering: a refused range `fr` refuses `fr` and `fr-CH`; `fr-CH` only itself. */
function isRefused(locale: SupportedLocale, refused: readonly string[]): boolean {
  if (refused.length === 0) return false;
  const l = locale.toLowerCase();
  for (const r of refused) if (l === r || l.startsWith(`${r}-`)) return true;
  return false;
}

/** First of the candidates that is supported and not refused. */
function pick(refused: readonly string[], ...candidates: Array<SupportedLocale | undefined>): SupportedLocale | null {
  for (const c of candidates) if (c !== undefined && !isRefused(c, refused)) return c;
  return null;
}

/**
 * Best supported locale for one language range:
 * 1. the exact locale (`fr-CH`), or its close regional fallback (`es-AR` → `es-MX`);
 * 2. for a range without region: the variant for the visitor's country (`fr` from CH → `fr-CH`);
 * 3. the bare language (`fr`);
 * 4. for a range with an unsupported region: the variant for the visitor's country;
 * 5. the language's default variant (`zh` → `zh-CN`).
 */
function matchRange(range: LanguageRange, country: string, refused: readonly string[]): SupportedLocale | null {
  const { lang, region, script } = range;
  const sub = region || script;
  // A script says more than a region about what the visitor reads (zh-Hans-HK is Simplified).
  const exact = sub
    ? ((script ? REGION_FALLBACKS.get(`${lang}-${script}`) : undefined) ??
      (region ? SUPPORTED.get(`${lang}-${region}`) : undefined) ??
      (region ? REGION_FALLBACKS.get(`${lang}-${region}`) : undefined))
    : undefined;
  const local = country
    ? (SUPPORTED.get(`${lang}-${country}`) ?? REGION_FALLBACKS.get(`${lang}-${country}`))
    : undefined;
  const base = SUPPORTED.get(lang);
  return sub
    ? pick(refused, exact, base, local, LANGUAGE_DEFAULTS.get(lang))
    : pick(refused, local, base, LANGUAGE_DEFAULTS.get(lang));
}

/**
 * Per-isolate memo of `negotiateLocale` (a pure function, so this is invisible to callers).
 * Bounded in entries and key length; cleared wholesale when full, which is cheaper than LRU
 * bookkeeping and fine for a cache whose misses cost a few microseconds.
 */
const memo = new Map<string, SupportedLocale>();
const MEMO_MAX_ENTRIES = 1024;
const MEMO_MAX_KEY_LENGTH = 256;

/**
 * Picks the locale to answer in.
 *
 * Ranges are tried by q (highest first), then by their order in the header; ranges with
 * q=0 are refused and never chosen. `*` stands for "anything", which means the country's
 * default. When no range matches, the country's default locale is used, then `en`, which is
 * the last resort even if refused (a response must be in some language).
 *
 * @param acceptLanguage the raw header (may be absent, huge or malformed; never throws)
 * @param country the visitor's ISO 3166-1 alpha-2 country, or null when unknown
 * @returns a member of SUPPORTED_LOCALES
 * @example
 * negotiateLocale("fr-CH,de;q=0.8", "CH") // "fr-CH"
 * negotiateLocale("fr", "CH")             // "fr-CH"
 * negotiateLocale(null, "BR")             // "pt-BR"
 */
export function negotiateLocale(acceptLanguage: string | null | undefined, country: string | null): SupportedLocale {
  if (!acceptLanguage) return defaultLocaleFor(country);
  // Browsers send a handful of distinct headers, so most requests are answered from the memo.
  const key = `${country ?? ""}|${acceptLanguage}`;
  const cached = key.length <= MEMO_MAX_KEY_LENGTH ? memo.get(key) : undefined;
  if (cached !== undefined) return cached;
  const locale = negotiate(acceptLanguage, country);
  if (key.length <= MEMO_MAX_KEY_LENGTH) {
    if (memo.size >= MEMO_MAX_ENTRIES) memo.clear();
    memo.set(key, locale);
  }
  return locale;
}

function negotiate(acceptLanguage: string, country: string | null): SupportedLocale {
  const fallback = defaultLocaleFor(country);
  const { ranges, refused } = parseAcceptLanguage(acceptLanguage);
  const region = country && COUNTRY.test(country) ? country.toLowerCase() : "";
  for (const range of ranges) {
    const match = range.lang === "*" ? pick(refused, fallback, "en") : matchRange(range, region, refused);
    if (match !== null) return match;
  }
  return pick(refused, fallback) ?? "en";
}
