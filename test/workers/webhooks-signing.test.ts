/**
 * Standard Webhooks signing and `verifyWebhook`, against test vectors computed outside this code.
 *
 * How the vectors were derived (by hand, from the spec's definition: base64 of HMAC-SHA256 keyed
 * with the base64-decoded part of `whsec_…`, over `"<webhook-id>.<webhook-timestamp>.<body>"`):
 *
 *   key=$(echo -n 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' | base64 -d | xxd -p -c 256)
 *   printf '%s' 'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}' \
 *     | openssl dgst -sha256 -mac HMAC -macopt hexkey:$key -binary | base64
 *   → g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
 *
 * (the spec's own example message, secret and signature), and the same command with the key
 * 00 01 … 1f (`whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=`) and with the first key over
 * `msg_2Lh9KRb0pzN4LePd3XiA0x.1700000000.{"type":"config.changed","data":{"version":7}}` for
 * the rotation vectors below.
 */
import { describe, expect, it } from "vitest";
import {
  generateSecret,
  secretBytes,
  sign,
  signatureHeader,
  verifyWebhook,
  WebhookVerificationError,
  webhookHeaders,
} from "../../src/lib/webhooks/signing.ts";

const SPEC = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};

const ROTATION = {
  oldSecret: SPEC.secret,
  newSecret: "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
  id: "msg_2Lh9KRb0pzN4LePd3XiA0x",
  timestamp: 1700000000,
  body: '{"type":"config.changed","data":{"version":7}}',
  oldSignature: "v1,LYoUIrKVEgafq5TiF+Nn3mMLwzD1baiAX2/fP3F3dsc=",
  newSignature: "v1,8d1VzVhlKXM7Yjj0gJBTIfb9JAXG8Nea+i7HCD9MDmE=",
};

const at = (seconds: number) => ({ now: seconds * 1000 });

function headersOf(id: string, timestamp: number | string, signature: string): Headers {
  return new Headers({ "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": signature });
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(WebhookVerificationError);
    return (err as WebhookVerificationError).reason;
  }
  throw new Error("verification passed but should have failed");
}

describe("webhook signing", () => {
  it("signs the spec's example exactly", async () => {
    expect(await sign(SPEC.secret, SPEC.id, SPEC.timestamp, SPEC.body)).toBe(SPEC.signature);
    // The prefix is optional when reading a secret, as in the reference libraries.
    expect(await sign(SPEC.secret.slice("whsec_".length), SPEC.id, SPEC.timestamp, SPEC.body)).toBe(SPEC.signature);
  });

  it("signs with both secrets during a rotation (new first)", async () => {
    const header = await signatureHeader(
      [ROTATION.newSecret, ROTATION.oldSecret],
      ROTATION.id,
      ROTATION.timestamp,
      ROTATION.body,
    );
    expect(header).toBe(`${ROTATION.newSignature} ${ROTATION.oldSignature}`);
    const all = await webhookHeaders([ROTATION.newSecret], ROTATION.id, ROTATION.timestamp, ROTATION.body);
    expect(all).toEqual({
      "webhook-id": ROTATION.id,
      "webhook-timestamp": "1700000000",
      "webhook-signature": ROTATION.newSignature,
    });
  });

  it("generates whsec_ secrets of 32 random bytes", () => {
    const a = generateSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secretBytes(a)).toHaveLength(32);
    expect(generateSecret()).not.toBe(a);
  });
});

describe("verifyWebhook", () => {
  it("accepts the spec's example within the tolerance and returns the parsed body", async () => {
    const ok = await verifyWebhook(
      SPEC.secret,
      headersOf(SPEC.id, SPEC.timestamp, SPEC.signature),
      SPEC.body,
      at(SPEC.timestamp + 10),
    );
    expect(ok).toEqual({ id: SPEC.id, timestamp: SPEC.timestamp, payload: { test: 2432232314 } });
    // Plain header records (Node's IncomingHttpHeaders) work too, any case.
    const record = {
      "Webhook-Id": SPEC.id,
      "webhook-timestamp": String(SPEC.timestamp),
      "webhook-signature": SPEC.signature,
    };
    expect((await verifyWebhook(SPEC.secret, record, SPEC.body, at(SPEC.timestamp))).id).toBe(SPEC.id);
  });

  it("accepts a header with several signatures when any one matches", async () => {
    const bogus = "v1,Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE=";
    const many = `v2,abc ${bogus} ${SPEC.signature} garbage`;
    await expect(
      verifyWebhook(SPEC.secret, headersOf(SPEC.id, SPEC.timestamp, many), SPEC.body, at(SPEC.timestamp)),
    ).resolves.toBeTruthy();
  });

  it("rotated secrets: a receiver with either secret accepts the doubly signed message; a third secret does not", async () => {
    const both = headersOf(ROTATION.id, ROTATION.timestamp, `${ROTATION.newSignature} ${ROTATION.oldSignature}`);
    const when = at(ROTATION.timestamp);
    await expect(verifyWebhook(ROTATION.oldSecret, both, ROTATION.body, when)).resolves.toBeTruthy();
    await expect(verifyWebhook(ROTATION.newSecret, both, ROTATION.body, when)).resolves.toBeTruthy();
    await expect(
      verifyWebhook([generateSecret(), ROTATION.newSecret], both, ROTATION.body, when),
    ).resolves.toBeTruthy();
    expect(await failure(verifyWebhook(generateSecret(), both, ROTATION.body, when))).toBe("no-matching-signature");
    // After the overlap only the new signature is sent: the old secret alone no longer verifies.
    const newOnly = headersOf(ROTATION.id, ROTATION.timestamp, ROTATION.newSignature);
    expect(await failure(verifyWebhook(ROTATION.oldSecret, newOnly, ROTATION.body, when))).toBe(
      "no-matching-signature",
    );
  });

  it("refuses a tampered body, id or timestamp", async () => {
    const when = at(SPEC.timestamp);
    const h = headersOf(SPEC.id, SPEC.timestamp, SPEC.signature);
    expect(await failure(verifyWebhook(SPEC.secret, h, '{"test": 2432232315}', when))).toBe("no-matching-signature");
    expect(await failure(verifyWebhook(SPEC.secret, h, `${SPEC.body} `, when))).toBe("no-matching-signature");
    expect(
      await failure(
        verifyWebhook(SPEC.secret, headersOf("msg_other", SPEC.timestamp, SPEC.signature), SPEC.body, when),
      ),
    ).toBe("no-matching-signature");
    expect(
      await failure(
        verifyWebhook(SPEC.secret, headersOf(SPEC.id, SPEC.timestamp + 1, SPEC.signature), SPEC.body, when),
      ),
    ).toBe("no-matching-signature");
  });

  it("refuses timestamps outside 5 minutes either way, and malformed ones", async () => {
    const h = headersOf(SPEC.id, SPEC.timestamp, SPEC.signature);
    await expect(verifyWebhook(SPEC.secret, h, SPEC.body, at(SPEC.timestamp + 300))).resolves.toBeTruthy();
    await expect(verifyWebhook(SPEC.secret, h, SPEC.body, at(SPEC.timestamp - 300))).resolves.toBeTruthy();
    expect(await failure(verifyWebhook(SPEC.secret, h, SPEC.body, at(SPEC.timestamp + 301)))).toBe("timestamp-too-old");
    expect(await failure(verifyWebhook(SPEC.secret, h, SPEC.body, at(SPEC.timestamp - 301)))).toBe("timestamp-too-new");
    for (const bad of ["", "abc", "1614265330.5", "-1614265330", "1e9"]) {
      const reason = await failure(
        verifyWebhook(SPEC.secret, headersOf(SPEC.id, bad, SPEC.signature), SPEC.body, at(SPEC.timestamp)),
      );
      expect(["invalid-timestamp", "missing-headers"], bad).toContain(reason);
    }
  });

  it("refuses missing headers, unknown versions and signatures that are not base64", async () => {
    const when = at(SPEC.timestamp);
    expect(await failure(verifyWebhook(SPEC.secret, new Headers({ "webhook-id": SPEC.id }), SPEC.body, when))).toBe(
      "missing-headers",
    );
    const v2 = SPEC.signature.replace("v1,", "v2,");
    expect(await failure(verifyWebhook(SPEC.secret, headersOf(SPEC.id, SPEC.timestamp, v2), SPEC.body, when))).toBe(
      "no-matching-signature",
    );
    expect(
      await failure(verifyWebhook(SPEC.secret, headersOf(SPEC.id, SPEC.timestamp, "v1,%%%"), SPEC.body, when)),
    ).toBe("no-matching-signature");
    expect(
      await failure(verifyWebhook("whsec_%%%", headersOf(SPEC.id, SPEC.timestamp, SPEC.signature), SPEC.body, when)),
    ).toBe("invalid-secret");
  });

  it("round-trips its own signatures", async () => {
    const secret = generateSecret();
    const body = JSON.stringify({ type: "document.ready", data: { id: "d1" } });
    const now = Date.now();
    const ts = Math.floor(now / 1000);
    const h = new Headers(await webhookHeaders([secret], "msg_x", ts, body));
    expect((await verifyWebhook(secret, h, body, { now })).payload).toEqual(JSON.parse(body));
  });
});
