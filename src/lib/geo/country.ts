/**
 * Per-country facts used to personalise a response: currency, measurement units, default
 * locale, and whether privacy consent must be asked for. Module-level tables, O(1) lookups.
 *
 * Country codes are ISO 3166-1 alpha-2 (plus Cloudflare's `XK` Kosovo and `T1` Tor), as
 * `visitorGeo` returns them; lower-case input is tolerated. Unknown countries get the
 * defaults: USD, metric, `en`, and consent required.
 */
import type { SupportedLocale } from "./supported-locales.ts";

type CountryFacts = readonly [currency: string, locale: SupportedLocale];

/**
 * Currency (ISO 4217) and default locale (always one of SUPPORTED_LOCALES, checked by the
 * compiler) per country. Decisions worth knowing:
 * - Bulgaria uses EUR (euro area since 2026-01-01); Croatia since 2023.
 * - Where a country officially uses two currencies, the one prices are quoted in wins
 *   (Panama, Zimbabwe: USD).
 * - Locales: the main language *of the web* in that country when we support it, else `en`.
 *   `es-MX` stands in for Latin American Spanish, `en-AU` for New Zealand, `en-GB` for
 *   Ireland, Malta and the British dependencies, `nl-BE` for Belgium (majority Dutch),
 *   `fr` for Luxembourg, `en-IN` for India, `de-CH` for Liechtenstein (Swiss German spelling).
 */
// oxfmt-ignore
const COUNTRY_FACTS: ReadonlyMap<string, CountryFacts> = new Map<string, CountryFacts>([
  // Europe: EU member states
  ["AT", ["EUR", "de-AT"]], ["BE", ["EUR", "nl-BE"]], ["BG", ["EUR", "bg"]], ["HR", ["EUR", "hr"]],
  ["CY", ["EUR", "el"]], ["CZ", ["CZK", "cs"]], ["DK", ["DKK", "da"]], ["EE", ["EUR", "et"]],
  ["FI", ["EUR", "fi"]], ["FR", ["EUR", "fr"]], ["DE", ["EUR", "de"]], ["GR", ["EUR", "el"]],
  ["HU", ["HUF", "hu"]], ["IE", ["EUR", "en-GB"]], ["IT", ["EUR", "it"]], ["LV", ["EUR", "lv"]],
  ["LT", ["EUR", "lt"]], ["LU", ["EUR", "fr"]], ["MT", ["EUR", "en-GB"]], ["NL", ["EUR", "nl"]],
  ["PL", ["PLN", "pl"]], ["PT", ["EUR", "pt"]], ["RO", ["RON", "ro"]], ["SK", ["EUR", "sk"]],
  ["SI", ["EUR", "sl"]], ["ES", ["EUR", "es"]], ["SE", ["SEK", "sv"]],
  // EU outermost regions and Åland, which have their own ISO codes
  ["AX", ["EUR", "sv"]], ["GF", ["EUR", "fr"]], ["GP", ["EUR", "fr"]], ["MQ", ["EUR", "fr"]],
  ["RE", ["EUR", "fr"]], ["YT", ["EUR", "fr"]], ["MF", ["EUR", "fr"]],
  // Europe: EEA, Switzerland, UK and the rest
  ["IS", ["ISK", "is"]], ["LI", ["CHF", "de-CH"]], ["NO", ["NOK", "nb"]], ["CH", ["CHF", "de-CH"]],
  ["GB", ["GBP", "en-GB"]], ["GG", ["GBP", "en-GB"]], ["JE", ["GBP", "en-GB"]], ["IM", ["GBP", "en-GB"]],
  ["GI", ["GIP", "en-GB"]], ["AD", ["EUR", "es"]], ["MC", ["EUR", "fr"]], ["SM", ["EUR", "it"]],
  ["VA", ["EUR", "it"]], ["ME", ["EUR", "en"]], ["XK", ["EUR", "en"]], ["AL", ["ALL", "en"]],
  ["BA", ["BAM", "en"]], ["MK", ["MKD", "en"]], ["RS", ["RSD", "en"]], ["MD", ["MDL", "ro"]],
  ["UA", ["UAH", "uk"]], ["BY", ["BYN", "ru"]], ["RU", ["RUB", "ru"]], ["TR", ["TRY", "tr"]],
  ["FO", ["DKK", "da"]], ["GL", ["DKK", "da"]], ["SJ", ["NOK", "nb"]], ["BV", ["NOK", "nb"]],
  // North America and the Caribbean
  ["US", ["USD", "en-US"]], ["CA", ["CAD", "en-CA"]], ["MX", ["MXN", "es-MX"]],
  ["PR", ["USD", "es-MX"]], ["VI", ["USD", "en-US"]], ["UM", ["USD", "en-US"]],
  ["BM", ["BMD", "en"]], ["BS", ["BSD", "en"]], ["BB", ["BBD", "en"]], ["BZ", ["BZD", "en"]],
  ["JM", ["JMD", "en"]], ["TT", ["TTD", "en"]], ["KY", ["KYD", "en"]], ["TC", ["USD", "en"]],
  ["VG", ["USD", "en"]], ["AG", ["XCD", "en"]], ["AI", ["XCD", "en"]], ["DM", ["XCD", "en"]],
  ["GD", ["XCD", "en"]], ["KN", ["XCD", "en"]], ["LC", ["XCD", "en"]], ["MS", ["XCD", "en"]],
  ["VC", ["XCD", "en"]], ["AW", ["AWG", "nl"]], ["CW", ["XCG", "nl"]], ["SX", ["XCG", "nl"]],
  ["BQ", ["USD", "nl"]], ["HT", ["HTG", "fr"]], ["BL", ["EUR", "fr"]], ["PM", ["EUR", "fr"]],
  ["CU", ["CUP", "es-MX"]], ["DO", ["DOP", "es-MX"]], ["GT", ["GTQ", "es-MX"]],
  ["HN", ["HNL", "es-MX"]], ["SV", ["USD", "es-MX"]], ["NI", ["NIO", "es-MX"]],
  ["CR", ["CRC", "es-MX"]], ["PA", ["USD", "es-MX"]],
  // South America
  ["BR", ["BRL", "pt-BR"]], ["AR", ["ARS", "es-MX"]], ["CL", ["CLP", "es-MX"]], ["CO", ["COP", "es-MX"]],
  ["PE", ["PEN", "es-MX"]], ["VE", ["VES", "es-MX"]], ["EC", ["USD", "es-MX"]], ["BO", ["BOB", "es-MX"]],
  ["PY", ["PYG", "es-MX"]], ["UY", ["UYU", "es-MX"]], ["GY", ["GYD", "en"]], ["SR", ["SRD", "nl"]],
  ["FK", ["FKP", "en-GB"]], ["GS", ["GBP", "en-GB"]],
  // East and South-East Asia
  ["JP", ["JPY", "ja"]], ["KR", ["KRW", "ko"]], ["KP", ["KPW", "ko"]], ["CN", ["CNY", "zh-CN"]],
  ["TW", ["TWD", "zh-TW"]], ["HK", ["HKD", "zh-TW"]], ["MO", ["MOP", "zh-TW"]], ["MN", ["MNT", "en"]],
  ["SG", ["SGD", "en"]], ["MY", ["MYR", "en"]], ["ID", ["IDR", "id"]], ["TH", ["THB", "th"]],
  ["VN", ["VND", "vi"]], ["PH", ["PHP", "en"]], ["KH", ["KHR", "en"]], ["LA", ["LAK", "en"]],
  ["MM", ["MMK", "en"]], ["BN", ["BND", "en"]], ["TL", ["USD", "pt"]],
  // South and Central Asia
  ["IN", ["INR", "en-IN"]], ["PK", ["PKR", "en"]], ["BD", ["BDT", "en"]], ["LK", ["LKR", "en"]],
  ["NP", ["NPR", "en"]], ["BT", ["BTN", "en"]], ["MV", ["MVR", "en"]], ["AF", ["AFN", "en"]],
  ["KZ", ["KZT", "ru"]], ["UZ", ["UZS", "ru"]], ["KG", ["KGS", "ru"]], ["TJ", ["TJS", "ru"]],
  ["TM", ["TMT", "ru"]], ["IO", ["USD", "en"]],
  // Caucasus and the Middle East
  ["AM", ["AMD", "en"]], ["AZ", ["AZN", "en"]], ["GE", ["GEL", "en"]], ["IL", ["ILS", "he"]],
  ["PS", ["ILS", "ar"]], ["SA", ["SAR", "ar"]], ["AE", ["AED", "ar"]], ["QA", ["QAR", "ar"]],
  ["KW", ["KWD", "ar"]], ["BH", ["BHD", "ar"]], ["OM", ["OMR", "ar"]], ["YE", ["YER", "ar"]],
  ["JO", ["JOD", "ar"]], ["LB", ["LBP", "ar"]], ["SY", ["SYP", "ar"]], ["IQ", ["IQD", "ar"]],
  ["IR", ["IRR", "en"]],
  // Africa
  ["EG", ["EGP", "ar"]], ["LY", ["LYD", "ar"]], ["TN", ["TND", "ar"]], ["DZ", ["DZD", "ar"]],
  ["MA", ["MAD", "ar"]], ["EH", ["MAD", "ar"]], ["MR", ["MRU", "ar"]], ["SD", ["SDG", "ar"]],
  ["SS", ["SSP", "en"]], ["ZA", ["ZAR", "en"]], ["NG", ["NGN", "en"]], ["KE", ["KES", "en"]],
  ["ET", ["ETB", "en"]], ["GH", ["GHS", "en"]], ["TZ", ["TZS", "en"]], ["UG", ["UGX", "en"]],
  ["RW", ["RWF", "en"]], ["ZM", ["ZMW", "en"]], ["ZW", ["USD", "en"]], ["MW", ["MWK", "en"]],
  ["BW", ["BWP", "en"]], ["NA", ["NAD", "en"]], ["LS", ["LSL", "en"]], ["SZ", ["SZL", "en"]],
  ["MU", ["MUR", "en"]], ["SC", ["SCR", "en"]], ["SO", ["SOS", "en"]], ["ER", ["ERN", "en"]],
  ["LR", ["LRD", "en"]], ["SL", ["SLE", "en"]], ["GM", ["GMD", "en"]], ["SH", ["SHP", "en-GB"]],
  ["AO", ["AOA", "pt"]], ["MZ", ["MZN", "pt"]], ["CV", ["CVE", "pt"]], ["GW", ["XOF", "pt"]],
  ["ST", ["STN", "pt"]], ["GQ", ["XAF", "es"]], ["SN", ["XOF", "fr"]], ["CI", ["XOF", "fr"]],
  ["ML", ["XOF", "fr"]], ["BF", ["XOF", "fr"]], ["NE", ["XOF", "fr"]], ["TG", ["XOF", "fr"]],
  ["BJ", ["XOF", "fr"]], ["GN", ["GNF", "fr"]], ["CM", ["XAF", "fr"]], ["GA", ["XAF", "fr"]],
  ["CG", ["XAF", "fr"]], ["CF", ["XAF", "fr"]], ["TD", ["XAF", "fr"]], ["CD", ["CDF", "fr"]],
  ["BI", ["BIF", "fr"]], ["DJ", ["DJF", "fr"]], ["KM", ["KMF", "fr"]], ["MG", ["MGA", "fr"]],
  ["TF", ["EUR", "fr"]],
  // Oceania
  ["AU", ["AUD", "en-AU"]], ["NZ", ["NZD", "en-AU"]], ["CX", ["AUD", "en-AU"]], ["CC", ["AUD", "en-AU"]],
  ["NF", ["AUD", "en-AU"]], ["HM", ["AUD", "en-AU"]], ["KI", ["AUD", "en"]], ["TV", ["AUD", "en"]],
  ["NR", ["AUD", "en"]], ["CK", ["NZD", "en"]], ["NU", ["NZD", "en"]], ["TK", ["NZD", "en"]],
  ["PN", ["NZD", "en"]], ["FJ", ["FJD", "en"]], ["PG", ["PGK", "en"]], ["SB", ["SBD", "en"]],
  ["VU", ["VUV", "en"]], ["WS", ["WST", "en"]], ["TO", ["TOP", "en"]], ["FM", ["USD", "en"]],
  ["MH", ["USD", "en"]], ["PW", ["USD", "en"]], ["GU", ["USD", "en-US"]], ["MP", ["USD", "en-US"]],
  ["AS", ["USD", "en-US"]], ["NC", ["XPF", "fr"]], ["PF", ["XPF", "fr"]], ["WF", ["XPF", "fr"]],
]);

/** Every country code the table knows (for tests and documentation). */
export const KNOWN_COUNTRIES: readonly string[] = [...COUNTRY_FACTS.keys()];

/**
 * EU member states (27), plus the EU's outermost regions and Åland, which are EU territory
 * but have ISO codes of their own (GDPR applies there).
 */
// oxfmt-ignore
const EU_MEMBERS: ReadonlySet<string> = new Set([
  "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
  "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
  "AX", "GF", "GP", "MQ", "RE", "YT", "MF",
]);

/** EEA members outside the EU. */
const EEA_ONLY: ReadonlySet<string> = new Set(["IS", "LI", "NO"]);

/**
 * Not EU/EEA, but with a GDPR-like regime that expects consent for non-essential cookies and
 * tracking: the UK (UK GDPR + PECR), the Crown Dependencies and Gibraltar (their own GDPR
 * equivalents), and Switzerland (revised FADP, treated like the EU by most consent tooling).
 * Other privacy laws (e.g. Brazil's LGPD, US state laws) are opt-out or notice regimes and
 * are deliberately left out.
 */
const GDPR_LIKE: ReadonlySet<string> = new Set(["GB", "GG", "JE", "IM", "GI", "CH"]);

/** Measurement systems: only the US, Liberia and Myanmar are not metric. */
const IMPERIAL: ReadonlySet<string> = new Set(["US", "LR", "MM"]);

const DEFAULT_CURRENCY = "USD";
const DEFAULT_LOCALE: SupportedLocale = "en";

/** Table key for a country code: as is when already upper-case (the normal case), else upper-cased. */
function key(country: string): string {
  return COUNTRY_FACTS.has(country) ? country : country.toUpperCase();
}

/** ISO 4217 currency for prices shown in `country`; `USD` for unknown countries, Tor and null. */
export function currencyFor(country: string | null): string {
  if (country === null) return DEFAULT_CURRENCY;
  return COUNTRY_FACTS.get(key(country))?.[0] ?? DEFAULT_CURRENCY;
}

/** Units to display: `imperial` only for the US, Liberia and Myanmar. */
export function unitsFor(country: string | null): "metric" | "imperial" {
  return country !== null && IMPERIAL.has(key(country)) ? "imperial" : "metric";
}

/** Default locale for a visitor from `country` (always in SUPPORTED_LOCALES); `en` when unknown. */
export function defaultLocaleFor(country: string | null): SupportedLocale {
  if (country === null) return DEFAULT_LOCALE;
  return COUNTRY_FACTS.get(key(country))?.[1] ?? DEFAULT_LOCALE;
}

/** EU member state (including outermost regions and Åland). Cloudflare's `isEUCountry` equivalent. */
export function isEuMember(country: string | null): boolean {
  return country !== null && EU_MEMBERS.has(key(country));
}

/**
 * EU or EEA (EU 27 + Iceland, Liechtenstein, Norway). The UK and Switzerland are *not*
 * EU/EEA; they count for `consentRequired` instead.
 */
export function isEuEea(country: string | null): boolean {
  if (country === null) return false;
  const k = key(country);
  return EU_MEMBERS.has(k) || EEA_ONLY.has(k);
}

/**
 * Whether to ask for privacy consent before non-essential cookies/tracking. True for EU/EEA
 * (by country or Cloudflare's `isEU` flag), the GDPR-like regimes (UK, Crown Dependencies,
 * Gibraltar, Switzerland), an unknown country (fail safe) and Tor (`T1`, location hidden).
 */
export function consentRequired(geo: { country: string | null; isEU: boolean }): boolean {
  if (geo.isEU || geo.country === null) return true;
  const k = key(geo.country);
  return k === "T1" || EU_MEMBERS.has(k) || EEA_ONLY.has(k) || GDPR_LIKE.has(k);
}
