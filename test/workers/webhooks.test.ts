/**
 * Webhooks end to end inside workerd: the admin API against libSQL, events through the real
 * (Miniflare, in-process) `webhooks` queue and this Worker's consumer, delivered over HTTP to the
 * dev webhook receiver of the test stack (`dev/webhook-receiver.ts`), which verifies the
 * signatures. The test Worker runs with `WEBHOOKS_RETRY_BASE_SECONDS=1` (vitest.config.ts), so
 * retries come after about 1 s, then 4 s.
 *
 * Each test subscribes its own receiver path and, where an event is sent directly, its own room
 * (`room.message` with a room filter), so tests here and config changes made by other test files
 * do not reach each other's subscriptions.
 */
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WEBHOOK_TARGET_EXCLUSION } from "../../src/lib/config/schema.ts";
import { createDatabase } from "../../src/lib/db/client.ts";
import { webhookDeliveries } from "../../src/lib/db/schema.ts";
import { attemptDelivery, eventBody } from "../../src/lib/webhooks/delivery.ts";
import { newEvent } from "../../src/lib/webhooks/events.ts";
import { deliveryOptions } from "../../src/lib/webhooks/options.ts";
import { forgetRoomFilter } from "../../src/lib/webhooks/rooms.ts";
import { verifyWebhook } from "../../src/lib/webhooks/signing.ts";
import { checkTarget, type TargetRule } from "../../src/lib/webhooks/targets.ts";
import { bearer, problemOf, stack, worker } from "./helpers.ts";

interface Received {
  path: string;
  receivedAt: number;
  id: string | null;
  timestamp: string | null;
  signature: string | null;
  verified: boolean | null;
  reason: string | null;
  answered: number;
  body: { id: string; type: string; timestamp: string; data: Record<string, unknown> };
}

interface Subscription {
  id: string;
  url: string;
  events: string[];
  rooms: string[];
  status: string;
  statusReason: string | null;
  secret?: string;
  rotatingUntil: string | null;
}

interface Delivery {
  id: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  eventType: string;
}

const receiver = () => stack().DEV_WEBHOOK_RECEIVER_URL;
const admin = () => bearer("webhook-admin", ["admin"]);
const unique = (name: string) => `${name}-${crypto.randomUUID().slice(0, 8)}`;
const created: string[] = [];

async function api(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { authorization: await admin() };
  if (body !== undefined) headers["content-type"] = "application/json";
  return worker(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
}

async function subscribe(input: Record<string, unknown>): Promise<Subscription & { secret: string }> {
  const res = await api("POST", "/v1/admin/webhooks", input);
  expect(res.status, await res.clone().text()).toBe(201);
  const sub = (await res.json()) as Subscription & { secret: string };
  created.push(sub.id);
  return sub;
}

/** A subscription to `room.message` of a room of its own, delivered to a receiver path of its own. */
async function roomSubscription(name: string) {
  const room = unique(name);
  const path = `/hooks/${room}`;
  const sub = await subscribe({ url: `${receiver()}${path}`, events: ["room.message"], rooms: [room] });
  await control("/__dev/secrets", { path, secrets: [sub.secret] });
  return { sub, room, path };
}

async function control(path: string, body: unknown): Promise<void> {
  const res = await fetch(`${receiver()}${path}`, { method: "PUT", body: JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBe(200);
}

async function received(path: string): Promise<Received[]> {
  const res = await fetch(`${receiver()}/__dev/received?path=${encodeURIComponent(path)}`);
  return (await res.json()) as Received[];
}

async function until<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 600)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sends a `room.message` event for `room` through the real queue (as the Room object does). */
async function roomEvent(room: string, text = "hello") {
  const event = newEvent("room.message", {
    room,
    tenant: "t1",
    shared: false,
    seq: "1",
    messageId: "m1",
    userId: "u1",
    event: "chat",
    data: { text },
    ts: Date.now(),
  });
  await env.WEBHOOKS.send({ v: 1, kind: "event", event }, { contentType: "json" });
  return event;
}

async function deliveries(subId: string): Promise<Delivery[]> {
  const res = await api("GET", `/v1/admin/webhooks/${subId}/deliveries`);
  expect(res.status).toBe(200);
  return (await res.json()) as Delivery[];
}

async function subscription(subId: string): Promise<Subscription> {
  const res = await api("GET", `/v1/admin/webhooks/${subId}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Subscription;
}

/**
 * The default config excludes subscription URLs from the filter's SSRF class (the route checks
 * them itself); other test files write whole configs, so make sure the stored one has it.
 */
beforeAll(async () => {
  for (let tries = 0; tries < 5; tries++) {
    const res = await api("GET", "/v1/admin/config");
    const { version, config } = (await res.json()) as {
      version: number;
      config: { security: { exclusions: Array<Record<string, unknown>> } };
    };
    if (config.security.exclusions.some((e) => e.pathPrefix === WEBHOOK_TARGET_EXCLUSION.pathPrefix)) return;
    config.security.exclusions.push({ ...WEBHOOK_TARGET_EXCLUSION, classes: ["ssrf"], parameters: ["url"] });
    const put = await worker("/v1/admin/config", {
      method: "PUT",
      headers: { authorization: await admin(), "content-type": "application/json", "if-match": `"${version}"` },
      body: JSON.stringify(config),
    });
    if (put.status === 200) return;
  }
  throw new Error("could not store the webhook target exclusion");
});

afterAll(async () => {
  for (const id of created) await api("DELETE", `/v1/admin/webhooks/${id}`);
});

describe.sequential("webhook subscriptions API", () => {
  it("needs an admin: no token → 401, other roles → 403", async () => {
    const editor = await bearer("ed", ["editor"]);
    const calls: Array<[string, string]> = [
      ["GET", "/v1/admin/webhooks"],
      ["POST", "/v1/admin/webhooks"],
      ["GET", "/v1/admin/webhooks/sub_00000000000000000000000000000000"],
      ["PATCH", "/v1/admin/webhooks/sub_00000000000000000000000000000000"],
      ["DELETE", "/v1/admin/webhooks/sub_00000000000000000000000000000000"],
      ["POST", "/v1/admin/webhooks/sub_00000000000000000000000000000000/rotate-secret"],
      ["GET", "/v1/admin/webhooks/sub_00000000000000000000000000000000/deliveries"],
    ];
    for (const [method, path] of calls) {
      const init =
        method === "POST" || method === "PATCH"
          ? { method, headers: { "content-type": "application/json" }, body: "{}" }
          : { method };
      expect((await worker(path, init)).status, `${method} ${path}`).toBe(401);
      expect(
        (await worker(path, { ...init, headers: { ...init.headers, authorization: editor } })).status,
        `${method} ${path}`,
      ).toBe(403);
    }
  });

  it("create shows the secret once; read, list, change and delete", async () => {
    const sub = await subscribe({
      url: `${receiver()}/hooks/${unique("crud")}`,
      events: ["config.changed", "document.ready"],
      description: "crud",
    });
    expect(sub.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(sub).toMatchObject({
      status: "active",
      events: ["config.changed", "document.ready"],
      rooms: [],
      rotatingUntil: null,
    });

    const one = await api("GET", `/v1/admin/webhooks/${sub.id}`);
    expect(one.status).toBe(200);
    const read = (await one.json()) as Subscription;
    expect(read).not.toHaveProperty("secret");
    expect(read.url).toBe(sub.url);

    const list = (await (await api("GET", "/v1/admin/webhooks")).json()) as Subscription[];
    expect(list.map((s) => s.id)).toContain(sub.id);
    expect(list.every((s) => !("secret" in s))).toBe(true);

    const patched = await api("PATCH", `/v1/admin/webhooks/${sub.id}`, {
      events: ["document.failed"],
      description: "changed",
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ events: ["document.failed"], description: "changed" });

    expect((await api("PATCH", `/v1/admin/webhooks/${sub.id}`, { events: ["room.message"] })).status).toBe(422);
    expect((await api("PATCH", `/v1/admin/webhooks/${sub.id}`, { surprise: 1 })).status).toBe(422);

    expect((await api("DELETE", `/v1/admin/webhooks/${sub.id}`)).status).toBe(204);
    expect((await api("GET", `/v1/admin/webhooks/${sub.id}`)).status).toBe(404);
    expect((await api("DELETE", `/v1/admin/webhooks/${sub.id}`)).status).toBe(404);
    expect((await api("GET", "/v1/admin/webhooks/nonsense")).status).toBe(404);
  });

  it("validates the body: events, room filter for room.message", async () => {
    const url = `${receiver()}/hooks/x`;
    for (const body of [
      { url, events: [] },
      { url, events: ["nope"] },
      { url },
      { url, events: ["room.message"] },
      { url, events: ["room.message"], rooms: ["bad room"] },
    ]) {
      const res = await api("POST", "/v1/admin/webhooks", body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect((await problemOf(res)).type).toMatch(/validation-failed$/);
    }
  });

  it("refuses every forbidden target with 422 naming the rule", async () => {
    const cases: Array<[string, TargetRule]> = [
      ["not a url", "invalid-url"],
      ["ftp://example.com/hook", "https-required"],
      ["http://example.com/hook", "https-required"],
      ["https://user:pw@example.com/hook", "credentials"],
      ["https://10.1.2.3/hook", "private"],
      ["https://172.16.0.9/hook", "private"],
      ["https://192.168.1.1/hook", "private"],
      ["https://100.64.0.1/hook", "private"],
      ["https://[fd12::1]/hook", "private"],
      ["https://169.254.10.10/hook", "link-local"],
      ["https://[fe80::1]/hook", "link-local"],
      ["https://169.254.169.254/latest/meta-data", "metadata"],
      ["https://metadata.google.internal/computeMetadata/v1", "metadata"],
      ["https://[fd00:ec2::254]/", "metadata"],
      ["https://[::ffff:127.0.0.1]/hook", "ipv4-mapped"],
      ["https://[::ffff:a01:203]/hook", "ipv4-mapped"],
      ["https://[64:ff9b::a01:203]/hook", "ipv4-mapped"],
      ["https://0.0.0.0/hook", "reserved"],
      ["https://224.0.0.1/hook", "reserved"],
      ["https://db.internal/hook", "internal-name"],
      ["https://printer.local/hook", "internal-name"],
      ["https://intranet/hook", "internal-name"],
    ];
    for (const [url, rule] of cases) {
      const res = await api("POST", "/v1/admin/webhooks", { url, events: ["config.changed"] });
      expect(res.status, url).toBe(422);
      const problem = (await problemOf(res)) as Awaited<ReturnType<typeof problemOf>> & { rule?: string };
      expect(problem.rule, url).toBe(rule);
      expect(problem.detail, url).toContain(rule);
    }
    // PATCH checks the same rules.
    const sub = await subscribe({ url: `${receiver()}/hooks/${unique("patch")}`, events: ["config.changed"] });
    const res = await api("PATCH", `/v1/admin/webhooks/${sub.id}`, { url: "https://10.0.0.1/" });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { rule: string }).rule).toBe("private");
  });

  it("the events and their payloads are in the webhooks section of /openapi.json", async () => {
    const doc = (await (await worker("/openapi.json")).json()) as {
      webhooks?: Record<string, { post?: { requestBody?: unknown } }>;
    };
    expect(Object.keys(doc.webhooks ?? {}).sort()).toEqual([
      "config.changed",
      "document.failed",
      "document.ready",
      "room.message",
      "security.spike",
    ]);
    expect(JSON.stringify(doc.webhooks!["config.changed"]!.post!.requestBody)).toContain("ConfigChangedEvent");
  });

  it("production: https only, and loopback refused too (development allows http to loopback)", () => {
    const production = { development: false };
    const cases: Array<[string, TargetRule]> = [
      ["http://127.0.0.1:8793/hooks", "loopback"],
      ["https://127.0.0.1/hooks", "loopback"],
      ["https://127.1/hooks", "loopback"],
      ["https://2130706433/hooks", "loopback"],
      ["https://0x7f.0.0.1/hooks", "loopback"],
      ["https://[::1]/hooks", "loopback"],
      ["https://localhost/hooks", "loopback"],
      ["https://api.localhost/hooks", "loopback"],
      ["http://example.com/hooks", "https-required"],
    ];
    for (const [url, rule] of cases) expect(checkTarget(url, production), url).toMatchObject({ ok: false, rule });
    expect(checkTarget("https://hooks.example.com/x#frag", production)).toEqual({
      ok: true,
      url: "https://hooks.example.com/x",
    });
    expect(checkTarget("https://93.184.215.14/x", production)).toMatchObject({ ok: true });
    expect(checkTarget("http://127.0.0.1:8793/hooks", { development: true })).toMatchObject({ ok: true });
    expect(checkTarget("http://localhost:8793/hooks", { development: true })).toMatchObject({ ok: true });
    expect(checkTarget("http://example.com/hooks", { development: true })).toMatchObject({
      ok: false,
      rule: "https-required",
    });
  });
});

describe.sequential("webhook delivery", () => {
  it("a config change delivers one signed config.changed to the receiver", async () => {
    const path = `/hooks/${unique("config")}`;
    const sub = await subscribe({ url: `${receiver()}${path}`, events: ["config.changed"] });
    await control("/__dev/secrets", { path, secrets: [sub.secret] });

    const current = await api("GET", "/v1/admin/config");
    const { version, config } = (await current.json()) as {
      version: number;
      config: { maintenance: { message: string } };
    };
    const doc = structuredClone(config);
    doc.maintenance.message = `webhooks test ${path}`;
    const put = await worker("/v1/admin/config", {
      method: "PUT",
      headers: {
        authorization: await admin(),
        "content-type": "application/json",
        "if-match": `"${version}"`,
        "x-change-reason": "webhook test",
      },
      body: JSON.stringify(doc),
    });
    expect(put.status).toBe(200);
    const written = ((await put.json()) as { version: number }).version;

    const got = await until(
      "config.changed",
      () => received(path),
      (r) => r.some((x) => x.body.data.version === written),
    );
    const mine = got.filter((r) => r.body.data.version === written);
    expect(mine).toHaveLength(1);
    const [hit] = mine;
    expect(hit!.verified).toBe(true);
    expect(hit!.body).toMatchObject({
      type: "config.changed",
      data: {
        version: written,
        author: "webhook-admin",
        reason: "webhook test",
        changedPaths: ["/maintenance/message"],
      },
    });
    expect(hit!.body.id).toMatch(/^evt_/);
    expect(hit!.id).toMatch(/^msg_/);
    // The signature checks with the secret the receiver was given, within the 5 minutes.
    await expect(
      verifyWebhook(
        sub.secret,
        { "webhook-id": hit!.id!, "webhook-timestamp": hit!.timestamp!, "webhook-signature": hit!.signature! },
        JSON.stringify(hit!.body),
      ),
    ).resolves.toMatchObject({ id: hit!.id });

    const log = await until(
      "delivery log",
      () => deliveries(sub.id),
      (d) => d.some((x) => x.status === "succeeded"),
    );
    expect(log.find((d) => d.status === "succeeded")).toMatchObject({
      eventType: "config.changed",
      attempts: 1,
      lastStatusCode: 200,
    });
  });

  it("a receiver answering 500 twice gets the same webhook-id three times, with growing gaps", async () => {
    const { sub, room, path } = await roomSubscription("retry");
    await control("/__dev/fault", { path, status: 500, times: 2 });
    const event = await roomEvent(room);

    const got = await until(
      "three attempts",
      () => received(path),
      (r) => r.length >= 3,
      20_000,
    );
    expect(got.map((r) => r.answered)).toEqual([500, 500, 200]);
    expect(new Set(got.map((r) => r.id)).size).toBe(1);
    expect(got.every((r) => r.verified === true && r.body.id === event.id)).toBe(true);
    const gap1 = got[1]!.receivedAt - got[0]!.receivedAt;
    const gap2 = got[2]!.receivedAt - got[1]!.receivedAt;
    expect(gap1).toBeGreaterThanOrEqual(500);
    expect(gap2).toBeGreaterThan(gap1);

    const [delivery] = await until(
      "delivery succeeded",
      () => deliveries(sub.id),
      (d) => d[0]?.status === "succeeded",
    );
    expect(delivery).toMatchObject({ id: got[0]!.id, attempts: 3, lastStatusCode: 200 });
  }, 30_000);

  it("a redirect is not followed: it counts as a failure and is retried", async () => {
    const { sub, room, path } = await roomSubscription("redirect");
    const elsewhere = `/hooks/${unique("elsewhere")}`;
    await control("/__dev/fault", { path, status: 307, location: `${receiver()}${elsewhere}`, times: 1 });
    await roomEvent(room);
    const got = await until(
      "retried",
      () => received(path),
      (r) => r.length >= 2,
      15_000,
    );
    expect(got.map((r) => r.answered)).toEqual([307, 200]);
    expect(await received(elsewhere)).toEqual([]);
    const [delivery] = await until(
      "logged",
      () => deliveries(sub.id),
      (d) => d[0]?.status === "succeeded",
    );
    expect(delivery!.attempts).toBe(2);
  });

  it("a subscription that keeps failing is paused (its deliveries wait); a delivery out of attempts is a dead letter", async () => {
    const db = createDatabase({ url: env.LIBSQL_URL });
    const pending = async (subscriptionId: string) => {
      const event = newEvent("room.message", {
        room: "x",
        tenant: null,
        shared: false,
        seq: "1",
        messageId: "m",
        userId: "u",
        event: "e",
        data: null,
        ts: 0,
      });
      const id = `msg_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
      await db
        .insert(webhookDeliveries)
        .values({ id, subscriptionId, eventId: event.id, eventType: event.type, payload: eventBody(event) });
      return id;
    };
    const env_ = env as unknown as Record<string, unknown>;

    // Two failed attempts in a row pause it (with pauseAfterFailures: 2); the second delivery waits.
    const flaky = await roomSubscription("pause");
    await control("/__dev/fault", { path: flaky.path, status: 503 });
    const [d1, d2] = [await pending(flaky.sub.id), await pending(flaky.sub.id)];
    const options = deliveryOptions(env_, { development: true, pauseAfterFailures: 2 });
    expect(await attemptDelivery(db, env.WEBHOOKS, { deliveryId: d1, attempt: 1 }, options)).toMatchObject({
      result: "retry",
      status: 503,
    });
    expect(await attemptDelivery(db, env.WEBHOOKS, { deliveryId: d2, attempt: 1 }, options)).toMatchObject({
      result: "paused",
      status: 503,
    });
    expect(await subscription(flaky.sub.id)).toMatchObject({
      status: "paused",
      statusReason: "2 failed attempts in a row",
      consecutiveFailures: 2,
    });
    // While paused, a queued retry is not attempted.
    expect(await attemptDelivery(db, env.WEBHOOKS, { deliveryId: d1, attempt: 2 }, options)).toEqual({
      result: "skipped",
      reason: "subscription paused",
    });
    expect((await received(flaky.path)).length).toBe(2);
    expect((await deliveries(flaky.sub.id)).map((d) => d.status)).toEqual(["pending", "pending"]);

    // The last attempt of a delivery (maxAttempts) leaves it dead and pauses the subscription.
    const dying = await roomSubscription("dead");
    await control("/__dev/fault", { path: dying.path, status: 500 });
    const d3 = await pending(dying.sub.id);
    const last = deliveryOptions(env_, { development: true, maxAttempts: 3 });
    expect(await attemptDelivery(db, env.WEBHOOKS, { deliveryId: d3, attempt: 3 }, last)).toMatchObject({
      result: "dead",
      status: 500,
    });
    const [dead] = await deliveries(dying.sub.id);
    expect(dead).toMatchObject({ id: d3, status: "dead", attempts: 1, lastStatusCode: 500 });
    expect(await subscription(dying.sub.id)).toMatchObject({
      status: "paused",
      statusReason: "a delivery failed 3 times",
    });
  });

  it("410 Gone disables the subscription; later events are not sent", async () => {
    const { sub, room, path } = await roomSubscription("gone");
    await control("/__dev/fault", { path, status: 410 });
    await roomEvent(room);
    const disabled = await until(
      "disabled",
      () => subscription(sub.id),
      (s) => s.status === "disabled",
    );
    expect(disabled.statusReason).toContain("410");
    const [delivery] = await deliveries(sub.id);
    expect(delivery).toMatchObject({ status: "failed", attempts: 1, lastStatusCode: 410 });

    await roomEvent(room, "after");
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await received(path)).toHaveLength(1);
    expect((await api("POST", `/v1/admin/webhooks/${sub.id}/deliveries/${delivery!.id}/replay`)).status).toBe(409);

    // Resumed by an admin, it is active again.
    const resumed = await api("PATCH", `/v1/admin/webhooks/${sub.id}`, { status: "active" });
    expect(await resumed.json()).toMatchObject({ status: "active", statusReason: null });
  });

  it("replay re-sends a delivery with the same webhook-id and body", async () => {
    const { sub, room, path } = await roomSubscription("replay");
    await roomEvent(room);
    const [first] = await until(
      "first delivery",
      () => received(path),
      (r) => r.length === 1,
    );
    const [delivery] = await until(
      "logged",
      () => deliveries(sub.id),
      (d) => d[0]?.status === "succeeded",
    );

    const replay = await api("POST", `/v1/admin/webhooks/${sub.id}/deliveries/${delivery!.id}/replay`);
    expect(replay.status).toBe(202);
    expect(await replay.json()).toMatchObject({ id: delivery!.id, status: "pending" });
    const both = await until(
      "replayed",
      () => received(path),
      (r) => r.length === 2,
    );
    expect(both[1]!.id).toBe(first!.id);
    expect(both[1]!.body).toEqual(first!.body);
    expect(both[1]!.verified).toBe(true);
    const [after] = await until(
      "attempts counted",
      () => deliveries(sub.id),
      (d) => d[0]?.attempts === 2,
    );
    expect(after!.status).toBe("succeeded");

    expect(
      (await api("POST", `/v1/admin/webhooks/${sub.id}/deliveries/msg_AAAAAAAAAAAAAAAAAAAAAAAA/replay`)).status,
    ).toBe(404);
  });

  it("secret rotation: both secrets sign during the overlap", async () => {
    const { sub, room, path } = await roomSubscription("rotate");
    const rotated = await api("POST", `/v1/admin/webhooks/${sub.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    const { secret, previousSecretExpiresAt } = (await rotated.json()) as {
      secret: string;
      previousSecretExpiresAt: string;
    };
    expect(secret).not.toBe(sub.secret);
    const overlap = Date.parse(previousSecretExpiresAt) - Date.now();
    expect(overlap).toBeGreaterThan(23.9 * 3600_000);
    expect(overlap).toBeLessThanOrEqual(24 * 3600_000);
    expect((await subscription(sub.id)).rotatingUntil).toBe(previousSecretExpiresAt);

    // The receiver still knows only the old secret: it verifies.
    await roomEvent(room);
    const [hit] = await until(
      "delivered",
      () => received(path),
      (r) => r.length === 1,
    );
    expect(hit!.verified).toBe(true);
    const signatures = hit!.signature!.split(" ");
    expect(signatures).toHaveLength(2);
    const h = { "webhook-id": hit!.id!, "webhook-timestamp": hit!.timestamp!, "webhook-signature": hit!.signature! };
    const body = JSON.stringify(hit!.body);
    await expect(verifyWebhook(secret, h, body)).resolves.toBeTruthy();
    await expect(verifyWebhook(sub.secret, h, body)).resolves.toBeTruthy();
    // Each signature is made by one of them: new first, then old.
    await expect(verifyWebhook(secret, { ...h, "webhook-signature": signatures[0]! }, body)).resolves.toBeTruthy();
    await expect(verifyWebhook(sub.secret, { ...h, "webhook-signature": signatures[1]! }, body)).resolves.toBeTruthy();
  });

  it("a message posted in a subscribed room is delivered as room.message; other rooms are not", async () => {
    const { room, path } = await roomSubscription("room");
    forgetRoomFilter();
    const other = unique("other");
    const token = await bearer("poster", [], { tenant: "hooks-tenant" });
    for (const [r, text] of [
      [other, "elsewhere"],
      [room, "hi"],
    ] as const) {
      const res = await worker(`/v1/rooms/${r}/messages`, {
        method: "POST",
        headers: { authorization: token, "content-type": "application/json" },
        body: JSON.stringify({ event: "chat", data: { text } }),
      });
      expect(res.status).toBe(201);
    }
    const [hit] = await until(
      "room.message",
      () => received(path),
      (r) => r.length >= 1,
    );
    expect(hit!.verified).toBe(true);
    expect(hit!.body).toMatchObject({
      type: "room.message",
      data: { room, tenant: "hooks-tenant", shared: false, userId: "poster", event: "chat", data: { text: "hi" } },
    });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await received(path)).toHaveLength(1);
  });

  it("messages posted at once in several subscribed rooms on a cold filter are each delivered once", async () => {
    const subs = await Promise.all(["burst-a", "burst-b", "burst-c", "burst-d"].map((n) => roomSubscription(n)));
    forgetRoomFilter();
    const token = await bearer("poster", [], { tenant: "hooks-tenant" });
    // Each room's object reads the subscriptions itself: none waits on another object's read.
    const posted = await Promise.all(
      subs.map(({ room }) =>
        worker(`/v1/rooms/${room}/messages`, {
          method: "POST",
          headers: { authorization: token, "content-type": "application/json" },
          body: JSON.stringify({ event: "chat", data: { text: room } }),
        }),
      ),
    );
    expect(posted.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    for (const { room, path } of subs) {
      const [hit] = await until(
        `room.message for ${room}`,
        () => received(path),
        (r) => r.length >= 1,
      );
      expect(hit!.verified).toBe(true);
      expect(hit!.body).toMatchObject({ type: "room.message", data: { room, data: { text: room } } });
    }
    await new Promise((r) => setTimeout(r, 1_000));
    for (const { path } of subs) expect(await received(path)).toHaveLength(1);
  });

  it("a document stored at once is announced as document.ready", async () => {
    const path = `/hooks/${unique("docs")}`;
    const sub = await subscribe({ url: `${receiver()}${path}`, events: ["document.ready"] });
    await control("/__dev/secrets", { path, secrets: [sub.secret] });
    const id = unique("doc");
    const res = await worker("/v1/ai/documents", {
      method: "POST",
      headers: {
        authorization: await bearer("writer", ["editor"], { tenant: "hooks-docs" }),
        "content-type": "application/json",
      },
      body: JSON.stringify({ id, title: "Hooks", text: "Webhooks tell other systems what happened at the edge." }),
    });
    expect(res.status).toBe(201);
    const got = await until(
      "document.ready",
      () => received(path),
      (r) => r.some((x) => x.body.data.documentId === id),
    );
    expect(got.find((x) => x.body.data.documentId === id)).toMatchObject({
      verified: true,
      body: { type: "document.ready", data: { tenant: "hooks-docs", documentId: id, chunks: 1 } },
    });
  });

  it("blocked requests reaching webhooks.securitySpikePerMinute in a minute send one security.spike", async () => {
    const path = `/hooks/${unique("spike")}`;
    const sub = await subscribe({ url: `${receiver()}${path}`, events: ["security.spike"] });
    await control("/__dev/secrets", { path, secrets: [sub.secret] });
    const setThreshold = async (n: number) => {
      for (let tries = 0; tries < 5; tries++) {
        const { version, config } = (await (await api("GET", "/v1/admin/config")).json()) as {
          version: number;
          config: { webhooks: { securitySpikePerMinute: number } };
        };
        config.webhooks.securitySpikePerMinute = n;
        const put = await worker("/v1/admin/config", {
          method: "PUT",
          headers: { authorization: await admin(), "content-type": "application/json", "if-match": `"${version}"` },
          body: JSON.stringify(config),
        });
        if (put.status === 200) return;
      }
      throw new Error("could not set the spike threshold");
    };
    await setThreshold(3);
    try {
      // Blocked requests until the event comes (a minute boundary may split the first ones).
      const deadline = Date.now() + 15_000;
      let got: Received[] = [];
      while (got.length === 0 && Date.now() < deadline) {
        for (let i = 0; i < 3; i++)
          expect((await worker(`/?q=${encodeURIComponent("' UNION SELECT password FROM users--")}`)).status).toBe(403);
        await new Promise((r) => setTimeout(r, 1_500));
        got = await received(path);
      }
      expect(got.length).toBeGreaterThanOrEqual(1);
      expect(got[0]!.verified).toBe(true);
      expect(got[0]!.body).toMatchObject({ type: "security.spike", data: { threshold: 3 } });
      expect(got[0]!.body.data.blocked).toBeGreaterThanOrEqual(3);
      expect(String(got[0]!.body.data.minute)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$/);
    } finally {
      await setThreshold(0);
    }
  }, 30_000);
});
