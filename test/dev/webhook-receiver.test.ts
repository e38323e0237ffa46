/** The dev webhook receiver (`dev/webhook-receiver.ts`): verification, the fault switch, the listing. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWebhookReceiver, type WebhookReceiver } from "../../dev/webhook-receiver.ts";
import { generateSecret, webhookHeaders } from "../../src/lib/webhooks/signing.ts";

let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await startWebhookReceiver();
});
afterAll(() => receiver.close());

async function deliver(
  path: string,
  secret: string,
  id = `msg_${Math.random().toString(36).slice(2)}`,
  body = '{"type":"config.changed","data":{}}',
) {
  const headers = await webhookHeaders([secret], id, Math.floor(Date.now() / 1000), body);
  return fetch(`${receiver.url}${path}`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body,
  });
}

describe("dev webhook receiver", () => {
  it("verifies with the secrets set for a path, answers 401 to a bad signature, and lists what it got", async () => {
    const secret = generateSecret();
    const put = await fetch(`${receiver.url}/__dev/secrets`, {
      method: "PUT",
      body: JSON.stringify({ path: "/hooks/a", secrets: [secret] }),
    });
    expect(put.status).toBe(200);
    expect((await deliver("/hooks/a", secret, "msg_good")).status).toBe(200);
    expect((await deliver("/hooks/a", generateSecret(), "msg_bad")).status).toBe(401);
    expect((await deliver("/hooks/unknown", secret, "msg_unknown")).status).toBe(200);
    const listed = (await (await fetch(`${receiver.url}/__dev/received?path=/hooks/a`)).json()) as Array<{
      id: string;
      verified: boolean;
      reason: string | null;
    }>;
    expect(listed.map((r) => [r.id, r.verified, r.reason])).toEqual([
      ["msg_good", true, null],
      ["msg_bad", false, "no-matching-signature"],
    ]);
    expect(receiver.received("/hooks/unknown")[0]).toMatchObject({ verified: null, body: { type: "config.changed" } });
    expect(await (await fetch(`${receiver.url}/`)).text()).toContain("msg_good 200 verified=true");
  });

  it("the fault switch answers a status for N deliveries, per path or for all, and can send a redirect", async () => {
    const secret = generateSecret();
    await fetch(`${receiver.url}/__dev/fault`, {
      method: "PUT",
      body: JSON.stringify({ path: "/hooks/f", status: 500, times: 2 }),
    });
    expect((await deliver("/hooks/f", secret)).status).toBe(500);
    expect((await deliver("/hooks/other", secret)).status).toBe(200);
    expect((await deliver("/hooks/f", secret)).status).toBe(500);
    expect((await deliver("/hooks/f", secret)).status).toBe(200);
    await fetch(`${receiver.url}/__dev/fault`, {
      method: "PUT",
      body: JSON.stringify({ status: 302, location: "http://169.254.169.254/" }),
    });
    const redirect = await fetch(`${receiver.url}/hooks/r`, { method: "POST", body: "{}", redirect: "manual" });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get("location")).toBe("http://169.254.169.254/");
    expect(
      (await fetch(`${receiver.url}/__dev/fault`, { method: "PUT", body: JSON.stringify({ status: 99 }) })).status,
    ).toBe(400);
    expect((await fetch(`${receiver.url}/__dev/reset`, { method: "POST" })).status).toBe(200);
    expect((await deliver("/hooks/r", secret)).status).toBe(200);
    expect(receiver.received()).toHaveLength(1);
  });
});
