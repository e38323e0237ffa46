/**
 * Path traversal and local file inclusion. After normalisation (`%2e%2e%2f`, `%c0%ae`, `..%5c`
 * are already `../`) a local skeleton also undoes what the decoder leaves: `0x2e`/`0x2f`/`0x5c`
 * spellings, Unicode slash look-alikes (`∕`, `∖`, IIS best-fit code points), overlong-UTF-8 lead
 * bytes left before a dot or slash, and IIS's own overlong readings (`%c1%1c`, `%c1%pc`,
 * `%bg%qf`). Backslashes count as slashes; `....//`, `..;/`, `.../` count as `../`. Scores grow
 * with:
 * - the traversal depth, and where it stands (a value that *starts* with `../../` is a path; a
 *   single `../` inside prose is a relative link and stays below the block threshold);
 * - evasion: dots/slashes that were encoded twice or spelled oddly, `..\`, `..;`, `....//`,
 *   `..//` (browsers and ordinary links never do this);
 * - a sensitive target (OS files, credentials, VCS metadata, server configs and logs); it counts
 *   fully when the value *is* that path (alone, after a traversal, after `file://`, a drive
 *   letter, or a file-reading command such as `cat`), weakly when mentioned in prose.
 * The URL path itself (already resolved by the URL parser, so `/../` is gone there) is checked
 * for what scanners fetch: hidden files and folders (`/.env`, `/.git/config`, `/.claude/…`,
 * anything under a dot-segment except `/.well-known/`), backups and dumps, log files, the Vite
 * dev-server file endpoints.
 *
 * Judgment call on relative links: `../images/a.png` as a whole parameter value scores 4 (a
 * signal, not a block) unless the parameter name is file-like (`file`, `path`, `page`, …), the
 * value is an upload's file name or a header, or it is combined with evasion; inside prose
 * (markdown `[x](../a.md)`) one or two levels score 2–3. `../../x` as a whole value blocks.
 */
import { base64Text } from "./normalize.ts";
import { mayBeRepeatedClimb, repeatedClimb } from "./traversal/repeated-climb.ts";
import type { Finding, Inspected } from "./types.ts";

/** Sensitive files and folders with distinctive names (lower case, `/` separators), anywhere in the canonical skeleton. */
const TARGET = new RegExp(
  [
    String.raw`etc/(?:passwd|shadow|group|gshadow|sudoers|subuid|subgid|master\.passwd|security/|ssh/|ssl/|mysql/|apache2?/|nginx/|httpd/|php\d?(?:\.\d)?/|issue|hostname|crontab|cron\.|profile|bashrc|environment|fstab|mtab|motd|resolv\.conf|hosts\b|hosts\.(?:allow|deny)|inittab|inetd|xinetd|exports|ftp|vsftpd|proftpd|pure-ftpd|samba/|smb\.conf|ldap|openldap|pam\.d|login\.defs|shells|sysconfig|network|netplan|wpa_supplicant|aliases|sendmail|postfix|mail/|dovecot|courier|krb5|redis|mongod|my\.cnf|php\.ini|snmp|syslog|rsyslog|logrotate|lighttpd|tomcat|init\.d|rc\.|default/|apt/|yum|selinux|sysctl|modules|lilo|grub|boot|kubernetes/|docker/|containerd|rancher|vmware|opt/|webmin|httpd\.conf|apache|nginx|haproxy|squid|bind|named|dhcp|ntp|ssh|sudo|os-release|lsb-release|\w{0,20}-release|debian_version|redhat|machine-id|timezone|localtime)`,
    String.raw`proc/(?:self|\d{1,7}|thread-self|\*)/(?:environ|cmdline|fd|maps|status|mem|cwd|root|exe|mounts|stat|net|cgroup|auxv|limits|io|smaps|task|attr|loginuid|sched)`,
    String.raw`proc/(?:version|cpuinfo|meminfo|net/|mounts|partitions|modules|interrupts|ioports|kallsyms|kcore|sched_debug|swaps|loadavg|uptime|filesystems|devices|diskstats|vmstat|zoneinfo|config\.gz|cmdline|stat\b|sys/|driver|bus|tty|scsi|key-users|keys|crypto|iomem|buddyinfo|slabinfo|locks|misc|mdstat|timer_list|vmallocinfo|pagetypeinfo|softirqs|consoles|execdomains|fb|dma|kmsg)`,
    String.raw`(?:^|/)sys/(?:class|kernel|block|bus|devices|firmware|fs|module|power|hypervisor)(?:/|$)`,
    String.raw`(?:windows|winnt)/(?:win\.ini|system\.ini|repair|debug|panther|php\.ini|iis\d?|inf/|temp/|logs/|minidump|memory\.dmp|explorer|regedit|notepad|microsoft\.net|sysprep|system/|tasks/|windowsupdate|setupact|ntds)`,
    String.raw`(?:^|/)(?:boot|win|system)\.ini\b`,
    String.raw`(?:^|/)(?:autoexec\.bat|config\.sys|pagefile\.sys|hiberfil\.sys|ntuser\.(?:dat|ini)|unattend(?:ed)?\.xml|sysprep\.(?:inf|xml))`,
    String.raw`inetpub/`,
    String.raw`system32/(?:config|drivers|inetsrv|logfiles|license)`,
    String.raw`documents and settings/`,
    String.raw`\$recycle\.bin`,
    String.raw`(?:^|/)(?:xampp|wamp\d{0,2}|lampp|appserv|easyphp|uwamp)/`,
    String.raw`program ?files(?: \(x86\))?/(?:apache|xampp|mysql|mariadb|php|filezilla|tomcat|microsoft sql|iis|wamp)`,
    String.raw`(?:^|/)(?:apache\d?|httpd|nginx|lighttpd|tomcat\d?|php\d?|mysql|mariadb|iis)/(?:conf|logs?|php\.ini|my\.(?:cnf|ini)|data/)`,
    String.raw`(?:^|/)(?:access|error|ssl_access|ssl_error|php_errors?|mysqld?|httpd-access|httpd-error|catalina|auth|syslog|maillog)[._]log\b`,
    String.raw`(?:^|/)(?:httpd|apache2?|nginx|lighttpd|php-fpm|vsftpd|proftpd|smb|my|mysqld?|php)\.(?:conf|cnf|ini)\b`,
    String.raw`(?:^|/)(?:pure-ftpd|proftpd|vsftpd|xferlog)(?:\.\w{1,12})?\.log\b`,
    String.raw`\.ssh/(?:id_(?:rsa|dsa|ecdsa|ed25519)|authorized_keys|known_hosts|config|identity)`,
    String.raw`\.gnupg/`,
    String.raw`\.aws/(?:credentials|config)`,
    String.raw`(?:^|/)\.docker(?:/|$)`,
    String.raw`\.kube/config`,
    String.raw`\.azure/`,
    String.raw`\.config/gcloud`,
    String.raw`\.git/(?:config|head|index|logs|refs|objects|packed-refs|description|hooks|info|fetch_head|orig_head)`,
    String.raw`(?:^|/)\.git(?:-credentials)?$`,
    String.raw`\.svn/(?:entries|wc\.db|pristine)`,
    String.raw`\.hg/`,
    String.raw`\.bzr/`,
    String.raw`\.ds_store`,
    String.raw`(?:^|/)\.env(?:\.[a-z]{2,12})?(?![\w-])`,
    String.raw`\.htaccess`,
    String.raw`\.htpasswd`,
    String.raw`\.htdigest`,
    String.raw`(?:^|/)\.(?:bash_|zsh_|sh_|mysql_|psql_|python_|node_repl_|rediscli_|sqlite_)?history\b`,
    String.raw`(?:^|/)\.(?:bashrc|zshrc|profile|bash_profile|bash_logout|viminfo|lesshst|npmrc|yarnrc|pypirc|netrc|pgpass|my\.cnf|git-credentials|s3cfg|boto|dockercfg|composer/auth\.json|cshrc|tcshrc|logout|forward|rhosts|shosts|xauthority|k5login)`,
    String.raw`web\.config`,
    String.raw`applicationhost\.config`,
    String.raw`machine\.config`,
    String.raw`wp-config\.php`,
    String.raw`configuration\.php`,
    String.raw`localsettings\.php`,
    String.raw`config\.inc\.php`,
    String.raw`(?:^|/)web-inf/`,
    String.raw`(?:^|/)meta-inf/`,
    String.raw`(?:^|[/_.-])(?:config|db|database|dbase|settings|local_settings|conn|connection|connect|dbconnect|db_connect|dbconfig|configuration|parameters|secrets|credentials|application|appsettings)\.(?:php\d?|inc|ini|ya?ml|cfg|conf|py|rb|properties|aspx?)\b`,
    String.raw`(?:^|/)\.passwd`,
    String.raw`(?:^|/)master\.passwd`,
    String.raw`(?:^|/)run/secrets/`,
    String.raw`usr/local/(?:etc|apache2?|nginx|php\d?|lib/php|www|mysql|cpanel)/`,
    String.raw`dev/(?:tcp|udp)/`,
  ].join("|"),
);
/**
 * Where a `TARGET` match can be, found fast: every alternative holds a `/` after one of these
 * words or before one of these, a `.` before one of these, or `_log` (a superset of `TARGET`,
 * starting with a separator so that the search skips plain text). No alternative starts more
 * than 24 characters before its first such place (`documents and settings/`).
 */
const TARGET_ANCHOR =
  /\/(?:(?<=(?:etc|proc|sys|windows|winnt|inetpub|system32|settings|xampp|wamp\d{0,2}|lampp|appserv|easyphp|uwamp|files|x86\)|web-inf|meta-inf|var|usr|dev|run)\/)|conf|log|php|my\.|data)|\.(?:ini|bat|sys|dat|xml|inf|bin|log|conf|cnf|ssh|gnupg|aws|docker|kube|azure|config|git|svn|hg|bzr|ds_store|env|ht|bash|zsh|sh_|mysql|psql|python|node_repl|rediscli|sqlite|history|profile|viminfo|lesshst|npmrc|yarnrc|pypirc|netrc|pgpass|my\.|s3cfg|boto|dockercfg|composer|php|inc|ya?ml|cfg|py|rb|properties|passwd|asp|cshrc|tcshrc|logout|forward|rhosts|shosts|xauthority|k5login)|_log/;
const TARGET_G = new RegExp(TARGET.source, "g");

/** `TARGET.exec(path)`, without trying every position of a long text. */
function findTarget(path: string): RegExpExecArray | null {
  const anchor = TARGET_ANCHOR.exec(path);
  if (anchor === null) return null;
  TARGET_G.lastIndex = Math.max(0, anchor.index - 32);
  return TARGET_G.exec(path);
}

/**
 * System directories that count only when the value starts there (`/var/log/x`, `C:/…`,
 * `file:///usr/…`, or after `../`): as one segment of a longer URL or route they are ordinary.
 */
const SYSTEM_DIR =
  /^(?:var\/(?:log|adm|mail|spool|lib|run|www|backups|db|cache|opt|yp|nis|cpanel|lock|tmp|cron)(?:\/|$)|usr\/(?:pkg|local|share|lib|libexec|sbin|bin|src|include|ports)\/[\w.-]{1,40}|private\/(?:etc|var|tmp)\/|root\/|home\/[a-z0-9_-]{1,32}\/(?:\.|public_html\/|www\/)|opt\/[\w.-]{1,40}\/|srv\/[\w.-]{1,40}\/|dev\/(?:null|zero|random|urandom|stdin|stdout|stderr|fd\/|shm\/|mem|kmem|port|tty|sd[a-z]|hd[a-z]|nvme)|boot\/(?:grub|loader|vmlinuz|initrd|system\.map|config-)|(?:library|system)\/(?:preferences|logs|keychains|webserver|launchdaemons|launchagents|library\/coreservices)|tmp\/(?:sess_|[\w.-]{1,40}$)|sess_[a-z0-9,-]{0,64}$|etc\/[\w.-]{2,40}|usr\/(?:spool|pkgsrc)\/|var\/(?:lp|saf)\/)/;

/** `..` that climbs one level: at a segment start (or after dots: `....//`, `.../`), before a separator, `;` or the end. */
const DOTDOT = /(?:^|[/.;])\.\.(?=[/;])|(?:^|\/)\.\.$/g;
/** Filter-evasion spellings of a traversal step (on the skeleton, slashes already unified). */
const EVASION = /(?:^|\/)\.\.;|(?:^|\/)\.{3,}\/|\.\.\/{2,}|\.\.\/\.\/\.\.|\/\.\/\.\/\./;
/** Encodings of `.`, `/`, `\` that survived one decoding (the value was encoded twice or more, or spelled oddly). */
const ENCODED =
  /%(?:25)*(?:2e|2f|5c|c0|c1|e0%80|f0%80|u00|uff0e|u2215|u2216|uf025|uefc8)|0x(?:2e|2f|5c)|&#(?:x0*2e|0*46|x0*2f|0*47|x0*5c|0*92)|\\u00(?:2e|2f|5c)|\\x(?:2e|2f|5c)/;
/** Parameter names whose value is a file or page to load. */
const FILE_NAME =
  /(?:^|[_.[-])(?:file|filename|filepath|path|page|include|inc|template|tpl|doc|document|dir|folder|load|read|view|layout|module|lang|locale|conf|config|src|source|img|image|download|attachment|name|item|show|cat|style|theme|skin)\]?$/;
/** File-reading commands / functions right before an absolute path: `cat /etc/x`, `readfile(/etc/x`. */
const READER =
  /^\s{0,4}(?:cat|tac|more|less|head|tail|nl|od|xxd|hexdump|strings|base64|type|vi|vim|nano|grep|egrep|sort|uniq|cp|mv|ls|dir|source|include|include_once|require|require_once|readfile|file_get_contents|fopen|file|show_source|highlight_file|load_file|curl\s+file:)\s*\(?\s*['"]?\/*$/;

/** A generic config or log file of a site, alone, at most one folder deep (`db.php`, `/logs/access.log`). */
const SITE_FILE =
  /^\/?(?:[\w-]{1,32}\/)?(?:[\w-]{0,32}[_.-])?(?:(?:config|db|database|dbase|settings|conn|connection|connect|dbconnect|dbconfig|configuration|parameters|application|appsettings)\.(?:php\d?|inc|aspx?)|(?:access|error|ssl_access|ssl_error|php_errors?)[._]log)$/;
/** The parameter names a file to load (see `FILE_NAME`), or the value is an upload's file name. */
function fileParam(v: Inspected): boolean {
  return v.field.where === "body-filename" || (v.field.name !== null && FILE_NAME.test(v.field.name));
}

/** Hidden files / folders in a URL path that are public by convention. */
const PUBLIC_DOT = /^\.(?:well-known)$/;
/** Editor and backup leftovers, database dumps. */
const BACKUP_PATH = /(?:\.(?:sql|bak|old|orig|save|swp|swo|backup|bkp)|~|\.sql\.(?:gz|zip|bz2|xz|7z|tar|tgz|rar))$/;
/** A database dump (`db.sql`, `backup.sql.zip`) fetched or named as a whole value. */
const SQL_DUMP = /\.sql(?:\.(?:gz|zip|bz2|xz|7z|tar|tgz|rar))?$/;
const LOG_PATH =
  /(?:^|\/)(?:debug|errors?|access|php_errors?|install|laravel|development|production|npm-debug|yarn-error|catalina|application|app|server|wp-debug)\.log$/;

const UNICODE_SLASH = /[\u2215\u2044\u2571\u29f8\uff0f\uefc8\uf025\u2216\u29f5\u29f9\u2572\uff3c]/;
/** Overlong UTF-8 lead/continuation bytes as Latin-1 (lower case: `\u00c0` is `\u00e0` there). */
function isOverlong(c: number): boolean {
  return (
    c >= 0x80 &&
    (c === 0x80 || c === 0xc0 || c === 0xc1 || c === 0xe0 || c === 0xe1 || c === 0xf0 || c === 0xf8 || c === 0xfc)
  );
}

/** An overlong-UTF-8 leftover right before a `.`, `/` or `\` (only there is it removed). */
function overlongBeforeSeparator(s: string): boolean {
  for (const sep of [".", "/", "\\"]) {
    for (let i = s.indexOf(sep, 1); i !== -1; i = s.indexOf(sep, i + 1))
      if (isOverlong(s.charCodeAt(i - 1))) return true;
  }
  return false;
}

const SHORT_GATE =
  /[/\\_\u2215\u2044\u2571\u29f8\uff0f\uefc8\uf025\u2216\u29f5\u29f9\u2572\uff3c]|\.[a-z$_.]|[\u0080\u00e0\u00e1\u00f0\u00f8\u00fc]\.|0x/;

/**
 * Cheap test (the class's gate): can the value hold a traversal or a sensitive file at all? A
 * separator (`/`, `\`, Unicode slashes, `0x2f`), a climb (`..`, also behind overlong-UTF-8 junk),
 * base64 of `../`, or a file name: every `TARGET` alternative without a slash has a dot followed
 * by a letter, `$` or `_` (`web.config`, `.env`, `boot.ini`) or starts the value (`access_log`);
 * `SQL_DUMP` needs `.sql`, a session file `sess_`.
 */
export function traversalGate(text: string, lower: string): boolean {
  // Short values: the same test in one pass (`_` and `.` followed by a letter stand for the file-name cases).
  if (text.length <= 20) return SHORT_GATE.test(lower) || BASE64_PATH.test(text) || mayBeRepeatedClimb(lower);
  if (text.includes("/") || text.includes("\\")) return true;
  const c = text.charCodeAt(0);
  if ((c === 76 || c === 90 || c === 81 || c === 89 || c === 88) && BASE64_PATH.test(text)) return true;
  for (let i = lower.indexOf("."); i !== -1; i = lower.indexOf(".", i + 1)) {
    const c = lower.charCodeAt(i + 1);
    if ((c >= 97 && c <= 122) || c === 36 || c === 95 || c === 46 || isOverlong(lower.charCodeAt(i - 1))) return true;
  }
  if (text.includes("_") && (lower.includes("_log") || lower.includes("sess_"))) return true;
  return lower.includes("0x") || UNICODE_SLASH.test(text) || mayBeRepeatedClimb(lower);
}

/** A `C0`/`C1` lead (decoded, lower-cased `à`/`á`, or an escape IIS reads) and a continuation (an escape, or a raw byte below 0x40). */
const IIS_OVERLONG = /(?:([\u00e0\u00e1])|%([0-9a-z])([0-9a-z]))(?:%([0-9a-z])([0-9a-z])|([\x00-\x3f]))/g;
/** A hex digit as IIS read it: any letter counts on from `a` = 10. */
const iisDigit = (c: string) => {
  const x = c.charCodeAt(0);
  return x <= 57 ? x - 48 : x - 87;
};
function iisOverlong(
  m: string,
  lead?: string,
  h1?: string,
  h2?: string,
  c1?: string,
  c2?: string,
  raw?: string,
): string {
  const b0 = lead !== undefined ? (lead === "\u00e0" ? 0xc0 : 0xc1) : (iisDigit(h1!) * 16 + iisDigit(h2!)) & 0xff;
  if (b0 !== 0xc0 && b0 !== 0xc1) return m;
  const b1 = raw !== undefined ? raw.charCodeAt(0) : (iisDigit(c1!) * 16 + iisDigit(c2!)) & 0xff;
  const cp = ((b0 & 1) << 6) | (b1 & 0x3f);
  return cp === 0x2e ? "." : cp === 0x2f ? "/" : cp === 0x5c ? "\\" : m;
}

/** Local skeleton: the decoder's leftovers mapped to `.`, `/`; slashes unified; `/./` and `//` collapsed (kept separately). */
function skeleton(lower: string): string {
  let s = lower;
  if (s.includes("..2f") || s.includes("..5c")) s = s.replace(/\.\.(?:2f|5c)/g, "../");
  if (s.includes("0x")) s = s.replace(/0x(2e|2f|5c)/g, (_m, h: string) => (h === "2e" ? "." : h === "2f" ? "/" : "\\"));
  // Division slash, set minus, fraction slash, big solidus, fullwidth forms, IIS best-fit private-use code points.
  if (UNICODE_SLASH.test(s))
    s = s
      .replace(/[\u2215\u2044\u2571\u29f8\uff0f\uefc8\uf025]/g, "/")
      .replace(/[\u2216\u29f5\u29f9\u2572\uff3c]/g, "/");
  // IIS's overlong readings: a `C0`/`C1` lead with a continuation whose top bits it ignored
  // (`%c1%1c` is `\`) or spelled with letters past `f` (`%c1%pc`, `%bg%qf`: it read any letter as
  // a digit), where they spell a dot or a slash.
  if (s.includes("%") || s.includes("\u00e1") || s.includes("\u00e0")) s = s.replace(IIS_OVERLONG, iisOverlong);
  // Overlong UTF-8 lead/continuation bytes decoded as Latin-1 right before a dot or slash (`%c0.`, `%e0%80/`).
  if (overlongBeforeSeparator(s))
    s = s.replace(/[\u0080\u00c0\u00c1\u00e0\u00e1\u00f0\u00f8\u00fc]{1,6}(?=[./\\])/g, "");
  // A lone `%` left between separators (`%25%5c..` decodes to `%\..`): junk a lenient server drops.
  if (s.includes("%")) s = s.replace(/%(?![0-9a-f]{2})/g, "");
  if (s.includes("\\")) s = s.replaceAll("\\", "/");
  return s;
}

/** `//` other than after `:` (`https://`). */
function doubleSlash(path: string): boolean {
  for (let i = path.indexOf("//"); i !== -1; i = path.indexOf("//", i + 1))
    if (i === 0 || path.charCodeAt(i - 1) !== 58) return true;
  return false;
}

/** `a/./b` → `a/b`, `a//b` → `a/b` (not `://`). */
function collapse(path: string): string {
  if (!path.includes("/./") && !path.startsWith("./") && !doubleSlash(path)) return path;
  let s = path.replace(/(^|[^:])\/{2,}/g, "$1/");
  for (let i = 0; i < 4 && s.includes("/./"); i++) s = s.replaceAll("/./", "/");
  return s;
}

/** Windows folder names with spaces (`/Program Files/Apache Group/…`). */
const SPACED_NAMES =
  /program files(?: \(x86\))?|documents and settings|apache group|all users|start menu|application data|local settings/g;

/** A path whose only spaces are inside well-known Windows folder names: one path, not a sentence. */
function spacedPath(trimmed: string): boolean {
  return (
    trimmed.length <= 512 &&
    (trimmed.startsWith("/") || /^[a-z]:\//.test(trimmed)) &&
    !/\s/.test(trimmed.replace(SPACED_NAMES, "_"))
  );
}

/** Base64 of a climb or an absolute path (`Li4v` is `../`, `L2V0Yy` is `/etc`, `ZXRj` is `etc`, `Qzpc` is `C:\`). */
const BASE64_PATH = /^(?:Li4[vuc]|L[2-3][A-Za-z0-9]|ZXRj|[QY]zp[cv]|XC4u|Ly4u)/;

/** Traversal / LFI score of one (normalised) value. */
export function detectTraversal(v: Inspected): Finding | null {
  const kind = v.field.kind;
  let best: Finding | null = kind === "path" ? pathOnly(v.text, v.raw) : null;
  const consider = (f: Finding | null) => {
    if (f !== null && (best === null || f.score > best.score)) best = f;
  };
  consider(valueFinding(v, v.lower, v.raw));
  // `Li4vLi4v…`, `L2V0Yy9wYXNzd2Q=`: base64 of `../../` or of a system path (some include parameters decode their argument).
  if (best === null && v.text.length <= 4096 && BASE64_PATH.test(v.text)) {
    const decoded = base64Text(v.text, 4096);
    if (decoded !== null) {
      const f = valueFinding(v, decoded.toLowerCase(), v.raw);
      // A climb counts as it is; an absolute path only when it names a sensitive file.
      if (f !== null && (v.text.startsWith("Li4") ? f.score >= 3 : f.score >= 5))
        consider({ ruleId: "traversal-encoded", score: Math.max(5, f.score) });
    }
  }
  // A fuzzer's climb unit repeated to a system file, its separators spelled oddly (`%c0%5e%c0%5e%c1%8setc%c1%8spasswd`).
  if (
    (best === null || best.score < 5) &&
    mayBeRepeatedClimb(v.lower) &&
    (repeatedClimb(v.raw) || (v.text !== v.raw && repeatedClimb(v.text)))
  )
    consider({ ruleId: "traversal-evasion", score: 6 });
  // `\.\.\/`: a climb with its dots and slashes escaped (for a regex or a JSON string).
  if ((best === null || best.score < 5) && v.lower.includes("\\.\\.")) {
    const f = valueFinding(v, v.lower.replace(/\\([./\\])/g, "$1"), v.raw);
    if (f !== null && f.score >= 3) consider({ ruleId: "traversal-evasion", score: Math.max(5, f.score) });
  }
  return best;
}

function valueFinding(v: Inspected, lower: string, raw: string): Finding | null {
  if (
    !lower.includes(".") &&
    !lower.includes("/") &&
    !lower.includes("\\") &&
    !lower.includes("0x") &&
    !/[\u2215\u2216\uff0f\uefc8\uf025]/.test(lower)
  )
    return null;
  const kind = v.field.kind;
  const sk = skeleton(lower);
  const path = collapse(sk);
  const trimmed = path.trim();
  // Depth of the deepest whitespace-separated token (two relative paths in a command line are not one climb).
  let depth = 0;
  if (sk.includes("..")) {
    let prev = 0;
    let n = 0;
    DOTDOT.lastIndex = 0;
    let m: RegExpExecArray | null;
    for (let i = 0; i < 256 && (m = DOTDOT.exec(sk)) !== null; i++) {
      // Whitespace since the previous step starts a new token.
      if (/\s/.test(sk.slice(prev, m.index))) n = 0;
      prev = m.index;
      depth = Math.max(depth, ++n);
      if (depth >= 16) break;
    }
  }
  const single = !/\s/.test(trimmed);
  const evasion =
    depth > 0 &&
    (EVASION.test(sk) ||
      (single && lower.includes("..\\")) ||
      sk !== (lower.includes("\\") ? lower.replaceAll("\\", "/") : lower) ||
      ENCODED.test(raw.toLowerCase()) ||
      v.hadNull ||
      // Climbing above the root (`/../x`, `/./../x`): no link does that.
      /^\/(?:\.\/)*\.\.(?:[/;]|$)/.test(trimmed));
  // The value starts with a traversal (`../x`, `/../x`, `./../x`, `..;/x`, `C:..\x`).
  const starts = /^(?:[a-z]:)?\/?(?:\.\/)*\.\.(?:[/;]|$)/.test(trimmed);
  let score = 0;
  let ruleId = "traversal-dot-dot";
  if (depth >= 3) score = 5;
  else if (depth >= 1 && evasion && (single || depth >= 2)) {
    score = 5;
    ruleId = "traversal-evasion";
  } else if (depth >= 2 && starts) score = 5;
  else if (depth >= 1 && starts && single) {
    // A lone relative path: blocks where a path is a file to load (or no browser would send one).
    const fileish =
      v.field.where === "body-filename" ||
      kind === "header" ||
      kind === "cookie" ||
      (v.field.name !== null && FILE_NAME.test(v.field.name));
    score = fileish ? 5 : 4;
  } else if (depth >= 1) score = evasion ? 3 : depth === 2 ? 3 : 2;
  // An upload's file name never contains a directory climb.
  if (depth >= 1 && v.field.where === "body-filename") score = Math.max(score, 5);

  // Where the value starts once the scheme, drive letter, leading slashes and climbs are skipped.
  // `>/tmp/x`: output redirected into a file.
  const redirect = /^>{1,2}\s{0,4}/.exec(trimmed)?.[0] ?? "";
  const lead = redirect + /^(?:(?:url:)?file:|[a-z]:)?(?:\.{1,4};?\/|\/)*/.exec(trimmed.slice(redirect.length))![0];
  const remote = /^[a-z][a-z0-9+.-]{1,20}:\/\/(?!\/)/.test(trimmed) && !/^(?:url:)?file:/.test(trimmed);
  // A `PATH`-style list of directories (`/usr/local/bin:/usr/bin`) names no file to read.
  const dirList = trimmed.includes(":/") && /^(?:\/[\w.-]{1,64}){1,8}(?::(?:\/[\w.-]{1,64}){1,8}){1,32}$/.test(trimmed);
  let target: { index: number } | null =
    kind === "path" || remote || !single || dirList
      ? null
      : SYSTEM_DIR.test(trimmed.slice(lead.length))
        ? { index: path.indexOf(trimmed) + lead.length }
        : null;
  target ??= findTarget(path);
  if (target) {
    const prefix = path.slice(0, target.index);
    const isPath =
      kind === "path" ||
      depth > 0 ||
      (!remote &&
        // One token ending in the target (`/etc/passwd`, `.ssh/id_rsa`, `file:///etc/x`, `/static/x/`, encoding junk), a drive path
        // (may contain spaces: `C:/Documents and Settings/…`), or right after `=` / `(`.
        (single ||
          /^\s*[a-z]:\//.test(prefix) ||
          /[=(](?:file:\/\/|[a-z]:)?\/*$/.test(prefix.slice(-16)) ||
          spacedPath(trimmed)));
    // `cat /etc/x` as the whole (one-line) value, or `>/tmp/x`: the value is a command that reads or writes that file.
    const read =
      (prefix.length <= 40 &&
        READER.test(prefix) &&
        !/[\n|;&]/.test(path) &&
        !/\s/.test(path.slice(target.index).trim())) ||
      /(?:^|[\s;|&])>{1,2}\s*\/?$/.test(prefix.slice(-8));
    let t = isPath ? (depth > 0 ? 7 : 6) : read ? 6 : 3;
    // A site's own file named alone (`db.php`, `/config.asp`, `logs/access.log`) in a parameter
    // that is not a file to load: a link or a search for it, not a read of it.
    if (t === 6 && depth === 0 && (kind === "query" || kind === "body") && !fileParam(v) && SITE_FILE.test(trimmed))
      t = 4;
    if (v.hadNull && t < 8) t++;
    if (t > score) {
      score = t;
      ruleId = "traversal-sensitive-file";
    }
  } else if (depth > 0 && v.hadNull && score < 8) score++;

  // A whole value that is a database dump or a site backup (`backup.sql.zip`).
  if (single && score < 5 && v.field.where !== "body-filename" && SQL_DUMP.test(trimmed)) {
    score = 5;
    ruleId = "traversal-backup-file";
  }
  return score > 0 ? { ruleId, score } : null;
}

/** What scanners fetch by URL path: hidden files and folders, backups, logs, dev-server file endpoints. */
/**
 * A server-side script dressed as a static file for an extension check (`shell.asp;.jpg`,
 * `do.php%0a.png`, `x.php%23.css`, `x.php%00.gif`): a `;`, `#`, line break or NUL between the real
 * extension and the one the check reads.
 */
const DISGUISED_SCRIPT =
  /\.(?:php\d?|phtml|phar|aspx?|asa|cer|ashx|jspx?|cgi|pl|py|sh)[;#\r\n\0\u560a\u560d][^/]{0,64}\.(?:png|jpe?g|gif|bmp|ico|svg|webp|css|js|txt|pdf|html?)$/;

function pathOnly(text: string, raw: string): Finding | null {
  const path = text.toLowerCase();
  for (const seg of path.split("/", 64)) {
    if (seg.length > 1 && seg.startsWith(".") && seg !== ".." && !PUBLIC_DOT.test(seg))
      return { ruleId: "traversal-hidden-file", score: 5 };
  }
  if (/(?:^|\/)@fs\/|(?:^|\/)@id\/__x00__/.test(path)) return { ruleId: "traversal-dev-server", score: 5 };
  const last = path.slice(path.lastIndexOf("/") + 1);
  if (BACKUP_PATH.test(last)) return { ruleId: "traversal-backup-file", score: 5 };
  // The raw path still has the NUL that normalisation drops (`x.php%00.gif`).
  if (DISGUISED_SCRIPT.test(last) || (raw.includes("\0") && DISGUISED_SCRIPT.test(raw.toLowerCase())))
    return { ruleId: "traversal-disguised-script", score: 5 };
  if (LOG_PATH.test(path)) return { ruleId: "traversal-log-file", score: 5 };
  if (last.endsWith(".log")) return { ruleId: "traversal-log-file", score: 3 };
  return null;
}
