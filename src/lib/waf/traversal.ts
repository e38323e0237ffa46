/**
 * Path traversal and local file inclusion. After normalisation (`%2e%2e%2f`, `%c0%ae`, `..%5c`
 * are already `../`), backslashes count as slashes and the filter-evasion forms `....//` and
 * `..;/` count as `../`. Scores grow with the traversal depth and with a known sensitive target
 * (`etc/passwd`, `win.ini`, `proc/self/environ`, `.ssh/id_rsa`, `.env`, `wp-config.php`, …).
 * A single `../` (relative links in markdown) or a sensitive path mentioned inside prose stays
 * below the block threshold; `../../../` or a value that *is* such a path does not.
 */
import type { Finding, Inspected } from "./types.ts";

/** Sensitive files and folders (lower case, `/` separators, no leading slash). */
const TARGET = new RegExp(
  [
    String.raw`etc/(?:passwd|shadow|group|gshadow|sudoers|master\.passwd|security/|ssh/|mysql/|apache2?/|nginx/|httpd/|php/|issue|hostname|crontab|profile|bashrc|environment|fstab|motd|resolv\.conf|hosts\b)`,
    String.raw`proc/(?:self|\d{1,7}|thread-self)/(?:environ|cmdline|fd|maps|status|mem|cwd|root|exe|mounts|stat)`,
    String.raw`proc/(?:version|cpuinfo|net/)`,
    String.raw`(?:windows|winnt)/(?:win\.ini|system\.ini|system32|repair|debug|panther|php\.ini|iis)`,
    String.raw`boot\.ini`, String.raw`inetpub/`, String.raw`system32/(?:config|drivers|inetsrv)`,
    String.raw`\.ssh/(?:id_(?:rsa|dsa|ecdsa|ed25519)|authorized_keys|known_hosts|config)`,
    String.raw`\.aws/(?:credentials|config)`, String.raw`\.docker/config\.json`, String.raw`\.kube/config`,
    String.raw`\.git/(?:config|head|index|logs|refs)`, String.raw`\.svn/(?:entries|wc\.db)`, String.raw`\.hg/`,
    String.raw`\.env(?:\.[a-z]{2,12})?(?![\w-])`, String.raw`\.htaccess`, String.raw`\.htpasswd`, String.raw`\.bash_history`, String.raw`\.npmrc`,
    String.raw`\.netrc`, String.raw`\.pgpass`, String.raw`\.my\.cnf`,
    String.raw`web\.config`, String.raw`applicationhost\.config`, String.raw`wp-config\.php`, String.raw`configuration\.php`,
    String.raw`localsettings\.php`, String.raw`config\.inc\.php`, String.raw`web-inf/`, String.raw`meta-inf/`,
    String.raw`var/log/`, String.raw`var/run/secrets`, String.raw`var/lib/mysql`, String.raw`usr/local/(?:etc|apache)`,
    String.raw`root/\.`, String.raw`home/[a-z0-9_-]{1,32}/\.`, String.raw`(?:^|/)php\.ini`, String.raw`(?:^|/)my\.cnf`,
    String.raw`dev/(?:tcp|udp)/`,
  ].join("|"),
);
/** `../` (backslashes are already slashes), `..;/`; `....//` and `.../` contain `../` too. No repetition: linear. */
const DOTDOT = /\.\.;?\//g;

/** Traversal / LFI score of one (normalised) value. */
export function detectTraversal(v: Inspected): Finding | null {
  const lower = v.lower;
  if (!lower.includes("..") && !lower.includes("/") && !lower.includes("\\") && !lower.includes(".")) return null;
  const path = lower.includes("\\") ? lower.replaceAll("\\", "/") : lower;
  let depth = 0;
  if (path.includes("..")) {
    DOTDOT.lastIndex = 0;
    while (DOTDOT.exec(path) !== null && depth < 16) depth++;
    // A value ending in `/..` climbs one more level.
    if (/(?:^|\/)\.\.$/.test(path)) depth++;
  }
  const target = TARGET.exec(path);
  let score = 0;
  let ruleId = "traversal-dot-dot";
  if (depth >= 3) score = 5;
  else if (depth === 2) score = 3;
  else if (depth === 1) score = 2;
  if (target) {
    ruleId = "traversal-sensitive-file";
    const at = target.index;
    const before = path.slice(Math.max(0, at - 12), at);
    // The value *is* the path (`/etc/passwd`, `file:///etc/passwd`, `C:\windows\win.ini`) or follows a traversal.
    const isPath =
      v.field.kind === "path" ||
      depth > 0 ||
      /^(?:file:\/*|[a-z]:\/*|\/+|\.\/|~\/)?$/.test(path.slice(0, at).trim()) ||
      /(?:^|[=(])(?:file:\/\/|[a-z]:)?\/+$/.test(before);
    score = Math.max(score, isPath ? (depth > 0 ? 7 : 6) : 3);
    if (v.hadNull) score++;
  } else if (depth > 0 && v.hadNull) score++;
  if (depth >= 3) ruleId = target ? "traversal-sensitive-file" : "traversal-dot-dot";
  return score > 0 ? { ruleId, score } : null;
}
