/**
 * User agents of vulnerability scanners, fuzzers and attack tools (not search engines, not
 * monitoring, not HTTP libraries: `curl`, `python-requests`, `Go-http-client` are how API
 * clients talk). Matched as whole tokens, case-insensitively, in one pass of one alternation.
 * A team that runs such a tool against itself on purpose allows it with a custom `allow` rule
 * (custom rules come first) or `allowedIps`.
 */
// oxfmt-ignore
const TOOLS = [
  // SQL injection
  "sqlmap", "sqlninja", "havij", "bsqlbf", "jsql", "sqlsus", "marathon tool",
  // web vulnerability scanners
  "nikto", "acunetix", "netsparker", "invicti", "appscan", "webinspect", "w3af", "arachni", "skipfish", "wapiti",
  "paros", "zaproxy", "owasp zap", "burp collaborator", "burpsuite", "nessus", "nasl", "openvas", "openvasvt", "qualysguard",
  "nuclei", "jaeles", "afrog", "whatweb", "wpscan", "joomscan", "droopescan", "cmsmap", "nettacker",
  "golismero", "uniscan", "xsser", "xsstrike", "dalfox", "commix", "tplmap", "sstimap", "fimap",
  "log4j-scan", "ysoserial", "struts-pwn", "metasploit", "msfconsole", "morfeus", "zmeu", "jorgee", "nmap scripting engine",
  "nmap nse", "masscan", "zgrab", "zmap", "l9explore", "l9tcpid", "httprint", "blackwidow", "brutus", "fuzz faster u fool",
  // content discovery / brute force
  "dirbuster", "dirb", "gobuster", "ffuf", "feroxbuster", "wfuzz", "dirsearch", "rustbuster", "dirhunt",
  "webshag", "nimbostratus", "gospider", "hakrawler", "interactsh",
  // out-of-band interaction hosts (a probe names the scanner's listener): no browser or client sends these
  "interact.sh", "oast.me", "oast.pro", "oast.live", "oast.site", "oast.online", "oast.fun", "oastify.com",
  "burpcollaborator.net", "dnslog.cn", "ceye.io",
] as const;

// Built once at load from the constant list above (escaped); no request data reaches it.
const escaped = TOOLS.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/ /g, "[\\s_-]?"));
/** Whole-token match: `dirb` does not match inside `dirbuster`'s neighbours' words, `vega` not inside `Vegas`. */
const SCANNER = new RegExp(`(?:^|[^a-z0-9])(${escaped.join("|")})(?![a-z0-9])`, "i");

/** Recent answers: a handful of user agents make most requests. */
const seen = new Map<string, string | null>();

/** The scanner or attack tool a user agent names, or null. */
export function scannerName(userAgent: string): string | null {
  if (userAgent.length === 0) return null;
  let name = seen.get(userAgent);
  if (name === undefined) {
    const m = SCANNER.exec(userAgent.length > 1024 ? userAgent.slice(0, 1024) : userAgent);
    name = m ? m[1]!.toLowerCase() : null;
    if (seen.size >= 512) seen.clear();
    seen.set(userAgent, name);
  }
  return name;
}
