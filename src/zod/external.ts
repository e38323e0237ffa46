/**
 * zod's public surface (`zod/v4/classic/external.js`) without `locales`, the error messages of
 * 40 languages (364 KiB of the bundle), and without the parts nothing here uses. The whole `z`
 * namespace is passed around (`@hono/zod-openapi` extends it), so a bundler keeps every module
 * that namespace names, and `z.core` and `z.locales` name all the locales. This names the same
 * modules minus those. English stays: zod registers it on the first schema it builds. Bundled
 * in place of `zod` through `[alias]` in wrangler.toml (deploy, `wrangler dev`, the tests);
 * type checking and Node scripts use zod itself. Keep in step with
 * `node_modules/zod/v4/classic/external.js` when zod is upgraded (test/integration/zod-bundle.test.ts
 * fails until it is).
 */
// `core` (zod.core) is left out too: its namespace names the locales as well, and nothing here reads it.
export * from "../../node_modules/zod/v4/classic/schemas.js";
export * from "../../node_modules/zod/v4/classic/checks.js";
export * from "../../node_modules/zod/v4/classic/errors.js";
export * from "../../node_modules/zod/v4/classic/parse.js";
export * from "../../node_modules/zod/v4/classic/compat.js";
export {
  globalRegistry,
  registry,
  config,
  memoizer,
  $output,
  $input,
  $brand,
  clone,
  regexes,
  treeifyError,
  prettifyError,
  formatError,
  flattenError,
  TimePrecision,
  util,
  NEVER,
  toZod,
  getDiscriminatedOption,
} from "../../node_modules/zod/v4/core/index.js";
// `toJSONSchema` / `fromJSONSchema` are left out: the OpenAPI document is built by
// @asteasolutions/zod-to-openapi, which uses neither. So is `z.compile` (with `withParser`,
// `INVALID` and its two error classes: 31 KiB of `core/compile.js`), an opt-in code generator for
// faster parsing that nothing here calls.
export { deepPartial } from "../../node_modules/zod/v4/classic/deep-partial.js";
export { input, output } from "../../node_modules/zod/v4/classic/in-out.js";
export { ZodISODateTime, ZodISODate, ZodISOTime, ZodISODuration } from "../../node_modules/zod/v4/classic/iso.js";
export * as iso from "../../node_modules/zod/v4/classic/iso.js";
export * as coerce from "../../node_modules/zod/v4/classic/coerce.js";
