/** Path of the project's wrangler CLI, to run it with this Node (22) rather than a global one. */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export function wranglerBin(): string {
  // The package's exports hide bin/; its main entry sits in wrangler-dist/ next to it.
  return join(dirname(createRequire(import.meta.url).resolve("wrangler")), "..", "bin", "wrangler.js");
}
