/**
 * Requests for the security filter's decision function (`evaluateRequest`) in the waf-*.test.ts
 * files: a browser User-Agent, an ordinary public visitor, the config's defaults.
 */
// zod-openapi must extend zod before the config schema is built (as src/app.ts does first).
import "@hono/zod-openapi";
import { edgeConfigSchema } from "../../src/lib/config/schema.ts";
import { evaluateRequest, type SecurityConfig, type WafDecision, type WafRequest } from "../../src/lib/waf/index.ts";

/** The `security` section with these settings over the defaults (validated as an admin write is). */
export const security = (s: Record<string, unknown> = {}): SecurityConfig =>
  edgeConfigSchema.parse({ security: s }).security;
export const DEFAULT = security();
export const BROWSER =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15";

export interface Req {
  method?: string;
  url?: string;
  headers?: Record<string, string>;
  ip?: string | null;
  country?: string | null;
  asn?: number | null;
  body?: string;
}

export function req(r: Req = {}): WafRequest {
  return {
    method: r.method ?? "GET",
    url: r.url ?? "https://edge.test/v1/products?page=2",
    headers: new Headers({ "user-agent": BROWSER, ...r.headers }),
    visitor: {
      ip: r.ip === undefined ? "203.0.113.7" : r.ip,
      country: r.country === undefined ? "DE" : r.country,
      asn: r.asn === undefined ? 3320 : r.asn,
    },
    body: r.body ?? null,
  };
}

export const evaluate = (r: Req, s: SecurityConfig = DEFAULT): WafDecision => evaluateRequest(req(r), s);
