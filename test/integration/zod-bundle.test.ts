/**
 * The Worker bundles zod through `src/zod/index.ts` (wrangler.toml `[alias]`): zod's own entry
 * minus the locales, `z.core` and the JSON Schema converters. After a zod upgrade this fails
 * until the shim names what zod's entry names again, so nothing the app or a library reaches
 * through `z` goes missing from the deployed Worker only.
 */
import { describe, expect, it } from "vitest";
import * as real from "zod";
import * as shim from "../../src/zod/index.ts";

const LEFT_OUT = [
  "locales",
  "core",
  "toJSONSchema",
  "fromJSONSchema",
  "compile",
  "withParser",
  "INVALID",
  "ZodCompileAsyncError",
  "ZodCompileUnsupportedError",
];

describe("zod as the Worker bundles it", () => {
  it("exports everything zod exports but the locales, core, the JSON Schema converters and z.compile, as the same values", () => {
    const expected = Object.keys(real)
      .filter((k) => !LEFT_OUT.includes(k))
      .sort();
    expect(Object.keys(shim).sort()).toEqual(expected);
    for (const k of expected)
      if (k !== "z" && k !== "default")
        expect((shim as Record<string, unknown>)[k], k).toBe((real as Record<string, unknown>)[k]);
  });

  it("still validates with English messages", () => {
    const r = shim.z.object({ n: shim.z.number().max(4) }).safeParse({ n: 9 });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toBe("Too big: expected number to be <=4");
  });
});
