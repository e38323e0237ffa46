/**
 * The security filter (rules in `src/lib/waf`), on every request and every path, known or not,
 * right after the edge config is known: network lists, custom rules, protocol limits, scanner
 * user agents and payload inspection, driven by `c.get("config").security`.
 *
 * - `mode: "block"`: a blocking decision is a `403` `request-blocked` problem that never names
 *   the rule (the rule id is in the log line);
 * - `mode: "log"`: nothing is blocked; would-be blocks are logged (`action: "log"`, `wouldBlock`);
 * - every decision is on the request's log line as `waf: {action, ruleId, ruleIds, class, score,
 *   part, excerpt, wouldBlock, bodyOverflow, error}` (excerpt: at most 120 sanitized characters of
 *   the deciding value, never of credentials);
 * - an internal error of the filter never answers 500: `security.onError` decides (block: 403);
 * - the time spent is the `waf` metric of `Server-Timing`.
 *
 * Bodies of inspectable types (JSON, forms, multipart, XML, text) are read at most
 * `security.inspectBodyBytes` (default 128 KiB) without taking them from the route: JSON with a
 * declared length within that through Hono's body cache and parsed once (the route's
 * `c.req.json()` returns the value the filter inspected), anything else from a clone; a longer body is decided by `security.inspectOverflow`
 * (allow, log or block).
 *
 * @example
 * app.use(requestContext()).use(geo()).use(edgeConfig()).use(bodyLimit()).use(securityFilter())
 */
import type { MiddlewareHandler } from "hono";
import { setMetric } from "hono/timing";
import type { AppEnv } from "../env.ts";
import { waitUntilOf } from "../lib/background.ts";
import { ApiError } from "../lib/errors.ts";
import { bodyKind, evaluateRequest, isAllowlisted, type WafDecision } from "../lib/waf/index.ts";
import { readInspectableBody } from "../lib/waf/read-body.ts";
import { noteBlocked } from "../lib/webhooks/spike.ts";

function logFields(d: WafDecision): Record<string, unknown> {
  const out: Record<string, unknown> = { action: d.action };
  if (d.ruleId !== undefined) out.ruleId = d.ruleId;
  if (d.ruleIds !== undefined && d.ruleIds.length > 1) out.ruleIds = d.ruleIds;
  if (d.class !== undefined) out.class = d.class;
  if (d.score !== undefined) out.score = d.score;
  if (d.part !== undefined) out.part = d.part;
  if (d.excerpt !== undefined && d.action !== "allow") out.excerpt = d.excerpt;
  if (d.wouldBlock) out.wouldBlock = true;
  if (d.bodyOverflow) out.bodyOverflow = true;
  if (d.error !== undefined) out.error = d.error;
  return out;
}

export function securityFilter(): MiddlewareHandler<AppEnv> {
  return async function securityFilter(c, next) {
    const started = performance.now();
    const security = c.get("config").security;
    const visitor = c.get("visitor");
    const raw = c.req.raw;
    let body: string | null = null;
    let bodyTruncated = false;
    let json: { value: unknown } | undefined;
    const kind = raw.body === null ? null : bodyKind(raw.headers.get("content-type"));
    if (kind !== null && !isAllowlisted(security, visitor.ip)) {
      const budget = Math.min(security.inspectBodyBytes, security.maxBodyBytes);
      if (budget === 0) bodyTruncated = true;
      else {
        const prefix = await readInspectableBody(c.req, kind, budget);
        body = prefix?.text ?? null;
        bodyTruncated = prefix?.truncated ?? false;
        json = prefix?.json;
      }
    }
    const decision = evaluateRequest(
      {
        method: raw.method,
        url: raw.url,
        headers: raw.headers,
        // The visitor itself: its country and ASN (`request.cf`) are read only by rules that need them.
        visitor,
        body,
        json,
        bodyTruncated,
      },
      security,
    );
    c.get("log").waf = logFields(decision);
    setMetric(c, "waf", performance.now() - started);
    if (decision.action === "block") {
      // Blocked requests per minute, for the security.spike webhook event (counted after the response).
      noteBlocked(c.env, c.get("config").webhooks?.securitySpikePerMinute ?? 0, waitUntilOf(c));
      throw new ApiError("request-blocked", { detail: "The request was blocked by the security filter." });
    }
    await next();
  };
}
