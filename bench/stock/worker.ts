/**
 * The stock reference for `npm run bench`: the same routes as the app, assembled the way the
 * Hono and Upstash docs show, from `hono/logger`, `hono/request-id`, `hono/secure-headers`,
 * `hono/cors`, `hono/jwk` (the same inline JWKS, issuer, audience and ES256/EdDSA/RS256) and
 * `@upstash/ratelimit` (sliding window, one instance per isolate, on the same Redis). It is
 * what the app is measured against: our middleware should cost no more than this does.
 *
 * - `GET /healthz`: the middleware chain and a JSON answer;
 * - `GET /v1/geo`: the visitor's `request.cf` fields plus a locale from `Accept-Language`;
 * - `GET /v1/me`: a verified token's subject and roles, plus the same geo fields;
 * - `GET /ratelimited/v1/geo`: `/v1/geo` behind the rate limit (by client address).
 */
import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis/cloudflare";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { HonoJsonWebKey } from "hono/utils/jwt/jws";
import { jwk } from "hono/jwk";
import { logger } from "hono/logger";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";

interface StockEnv {
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN: string;
  JWT_PUBLIC_JWKS: string;
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
}

/** The same limit as the bench's policy on the app: never reached, every request is counted. */
const STOCK_LIMIT = 1_000_000;

// Built on the first request (they need its env), then kept for the isolate.
let ratelimit: Ratelimit | undefined;
let keys: HonoJsonWebKey[] | undefined;
let meAuth: MiddlewareHandler | undefined;

function limiter(env: StockEnv): Ratelimit {
  ratelimit ??= new Ratelimit({
    redis: new Redis({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN, enableTelemetry: false }),
    limiter: Ratelimit.slidingWindow(STOCK_LIMIT, "60 s"),
    prefix: "stock",
    ephemeralCache: new Map(),
  });
  return ratelimit;
}

function geo(c: Context) {
  const cf = (c.req.raw.cf ?? {}) as Record<string, unknown>;
  const language = c.req.header("accept-language")?.split(",")[0]?.split(";")[0]?.trim();
  return {
    country: cf.country ?? null,
    region: cf.region ?? null,
    city: cf.city ?? null,
    continent: cf.continent ?? null,
    timezone: cf.timezone ?? null,
    latitude: cf.latitude ?? null,
    longitude: cf.longitude ?? null,
    colo: cf.colo ?? null,
    asn: cf.asn ?? null,
    isEU: cf.isEUCountry === "1",
    locale: language || "en",
  };
}

const app = new Hono<{ Bindings: StockEnv; Variables: { jwtPayload: { sub?: string; roles?: unknown } } }>();
app.use(logger());
app.use(requestId());
app.use(secureHeaders());
app.use(cors());

app.get("/healthz", (c) => c.json({ status: "ok" }));
app.get("/v1/geo", (c) => c.json(geo(c), 200, { "cache-control": "private, no-store" }));
app.get("/ratelimited/v1/geo", async (c) => {
  const ip = c.req.header("cf-connecting-ip") ?? "unknown";
  const { success, reset } = await limiter(c.env).limit(ip);
  if (!success)
    return c.json({ error: "rate limited" }, 429, {
      "retry-after": String(Math.max(1, Math.ceil((reset - Date.now()) / 1000))),
    });
  return c.json(geo(c), 200, { "cache-control": "private, no-store" });
});
app.use("/v1/me", (c, next) => {
  meAuth ??= jwk({
    keys: (keys ??= (JSON.parse(c.env.JWT_PUBLIC_JWKS) as { keys: HonoJsonWebKey[] }).keys),
    alg: ["ES256", "EdDSA", "RS256"],
    verification: { iss: c.env.JWT_ISSUER, aud: c.env.JWT_AUDIENCE },
  });
  return meAuth(c, next);
});
app.get("/v1/me", (c) => {
  const payload = c.get("jwtPayload");
  return c.json({ sub: payload.sub, roles: payload.roles ?? [], geo: geo(c) }, 200, {
    "cache-control": "private, no-store",
  });
});

export default app;
