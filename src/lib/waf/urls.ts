/**
 * URLs inside values, parsed the lenient way servers and HTTP clients do, and where their host
 * points: cloud metadata, loopback/private/link-local networks (in every notation ipaddr.js
 * understands: `2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1`, `[::ffff:127.0.0.1]`),
 * internal names (`localhost`, `*.internal`, `*.svc.cluster.local`) and DNS names that resolve
 * to such addresses on purpose (`127.0.0.1.nip.io`, `localtest.me`).
 */
import ipaddr from "ipaddr.js";

export interface FoundUrl {
  scheme: string;
  host: string;
  /** Everything after the authority (path, query, fragment). */
  rest: string;
  /** Index of the scheme in the text. */
  index: number;
  /** The scheme as written (to spot `hTtP://`). */
  rawScheme: string;
  /** The authority carried credentials (`http://expected@evil/`). */
  userinfo: boolean;
}

const SCHEME = /([a-z][a-z0-9+.-]{0,15}):(?:\/\/|\\\\|\/\\|\\\/)/gi;
const AUTHORITY_END = /[/?#\\\s"'<>`!]/;
const MAX_URLS = 16;

/** URLs (`scheme://…`) found in `text`, at most 16. */
export function findUrls(text: string): FoundUrl[] {
  if (text.indexOf(":") === -1) return [];
  const out: FoundUrl[] = [];
  SCHEME.lastIndex = 0;
  for (let m = SCHEME.exec(text); m !== null && out.length < MAX_URLS; m = SCHEME.exec(text)) {
    const start = m.index + m[0].length;
    let end = start;
    while (end < text.length && end - start < 512 && !AUTHORITY_END.test(text[end]!)) end++;
    // IPv6 literals contain no authority terminators, but `[` … `]` may hold `%25zone`.
    const authority = text.slice(start, end);
    let restEnd = end;
    while (restEnd < text.length && restEnd - end < 2048 && !/[\s"'<>`]/.test(text[restEnd]!)) restEnd++;
    const at = authority.lastIndexOf("@");
    // `file://` with nothing after it is a mention, not a target.
    if (authority === "" && (restEnd === end || text[end] === " ")) continue;
    out.push({
      scheme: m[1]!.toLowerCase(),
      rawScheme: m[1]!,
      host: hostOf(at === -1 ? authority : authority.slice(at + 1)),
      rest: text.slice(end, restEnd),
      index: m.index,
      userinfo: at !== -1,
    });
  }
  return out;
}

/** The host of an authority (`user@host:port`), lower case, without brackets, port or trailing dot. */
export function hostOf(authority: string): string {
  let h = authority.trim();
  if (h.startsWith("[")) {
    const close = h.indexOf("]");
    h = close === -1 ? h.slice(1) : h.slice(1, close);
    const zone = h.indexOf("%");
    if (zone !== -1) h = h.slice(0, zone);
    return h.toLowerCase();
  }
  const colon = h.lastIndexOf(":");
  if (colon !== -1 && h.indexOf(":") === colon) h = h.slice(0, colon);
  while (h.endsWith(".")) h = h.slice(0, -1);
  return h.toLowerCase();
}

export type HostKind = "metadata" | "internal" | "obfuscated" | "other";

const METADATA_NAMES = new Set([
  "metadata.google.internal",
  "metadata.goog",
  "metadata",
  "instance-data",
  "instance-data.ec2.internal",
  "metadata.azure.internal",
  "metadata.packet.net",
  "metadata.tencentyun.com",
  "metadata.platformequinix.com",
]);
// oxfmt-ignore
const METADATA_IPS = new Set(["169.254.169.254", "169.254.170.2", "169.254.169.123", "169.254.169.250", "169.254.169.253", "100.100.100.200", "168.63.129.16", "192.0.0.192", "fd00:ec2::254", "fd00:ec2::23"]);
const INTERNAL_IPV4 = new Set([
  "loopback",
  "private",
  "linkLocal",
  "unspecified",
  "carrierGradeNat",
  "broadcast",
  "reserved",
]);
const INTERNAL_IPV6 = new Set(["loopback", "uniqueLocal", "linkLocal", "unspecified", "reserved"]);
// oxfmt-ignore
const REBINDING_SUFFIXES = [".nip.io", ".sslip.io", ".xip.io", ".nip.direct", ".traefik.me", ".localtest.me", ".lvh.me", ".vcap.me", ".lacolhost.com", ".localh.st"];
const REBINDING_NAMES = new Set([
  "localtest.me",
  "lvh.me",
  "vcap.me",
  "lacolhost.com",
  "localh.st",
  "fbi.com",
  "spoofed.burpcollaborator.net",
  "1u.ms",
]);
const IPV4ISH = /^[0-9a-fx.]+$/;
const DOTTED_DECIMAL = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function ipKind(host: string): HostKind | null {
  // `383.256.256.257`: octets past 255, which parsers that keep each octet's low byte read as
  // `127.0.0.1` (SSRFmap's "dotted decimal with overflow"). No URL of a real host looks so.
  if (OVERFLOWED_QUAD.test(host)) {
    const octets = host.split(".").map(Number);
    if (octets.some((o) => o > 255)) {
      const inner = ipKind(octets.map((o) => o % 256).join("."));
      return inner === "metadata" || inner === "internal" ? inner : "obfuscated";
    }
  }
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    if (host.includes(":")) {
      if (!ipaddr.IPv6.isValid(host)) return null;
      addr = ipaddr.IPv6.parse(host);
    } else {
      if (!IPV4ISH.test(host) || !ipaddr.IPv4.isValid(host)) return null;
      addr = ipaddr.IPv4.parse(host);
    }
  } catch {
    return null;
  }
  if (addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress())
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  const text = addr.toString();
  if (METADATA_IPS.has(text)) return "metadata";
  if (addr.kind() === "ipv4") {
    if (INTERNAL_IPV4.has((addr as ipaddr.IPv4).range())) return "internal";
    return DOTTED_DECIMAL.test(host) ? "other" : "obfuscated";
  }
  const range = (addr as ipaddr.IPv6).range();
  if (INTERNAL_IPV6.has(range)) return "internal";
  // NAT64 / 6to4 / Teredo wrappers around an internal IPv4.
  if (range === "rfc6052" || range === "6to4" || range === "rfc6145") {
    const bytes = addr.toByteArray();
    const v4 = range === "6to4" ? bytes.slice(2, 6) : bytes.slice(12, 16);
    const inner = new ipaddr.IPv4(v4);
    if (METADATA_IPS.has(inner.toString())) return "metadata";
    if (INTERNAL_IPV4.has(inner.range())) return "internal";
  }
  return "other";
}

const OVERFLOWED_QUAD = /^\d{1,5}(?:\.\d{1,5}){3}$/;

/** Where a host name or address points. */
export function classifyHost(host: string): HostKind {
  if (host === "") return "other";
  if (METADATA_NAMES.has(host)) return "metadata";
  const ip = ipKind(host);
  if (ip !== null) return ip;
  if (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    host === "localhost.localdomain" ||
    host.startsWith("ip6-local") ||
    host.startsWith("ip6-loopback")
  )
    return "internal";
  if (
    host.endsWith(".internal") ||
    host.endsWith(".svc.cluster.local") ||
    host.endsWith(".cluster.local") ||
    host.startsWith("kubernetes.default") ||
    host.endsWith(".local") ||
    host === "consul" ||
    host.endsWith(".consul")
  )
    return "internal";
  if (REBINDING_NAMES.has(host)) return "internal";
  for (const suffix of REBINDING_SUFFIXES) {
    if (!host.endsWith(suffix)) continue;
    const label = host.slice(0, -suffix.length);
    // `127.0.0.1.nip.io`, `app.10.0.0.1.nip.io`, `127-0-0-1.sslip.io`, `7f000001.nip.io`.
    const dotted = /(?:^|[.-])(\d{1,3}[.-]\d{1,3}[.-]\d{1,3}[.-]\d{1,3})$/.exec(label)?.[1]?.replaceAll("-", ".");
    const hex = /(?:^|[.-])([0-9a-f]{8})$/.exec(label)?.[1];
    const inner = dotted ?? (hex ? String(parseInt(hex, 16)) : undefined);
    if (inner !== undefined) {
      const k = ipKind(inner);
      if (k === "metadata" || k === "internal") return k;
    }
    if (
      suffix === ".localtest.me" ||
      suffix === ".lvh.me" ||
      suffix === ".vcap.me" ||
      suffix === ".localh.st" ||
      suffix === ".lacolhost.com"
    )
      return "internal";
  }
  return "other";
}
