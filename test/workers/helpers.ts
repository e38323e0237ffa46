/** Shared helpers for tests that run inside workerd. */
import { exports } from "cloudflare:workers";
import { importJWK, SignJWT, type CryptoKey, type JWK } from "jose";
import { inject } from "vitest";
import type { EdgeConfigDocument } from "../../src/lib/config/schema.ts";

export const stack = () => inject("stack");

/** Sends a request through the deployed entry point (`export default`), end to end. */
export function worker(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(new URL(path, "https://edge.test"), init));
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId: string;
  errors?: Array<{ path: string; message: string }>;
}

export async function problemOf(res: Response): Promise<ProblemBody> {
  if (!res.headers.get("content-type")?.startsWith("application/problem+json")) {
    throw new Error(
      `expected application/problem+json, got ${res.headers.get("content-type")} (${res.status}): ${await res.text()}`,
    );
  }
  return (await res.json()) as ProblemBody;
}

let devKey: Promise<{ key: CryptoKey; kid: string }> | undefined;

/** An `Authorization` header value with a token from the dev issuer. */
export async function bearer(sub: string, roles: string[], extra: Record<string, unknown> = {}): Promise<string> {
  devKey ??= (async () => {
    const jwk = JSON.parse(inject("devPrivateJwk")) as JWK;
    return { key: (await importJWK(jwk, "ES256")) as CryptoKey, kid: jwk.kid! };
  })();
  const { key, kid } = await devKey;
  const s = inject("stack");
  const token = await new SignJWT({ roles, ...extra })
    .setProtectedHeader({ alg: "ES256", typ: "JWT", kid })
    .setIssuer(s.JWT_ISSUER)
    .setAudience(s.JWT_AUDIENCE)
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(key);
  return `Bearer ${token}`;
}

/**
 * Changes the edge config through the admin API as an admin would: reads it (with its ETag),
 * lets `change` edit it, writes it back with `If-Match`. Returns the write's response.
 */
export async function updateConfig(change: (config: EdgeConfigDocument) => void): Promise<Response> {
  const authorization = await bearer("ops", ["admin"]);
  const current = await worker("/v1/admin/config", { headers: { authorization } });
  const { config } = (await current.json()) as { config: EdgeConfigDocument };
  change(config);
  return worker("/v1/admin/config", {
    method: "PUT",
    headers: { authorization, "content-type": "application/json", "if-match": current.headers.get("etag")! },
    body: JSON.stringify(config),
  });
}
