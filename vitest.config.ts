import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { configDefaults, defineConfig } from "vitest/config";

/**
 * Tests of pure library code (`src/lib/**` called directly: no bindings, no local stack). They run
 * in workerd like the Worker, in the `unit` project, which has no global setup: `npm run test:unit`
 * runs them in about a minute without starting libSQL, Redis or the dev origin. The `workers`
 * project excludes them, so `npm test` runs each file once.
 */
const UNIT_TESTS = [
  "test/workers/ai-units.test.ts",
  "test/workers/geo-lib.test.ts",
  "test/workers/log.test.ts",
  "test/workers/rooms-protocol.test.ts",
  "test/workers/waf-command.test.ts",
  "test/workers/waf-evasions.test.ts",
  "test/workers/waf-java.test.ts",
  "test/workers/waf-lib.test.ts",
  "test/workers/waf-php-generic.test.ts",
  "test/workers/waf-read-body.test.ts",
  "test/workers/waf-sqli.test.ts",
  "test/workers/waf-traversal-misc.test.ts",
  "test/workers/waf-xss.test.ts",
  "test/workers/webhooks-signing.test.ts",
  "test/workers/webhooks-units.test.ts",
];

export default defineConfig({
  test: {
    // The Worker writes a JSON log line per request: shown for failing tests only, where they
    // explain the failure (`npm test -- --silent=false` shows them all).
    silent: "passed-only",
    // Vitest forwards a test file's console output to the main process over RPC and, when the
    // file ends, rejects the forwards still in flight with an EnvironmentTeardownError (seen in
    // CI after a burst of request logs on a loaded machine). A log line lost at teardown is not a
    // test failure; every other unhandled error still fails the run.
    onUnhandledError(error) {
      if (error.name === "EnvironmentTeardownError" && error.message.includes('"onUserConsoleLog" was pending'))
        return false;
    },
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
            const {
              DEV_ORIGIN_URL: _devOrigin,
              DEV_IDP_URL: _devIdp,
              DEV_WEBHOOK_RECEIVER_URL: _receiver,
              ...vars
            } = stack;
            return {
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: { bindings: { ...vars, ENVIRONMENT: "development", WEBHOOKS_RETRY_BASE_SECONDS: "1" } },
            };
          }),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          exclude: [...configDefaults.exclude, ...UNIT_TESTS],
          globalSetup: ["test/global-setup.ts"],
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        // Pure library code inside workerd, with the Worker's wrangler.toml but no local stack.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { ENVIRONMENT: "development" } },
          }),
        ],
        test: {
          name: "unit",
          include: UNIT_TESTS,
          testTimeout: 20_000,
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
