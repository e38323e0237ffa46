/**
 * What every admin page test file sets up: the Worker under `wrangler dev` with the local stack,
 * Chromium, an admin's token, pages watched for errors (each test ends with none), and the API
 * called with that token. Call inside `describe`; the fields are set once `beforeAll` has run.
 */
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { callApi, type ApiInit } from "./api.ts";
import { launchChromium, watchedPages } from "./chromium.ts";
import { serveWorker, type LocalWorker } from "./serve.ts";

export interface AdminSession {
  worker: LocalWorker;
  browser: Browser;
  /** The admin's access token. */
  token: string;
  pages: ReturnType<typeof watchedPages>;
  /** A JSON call with the admin's token; a non-2xx answer throws. */
  api: (method: string, path: string, init?: ApiInit) => Promise<unknown>;
}

export function adminSession(admin: { sub: string; roles: string[] }): AdminSession {
  let worker: LocalWorker | undefined;
  let browser: Browser | undefined;
  const session: AdminSession = {
    get worker() {
      if (!worker) throw new Error("adminSession: used before beforeAll ran");
      return worker;
    },
    get browser() {
      if (!browser) throw new Error("adminSession: used before beforeAll ran");
      return browser;
    },
    token: "",
    pages: watchedPages(),
    api: (method, path, init) => callApi(session.worker.url, session.token, method, path, init),
  };

  beforeAll(async () => {
    [worker, browser] = await Promise.all([serveWorker(), launchChromium()]);
    session.token = await worker.token(admin);
  });

  afterAll(async () => {
    await browser?.close();
    await worker?.close();
  });

  afterEach(async () => {
    expect(await session.pages.closeAll(), "errors in the page (exceptions, CSP violations, failed requests)").toEqual(
      [],
    );
  });

  return session;
}
