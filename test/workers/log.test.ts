/** The log line writer (src/lib/log.ts): what reaches the Workers log stream. */
import { errors as joseErrors } from "jose";
import { describe, expect, it, vi } from "vitest";
import { describeError, writeLine } from "../../src/lib/log.ts";

function written(run: () => void): string[] {
  const spy = vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    run();
    return spy.mock.calls.map((args) => String(args[0]));
  } finally {
    spy.mockRestore();
  }
}

describe("writeLine", () => {
  const line = { level: "info", msg: "request", time: "2026-12-06T00:00:00.000Z", path: "/v1/me", status: 200 };

  it("writes the line's fields first, then the outcome fields, as one JSON object", () => {
    const [text] = written(() => writeLine("info", line, { auth: "ok", sub: 'a"b', waf: { action: "allow" } }));
    expect(JSON.parse(text!)).toEqual({ ...line, auth: "ok", sub: 'a"b', waf: { action: "allow" } });
    expect(Object.keys(JSON.parse(text!) as object)).toEqual([...Object.keys(line), "auth", "sub", "waf"]);
  });

  it("without outcome fields, or with only undefined ones, writes the line alone", () => {
    expect(written(() => writeLine("info", line, {}))).toEqual([JSON.stringify(line)]);
    expect(written(() => writeLine("info", line, { cache: undefined }))).toEqual([JSON.stringify(line)]);
    expect(written(() => writeLine("info", line))).toEqual([JSON.stringify(line)]);
  });
});

describe("describeError", () => {
  it("keeps a library error's code (its class name does not survive minification)", () => {
    expect(describeError(new joseErrors.JWKSTimeout())).toMatchObject({ code: "ERR_JWKS_TIMEOUT" });
    expect(describeError(new TypeError("bad"))).toEqual(expect.objectContaining({ name: "TypeError", message: "bad" }));
    expect(describeError(new TypeError("bad")).code).toBeUndefined();
    expect(describeError("text")).toEqual({ name: "string", message: "text" });
  });
});
