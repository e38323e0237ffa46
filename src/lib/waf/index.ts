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
 * 6. payload inspection of path, query, cookies, User-Agent, Referer, other headers (lightly)
 *    and the body: the strongest finding with a score >= 5 blocks.
 *
 * `mode: "log"` turns every block into `action: "log"` with `wouldBlock: true`.
 */
import { clientAddress, compileNetwork, isAllowedIp, isBlockedIp, ruleMatches } from "./network.ts";
import { inspectField, type ValueFinding } from "./inspect.ts";
import { percentDecode } from "./normalize.ts";
import { partLabel, splitTarget, visitBody, visitHeadersAndTarget } from "./parts.ts";
import { protocolViolation } from "./protocol.ts";
import { scannerName } from "./scanners.ts";
import { BLOCK_SCORE, type SecurityConfig, type WafClass, type WafDecision, type WafMatch, type WafRequest } from "./types.ts";

export type { AttackClass, SecurityConfig, WafAction, WafClass, WafDecision, WafMatch, WafRequest, WafVisitor } from "./types.ts";
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

function ruleDecision(security: SecurityConfig, action: "allow" | "block", ruleId: string, cls: WafClass, part: string, matches: WafMatch[]): WafDecision {
  const score = action === "block" ? RULE_SCORE : 0;
  matches.push({ ruleId, class: cls, score, part });
  return finish(security, { action, ruleId, class: cls, score, part, matches });
}

/** Whether `security.allowedIps` lets this client skip the filter (the middleware then reads no body). */
export function isAllowlisted(security: SecurityConfig, ip: string | null): boolean {
  return isAllowedIp(compileNetwork(security), clientAddress(ip));
}

/**
 * Decides what to do with a request.
 *
 * @example
 * const decision = evaluateRequest(
 *   { method: "GET", url: "/search?q=1%27%20OR%201%3D1--", headers: new Headers(), visitor: { ip: "203.0.113.7", country: "DE", asn: 3320 } },
 *   config.security,
 * );
 * decision.action; // "block" (ruleId "sqli-tautology", class "sqli")
 */
export function evaluateRequest(req: WafRequest, security: SecurityConfig): WafDecision {
  const net = compileNetwork(security);
  const matches: WafMatch[] = [];
  const addr = clientAddress(req.visitor.ip);

  if (isAllowedIp(net, addr)) return ruleDecision(security, "allow", "network-allowed-ip", "network", "client", matches);
  if (isBlockedIp(net, addr)) return ruleDecision(security, "block", "network-blocked-ip", "network", "client", matches);
  if (req.visitor.country !== null && net.countries.has(req.visitor.country)) return ruleDecision(security, "block", "network-blocked-country", "network", "client", matches);
  if (req.visitor.asn !== null && net.asns.has(req.visitor.asn)) return ruleDecision(security, "block", "network-blocked-asn", "network", "client", matches);
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
    if (net.userAgents.some((blocked) => lua.includes(blocked))) return ruleDecision(security, "block", "user-agent-blocked", "user-agent", "header:user-agent", matches);
  }

  const method = req.method.toUpperCase();
  const target = splitTarget(req.url);
  const path = percentDecode(target.path);
  let logged: WafMatch | undefined;
  for (const rule of net.rules) {
    if (!ruleMatches(rule, { method, path, country: req.visitor.country, header })) continue;
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
  if (ua !== "" && scannerName(ua) !== null) return ruleDecision(security, "block", "scanner-user-agent", "scanner", "header:user-agent", matches);

  let top: WafMatch | undefined;
  const visit = (field: Parameters<typeof inspectField>[0]): boolean => {
    const f: ValueFinding | null = inspectField(field);
    if (f === null) return false;
    const m: WafMatch = { ruleId: f.ruleId, class: f.cls, score: f.score, part: partLabel(field) };
    matches.push(m);
    if (top === undefined || m.score > top.score) top = m;
    // A blocking finding ends the inspection: the rest of the request cannot undo it.
    return f.score >= BLOCK_SCORE;
  };
  if (!visitHeadersAndTarget(target, path, headers, visit) && req.body) visitBody(req.body, contentType, visit);

  const found = top as WafMatch | undefined;
  if (found !== undefined && found.score >= BLOCK_SCORE) {
    return finish(security, { action: "block", ruleId: found.ruleId, class: found.class, score: found.score, part: found.part, matches });
  }
  if (logged !== undefined) return { action: "log", ruleId: logged.ruleId, class: "custom", score: found?.score ?? 0, part: "rule", matches };
  // Below the threshold: allowed, with the strongest signal kept for the log line.
  if (found !== undefined) return { action: "allow", ruleId: found.ruleId, class: found.class, score: found.score, part: found.part, matches };
  return { action: "allow", matches };
}
