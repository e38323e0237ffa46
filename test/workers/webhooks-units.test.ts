/** Pure webhook library code: the retry schedule, delivery ids, who wants an event. */
import { describe, expect, it } from "vitest";
import { deliveryId, wants } from "../../src/lib/webhooks/delivery.ts";
import { MAX_ATTEMPTS, MAX_RETRY_DELAY_SECONDS, retryDelaySeconds } from "../../src/lib/webhooks/options.ts";

const HOUR = 3600;
const schedule = (random: number, base = 5) =>
  Array.from({ length: MAX_ATTEMPTS - 1 }, (_, i) => retryDelaySeconds(i + 1, base, () => random));
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe("retry schedule", () => {
  it("spreads 10 attempts over at least 24 h even with the shortest jitter, growing 4× up to the 12 h cap", () => {
    const exact = schedule(0.5);
    expect(exact).toEqual([5, 20, 80, 320, 1280, 5120, 20480, 43200, 43200]);
    expect(sum(exact) / HOUR).toBeCloseTo(31.6, 1);
    expect(sum(schedule(0)) / HOUR).toBeGreaterThan(24);
    expect(sum(schedule(0.999)) / HOUR).toBeLessThan(36);
    for (const random of [0, 0.5, 0.999]) {
      const s = schedule(random);
      for (let i = 1; i < s.length; i++) expect(s[i]!).toBeGreaterThanOrEqual(s[i - 1]!);
      expect(Math.max(...s)).toBeLessThanOrEqual(MAX_RETRY_DELAY_SECONDS);
    }
  });

  it("jitters each delay within ±20 % and never below 1 s", () => {
    expect(retryDelaySeconds(2, 5, () => 0)).toBe(16);
    expect(retryDelaySeconds(2, 5, () => 0.999)).toBe(24);
    expect(retryDelaySeconds(1, 1, () => 0)).toBe(1);
    const seen = new Set(Array.from({ length: 200 }, () => retryDelaySeconds(3, 5)));
    expect(seen.size).toBeGreaterThan(5);
    for (const d of seen) expect(d >= 64 && d <= 96).toBe(true);
  });
});

describe("deliveries", () => {
  it("a delivery id is the same for the same event and subscription, different otherwise", async () => {
    const a = await deliveryId("evt_1", "sub_1");
    expect(a).toMatch(/^msg_[A-Za-z0-9_-]{24}$/);
    expect(await deliveryId("evt_1", "sub_1")).toBe(a);
    expect(await deliveryId("evt_1", "sub_2")).not.toBe(a);
    expect(await deliveryId("evt_2", "sub_1")).not.toBe(a);
  });

  it("room.message goes only to subscriptions that name the room", () => {
    const sub = { events: ["room.message", "config.changed"], rooms: ["demo"] };
    expect(wants(sub, { type: "config.changed", data: {} })).toBe(true);
    expect(wants(sub, { type: "room.message", data: { room: "demo" } })).toBe(true);
    expect(wants(sub, { type: "room.message", data: { room: "other" } })).toBe(false);
    expect(wants(sub, { type: "document.ready", data: {} })).toBe(false);
    expect(wants({ events: ["room.message"], rooms: [] }, { type: "room.message", data: { room: "demo" } })).toBe(
      false,
    );
  });
});
