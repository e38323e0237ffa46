/**
 * Headless Chromium for the browser tests: the system's build (Debian's `chromium` package;
 * CI installs it), driven by playwright-core, which never downloads a browser of its own.
 * `CHROMIUM_PATH` points elsewhere. Without a browser the tests are skipped, saying why.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const HAS_CHROMIUM = existsSync(CHROMIUM_PATH);
export const NO_CHROMIUM_MESSAGE = `browser tests skipped: no Chromium at ${CHROMIUM_PATH} (Debian/Ubuntu: apt-get install -y chromium; or set CHROMIUM_PATH)`;

if (!HAS_CHROMIUM) console.warn(NO_CHROMIUM_MESSAGE);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * Collects what would be a bug on any page: uncaught exceptions, console errors (including
 * CSP violations) and failed same-origin requests other than the API's own 4xx answers.
 */
export function watchPageErrors(page: Page): () => string[] {
  const problems: string[] = [];
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  page.on("console", (msg: ConsoleMessage) => {
    // The browser logs every non-2xx fetch as a console error; the tests provoke 4xx on purpose.
    if (
      msg.type() === "error" &&
      !/Failed to load resource: the server responded with a status of 4\d\d/.test(msg.text())
    ) {
      problems.push(`console.error: ${msg.text()}`);
    }
  });
  page.on("requestfailed", (req) => {
    const error = req.failure()?.errorText ?? "";
    // ERR_ABORTED is a request the page itself gave up: a navigation (the test moves to
    // `?token=`) cancels a fetch still in flight. Seen on a loaded machine; not a failure.
    if (error === "net::ERR_ABORTED" && req.resourceType() === "fetch") return;
    problems.push(`requestfailed: ${req.method()} ${req.url()} ${error}`);
  });
  return () => problems;
}

/**
 * The pages a test opens, each in a browser context of its own and watched with
 * `watchPageErrors`. `closeAll()` (in `afterEach`) closes them and returns every problem seen.
 */
export function watchedPages() {
  const contexts: BrowserContext[] = [];
  const watchers: Array<() => string[]> = [];
  return {
    async newPage(browser: Browser, defaultTimeout?: number): Promise<Page> {
      const context = await browser.newContext();
      contexts.push(context);
      if (defaultTimeout !== undefined) context.setDefaultTimeout(defaultTimeout);
      const page = await context.newPage();
      watchers.push(watchPageErrors(page));
      return page;
    },
    async closeAll(): Promise<string[]> {
      const problems = watchers.splice(0).flatMap((problemsOf) => problemsOf());
      await Promise.all(contexts.splice(0).map((c) => c.close()));
      return problems;
    },
  };
}
