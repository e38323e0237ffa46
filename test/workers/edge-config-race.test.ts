/**
 * The isolate's config copy only moves forward: a revalidation that started before an admin
 * write in this isolate (`adoptConfig`) and answers after it must not put the older version
 * back. The revalidation reads the real EdgeConfig object; only its answer is held back until
 * the write is done, as a slow network would.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  cachedEdgeConfig,
  CONFIG_REFRESH_MS,
  readEdgeConfig,
  type EdgeConfigSource,
} from "../../src/lib/config/client.ts";
import { EDGE_CONFIG_INSTANCE } from "../../src/lib/config/instance.ts";
import { bearer, worker } from "./helpers.ts";

describe("edge config copy under a slow revalidation", () => {
  it("a slow revalidation started before a newer adopt does not overwrite it", async () => {
    const before = Number((await worker("/healthz")).headers.get("x-config-version"));
    // Let the copy fall due, so the next read revalidates.
    await new Promise((r) => setTimeout(r, CONFIG_REFRESH_MS + 100));

    const stub = env.EDGE_CONFIG.getByName(EDGE_CONFIG_INSTANCE);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let answered!: () => void;
    const readDone = new Promise<void>((r) => (answered = r));
    const slow: EdgeConfigSource = {
      current: async () => {
        const v = await stub.current();
        answered();
        await held;
        return v;
      },
      currentIfNewer: async (known) => {
        const v = await stub.currentIfNewer(known);
        answered();
        await held;
        return v;
      },
    };
    const errors: unknown[] = [];
    const revalidation = readEdgeConfig(
      () => slow,
      (err) => errors.push(err),
    );
    expect(revalidation).toBeInstanceOf(Promise);
    await readDone; // the object has answered with version `before` (still current)

    // A burst meanwhile is served from the current copy: no request waits for the held read
    // (if one did, this would never settle while `held` is pending).
    const burst = await Promise.all(Array.from({ length: 10 }, () => worker("/healthz")));
    expect(burst.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(new Set(burst.map((r) => r.headers.get("x-config-version")))).toEqual(new Set([String(before)]));

    // An admin write in this isolate: the object moves to a newer version and the isolate adopts it.
    const auth = await bearer("ops", ["admin"]);
    const current = await worker("/v1/admin/config", { headers: { authorization: auth } });
    const { config } = (await current.json()) as { config: Record<string, unknown> };
    const put = await worker("/v1/admin/config", {
      method: "PUT",
      headers: {
        authorization: auth,
        "content-type": "application/json",
        "if-match": current.headers.get("etag")!,
        "x-change-reason": "race test",
      },
      body: JSON.stringify({
        ...config,
        maintenance: { ...(config.maintenance as object), message: `race ${before}` },
      }),
    });
    expect(put.status).toBe(200);
    const written = ((await put.json()) as { version: number }).version;
    expect(written).toBeGreaterThan(before);

    release();
    const after = await revalidation;
    expect(errors).toEqual([]);
    expect(after.version).toBe(written);
    expect(cachedEdgeConfig()?.version).toBe(written);
    const res = await worker("/healthz");
    expect(res.headers.get("x-config-version")).toBe(String(written));
  });
});
