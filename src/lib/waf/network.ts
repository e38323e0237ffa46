/**
 * The "who" rules of the security config, compiled once per config object (a WeakMap keyed by
 * the document's identity: a new config version is a new object) so a request costs a few set
 * look-ups, not a scan of 10,000 CIDRs:
 * - addresses and CIDRs (IPv4 and IPv6, parsed with ipaddr.js) grouped by prefix length, each
 *   group a Set of masked networks; a client address is masked once per prefix length in use.
 *   IPv4-mapped IPv6 addresses (`::ffff:203.0.113.7`), in the config or from the client, are
 *   treated as the IPv4 address they carry, so they neither miss nor bypass an IPv4 rule;
 * - countries and ASNs as Sets, blocked user agents as lower-case substrings;
 * - custom rules with their method/country Sets and lower-case header names.
 */
import ipaddr from "ipaddr.js";
import type { SecurityConfig, WafAction } from "./types.ts";

type Addr = ipaddr.IPv4 | ipaddr.IPv6;

/** Networks of one address family, by prefix length. */
interface NetSet {
  byPrefix: Map<number, Set<string>>;
  prefixes: number[];
}

export interface CompiledRule {
  id: string;
  action: WafAction;
  pathPrefix: string | undefined;
  methods: ReadonlySet<string> | undefined;
  countries: ReadonlySet<string> | undefined;
  header: { name: string; contains: string } | undefined;
}

export interface CompiledNetwork {
  allowed: { v4: NetSet; v6: NetSet };
  blocked: { v4: NetSet; v6: NetSet };
  countries: ReadonlySet<string>;
  asns: ReadonlySet<number>;
  userAgents: readonly string[];
  rules: readonly CompiledRule[];
  /** Config entries that are not addresses or CIDRs (ignored; the schema only bounds their length). */
  invalid: string[];
}

const DOTTED_QUAD = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** Parses a client or config address; IPv4-mapped IPv6 becomes IPv4. Null when invalid. */
export function parseAddress(text: string): Addr | null {
  const t = text.trim();
  try {
    if (t.includes(":")) {
      if (!ipaddr.IPv6.isValid(t)) return null;
      const a = ipaddr.IPv6.parse(t);
      return a.isIPv4MappedAddress() ? a.toIPv4Address() : a;
    }
    // Only dotted-quad IPv4 in the config and from the client (`10` is not 0.0.0.10 here).
    if (!DOTTED_QUAD.test(t) || !ipaddr.IPv4.isValidFourPartDecimal(t)) return null;
    return ipaddr.IPv4.parse(t);
  } catch {
    return null;
  }
}

/** Key of `bytes` masked to `prefix` bits. */
function maskedKey(bytes: number[], prefix: number): string {
  let key = "";
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    const b = bits === 0 ? 0 : bytes[i]! & ((0xff << (8 - bits)) & 0xff);
    key += b.toString(16).padStart(2, "0");
  }
  return key;
}

function emptyNetSet(): NetSet {
  return { byPrefix: new Map(), prefixes: [] };
}

function addNetwork(set: NetSet, addr: Addr, prefix: number): void {
  let group = set.byPrefix.get(prefix);
  if (!group) {
    group = new Set();
    set.byPrefix.set(prefix, group);
    set.prefixes.push(prefix);
    set.prefixes.sort((a, b) => b - a);
  }
  group.add(maskedKey(addr.toByteArray(), prefix));
}

function compileNets(entries: readonly string[], invalid: string[]): { v4: NetSet; v6: NetSet } {
  const nets = { v4: emptyNetSet(), v6: emptyNetSet() };
  for (const entry of entries) {
    const slash = entry.indexOf("/");
    const addr = parseAddress(slash === -1 ? entry : entry.slice(0, slash));
    const bits = slash === -1 ? undefined : Number(entry.slice(slash + 1));
    if (addr === null || (bits !== undefined && (!Number.isInteger(bits) || bits < 0))) {
      invalid.push(entry);
      continue;
    }
    const wasMapped = entry.includes(":") && addr.kind() === "ipv4";
    // A mapped CIDR `::ffff:10.0.0.0/104` is the IPv4 CIDR `10.0.0.0/8`.
    let prefix = bits ?? (addr.kind() === "ipv4" ? 32 : 128);
    if (wasMapped && bits !== undefined) prefix = bits - 96;
    const max = addr.kind() === "ipv4" ? 32 : 128;
    if (prefix < 0 || prefix > max) {
      invalid.push(entry);
      continue;
    }
    addNetwork(addr.kind() === "ipv4" ? nets.v4 : nets.v6, addr, prefix);
  }
  return nets;
}

function inNets(nets: { v4: NetSet; v6: NetSet }, addr: Addr): boolean {
  const set = addr.kind() === "ipv4" ? nets.v4 : nets.v6;
  if (set.prefixes.length === 0) return false;
  const bytes = addr.toByteArray();
  for (const prefix of set.prefixes) {
    if (set.byPrefix.get(prefix)!.has(maskedKey(bytes, prefix))) return true;
  }
  return false;
}

const compiled = new WeakMap<SecurityConfig, CompiledNetwork>();

/** The compiled network rules of `security` (built on first use of this config object). */
export function compileNetwork(security: SecurityConfig): CompiledNetwork {
  let c = compiled.get(security);
  if (c === undefined) {
    const invalid: string[] = [];
    c = {
      allowed: compileNets(security.allowedIps, invalid),
      blocked: compileNets(security.blockedIps, invalid),
      countries: new Set(security.blockedCountries),
      asns: new Set(security.blockedAsns),
      userAgents: security.blockedUserAgents.map((ua) => ua.toLowerCase()),
      rules: security.rules.map((r) => {
        const methods = r.match.methods ? new Set<string>(r.match.methods) : undefined;
        // Hono answers HEAD with the GET route, so a rule for GET covers HEAD too.
        if (methods?.has("GET")) methods.add("HEAD");
        return {
          id: r.id,
          action: r.action,
          pathPrefix: r.match.pathPrefix,
          methods,
          countries: r.match.countries ? new Set(r.match.countries) : undefined,
          header: r.match.header
            ? { name: r.match.header.name.toLowerCase(), contains: r.match.header.contains.toLowerCase() }
            : undefined,
        };
      }),
      invalid,
    };
    compiled.set(security, c);
  }
  return c;
}

/** Parsed client addresses, cached: the same few addresses send most requests. */
const clientCache = new Map<string, Addr | null>();

export function clientAddress(ip: string | null): Addr | null {
  if (ip === null) return null;
  let a = clientCache.get(ip);
  if (a === undefined) {
    a = parseAddress(ip);
    if (clientCache.size >= 1024) clientCache.clear();
    clientCache.set(ip, a);
  }
  return a;
}

export function isAllowedIp(net: CompiledNetwork, addr: Addr | null): boolean {
  return addr !== null && inNets(net.allowed, addr);
}

export function isBlockedIp(net: CompiledNetwork, addr: Addr | null): boolean {
  return addr !== null && inNets(net.blocked, addr);
}

export interface RuleSubject {
  method: string;
  /** Decoded path (so `/%77p-admin` matches a `/wp-admin` prefix). */
  path: string;
  /** Read only by rules that match on countries (it may be computed on first read). */
  readonly visitor: { readonly country: string | null };
  /** Header value by lower-case name. */
  header: (name: string) => string | null;
}

export function ruleMatches(rule: CompiledRule, s: RuleSubject): boolean {
  if (rule.pathPrefix !== undefined && !s.path.startsWith(rule.pathPrefix)) return false;
  if (rule.methods !== undefined && !rule.methods.has(s.method)) return false;
  if (rule.countries !== undefined) {
    const country = s.visitor.country;
    if (country === null || !rule.countries.has(country)) return false;
  }
  if (rule.header !== undefined) {
    const value = s.header(rule.header.name);
    if (value === null || !value.toLowerCase().includes(rule.header.contains)) return false;
  }
  return true;
}
