/**
 * The web pages: the admin page (`/admin`), the room page (`/rooms/demo`, `/rooms/:room`) and the
 * scripts and styles they and `/docs` load. The files are in `public/`, served with Workers
 * Static Assets (`[assets]` in wrangler.toml, binding `ASSETS`). The Worker runs first for every
 * request (`run_worker_first`), so a file is public only at a URL named here, and always with
 * the page headers: a CSP that allows nothing but this origin (no inline script or style;
 * `connect-src 'self'` covers the pages' same-origin `ws:`/`wss:` socket), `nosniff`,
 * `no-referrer`, and `no-cache` (the asset's ETag makes revalidating cheap) so a deploy reaches
 * open tabs on their next load. Anyone may load a page; what it shows comes from `/v1/...`,
 * which checks the token.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import type { AppEnv } from "../src/env.ts";

export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** The headers of every page and page file (and of `/docs`, which the Worker renders). */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": PAGE_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

/** The scripts and styles, each at the URL of its path in `public/`. */
export const PAGE_FILES = [
  "/common/page.js",
  "/common/page.css",
  "/admin/app.js",
  "/admin/webhooks.js",
  "/admin/dashboard.js",
  "/admin/security-form.js",
  "/admin/rate-limit-form.js",
  "/admin/app.css",
  "/rooms/app.js",
  "/rooms/app.css",
  "/docs/app.js",
  "/docs/app.css",
  // Browser libraries copied from node_modules on `npm install` (dev/vendor-files.mjs).
  "/vendor/uplot/uPlot.esm.js",
  "/vendor/uplot/uPlot.min.css",
] as const;

/** The file at `path` in `public/` with the page headers (a `304` for a matching `If-None-Match`). */
async function pageFile(c: Context<AppEnv>, path: string): Promise<Response> {
  const conditional = c.req.header("if-none-match");
  const res = await c.env.ASSETS.fetch(
    new Request(new URL(path, c.req.url), {
      method: c.req.method,
      headers: conditional ? { "if-none-match": conditional } : {},
    }),
  );
  if (res.status !== 200 && res.status !== 304) {
    // Only a deploy without the file gets here.
    await res.body?.cancel();
    return c.notFound();
  }
  const headers = pageHeaders(res);
  // No body: a HEAD request, or a 304.
  return res.body
    ? c.body(res.body, { status: 200, headers })
    : c.body(null, { status: res.status === 304 ? 304 : 200, headers });
}

/** The asset's headers (type, ETag) with the page headers over them. */
function pageHeaders(res: Response): Headers {
  const headers = new Headers(res.headers);
  for (const [name, value] of Object.entries(PAGE_HEADERS)) headers.set(name, value);
  return headers;
}

/**
 * The scripts and styles. src/app.ts mounts them before the maintenance check: they are static
 * and the admin page needs them to switch maintenance off.
 */
export const pageFileRoutes = new Hono<AppEnv>();
for (const path of PAGE_FILES) pageFileRoutes.get(path, (c) => pageFile(c, path));

/** The pages themselves. */
export const pageRoutes = new Hono<AppEnv>()
  .get("/admin", (c) => pageFile(c, "/admin/index.html"))
  .get("/admin/", (c) => c.redirect("/admin", 301))
  .get("/rooms", (c) => c.redirect("/rooms/demo", 302))
  .get("/rooms/", (c) => c.redirect("/rooms/demo", 302))
  // The same shell for every room: the script reads the name from the path.
  .get("/rooms/:room{[A-Za-z0-9_-]{1,64}}", (c) => pageFile(c, "/rooms/room.html"));
