/**
 * When the EdgeConfig object cannot be reached, the edge keeps serving the last good copy and
 * says so (readiness, log line), and admin writes fail loudly. The outage is injected by
 * handing the app a namespace whose object always fails, as a network partition would.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app.ts";
import { bearer, worker } from "./helpers.ts";

const unreachable = {
  getByName: () =>
    new Proxy(
      {},
      {
        get: () => async () => {
          throw new Error("Network connection lost.");
        },
      },
    ),
} as unknown as Env["EDGE_CONFIG"];

describe("config object outage", () => {
  it("serves the last good copy, reports it, and refuses admin writes with 503", async () => {
    const good = (await worker("/healthz")).headers.get("x-config-version");
    expect(good).toMatch(/^\d+$/);
    await new Promise((r) => setTimeout(r, 1_100)); // the copy is now due for revalidation
    const app = createApp();
    // LOG_HEALTH_CHECKS: the /healthz line below is the one that says the config is stale.
    const broken = { ...env, EDGE_CONFIG: unreachable, LOG_HEALTH_CHECKS: "true" };
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      const res = await app.request("/healthz", {}, broken);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-config-version")).toBe(good);
      expect(warn.mock.calls.some((a) => String(a[0]).includes("edge config unreachable"))).toBe(true);
      const line = log.mock.calls
        .map((a) => String(a[0]))
        .find((l) => l.includes('"msg":"request"') && l.includes('"path":"/healthz"'));
      expect(line).toContain('"configStale":true');

      const ready = await app.request("/readyz", {}, broken);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { checks: { config: { status: string } } }).checks.config.status).toBe("fail");

      const put = await app.request(
        "/v1/admin/config",
        {
          method: "PUT",
          headers: {
            authorization: await bearer("alice", ["admin"]),
            "content-type": "application/json",
            "if-match": `"${good}"`,
          },
          body: "{}",
        },
        broken,
      );
      expect(put.status).toBe(503);
    } finally {
      warn.mockRestore();
      error.mockRestore();
      log.mockRestore();
    }
  });
});
