/**
 * The admin page's security and rate-limit fieldsets (public/admin/security-form.js,
 * rate-limit-form.js) in headless Chromium against the real Worker (`wrangler dev`) and the
 * real local stack: every field saved through the form lands in the stored config, a value the
 * server refuses shows its 422 message next to its field, and a rule in log mode is switched to
 * block with one click (a versioned change with its reason; the attack it logged is then 403),
 * showing what it would have blocked in the last hour (a dash where the metrics are missing).
 */
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, test } from "vitest";
import { ATTACK_CLASSES } from "../../public/admin/security-form.js";
import { attackClasses } from "../../src/lib/config/schema.ts";
import { HAS_CHROMIUM } from "./chromium.ts";
import { expectPageFiles } from "./page-files.ts";
import { adminSession } from "./admin-session.ts";

const ADMIN = { sub: "alice-admin", roles: ["admin"] };
const UI_TIMEOUT = { timeout: 15_000, interval: 100 };
const METRICS = "/v1/admin/metrics?from=-1h";
/** One finding of rule `xss-script-tag` (score 7), nothing else: blocked unless that rule logs. */
const XSS_QUERY = `/v1/geo?q=${encodeURIComponent("<script>alert(1)</script>")}`;

type Doc = Record<string, unknown>;
interface Security extends Doc {
  mode: string;
  paranoiaLevel: number;
  anomalyThreshold: number;
  blockedCountries: string[];
  blockedIps: string[];
  allowedIps: string[];
  blockedAsns: number[];
  blockedUserAgents: string[];
  exclusions: Doc[];
  rules: Array<{ id: string; action: string; match: Doc }>;
  ruleActions: Record<string, string>;
}
interface VersionedConfig {
  version: number;
  config: Doc & { security: Security; rateLimits: Doc[]; maintenance: { message: string } };
}

test("the page lists the attack classes the config schema takes", () => {
  expect(ATTACK_CLASSES).toEqual([...attackClasses]);
});

describe.skipIf(!HAS_CHROMIUM)("admin page forms (security, rate limits) in Chromium against wrangler dev", () => {
  const session = adminSession(ADMIN);
  const { pages } = session;
  let defaultSecurity: Security;

  beforeAll(async () => {
    defaultSecurity = (await currentConfig()).config.security;
  });

  const api = session.api;

  async function currentConfig() {
    return (await api("GET", "/v1/admin/config")) as VersionedConfig;
  }

  /** Writes the default security settings and no rate limits, then `mutate`'s changes. */
  async function seedConfig(mutate: (config: VersionedConfig["config"]) => void = () => {}) {
    const { version, config } = await currentConfig();
    config.security = structuredClone(defaultSecurity);
    config.rateLimits = [];
    mutate(config);
    await api("PUT", "/v1/admin/config", {
      body: config,
      headers: { "if-match": `"${version}"`, "x-change-reason": "set up by the forms test" },
    });
    return currentConfig();
  }

  async function openSignedIn(): Promise<Page> {
    const page = await pages.newPage(session.browser, UI_TIMEOUT.timeout);
    const res = await page.goto(`${session.worker.url}/admin`);
    expect(res?.status()).toBe(200);
    await page.getByTestId("token-input").fill(session.token);
    await page.getByTestId("signin-button").click();
    await page.getByTestId("version").waitFor({ state: "visible", timeout: UI_TIMEOUT.timeout });
    return page;
  }

  const text = (page: Page, testId: string) => page.getByTestId(testId).first().textContent();
  const versionShown = (page: Page) => text(page, "version");

  async function saveAndWait(page: Page, from: number, reason: string) {
    await page.getByTestId("reason").fill(reason);
    await page.getByTestId("save").click();
    await expect.poll(() => versionShown(page), UI_TIMEOUT).toBe(String(from + 1));
    await expect(page.getByTestId("dirty").isVisible()).resolves.toBe(false);
    return currentConfig();
  }

  /** The status of an unauthenticated request, once the config has reached the isolate. */
  const statusOf = async (path: string, headers: Record<string, string> = {}) =>
    (await fetch(`${session.worker.url}${path}`, { headers })).status;

  test("serves the form modules with the page headers", async () => {
    const bodies = await expectPageFiles(session.worker.url, [
      ["/admin/security-form.js", "text/javascript"],
      ["/admin/rate-limit-form.js", "text/javascript"],
      ["/admin", "text/html"],
    ]);
    expect(bodies["/admin"]).toContain('<link rel="modulepreload" href="/admin/security-form.js" />');
    expect(bodies["/admin"]).toContain('<link rel="modulepreload" href="/admin/rate-limit-form.js" />');
    expect(bodies["/admin"]).not.toMatch(/<script>|<style>|\sstyle=|\son[a-z]+=/i);
  });

  test("every security field edited through the form is saved", async () => {
    const before = await seedConfig();
    const page = await openSignedIn();
    await expect(versionShown(page)).resolves.toBe(String(before.version));
    await expect(page.getByTestId("sec-threshold").inputValue()).resolves.toBe("5");
    // The default exclusion (webhook targets) is a row of its own.
    await expect(page.getByTestId("exclusion-0-classes").inputValue()).resolves.toBe("ssrf");

    await page.getByTestId("sec-mode").selectOption("log");
    await page.getByTestId("sec-paranoia").selectOption("2");
    await page.getByTestId("sec-threshold").fill("7");
    await page.getByTestId("sec-countries").fill("kp, ir");
    await page.getByTestId("sec-blocked-ips").fill("203.0.113.7\n198.51.100.0/24");
    await page.getByTestId("sec-allowed-ips").fill("192.0.2.1, 2001:db8::1");
    await page.getByTestId("sec-asns").fill("64496, 64511");
    await page.getByTestId("sec-user-agents").fill("BadBot/1.0\nEvil Crawler, v2\n");

    await page.getByTestId("sec-exclusion-add").click();
    await expect(page.getByTestId("exclusion-1-rules").evaluate((el) => el === document.activeElement)).resolves.toBe(
      true,
    );
    await page.getByTestId("exclusion-1-rules").fill("SQLI-Union-Select, sqli-tautology");
    await page.getByTestId("exclusion-1-classes").fill("XSS");
    await page.getByTestId("exclusion-1-pathPrefix").fill("/v1/snippets");
    await page.getByTestId("exclusion-1-parameters").fill("code, items.0.Body");
    await page.getByTestId("exclusion-1-headers").fill("x-snippet");
    await page.getByTestId("exclusion-1-headers").fill(""); // an emptied list removes the key
    await page.getByTestId("exclusion-1-note").fill("snippets hold code");

    await page.getByTestId("sec-rule-add").click();
    await page.getByTestId("rule-0-id").fill("browser-rule");
    await page.getByTestId("rule-0-action").selectOption("block");
    await page.getByTestId("rule-0-match-pathPrefix").fill("/v1/content/secret");
    await page.getByTestId("rule-0-match-methods").fill("get, post");
    await page.getByTestId("rule-0-match-countries").fill("kp");
    await page.getByTestId("rule-0-match-header-name").fill("x-test");
    await page.getByTestId("rule-0-match-header-contains").fill("evil");
    // A second rule, added and removed again.
    await page.getByTestId("sec-rule-add").click();
    await page.getByTestId("rule-1-remove").click();

    await page.getByTestId("sec-action-new").fill("Xss-Script-Tag");
    await page.getByTestId("sec-action-add").click();
    await page.getByTestId("sec-action-new").fill("sqli-tautology");
    await page.getByTestId("sec-action-new").press("Enter");
    await page.getByTestId("rule-action-sqli-tautology").selectOption("off");
    await page.getByTestId("sec-action-new").fill("sqli-tautology");
    await page.getByTestId("sec-action-add").click();
    await expect(page.locator("#err-sec-action-new").textContent()).resolves.toContain("already listed");
    await page.getByTestId("sec-action-new").fill("Not A Rule");
    await page.getByTestId("sec-action-add").click();
    await expect(page.locator("#err-sec-action-new").textContent()).resolves.toContain("rule id");
    await expect(page.getByTestId("sec-action-new").getAttribute("aria-invalid")).resolves.toBe("true");

    // The JSON editor follows the form.
    const raw = JSON.parse(await page.getByTestId("raw-json").inputValue()) as VersionedConfig["config"];
    expect(raw.security.anomalyThreshold).toBe(7);

    const after = await saveAndWait(page, before.version, "security through the form");
    const s = after.config.security;
    expect(s.mode).toBe("log");
    expect(s.paranoiaLevel).toBe(2);
    expect(s.anomalyThreshold).toBe(7);
    expect(s.blockedCountries).toEqual(["KP", "IR"]);
    expect(s.blockedIps).toEqual(["203.0.113.7", "198.51.100.0/24"]);
    expect(s.allowedIps).toEqual(["192.0.2.1", "2001:db8::1"]);
    expect(s.blockedAsns).toEqual([64496, 64511]);
    expect(s.blockedUserAgents).toEqual(["BadBot/1.0", "Evil Crawler, v2"]);
    expect(s.exclusions).toEqual([
      defaultSecurity.exclusions[0],
      {
        rules: ["sqli-union-select", "sqli-tautology"],
        classes: ["xss"],
        pathPrefix: "/v1/snippets",
        parameters: ["code", "items.0.Body"],
        note: "snippets hold code",
      },
    ]);
    expect(s.rules).toEqual([
      {
        id: "browser-rule",
        action: "block",
        match: {
          pathPrefix: "/v1/content/secret",
          methods: ["GET", "POST"],
          countries: ["KP"],
          header: { name: "x-test", contains: "evil" },
        },
      },
    ]);
    expect(s.ruleActions).toEqual({ "xss-script-tag": "log", "sqli-tautology": "off" });

    // The saved values are what the form shows after the reload.
    await expect(page.getByTestId("sec-mode").inputValue()).resolves.toBe("log");
    await expect(page.getByTestId("sec-blocked-ips").inputValue()).resolves.toBe("203.0.113.7\n198.51.100.0/24");
    await expect(page.getByTestId("rule-0-match-methods").inputValue()).resolves.toBe("GET, POST");

    // Clearing the header's two fields removes the header; removing a rule action and an exclusion.
    await page.getByTestId("rule-0-match-header-name").fill("");
    await page.getByTestId("rule-0-match-header-contains").fill("");
    await page.getByTestId("rule-action-xss-script-tag-remove").click();
    await page.getByTestId("exclusion-1-remove").click();
    const last = await saveAndWait(page, after.version, "fewer security settings");
    expect(last.config.security.rules[0]?.match).toEqual({
      pathPrefix: "/v1/content/secret",
      methods: ["GET", "POST"],
      countries: ["KP"],
    });
    expect(last.config.security.ruleActions).toEqual({ "sqli-tautology": "off" });
    expect(last.config.security.exclusions).toEqual(defaultSecurity.exclusions);
  });

  test("a rate-limit policy edited through the form is saved and applies", async () => {
    const before = await seedConfig((config) => {
      config.rateLimits = [{ id: "existing", limit: 1000, windowSeconds: 60 }];
    });
    const page = await openSignedIn();
    await expect(page.getByTestId("rl-0-id").inputValue()).resolves.toBe("existing");

    await page.getByTestId("rl-add").click();
    await expect(page.getByTestId("rl-1-id").evaluate((el) => el === document.activeElement)).resolves.toBe(true);
    await page.getByTestId("rl-1-id").fill("browser-content");
    await page.getByTestId("rl-1-match-pathPrefix").fill("/v1/content");
    await page.getByTestId("rl-1-match-methods").fill("get");
    await page.getByTestId("rl-1-match-countries").fill("us, de");
    await page.getByTestId("rl-1-limit").fill("50");
    await page.getByTestId("rl-1-windowSeconds").fill("30");
    await page.getByTestId("rl-1-by").selectOption("user");
    await page.getByTestId("rl-1-failMode").selectOption("closed");
    await page.getByTestId("rl-1-timeoutMs").fill("500");
    await page.getByTestId("rl-1-reserve").fill("5");
    await page.getByTestId("rl-1-analytics").check();
    // An emptied optional number takes the default.
    await page.getByTestId("rl-0-timeoutMs").fill("");

    const after = await saveAndWait(page, before.version, "rate limits through the form");
    expect(after.config.rateLimits).toEqual([
      {
        id: "existing",
        match: {},
        limit: 1000,
        windowSeconds: 60,
        by: "ip",
        failMode: "open",
        timeoutMs: 1000,
        analytics: false,
        reserve: 1,
      },
      {
        id: "browser-content",
        match: { pathPrefix: "/v1/content", methods: ["GET"], countries: ["US", "DE"] },
        limit: 50,
        windowSeconds: 30,
        by: "user",
        failMode: "closed",
        timeoutMs: 500,
        analytics: true,
        reserve: 5,
      },
    ]);

    // It applies: a request it matches is counted under its name.
    await expect
      .poll(
        async () =>
          (
            await fetch(`${session.worker.url}/v1/content/anything`, { headers: { "x-dev-cf": '{"country":"DE"}' } })
          ).headers.get("ratelimit-policy"),
        UI_TIMEOUT,
      )
      .toContain('"browser-content";q=50;w=30');

    // Removing the first policy renumbers the rows.
    await page.getByTestId("rl-0-remove").click();
    await expect(page.getByTestId("rl-0-id").inputValue()).resolves.toBe("browser-content");
    const last = await saveAndWait(page, after.version, "one policy less");
    expect(last.config.rateLimits.map((p) => p.id)).toEqual(["browser-content"]);
  });

  test("values the server refuses show their 422 message next to their field", async () => {
    const before = await seedConfig();
    const page = await openSignedIn();

    await page.getByTestId("sec-threshold").fill("0");
    await page.getByTestId("sec-asns").fill("64496, abc");
    await page.getByTestId("sec-exclusion-add").click();
    await page.getByTestId("exclusion-1-pathPrefix").fill("/v1/nothing-named");
    await page.getByTestId("rl-add").click();
    await page.getByTestId("rl-0-id").fill("bad-reserve");
    await page.getByTestId("rl-0-limit").fill("5");
    await page.getByTestId("rl-0-reserve").fill("10");
    await page.getByTestId("save").click();

    await expect.poll(() => text(page, "alert-message"), UI_TIMEOUT).toContain("Not saved");
    const expectInline = async (path: string, testId: string, message: RegExp) => {
      const slot = page.locator(`#form-fields [data-error-for="${path}"]`);
      await expect(slot.textContent(), path).resolves.toMatch(message);
      await expect(page.getByTestId(testId).getAttribute("aria-invalid"), testId).resolves.toBe("true");
    };
    await expectInline("/security/anomalyThreshold", "sec-threshold", /\S/);
    await expectInline("/security/blockedAsns", "sec-asns", /^1: /);
    await expectInline("/security/exclusions/1/rules", "exclusion-1-rules", /at least one rule id or class/);
    await expectInline("/rateLimits/0/reserve", "rl-0-reserve", /reserve must not exceed limit/);
    // Nothing else in those rows is marked.
    await expect(page.getByTestId("exclusion-1-pathPrefix").getAttribute("aria-invalid")).resolves.toBeNull();
    await expect(page.getByTestId("rl-0-limit").getAttribute("aria-invalid")).resolves.toBeNull();

    expect((await currentConfig()).version).toBe(before.version);

    // Fixing a field clears its message.
    await page.getByTestId("rl-0-reserve").fill("5");
    await expect(page.locator('[data-error-for="/rateLimits/0/reserve"]').textContent()).resolves.toBe("");
    await expect(page.getByTestId("rl-0-reserve").getAttribute("aria-invalid")).resolves.toBeNull();
  });

  test("without the metrics endpoint (404) the counts show a dash and no alert", async () => {
    await seedConfig((config) => {
      config.security.ruleActions = { "xss-script-tag": "log" };
    });
    const page = await pages.newPage(session.browser, UI_TIMEOUT.timeout);
    // As a deployment without GET /v1/admin/metrics answers.
    await page.route(`${session.worker.url}${METRICS}`, (route) =>
      route.fulfill({
        status: 404,
        contentType: "application/problem+json",
        body: JSON.stringify({ type: "about:blank", title: "Not Found", status: 404 }),
      }),
    );
    await page.goto(`${session.worker.url}/admin`);
    await page.getByTestId("token-input").fill(session.token);
    await page.getByTestId("signin-button").click();
    await expect.poll(() => text(page, "would-block-xss-script-tag"), UI_TIMEOUT).toBe("–");
    await expect(page.getByTestId("would-block-xss-script-tag").getAttribute("title")).resolves.toContain(
      "not available",
    );
    await expect(text(page, "alert")).resolves.toBe("");
    await expect(page.getByTestId("switch-to-block-xss-script-tag").isEnabled()).resolves.toBe(true);
  });

  test("a rule in log mode is switched to block with one click; the attack it logged is then refused", async () => {
    const before = await seedConfig((config) => {
      config.security.ruleActions = { "xss-script-tag": "log", "sqli-tautology": "off" };
      config.security.rules = [
        {
          id: "browser-log-rule",
          action: "log",
          match: { pathPrefix: "/v1/geo", header: { name: "x-browser-test", contains: "attack" } },
        },
      ];
    });
    // In log mode, both get through (and are counted as would-be blocks). The config write took
    // effect in the one isolate of wrangler dev before it answered, so each is sent once.
    expect(await statusOf(XSS_QUERY)).toBe(200);
    expect(await statusOf("/v1/geo", { "x-browser-test": "an attack" })).toBe(200);

    const page = await pages.newPage(session.browser, UI_TIMEOUT.timeout);
    await page.goto(`${session.worker.url}/admin`);
    const countsOnLoad = page.waitForRequest((r) => r.url().endsWith(METRICS));
    await page.getByTestId("token-input").fill(session.token);
    await page.getByTestId("signin-button").click();
    await expect((await countsOnLoad).headerValue("authorization")).resolves.toBe(`Bearer ${session.token}`);
    await expect(versionShown(page)).resolves.toBe(String(before.version));

    // What the two requests above would have blocked, from GET /v1/admin/metrics (which flushes
    // the answering isolate's counts first): exactly one each.
    await expect.poll(() => text(page, "would-block-xss-script-tag"), UI_TIMEOUT).toBe("1");
    await expect.poll(() => text(page, "would-block-browser-log-rule"), UI_TIMEOUT).toBe("1");
    await expect(text(page, "alert")).resolves.toBe("");
    // A rule that is off is not counted and has no switch.
    await expect(page.getByTestId("switch-to-block-sqli-tautology").count()).resolves.toBe(0);

    // The Reload button loads the counts again.
    const countsOnReload = page.waitForRequest((r) => r.url().endsWith(METRICS));
    await page.getByTestId("reload").click();
    await countsOnReload;
    // The reload is over when the page is no longer busy (edits made during it would be replaced).
    await expect.poll(() => page.locator("#main").getAttribute("aria-busy"), UI_TIMEOUT).toBe("false");

    // With unsaved edits the switch is refused: it would save the loaded version.
    const message = await page.getByTestId("maintenance-message").inputValue();
    await page.getByTestId("maintenance-message").fill("an unsaved edit");
    await page.getByTestId("switch-to-block-xss-script-tag").click();
    await expect.poll(() => text(page, "alert-message"), UI_TIMEOUT).toContain("unsaved edits");
    await page.getByTestId("maintenance-message").fill(message);
    await expect(page.getByTestId("dirty").isVisible()).resolves.toBe(false);

    // Built-in rule: it leaves ruleActions, with the reason in the history.
    await page.getByTestId("switch-to-block-xss-script-tag").click();
    await expect.poll(() => versionShown(page), UI_TIMEOUT).toBe(String(before.version + 1));
    await expect.poll(() => text(page, "status"), UI_TIMEOUT).toContain("Rule xss-script-tag now blocks");
    await expect(text(page, "alert")).resolves.toBe("");
    const switched = await currentConfig();
    expect(switched.config.security.ruleActions).toEqual({ "sqli-tautology": "off" });
    expect({ ...switched.config, security: { ...switched.config.security, ruleActions: {} } }).toEqual({
      ...before.config,
      security: { ...before.config.security, ruleActions: {} },
    });
    const newest = page.getByTestId("history-entry").first();
    await expect.poll(() => newest.getAttribute("data-version"), UI_TIMEOUT).toBe(String(switched.version));
    await expect(newest.textContent()).resolves.toContain("Switch rule xss-script-tag from log to block");
    await expect(page.getByTestId("switch-to-block-xss-script-tag").count()).resolves.toBe(0);
    await expect.poll(() => statusOf(XSS_QUERY), UI_TIMEOUT).toBe(403);

    // Custom rule: its action becomes block.
    await page.getByTestId("switch-to-block-browser-log-rule").click();
    await expect.poll(() => versionShown(page), UI_TIMEOUT).toBe(String(switched.version + 1));
    const custom = await currentConfig();
    expect(custom.config.security.rules).toEqual([{ ...before.config.security.rules[0], action: "block" }]);
    const versions = (await api("GET", "/v1/admin/config/versions?limit=1")) as unknown;
    expect(JSON.stringify(versions)).toContain("Switch rule browser-log-rule from log to block");
    await expect(page.getByTestId("rule-0-action").inputValue()).resolves.toBe("block");
    await expect.poll(() => statusOf("/v1/geo", { "x-browser-test": "an attack" }), UI_TIMEOUT).toBe(403);
    expect(await statusOf("/v1/geo")).toBe(200);

    // Back to log in the form: the switch shows again, and is refused while that edit is unsaved.
    await expect(page.getByTestId("switch-to-block-browser-log-rule").count()).resolves.toBe(0);
    await page.getByTestId("rule-0-action").selectOption("log");
    await page.getByTestId("switch-to-block-browser-log-rule").click();
    await expect.poll(() => text(page, "alert-message"), UI_TIMEOUT).toContain("unsaved edits");
    expect((await currentConfig()).version).toBe(custom.version);
  });
});
