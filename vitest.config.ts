import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        // The local dev services, driven by the official client libraries, in Node; and
        // integration tests that run the built Worker in Miniflare (several isolates).
        test: {
          name: "node",
          include: ["test/dev/**/*.test.ts", "test/integration/**/*.test.ts"],
          environment: "node",
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        // The Worker and its Durable Objects inside workerd, against the real local stack.
        plugins: [
          cloudflareTest(async ({ inject }) => {
            const stack = inject("stack");
            const { DEV_ORIGIN_URL: _devOrigin, DEV_IDP_URL: _devIdp, ...vars } = stack;
            return {
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: { bindings: { ...vars, ENVIRONMENT: "development" } },
            };
          }),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          globalSetup: ["test/global-setup.ts"],
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        // The web pages in headless Chromium (system build) against `wrangler dev` and the real stack.
        test: {
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
