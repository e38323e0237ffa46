/**
 * Rate-limit policies from the edge config: which apply to a request, under which key, and
 * the IETF RateLimit / RateLimit-Policy header values (draft-ietf-httpapi-ratelimit-headers,
 * structured-field form: `"api";q=100;w=60` and `"api";r=42;t=17`).
 */
import type { EdgeConfigDocument } from "../config/schema.ts";

export type RateLimitPolicy = EdgeConfigDocument["rateLimits"][number];

export interface RequestFacts {
  path: string;
  method: string;
  country: string | null;
}

export function policiesFor(policies: readonly RateLimitPolicy[], req: RequestFacts): RateLimitPolicy[] {
  return policies.filter((p) => {
    const m = p.match;
    if (m.pathPrefix && !req.path.startsWith(m.pathPrefix)) return false;
    if (m.methods && m.methods.length > 0 && !m.methods.includes(req.method as (typeof m.methods)[number]))
      return false;
    if (m.countries && m.countries.length > 0 && (req.country === null || !m.countries.includes(req.country)))
      return false;
    return true;
  });
}

/** Structured-field string: policy ids are tokens we control, but quote and escape anyway. */
const sfString = (s: string) => `"${s.replace(/["\\]/g, (ch) => `\\${ch}`)}"`;

/** Per policy object of the config snapshot (the same objects serve every request until the config changes). */
const policyHeaders = new WeakMap<RateLimitPolicy, string>();

export function policyHeader(p: RateLimitPolicy): string {
  let value = policyHeaders.get(p);
  if (value === undefined) {
    value = `${sfString(p.id)};q=${p.limit};w=${p.windowSeconds}`;
    policyHeaders.set(p, value);
  }
  return value;
}

export const stateHeader = (p: RateLimitPolicy, remaining: number, resetSeconds: number) =>
  `${sfString(p.id)};r=${Math.max(0, remaining)};t=${Math.max(0, resetSeconds)}`;
