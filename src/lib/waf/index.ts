/**
 * The security filter's decision for one request: pure, synchronous, no I/O (the middleware
 * reads the body; Node runs this file directly for the evaluation corpus). In order:
 *
 * 1. `allowedIps` → allow, nothing else is checked;
 * 2. `blockedIps`, `blockedCountries`, `blockedAsns`, `blockedUserAgents` → block;
 * 3. custom `rules` in order: the first `allow` or `block` that matches wins (an `allow` skips
 *    every check below); `log` rules are recorded and evaluation goes on;
 * 4. protocol limits (method, URL length, headers, query arguments, percent-encoding);
 * 5. the built-in scanner / attack-tool user agents;
 * 6. payload inspection of path, query (names and values), cookies (names and values), every
 *    header and the body: each finding (rule id, class, score, paranoia level) that is counted
 *    (level <= `paranoiaLevel`, not excluded, not `off`/`log` in `ruleActions`) adds its score
 *    (a long text in a body field adds only its strongest); the request is blocked when the
 *    sum reaches `anomalyThreshold`;
 * 7. a body longer than `inspectBodyBytes` is decided by `inspectOverflow`.
 *
 * `mode: "log"` turns every block into `action: "log"` with `wouldBlock: true`.
 */
import { clientAddress, compileNetwork, isAllowedIp, isBlockedIp, ruleMatches } from "./network.ts";
import { inspectField, type ValueFinding } from "./inspect.ts";
import { percentDecode } from "./normalize.ts";
import { CONDENSE_MIN } from "./types.ts";
import { partLabel, splitTarget, visitBody, visitHeadersAndTarget } from "./parts.ts";
import { protocolViolation } from "./protocol.ts";
import { scannerName } from "./scanners.ts";
import {
  BLOCK_SCORE,
  type Field,
  type SecurityConfig,
  type WafClass,
  type WafDecision,
  type WafMatch,
  type WafRequest,
} from "./types.ts";

export type {
  AttackClass,
  SecurityConfig,
  WafAction,
  WafClass,
  WafDecision,
  WafMatch,
  WafRequest,
  WafVisitor,
} from "./types.ts";
export { BLOCK_SCORE } from "./types.ts";
export { bodyKind } from "./parts.ts";
export { PROTOCOL_LIMITS, ALLOWED_METHODS } from "./protocol.ts";
export { compileNetwork } from "./network.ts";

/** Score given to definitive rule decisions (lists, custom rules, protocol, scanners). */
const RULE_SCORE = 10;

function finish(security: SecurityConfig, decision: WafDecision): WafDecision {
  if (decision.action === "block" && security.mode === "log") return { ...decision, action: "log", wouldBlock: true };
  return decision;
}

function ruleDecision(
  security: SecurityConfig,
  action: "allow" | "block",
  ruleId: string,
  cls: WafClass,
  part: string,
  matches: WafMatch[],
): WafDecision {
  const score = action === "block" ? RULE_SCORE : 0;
  matches.push({ ruleId, class: cls, score, part });
  return finish(security, { action, ruleId, class: cls, score, part, matches });
}

/** Whether `security.allowedIps` lets this client skip the filter (the middleware then reads no body). */
export function isAllowlisted(security: SecurityConfig, ip: string | null): boolean {
  return isAllowedIp(compileNetwork(security), clientAddress(ip));
}

/** Exclusions compiled once per config object. */
interface CompiledExclusion {
  rules: ReadonlySet<string> | null;
  classes: ReadonlySet<string> | null;
  pathPrefix: string | undefined;
  parameters: ReadonlySet<string> | null;
  headers: ReadonlySet<string> | null;
}
const exclusionCache = new WeakMap<SecurityConfig, readonly CompiledExclusion[]>();

function compiledExclusions(security: SecurityConfig): readonly CompiledExclusion[] {
  let out = exclusionCache.get(security);
  if (out === undefined) {
    const set = (list: readonly string[] | undefined, lower = false) =>
      list === undefined || list.length === 0 ? null : new Set(lower ? list.map((x) => x.toLowerCase()) : list);
    out = (security.exclusions ?? []).map((e) => ({
      rules: set(e.rules),
      classes: set(e.classes),
      pathPrefix: e.pathPrefix,
      parameters: set(e.parameters, true),
      headers: set(e.headers, true),
    }));
    exclusionCache.set(security, out);
  }
  return out;
}

const HEADER_KINDS: ReadonlySet<string> = new Set(["header", "user-agent", "referer"]);

/** Whether an exclusion removes this finding (rule or class named; path and field in scope). */
function excluded(list: readonly CompiledExclusion[], f: ValueFinding, field: Field, path: string): boolean {
  for (const e of list) {
    if (!(e.rules?.has(f.ruleId) || e.classes?.has(f.cls))) continue;
    if (e.pathPrefix !== undefined && !path.startsWith(e.pathPrefix)) continue;
    if (e.parameters === null && e.headers === null) return true;
    const isHeader = HEADER_KINDS.has(field.kind) || field.where === "header";
    if (isHeader) {
      if (e.headers !== null && field.name !== null && e.headers.has(field.name)) return true;
    } else if (e.parameters !== null && field.kind !== "path") {
      // A parameter is named by its own name or, in JSON, by its key path (`items.0.code`).
      if (
        (field.name !== null && e.parameters.has(field.name)) ||
        (field.key !== null && e.parameters.has(field.key.toLowerCase()))
      )
        return true;
    }
  }
  return false;
}

/** The host of an absolute URL (lower case), or null. */
function hostOf(url: string): string | null {
  const m = /^[a-z][a-z0-9+.-]{0,20}:\/\/(?:[^/?#@]{0,256}@)?(\[[^\]]{1,64}\]|[^/?#:]{1,253})/i.exec(url);
  return m ? m[1]!.toLowerCase() : null;
}

/** The Referer is this site itself, or a site under the same parent domain (`www.` and `shop.` of `example.com`). */
function sameSiteReferer(url: string, referer: string | null): boolean {
  if (referer === null) return false;
  const a = hostOf(url);
  const b = hostOf(referer);
  if (a === null || b === null) return false;
  if (a === b) return true;
  const parent = (h: string) => h.split(".").slice(-2).join(".");
  return a.includes(".") && parent(a) === parent(b);
}

/** Header values and parameters that carry credentials: never put into a log excerpt. */
const SECRET_NAME = /auth|token|secret|passw|session|sess_?id|api[-_]?key|cookie|jwt|bearer|csrf|xsrf/i;
const EXCERPT_MAX = 120;

/** At most 120 characters of the value for the log line, control and line-separator characters as `?`; credentials never. */
export function excerptOf(field: Field): string {
  if (field.name !== null && SECRET_NAME.test(field.name) && field.kind !== "name") return "[redacted]";
  const v = field.value.length > EXCERPT_MAX ? `${field.value.slice(0, EXCERPT_MAX - 1)}…` : field.value;
  return v.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, "?");
}

/**
 * Decides what to do with a request. Never throws: an internal error (a bug) is caught and the
 * request is decided by `security.onError` (`block` by default) with rule id `waf-internal-error`.
 *
 * @example
 * const decision = evaluateRequest(
 *   { method: "GET", url: "/search?q=1%27%20OR%201%3D1--", headers: new Headers(), visitor: { ip: "203.0.113.7", country: "DE", asn: 3320 } },
 *   config.security,
 * );
 * decision.action; // "block" (ruleId "sqli-tautology", class "sqli")
 */
export function evaluateRequest(req: WafRequest, security: SecurityConfig): WafDecision {
  try {
    return decide(req, security);
  } catch (error) {
    return internalError(security, error instanceof Error ? error.name : "error", "request");
  }
}

function internalError(security: SecurityConfig, error: string, part: string): WafDecision {
  const block = security.onError !== "allow";
  const m: WafMatch = { ruleId: "waf-internal-error", class: "protocol", score: block ? RULE_SCORE : 0, part };
  return finish(security, {
    action: block ? "block" : "allow",
    ruleId: m.ruleId,
    class: m.class,
    score: m.score,
    part,
    error,
    matches: [m],
  });
}

/** A long text value of a JSON or form field of the body (what `withoutProse` condenses). */
function longText(field: Field): boolean {
  return field.kind === "body" && field.where === "body" && field.key !== null && field.value.length > CONDENSE_MIN;
}

function decide(req: WafRequest, security: SecurityConfig): WafDecision {
  const net = compileNetwork(security);
  const matches: WafMatch[] = [];
  const addr = clientAddress(req.visitor.ip);

  if (isAllowedIp(net, addr))
    return ruleDecision(security, "allow", "network-allowed-ip", "network", "client", matches);
  if (isBlockedIp(net, addr))
    return ruleDecision(security, "block", "network-blocked-ip", "network", "client", matches);
  // `visitor.country` and `.asn` may be computed on first read (`LazyVisitorGeo`): only when needed.
  if (net.countries.size > 0 && req.visitor.country !== null && net.countries.has(req.visitor.country))
    return ruleDecision(security, "block", "network-blocked-country", "network", "client", matches);
  if (net.asns.size > 0 && req.visitor.asn !== null && net.asns.has(req.visitor.asn))
    return ruleDecision(security, "block", "network-blocked-asn", "network", "client", matches);
  // Headers are read once: iterating `Headers` is the costly part of a request's inspection.
  const headers: Array<readonly [string, string]> = [];
  let ua = "";
  let contentType: string | null = null;
  for (const pair of req.headers) {
    headers.push(pair);
    if (pair[0] === "user-agent") ua = pair[1];
    else if (pair[0] === "content-type") contentType = pair[1];
  }
  const header = (name: string): string | null => headers.find((h) => h[0] === name)?.[1] ?? null;
  if (net.userAgents.length > 0 && ua !== "") {
    const lua = ua.toLowerCase();
    if (net.userAgents.some((blocked) => lua.includes(blocked)))
      return ruleDecision(security, "block", "user-agent-blocked", "user-agent", "header:user-agent", matches);
  }

  const method = req.method.toUpperCase();
  const target = splitTarget(req.url);
  const path = percentDecode(target.path);
  let logged: WafMatch | undefined;
  const subject = { method, path, visitor: req.visitor, header };
  for (const rule of net.rules) {
    if (!ruleMatches(rule, subject)) continue;
    if (rule.action === "log") {
      const m: WafMatch = { ruleId: rule.id, class: "custom", score: 0, part: "rule" };
      matches.push(m);
      logged ??= m;
      continue;
    }
    return ruleDecision(security, rule.action, rule.id, "custom", "rule", matches);
  }

  const violation = protocolViolation({ method, path: target.path, query: target.query, headers });
  if (violation !== null) return ruleDecision(security, "block", violation, "protocol", "request", matches);
  if (ua !== "" && scannerName(ua) !== null)
    return ruleDecision(security, "block", "scanner-user-agent", "scanner", "header:user-agent", matches);

  // Anomaly scoring: every counted finding adds its score once per rule id (its strongest);
  // findings above the paranoia level, excluded ones and rules turned off do not count; rules in
  // `log` mode are recorded only. The request is blocked when the sum reaches the threshold.
  const paranoia = security.paranoiaLevel ?? 1;
  const threshold = security.anomalyThreshold ?? BLOCK_SCORE;
  const ruleActions = security.ruleActions ?? {};
  const exclusions = compiledExclusions(security);
  // A session id in the URL is fixation only when another site sent the visitor here (CRS 943110).
  let sameSite: boolean | undefined;
  const fromThisSite = () => (sameSite ??= sameSiteReferer(req.url, header("referer")));
  const perRule = new Map<string, { m: WafMatch; field: Field }>();
  let total = 0;
  let error: { ruleId: string; error: string; part: string } | undefined;
  let logOnly: { m: WafMatch; field: Field } | undefined;
  /** Adds a counted finding: once per rule id, with its strongest score. */
  const count = (m: WafMatch, field: Field): void => {
    matches.push(m);
    const prev = perRule.get(m.ruleId);
    if (prev === undefined) {
      perRule.set(m.ruleId, { m, field });
      total += m.score;
    } else if (m.score > prev.m.score) {
      total += m.score - prev.m.score;
      perRule.set(m.ruleId, { m, field });
    }
  };
  const visit = (field: Field): boolean => {
    const found = inspectField(field);
    if (found.length === 0) return false;
    // A long text posted in a field (a comment, a post, a prompt): what its detectors find far
    // apart does not add up; only its strongest counted finding adds to the score (`' or` in one
    // paragraph and a `../` in another are two harmless things, not one attack).
    const strongestOnly = found.length > 1 && longText(field);
    let strongest: WafMatch | undefined;
    for (const f of found) {
      if (f.error !== undefined) {
        error ??= { ruleId: f.ruleId, error: f.error, part: partLabel(field) };
        continue;
      }
      if ((f.pl ?? 1) > paranoia || (f.ruleId === "fixation-session-param" && fromThisSite())) continue;
      const action = Object.hasOwn(ruleActions, f.ruleId) ? ruleActions[f.ruleId] : undefined;
      if (action === "off" || (exclusions.length > 0 && excluded(exclusions, f, field, path))) continue;
      const m: WafMatch = { ruleId: f.ruleId, class: f.cls, score: f.score, part: partLabel(field) };
      if (action === "log") {
        m.logOnly = true;
        matches.push(m);
        if (logOnly === undefined || m.score > logOnly.m.score) logOnly = { m, field };
        continue;
      }
      if (strongestOnly) {
        if (strongest === undefined || m.score > strongest.score) strongest = m;
        continue;
      }
      count(m, field);
    }
    if (strongest !== undefined) count(strongest, field);
    // Once the threshold is reached the rest of the request cannot undo it.
    return total >= threshold;
  };
  if (!visitHeadersAndTarget(target, path, headers, visit) && req.body)
    visitBody(req.body, contentType, visit, req.json);

  if (error !== undefined && total < threshold) {
    const d = internalError(security, error.error, error.part);
    return { ...d, ruleId: error.ruleId, matches: [...matches, ...d.matches] };
  }
  const ranked = [...perRule.values()].sort((a, b) => b.m.score - a.m.score);
  const top = ranked[0];
  const overflow = req.bodyTruncated === true;
  const extra = overflow ? { bodyOverflow: true } : {};
  if (top !== undefined && total >= threshold) {
    return finish(security, {
      action: "block",
      ruleId: top.m.ruleId,
      class: top.m.class,
      score: total,
      anomalyScore: total,
      ruleIds: ranked.map((r) => r.m.ruleId),
      part: top.m.part,
      excerpt: excerptOf(top.field),
      matches,
      ...extra,
    });
  }
  if (overflow && security.inspectOverflow === "block") {
    const d = ruleDecision(security, "block", "body-inspection-overflow", "protocol", "body", matches);
    return { ...d, bodyOverflow: true };
  }
  if (logOnly !== undefined && logOnly.m.score + total >= threshold) {
    return {
      action: "log",
      ruleId: logOnly.m.ruleId,
      class: logOnly.m.class,
      score: logOnly.m.score + total,
      anomalyScore: total,
      wouldBlock: true,
      part: logOnly.m.part,
      excerpt: excerptOf(logOnly.field),
      matches,
      ...extra,
    };
  }
  if (logged !== undefined)
    return { action: "log", ruleId: logged.ruleId, class: "custom", score: total, part: "rule", matches, ...extra };
  if (overflow && security.inspectOverflow === "log")
    return {
      action: "log",
      ruleId: "body-inspection-overflow",
      class: "protocol",
      score: total,
      part: "body",
      matches,
      ...extra,
    };
  // Below the threshold: allowed, with the strongest signal kept for the log line.
  if (top !== undefined)
    return {
      action: "allow",
      ruleId: top.m.ruleId,
      class: top.m.class,
      score: total,
      anomalyScore: total,
      part: top.m.part,
      matches,
      ...extra,
    };
  return { action: "allow", matches, ...extra };
}
