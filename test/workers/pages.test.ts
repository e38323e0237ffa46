/// <reference types="vite/client" />
/**
 * The pages as the Worker serves them (routes/pages.ts): every public URL takes its file from
 * `public/` through the ASSETS binding and gets the page headers; `/docs`, rendered by the
 * Worker, gets them too. wrangler.toml runs the Worker first for every request, so what
 * `exports.default.fetch` answers here is what production answers; test/browser checks the
 * same headers through `wrangler dev`'s asset router.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { PAGE_FILES } from "../../routes/pages.ts";
import { problemOf, worker } from "./helpers.ts";

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Every file in public/ (as in the repository) by its URL; stylesheets read as "" (vitest's CSS handling). */
const PUBLIC = Object.fromEntries(
  Object.entries(import.meta.glob<string>("../../public/**/*", { query: "?raw", import: "default", eager: true })).map(
    ([file, text]) => [file.slice("../../public".length), text],
  ),
);

const PAGES: Array<[url: string, file: string]> = [
  ["/admin", "/admin/index.html"],
  ["/rooms/demo", "/rooms/room.html"],
  ["/rooms/another_room-1", "/rooms/room.html"],
  ...PAGE_FILES.map((path): [string, string] => [path, path]),
];

const TYPES: Record<string, string> = { html: "text/html", js: "text/javascript", css: "text/css" };

function expectPageHeaders(res: Response, what: string): void {
  expect(res.headers.get("content-security-policy"), what).toBe(CSP);
  expect(res.headers.get("x-content-type-options"), what).toBe("nosniff");
  expect(res.headers.get("referrer-policy"), what).toBe("no-referrer");
  expect(res.headers.get("cache-control"), what).toBe("no-cache");
  expect(res.headers.get("x-request-id"), what).toMatch(/\S/);
}

describe("pages from public/", () => {
  it.each(PAGES)("GET %s serves public%s with the page headers", async (url, file) => {
    const res = await worker(url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(`${TYPES[file.split(".").pop()!]}; charset=utf-8`);
    expectPageHeaders(res, url);
    expect(res.headers.get("etag")).toMatch(/^"[^"]+"$/);
    const body = await res.text();
    if (file.endsWith(".css")) expect(body).toMatch(/\{[^}]+\}/);
    else expect(body).toBe(PUBLIC[file]);
  });

  it("names every file in public/ (but the type-check config and the vendored types and licences) at some URL", () => {
    const served = new Set(PAGES.map(([, file]) => file));
    const files = Object.keys(PUBLIC).filter(
      (file) => !/\/tsconfig\.json$|\/\.assetsignore$|^\/vendor\/.*(?:\.d\.ts|\/LICENSE)$/.test(file),
    );
    expect(files.filter((file) => !served.has(file))).toEqual([]);
  });

  it("leaves public/tsconfig.json out of the assets (.assetsignore)", async () => {
    const res = await env.ASSETS.fetch("https://edge.test/tsconfig.json");
    expect(res.status).toBe(404);
    await res.body?.cancel();
    const kept = await env.ASSETS.fetch("https://edge.test/common/page.js");
    expect(kept.status).toBe(200);
    await kept.body?.cancel();
  });

  it("revalidates with the ETag: 304 with the page headers", async () => {
    for (const url of ["/admin", "/admin/app.js", "/rooms/demo"]) {
      const etag = (await worker(url)).headers.get("etag")!;
      const again = await worker(url, { headers: { "if-none-match": etag } });
      expect(again.status, url).toBe(304);
      expect(again.headers.get("etag"), url).toBe(etag);
      expectPageHeaders(again, url);
    }
  });

  it("HEAD has the headers and no body", async () => {
    const res = await worker("/admin/app.css", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expectPageHeaders(res, "HEAD /admin/app.css");
    expect(await res.text()).toBe("");
  });

  it("redirects the bare paths; anything else under a page is the app's 404", async () => {
    const slash = await worker("/admin/", { redirect: "manual" });
    expect(slash.status).toBe(301);
    expect(slash.headers.get("location")).toBe("/admin");
    for (const path of ["/rooms", "/rooms/"]) {
      const res = await worker(path, { redirect: "manual" });
      expect(res.status, path).toBe(302);
      expect(res.headers.get("location"), path).toBe("/rooms/demo");
    }
    // Files are public only at the URLs routes/pages.ts names: not at their own paths.
    for (const path of [
      "/rooms/bad.name",
      "/admin/index.html",
      "/rooms/room.html",
      "/tsconfig.json",
      "/admin/nope.js",
    ]) {
      const res = await worker(path);
      expect(res.status, path).toBe(404);
      expect((await problemOf(res)).status, path).toBe(404);
    }
  });
});

describe("/docs", () => {
  it("has the page headers and loads its script and stylesheet from this origin, nothing inline", async () => {
    const res = await worker("/docs");
    expect(res.status).toBe(200);
    expectPageHeaders(res, "/docs");
    const page = await res.text();
    expect(page).toContain('<script type="module" src="/docs/app.js"></script>');
    expect(page).toContain('<link rel="stylesheet" href="/docs/app.css" />');
    expect(page).not.toMatch(/<script>|<style|\sstyle=|\son[a-z]+=/i);
  });
});
