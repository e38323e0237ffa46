/**
 * The admin page's dashboard in headless Chromium against the real Worker (`wrangler dev`) and
 * the real local stack: after blocked, would-block and rate-limited traffic, the charts hold
 * those counts (read from the data uPlot draws), the breakdowns name the rule, the address and
 * the policy, and the security events list filters by rule (from a link) and by the form.
 * A screenshot of the dashboard is saved to `test-results/admin-dashboard.png`.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { describe, expect, test } from "vitest";
import { HAS_CHROMIUM } from "./chromium.ts";
import { expectPageFiles } from "./page-files.ts";
import { adminSession } from "./admin-session.ts";

const ADMIN = { sub: "dana-admin", roles: ["admin"] };
const UI_TIMEOUT = { timeout: 15_000, interval: 100 };
const ARTIFACTS = fileURLToPath(new URL("../../test-results/", import.meta.url));

const ATTACKER = "198.51.100.77";
const TRAVERSAL = "/v1/geo?file=..%2F..%2F..%2Fetc%2Fpasswd";
const UNION = "/v1/geo?q=1%27%20UNION%20SELECT%20password%2C1%20FROM%20users--";

describe.skipIf(!HAS_CHROMIUM)("admin dashboard in Chromium against wrangler dev", () => {
  const session = adminSession(ADMIN);
  const { pages } = session;

  const adminFetch = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    (await session.api(method, path, { body, headers })) as Record<string, unknown>;

  const from = (ip: string) => ({ "x-dev-cf": JSON.stringify({ ip, country: "BR", colo: "GRU" }) });
  const send = async (path: string, ip = ATTACKER) =>
    (await fetch(`${session.worker.url}${path}`, { headers: from(ip) })).status;

  async function openSignedIn(): Promise<Page> {
    const page = await pages.newPage(session.browser, UI_TIMEOUT.timeout);
    expect((await page.goto(`${session.worker.url}/admin`))?.status()).toBe(200);
    await page.getByTestId("token-input").fill(session.token);
    await page.getByTestId("signin-button").click();
    await page.getByTestId("dashboard").waitFor({ state: "visible" });
    return page;
  }

  const sumsOf = async (page: Page, chart: string) =>
    JSON.parse((await page.getByTestId(chart).getAttribute("data-sums")) ?? "{}") as Record<string, number>;

  test("serves the dashboard script and the chart library from this origin with the page headers", async () => {
    const bodies = await expectPageFiles(session.worker.url, [
      ["/admin/dashboard.js", "text/javascript"],
      ["/vendor/uplot/uPlot.esm.js", "text/javascript"],
      ["/vendor/uplot/uPlot.min.css", "text/css"],
    ]);
    expect(bodies["/vendor/uplot/uPlot.esm.js"]).toContain("export { uPlot as default }");
    // Only the named files: the types and the licence beside them are not served.
    expect((await fetch(`${session.worker.url}/vendor/uplot/uPlot.esm.d.ts`)).status).toBe(404);
  });

  test("after blocked, would-block and rate-limited traffic the charts, breakdowns and events show it", async () => {
    const { version, config } = (await adminFetch("GET", "/v1/admin/config")) as {
      version: number;
      config: Record<string, unknown> & { security: Record<string, unknown> };
    };
    config.rateLimits = [{ id: "dash-geo", match: { pathPrefix: "/v1/geo" }, limit: 3, windowSeconds: 60 }];
    config.security.ruleActions = { "sqli-union-select": "log" };
    await adminFetch("PUT", "/v1/admin/config", config, {
      "if-match": `"${version}"`,
      "x-change-reason": "dashboard browser test",
    });

    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push(await send(TRAVERSAL));
    // Would-block: let through (counted against the rate limit), recorded for the rule in log mode.
    for (let i = 0; i < 2; i++) statuses.push(await send(UNION));
    for (let i = 0; i < 3; i++) statuses.push(await send("/v1/geo"));
    expect(statuses).toEqual([403, 403, 403, 403, 200, 200, 200, 429, 429]);

    const page = await openSignedIn();
    await expect
      .poll(() => sumsOf(page, "chart-traffic"), UI_TIMEOUT)
      .toMatchObject({ blocked: 4, wouldBlock: 2, rateLimited: 2 });
    const traffic = await sumsOf(page, "chart-traffic");
    expect(traffic.requests).toBeGreaterThanOrEqual(9);
    expect(Number(await page.getByTestId("chart-traffic").getAttribute("data-points"))).toBeGreaterThanOrEqual(60);
    const latency = await sumsOf(page, "chart-latency");
    expect(latency.p50Ms).toBeGreaterThan(0);
    // uPlot drew into its canvas.
    await expect(page.locator("[data-testid=chart-traffic] canvas").count()).resolves.toBe(1);
    await expect(page.getByTestId("total-blocked").textContent()).resolves.toBe("4");

    const rules = page.getByTestId("breakdown-rules");
    await expect(rules.getByTestId("rule-link").first().textContent()).resolves.toMatch(/^traversal-/);
    await expect(
      page.getByTestId("breakdown-ips").locator(`tr[data-key="${ATTACKER}"] td.count`).textContent(),
    ).resolves.toBe("4");
    await expect(
      page.getByTestId("breakdown-wouldBlockRules").locator('tr[data-key="sqli-union-select"] td.count').textContent(),
    ).resolves.toBe("2");
    await expect(
      page.getByTestId("breakdown-rateLimitPolicies").locator('tr[data-key="dash-geo"] td.count').textContent(),
    ).resolves.toBe("2");

    const rows = page.getByTestId("event-row");
    await expect.poll(() => rows.count(), UI_TIMEOUT).toBe(6);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.getByTestId("dashboard").screenshot({ path: join(ARTIFACTS, "admin-dashboard.png") });

    // From the breakdown's rule link to that rule's events.
    const traversalRule = (await rules.getByTestId("rule-link").first().textContent())!;
    await rules.getByTestId("rule-link").first().click();
    await expect.poll(() => rows.count(), UI_TIMEOUT).toBe(4);
    await expect(page.getByTestId("events-rule").inputValue()).resolves.toBe(traversalRule);
    for (const action of await page.getByTestId("event-action").allTextContents()) expect(action).toBe("block");
    await expect(page.getByTestId("events-rule-note").textContent()).resolves.toContain("blocked 4");
    // The excerpt is shown as text (it is attacker-written).
    await expect(page.getByTestId("event-excerpt").first().textContent()).resolves.toContain("etc/passwd");

    // The filter form: would-block events of the rule in log mode.
    await page.getByTestId("events-rule").fill("sqli-union-select");
    await page.getByTestId("events-action").selectOption("log");
    await page.getByTestId("events-apply").click();
    await expect.poll(() => rows.count(), UI_TIMEOUT).toBe(2);
    await expect(page.getByTestId("events-rule-note").textContent()).resolves.toContain("would have blocked 2");
    await page.getByTestId("events-clear").click();
    await expect.poll(() => rows.count(), UI_TIMEOUT).toBe(6);
  });

  test("with refresh every 10 s on, new blocks reach the charts without a click", async () => {
    const page = await openSignedIn();
    await expect.poll(async () => (await sumsOf(page, "chart-traffic")).blocked, UI_TIMEOUT).toBeGreaterThan(0);
    const before = (await sumsOf(page, "chart-traffic")).blocked!;
    await page.getByTestId("dash-auto").check();
    expect(await send(TRAVERSAL, "198.51.100.78")).toBe(403);
    // The next refresh (10 s) reads it: the admin read flushes this single isolate first.
    await expect
      .poll(async () => (await sumsOf(page, "chart-traffic")).blocked, { timeout: 25_000, interval: 500 })
      .toBe(before + 1);
    await page.getByTestId("dash-auto").uncheck();
  });
});
