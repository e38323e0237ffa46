/**
 * `/docs` in headless Chromium against the real Worker (`wrangler dev`): the reference rendered
 * by the Worker under the pages' CSP, its "try it" script and stylesheet from `public/docs/`.
 */
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { HAS_CHROMIUM, launchChromium, watchedPages } from "./chromium.ts";
import { expectPageFiles, PAGE_CSP } from "./page-files.ts";
import { serveWorker, type LocalWorker } from "./serve.ts";

const UI_TIMEOUT = { timeout: 15_000, interval: 100 };

describe.skipIf(!HAS_CHROMIUM)("/docs in Chromium against wrangler dev", () => {
  let worker: LocalWorker;
  let browser: Browser;
  const pages = watchedPages();

  beforeAll(async () => {
    [worker, browser] = await Promise.all([serveWorker(), launchChromium()]);
  });

  afterAll(async () => {
    await browser?.close();
    await worker?.close();
  });

  afterEach(async () => {
    expect(await pages.closeAll(), "errors in the page (exceptions, CSP violations, failed requests)").toEqual([]);
  });

  test("is served under the CSP with its script and stylesheet, and a try-it form calls the API with the pasted token", async () => {
    await expectPageFiles(worker.url, [
      ["/docs/app.js", "text/javascript"],
      ["/docs/app.css", "text/css"],
    ]);
    const page = await pages.newPage(browser, UI_TIMEOUT.timeout);
    const res = await page.goto(`${worker.url}/docs`);
    expect(res?.status()).toBe(200);
    expect(await res?.headerValue("content-security-policy")).toBe(PAGE_CSP);
    // The stylesheet applied (an inline one would be refused by the CSP).
    await expect(
      page
        .locator(".op")
        .first()
        .evaluate((el) => getComputedStyle(el).borderTopStyle),
    ).resolves.toBe("solid");

    await page.locator("#token").fill(`Bearer ${await worker.token({ sub: "docs-reader", roles: [] })}`);
    const me = page.locator('form.try[data-method="GET"][data-path="/v1/me"]');
    await me.getByRole("button", { name: "Try it" }).click();
    await expect.poll(() => me.locator(".result").textContent(), UI_TIMEOUT).toMatch(/^200 /);
    await expect(me.locator(".result").textContent()).resolves.toContain('"sub": "docs-reader"');
  });
});
