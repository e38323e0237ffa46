import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { isFlagEnabled, rolloutBucket } from "../../src/lib/config/flags.ts";
import { edgeConfigSchema } from "../../src/lib/config/schema.ts";
import { bearer, worker } from "./helpers.ts";

const ids = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
const flagsWith = (flags: Record<string, unknown>) => edgeConfigSchema.parse({ flags }).flags;
const enabledSet = (flags: ReturnType<typeof flagsWith>, name: string, country: string | null = "DE") =>
  new Set(ids.filter((id) => isFlagEnabled(flags, name, { id, country })));

describe("feature flag rollout", () => {
  for (const rollout of [1, 10, 25, 50, 90]) {
    it(`rollout ${rollout}% enables ${rollout}% ± 2% of 10,000 ids`, () => {
      const share = enabledSet(flagsWith({ f: { enabled: true, rollout } }), "f").size / ids.length;
      expect(Math.abs(share - rollout / 100)).toBeLessThanOrEqual(0.02);
    });
  }

  it("is stable and monotone when raised: everyone in at 10% stays in at 25%, 50% and 100%", () => {
    let previous = new Set<string>();
    for (const rollout of [0, 10, 25, 50, 100]) {
      const current = enabledSet(flagsWith({ f: { enabled: true, rollout } }), "f");
      for (const id of previous) expect(current.has(id)).toBe(true);
      expect(current.size).toBeGreaterThanOrEqual(previous.size);
      previous = current;
    }
    expect(previous.size).toBe(ids.length);
    expect(rolloutBucket("f", "user-42")).toBe(rolloutBucket("f", "user-42"));
  });

  it("flags are independent: two 50% flags overlap on about 25% of ids", () => {
    const flags = flagsWith({ a: { enabled: true, rollout: 50 }, b: { enabled: true, rollout: 50 } });
    const a = enabledSet(flags, "a");
    const b = enabledSet(flags, "b");
    const both = [...a].filter((id) => b.has(id)).length / ids.length;
    expect(Math.abs(both - 0.25)).toBeLessThanOrEqual(0.02);
  });

  it("country targeting and the enabled switch", () => {
    const flags = flagsWith({
      eu: { enabled: true, rollout: 100, countries: ["DE", "FR"] },
      off: { enabled: false, rollout: 100 },
    });
    expect(isFlagEnabled(flags, "eu", { id: "x", country: "DE" })).toBe(true);
    expect(isFlagEnabled(flags, "eu", { id: "x", country: "US" })).toBe(false);
    expect(isFlagEnabled(flags, "eu", { id: "x", country: null })).toBe(false);
    expect(isFlagEnabled(flags, "off", { id: "x", country: "DE" })).toBe(false);
    expect(isFlagEnabled(flags, "missing", { id: "x", country: "DE" })).toBe(false);
  });

  it("routes read them as c.var.flags, from the live config, for the visitor of the request", async () => {
    const auth = await bearer("alice", ["admin"]);
    const current = await worker("/v1/admin/config", { headers: { authorization: auth } });
    const { config } = (await current.json()) as { config: Record<string, unknown> };
    const flags = {
      on: { enabled: true, rollout: 100 },
      "de-only": { enabled: true, rollout: 100, countries: ["DE"] },
      off: { enabled: false, rollout: 100 },
    };
    const put = await worker("/v1/admin/config", {
      method: "PUT",
      headers: { authorization: auth, "content-type": "application/json", "if-match": current.headers.get("etag")! },
      body: JSON.stringify({ ...config, flags }),
    });
    expect(put.status).toBe(200);
    const app = createApp();
    app.get("/__flags", (c) => c.json(c.var.flags.all()));
    const as = async (country: string) =>
      (
        await app.request("/__flags", { headers: { "x-dev-cf": JSON.stringify({ country, ip: "203.0.113.7" }) } }, env)
      ).json();
    expect(await as("DE")).toEqual({ on: true, "de-only": true, off: false });
    expect(await as("FR")).toEqual({ on: true, "de-only": false, off: false });
  });
});
