/**
 * Server-side request forgery: a value that makes the server fetch somewhere it should not.
 * - URLs whose host is a cloud metadata service → always (any parameter, any notation);
 * - URLs to loopback/private/link-local/internal hosts, incl. decimal/hex/octal IPs, IPv4
 *   mapped IPv6, credentials tricks (`http://example.com@127.0.0.1/`) and rebinding names;
 * - schemes that only servers speak: `file:`, `gopher:`, `dict:`, `ldap:`, `tftp:`, `jar:`, …
 * A URL that *is* the value counts fully; one mentioned inside longer text (a doc page saying
 * "open http://localhost:3000") counts less. Browser redirect parameters (`next`, `return_to`,
 * `redirect_uri`) are not fetched by the server: an internal host there is recorded, not blocked.
 * A normal `https://example.com/x` anywhere scores 0.
 */
import type { Finding, Inspected } from "./types.ts";
import { classifyHost, findUrls, hostOf } from "./urls.ts";

const SERVER_SCHEMES = new Set(["file", "gopher", "dict", "ldap", "ldaps", "tftp", "jar", "netdoc", "telnet", "smb", "nfs", "rmi", "iiop"]);
/** Loopback aliases of /etc/hosts files that `classifyHost` does not know by name. */
const LOOPBACK_ALIASES = new Set(["localhost4", "localhost6", "localhost4.localdomain4", "localhost6.localdomain6", "ipv6-localhost", "ipv6-loopback", "ip6-localhost", "ip6-loopback", "loopback"]);
/** Internal names a browser never navigates to: they count fully even in redirect parameters. */
const SERVER_ONLY_HOST = /(?:^|\.)(?:docker|containers)\.internal$|\.svc(?:\.cluster\.local)?$|^kubernetes(?:\.default)?\b|\.cluster\.local$|^metadata\b|^instance-data\b/;
const REDIRECT_PARAMS = new Set(["next", "return", "return_to", "returnto", "return_url", "returnurl", "redirect", "redirect_uri", "redirect_url", "redirecturl", "continue", "goto", "back", "came_from", "success_url", "cancel_url", "origin", "referer", "referrer"]);

/** SSRF score of one (normalised) value. */
export function detectSsrf(v: Inspected): Finding | null {
  const text = v.text.trim();
  let best: Finding | null = null;
  const take = (score: number, ruleId: string) => {
    if (!best || score > best.score) best = { ruleId, score };
  };
  const redirectParam = v.field.name !== null && REDIRECT_PARAMS.has(v.field.name);
  const kindOf = (host: string) => (LOOPBACK_ALIASES.has(host) ? "internal" : classifyHost(host));
  for (const url of findUrls(text)) {
    // At the start: alone, or inside a wrapper scheme (`jar:http://…!/`).
    const atStart = url.index === 0 || /^[\s"'(<[]*(?:[a-z]{2,10}:)?$/i.test(text.slice(0, url.index));
    if (SERVER_SCHEMES.has(url.scheme)) {
      // `file:` is also traversal's business; gopher/dict/ldap have no business in a parameter at all.
      take(atStart ? 6 : url.scheme === "file" ? 3 : 5, "ssrf-scheme");
      continue;
    }
    const kind = kindOf(url.host);
    if (kind === "metadata") take(7, "ssrf-cloud-metadata");
    // The value *is* the URL (a URL followed by prose is a sentence, not something a server fetches).
    const whole = atStart && text.slice(url.index).search(/\s/) === -1;
    if (kind === "internal") take(redirectParam && !SERVER_ONLY_HOST.test(url.host) ? 3 : whole ? 6 : 3, "ssrf-internal-host");
    else if (kind === "obfuscated") take(whole ? 5 : 3, "ssrf-obfuscated-ip");
  }
  // Scheme-less: `169.254.169.254/latest/meta-data`, `localhost:6379`, `[::1]:22`.
  // A host followed by a path or port is a fetch target; a bare `localhost` is a word (`server=localhost`).
  if (best === null && /^[\w.[\]:-]{1,80}(?:[/:?#]|$)/.test(text)) {
    const host = hostOf(text.split(/[/?#\s]/, 1)[0] ?? "");
    const kind = kindOf(host);
    const target = /^[\w.[\]:-]{1,80}(?::\d{1,5})?[/?#]/.test(text) || /^[\w.-]{1,80}:\d{1,5}$/.test(text) || /^\[[\w:.%]{2,60}\](?::\d{1,5})?$/.test(text);
    // Names (`localhost/`, `host.docker.internal:2375`) or full dotted addresses, not sizes (`32/34`) or CIDRs (`10.0.0.0/8`).
    const hostLike = /[a-z]/.test(host) ? !/^[\d.]+$/.test(host) : /^\d{1,3}(?:\.\d{1,3}){3}$/.test(host) && !/^[\d.]+\/\d{1,3}$/.test(text);
    if (kind === "metadata") take(6, "ssrf-cloud-metadata");
    else if (kind === "internal" && target && hostLike && !/\s/.test(text) && (!redirectParam || SERVER_ONLY_HOST.test(host))) take(5, "ssrf-internal-host");
    else if (kind === "internal" && hostLike && /[:/]/.test(text) && !redirectParam) take(3, "ssrf-internal-host");
  }
  // `http:127.0.0.1`, `http:\\localhost`: a scheme without its slashes that lenient URL parsers still follow.
  const bare = /^(?:https?|ftp|gopher|dict):(?!\/\/)[\\/]?([\w.[\]:%-]{1,80})/i.exec(text);
  if (bare !== null) {
    const kind = kindOf(hostOf(bare[1]!));
    if (kind === "metadata") take(6, "ssrf-cloud-metadata");
    else if (kind === "internal" || kind === "obfuscated") take(5, "ssrf-internal-host");
  }
  // `file:/etc/passwd`, `file:c:/…` (no `//`).
  if (/^file:\/{0,3}(?:[a-z]:)?[/\\]?[\w.~%-]/i.test(text)) take(6, "ssrf-scheme");
  return best;
}
