/**
 * The admin page (`GET /admin`) in headless Chromium against the real Worker (`wrangler dev`)
 * and the real local stack: sign in, edit, save, history, roll back, validation errors next to
 * their field, conflicts, and tokens that are invalid or not an admin's.
 */
import type { Page } from "playwright-core";
import { describe, expect, test } from "vitest";
import { HAS_CHROMIUM } from "./chromium.ts";
import { expectPageFiles } from "./page-files.ts";
import { adminSession } from "./admin-session.ts";

const ADMIN = { sub: "alice-admin", roles: ["admin"] };
const UI_TIMEOUT = { timeout: 15_000, interval: 100 };

interface VersionedConfig {
  version: number;
  config: Record<string, unknown> & { maintenance: { message: string; retryAfterSeconds: number } };
}

describe.skipIf(!HAS_CHROMIUM)("admin page in Chromium against wrangler dev", () => {
  const session = adminSession(ADMIN);
  const { pages } = session;

  const api = session.api;

  const currentConfig = async () => (await api("GET", "/v1/admin/config")) as VersionedConfig;

  async function writeConfig(
    mutate: (config: VersionedConfig["config"]) => void,
    reason = "set up by the browser test",
  ): Promise<VersionedConfig> {
    const { version, config } = await currentConfig();
    mutate(config);
    await api("PUT", "/v1/admin/config", {
      body: config,
      headers: { "if-match": `"${version}"`, "x-change-reason": reason },
    });
    return currentConfig();
  }

  async function openPage(): Promise<Page> {
    const page = await pages.newPage(session.browser, UI_TIMEOUT.timeout);
    const res = await page.goto(`${session.worker.url}/admin`);
    expect(res?.status(), "GET /admin (is pageRoutes mounted in src/app.ts?)").toBe(200);
    return page;
  }

  async function signIn(page: Page, token: string): Promise<void> {
    await page.getByTestId("token-input").fill(token);
    await page.getByTestId("signin-button").click();
  }

  /** Waits until the signed-in view is up and returns the version it shows. */
  async function shownVersionOnceLoaded(page: Page): Promise<string | null> {
    await page.getByTestId("version").waitFor({ state: "visible", timeout: UI_TIMEOUT.timeout });
    return versionShown(page);
  }

  const text = (page: Page, testId: string) => page.getByTestId(testId).first().textContent();
  const versionShown = (page: Page) => text(page, "version");

  test("serves the page, its scripts and stylesheets with a strict CSP and no caching surprises", async () => {
    const bodies = await expectPageFiles(session.worker.url, [
      ["/admin", "text/html"],
      ["/admin/app.js", "text/javascript"],
      ["/admin/webhooks.js", "text/javascript"],
      ["/admin/app.css", "text/css"],
      ["/common/page.js", "text/javascript"],
      ["/common/page.css", "text/css"],
    ]);
    expect(bodies["/admin"]).toContain('<script type="module" src="/admin/app.js"></script>');
    expect(bodies["/admin"]).not.toMatch(/<script>|<style>|\sstyle=|\son[a-z]+=/i);
    // The Worker runs before the asset server: a file is public only at the URL a route names.
    expect((await fetch(`${session.worker.url}/admin/index.html`)).status).toBe(404);
    const slash = await fetch(`${session.worker.url}/admin/`, { redirect: "manual" });
    expect(slash.status).toBe(301);
    expect(slash.headers.get("location")).toBe("/admin");
  });

  test("sign in, edit, save, see the history, roll back to the previous version, sign out", async () => {
    const before = await writeConfig((config) => {
      config.maintenance.message = "Seeded by the browser test";
      config.flags = { "browser-test": { enabled: false, rollout: 10, countries: [] } };
    });

    const page = await openPage();
    await expect(page.getByTestId("signin-button").isVisible()).resolves.toBe(true);
    await signIn(page, session.token);
    await expect(shownVersionOnceLoaded(page)).resolves.toBe(String(before.version));
    expect(page.url()).toBe(`${session.worker.url}/admin`);
    await expect(text(page, "whoami")).resolves.toContain("alice-admin");

    // The token survives a reload of the tab (sessionStorage), never in the URL.
    await page.reload();
    await expect(shownVersionOnceLoaded(page)).resolves.toBe(String(before.version));
    expect(page.url()).toBe(`${session.worker.url}/admin`);
    await expect(page.getByTestId("maintenance-message").inputValue()).resolves.toBe("Seeded by the browser test");

    // Edit through the form: the JSON editor follows.
    await page.getByTestId("maintenance-message").fill("Back soon: browser test");
    await page.getByTestId("flag-browser-test-enabled").check();
    await expect(page.getByTestId("dirty").isVisible()).resolves.toBe(true);
    const raw = JSON.parse(await page.getByTestId("raw-json").inputValue()) as VersionedConfig["config"];
    expect(raw.maintenance.message).toBe("Back soon: browser test");
    expect(raw.flags).toEqual({ "browser-test": { enabled: true, rollout: 10, countries: [] } });

    await page.getByTestId("reason").fill("announce the break");
    await page.getByTestId("save").click();
    const saved = before.version + 1;
    await expect.poll(() => versionShown(page), UI_TIMEOUT).toBe(String(saved));
    await expect.poll(() => text(page, "status"), UI_TIMEOUT).toContain(`version ${saved}`);
    await expect(page.getByTestId("dirty").isVisible()).resolves.toBe(false);

    const afterSave = await currentConfig();
    expect(afterSave.version).toBe(saved);
    expect(afterSave.config.maintenance.message).toBe("Back soon: browser test");

    // History, newest first: who, when, why and what.
    const newest = page.getByTestId("history-entry").first();
    await expect.poll(() => newest.getAttribute("data-version"), UI_TIMEOUT).toBe(String(saved));
    const newestText = (await newest.textContent()) ?? "";
    expect(newestText).toContain("alice-admin");
    expect(newestText).toContain("announce the break");
    expect(newestText).toContain("/maintenance/message");
    expect(newestText).toContain("Back soon: browser test");
    await expect(newest.locator("time").getAttribute("datetime")).resolves.toMatch(/^\d{4}-\d\d-\d\dT/);

    // Roll back to the version before the save: a newer version with the old content.
    await page.getByTestId(`rollback-${before.version}`).click();
    await page.getByTestId("rollback-confirm").click();
    const rolledBack = saved + 1;
    await expect.poll(() => versionShown(page), UI_TIMEOUT).toBe(String(rolledBack));
    await expect(page.getByTestId("maintenance-message").inputValue()).resolves.toBe("Seeded by the browser test");
    await expect(page.getByTestId("flag-browser-test-enabled").isChecked()).resolves.toBe(false);
    expect(JSON.parse(await page.getByTestId("raw-json").inputValue())).toEqual(before.config);
    const afterRollback = await currentConfig();
    expect(afterRollback.version).toBe(rolledBack);
    expect(afterRollback.config).toEqual(before.config);
    await expect
      .poll(() => page.getByTestId("history-entry").first().getAttribute("data-version"), UI_TIMEOUT)
      .toBe(String(rolledBack));

    // Sign out forgets the token.
    await page.getByTestId("signout").click();
    await expect(page.getByTestId("signin-button").isVisible()).resolves.toBe(true);
    await expect(page.evaluate(() => JSON.stringify(sessionStorage))).resolves.toBe("{}");
    await page.reload();
    await expect(page.getByTestId("signin-button").isVisible()).resolves.toBe(true);
  });

  test("an invalid value is shown next to its field and nothing is saved", async () => {
    const before = await currentConfig();
    const page = await openPage();
    await signIn(page, session.token);
    await expect(shownVersionOnceLoaded(page)).resolves.toBe(String(before.version));

    await page.getByTestId("maintenance-retry").fill("-5");
    await page.getByTestId("save").click();

    const fieldError = page.locator('[data-error-for="/maintenance/retryAfterSeconds"]');
    await expect.poll(() => fieldError.textContent(), UI_TIMEOUT).not.toBe("");
    await expect(page.getByTestId("maintenance-retry").getAttribute("aria-invalid")).resolves.toBe("true");
    await expect(text(page, "alert-message")).resolves.toContain("Not saved");
    await expect(text(page, "alert-request-id")).resolves.toMatch(/\S/);
    // The JSON editor lists it with the line it names.
    const listed = page.locator('[data-testid="raw-errors"] li[data-path="/maintenance/retryAfterSeconds"]');
    await expect(listed.textContent()).resolves.toMatch(/^Line \d+/);

    await expect(versionShown(page)).resolves.toBe(String(before.version));
    const after = await currentConfig();
    expect(after.version).toBe(before.version);
    expect(after.config).toEqual(before.config);

    // Fixing the field clears its error.
    await page.getByTestId("maintenance-retry").fill("120");
    await expect(fieldError.textContent()).resolves.toBe("");
  });

  test("a save over someone else's change is refused and the page offers to reload", async () => {
    const before = await currentConfig();
    const page = await openPage();
    await signIn(page, session.token);
    await expect(shownVersionOnceLoaded(page)).resolves.toBe(String(before.version));
    await page.getByTestId("maintenance-message").fill("my edit");

    const theirs = await writeConfig((config) => {
      config.maintenance.message = "their edit";
    }, "someone else");
    await page.getByTestId("save").click();
    await expect.poll(() => text(page, "alert-message"), UI_TIMEOUT).toContain("someone else changed the config");
    await expect(text(page, "alert-message")).resolves.toContain(`version ${theirs.version}`);
    expect((await currentConfig()).config.maintenance.message).toBe("their edit");

    await page.getByTestId("reload-latest").click();
    await expect.poll(() => versionShown(page), UI_TIMEOUT).toBe(String(theirs.version));
    await expect(page.getByTestId("maintenance-message").inputValue()).resolves.toBe("their edit");
    // Your edit is set aside, not lost.
    await expect(page.getByTestId("stash").isVisible()).resolves.toBe(true);
    await expect(page.locator("#stash-text").inputValue()).resolves.toContain("my edit");
  });

  test("a token without the admin role is told so; a bad token is told it is invalid", async () => {
    const page = await openPage();
    await signIn(page, await session.worker.token({ sub: "bob", roles: ["editor"] }));
    await expect.poll(() => text(page, "alert-message"), UI_TIMEOUT).toContain("not an admin");
    await expect(text(page, "alert-request-id")).resolves.toMatch(/\S/);
    await expect(page.getByTestId("signin-button").isVisible()).resolves.toBe(true);
    await expect(page.getByTestId("version").isVisible()).resolves.toBe(false);
    await expect(page.evaluate(() => JSON.stringify(sessionStorage))).resolves.toBe("{}");

    await signIn(page, "not-a-token");
    await expect.poll(() => text(page, "alert-message"), UI_TIMEOUT).toContain("missing, invalid or expired");
  });

  test("webhooks section: lists subscriptions with their status, recent deliveries, and replays one", async () => {
    const path = `/hooks/browser-${Date.now()}`;
    const sub = (await api("POST", "/v1/admin/webhooks", {
      body: {
        url: `${session.worker.webhookReceiverUrl}${path}`,
        events: ["config.changed"],
        description: "browser test",
      },
    })) as { id: string };
    try {
      const written = await writeConfig((config) => {
        config.maintenance.message = `webhooks section ${path}`;
      }, "webhook section test");
      const received = async () =>
        (await (
          await fetch(`${session.worker.webhookReceiverUrl}/__dev/received?path=${encodeURIComponent(path)}`)
        ).json()) as Array<{ id: string; body: { data: { version: number } } }>;
      await expect
        .poll(async () => (await received()).some((r) => r.body.data.version === written.version), UI_TIMEOUT)
        .toBe(true);

      const page = await openPage();
      await signIn(page, session.token);
      await shownVersionOnceLoaded(page);
      const row = page.locator(`[data-testid="webhook-row"][data-id="${sub.id}"]`);
      await row.waitFor({ timeout: UI_TIMEOUT.timeout });
      expect(await row.textContent()).toContain(path);
      expect(await row.getByTestId("webhook-status").textContent()).toBe("active");

      await row.getByTestId("webhook-deliveries").click();
      const delivery = page.getByTestId("delivery-row").first();
      await delivery.waitFor({ timeout: UI_TIMEOUT.timeout });
      await expect.poll(() => delivery.getByTestId("delivery-status").textContent(), UI_TIMEOUT).toBe("succeeded");
      expect(await delivery.getByTestId("delivery-attempts").textContent()).toBe("1");
      const deliveryId = await delivery.getAttribute("data-id");

      await delivery.getByTestId("delivery-replay").click();
      await expect.poll(async () => (await received()).filter((r) => r.id === deliveryId).length, UI_TIMEOUT).toBe(2);
      await expect
        .poll(
          async () =>
            page
              .locator(`[data-testid="delivery-row"][data-id="${deliveryId}"] [data-testid="delivery-attempts"]`)
              .textContent(),
          UI_TIMEOUT,
        )
        .toBe("2");
    } finally {
      await api("DELETE", `/v1/admin/webhooks/${sub.id}`).catch(() => undefined);
    }
  });
});
