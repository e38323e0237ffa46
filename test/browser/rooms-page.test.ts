/**
 * The room page (`/rooms/:room`) in headless Chromium against the real Worker (`wrangler dev`):
 * strict CSP, join with a pasted token or `?token=` (then gone from the address bar), sockets
 * opened with single-use tickets (never a token in a URL), presence, sending and receiving,
 * resuming after the network drops, tenants, and rooms that policies make read-only or shared. The pages talk to the Worker
 * through a TCP proxy the test can cut, which drops the connections without a close frame, the
 * way a lost network does; meanwhile messages are published over HTTP straight to the Worker.
 */
import { createServer, connect as tcpConnect, type Server, type Socket } from "node:net";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { HAS_CHROMIUM, launchChromium, watchedPages } from "./chromium.ts";
import { expectPageFiles } from "./page-files.ts";
import { serveWorker, type LocalWorker } from "./serve.ts";

const UI_TIMEOUT = { timeout: 20_000, interval: 100 };

/** A loopback TCP proxy whose connections the test can cut (RST, no WebSocket close frame). */
interface CuttableProxy {
  url: string;
  /** Resets every open connection and refuses new ones until `restore()`. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

async function cuttableProxy(target: string): Promise<CuttableProxy> {
  const { hostname, port } = new URL(target);
  const open = new Set<Socket>();
  let down = false;
  const server: Server = createServer((client) => {
    if (down) return client.resetAndDestroy();
    const upstream = tcpConnect(Number(port), hostname);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on("close", () => open.delete(s));
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const proxyPort = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${proxyPort}`,
    cut() {
      down = true;
      for (const s of open) s.resetAndDestroy();
    },
    restore() {
      down = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe.skipIf(!HAS_CHROMIUM)("room page in Chromium against wrangler dev", () => {
  let worker: LocalWorker;
  let browser: Browser;
  let proxy: CuttableProxy;
  const pages = watchedPages();
  let networkWasCut = false;

  beforeAll(async () => {
    [worker, browser] = await Promise.all([serveWorker(), launchChromium()]);
    proxy = await cuttableProxy(worker.url);
  });

  afterAll(async () => {
    await proxy?.close();
    await browser?.close();
    await worker?.close();
  });

  afterEach(async () => {
    proxy.restore();
    const found = await pages.closeAll();
    // While the network is cut, failed requests and sockets are expected; anything else is a bug.
    const expected = networkWasCut ? /net::ERR_[A-Z_]+|WebSocket connection to .* failed/ : /^$/;
    networkWasCut = false;
    expect(
      found.filter((p) => !expected.test(p)),
      "errors in the page",
    ).toEqual([]);
  });

  const newRoom = (prefix = "page") => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
  /** Everyone is of tenant `acme` unless a test says otherwise (rooms belong to tenants). */
  const tokenFor = (sub: string, extra: { tenant?: string; roles?: string[]; ttlSeconds?: number } = {}) =>
    worker.token({ sub, tenant: "acme", ...extra });

  /** Every WebSocket URL a page opens. */
  function socketUrls(page: Page): string[] {
    const urls: string[] = [];
    page.on("websocket", (ws) => urls.push(ws.url()));
    return urls;
  }

  async function setRoomPolicies(policies: unknown[]): Promise<void> {
    const authorization = `Bearer ${await worker.token({ sub: "page-admin", roles: ["admin"] })}`;
    const current = await fetch(`${worker.url}/v1/admin/config`, { headers: { authorization } });
    const { config } = (await current.json()) as { config: Record<string, unknown> };
    const put = await fetch(`${worker.url}/v1/admin/config`, {
      method: "PUT",
      headers: { authorization, "content-type": "application/json", "if-match": current.headers.get("etag")! },
      body: JSON.stringify({ ...config, rooms: { policies } }),
    });
    expect(put.status, await put.clone().text()).toBe(200);
  }

  async function openPage(path: string): Promise<Page> {
    const page = await pages.newPage(browser);
    await page.goto(`${proxy.url}${path}`);
    return page;
  }

  async function join(page: Page, token: string): Promise<void> {
    await page.getByTestId("token-input").fill(token);
    await page.getByTestId("join").click();
    await expect.poll(() => page.getByTestId("conn").getAttribute("data-state"), UI_TIMEOUT).toBe("live");
  }

  const shownSeqs = (page: Page) =>
    page.getByTestId("message").evaluateAll((items) => items.map((li) => Number(li.getAttribute("data-seq"))));
  const shownTexts = (page: Page) =>
    page.getByTestId("message").locator('[data-testid="message-text"]').allTextContents();
  const members = (page: Page) => page.getByTestId("member").allTextContents();

  async function publish(
    room: string,
    sub: string,
    text: string,
    extra: { tenant?: string; roles?: string[] } = {},
  ): Promise<string> {
    const res = await fetch(`${worker.url}/v1/rooms/${room}/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${await tokenFor(sub, extra)}`, "content-type": "application/json" },
      body: JSON.stringify({ event: "chat", data: { text } }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { seq: string }).seq;
  }

  test("serves the page, its scripts and stylesheets with a strict CSP", async () => {
    const bodies = await expectPageFiles(worker.url, [
      ["/rooms/demo", "text/html"],
      ["/rooms/app.js", "text/javascript"],
      ["/rooms/app.css", "text/css"],
      ["/common/page.js", "text/javascript"],
      ["/common/page.css", "text/css"],
    ]);
    expect(bodies["/rooms/demo"]).toContain('<script type="module" src="/rooms/app.js"></script>');
    expect(bodies["/rooms/demo"]).not.toMatch(/<script>|<style>|\sstyle=|\son[a-z]+=|https?:\/\//i);
    // The Worker runs before the asset server: a file is public only at the URL a route names.
    expect((await fetch(`${worker.url}/rooms/room.html`)).status).toBe(404);
    const other = await fetch(`${worker.url}/rooms/another_room-1`);
    expect(other.status).toBe(200);
    expect((await fetch(`${worker.url}/rooms/bad.name`)).status).toBe(404);
    const bare = await fetch(`${worker.url}/rooms`, { redirect: "manual" });
    expect(bare.headers.get("location")).toBe("/rooms/demo");
  });

  test("two people join (pasted token, ?token=), see each other and exchange messages", async () => {
    const room = newRoom();
    const alice = await openPage(`/rooms/${room}`);
    const aliceSockets = socketUrls(alice);
    const aliceToken = await tokenFor("alice");
    await join(alice, aliceToken);
    await expect(alice.getByTestId("room-name").textContent()).resolves.toBe(room);
    await expect(alice.getByTestId("whoami").textContent()).resolves.toContain("alice");

    const bob = await openPage(`/rooms/${room}?token=${await tokenFor("bob")}&x=1`);
    await expect.poll(() => bob.getByTestId("conn").getAttribute("data-state"), UI_TIMEOUT).toBe("live");
    // The token left the address bar at once and lives in the tab's sessionStorage.
    expect(bob.url()).toBe(`${proxy.url}/rooms/${room}?x=1`);
    await expect(bob.evaluate(() => Object.keys(sessionStorage))).resolves.toEqual(["edge-rooms-token"]);

    await expect.poll(() => members(alice), UI_TIMEOUT).toEqual(["alice(you)", "bob"]);
    await expect.poll(() => members(bob), UI_TIMEOUT).toEqual(["alice", "bob(you)"]);

    await alice.getByTestId("compose").fill("hello bob");
    await alice.getByTestId("send").click();
    await expect.poll(() => shownTexts(bob), UI_TIMEOUT).toEqual(["hello bob"]);
    await bob.getByTestId("compose").fill("hi alice");
    await bob.getByTestId("compose").press("Enter");
    await expect.poll(() => shownTexts(alice), UI_TIMEOUT).toEqual(["hello bob", "hi alice"]);
    await expect.poll(() => shownTexts(bob), UI_TIMEOUT).toEqual(["hello bob", "hi alice"]);
    await expect(alice.getByTestId("pending").count()).resolves.toBe(0);
    // The socket opened with a ticket; the token never went into a URL.
    expect(aliceSockets).toHaveLength(1);
    expect(new URL(aliceSockets[0]!).searchParams.get("ticket")).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(aliceSockets[0]).not.toContain(aliceToken.split(".")[1]!);
    expect(new URL(aliceSockets[0]!).searchParams.has("access_token")).toBe(false);

    // A reload rejoins with the stored token and shows the recent history once.
    await bob.reload();
    await expect.poll(() => bob.getByTestId("conn").getAttribute("data-state"), UI_TIMEOUT).toBe("live");
    await expect.poll(() => shownTexts(bob), UI_TIMEOUT).toEqual(["hello bob", "hi alice"]);

    await bob.getByTestId("signout").click();
    await expect.poll(() => members(alice), UI_TIMEOUT).toEqual(["alice(you)"]);
    await expect(bob.evaluate(() => JSON.stringify(sessionStorage))).resolves.toBe("{}");
  });

  test("it opts in to batched frames and shows a burst of messages whole and in order", async () => {
    const room = newRoom();
    const page = await openPage(`/rooms/${room}`);
    const sockets = socketUrls(page);
    const frameTypes: string[] = [];
    page.on("websocket", (ws) =>
      ws.on("framereceived", ({ payload }) => {
        try {
          frameTypes.push(String((JSON.parse(String(payload)) as { type?: unknown }).type));
        } catch {
          frameTypes.push("text");
        }
      }),
    );
    await join(page, await tokenFor("erin"));
    expect(new URL(sockets[0]!).searchParams.get("batch")).toBe("1");
    const texts = Array.from({ length: 40 }, (_, i) => `burst ${i + 1}`);
    // Published together: the room is busy, so its frames go out in batch windows.
    await Promise.all(texts.map((text) => publish(room, "frank", text)));
    await expect.poll(() => shownSeqs(page), UI_TIMEOUT).toEqual(texts.map((_, i) => i + 1));
    expect((await shownTexts(page)).toSorted()).toEqual(texts.toSorted());
    expect(frameTypes).toContain("batch");
  });

  test("after the network drops, it reconnects and shows exactly the missed messages, in order, then live ones", async () => {
    const room = newRoom();
    for (const text of ["one", "two"]) await publish(room, "carol", text);
    const page = await openPage(`/rooms/${room}`);
    const sockets = socketUrls(page);
    await join(page, await tokenFor("dave"));
    await expect.poll(() => shownTexts(page), UI_TIMEOUT).toEqual(["one", "two"]);

    networkWasCut = true;
    proxy.cut();
    await expect.poll(() => page.getByTestId("conn").getAttribute("data-state"), UI_TIMEOUT).toBe("reconnecting");
    for (const text of ["three", "four", "five"]) await publish(room, "carol", text);
    // Written while offline: sent once the connection is back.
    await page.getByTestId("compose").fill("typed offline");
    await page.getByTestId("send").click();
    await new Promise((r) => setTimeout(r, 1_500));
    proxy.restore();

    await expect.poll(() => page.getByTestId("conn").getAttribute("data-state"), UI_TIMEOUT).toBe("live");
    await publish(room, "carol", "six");
    await expect
      .poll(() => shownTexts(page), UI_TIMEOUT)
      .toEqual(["one", "two", "three", "four", "five", "typed offline", "six"]);
    await expect.poll(() => shownSeqs(page), UI_TIMEOUT).toEqual([1, 2, 3, 4, 5, 6, 7]);
    await expect(page.getByTestId("pending").count()).resolves.toBe(0);
    // Every reconnection asked for a new ticket: each is single use.
    const tickets = sockets.map((u) => new URL(u).searchParams.get("ticket"));
    expect(tickets.length).toBeGreaterThan(1);
    expect(new Set(tickets).size).toBe(tickets.length);

    // And the room stored the offline message once.
    const history = await fetch(`${worker.url}/v1/rooms/${room}/messages?after=0`, {
      headers: { authorization: `Bearer ${await tokenFor("dave")}` },
    });
    const body = (await history.json()) as { messages: Array<{ data: { text: string } }> };
    expect(body.messages.map((m) => m.data.text)).toEqual([
      "one",
      "two",
      "three",
      "four",
      "five",
      "typed offline",
      "six",
    ]);
  });

  test("an invalid token, and a token that expires while connected, send you back to the token form with a reason", async () => {
    const page = await openPage(`/rooms/${newRoom()}`);
    await page.getByTestId("token-input").fill("not-a-token");
    await page.getByTestId("join").click();
    await expect.poll(() => page.getByTestId("alert").textContent(), UI_TIMEOUT).toContain("invalid or expired");
    await expect(page.getByTestId("token-input").isVisible()).resolves.toBe(true);

    await join(page, await tokenFor("erin", { ttlSeconds: 3 }));
    await expect.poll(() => page.getByTestId("alert").textContent(), UI_TIMEOUT).toContain("expired");
    await expect(page.getByTestId("token-input").isVisible()).resolves.toBe(true);
    await expect(page.evaluate(() => JSON.stringify(sessionStorage))).resolves.toBe("{}");
  });

  test("rooms are per tenant; a policy can make one read-only, closed to a role, or shared with tenant names shown", async () => {
    const run = crypto.randomUUID().slice(0, 8);
    await setRoomPolicies([
      { match: `ro${run}-*`, publish: ["editor"] },
      { match: `staff${run}-*`, read: ["staff"] },
      { match: `lobby${run}`, shared: true },
    ]);

    // The same room name in another tenant shows nothing of acme's.
    const room = newRoom();
    await publish(room, "carol", "acme only");
    const outsider = await openPage(`/rooms/${room}`);
    await join(outsider, await tokenFor("gina", { tenant: "globex" }));
    await expect.poll(() => members(outsider), UI_TIMEOUT).toEqual(["gina(you)"]);
    await expect(shownTexts(outsider)).resolves.toEqual([]);

    // Read-only: messages arrive, no compose box, and it says why.
    const readOnly = `ro${run}-news`;
    const reader = await openPage(`/rooms/${readOnly}`);
    await join(reader, await tokenFor("rick"));
    await expect(reader.getByTestId("read-only").isVisible()).resolves.toBe(true);
    await expect(reader.getByTestId("compose").isVisible()).resolves.toBe(false);
    await publish(readOnly, "eve", "news", { roles: ["editor"] });
    await expect.poll(() => shownTexts(reader), UI_TIMEOUT).toEqual(["news"]);

    // Closed to a role: back to the token form with the reason.
    const closed = await openPage(`/rooms/staff${run}-1`);
    await closed.getByTestId("token-input").fill(await tokenFor("rick"));
    await closed.getByTestId("join").click();
    await expect
      .poll(() => closed.getByTestId("alert").textContent(), UI_TIMEOUT)
      .toContain("Your roles may not read this room");

    // Shared: two tenants in one room, each person shown with their tenant.
    const a = await openPage(`/rooms/lobby${run}`);
    await join(a, await tokenFor("sam"));
    const g = await openPage(`/rooms/lobby${run}`);
    await join(g, await tokenFor("sam", { tenant: "globex" }));
    await expect.poll(() => members(a), UI_TIMEOUT).toEqual(["sam@acme(you)", "sam@globex"]);
    await expect.poll(() => members(g), UI_TIMEOUT).toEqual(["sam@acme", "sam@globex(you)"]);
    await g.getByTestId("compose").fill("hello from globex");
    await g.getByTestId("send").click();
    await expect.poll(() => shownTexts(a), UI_TIMEOUT).toEqual(["hello from globex"]);
    await expect(a.getByTestId("author").allTextContents()).resolves.toEqual(["sam@globex"]);
    await expect(
      a.getByTestId("message").evaluateAll((items) => items.map((li) => li.classList.contains("mine"))),
    ).resolves.toEqual([false]);
  });
});
