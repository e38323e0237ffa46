/**
 * `GET /rooms/demo`, `GET /rooms/:room`: a live room in the browser. Plain HTML, CSS and one
 * vanilla script served by the Worker itself (no build step, no CDN), under a CSP that allows
 * nothing but this origin (`connect-src 'self'` covers the same-origin `ws:`/`wss:` socket).
 * Anyone may load the page; joining needs an access token, checked by `/v1/rooms/*`.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import type { AppEnv } from "../src/env.ts";
import { ROOMS_PAGE_MARKUP } from "./rooms/page-markup.ts";
import { ROOMS_PAGE_SCRIPT } from "./rooms/page-script.ts";
import { ROOMS_PAGE_STYLE } from "./rooms/page-style.ts";

export const ROOMS_PAGE_CSP = [
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
    "content-security-policy": ROOMS_PAGE_CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  });
}

export const roomsPageRoutes = new Hono<AppEnv>()
  .get("/rooms", (c) => c.redirect("/rooms/demo", 302))
  .get("/rooms/", (c) => c.redirect("/rooms/demo", 302))
  .get("/rooms/app.js", (c) => asset(c, ROOMS_PAGE_SCRIPT, "text/javascript; charset=utf-8"))
  .get("/rooms/app.css", (c) => asset(c, ROOMS_PAGE_STYLE, "text/css; charset=utf-8"))
  // The same shell for every room: the script reads the name from the path.
  .get("/rooms/:room{[A-Za-z0-9_-]{1,64}}", (c) => asset(c, ROOMS_PAGE_MARKUP, "text/html; charset=utf-8"));
