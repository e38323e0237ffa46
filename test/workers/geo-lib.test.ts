/** The pure geo library (src/lib/geo): visitor location, locale, country data, nearest origin. */
import { describe, expect, it } from "vitest";
import {
  consentRequired,
  currencyFor,
  DEFAULT_ORIGIN_REGIONS,
  defaultLocaleFor,
  greatCircleKm,
  isEuEea,
  isIpAddress,
  KNOWN_COUNTRIES,
  LazyGeoContext,
  LazyVisitorGeo,
  localeCount,
  nearestOrigin,
  negotiateLocale,
  parseOriginRegions,
  personalize,
  SUPPORTED_LOCALES,
  unitsFor,
  visitorGeo,
} from "../../src/lib/geo/index.ts";
import type { GeoContext, VisitorGeo } from "../../src/lib/geo/index.ts";

const DEV = { development: true };
const PROD = { development: false };

function request(cf: Record<string, unknown> | undefined, headers: Record<string, string> = {}): Request {
  return new Request("https://edge.test/v1/geo", { headers, ...(cf ? { cf } : {}) });
}

const BERLIN_CF = {
  country: "DE",
  continent: "EU",
  city: "Berlin",
  region: "Berlin",
  timezone: "Europe/Berlin",
  latitude: "52.52000",
  longitude: "13.40500",
  colo: "FRA",
  asn: 3320,
  isEUCountry: "1",
};

const EMPTY: VisitorGeo = {
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
  ip: null,
};

describe("visitorGeo", () => {
  it("reads request.cf and CF-Connecting-IP, converting coordinates to numbers", () => {
    const geo = visitorGeo(request(BERLIN_CF, { "cf-connecting-ip": "198.51.100.4" }), PROD);
    expect(geo).toEqual({
      country: "DE",
      region: "Berlin",
      city: "Berlin",
      continent: "EU",
      timezone: "Europe/Berlin",
      latitude: 52.52,
      longitude: 13.405,
      colo: "FRA",
      asn: 3320,
      isEU: true,
      ip: "198.51.100.4",
    });
  });

  it("without cf or address everything is null and isEU false", () => {
    expect(visitorGeo(request(undefined), PROD)).toEqual(EMPTY);
  });

  it("normalises the country: upper-case, XX → null, T1 kept", () => {
    expect(visitorGeo(request({ country: "fr" }), PROD).country).toBe("FR");
    expect(visitorGeo(request({ country: "XX" }), PROD).country).toBeNull();
    expect(visitorGeo(request({ country: "T1" }), PROD).country).toBe("T1");
    expect(visitorGeo(request({ country: "DEU" }), PROD).country).toBeNull();
  });

  it("derives isEU from the country when Cloudflare's flag is absent", () => {
    expect(visitorGeo(request({ country: "FR" }), PROD).isEU).toBe(true);
    expect(visitorGeo(request({ country: "GF" }), PROD).isEU).toBe(true); // French Guiana is EU
    expect(visitorGeo(request({ country: "CH" }), PROD).isEU).toBe(false);
    expect(visitorGeo(request({ country: "NO" }), PROD).isEU).toBe(false); // EEA, not EU
  });

  it("turns malformed cf values into null instead of passing them on", () => {
    const geo = visitorGeo(
      request(
        {
          country: 49,
          continent: "Europe",
          city: "Ber\nlin",
          region: "",
          timezone: "../../etc/passwd",
          latitude: "north",
          longitude: "200",
          colo: "FRANKFURT",
          asn: -1,
          isEUCountry: "yes",
        },
        { "cf-connecting-ip": "999.1.1.1" },
      ),
      PROD,
    );
    expect(geo).toEqual(EMPTY);
  });

  it("accepts IPv6 client addresses", () => {
    expect(visitorGeo(request(undefined, { "cf-connecting-ip": "2001:db8::1" }), PROD).ip).toBe("2001:db8::1");
  });

  it("x-dev-cf replaces cf fields and the address in development (the README example)", () => {
    const header = JSON.stringify({ ...BERLIN_CF, latitude: "52.52", longitude: "13.40", ip: "203.0.113.7" });
    const geo = visitorGeo(
      request(
        { country: "US", city: "Austin", latitude: "30.27", longitude: "-97.74", colo: "DFW", asn: 7922 },
        {
          "cf-connecting-ip": "198.51.100.4",
          "x-dev-cf": header,
        },
      ),
      DEV,
    );
    expect(geo).toEqual({
      country: "DE",
      region: "Berlin",
      city: "Berlin",
      continent: "EU",
      timezone: "Europe/Berlin",
      latitude: 52.52,
      longitude: 13.4,
      colo: "FRA",
      asn: 3320,
      isEU: true,
      ip: "203.0.113.7",
    });
  });

  it("x-dev-cf is ignored entirely in production", () => {
    const headers = {
      "cf-connecting-ip": "198.51.100.4",
      "x-dev-cf": JSON.stringify({ country: "JP", ip: "203.0.113.7" }),
    };
    const geo = visitorGeo(request({ country: "US", colo: "DFW" }, headers), PROD);
    expect(geo.country).toBe("US");
    expect(geo.colo).toBe("DFW");
    expect(geo.ip).toBe("198.51.100.4");
  });

  it("x-dev-cf keeps the fields it does not mention", () => {
    const geo = visitorGeo(request(BERLIN_CF, { "x-dev-cf": '{"city":"Hamburg"}' }), DEV);
    expect(geo).toMatchObject({ country: "DE", city: "Hamburg", region: "Berlin", colo: "FRA", isEU: true });
  });

  it("x-dev-cf that is not a JSON object, or is over 2 KiB, is ignored whole", () => {
    const base = visitorGeo(request(BERLIN_CF), DEV);
    for (const bad of [
      "{not json",
      "[]",
      '"DE"',
      "null",
      "42",
      JSON.stringify({ country: "JP", pad: "x".repeat(2100) }),
    ]) {
      expect(visitorGeo(request(BERLIN_CF, { "x-dev-cf": bad }), DEV)).toEqual(base);
    }
    // Just under the limit is still honoured.
    const fits = JSON.stringify({ country: "JP", pad: "x".repeat(1900) });
    expect(visitorGeo(request(BERLIN_CF, { "x-dev-cf": fits }), DEV).country).toBe("JP");
  });

  it("x-dev-cf fields with wrong types or invalid values are skipped one by one", () => {
    const header = JSON.stringify({
      country: "de", // must be upper-case
      latitude: "91",
      longitude: 8.55, // latitude out of range, longitude fine as a number
      asn: 12.5,
      colo: "ZRH",
      city: "Zürich",
      region: ["x"],
      timezone: "Europe/Zurich",
      continent: 3,
      ip: "not-an-ip",
      isEUCountry: "maybe",
    }).replace("ü", "\\u00fc"); // header values should be ASCII; JSON escapes carry the rest
    const geo = visitorGeo(request(BERLIN_CF, { "cf-connecting-ip": "198.51.100.4", "x-dev-cf": header }), DEV);
    expect(geo).toEqual({
      country: "DE",
      region: "Berlin",
      city: "Zürich",
      continent: "EU",
      timezone: "Europe/Zurich",
      latitude: 52.52,
      longitude: 8.55,
      colo: "ZRH",
      asn: 3320,
      isEU: true,
      ip: "198.51.100.4",
    });
  });

  it("an overriding country decides isEU unless isEUCountry is given; XX clears it; T1 is kept", () => {
    expect(visitorGeo(request(BERLIN_CF, { "x-dev-cf": '{"country":"US"}' }), DEV)).toMatchObject({
      country: "US",
      isEU: false,
    });
    expect(visitorGeo(request({ country: "US" }, { "x-dev-cf": '{"country":"AT"}' }), DEV)).toMatchObject({
      country: "AT",
      isEU: true,
    });
    expect(visitorGeo(request({ country: "US" }, { "x-dev-cf": '{"isEUCountry":"1"}' }), DEV).isEU).toBe(true);
    expect(visitorGeo(request(BERLIN_CF, { "x-dev-cf": '{"country":"XX"}' }), DEV)).toMatchObject({
      country: null,
      isEU: false,
    });
    expect(visitorGeo(request(BERLIN_CF, { "x-dev-cf": '{"country":"T1"}' }), DEV)).toMatchObject({
      country: "T1",
      isEU: false,
    });
  });

  it("isIpAddress accepts IPv4/IPv6 text forms and rejects the rest", () => {
    const valid = [
      "0.0.0.0",
      "203.0.113.7",
      "255.255.255.255",
      "::",
      "::1",
      "2001:db8::",
      "fe80::1:2:3:4",
      "2001:0db8:0000:0000:0000:ff00:0042:8329",
      "::ffff:192.0.2.128",
      "64:ff9b::192.0.2.33",
    ];
    const invalid = [
      "",
      "1.2.3",
      "1.2.3.4.5",
      "256.1.1.1",
      "01.2.3.4",
      "1.2.3.4 ",
      "::1::",
      "2001:db8:::1",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7",
      "12345::1",
      "::ffff:192.0.2",
      "fe80::1%eth0",
      "g::1",
      "localhost",
    ];
    expect(valid.filter((v) => !isIpAddress(v))).toEqual([]);
    expect(invalid.filter((v) => isIpAddress(v))).toEqual([]);
  });
});

describe("LazyVisitorGeo", () => {
  const FIELDS = Object.keys(EMPTY) as Array<keyof VisitorGeo>;
  const cases: Array<[string, Request, { development: boolean }]> = [
    ["cf and address", request(BERLIN_CF, { "cf-connecting-ip": "198.51.100.4" }), PROD],
    ["nothing", request(undefined), PROD],
    ["malformed cf", request({ country: "germany", latitude: "north", asn: "x", colo: "fr" }), PROD],
    [
      "dev override in development",
      request(BERLIN_CF, {
        "cf-connecting-ip": "198.51.100.4",
        "x-dev-cf": JSON.stringify({ country: "JP", ip: "2001:db8::1", isEUCountry: "0" }),
      }),
      DEV,
    ],
    ["dev override without ip", request(BERLIN_CF, { "x-dev-cf": JSON.stringify({ country: "FR" }) }), DEV],
    ["dev override ignored in production", request(BERLIN_CF, { "x-dev-cf": JSON.stringify({ country: "JP" }) }), PROD],
    ["malformed override", request(BERLIN_CF, { "x-dev-cf": "{not json", "cf-connecting-ip": " 203.0.113.9 " }), DEV],
  ];

  it("reads what visitorGeo reads, field by field and as JSON", () => {
    for (const [name, req, opts] of cases) {
      const eager = visitorGeo(req, opts);
      const lazy = new LazyVisitorGeo(req, opts);
      expect(Object.fromEntries(FIELDS.map((f) => [f, lazy[f]])), name).toEqual(eager);
      expect(JSON.parse(JSON.stringify(new LazyVisitorGeo(req, opts))), name).toEqual(eager);
    }
  });

  it("reads request.cf only when a field other than the address is read, and then once", () => {
    let reads = 0;
    const real = request(BERLIN_CF, { "cf-connecting-ip": "198.51.100.4" });
    const counted = new Proxy(real, {
      get(target, key) {
        if (key === "cf") reads++;
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const lazy = new LazyVisitorGeo(counted, PROD);
    expect(lazy.ip).toBe("198.51.100.4");
    expect(reads).toBe(0);
    expect(lazy.country).toBe("DE");
    expect(lazy.asn).toBe(3320);
    expect(lazy.isEU).toBe(true);
    expect(reads).toBe(1);
  });
});

describe("negotiateLocale", () => {
  it.each([
    ["fr-CH,de;q=0.8", "CH", "fr-CH"],
    ["fr", "CH", "fr-CH"], // a regional variant for the visitor's country beats the bare language
    ["fr", "FR", "fr"],
    ["de", "AT", "de-AT"],
    ["en", "US", "en-US"],
    ["en", "DE", "en"],
    ["da", "DE", "da"],
    ["en-US,en;q=0.9", "GB", "en-US"],
    ["de-DE,de;q=0.9,en;q=0.8", "DE", "de"],
    ["es-AR,es;q=0.9", "AR", "es-MX"], // Latin American Spanish
    ["es", "ES", "es"],
    ["pt", "BR", "pt-BR"],
    ["pt", "PT", "pt"],
    ["en-NZ", null, "en-AU"],
    ["de-LI", "LI", "de-CH"],
    ["fr-LU", "CH", "fr"], // an explicit region outranks the visitor's country
    ["no", "NO", "nb"],
    ["iw", null, "he"],
    ["zh", "TW", "zh-TW"],
    ["zh", null, "zh-CN"],
    ["zh-HK", "CN", "zh-TW"],
    ["zh-Hant", null, "zh-TW"],
    ["zh-Hans-HK", "HK", "zh-CN"], // the script decides
    ["en_GB", null, "en-GB"],
    ["EN-gb", null, "en-GB"],
    ["tlh, x-klingon", "BR", "pt-BR"], // nothing supported → the country's language
  ])("%j from %s → %s", (header, country, expected) => {
    expect(negotiateLocale(header, country)).toBe(expected);
  });

  it("without a header falls back to the country's language, then en", () => {
    expect(negotiateLocale(null, "DE")).toBe("de");
    expect(negotiateLocale(undefined, "CH")).toBe("de-CH");
    expect(negotiateLocale("", "JP")).toBe("ja");
    expect(negotiateLocale(null, "BR")).toBe("pt-BR");
    expect(negotiateLocale(null, "US")).toBe("en-US");
    expect(negotiateLocale(null, "GB")).toBe("en-GB");
    expect(negotiateLocale(null, null)).toBe("en");
    expect(negotiateLocale(null, "T1")).toBe("en");
    expect(negotiateLocale(null, "ZZ")).toBe("en");
  });

  it("orders by q, then by position", () => {
    expect(negotiateLocale("de;q=0.5,fr;q=0.9,it", "CH")).toBe("it-CH");
    expect(negotiateLocale("de;q=0.5,fr;q=0.9", "CH")).toBe("fr-CH");
    expect(negotiateLocale("nl;q=0.7,sv;q=0.7", null)).toBe("nl");
    expect(negotiateLocale("xx;q=1,sv;q=0.001", null)).toBe("sv");
  });

  it("never picks a range with q=0", () => {
    expect(negotiateLocale("de;q=0,fr", "DE")).toBe("fr");
    expect(negotiateLocale("fr-CH;q=0,fr", "CH")).toBe("fr"); // refuses only fr-CH
    expect(negotiateLocale("fr;q=0,fr-CH", "CH")).toBe("de-CH"); // refuses fr and fr-CH
    expect(negotiateLocale("de;q=0", "DE")).toBe("en");
    expect(negotiateLocale("en-US;q=0, en", "US")).toBe("en");
    expect(negotiateLocale("de;q=0.000", "AT")).toBe("en");
  });

  it("* means any language: the country's, unless refused", () => {
    expect(negotiateLocale("*", "JP")).toBe("ja");
    expect(negotiateLocale("*", null)).toBe("en");
    expect(negotiateLocale("ko;q=0.5,*", "FR")).toBe("fr");
    expect(negotiateLocale("fr;q=0,*", "FR")).toBe("en");
    expect(negotiateLocale("*;q=0,it", "DE")).toBe("it");
  });

  it("tolerates malformed headers and falls back sensibly", () => {
    expect(negotiateLocale(";;;", "FR")).toBe("fr");
    expect(negotiateLocale("q=abc", "JP")).toBe("ja");
    expect(negotiateLocale("de;q=abc,fr;q=0.5", null)).toBe("fr"); // an unreadable weight drops its entry
    expect(negotiateLocale("de;q=2,it;q=-1,es;q=0.5", null)).toBe("es");
    expect(negotiateLocale(",,, ,de ,", null)).toBe("de");
    expect(negotiateLocale("de;level=1;q=0.4, nl;q=0.3", null)).toBe("de");
    expect(negotiateLocale("€€€, 日本語, ja", null)).toBe("ja");
    expect(negotiateLocale("averyverylonglanguagetag-xx", "SE")).toBe("sv");
    expect(negotiateLocale("a".repeat(10_240), "DE")).toBe("de");
    expect(negotiateLocale("fr;q=0.5,".repeat(1_200), "IT")).toBe("fr");
  });

  it("only reads the first 512 characters and 20 entries", () => {
    const filler = Array.from({ length: 19 }, () => "tlh").join(",");
    expect(negotiateLocale(`${filler},ko`, "DE")).toBe("ko"); // entry 20
    expect(negotiateLocale(`${filler},tlh,ko`, "DE")).toBe("de"); // entry 21 is not considered
    // fr-CH straddles character 512: the cut drops it whole instead of reading "fr-C" as "fr".
    const padded = `tlh;q=0.9,${" ".repeat(498)},fr-CH`;
    expect(padded.indexOf("fr-CH")).toBe(509);
    expect(negotiateLocale(padded, "DE")).toBe("de");
    expect(negotiateLocale(`ko,${" ".repeat(600)}`, "DE")).toBe("ko");
  });

  it("maps 50 realistic headers onto the supported list", () => {
    const cases: Array<[string, string | null, string]> = [
      ["en-US,en;q=0.9", "US", "en-US"],
      ["en-GB,en-US;q=0.9,en;q=0.8", "GB", "en-GB"],
      ["en-US,en;q=0.9,hi;q=0.8", "IN", "en-US"],
      ["en-IN,en-GB;q=0.9,en-US;q=0.8,en;q=0.7,hi;q=0.6", "IN", "en-IN"],
      ["hi-IN,hi;q=0.9,en;q=0.8", "IN", "hi"],
      ["en-AU,en;q=0.9", "AU", "en-AU"],
      ["en-CA,en;q=0.9,fr-CA;q=0.8", "CA", "en-CA"],
      ["fr-CA,fr;q=0.9,en-CA;q=0.8,en;q=0.7", "CA", "fr-CA"],
      ["en-ZA,en;q=0.9", "ZA", "en-GB"],
      ["en-IE,en;q=0.9,ga;q=0.8", "IE", "en-GB"],
      ["de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7", "DE", "de"],
      ["de-AT,de;q=0.9,en;q=0.8", "AT", "de-AT"],
      ["de-CH,de;q=0.9,fr;q=0.8,en;q=0.7", "CH", "de-CH"],
      ["fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7", "FR", "fr"],
      ["fr-BE,fr;q=0.9,nl;q=0.8", "BE", "fr-BE"],
      ["nl-BE,nl;q=0.9,fr;q=0.8", "BE", "nl-BE"],
      ["nl-NL,nl;q=0.9,en-US;q=0.8,en;q=0.7", "NL", "nl"],
      ["it-IT,it;q=0.9,en-US;q=0.8,en;q=0.7", "IT", "it"],
      ["it-CH,it;q=0.9,de-CH;q=0.8", "CH", "it-CH"],
      ["es-ES,es;q=0.9", "ES", "es"],
      ["es-MX,es;q=0.9,en;q=0.8", "MX", "es-MX"],
      ["es-419,es;q=0.9", "CO", "es-MX"],
      ["es-US,es;q=0.9,en;q=0.8", "US", "es-MX"],
      ["pt-BR,pt;q=0.9,en-US;q=0.8,en;q=0.7", "BR", "pt-BR"],
      ["pt-PT,pt;q=0.9,en;q=0.8", "PT", "pt"],
      ["pl-PL,pl;q=0.9,en-US;q=0.8,en;q=0.7", "PL", "pl"],
      ["sv-SE,sv;q=0.9,en-US;q=0.8,en;q=0.7", "SE", "sv"],
      ["da-DK,da;q=0.9,en;q=0.8", "DK", "da"],
      ["nb-NO,nb;q=0.9,no;q=0.8,nn;q=0.7,en-US;q=0.6,en;q=0.5", "NO", "nb"],
      ["fi-FI,fi;q=0.9,en-US;q=0.8,en;q=0.7", "FI", "fi"],
      ["is-IS,is;q=0.9,en;q=0.8", "IS", "is"],
      ["cs-CZ,cs;q=0.9,sk;q=0.8", "CZ", "cs"],
      ["hu-HU,hu;q=0.9,en-US;q=0.8,en;q=0.7", "HU", "hu"],
      ["ro-RO,ro;q=0.9,en-US;q=0.8,en;q=0.7", "RO", "ro"],
      ["bg-BG,bg;q=0.9,en;q=0.8", "BG", "bg"],
      ["el-GR,el;q=0.9,en;q=0.8", "GR", "el"],
      ["hr-HR,hr;q=0.9,en-US;q=0.8,en;q=0.7", "HR", "hr"],
      ["sl-SI,sl;q=0.9,en-GB;q=0.8,en;q=0.7", "SI", "sl"],
      ["et-EE,et;q=0.9,en-US;q=0.8,en;q=0.7,ru;q=0.6", "EE", "et"],
      ["lv-LV,lv;q=0.9,ru;q=0.8,en;q=0.7", "LV", "lv"],
      ["lt-LT,lt;q=0.9,en-US;q=0.8,en;q=0.7,ru;q=0.6", "LT", "lt"],
      ["ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", "RU", "ru"],
      ["uk-UA,uk;q=0.9,ru;q=0.8,en-US;q=0.7,en;q=0.6", "UA", "uk"],
      ["tr-TR,tr;q=0.9,en-US;q=0.8,en;q=0.7", "TR", "tr"],
      ["ar-SA,ar;q=0.9,en-US;q=0.8,en;q=0.7", "SA", "ar"],
      ["ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7", "JP", "ja"],
      ["ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", "KR", "ko"],
      ["zh-CN,zh;q=0.9,en;q=0.8", "CN", "zh-CN"],
      ["zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7", "TW", "zh-TW"],
      ["vi-VN,vi;q=0.9,fr-FR;q=0.8,fr;q=0.7,en-US;q=0.6,en;q=0.5", "VN", "vi"],
    ];
    expect(new Set(cases.map(([header]) => header)).size).toBe(50);
    const results = cases.map(([header, country]) => negotiateLocale(header, country));
    expect(results).toEqual(cases.map(([, , expected]) => expected));
    const distinct = new Set(results);
    expect(distinct.size).toBeLessThanOrEqual(localeCount);
    expect([...distinct].filter((l) => !(SUPPORTED_LOCALES as readonly string[]).includes(l))).toEqual([]);
  });

  it("supported locales are unique and well-formed", () => {
    expect(localeCount).toBe(SUPPORTED_LOCALES.length);
    expect(new Set(SUPPORTED_LOCALES.map((l) => l.toLowerCase())).size).toBe(SUPPORTED_LOCALES.length);
    expect(SUPPORTED_LOCALES.filter((l) => !/^[a-z]{2,3}(-[A-Z]{2})?$/.test(l))).toEqual([]);
  });
});

describe("country data", () => {
  const EU = [
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "GR",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
  ];
  const G20 = [
    "AR",
    "AU",
    "BR",
    "CA",
    "CN",
    "FR",
    "DE",
    "IN",
    "ID",
    "IT",
    "JP",
    "KR",
    "MX",
    "RU",
    "SA",
    "ZA",
    "TR",
    "GB",
    "US",
  ];

  it("knows every EU/EEA and G20 country, with a well-formed currency and a supported locale", () => {
    const missing = [...EU, "IS", "LI", "NO", "CH", ...G20].filter((c) => !KNOWN_COUNTRIES.includes(c));
    expect(missing).toEqual([]);
    expect(KNOWN_COUNTRIES.length).toBeGreaterThanOrEqual(200);
    expect(KNOWN_COUNTRIES.filter((c) => !/^[A-Z]{2}$/.test(c))).toEqual([]);
    expect(KNOWN_COUNTRIES.filter((c) => !/^[A-Z]{3}$/.test(currencyFor(c)))).toEqual([]);
    const supported: readonly string[] = SUPPORTED_LOCALES;
    expect(KNOWN_COUNTRIES.filter((c) => !supported.includes(defaultLocaleFor(c)))).toEqual([]);
  });

  it("currencies", () => {
    const euro = [
      "AT",
      "BE",
      "BG",
      "HR",
      "CY",
      "EE",
      "FI",
      "FR",
      "DE",
      "GR",
      "IE",
      "IT",
      "LV",
      "LT",
      "LU",
      "MT",
      "NL",
      "PT",
      "SK",
      "SI",
      "ES",
      "MC",
      "SM",
      "VA",
      "AD",
      "ME",
      "XK",
    ];
    expect(euro.filter((c) => currencyFor(c) !== "EUR")).toEqual([]);
    expect(
      [
        "CZ",
        "DK",
        "HU",
        "PL",
        "RO",
        "SE",
        "CH",
        "LI",
        "NO",
        "IS",
        "GB",
        "US",
        "JP",
        "BR",
        "IN",
        "CN",
        "AU",
        "CA",
        "EC",
      ].map(currencyFor),
    ).toEqual([
      "CZK",
      "DKK",
      "HUF",
      "PLN",
      "RON",
      "SEK",
      "CHF",
      "CHF",
      "NOK",
      "ISK",
      "GBP",
      "USD",
      "JPY",
      "BRL",
      "INR",
      "CNY",
      "AUD",
      "CAD",
      "USD",
    ]);
    expect(currencyFor("de")).toBe("EUR");
    expect(currencyFor(null)).toBe("USD");
    expect(currencyFor("T1")).toBe("USD");
    expect(currencyFor("ZZ")).toBe("USD");
  });

  it("units: imperial only in the US, Liberia and Myanmar", () => {
    expect(["US", "LR", "MM", "us"].map(unitsFor)).toEqual(["imperial", "imperial", "imperial", "imperial"]);
    expect(["GB", "CA", "DE", "JP", "T1", "ZZ"].map(unitsFor)).toEqual([
      "metric",
      "metric",
      "metric",
      "metric",
      "metric",
      "metric",
    ]);
    expect(unitsFor(null)).toBe("metric");
  });

  it("isEuEea: EU 27 + IS, LI, NO; not CH or GB", () => {
    expect([...EU, "IS", "LI", "NO"].filter((c) => !isEuEea(c))).toEqual([]);
    expect(["CH", "GB", "US", "TR", "RS", "T1", "ZZ"].filter((c) => isEuEea(c))).toEqual([]);
    expect(isEuEea(null)).toBe(false);
  });

  it("consent: EU/EEA, UK, Switzerland, unknown and Tor yes; elsewhere no", () => {
    const yes = [...EU, "IS", "LI", "NO", "GB", "CH", "JE", "GG", "IM", "GI", "GF", "T1"];
    expect(yes.filter((country) => !consentRequired({ country, isEU: false }))).toEqual([]);
    expect(consentRequired({ country: null, isEU: false })).toBe(true);
    const no = ["US", "CA", "BR", "JP", "IN", "AU", "TR", "RS", "ZZ"];
    expect(no.filter((country) => consentRequired({ country, isEU: false }))).toEqual([]);
    expect(consentRequired({ country: "US", isEU: true })).toBe(true); // Cloudflare's flag wins
  });
});

describe("nearest origin", () => {
  const at = (latitude: number, longitude: number) => ({ latitude, longitude });

  it("haversine: known distances", () => {
    expect(greatCircleKm(at(51.5074, -0.1278), at(48.8566, 2.3522))).toBeCloseTo(344, -1); // London–Paris
    expect(Math.abs(greatCircleKm(at(51.5074, -0.1278), at(48.8566, 2.3522)) - 344)).toBeLessThan(5);
    expect(Math.abs(greatCircleKm(at(40.7128, -74.006), at(34.0522, -118.2437)) - 3936)).toBeLessThan(10); // NY–LA
    expect(Math.abs(greatCircleKm(at(0, 0), at(0, 180)) - Math.PI * 6371.0088)).toBeLessThan(1e-6); // antipodes
    expect(greatCircleKm(at(35.68, 139.69), at(35.68, 139.69))).toBe(0);
    expect(greatCircleKm(at(90, 0), at(-90, 0))).toBeCloseTo(20015.1, 0); // pole to pole
  });

  it.each([
    ["Berlin", 52.52, 13.405, "eu-central"],
    ["Paris", 48.8566, 2.3522, "eu-west"],
    ["Tokyo", 35.6895, 139.6917, "ap-northeast"],
    ["Seoul", 37.5665, 126.978, "ap-northeast"],
    ["New York", 40.7128, -74.006, "us-east"],
    ["Los Angeles", 34.0522, -118.2437, "us-west"],
    ["Sydney", -33.8688, 151.2093, "oceania"],
    ["Auckland", -36.8485, 174.7633, "oceania"],
    ["Buenos Aires", -34.6037, -58.3816, "sa-east"],
    ["Bangalore", 12.9716, 77.5946, "ap-south"],
    ["Jakarta", -6.2088, 106.8456, "ap-southeast"],
  ])("%s (%d, %d) → %s", (_city, lat, lon, expected) => {
    expect(nearestOrigin(lat, lon)?.id).toBe(expected);
  });

  it("returns the distance to the chosen region, and null without a usable position", () => {
    const berlin = nearestOrigin(52.52, 13.405);
    expect(berlin?.distanceKm).toBeGreaterThan(415);
    expect(berlin?.distanceKm).toBeLessThan(430);
    expect(nearestOrigin(null, 13.4)).toBeNull();
    expect(nearestOrigin(52.5, null)).toBeNull();
    expect(nearestOrigin(Number.NaN, 0)).toBeNull();
    expect(nearestOrigin(95, 0)).toBeNull();
    expect(nearestOrigin(52.5, 13.4, [])).toBeNull();
  });

  it("uses a given region list", () => {
    const regions = parseOriginRegions(
      '[{"id":"zurich","latitude":47.37,"longitude":8.54},{"id":"oslo","latitude":59.91,"longitude":10.75}]',
    );
    expect(regions).toEqual([
      { id: "zurich", latitude: 47.37, longitude: 8.54 },
      { id: "oslo", latitude: 59.91, longitude: 10.75 },
    ]);
    expect(nearestOrigin(55.68, 12.57, regions)?.id).toBe("oslo"); // Copenhagen
    expect(nearestOrigin(52.52, 13.405, regions)?.id).toBe("zurich"); // Berlin
    expect(DEFAULT_ORIGIN_REGIONS.map((r) => r.id)).toEqual([
      "us-east",
      "us-west",
      "sa-east",
      "eu-west",
      "eu-central",
      "ap-south",
      "ap-southeast",
      "ap-northeast",
      "oceania",
    ]);
  });

  it.each([
    ["broken JSON", "{", /not valid JSON/],
    ["an object", '{"id":"x"}', /expected a JSON array/],
    ["an empty list", "[]", /empty/],
    ["a non-object entry", "[1]", /regions\[0\]: expected an object/],
    ["a bad id", '[{"id":"A B","latitude":1,"longitude":1}]', /regions\[0\]\.id/],
    ["a string latitude", '[{"id":"a","latitude":"1","longitude":1}]', /regions\[0\]\.latitude/],
    ["longitude 181", '[{"id":"a","latitude":1,"longitude":181}]', /regions\[0\]\.longitude/],
    [
      "duplicate ids",
      '[{"id":"a","latitude":1,"longitude":1},{"id":"a","latitude":2,"longitude":2}]',
      /regions\[1\]\.id: duplicate/,
    ],
    ["unknown keys", '[{"id":"a","latitude":1,"longitude":1,"name":"A"}]', /regions\[0\]\.name: unknown key/],
    [
      "65 entries",
      JSON.stringify(Array.from({ length: 65 }, (_, i) => ({ id: `r${i}`, latitude: 0, longitude: 0 }))),
      /at most 64/,
    ],
  ])("parseOriginRegions rejects %s", (_label, json, message) => {
    expect(() => parseOriginRegions(json)).toThrow(message);
  });
});

describe("personalize", () => {
  const contextFor = (cf: Record<string, unknown> | undefined, acceptLanguage: string | null = null): GeoContext =>
    personalize(visitorGeo(request(cf, { "cf-connecting-ip": "203.0.113.9" }), PROD), acceptLanguage);

  it("Germany", () => {
    expect(contextFor(BERLIN_CF, "de-DE,de;q=0.9,en;q=0.8")).toEqual({
      country: "DE",
      region: "Berlin",
      city: "Berlin",
      continent: "EU",
      timezone: "Europe/Berlin",
      latitude: 52.52,
      longitude: 13.405,
      colo: "FRA",
      asn: 3320,
      isEU: true,
      locale: "de",
      currency: "EUR",
      units: "metric",
      consentRequired: true,
      nearestOrigin: "eu-central",
    });
  });

  it.each([
    [
      "FR",
      null,
      { latitude: "48.8566", longitude: "2.3522" },
      { locale: "fr", currency: "EUR", units: "metric", consentRequired: true, nearestOrigin: "eu-west", isEU: true },
    ],
    [
      "CH",
      "fr-CH,de;q=0.8",
      { latitude: "46.2044", longitude: "6.1432" },
      {
        locale: "fr-CH",
        currency: "CHF",
        units: "metric",
        consentRequired: true,
        nearestOrigin: "eu-central",
        isEU: false,
      },
    ],
    [
      "CH",
      null,
      { latitude: "47.3769", longitude: "8.5417" },
      {
        locale: "de-CH",
        currency: "CHF",
        units: "metric",
        consentRequired: true,
        nearestOrigin: "eu-central",
        isEU: false,
      },
    ],
    [
      "US",
      null,
      { latitude: "40.7128", longitude: "-74.0060" },
      {
        locale: "en-US",
        currency: "USD",
        units: "imperial",
        consentRequired: false,
        nearestOrigin: "us-east",
        isEU: false,
      },
    ],
    [
      "JP",
      "ja,en-US;q=0.9",
      { latitude: "35.6895", longitude: "139.6917" },
      {
        locale: "ja",
        currency: "JPY",
        units: "metric",
        consentRequired: false,
        nearestOrigin: "ap-northeast",
        isEU: false,
      },
    ],
    [
      "AU",
      null,
      { latitude: "-33.8688", longitude: "151.2093" },
      {
        locale: "en-AU",
        currency: "AUD",
        units: "metric",
        consentRequired: false,
        nearestOrigin: "oceania",
        isEU: false,
      },
    ],
    [
      "XX",
      null,
      {},
      {
        country: null,
        locale: "en",
        currency: "USD",
        units: "metric",
        consentRequired: true,
        nearestOrigin: null,
        isEU: false,
      },
    ],
    [
      "T1",
      "de",
      {},
      {
        country: "T1",
        locale: "de",
        currency: "USD",
        units: "metric",
        consentRequired: true,
        nearestOrigin: null,
        isEU: false,
      },
    ],
  ])("%s with %j", (country, acceptLanguage, position, expected) => {
    expect(contextFor({ country, ...position }, acceptLanguage)).toMatchObject(expected);
  });

  it("an unknown visitor (no cf at all) gets safe defaults", () => {
    expect(contextFor(undefined)).toEqual({
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
      locale: "en",
      currency: "USD",
      units: "metric",
      consentRequired: true,
      nearestOrigin: null,
    });
  });

  it("does not expose the client address", () => {
    expect(Object.keys(contextFor(BERLIN_CF))).not.toContain("ip");
  });

  it("takes a region list", () => {
    const regions = parseOriginRegions('[{"id":"only","latitude":0,"longitude":0}]');
    const geo = visitorGeo(request(BERLIN_CF), PROD);
    expect(personalize(geo, null, regions).nearestOrigin).toBe("only");
  });
});

describe("LazyGeoContext (what requests get as c.var.geo)", () => {
  const cfs: Array<Record<string, unknown> | undefined> = [
    BERLIN_CF,
    { country: "CH", latitude: "46.2044", longitude: "6.1432" },
    { country: "US", latitude: "40.7128", longitude: "-74.0060", isEUCountry: "0" },
    { country: "T1" },
    { country: "zz", latitude: "999", longitude: "abc" },
    undefined,
  ];
  const languages = [null, "fr-CH,de;q=0.8", "ja,en-US;q=0.9", "*", "x".repeat(5000)];

  it("serializes to exactly what personalize returns, field order included", () => {
    for (const cf of cfs) {
      for (const acceptLanguage of languages) {
        const req = request(cf, acceptLanguage === null ? {} : { "accept-language": acceptLanguage });
        const visitor = visitorGeo(req, PROD);
        const lazy = new LazyGeoContext(visitor, req.headers);
        expect(JSON.stringify(lazy)).toBe(JSON.stringify(personalize(visitor, acceptLanguage)));
        expect(JSON.stringify({ geo: lazy })).toBe(JSON.stringify({ geo: personalize(visitor, acceptLanguage) }));
        // Field by field, as routes read them.
        const eager = personalize(visitor, acceptLanguage);
        for (const key of Object.keys(eager) as Array<keyof GeoContext>) expect(lazy[key]).toEqual(eager[key]);
      }
    }
  });

  it("reads Accept-Language only when the locale is used, and only once", () => {
    let reads = 0;
    const headers = { get: (name: string) => (reads++, name === "accept-language" ? "de-DE" : null) };
    const lazy = new LazyGeoContext(visitorGeo(request(BERLIN_CF), PROD), headers);
    expect([lazy.country, lazy.currency, lazy.nearestOrigin]).toEqual(["DE", "EUR", "eu-central"]);
    expect(reads).toBe(0);
    expect(lazy.locale).toBe("de");
    expect(lazy.locale).toBe("de");
    expect(reads).toBe(1);
  });

  it("never exposes the client address", () => {
    const req = request(BERLIN_CF, { "cf-connecting-ip": "203.0.113.9" });
    expect(JSON.stringify(new LazyGeoContext(visitorGeo(req, PROD), req.headers))).not.toContain("203.0.113.9");
  });
});
