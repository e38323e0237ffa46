/**
 * `GET /admin`: the edge config admin page. Plain HTML, CSS and one vanilla script, served by
 * the Worker itself (no build step, no CDN), under a CSP that allows nothing but this origin.
 * Anyone may load the page; everything it shows comes from `/v1/admin/*`, which needs an
 * `admin` token. The assets are TypeScript modules exporting strings, so the same code runs
 * in workerd tests, `wrangler dev` and `wrangler deploy` without bundler rules.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import type { AppEnv } from "../src/env.ts";
import { ADMIN_PAGE_MARKUP } from "./admin/page-markup.ts";
import { ADMIN_PAGE_SCRIPT } from "./admin/page-script.ts";
import { ADMIN_PAGE_STYLE } from "./admin/page-style.ts";

export const ADMIN_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

function asset(c: Context<AppEnv>, body: string, contentType: string): Response {
  return c.body(body, 200, {
    "content-type": contentType,
    // Revalidate every time: a deploy must reach open tabs on their next load.
    "cache-control": "no-cache",
    "content-security-policy": ADMIN_PAGE_CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  });
}

export const adminPageRoutes = new Hono<AppEnv>()
  .get("/admin", (c) => asset(c, ADMIN_PAGE_MARKUP, "text/html; charset=utf-8"))
  .get("/admin/", (c) => c.redirect("/admin", 301))
  .get("/admin/app.js", (c) => asset(c, ADMIN_PAGE_SCRIPT, "text/javascript; charset=utf-8"))
  .get("/admin/app.css", (c) => asset(c, ADMIN_PAGE_STYLE, "text/css; charset=utf-8"));
