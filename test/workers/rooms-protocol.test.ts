/** The rooms protocol's pure parts: client frame parsing, subprotocol auth and the rate bucket. */
import { describe, expect, it } from "vitest";
import { newConnection, takeToken } from "../../src/lib/rooms/connection.ts";
import { utf8Length } from "../../src/lib/rooms/retention.ts";
import {
  exceedsBytes,
  parseClientFrame,
  RATE_BURST,
  ROOM_LIMITS,
  subprotocolAuth,
} from "../../src/lib/rooms/protocol.ts";

describe("parseClientFrame", () => {
  it("reads publish, ephemeral and hello frames", () => {
    expect(
      parseClientFrame('{"v":1,"type":"publish","ref":"r1","clientMsgId":"c-1","event":"chat","data":{"a":1}}'),
    ).toEqual({
      ok: true,
      frame: { type: "publish", ref: "r1", clientMsgId: "c-1", event: "chat", data: { a: 1 } },
    });
    expect(parseClientFrame('{"v":1,"type":"publish","event":"chat"}')).toEqual({
      ok: true,
      frame: { type: "publish", event: "chat", data: null },
    });
    expect(parseClientFrame('{"v":1,"type":"ephemeral","event":"cursor:move","data":[1,2]}')).toEqual({
      ok: true,
      frame: { type: "ephemeral", event: "cursor:move", data: [1, 2] },
    });
    expect(parseClientFrame('{"v":1,"type":"hello","after":"42","epoch":"abc"}')).toEqual({
      ok: true,
      frame: { type: "hello", after: "42", epoch: "abc" },
    });
    expect(parseClientFrame('{"v":1,"type":"hello","batch":true}')).toEqual({
      ok: true,
      frame: { type: "hello", batch: true },
    });
    expect(parseClientFrame('{"v":1,"type":"hello","batch":1}')).toMatchObject({
      ok: false,
      code: "bad_frame",
      message: "batch must be true or false.",
    });
  });

  it("refuses what is not a frame, keeping the ref when it can", () => {
    const cases: Array<[string, string | number | undefined]> = [
      ["", undefined],
      ["null", undefined],
      ['"text"', undefined],
      ['{"type":"publish","event":"chat"}', undefined],
      ['{"v":"1","type":"publish","event":"chat"}', undefined],
      ['{"v":1,"type":"publish","ref":5,"event":""}', 5],
      ['{"v":1,"type":"publish","ref":{"x":1},"event":"chat"}', undefined],
      ['{"v":1,"type":"publish","ref":"r","event":"chat","clientMsgId":7}', "r"],
      ['{"v":1,"type":"hello","after":"01"}', undefined],
      ['{"v":1,"type":"hello","after":"9999999999999999"}', undefined],
      ['{"v":1,"type":"welcome"}', undefined],
    ];
    for (const [raw, ref] of cases) {
      const parsed = parseClientFrame(raw);
      expect(parsed.ok, raw).toBe(false);
      if (!parsed.ok) {
        expect(parsed.code, raw).toBe("bad_frame");
        expect(parsed.ref, raw).toBe(ref);
      }
    }
  });

  it("checks the size in UTF-8 bytes before parsing, and refuses binary frames", () => {
    expect(parseClientFrame("x".repeat(ROOM_LIMITS.maxBytes + 1))).toMatchObject({ ok: false, code: "too_big" });
    expect(parseClientFrame("€".repeat(ROOM_LIMITS.maxBytes / 3 + 1))).toMatchObject({ ok: false, code: "too_big" });
    expect(parseClientFrame(new ArrayBuffer(ROOM_LIMITS.maxBytes + 1))).toMatchObject({ ok: false, code: "too_big" });
    expect(parseClientFrame(new ArrayBuffer(8))).toMatchObject({ ok: false, code: "bad_frame" });
    // 5 UTF-16 units, 10 bytes.
    expect(exceedsBytes("aé€😀", 10)).toBe(false);
    expect(exceedsBytes("aé€😀", 9)).toBe(true);
  });
});

describe("subprotocolAuth", () => {
  it("takes the token from bearer.<token> and echoes rooms.v1 when offered, else the offered bearer protocol", () => {
    expect(subprotocolAuth("rooms.v1, bearer.abc.def.ghi")).toEqual({ token: "abc.def.ghi", accept: "rooms.v1" });
    expect(subprotocolAuth("bearer.abc")).toEqual({ token: "abc", accept: "bearer.abc" });
    expect(subprotocolAuth("rooms.v1")).toEqual({ accept: "rooms.v1" });
    expect(subprotocolAuth("chat, superchat")).toEqual({});
    expect(subprotocolAuth(undefined)).toEqual({});
  });
});

describe("takeToken", () => {
  it("allows a burst, then the sustained rate, and says how long to wait", () => {
    const state = newConnection(
      { userId: "u", tenant: "t", canPublish: true, expiresAt: Date.now() + 60_000 },
      0,
      1_000,
    );
    for (let i = 0; i < RATE_BURST; i++) expect(takeToken(state, 1_000)).toBe(0);
    const wait = takeToken(state, 1_000);
    expect(wait).toBe(Math.ceil(1000 / ROOM_LIMITS.msgPerSec));
    expect(state.strikes).toBe(1);
    // One token comes back every 1000/msgPerSec ms.
    expect(takeToken(state, 1_000 + wait)).toBe(0);
    expect(state.strikes).toBe(0);
    // Sustained: exactly msgPerSec per second pass.
    let passed = 0;
    for (let t = 10; t <= 10_000; t += 10) if (takeToken(state, 1_000 + wait + t) === 0) passed++;
    expect(passed).toBeGreaterThanOrEqual(ROOM_LIMITS.msgPerSec * 10 - 1);
    expect(passed).toBeLessThanOrEqual(ROOM_LIMITS.msgPerSec * 10 + 1);
  });
});

describe("history size (retention)", () => {
  it("counts UTF-8 bytes as an encoder does, lone surrogates as U+FFFD", () => {
    const encoder = new TextEncoder();
    const cases = [
      "",
      "plain ascii",
      "Grüße",
      "東京",
      "🎉 and 👩‍👩‍👧",
      "\ud800",
      "a\udc00b",
      "\ud83c",
      "x".repeat(10_000) + "é",
    ];
    for (const s of cases) expect(utf8Length(s), JSON.stringify(s)).toBe(encoder.encode(s).byteLength);
  });
});
