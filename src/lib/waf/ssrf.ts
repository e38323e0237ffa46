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
import { classifyHost, hostOf } from "./urls.ts";

// oxfmt-ignore
const SERVER_SCHEMES = new Set(["file", "gopher", "dict", "ldap", "ldaps", "tftp", "jar", "netdoc", "telnet", "smb", "nfs", "rmi", "iiop"]);
/** Loopback aliases of /etc/hosts files that `classifyHost` does not know by name. */
const LOOPBACK_ALIASES = new Set([
  "localhost4",
  "localhost6",
  "localhost4.localdomain4",
  "localhost6.localdomain6",
  "ipv6-localhost",
  "ipv6-loopback",
  "ip6-localhost",
  "ip6-loopback",
  "loopback",
]);
/** Internal names a browser never navigates to: they count fully even in redirect parameters. */
const SERVER_ONLY_HOST =
  /(?:^|\.)(?:docker|containers)\.internal$|\.svc(?:\.cluster\.local)?$|^kubernetes(?:\.default)?\b|\.cluster\.local$|^metadata\b|^instance-data\b/;
// oxfmt-ignore
const REDIRECT_PARAMS = new Set(["next", "return", "return_to", "returnto", "return_url", "returnurl", "redirect", "redirect_uri", "redirect_url", "redirecturl", "continue", "goto", "back", "came_from", "success_url", "cancel_url", "origin", "referer", "referrer"]);

/** `/` or `\`: two of them after a colon start an authority (`://`, `:\\`, `:/\`, `:\/`). */
function isSep(c: number): boolean {
  return c === 47 || c === 92;
}
const AUTHORITY_END_ASCII = new Uint8Array(128);
for (const c of "/?#\\\"'<>`! \t\n\v\f\r") AUTHORITY_END_ASCII[c.charCodeAt(0)] = 1;
/** Where an authority ends: `/?#\"'<>\`!` or whitespace (as `\s` means it). */
function endsAuthority(c: number): boolean {
  if (c < 128) return AUTHORITY_END_ASCII[c] === 1;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}
const REST_END = /[\s"'<>`]/;
const MAX_URLS = 16;

function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

function isSchemeChar(c: number): boolean {
  return isLetter(c) || (c >= 48 && c <= 57) || c === 43 || c === 46 || c === 45;
}

/** Only hex digits, `:` and `.` (and a zone) can be an IPv6 address. */
const IPV6_CHARS = /^[0-9a-f:.]+(?:%.*)?$/;
type Kind = ReturnType<typeof classifyHost>;
/** Hosts seen recently (the same few hosts come again and again: `example.com`, the site's own). */
const kinds = new Map<string, Kind>();

/** Where a host points (`classifyHost`, plus the /etc/hosts loopback aliases). */
function kindOf(host: string): Kind {
  if (LOOPBACK_ALIASES.has(host)) return "internal";
  // Two or more colons and not an address (`2026-11-01t00:00:00z`): no URL parser connects to that.
  if (host.includes(":") && !IPV6_CHARS.test(host)) return "other";
  let kind = kinds.get(host);
  if (kind === undefined) {
    kind = classifyHost(host);
    if (kinds.size >= 512) kinds.clear();
    kinds.set(host, kind);
  }
  return kind;
}

/** What can start a scheme-less fetch target (`localhost:6379`, `10.0.0.1/admin`, `[::1]:22`): one token. */
const SCHEMELESS = /^[\w.[\]:-]{1,80}(?:[/:?#]|$)/;
/** `http:127.0.0.1`, `http:\\localhost`: a scheme without its slashes that lenient URL parsers still follow. */
const BARE = /^(?:https?|ftp|gopher|dict):(?!\/\/)[\\/]?([\w.[\]:%-]{1,80})/i;
/** `file:/etc/passwd`, `file:c:/…` (no `//`). */
const BARE_FILE = /^file:\/{0,3}(?:[a-z]:)?[/\\]?[\w.~%-]/i;

/** A leading host name that is internal or a metadata service (`localhost`, `metadata.google.internal`, `x.local`). */
const HOST_WORD =
  /^\s*[\w.-]{0,80}(?:localhost\d?|loopback|metadata|instance-data|internal|local|localdomain\d?|\.me)\b/;

/**
 * Cheap test (the class's gate): a scheme, port or IPv6 colon, a value that starts with an address
 * (`10.0.0.1/x`, `[::1]`), or one that starts with an internal host name.
 */
const HOST_DOTS = /[\u3002\uff61]/;
const HOST_DOTS_ALL = /[\u3002\uff61]/g;

export function ssrfGate(t: string, l: string): boolean {
  if (t.includes(":")) return true;
  const c = t.charCodeAt(0);
  if ((c >= 48 && c <= 57) || c === 91) return true;
  if (c <= 32 && /^\s*[\d[]/.test(t)) return true;
  return HOST_WORD.test(l);
}

/**
 * SSRF score of one (normalised) value. URLs are found as `findUrls` (urls.ts) finds them (same
 * scheme, host and index), but only at the few `:` followed by two slashes, not by trying every
 * letter as the start of a scheme.
 */
export function detectSsrf(v: Inspected): Finding | null {
  // URL parsers read the ideographic full stops (`127。0。0。1`) as the dots of a host name (IDNA);
  // NFKC already made the fullwidth one a `.`.
  const text = (HOST_DOTS.test(v.text) ? v.text.replace(HOST_DOTS_ALL, ".") : v.text).trim();
  let score = 0;
  let ruleId = "";
  const redirectParam = v.field.name !== null && REDIRECT_PARAMS.has(v.field.name);
  // The value starts with `http://` / `https://` (its scheme-less reading is then the host `http`).
  let webUrlAtStart = false;
  if (text.indexOf(":") !== -1) {
    let from = 0;
    let urls = 0;
    for (let colon = text.indexOf(":"); colon !== -1 && urls < MAX_URLS; colon = text.indexOf(":", colon + 1)) {
      if (!isSep(text.charCodeAt(colon + 1)) || !isSep(text.charCodeAt(colon + 2))) continue;
      // The scheme: the leftmost letter of the scheme characters right before the colon, at most 16.
      let at = colon;
      while (at > from && colon - at < 16 && isSchemeChar(text.charCodeAt(at - 1))) at--;
      while (at < colon && !isLetter(text.charCodeAt(at))) at++;
      if (at === colon) continue;
      const start = colon + 3;
      from = start;
      let end = start;
      const limit = Math.min(text.length, start + 512);
      while (end < limit && !endsAuthority(text.charCodeAt(end))) end++;
      // `file://` with nothing after it is a mention, not a target.
      if (end === start && (end === text.length || REST_END.test(text[end]!))) continue;
      urls++;
      const scheme = text.slice(at, colon).toLowerCase();
      if (at === 0 && (scheme === "http" || scheme === "https") && text.charCodeAt(colon + 1) === 47)
        webUrlAtStart = true;
      // At the start: alone, or inside a wrapper scheme (`jar:http://…!/`).
      const atStart = at === 0 || /^[\s"'(<[]*(?:[a-z]{2,10}:)?$/i.test(text.slice(0, at));
      if (SERVER_SCHEMES.has(scheme)) {
        // `file:` is also traversal's business; gopher/dict/ldap have no business in a parameter at all.
        const s = atStart ? 6 : scheme === "file" ? 3 : 5;
        if (s > score) [score, ruleId] = [s, "ssrf-scheme"];
        continue;
      }
      const authority = text.slice(start, end);
      const userinfo = authority.lastIndexOf("@");
      const host = hostOf(userinfo === -1 ? authority : authority.slice(userinfo + 1));
      const kind = kindOf(host);
      if (kind === "other") continue;
      if (kind === "metadata" && score < 7) [score, ruleId] = [7, "ssrf-cloud-metadata"];
      // The value *is* the URL (a URL followed by prose is a sentence, not something a server fetches).
      const whole = atStart && text.slice(at).search(/\s/) === -1;
      if (kind === "internal") {
        const s = redirectParam && !SERVER_ONLY_HOST.test(host) ? 3 : whole ? 6 : 3;
        if (s > score) [score, ruleId] = [s, "ssrf-internal-host"];
      } else if (kind === "obfuscated") {
        const s = whole ? 5 : 3;
        if (s > score) [score, ruleId] = [s, "ssrf-obfuscated-ip"];
      }
    }
  }
  // Scheme-less: `169.254.169.254/latest/meta-data`, `localhost:6379`, `[::1]:22`.
  // A host followed by a path or port is a fetch target; a bare `localhost` is a word (`server=localhost`).
  if (score === 0 && !webUrlAtStart && SCHEMELESS.test(text)) {
    const cut = text.search(/[/?#\s]/);
    const host = hostOf(cut === -1 ? text : text.slice(0, cut));
    const kind = kindOf(host);
    if (kind === "metadata") [score, ruleId] = [6, "ssrf-cloud-metadata"];
    else if (kind === "internal") {
      const target =
        /^[\w.[\]:-]{1,80}(?::\d{1,5})?[/?#]/.test(text) ||
        /^[\w.-]{1,80}:\d{1,5}$/.test(text) ||
        /^\[[\w:.%]{2,60}\](?::\d{1,5})?$/.test(text);
      // Names (`localhost/`, `host.docker.internal:2375`) or full dotted addresses, not sizes (`32/34`) or CIDRs (`10.0.0.0/8`).
      const hostLike = /[a-z]/.test(host)
        ? !/^[\d.]+$/.test(host)
        : /^\d{1,3}(?:\.\d{1,3}){3}$/.test(host) && !/^[\d.]+\/\d{1,3}$/.test(text);
      if (target && hostLike && !/\s/.test(text) && (!redirectParam || SERVER_ONLY_HOST.test(host)))
        [score, ruleId] = [5, "ssrf-internal-host"];
      else if (hostLike && /[:/]/.test(text) && !redirectParam) [score, ruleId] = [3, "ssrf-internal-host"];
    }
  }
  const c = text.charCodeAt(0) | 32;
  if (!webUrlAtStart && (c === 104 || c === 102 || c === 103 || c === 100)) {
    const bare = BARE.exec(text);
    if (bare !== null) {
      const kind = kindOf(hostOf(bare[1]!));
      if (kind === "metadata" && score < 6) [score, ruleId] = [6, "ssrf-cloud-metadata"];
      else if ((kind === "internal" || kind === "obfuscated") && score < 5) [score, ruleId] = [5, "ssrf-internal-host"];
    }
    if (c === 102 && score < 6 && BARE_FILE.test(text)) [score, ruleId] = [6, "ssrf-scheme"];
  }
  return score > 0 ? { ruleId, score } : null;
}
