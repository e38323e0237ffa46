// In a module of its own: `country.ts` and `locale.ts` both read it (no import cycle).
/**
 * Locales the product can serve. Chosen to cover:
 * - every official EU/EEA language except Irish and Maltese (their speakers browse in English),
 *   with the regional variants that differ in spelling or vocabulary (de-AT, de-CH, fr-BE,
 *   fr-CH, it-CH, nl-BE);
 * - the languages of the G20 (en, pt-BR, es-MX for Latin America, fr-CA, en-CA, en-AU, en-IN,
 *   hi, zh-CN, zh-TW, ja, ko, id, ru, ar, tr) plus a few large web audiences (uk, he, th, vi).
 * There is no bare `zh`: Simplified (zh-CN) and Traditional (zh-TW) are different scripts.
 */
// oxfmt-ignore
export const SUPPORTED_LOCALES = [
  "en", "en-US", "en-GB", "en-AU", "en-CA", "en-IN",
  "de", "de-AT", "de-CH",
  "fr", "fr-BE", "fr-CA", "fr-CH",
  "it", "it-CH",
  "es", "es-MX",
  "pt", "pt-BR",
  "nl", "nl-BE",
  "da", "sv", "nb", "fi", "is",
  "pl", "cs", "sk", "hu", "ro", "bg", "el", "hr", "sl", "et", "lv", "lt",
  "ru", "uk", "tr", "ar", "he", "hi",
  "ja", "ko", "zh-CN", "zh-TW", "id", "th", "vi",
] as const;

export type SupportedLocale = (typeof SUPPORTED_LOCALES)[number];
