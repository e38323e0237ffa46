// @ts-check
/**
 * The admin page's rate-limit fieldset (`/admin/rate-limit-form.js`, loaded by `/admin/app.js`):
 * `rateLimits` as a table, one row per policy, each key an input writing `/rateLimits/N/...`
 * with its own error slot (the server's `reserve must not exceed limit` shows at the row's
 * reserve). Built with `listTable` of `/admin/security-form.js`.
 */
import { $, byId } from "../common/page.js";
import { listTable, optionalNumber, optionalText, upperList } from "./security-form.js";

/** @typedef {import("./security-form.js").FormKit} FormKit */

/** @param {FormKit} kit */
export function rateLimitForm(kit) {
  return listTable(kit, {
    path: ["rateLimits"],
    body: $("rl-body"),
    addButton: byId("rl-add", HTMLButtonElement),
    note: $("rl-note"),
    testid: "rl",
    noun: "Policy",
    // The server's defaults written out, so the row shows them; the id is for the admin to give.
    newItem: () => ({
      id: "",
      match: {},
      limit: 100,
      windowSeconds: 60,
      by: "ip",
      failMode: "open",
      timeoutMs: 1000,
      reserve: 1,
      analytics: false,
    }),
    columns: [
      { key: ["id"], label: "id" },
      { key: ["match", "pathPrefix"], label: "path prefix", parse: optionalText },
      { key: ["match", "methods"], label: "methods", parse: upperList, size: "narrow" },
      { key: ["match", "countries"], label: "countries", parse: upperList, size: "narrow" },
      { key: ["limit"], label: "limit", kind: "number" },
      { key: ["windowSeconds"], label: "window in seconds", kind: "number" },
      { key: ["by"], label: "key", kind: "select", options: ["ip", "user", "tenant"] },
      { key: ["failMode"], label: "when Redis is down", kind: "select", options: ["open", "closed"] },
      { key: ["timeoutMs"], label: "Redis timeout in ms", kind: "number", parse: optionalNumber },
      { key: ["reserve"], label: "reserve", kind: "number", parse: optionalNumber },
      { key: ["analytics"], label: "analytics", kind: "checkbox" },
    ],
  });
}
