import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { worker } from "./helpers.ts";

const devCf = (fields: Record<string, unknown>) => ({ "x-dev-cf": JSON.stringify(fields) });

async function geoOf(headers: Record<string, string>) {
  const res = await worker("/v1/geo", { headers });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe("GET /v1/geo", () => {
  const cases: Array<[string, Record<string, unknown>, string | undefined, Record<string, unknown>]> = [
    [
      "DE",
      { country: "DE", continent: "EU", latitude: "52.52", longitude: "13.40", isEUCountry: "1" },
      undefined,
      {
        locale: "de",
        currency: "EUR",
        units: "metric",
        consentRequired: true,
        isEU: true,
        nearestOrigin: "eu-central",
      },
    ],
    [
      "FR",
      { country: "FR", continent: "EU", latitude: "48.85", longitude: "2.35", isEUCountry: "1" },
      "fr-FR,fr;q=0.9",
      { locale: "fr", currency: "EUR", units: "metric", consentRequired: true, isEU: true },
    ],
    [
      "CH",
      { country: "CH", continent: "EU", latitude: "47.37", longitude: "8.54" },
      "fr-CH,de;q=0.8",
      {
        locale: "fr-CH",
        currency: "CHF",
        units: "metric",
        consentRequired: true,
        isEU: false,
        nearestOrigin: "eu-central",
      },
    ],
    [
      "US",
      { country: "US", continent: "NA", latitude: "40.71", longitude: "-74.00" },
      "en-US,en;q=0.9",
      {
        locale: "en-US",
        currency: "USD",
        units: "imperial",
        consentRequired: false,
        isEU: false,
        nearestOrigin: "us-east",
      },
    ],
    [
      "JP",
      { country: "JP", continent: "AS", latitude: "35.68", longitude: "139.69" },
      undefined,
      { locale: "ja", currency: "JPY", units: "metric", consentRequired: false, nearestOrigin: "ap-northeast" },
    ],
    ["unknown", {}, undefined, { country: null, locale: "en", consentRequired: true, nearestOrigin: null }],
    ["T1 (Tor)", { country: "T1" }, undefined, { country: "T1", consentRequired: true }],
  ];
  for (const [name, cf, lang, expected] of cases) {
    it(`${name}`, async () => {
      const headers: Record<string, string> = devCf(cf);
      if (lang) headers["accept-language"] = lang;
      expect(await geoOf(headers)).toMatchObject(expected);
    });
  }

  it("answers every contract field", async () => {
    const body = await geoOf(
      devCf({ country: "DE", city: "Berlin", region: "Berlin", timezone: "Europe/Berlin", colo: "FRA", asn: 3320 }),
    );
    expect(Object.keys(body).sort()).toEqual(
      [
        "asn",
        "city",
        "colo",
        "consentRequired",
        "continent",
        "country",
        "currency",
        "isEU",
        "latitude",
        "locale",
        "longitude",
        "nearestOrigin",
        "region",
        "timezone",
        "units",
      ].sort(),
    );
    expect(body).toMatchObject({ city: "Berlin", timezone: "Europe/Berlin", colo: "FRA", asn: 3320 });
  });

  it("ignores x-dev-cf when ENVIRONMENT=production", async () => {
    const prod = { ...env, ENVIRONMENT: "production" };
    const res = await createApp().request(
      "/v1/geo",
      { headers: devCf({ country: "DE", city: "Berlin", latitude: "52.52", longitude: "13.40" }) },
      prod,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.country).not.toBe("DE");
    expect(body.city).not.toBe("Berlin");
  });

  it("ignores a malformed x-dev-cf without failing the request", async () => {
    const res = await worker("/v1/geo", { headers: { "x-dev-cf": "{not json" } });
    expect(res.status).toBe(200);
  });
});
