/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com/): every delivery carries
 * `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`, a space-separated
 * list of `v1,<base64 HMAC-SHA256>` over `"<id>.<timestamp>.<body>"`, keyed with the secret's
 * bytes (`whsec_` + base64). During a secret rotation both secrets sign, so the header holds
 * two signatures and a receiver that knows either accepts the message.
 *
 * `verifyWebhook` is what a receiver runs (the dev receiver does): it checks the timestamp is
 * within 5 minutes of now and that one of the signatures matches, comparing in constant time
 * (WebCrypto's HMAC verify).
 */

export const SECRET_PREFIX = "whsec_";
/** Bytes of a generated secret (the spec allows 24 to 64). */
export const SECRET_BYTES = 32;
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

const encoder = new TextEncoder();

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array | undefined {
  try {
    const binary = atob(text);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}

/** A new random secret: `whsec_` + base64 of 32 random bytes. */
export function generateSecret(): string {
  return SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
}

/** The key bytes of a `whsec_…` secret (the prefix is optional, as in the reference libraries). */
export function secretBytes(secret: string): Uint8Array {
  const bytes = fromBase64(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret);
  if (!bytes || bytes.length === 0)
    throw new WebhookVerificationError("invalid-secret", "The secret is not base64 (whsec_<base64>).");
  return bytes;
}

const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey(
      "raw",
      secretBytes(secret) as BufferSource,
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    // A handful of subscriptions' secrets; bound the cache anyway.
    if (keys.size >= 1_000) keys.clear();
    keys.set(secret, key);
  }
  return key;
}

function signedContent(id: string, timestamp: number | string, body: string): Uint8Array {
  return encoder.encode(`${id}.${timestamp}.${body}`);
}

/** One `v1,<base64>` signature. */
export async function sign(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  const mac = await crypto.subtle.sign(
    "HMAC",
    await hmacKey(secret),
    signedContent(id, timestamp, body) as BufferSource,
  );
  return `v1,${toBase64(new Uint8Array(mac))}`;
}

/** The `webhook-signature` header value: one signature per secret, space-separated. */
export async function signatureHeader(
  secrets: readonly string[],
  id: string,
  timestamp: number,
  body: string,
): Promise<string> {
  return (await Promise.all(secrets.map((s) => sign(s, id, timestamp, body)))).join(" ");
}

/** The three Standard Webhooks headers for a message. */
export async function webhookHeaders(
  secrets: readonly string[],
  id: string,
  timestamp: number,
  body: string,
): Promise<Record<string, string>> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": await signatureHeader(secrets, id, timestamp, body),
  };
}

export type VerificationFailure =
  | "missing-headers"
  | "invalid-timestamp"
  | "timestamp-too-old"
  | "timestamp-too-new"
  | "invalid-secret"
  | "no-matching-signature";

export class WebhookVerificationError extends Error {
  readonly reason: VerificationFailure;

  constructor(reason: VerificationFailure, message: string) {
    super(message);
    this.name = "WebhookVerificationError";
    this.reason = reason;
  }
}

export type HeaderSource = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  for (const [key, value] of Object.entries(record)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(" ") : value;
  }
  return undefined;
}

export interface VerifyOptions {
  /** Seconds the timestamp may be off from now (either way); 300 by default. */
  toleranceSeconds?: number;
  /** Now in milliseconds (tests). */
  now?: number;
}

export interface VerifiedWebhook {
  id: string;
  timestamp: number;
  /** The body parsed as JSON. */
  payload: unknown;
}

/**
 * Verifies a delivery: `secret` is the receiver's `whsec_…` (or a list of them, e.g. the old
 * and the new one while rotating), `headers` the request headers and `body` the raw body text,
 * exactly as received. Throws `WebhookVerificationError` (with `reason`) unless the timestamp
 * is within the tolerance and one `v1` signature matches one secret.
 */
export async function verifyWebhook(
  secret: string | readonly string[],
  headers: HeaderSource,
  body: string,
  options: VerifyOptions = {},
): Promise<VerifiedWebhook> {
  const id = header(headers, "webhook-id");
  const timestampText = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (!id || !timestampText || !signatures) {
    throw new WebhookVerificationError(
      "missing-headers",
      "webhook-id, webhook-timestamp and webhook-signature are required.",
    );
  }
  if (!/^\d{1,12}$/.test(timestampText))
    throw new WebhookVerificationError("invalid-timestamp", "webhook-timestamp is not Unix seconds.");
  const timestamp = Number(timestampText);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000);
  if (timestamp < nowSeconds - tolerance)
    throw new WebhookVerificationError("timestamp-too-old", "The message timestamp is too old.");
  if (timestamp > nowSeconds + tolerance)
    throw new WebhookVerificationError("timestamp-too-new", "The message timestamp is in the future.");

  const content = signedContent(id, timestampText, body) as BufferSource;
  const candidates: Uint8Array[] = [];
  for (const part of signatures.split(" ")) {
    const comma = part.indexOf(",");
    if (comma < 0 || part.slice(0, comma) !== "v1") continue;
    const mac = fromBase64(part.slice(comma + 1));
    if (mac && mac.length === 32) candidates.push(mac);
  }
  for (const s of typeof secret === "string" ? [secret] : secret) {
    const key = await hmacKey(s);
    for (const mac of candidates) {
      if (await crypto.subtle.verify("HMAC", key, mac as BufferSource, content)) {
        let payload: unknown;
        try {
          payload = JSON.parse(body);
        } catch {
          payload = body;
        }
        return { id, timestamp, payload };
      }
    }
  }
  throw new WebhookVerificationError("no-matching-signature", "No signature matches.");
}
