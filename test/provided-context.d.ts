// Values the global setup (test/global-setup.ts) provides to the tests and to vitest.config.ts.
import "vitest";

declare module "vitest" {
  interface ProvidedContext {
    stack: {
      LIBSQL_URL: string;
      UPSTASH_REDIS_REST_URL: string;
      UPSTASH_REDIS_REST_TOKEN: string;
      ORIGIN_AI_URL: string;
      ORIGIN_AI_KEY: string;
      JWT_ISSUER: string;
      JWT_AUDIENCE: string;
      JWT_PUBLIC_JWKS: string;
      /** The dev origin's root (for its `/__dev/*` fault controls). */
      DEV_ORIGIN_URL: string;
      /** Stand-in identity provider: JWKS at `/jwks.json`, set with `PUT /__dev/jwks`. */
      DEV_IDP_URL: string;
      /** The webhook receiver's root (`/__dev/received`, `/__dev/fault`, `/__dev/secrets`). */
      DEV_WEBHOOK_RECEIVER_URL: string;
    };
    /** The dev issuer's private key (JWK JSON), for signing test tokens. */
    devPrivateJwk: string;
  }
}
