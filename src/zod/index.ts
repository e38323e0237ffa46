/** `zod` as the Worker bundles it: zod itself without its locales (see `external.ts`). */
import * as z from "./external.ts";

export * from "./external.ts";
export { z, z as default };
