import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        // The local dev services, driven by the official client libraries, in Node.
        test: {
          name: "node",
          include: ["test/dev/**/*.test.ts"],
          environment: "node",
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
    ],
  },
});
