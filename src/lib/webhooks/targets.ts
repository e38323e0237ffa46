/**
 * Which URLs a webhook may be delivered to (SSRF guard). A target must be an absolute
 * `https:` URL (in development `http:` to a loopback address or `localhost` too, so `npm run
 * dev` can deliver to the local receiver), without credentials, to a host that is not
 * loopback, private, link-local, carrier-grade NAT, unspecified, multicast or reserved, not a
 * cloud metadata address or name, and not an IPv4 address wrapped in IPv6 (mapped, NAT64,
 * 6to4, Teredo). Names are checked for the ones that are known to point inside
 * (`localhost`, `*.localhost`, `*.internal`, `*.local`, …); what a public name resolves to cannot be
 * known from a Worker, whose `fetch` Cloudflare refuses to route to private addresses anyway.
 * Redirects are never followed (the sender uses `redirect: "manual"`).
 *
 * Every refusal names its rule; the API answers 422 with that rule.
 */
import ipaddr from "ipaddr.js";

export type TargetRule =
  | "invalid-url"
  | "https-required"
  | "credentials"
  | "loopback"
  | "private"
  | "link-local"
  | "metadata"
  | "ipv4-mapped"
  | "reserved"
  | "internal-name";

export type TargetCheck = { ok: true; url: string } | { ok: false; rule: TargetRule; detail: string };

export interface TargetOptions {
  /** Development: `http:` and loopback targets are allowed. */
  development: boolean;
}

/** Cloud metadata services by address (IPv4 link-local 169.254.169.254 is also link-local). */
const METADATA_ADDRESSES = new Set([
  "169.254.169.254",
  "169.254.170.2",
  "100.100.100.200",
  "192.0.0.192",
  "fd00:ec2::254",
]);
const METADATA_NAMES = new Set([
  "metadata.google.internal",
  "metadata.goog",
  "metadata",
  "instance-data",
  "instance-data.ec2.internal",
]);
/** Suffixes that only resolve inside a network. */
const INTERNAL_SUFFIXES = [".internal", ".local", ".localdomain", ".lan", ".home.arpa", ".intranet", ".corp"];

const refuse = (rule: TargetRule, detail: string): TargetCheck => ({ ok: false, rule, detail });

function checkIPv4(ip: ipaddr.IPv4, options: TargetOptions): TargetCheck | undefined {
  const text = ip.toString();
  if (METADATA_ADDRESSES.has(text)) return refuse("metadata", `${text} is a cloud metadata address.`);
  const range = ip.range();
  switch (range) {
    case "unicast":
      return undefined;
    case "loopback":
      return options.development ? undefined : refuse("loopback", `${text} is a loopback address.`);
    case "private":
    case "carrierGradeNat":
      return refuse("private", `${text} is a private address.`);
    case "linkLocal":
      return refuse("link-local", `${text} is a link-local address.`);
    default:
      return refuse("reserved", `${text} is not a public address (${range}).`);
  }
}

function checkIPv6(ip: ipaddr.IPv6, options: TargetOptions): TargetCheck | undefined {
  const text = ip.toString();
  if (METADATA_ADDRESSES.has(text)) return refuse("metadata", `${text} is a cloud metadata address.`);
  const range = ip.range();
  switch (range) {
    case "unicast":
      return undefined;
    case "loopback":
      return options.development ? undefined : refuse("loopback", `${text} is a loopback address.`);
    case "ipv4Mapped":
    case "rfc6145":
    case "rfc6052":
    case "6to4":
    case "teredo":
      return refuse("ipv4-mapped", `${text} wraps an IPv4 address; use the IPv4 address itself.`);
    case "uniqueLocal":
      return refuse("private", `${text} is a private (unique local) address.`);
    case "linkLocal":
      return refuse("link-local", `${text} is a link-local address.`);
    default:
      return refuse("reserved", `${text} is not a public address (${range}).`);
  }
}

function isLoopbackHost(host: string): boolean {
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  const bare = host.startsWith("[") ? host.slice(1, -1) : host;
  return ipaddr.isValid(bare) && ipaddr.parse(bare).range() === "loopback";
}

/** Checks a subscription's target URL; `url` in the answer is the normalised form to store. */
export function checkTarget(raw: string, options: TargetOptions): TargetCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse("invalid-url", "The URL is not an absolute URL.");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    return refuse("https-required", "Only https: URLs can receive webhooks.");
  if (url.username || url.password) return refuse("credentials", "The URL must not carry a user name or password.");
  // The WHATWG parser already turned 0x7f.1, 2130706433 and 127.1 into 127.0.0.1.
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  if (host === "") return refuse("invalid-url", "The URL has no host.");
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;

  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) {
    const refused = checkIPv4(ipaddr.IPv4.parse(bare), options);
    if (refused) return refused;
  } else if (ipaddr.IPv6.isValid(bare)) {
    const refused = checkIPv6(ipaddr.IPv6.parse(bare), options);
    if (refused) return refused;
  } else {
    if (METADATA_NAMES.has(host)) return refuse("metadata", `${host} is a cloud metadata name.`);
    if (host === "localhost" || host.endsWith(".localhost")) {
      if (!options.development) return refuse("loopback", `${host} is a loopback name.`);
    } else if (!host.includes(".") || INTERNAL_SUFFIXES.some((s) => host.endsWith(s))) {
      return refuse("internal-name", `${host} only resolves inside a private network.`);
    }
  }

  if (url.protocol === "http:" && !(options.development && isLoopbackHost(host))) {
    return refuse(
      "https-required",
      options.development
        ? "Only https: URLs (or http: to loopback in development)."
        : "Only https: URLs can receive webhooks.",
    );
  }
  url.hash = "";
  return { ok: true, url: url.toString() };
}
