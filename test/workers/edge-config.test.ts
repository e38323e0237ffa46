import { env, exports } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { EdgeConfig } from "../../durable-objects/edge-config.ts";
import { defaultEdgeConfig, edgeConfigSchema } from "../../src/lib/config/schema.ts";
import { EDGE_CONFIG_INSTANCE } from "../../src/lib/config/instance.ts";
import { worker } from "./helpers.ts";

describe("EdgeConfig Durable Object", () => {
  it("starts at version 0 with the default document", async () => {
    const stub = env.EDGE_CONFIG.getByName(`fresh-${crypto.randomUUID()}`);
    expect(await stub.version()).toBe(0);
    const current = await stub.current();
    expect(current).toEqual({ version: 0, config: defaultEdgeConfig });
  });

  it("serves the newest stored version, and every isolate picks it up within the refresh interval", async () => {
    const stub = env.EDGE_CONFIG.getByName(EDGE_CONFIG_INSTANCE);
    const before = Number((await worker("/healthz")).headers.get("x-config-version"));
    const next = before + 1;
    const doc = edgeConfigSchema.parse({ maintenance: { message: "hello" } });
    await runInDurableObject(stub, async (instance: EdgeConfig, state) => {
      expect(instance).toBeInstanceOf(EdgeConfig);
      state.storage.sql.exec(
        "INSERT INTO config_versions (version, document, author, at, reason) VALUES (?, ?, 'test', ?, 'test')",
        next,
        JSON.stringify(doc),
        Date.now(),
      );
    });
    expect(await stub.version()).toBe(next);
    expect((await stub.current()).config.maintenance.message).toBe("hello");
    await new Promise((r) => setTimeout(r, 1_100));
    const res = await exports.default.fetch(new Request("https://edge.test/healthz"));
    expect(res.headers.get("x-config-version")).toBe(String(next));
  });

  it("rejects unknown keys in the document", () => {
    const r = edgeConfigSchema.safeParse({ maintenance: { enabled: true, bogus: 1 } });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(["maintenance"]);
  });
});
