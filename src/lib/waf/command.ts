/**
 * OS command injection (Unix shells, cmd.exe, PowerShell).
 *
 * The value is first turned into a *shell view*: obfuscations a shell would undo are undone
 * (`c''at`, `"w"hoami`, `c\at`, `ca$@t`, `c${x}url`, `${IFS}`, `$IFS$9`, `w^h^o^a^m^i`,
 * `{cat,/etc/passwd}`, `c{a,oun}t`), literal `\n` between commands becomes a newline and a `+`
 * of form encoding next to a separator a space (`+|+dir`); cmd.exe built-ins end at `+`
 * (`dir+c:\`). Then
 * the view is scanned for *command positions*: the start of the value, after `;`, `|`, `||`,
 * `&`, `&&`, a newline (short values only), inside backticks, `$( … )`, `<( … )`, `>( … )`, and
 * after prefixes such as `time`, `nohup`, `sudo`. A command name there (a hand-written list;
 * globs such as `/???/c?t` are matched against it without building any RegExp from the value)
 * scores by what follows it: flags, paths, URLs, addresses, redirections and variables push it
 * over the threshold; plain words do not (`Salt & pepper; cat food`), and words that are also
 * ordinary language (`cat`, `more`, `time`, `type`) need stronger evidence than tool names
 * (`wget`, `whoami`, `nslookup`). Unix names match in lower case only (the shell is
 * case-sensitive, so "Name; ID" is not a command); cmd.exe names match in any case.
 *
 * Recognised anywhere: Shellshock (`() { :; };`), `/dev/tcp/` reverse shells, interpreters
 * launched with inline code (`sh -c`, `cmd /c`, `powershell -enc`, `python -c`, `nc -e`), SSI
 * `<!--#exec cmd=`, `system('id')`-style calls with a command string, cmd.exe `FOR %x IN (…)` /
 * `IF EXIST …` control flow, PowerShell cmdlets with arguments, bash-only syntax (`$[…]`,
 * `${x#…}`, process substitution, history `!-1`, tilde `~+`, `alias x=…`), globbed system paths
 * (`/etc/pa[s]swd`) and, for upload file names, server configuration files (`wp-config.php`).
 *
 * Prose is prose: fenced markdown code blocks are skipped, table pipes are not pipelines, in
 * long text newlines are not separators and weak signals lose points.
 *
 * Cost: `commandGate` (the gate in `inspect.ts`) turns away values with no shell syntax, no
 * flag or switch after a space, no call with a string, no launcher or PowerShell word and no
 * command name or path at the start (prose, titles, tags, dates: most values) with a few
 * `includes` scans or one pass over a short value. In `detectCommand` every stage runs behind a
 * cheap test for what it needs (a character of the value, a word, a command name at a command
 * position), so a URL with `&` or a paragraph with a semicolon costs a few scans, not the whole
 * analysis; everything is linear in the value (loops bounded, no RegExp built from the value).
 */
import type { Finding, Inspected } from "./types.ts";

// ---------------------------------------------------------------------------------------------
// Vocabulary (written for this filter).

const words = (s: string): string[] => s.trim().split(/\s+/);

/** Reconnaissance commands: on their own after a separator they are a probe (`;id`, `| whoami`). */
const RECON = new Set(words(`
  id whoami uname ifconfig ipconfig hostname netstat pwd groups lsb_release getent printenv env ps arp lsof uptime
  who lastlog lastlogin users ss nproc lscpu lsblk hostid logname systeminfo sysinfo tasklist ver nltest quser qwinsta
  net set ls dir w last history htop top df mount
`));

/**
 * Unix programs that are not words of ordinary language: in command position they mean a shell.
 * (Versioned forms such as `python3.10`, `gcc10.1`, `php7` are reduced to these.)
 */
const TOOLS = new Set(words(`
  ls id whoami uname ifconfig hostname netstat printenv getent lsof lsb_release arp nproc lscpu lsblk hostid logname
  wget curl nc ncat netcat socat telnet nslookup dig traceroute tracepath tftp scp ssh sftp rsync ftp nmap masscan tcpdump
  bash sh zsh ksh dash csh tcsh ash busybox python python2 python3 perl ruby irb php lua luajit node nodejs deno bun
  jrunscript jjs jshell groovy tclsh wish gawk awk mawk nawk sed gsed
  chmod chown chgrp chattr lsattr rm rmdir mkdir mv cp ln mkfifo mknod shred unlink truncate install
  base64 base32 basenc xxd hexdump od strings tac rev nl
  gzip gunzip zcat bzip2 bunzip2 bzcat xz unxz xzcat lzma zstd zstdcat unzstd lz4 lz4cat tar bsdtar cpio unzip 7z 7za ar
  pkill killall pgrep nohup setsid disown strace ltrace gdb lldb perf valgrind timeout cpulimit ionice chrt taskset
  crontab atq atrm batch systemctl service journalctl sysctl modprobe insmod rmmod lsmod dmesg
  sudo su doas pkexec visudo passwd chpasswd useradd userdel usermod adduser deluser groupadd newgrp
  openssl gpg keytool certutil ssh-keygen ssh-keyscan
  xargs env exec eval printf echo grep egrep fgrep rgrep zgrep find locate updatedb which whereis readlink realpath stat file
  head tail more less cat sort uniq cut tr wc tee dd split paste join comm fold column expand unexpand fmt pr
  gcc g++ cc c89 c99 clang tcc make cmake ld as ldd objdump readelf nm
  apt apt-get aptitude dpkg yum dnf rpm zypper apk pacman pip pip3 npm npx gem cargo composer snap flatpak
  docker podman kubectl crictl ctr runc lxc virsh
  ansible ansible-playbook ansible-galaxy ansible-vault ansible-config ansible-console ansible-doc ansible-inventory ansible-pull
  chef chef-client chef-shell chef-solo chef-run chef-vault knife puppet salt salt-call terraform vagrant cscli
  rmt rmt-tar rmt-dump restore dump tar flock
  aa-disable aa-enforce aa-complain aa-exec
  lastlog lastlogin last who w finger htop top iotop ps pstree
  shutdown reboot halt poweroff init telinit
  mysql psql sqlite3 redis-cli mongo mongosh
  msfconsole msfvenom hydra sqlmap nikto john hashcat
  uptime free df du mount umount losetup fdisk mkfs
  alias unalias trap export unset source history declare typeset readonly let ulimit umask
  time nice renice watch script expect screen tmux
  mail sendmail mailx mutt
  ping ping6 arping route ip ss iptables ip6tables nft ufw firewall-cmd
  test true false yes sleep kill cd touch
`));

/** Programs whose names are also ordinary words (in some language): they need stronger evidence. */
const WORDY = new Set(words(`
  cat more less find sort cut time set who last free test yes true false type copy del dir ver net echo sleep head tail
  kill file make mail script source history jobs host ping curl node java ruby perl python chef column fold comm join
  paste split expand trap flock rev tac nl od tee nice watch wall write look at cd sc reg start call exit go w top
  touch mount dump restore batch salt finger expect screen install let declare alias export unset as ar ld nm pr fmt
  dig ssh ftp ip route find locate which stat readonly umask shutdown halt init service apt snap make gem cargo
  john hydra puppet knife restore init tar zip link date vi cal bc dc env ps df du id
`));

/** cmd.exe and Windows programs (matched in any case). */
const WINDOWS = new Set(words(`
  cmd command powershell pwsh whoami ipconfig systeminfo sysinfo tasklist taskkill net net1 netsh netstat reg regedit
  wmic certutil bitsadmin mshta rundll32 regsvr32 cscript wscript schtasks sc type dir ver nltest dsquery qwinsta quser
  findstr del erase copy xcopy robocopy attrib icacls cacls takeown vssadmin wevtutil bcdedit bcdboot diskpart format
  shutdown tree more ping nslookup tracert arp route hostname set echo start call cd chdir md mkdir rd rmdir ren move
  msiexec forfiles cmdkey klist setspn gpresult fsutil mountvol esentutl ntdsutil wusa pnputil driverquery openfiles
  curl tar timeout
`));
/** cmd.exe built-in commands (their name ends at `+`, `,`, `;`, `=` as at a space). */
const CMD_BUILTINS = new Set(words("dir type echo cd chdir copy del erase md mkdir rd rmdir ren move set start call ver"));
/** Windows programs that are not words. */
const WINDOWS_TOOLS = new Set(words(`
  powershell pwsh whoami ipconfig systeminfo sysinfo tasklist taskkill netsh reg regedit wmic certutil bitsadmin mshta
  rundll32 regsvr32 cscript wscript schtasks nltest dsquery qwinsta quser findstr xcopy robocopy icacls cacls takeown
  vssadmin wevtutil bcdedit bcdboot diskpart tracert msiexec forfiles cmdkey klist setspn gpresult fsutil mountvol
  esentutl ntdsutil wusa pnputil driverquery openfiles net1
`));

/**
 * Programs whose use in a request is attack-typical whatever their arguments: reconnaissance,
 * remote shells, accounts and privileges, orchestration and tracing tools. Developer tools
 * (`git`, `npm`, `pip`, `python -m venv`, `ls -la`, `awk`) are not here: posted snippets use them,
 * so they need dangerous arguments (system paths, downloads, reverse shells) to count.
 */
const DANGER = new Set(words(`
  id whoami uname ifconfig netstat getent printenv lsof arp lastlog lastlogin nltest
  nc ncat netcat socat telnet tftp wget passwd chpasswd useradd userdel usermod adduser deluser visudo pkexec crontab
  base32 mkfifo mknod killall pkill shutdown reboot halt poweroff
  ansible ansible-playbook ansible-galaxy ansible-vault ansible-config ansible-console ansible-doc ansible-inventory ansible-pull
  chef-client chef-shell chef-solo chef-run chef-vault knife salt-call cscli gdb strace ltrace perf cpulimit
  rmt rmt-tar rmt-dump aa-disable aa-enforce aa-complain aa-exec aptitude htop msfconsole msfvenom jrunscript jjs
  whoami ipconfig systeminfo sysinfo tasklist taskkill netsh reg regedit wmic certutil bitsadmin mshta rundll32 regsvr32
  schtasks vssadmin wevtutil bcdedit bcdboot icacls cacls takeown dsquery qwinsta quser cmdkey klist setspn ntdsutil net1
`));
/** Programs that fetch from or connect to a host: a URL or address after them is a download or a connection. */
const NETWORK = new Set(words("wget curl nc ncat netcat socat telnet tftp ftp scp sftp rsync ssh fetch lwp-download iwr irm certutil bitsadmin"));

/** Prefixes that run the command after them (`time id`, `nohup nc …`, `sudo -u root sh`). */
const PREFIXES = new Set(words("time nohup sudo doas strace ltrace nice ionice timeout exec command builtin xargs busybox setsid env stdbuf unbuffer watch chroot cpulimit flock taskset chrt proxychains torsocks"));

/** Prefixes that only wrap a process (`time`, `nohup`, `strace`): what they run is attack-typical when it is a tool. */
const RUNNERS = new Set(words("time nohup strace ltrace setsid busybox cpulimit stdbuf unbuffer torsocks proxychains"));

/** Shells and interpreters: with nothing after them they still start a program. */
const SHELLS = new Set(words("sh bash zsh ksh dash csh tcsh ash fish busybox python python2 python3 perl ruby irb php lua node nc ncat netcat socat telnet cmd powershell pwsh"));

/** Names a glob (`/???/c?t`, `/bin/[c]at`) is compared with. */
const GLOB_COMMANDS = words("cat nc id ls sh bash dash zsh wget curl python python3 perl php ruby whoami uname base64 ncat netcat telnet socat ifconfig hostname nslookup ping head tail more less tac rev nl od xxd strings sed awk grep find chmod rm cp mv busybox env printenv getent passwd");
/** Path segments of system locations and sensitive files, for globbed paths (`/e??/pa[s]swd`). */
const GLOB_SEGMENTS = words("etc bin sbin usr lib lib64 tmp var dev proc sys home root boot opt srv run local passwd shadow group hosts hostname issue sudoers crontab environ cmdline id_rsa authorized_keys bash_history motd resolv.conf self fd tcp udp log www html");

// ---------------------------------------------------------------------------------------------
// Glob matching (hand-written; bounded cost; never builds a RegExp from the value).

type GlobTok = { k: "c"; c: string } | { k: "?" } | { k: "*" } | { k: "set"; neg: boolean; items: string };
interface Glob {
  toks: GlobTok[];
  /** A literal character no command or path name has (`=`, `&`, upper case): it matches none of them. */
  alien: boolean;
  /** Characters a match needs at least (every token but `*` takes one). */
  fixed: number;
  star: boolean;
}

/** Compiles a shell glob (`?`, `*`, `[abc]`, `[a-z]`, `[!x]`) into tokens; null when it is too long. */
function compileGlob(pattern: string): Glob | null {
  if (pattern.length > 64) return null;
  const toks: GlobTok[] = [];
  let fixed = 0;
  let star = false;
  let alien = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === "?") toks.push({ k: "?" });
    else if (ch === "*") {
      star = true;
      if (toks.at(-1)?.k !== "*") toks.push({ k: "*" });
      continue;
    } else if (ch === "[") {
      const close = pattern.indexOf("]", i + 2);
      if (close === -1) toks.push({ k: "c", c: ch });
      else {
        let body = pattern.slice(i + 1, close);
        const neg = body[0] === "!" || body[0] === "^";
        if (neg) body = body.slice(1);
        toks.push({ k: "set", neg, items: body });
        i = close;
      }
    } else {
      toks.push({ k: "c", c: ch });
      const c = ch.charCodeAt(0);
      if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 46 || c === 95 || c === 45)) alien = true;
    }
    fixed++;
  }
  return { toks, fixed, star, alien };
}

function inSet(t: { neg: boolean; items: string }, c: string): boolean {
  // `[?]` is a literal `?` to bash, but payloads use it as a wildcard: be generous.
  if (!t.neg && (t.items.includes("?") || t.items.includes("*"))) return true;
  let hit = false;
  for (let j = 0; j < t.items.length; j++) {
    const a = t.items[j]!;
    if (t.items[j + 1] === "-" && j + 2 < t.items.length) {
      const b = t.items[j + 2]!;
      if (c >= a && c <= b) hit = true;
      j += 2;
    } else if (a === c) hit = true;
  }
  return hit !== t.neg;
}

const tokMatches = (t: GlobTok, c: string): boolean => (t.k === "?" ? true : t.k === "c" ? t.c === c : t.k === "set" ? inSet(t, c) : false);

/** Does the compiled glob match `word`? Linear without `*`, O(|pattern|·|word|) with it (both short). */
function globMatches(g: Glob, word: string): boolean {
  if (word.length > 40 || (g.star ? word.length < g.fixed : word.length !== g.fixed)) return false;
  if (!g.star) {
    for (let j = 0; j < word.length; j++) if (!tokMatches(g.toks[j]!, word[j]!)) return false;
    return true;
  }
  // prev[j]: tokens so far match word[0..j).
  let prev: boolean[] = new Array<boolean>(word.length + 1).fill(false);
  prev[0] = true;
  for (const t of g.toks) {
    const next: boolean[] = new Array<boolean>(word.length + 1).fill(false);
    if (t.k === "*") {
      let any = false;
      for (let j = 0; j <= word.length; j++) {
        any ||= prev[j]!;
        next[j] = any;
      }
    } else {
      for (let j = 1; j <= word.length; j++) if (prev[j - 1]) next[j] = tokMatches(t, word[j - 1]!);
    }
    prev = next;
  }
  return prev[word.length]!;
}

/** Does the shell glob `pattern` (`?`, `*`, `[abc]`, `[a-z]`, `[!x]`) match `word`? O(|pattern|·|word|), both short. */
export function globMatch(pattern: string, word: string): boolean {
  if (word.length > 40) return false;
  const g = compileGlob(pattern);
  return g !== null && globMatches(g, word);
}

/** The first of `names` the glob matches. */
function globMatchAny(pattern: string, names: readonly string[]): string | null {
  const g = compileGlob(pattern);
  if (g === null) return null;
  for (const n of names) if (globMatches(g, n)) return n;
  return null;
}

/** Glob segments and command names, by length (a glob without `*` only matches names of its own length). */
const GLOB_NAMES = [...GLOB_SEGMENTS, ...GLOB_COMMANDS];
const GLOB_NAME_MAX = Math.max(...GLOB_NAMES.map((n) => n.length));
const GLOB_NAMES_BY_LENGTH: readonly string[][] = Array.from({ length: GLOB_NAME_MAX + 1 }, (_, k) => GLOB_NAMES.filter((n) => n.length === k));

/** Does the glob segment name a system location or a command (`e?c`, `pa[s]swd`, `c?t`)? */
function globNamesSomething(seg: string): boolean {
  // Without `*` and `[…]`, every character takes one: too long to match any name.
  if (!seg.includes("[")) {
    if (seg.length > GLOB_NAME_MAX && !seg.includes("*")) return false;
    // A character no name has (`=`, `&`, upper case) outside a `[…]` class: no match.
    for (let i = 0; i < seg.length; i++) {
      const c = seg.charCodeAt(i);
      if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 46 || c === 95 || c === 45 || c === 63 || c === 42)) return false;
    }
  }
  const g = compileGlob(seg);
  if (g === null || g.alien || g.fixed > GLOB_NAME_MAX) return false;
  for (const n of g.star ? GLOB_NAMES : GLOB_NAMES_BY_LENGTH[g.fixed]!) if (globMatches(g, n)) return true;
  return false;
}

const hasGlob = (s: string): boolean => s.includes("?") || s.includes("*") || s.includes("[");

/** A glob word such as `c?t` or `[c]at` that names a known command (it needs a literal letter). */
function globCommand(word: string): string | null {
  if (!hasGlob(word) || !/[a-z]/.test(word) || word.length > 40) return null;
  return globMatchAny(word, GLOB_COMMANDS);
}

const GLOB_SEGMENT_SET: ReadonlySet<string> = new Set(GLOB_SEGMENTS);

/** `???`, `*`, `?*` (`/^[?*]+$/`). */
function onlyWildcards(seg: string): boolean {
  for (let i = 0; i < seg.length; i++) if (seg[i] !== "?" && seg[i] !== "*") return false;
  return seg.length > 0;
}

/** A path with a glob in one of its segments that names a system location (`/e?c/pa[s]swd`, `/[e///]tc`). */
function globbedSystemPath(s: string): boolean {
  // Slashes inside a bracket class cannot match; drop them so `[e///]tc` is one segment.
  const path = s.includes("[") ? s.replace(/\[[^\]\s]{0,20}\]/g, (m) => m.replaceAll("/", "")) : s;
  let hits = 0;
  let globs = 0;
  let named = false;
  // The first 12 segments (`path.split("/", 12)`), sliced only when they may count.
  for (let from = 0, k = 0; k < 12 && from <= path.length; k++) {
    let to = path.indexOf("/", from);
    if (to === -1) to = path.length;
    const len = to - from;
    let glob = false;
    let plain = true; // only characters of the names ([a-z0-9._-]) outside `[…]`
    for (let j = from; j < to; j++) {
      const c = path.charCodeAt(j);
      if (c === 63 || c === 42 || c === 91) glob = true;
      else if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 46 || c === 95 || c === 45)) plain = false;
    }
    const start = from;
    from = to + 1;
    if (len === 0 || len > 40) continue;
    if (glob) {
      globs++;
      const seg = path.slice(start, to);
      if (onlyWildcards(seg)) hits++;
      else if ((plain || seg.includes("[")) && globNamesSomething(seg)) {
        hits++;
        named = true;
      }
    } else if (plain && len <= GLOB_NAME_MAX && GLOB_SEGMENT_SET.has(path.slice(start, to))) hits++;
  }
  return globs > 0 && (hits >= 2 || (named && path.startsWith("/")));
}

// ---------------------------------------------------------------------------------------------
// Which syntax characters a value holds (one pass), so that each stage is skipped when what it
// needs is absent. The shell view only removes characters or adds spaces, letters and newlines.

const MASK_CHARS = "{(/\\$'\"`^\t\r\n-:<>[~!%?*|&;,=xX1";
const MASK_OF = new Uint32Array(128);
for (let k = 0; k < MASK_CHARS.length; k++) MASK_OF[MASK_CHARS.charCodeAt(k)] = 1 << k;
const bit = (ch: string): number => 1 << MASK_CHARS.indexOf(ch);
const M_BRACE = bit("{");
const M_PAREN = bit("(");
const M_SLASH = bit("/");
const M_BACKSLASH = bit("\\");
const M_DOLLAR = bit("$");
const M_SQUOTE = bit("'");
const M_DQUOTE = bit('"');
const M_BACKTICK = bit("`");
const M_CARET = bit("^");
const M_TAB = bit("\t");
const M_CR = bit("\r");
const M_NEWLINE = bit("\n");
const M_DASH = bit("-");
const M_COLON = bit(":");
const M_LT = bit("<");
const M_GT = bit(">");
const M_BRACKET = bit("[");
const M_TILDE = bit("~");
const M_BANG = bit("!");
const M_PERCENT = bit("%");
const M_QUESTION = bit("?");
const M_STAR = bit("*");
const M_PIPE = bit("|");
const M_AMP = bit("&");
const M_SEMI = bit(";");
const M_COMMA = bit(",");
const M_EQUALS = bit("=");
/** Letters of `busybox` and `.ps1` that prose rarely has. */
const M_X = bit("x") | bit("X");
const M_ONE = bit("1");
const M_QUOTES = M_SQUOTE | M_DQUOTE;

/** The MASK_CHARS a string holds: one pass over short strings, `includes` scans over long ones (faster per character). */
function charMask(t: string): number {
  let m = 0;
  if (t.length <= 80) {
    for (let i = 0; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c < 128) m |= MASK_OF[c]!;
    }
    return m;
  }
  for (let k = 0; k < MASK_CHARS.length; k++) if (t.includes(MASK_CHARS[k]!)) m |= 1 << k;
  return m;
}

// ---------------------------------------------------------------------------------------------
// The shell view.

/** Undo what a shell would undo, so `c''a""t` is `cat` and `${IFS}` is a space. */
function shellView(s: string, windowsPaths: boolean, mask: number): string {
  let t = s;
  // Literal `\n` / `\r` used as separators in payload lists ("\nid\n"), unless backslashes are Windows paths.
  if (!windowsPaths && mask & M_BACKSLASH && /\\[nr]/.test(t)) t = t.replace(/\\[nr](?=[\s\w/;|&.$`'"-]|$)/g, "\n");
  if (mask & M_DOLLAR) {
    t = t
      .replace(/\$\{IFS(?:[%#][^}]{0,8})?\}|\$IFS(?:\$\d)?(?![A-Za-z0-9_])/g, " ")
      .replace(/\$\{?SHELL\}?|\$\{?BASH\}?|\$0(?!\d)/g, " sh ")
      .replace(/\$[@*]|\$\{\}|\$\d(?!\d)/g, "")
      // `c${x}url`, `ca$u t`: an (unset) variable glued to letters expands to nothing.
      .replace(/(?<=[a-z])\$\{[A-Za-z_]\w{0,15}\}|\$\{[A-Za-z_]\w{0,15}\}(?=[a-z])/g, "")
      .replace(/(?<=[a-z])\$[a-z_]{1,3}(?=[a-z])/g, "")
      // `|$u wget`: a short unset variable before a command.
      .replace(/(?<=^|[;|&`(\n]\s{0,4})\$[a-z_]{1,3}\s+(?=[a-z])/g, "");
  }
  // `$'…'` (ANSI-C quoting; its `\xHH` escapes are already decoded) is a quoted word.
  if (mask & M_QUOTES) t = (mask & M_DOLLAR ? t.replace(/\$(?=['"])/g, "") : t).replaceAll("'", "").replaceAll('"', "");
  // `c\at` → `cat`, `\ls` → `ls`, `curl\ host` → `curl host`; Windows paths keep their separators.
  if (mask & M_BACKSLASH && !windowsPaths) t = t.replace(/\\(?=[\w/ .-])/g, "");
  if (mask & M_CARET) t = t.replace(/(?<=[A-Za-z])\^(?=[A-Za-z])/g, "");
  // A `+` between a separator (or the start) and a name, or before a separator, is a space of form encoding (`+|+dir`, `;+id`).
  if (t.includes("+")) t = t.replace(/(?<=^|[;|&\n\r])\++(?=[\w/\\.])|\++(?=[;|&\n\r])/g, " ");
  if ((mask & (M_BRACE | M_COMMA)) === (M_BRACE | M_COMMA)) t = t.replace(BRACES, (_m, pre: string, body: string, post: string) => ` ${expandBraces(pre, body, post)} `);
  if (mask & M_TAB) t = t.replaceAll("\t", " ");
  if (mask & M_CR) t = t.replaceAll("\r", "\n");
  return t;
}

const BRACES = /([\w/.-]{0,30})\{([^{}\s]{0,120},[^{}\s]{0,120})\}([\w/.-]{0,30})/g;
const expandBraces = (pre: string, body: string, post: string): string => body.split(",", 12).map((x) => `${pre}${x}${post}`).filter((x) => x !== "").join(" ");

/**
 * Brace expansion that builds a command: `{,ip,a}`, `{id,}` (empty items), `c{a,oun}t`, `{l,-lh}s`
 * (glued to the name), `{cat,/etc/passwd}` (shell arguments). `{id,name}` (GraphQL) is not.
 */
function braceCommand(s: string): boolean {
  if (!s.includes("{") || !s.includes(",")) return false;
  let n = 0;
  for (const m of s.matchAll(BRACES)) {
    if (++n > 32) break;
    const [, pre, body, post] = m as unknown as [string, string, string, string];
    const items = body.split(",", 12);
    const expanded = expandBraces(pre, body, post);
    const cmd = commandAt(expanded, 0);
    if (cmd === null) continue;
    if (items.includes("") || pre !== "" || post !== "" || /(?:^|\s)-[a-z]|\//.test(cmd.args) || cmd.danger) return true;
  }
  return false;
}

/** Fenced code blocks of markdown (documentation, not input to a shell). */
function withoutFences(s: string): string {
  if (!s.includes("```") && !s.includes("~~~")) return s;
  return s.replace(/(?:```|~~~)[^\n]{0,40}\n[\s\S]{0,20000}?(?:```|~~~)/g, " ");
}

// ---------------------------------------------------------------------------------------------
// Commands.

interface CommandAt {
  /** The command name as recognised (lower case). */
  name: string;
  /** Arguments up to the next separator. */
  args: string;
  windows: boolean;
  /** Recognised through an obfuscation or a system path (`/usr/bin/id`, `/???/c?t`, `\ls`). */
  marked: boolean;
  /** The name is not a word of ordinary language. */
  tool: boolean;
  /** Attack-typical whatever its arguments (see DANGER). */
  danger: boolean;
  /** What ended the command: `;`, `|`, `&`, a newline, a backtick, `)` or "" for the end of the value. */
  end: string;
  /** Offset in the text just after the command name. */
  after: number;
}

const COMMAND_WORD = /^[\s({]{0,8}((?:[a-z]:|%\w{1,20}%|~|\.{1,2})?(?:[\\/][\w.?*[\]!-]{0,40}){0,8}[\\/]|(?:usr\/(?:local\/)?)?s?bin\/)?([\w.?*[\]!+-]{1,40})/i;
const BIN_DIR = /^\/?(?:usr\/(?:local\/)?)?s?bin\/$/;
const SYSTEM_DIR = /^(?:\/usr(?:\/local)?)?\/s?bin\/|^\/(?:usr|bin|sbin|opt|tmp|var|etc|dev|home|root|lib)\/|^s?bin\//;

/** The known command at `i` (after optional whitespace and a path such as `/usr/bin/` or `C:\Windows\System32\`). */
function commandAt(s: string, i: number): CommandAt | null {
  const m = COMMAND_WORD.exec(s.slice(i, i + 400));
  if (!m) return null;
  const path = m[1] ?? "";
  let word = m[2]!;
  let end = i + m[0].length;
  // cmd.exe ends the name of a built-in command at `+` as at a space (`dir+c:\`, `Type+x`).
  const plus = word.indexOf("+");
  const plusEnds = plus > 0 && plus < word.length - 1 && CMD_BUILTINS.has(word.slice(0, plus).toLowerCase());
  if (plusEnds) {
    end -= word.length - plus;
    word = word.slice(0, plus);
  }
  // A trailing dot or dash belongs to the sentence, not the name.
  word = word.replace(/[.+-]+$/, "");
  if (word === "") return null;
  let name: string | null = null;
  let windows = false;
  let marked = path !== "" && (SYSTEM_DIR.test(path) || hasGlob(path));
  if (hasGlob(word)) {
    name = globCommand(word);
    if (name === null) return null;
    marked = true;
  } else if (TOOLS.has(word)) name = word;
  else {
    // Versioned interpreters and compilers: `python3.10`, `gcc10.1`, `php7.4`, `perl5`.
    const base = word.replace(/[\d.]+$/, "");
    if (base !== word && base.length >= 2 && TOOLS.has(base) && !WORDY.has(base)) name = base;
    else {
      const lower = word.toLowerCase().replace(/\.(?:exe|com|bat|cmd)$/, "");
      if (WINDOWS.has(lower) && (lower === word.toLowerCase() || /\.(?:exe|com)$/i.test(word) || word === word.toUpperCase() || /^[A-Z][a-z]+$/.test(word) || WINDOWS_TOOLS.has(lower))) {
        name = lower;
        windows = true;
      } else if (TOOLS.has(lower) && !WORDY.has(lower) && lower.length >= 4 && word !== word.toUpperCase()) {
        // Mixed case of a tool name (`ZsTdcaT`): counts only with a path or the like (see argsScore).
        name = lower;
      } else if (BIN_DIR.test(path) && /^[a-z][\w.+-]{0,30}$/.test(word) && !/^s?bin$/.test(word)) {
        // Anything run from a system directory (`/bin/ab`, `/usr/bin/python3`).
        name = word;
      }
    }
  }
  if (name === null) return null;
  // A name is a command only when a word boundary of the shell follows it (not `curl/8.5`, `PowerShell:`).
  const follow = s[end] ?? "";
  if (plusEnds ? !windows : follow !== "" && !/[\s;|&`)<>'"$#{]/.test(follow) && !(windows && follow === "/")) return null;
  const tool = windows ? WINDOWS_TOOLS.has(name) : !WORDY.has(name) && (TOOLS.has(name) || marked);
  const after = plusEnds ? end + 1 : end;
  const rest = s.slice(after, after + 2000);
  const argEnd = rest.search(/[;|&\n`)]|\$\(/);
  // A trailing `#` comments out whatever the application appends.
  const args = (argEnd === -1 ? rest : rest.slice(0, argEnd)).replace(/(?:^|\s)#.*$/, "").trim();
  const danger = DANGER.has(name) || (name === "net" && /^(?:user|localgroup|group|view|share|use|accounts|session)\b/i.test(args)) || (SHELLS.has(name) && (args === "" || /^-[a-z]*[ic]\b/.test(args)));
  return { name, args, windows, marked, tool, danger, end: argEnd === -1 ? "" : rest[argEnd]!, after };
}

/** Paths a shell payload reads or runs (not `/settings` in prose). */
const SYSTEM_PATH = /(?:^|[\s=,:])(?:\/(?:etc|bin|sbin|usr|tmp|var|dev|proc|home|root|opt|sys|boot|lib|srv|run|mnt|windows)(?:\/|\b)|\/(?=\s|$)|~\/|[a-z]:[\\/]|%\w{2,30}%\\?|\.\.?\/|\/[?*]{1,4}\/|\\\\\w)/i;

/** How strongly the arguments of a command say "shell" (0: not at all). */
function argsScore(c: CommandAt): number {
  const a = c.args;
  if (a === "") return 0;
  const wordy = !c.tool;
  if (/(?:^|\s)--?[a-z]/i.test(a)) return 3; // flags
  if ((c.windows || WINDOWS.has(c.name)) && /(?:^|\s)\/[a-z?]{1,12}(?::\S*)?(?:\s|$)/i.test(a)) return 3; // cmd.exe switches
  if (c.name === "net" && /^(?:user|users|localgroup|group|view|share|use|accounts|config|session|start|stop)\b/i.test(a)) return 3;
  if (c.name === "reg" && /^(?:add|query|delete|save|export|import)\s/i.test(a)) return 3;
  if (SYSTEM_PATH.test(a)) return 3;
  if (/\bHKEY_|\bHK(?:LM|CU|CR|U)\b/.test(a)) return 3;
  if (/(?:^|[\s\d])[<>]{1,2}(?![=\s]*\d)|2>&1|<<<|\$[\w{(]/.test(a)) return 3; // redirections (not `>= 18`, `Vec<T>`), variables
  if (/^\d+(?:\.\d+)?$/.test(a) && ["sleep", "ping", "timeout"].includes(c.name)) return 3;
  if (/[a-z]+:\/\/|\b\d{1,3}(?:\.\d{1,3}){3}\b/i.test(a) && (!wordy || !/\s\w+\s+\w+\s/.test(` ${a} `))) return 3; // URLs, addresses
  if (/(?:^|\s)(?:sh|bash),-c,/.test(a)) return 3;
  return 0;
}

/** Locations an attack reads, runs or writes (not `~/projects`, `.venv/bin`, `/dev/null`). */
const SENSITIVE_PATH = /(?:^|[\s=,:'"<>])(?:\/(?:etc|bin|sbin|usr\/s?bin|usr\/local\/s?bin|proc|root|boot|sys|var\/(?:log|www|spool|mail|lib)|home\/[\w.-]{1,32}\/\.|tmp|dev\/(?:tcp|udp|shm))(?:\/|\b)|\/(?=\s|$)|(?:\.\.\/){1,}|[a-z]:[\\/](?:windows|winnt|boot\.ini|inetpub|users[\\/][^\\/\s]{1,40}[\\/](?:ntuser|appdata)|documents and settings|\s|$)|%(?:systemroot|windir|comspec|userprofile|appdata|temp|programdata|allusersprofile|systemdrive)%|\\\\[\w.-]{1,60}\\)/i;

/** Arguments that make even a developer tool an attack: system files, downloads, reverse shells, here-strings. */
function sensitiveArgs(c: CommandAt): boolean {
  const a = c.args;
  if (a === "") return false;
  if (SENSITIVE_PATH.test(a)) return true;
  if (/<<<|(?:^|\s)(?:sh|bash),-c,|\bHKEY_|\bHK(?:LM|CU|CR)\b/.test(a)) return true;
  if (NETWORK.has(c.name) && /[a-z]+:\/\/|\b\d{1,3}(?:\.\d{1,3}){3}\b|(?:^|\s)(?:[\w-]{1,63}\.){1,4}(?:com|net|org|io|sh|ru|cn|xyz|top|me|info|co)\b/i.test(a)) return true;
  if (/^\d+(?:\.\d+)?$/.test(a) && ["sleep", "timeout"].includes(c.name)) return true;
  return false;
}

/** Arguments that are plain, short and shell-like (no sentence punctuation): `all -m ping`, `plugin ping`, `site.yml`. */
function plainArgs(a: string): boolean {
  if (a === "") return true;
  if (a.length > 80 || /[,!?]\s|[?!]$/.test(a)) return false;
  return a.split(/\s+/).length <= 4;
}

const LAUNCHER = /(?:^|[\s;|&`(,])(?:(?:ba|z|k|da)?sh\s+-[a-z]*[ic]\b|(?:ba)?sh,-c,|cmd(?:\.exe)?\s+\/[ckr]\s|powershell(?:\.exe)?\s+(?:-[a-z]+\s+(?:\S+\s+)?){0,4}-(?:e|ec|enc|encodedcommand|c|command|nop|noni|w|windowstyle|exec|executionpolicy|file)\b|(?:nc|ncat|netcat)\s+(?:-[a-z]+\s+(?:\S+\s+)?){0,3}-[a-z]*[ec]\s|python[23]?(?:\.\d+)?\s+-c\s|perl\s+-[a-z]*e\s|ruby\s+-[a-z]*e\s|ruby\s+-rsocket|php\s+-r\s|node\s+-e\s|busybox\s+(?:sh|nc|-c)\b|socat\s+\S*\s*exec:|mkfifo\s+\/tmp\/)/i;

/** Code-level calls that hand a string to a shell: `system('id')`, `exec("cat /etc/passwd")`. */
const EXEC_CALL = /\b(?:system|exec|shell_exec|passthru|popen|proc_open|eval|spawn|execsync|spawnsync|os\.system|os\.popen|subprocess\.\w{1,20}|runtime\.getruntime\(\)\.exec)\s{0,4}\(\s{0,4}(?:\[\s{0,4})?['"`]/i;

// ---------------------------------------------------------------------------------------------
// cmd.exe control flow, PowerShell, bash-only syntax.

const WIN_FOR = /(?:^|[\s;&|(])for\s+(?:\/[a-z]\s*(?:"[^"\n]{0,80}"\s+|[a-z]:\\\S{0,80}\s+|\\"[^"\n]{0,80}\\"\s+)?){0,4}%{1,2}[^\s%]{0,30}\s+in\s*\(/i;
/** cmd.exe `IF`: the condition forms, then (checked separately) something that follows. */
const WIN_IF_HEAD = /^if\s*(?:\/i\s+)?(?:not\s+)?/i;
const WIN_IF_KEYWORD = /^(?:exist\s+(?:"[^"\n]{1,80}"|\([^)\n]{1,80}\)|\S{1,80})|defined\s+[\w.-]{1,40}|errorlevel\s+\d{1,4}|cmdextversion\s+\d{1,3})(?:\s+(\S+))?/i;
// Composed once, at module load, from the constant OPERAND (no request data reaches it).
const OPERAND = String.raw`(?:"[^"\n]{0,60}"|\[[^\]\s]{0,40}\]|\{[^}\s]{0,40}\}|\([^()\s]{0,40}\)|[^\s=()"]{1,40})`;
const WIN_IF_COMPARE = new RegExp(String.raw`^(?:\(\s{0,40}${OPERAND}\s{1,40}(?:equ|neq|lss|leq|gtr|geq)\s{1,40}${OPERAND}\s{0,40}\)|${OPERAND}\s{0,40}(?:={2,3}|\s(?:equ|neq|lss|leq|gtr|geq)\s)\s{0,40}${OPERAND})(\s{0,40}\S{0,20})`, "i");
const BATCH_NEXT = /^(?:\(|@|set\b|echo\b|goto\b|call\b|cmd\b|exit\b|del\b|copy\b|type\b|start\b|md\b|cd\b|if\b|for\b|do\b|rem\b|[A-Z]{2,})/i;

/** cmd.exe `FOR … IN (…)` or `IF [NOT] EXIST/DEFINED/ERRORLEVEL/x==y command` at the start of a command. */
function windowsControl(text: string, starts: readonly number[], mask: number): boolean {
  if (mask & M_PERCENT && WIN_FOR.test(text)) return true;
  for (const at of starts) {
    // Only a start that reads `if` (after spaces) can open an `IF`.
    let i = at;
    while (i < text.length && isSpace(text.charCodeAt(i))) i++;
    if ((text.charCodeAt(i) | 32) !== 105 || (text.charCodeAt(i + 1) | 32) !== 102) continue;
    const seg = text.slice(at, at + 400).trimStart();
    const head = WIN_IF_HEAD.exec(seg);
    if (!head) continue;
    const rest = seg.slice(head[0].length);
    const kw = WIN_IF_KEYWORD.exec(rest);
    if (kw) {
      if (/^(?:errorlevel|cmdextversion)/i.test(rest)) return true;
      const next = kw[1];
      if (next !== undefined && BATCH_NEXT.test(next)) return true;
      if (next === undefined && /\($/.test(seg.trim())) return true;
      continue;
    }
    const cmp = WIN_IF_COMPARE.exec(rest);
    // Not code of other languages: `if (a == b) {`, `if a == b:`, `… then`.
    if (cmp && !/^\s*(?:[{:]|then\b|return\b|&&|\|\||and\b|or\b)/i.test(cmp[1] ?? "") && !/:\s*$/.test(cmp[0])) return true;
  }
  return false;
}

const PS_CMDLET = /(?:^|[\s;|&(`{])((?:invoke|start|new|get|set|add|remove|stop|copy|out|import|register)-(?:webrequest|restmethod|expression|command|item|process|object|wmimethod|ciminstance|service|itemproperty|content|childitem|localuser|localgroupmember|module|scheduledtask|mppreference|file|bitstransfer)|iwr|irm|iex|iwmi|icm|saps|sal)\b(\s{0,4}\S{0,80})/i;

/** Bash-only syntax: `$[ … ]` arithmetic, `${x#…}` expansions, process substitution, history, tilde, `alias x=`. */
function bashSyntax(t: string): string | null {
  if (t.includes("$")) {
    if (t.includes("$[") && /\$\[[\w\s+*\/%-]{0,40}\]/.test(t)) return "command-bash-expansion";
    if (t.includes("${") && /\$\{[#!]?[A-Za-z_]\w{0,30}(?:#{1,2}|%{1,2}|\/{1,2}|\^{1,2}|,{1,2})[^}\n]{0,40}\}/.test(t)) return "command-bash-expansion";
    if (t.includes("$((") && /\$\(\([^)\n]{0,40}\$\(/.test(t)) return "command-bash-expansion";
  }
  if ((t.includes("<(") || t.includes(">(")) && /(?:^|[\s;|&=])[<>]\(\s{0,4}[a-z]/.test(t)) {
    const at = t.search(/[<>]\(\s{0,4}[a-z]/);
    if (at !== -1 && commandAt(t, at + 2) !== null) return "command-process-substitution";
  }
  if (t.includes("~") && /^~[+-]\d{0,3}(?:\/\S{0,80})?$/.test(t.trim())) return "command-tilde-expansion";
  if (t.includes("!-") && /(?:^|[\s;|&])!-\d{1,3}(?=$|[\s;|&!:])/.test(t) && /^[\s;|&'"]*!/.test(t.trim())) return "command-history-expansion";
  if (t.includes("alias") && /(?:^|[;|&\n]\s{0,4})alias\s+(?:[-+][a-z]{1,4}\+?\s+){0,3}[\w.'"-]{1,30}=/.test(t)) return "command-alias";
  return null;
}

// ---------------------------------------------------------------------------------------------
// Restricted file names (uploads).

const UPLOAD_FIELD = /^(?:x[-_]?file[-_]?name|x[-_]?filename|filename|file[-_]?name)$/;
function restrictedUpload(name: string): boolean {
  const n = name.replace(/\s+/g, "").toLowerCase();
  const base = n.slice(n.lastIndexOf("/") + 1);
  return /^(?:wp-config|settings|configuration|local_settings|config)(?:[._-]?php|\.inc)?(?:[._-](?:bak|old|orig|save|swp|txt|dist|backup|\d))*(?:\.txt)?$/.test(base) && /php|\.inc|bak|old|orig|save|swp|txt|dist/.test(base) || /^(?:\.htaccess|\.htpasswd|\.htdigest|web\.config|\.user\.ini|php\.ini|\.boto|\.s3cfg|\.netrc|\.pgpass|\.my\.cnf|\.bashrc|\.bash_profile|\.profile|\.zshrc|\.ssh|authorized_keys|id_rsa|id_dsa|id_ecdsa|id_ed25519|\.git|\.gitconfig|\.npmrc|\.pypirc|\.dockercfg|config\.ya?ml|settings\.ya?ml|\.env|mtrr|acpi|wp-config)$/.test(base);
}

// ---------------------------------------------------------------------------------------------

/** Command injection score of one (normalised) value. */
export function detectCommand(v: Inspected): Finding | null {
  try {
    return detect(v);
  } catch {
    return null;
  }
}

const SEPARATORS = /(\|\||&&|[;|&\n`]|\$\(|[<>]\()/g;
const PS_ALIAS = /\b(?:iwr|irm|iex|iwmi|icm|saps|sal)\b/;
/**
 * Is one of the first 32 absolute paths of the text (what `/(?:^|[\s=:'"])(\/[^\s;|&'"<>]{1,200})/g`
 * matches) globbed and naming system locations (`/e??/pa[s]swd`)? Scanned by hand: no RegExp per position.
 */
function globbedPathIn(text: string): boolean {
  let from = 0;
  let n = 0;
  for (let at = text.indexOf("/"); at !== -1 && n < 32; at = text.indexOf("/", at + 1)) {
    if (at > 0) {
      if (at - 1 < from) continue;
      const p = text.charCodeAt(at - 1);
      if (!isSpace(p) && p !== 61 && p !== 58 && p !== 39 && p !== 34) continue;
    }
    let end = at + 1;
    let glob = false;
    for (const limit = Math.min(text.length, at + 201); end < limit; end++) {
      const c = text.charCodeAt(end);
      if (isSpace(c) || c === 59 || c === 124 || c === 38 || c === 39 || c === 34 || c === 60 || c === 62) break;
      if (c === 63 || c === 42 || c === 91) glob = true;
    }
    if (end === at + 1) continue;
    n++;
    if (glob && globbedSystemPath(text.slice(at, end))) return true;
    from = end;
    at = end - 1;
  }
  return false;
}
const WINDOWS_PATHS = /[a-z]:\\|%\w{1,30}%\\|\\\\[\w.$]|\bHK(?:EY_|LM\\|CU\\)/i;
/** What LAUNCHER needs: a flag after a space or comma, a switch or path after a space, `busybox`, `exec:`. */
const LAUNCH_HINT = /[\s,]-|\s\/|busybox|exec:/i;
/** Ordinary words of prose (a command line has few; flags, paths and addresses are not words). */
const PROSE_WORD = /(?:^|\s)[A-Za-z][a-z']{2,}(?=[\s,.;:!?)]|$)/g;

/** A `(` with a quote after it (spaces and one `[` aside): what EXEC_CALL needs. */
function parenQuote(t: string): boolean {
  for (let at = t.indexOf("("); at !== -1; at = t.indexOf("(", at + 1)) {
    let k = at + 1;
    const end = Math.min(t.length, at + 12);
    while (k < end && isSpace(t.charCodeAt(k))) k++;
    if (t.charCodeAt(k) === 91) {
      k++;
      while (k < end && isSpace(t.charCodeAt(k))) k++;
    }
    const c = t.charCodeAt(k);
    if (c === 39 || c === 34 || c === 96) return true;
  }
  return false;
}

/** At least 10 ordinary words in a value of 60 characters or more (the count stops at 10). */
function proseText(text: string): boolean {
  if (text.length < 60) return false;
  PROSE_WORD.lastIndex = 0;
  let n = 0;
  while (n < 10 && PROSE_WORD.exec(text) !== null) n++;
  return n >= 10;
}

/** At most four lines (`text.split("\n", 5).length <= 4`). */
function fewLines(text: string): boolean {
  let at = -1;
  for (let n = 0; n < 4; n++) {
    at = text.indexOf("\n", at + 1);
    if (at === -1) return true;
  }
  return false;
}

/**
 * The analysis runs in stages, each behind a cheap test for what it needs (a character, a word,
 * a command name at a command position): most values that pass the gate (URLs with `&`, prose
 * with a semicolon) only cost a few `includes` and one look at each separator.
 */
function detect(v: Inspected): Finding | null {
  const raw = v.text;
  const lower = v.lower;
  const kind = v.field.kind;
  let best: Finding | null = null;
  const take = (score: number, ruleId: string) => {
    if (score > 0 && (!best || score > best.score)) best = { ruleId, score };
  };
  // The gate has just computed the mask of a short value.
  const mask = raw === gateText ? gateMask : charMask(raw);
  // Shellshock: a function definition opening the value (headers, CGI variables), or `() { :;};` anywhere.
  if ((mask & (M_BRACE | M_PAREN)) === (M_BRACE | M_PAREN) && (/^\s*\(\s*\)\s*\{/.test(raw) || /\(\s*\)\s*\{\s*:\s*;\s*\}\s*;/.test(raw))) take(7, "command-shellshock");
  if (mask & M_SLASH && lower.includes("/dev/") && (lower.includes("/dev/tcp/") || lower.includes("/dev/udp/"))) take(7, "command-reverse-shell");
  if (v.field.name !== null && (v.field.where === "body-filename" || (v.field.name.includes("file") && UPLOAD_FIELD.test(v.field.name))) && raw.length <= 256 && restrictedUpload(raw)) take(5, "command-restricted-upload");
  // Standard headers inspected lightly: only what servers evaluate from them (above).
  if ((kind as string) === "header-light") return best;
  // Words, spaces and commas only: nothing for a shell unless it reads as a command line.
  if (!/[^\w ,]/.test(raw) && !plainCommandLine(raw)) return best;

  const text0 = withoutFences(raw);
  const windowsPaths = (mask & M_BACKSLASH) !== 0 && WINDOWS_PATHS.test(text0);
  const text = shellView(text0, windowsPaths, mask);
  // What the shell view may hold: the value's characters, and newlines made of `\n`, `\r`.
  const tmask = mask & (M_BACKSLASH | M_CR) ? mask | M_NEWLINE : mask;
  if ((mask & (M_DASH | M_SLASH) || (mask & M_COLON && /exec:/i.test(text)) || /busybox/i.test(text)) && LAUNCH_HINT.test(text) && LAUNCHER.test(text)) take(6, "command-launcher");
  if (mask & M_LT && raw.includes("<!") && /<!--\s{0,4}#\s{0,4}exec\s{1,8}cmd\s{0,4}=/i.test(raw)) take(7, "command-ssi-exec");
  const call = mask & M_PAREN && mask & (M_QUOTES | M_BACKTICK) && parenQuote(text0) ? EXEC_CALL.exec(text0) : null;
  if (call) {
    const cmd = commandAt(text0.replace(/['"`[,]/g, " "), call.index + call[0].length);
    // A string handed to a shell (`system('id')`); an argument list (`subprocess.run(['ls', '-l'])`) only when dangerous.
    if (cmd !== null && (!/\[\s{0,4}['"`]$/.test(call[0]) || cmd.danger || sensitiveArgs(cmd))) take(6, "command-exec-call");
  }
  if ((mask & (M_BRACE | M_COMMA)) === (M_BRACE | M_COMMA) && braceCommand(mask & M_QUOTES ? text0.replace(/['"]/g, "") : text0)) take(6, "command-brace-expansion");
  // `\ls`: an escaped name skips aliases; as a whole value it is a probe.
  if (mask & M_BACKSLASH && /^\s{0,4}\\[a-z]/.test(text0)) {
    const esc = commandAt(text0, text0.indexOf("\\") + 1);
    if (esc !== null && !esc.windows && esc.args === "") take(5, "command-injection");
  }
  // `/a[b///]c`: slashes inside a bracket glob, a filter-evasion trick.
  if ((mask & (M_BRACKET | M_SLASH)) === (M_BRACKET | M_SLASH) && /\/[\w.-]{0,20}\[[a-z]{0,3}\/{2,}\][\w.-]{0,20}/i.test(text0)) take(5, "command-glob-path");
  const bash = tmask & (M_DOLLAR | M_LT | M_GT | M_TILDE | M_BANG) || (tmask & M_EQUALS && text.includes("alias")) ? bashSyntax(text) : null;
  if (bash !== null) take(5, bash);
  if (tmask & M_SLASH && tmask & (M_QUESTION | M_STAR | M_BRACKET) && globbedPathIn(text)) take(6, "command-glob-path");

  // Long prose: many ordinary words (computed when first needed).
  let proseMemo: boolean | undefined;
  const prose = (): boolean => (proseMemo ??= proseText(text));

  // The start of the value. A value that starts with a command line (`npm install && npm run build`,
  // `Dockerfile: RUN apt-get update && …`) is a posted snippet: later commands need dangerous content.
  let lead = 0;
  while (lead < 4 && lead < text.length && (isSpace(text.charCodeAt(lead)) || text[lead] === "'" || text[lead] === '"')) lead++;
  const first = mayBeCommandAt(text, lead) ? considerStart(text, lead, prose, take) : null;
  if (first !== null && (first.tool || RECON.has(first.name)) && first.name.length >= 3) {
    // A name spelled with quotes or backslashes inside it (`"w"hoami`, `wh''oami`, `c\at`): only an evasion does that.
    const rawWord = /^[\s;|&'"]{0,4}([\w'"\\]{2,40})/.exec(text0)?.[1] ?? "";
    if (/[a-z](?:['"]+|\\)[a-z]/i.test(rawWord) && !/['"](?:d|s|t|ll|re|ve|m)$/i.test(rawWord)) take(6, "command-injection");
  }
  let snippetMemo: boolean | undefined;
  const snippet = (): boolean => {
    if (snippetMemo === undefined) {
      const label = /^[\w.-]{1,20}:\s{1,4}(?:RUN\s+)?|^\$\s+|^RUN\s+/.exec(text.slice(lead))?.[0].length ?? 0;
      const labelled = label > 0 ? commandAt(text, lead + label) : null;
      snippetMemo = !text.slice(0, lead).includes("\n") && ((first !== null && !first.danger && !first.marked) || (labelled !== null && !labelled.danger));
    }
    return snippetMemo;
  };
  let newlineMemo: boolean | undefined;
  const newlineSeparates = (): boolean => (newlineMemo ??= fewLines(text) && !prose());
  let tableMemo: boolean | undefined;
  const markdownTable = (): boolean => (tableMemo ??= /\|[ \t]{0,8}:?-{3,}/.test(text) && /^[ \t]*\|[^\n]*\|[ \t]*$/m.test(text));

  SEPARATORS.lastIndex = 0;
  const starts: number[] = [lead];
  let seen = 0;
  const separators = (tmask & (M_PIPE | M_AMP | M_SEMI | M_NEWLINE | M_BACKTICK | M_DOLLAR | M_LT | M_GT)) !== 0;
  for (let m = separators ? SEPARATORS.exec(text) : null; m !== null && seen < 64; m = SEPARATORS.exec(text)) {
    seen++;
    const sep = m[1]!;
    if (sep === "\n" && !newlineSeparates()) continue;
    // Markdown fences (```bash) are not command substitution.
    if (sep === "`" && (text[m.index + 1] === "`" || text[m.index - 1] === "`")) continue;
    if ((sep === "|" || sep === "||") && markdownTable()) continue;
    const at = m.index + sep.length;
    starts.push(at);
    let cmd = mayBeCommandAt(text, at) ? commandAt(text, at) : null;
    if (cmd === null) {
      // Backticks come in pairs: the closing one of `` `schema` `` opens nothing.
      if (sep === "`") {
        const close = text.indexOf("`", at);
        SEPARATORS.lastIndex = Math.max(SEPARATORS.lastIndex, close === -1 ? text.length : close + 1);
      }
      continue;
    }
    cmd = throughPrefixes(text, cmd);
    if (sep === "`" || sep === "$(" || sep === "<(" || sep === ">(") {
      // `` `id` `` / `$(id)`: command substitution. Markdown inline code in prose (`` run `ls` ``) is weaker.
      const before = text.slice(0, m.index);
      const closeAt = sep === "`" ? text.indexOf("`", at) : text.indexOf(")", at);
      if (sep === "<(" || sep === ">(") {
        if (closeAt !== -1) take(5, "command-process-substitution");
        continue;
      }
      const inline = sep === "`" && ((/[A-Za-z,:]\s+$/.test(before) && (prose() || (closeAt !== -1 && /^\s+[A-Za-z]/.test(text.slice(closeAt + 1))))) || (/:\s*$/.test(before) && !cmd.danger && !sensitiveArgs(cmd)));
      // Markdown inline code among other text (`### \`type Foo<T>\``, "run \`npm test\` first") with
      // nothing dangerous inside is documentation too; a whole value in backticks is not.
      const markdownCode = sep === "`" && closeAt !== -1 && !cmd.danger && !sensitiveArgs(cmd) && (/\S/.test(before) || /\S/.test(text.slice(closeAt + 1)));
      take(inline || markdownCode ? 3 : closeAt !== -1 || argsScore(cmd) > 0 ? 7 : 5, "command-substitution");
      if (sep === "`") SEPARATORS.lastIndex = Math.max(SEPARATORS.lastIndex, closeAt + 1 || text.length);
      continue;
    }
    const probe = cmd.args === "" && /^[\s'"]*$/.test(text.slice(0, m.index)) && /^[\s'"#;|&]*$/.test(text.slice(cmd.after));
    let score: number;
    if (sensitiveArgs(cmd)) score = 7;
    // A new line of code (`    let x: Vec<&str> = …`) is no injected command: words need dangerous arguments there.
    else if (sep === "\n" && !cmd.tool && /^(?: {2,}|\t)/.test(text.slice(at))) score = 0;
    else if (!cmd.danger && !cmd.marked && snippet()) score = 0;
    else {
      const evidence = argsScore(cmd);
      score = 3 + evidence;
      if (evidence === 0) {
        if (cmd.args === "" && cmd.end === "|" && sep === "|" && /\S\s+$/.test(text.slice(0, m.index)) && !cmd.marked) score = 3; // "name | id | email" reads like a list
        else if (cmd.args === "" && (RECON.has(cmd.name) || SHELLS.has(cmd.name) || cmd.tool)) score = 6;
        else if (cmd.marked) score = 6;
        else if (cmd.danger && plainArgs(cmd.args) && (cmd.name.length >= 4 || cmd.name.includes("-"))) score = 5;
      }
    }
    // The whole value is a separator and a command (`;id`, `&& dir`, `';htop'`, `|set`): a probe.
    if (probe) score = Math.max(score, 6);
    if (score > 0 && prose()) score -= 2;
    take(score, "command-injection");
  }

  if (windowsControl(text0, starts, mask)) take(5, "command-windows-control");
  // PowerShell: `Verb-Noun`, or an alias with an argument that needs `-`, `:`, `(`, `$`, `\`, `/`, `%` or `.ps1`.
  const ps = mask & M_DASH || ((mask & (M_COLON | M_PAREN | M_DOLLAR | M_BACKSLASH | M_SLASH | M_PERCENT) || lower.includes(".ps1")) && PS_ALIAS.test(lower)) ? PS_CMDLET.exec(text0) : null;
  if (ps) {
    const name = ps[1]!.toLowerCase();
    const arg = ps[2]!.trim();
    const strong = /^(?:invoke-(?:webrequest|restmethod|expression|wmimethod)|start-(?:process|bitstransfer)|iwr|irm|iex|iwmi)$/.test(name);
    const argText = text0.slice(ps.index + ps[0].length - ps[2]!.length, ps.index + ps[0].length + 200);
    if (strong ? /^(?:-[a-z]|https?:\/\/|\(|\$|[a-z]:\\|\\\\|[\w.-]+\.ps1\b)/i.test(arg) : SENSITIVE_PATH.test(argText) || /https?:\/\//i.test(argText)) take(prose() ? 3 : 6, "command-powershell");
  }
  return best;
}

/** `time id`, `nohup nc …`, `sudo -u root sh`: the command the prefix runs. */
function throughPrefixes(text: string, cmd: CommandAt): CommandAt {
  let c = cmd;
  for (let n = 0; n < 3 && PREFIXES.has(c.name) && !c.windows; n++) {
    const runner = RUNNERS.has(c.name);
    // Skip the prefix's own options (`timeout 5`, `sudo -u root`, `cpulimit -l 100 -f`).
    const opts = /^(?:\s+(?:-{1,2}[\w=-]{1,20}|\d+[smhd]?)(?:\s+(?![a-z]{2,}\b)\S{1,20})?){0,4}/.exec(text.slice(c.after, c.after + 200));
    const next = commandAt(text, c.after + (opts?.[0].length ?? 0));
    if (next === null) break;
    // `time bsdtar`, `nohup ncat …`: a tool run under a process wrapper is no snippet of prose.
    c = runner && next.tool ? { ...next, danger: true, marked: true } : next;
  }
  return c;
}

/**
 * The value starts with a command line: `cat /etc/passwd`, `nc -lvp 4444 -e /bin/sh`,
 * `ansible-config dump`, `/usr/bin/id`. Developer commands with ordinary arguments
 * (`ls -la ~/projects`, `pip install -r requirements.txt`) are posted snippets, not attacks.
 */
function considerStart(text: string, lead: number, prose: () => boolean, take: (score: number, ruleId: string) => void): CommandAt | null {
  let cmd = commandAt(text, lead);
  if (cmd === null) return null;
  cmd = throughPrefixes(text, cmd);
  let score = 0;
  if (sensitiveArgs(cmd)) score = 6;
  else if (cmd.danger || cmd.marked) {
    if (argsScore(cmd) > 0) score = 6;
    else if (plainArgs(cmd.args) && (cmd.marked || /[\n;]\s*$/.test(text) || /[./=_]|\w-\w/.test(cmd.args) || (cmd.windows && WINDOWS_TOOLS.has(cmd.name)) || cmd.name.includes("-") || (cmd.args === "" && /['"]/.test(text.slice(0, lead))))) score = 5;
  }
  if (cmd.end !== "" && cmd.end !== "`" && cmd.end !== ")" && cmd.args === "" && (RECON.has(cmd.name) || cmd.danger)) score = Math.max(score, 6); // `whoami;…`, `id|…`
  if (score > 0 && prose()) score -= 3;
  take(score, "command-injection");
  return cmd;
}

/**
 * For the caller's "plain value" shortcut (letters, digits, spaces, `_`, `,`, `-` only, normally
 * not inspected): true when such a value still reads as a command line that this detector judges,
 * e.g. `perf --version`, `aa-disable php-fpm`, `time sh -c whoami`, `IF EXIST file CMD`.
 */
/** Whether the word at `t[at]` can start what `plainCommandLine` finds (a cheap test before it). */
export function commandLead(t: string, at: number): boolean {
  let end = at;
  for (let c = t.charCodeAt(end); end - at <= 41 && ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45); c = t.charCodeAt(++end));
  const word = t.slice(at, end);
  const lower = word.toLowerCase();
  return lower === "if" || lower === "for" || DANGER.has(word) || WINDOWS_TOOLS.has(lower) || PREFIXES.has(word) || TOOLS.has(word);
}

export function plainCommandLine(raw: string): boolean {
  const m = /^\s{0,8}([A-Za-z][\w.-]{0,40})(?:\s+([\w-]{1,40}))?/.exec(raw.slice(0, 200));
  if (!m) return false;
  const first = m[1]!;
  const next = m[2];
  if (next === undefined) return false;
  if (/^(?:if|for)$/i.test(first)) return /^(?:exist|defined|errorlevel|cmdextversion|not|\/[a-z])$/i.test(next) || /\s(?:equ|neq|lss|leq|gtr|geq)\s/i.test(raw);
  if (DANGER.has(first) || WINDOWS_TOOLS.has(first.toLowerCase())) return true;
  return (PREFIXES.has(first) && (TOOLS.has(next) || SHELLS.has(next))) || (TOOLS.has(first) && next.startsWith("-"));
}

// ---------------------------------------------------------------------------------------------
// The gate: can this value hold anything `detectCommand` finds? (Most values cannot.)
// Each `includes` is a fast scan; regexes run only on values that hold the character they need.

/** PowerShell nouns after `Verb-` (checked at a dash). */
const PS_NOUN = /(?:webrequest|restmethod|expression|command|item|process|object|wmimethod|ciminstance|service|itemproperty|content|childitem|localuser|localgroupmember|module|scheduledtask|mppreference|file|bitstransfer)\b/iy;
/** First letters of those nouns. */
const PS_NOUN_FIRST = new Uint8Array(128);
for (const c of "wreciposlmfbWRECIPOSLMFB") PS_NOUN_FIRST[c.charCodeAt(0)] = 1;

/** A dash that matters: a flag after a space or quote (`sh -c`, `sh' '-c`), `sh,-c,`, history `!-1`, PowerShell `Verb-Noun`. */
function dashHint(t: string): boolean {
  for (let at = t.indexOf("-"); at !== -1; at = t.indexOf("-", at + 1)) {
    const p = at > 0 ? t.charCodeAt(at - 1) : -1;
    const n = at + 1 < t.length ? t.charCodeAt(at + 1) : -1;
    if (p === 44 || p === 33) return true; // `,-`, `!-`
    if (n === -1) continue;
    if ((p === 39 || p === 34 || (p !== -1 && isSpace(p))) && !isSpace(n) && !isDigit(n)) return true;
    if (n < 128 && PS_NOUN_FIRST[n] === 1) {
      PS_NOUN.lastIndex = at + 1;
      if (PS_NOUN.test(t)) return true;
    }
  }
  return false;
}

/** `cmd /c`, a path after a space, `/dev/tcp/`, a glob in a path (`/e??/pa[s]swd`, `/a[b//]c`), a PowerShell alias fetching a URL. */
const GATE_SLASH = /\s\/|\/dev\/|[?*[]|\b(?:iwr|irm|iex|iwmi|icm|saps|sal)\b/;
/** A call handing a string to a shell (`system('id')`), a PowerShell alias running an expression (`iex (…)`). */
const GATE_PAREN = /\(\s{0,4}\[?\s{0,4}['"`]|\b(?:iex|iwr|irm|iwmi)\s{0,4}\(/;

/** Every name the start of a value is compared with (lower case). */
const START_WORDS: ReadonlySet<string> = new Set([...TOOLS, ...WINDOWS, ...DANGER, ...NETWORK, ...PREFIXES, ...SHELLS, ...RECON, ...WINDOWS_TOOLS, "alias", "for"]);

/** For each pair of first letters (`a`–`z`), the lengths (bit n; 29 for longer: small integers stay small) of START_WORDS names that start with it. */
const START_PAIRS = new Uint32Array(26 * 26);
for (const w of START_WORDS) {
  const a = w.charCodeAt(0) - 97;
  const b = w.charCodeAt(1) - 97;
  if (w.length >= 2 && a >= 0 && a < 26 && b >= 0 && b < 26) START_PAIRS[a * 26 + b] = START_PAIRS[a * 26 + b]! | (1 << Math.min(w.length, 29));
}

const isLetter = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
/** JavaScript's `\s` (what `trimStart` and the regexes here skip). */
const isSpace = (c: number): boolean =>
  c <= 32 ? c === 32 || (c >= 9 && c <= 13) : c >= 0xa0 && (c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff);

/**
 * Can a command name start at `i` (`commandAt` would find one)? A path (`/usr/bin/id`, `./x`,
 * `bin/sh`, `c:\…`, `%x%\…`, `~/…`), a glob (`c?t`), a word with quotes inside it (`wh'o'ami`,
 * only when `quotes`) or a name of the command vocabulary (`whoami`, `Tasklist`, `python3.10`,
 * `cmd.exe`, `if`). A cheap superset of `commandAt`: no slicing beyond the word, no RegExp.
 */
function wordMayBeCommand(t: string, i: number, quotes: boolean): boolean {
  const n = Math.min(t.length, i + 64);
  if (i >= n) return false;
  const c0 = t.charCodeAt(i);
  // `/`, `.`, `\`, `~`, `%`: paths and variables.
  if (c0 === 47 || c0 === 46 || c0 === 92 || c0 === 126 || c0 === 37) return true;
  // Only `7z`/`7za` start with a digit.
  if (isDigit(c0) && c0 !== 55) return false;
  let j = i;
  let digits = false;
  let plus = -1;
  for (; j < n; j++) {
    const c = t.charCodeAt(j);
    if (c === 43 && plus === -1) plus = j;
    if (isLetter(c) || c === 95 || c === 43 || c === 45) continue;
    if (isDigit(c) || c === 46) {
      digits = true;
      continue;
    }
    if (c === 63 || c === 42 || c === 91 || c === 93 || c === 33) return true; // globs: `c?t`, `c*`, `[c]at`
    if (j > i && (c === 47 || c === 92)) return true; // `bin/sh`, `system32\cmd`
    if (j === i + 1 && c === 58) return true; // `c:\…`, `c:/…`
    if (quotes && j > i && (c === 39 || c === 34)) {
      // Quotes inside the word (`wh'o'ami`, `ti''me`); `cat's` is looked up as `cat`.
      let k = j + 1;
      while (k < n && (t.charCodeAt(k) === 39 || t.charCodeAt(k) === 34)) k++;
      if (isLetter(t.charCodeAt(k))) return true;
    }
    break;
  }
  // Names are 1 to 40 characters; trailing `.`, `+`, `-` belong to the sentence.
  while (j > i && (t.charCodeAt(j - 1) === 46 || t.charCodeAt(j - 1) === 43 || t.charCodeAt(j - 1) === 45)) j--;
  if (j === i || j - i > 41) return false;
  // `dir+c:\`: a cmd.exe built-in ends at `+`.
  if (plus > i && plus < j && CMD_BUILTINS.has(t.slice(i, plus).toLowerCase())) return true;
  // No name of this length starts with these two letters (most words of prose): no lookup.
  if (!digits && j - i >= 2 && isLetter(c0) && isLetter(t.charCodeAt(i + 1))) {
    const lengths = START_PAIRS[((t.charCodeAt(i) | 32) - 97) * 26 + ((t.charCodeAt(i + 1) | 32) - 97)]!;
    if ((lengths & (1 << Math.min(j - i, 29))) === 0) return (t.charCodeAt(i) | 32) === 105 && (t.charCodeAt(i + 1) | 32) === 102; // `if…`
  }
  const word = t.slice(i, j).toLowerCase();
  if (START_WORDS.has(word) || (word.charCodeAt(0) === 105 && word.charCodeAt(1) === 102)) return true; // `if`: cmd.exe `IF EXIST`, `ifexist`
  if (!digits) return false;
  // Versioned names (`python3.10`, `gcc10.1`) and Windows program files (`cmd.exe`).
  let b = word.length;
  while (b > 0 && (isDigit(word.charCodeAt(b - 1)) || word.charCodeAt(b - 1) === 46)) b--;
  if (b < word.length && b >= 2 && START_WORDS.has(word.slice(0, b))) return true;
  return word.length > 4 && word.charCodeAt(word.length - 4) === 46 && /\.(?:exe|com|bat|cmd)$/.test(word) && START_WORDS.has(word.slice(0, -4));
}

/** Before `commandAt(t, i)`: it skips up to 8 spaces, `(` and `{`, then needs a path or a known name. */
function mayBeCommandAt(t: string, i: number): boolean {
  let k = i;
  for (const end = Math.min(t.length, i + 8); k < end; k++) {
    const c = t.charCodeAt(k);
    if (!isSpace(c) && c !== 40 && c !== 123) break;
  }
  return wordMayBeCommand(t, k, false);
}

/** For the gate, on the value before the shell view: spaces, quotes, `(` and `+` may come first, quotes may split the name. */
function startsLikeCommand(t: string): boolean {
  let k = 0;
  for (const end = Math.min(t.length, 16); k < end; k++) {
    const c = t.charCodeAt(k);
    if (!isSpace(c) && c !== 34 && c !== 39 && c !== 40 && c !== 43) break;
  }
  return wordMayBeCommand(t, k, true);
}

/** Last characters of restricted upload names (see `restrictedUpload`), and their first two (after the last `/`, spaces aside). */
const UPLOAD_LAST = new Uint8Array(128);
for (const c of "pckdgetsiofhalvr0123456789") UPLOAD_LAST[c.charCodeAt(0)] = 1;
const UPLOAD_FIRST = new Uint8Array(128 * 128);
for (const p of ["wp", "se", "co", "lo", "we", "ph", "au", "id", "mt", "ac"]) UPLOAD_FIRST[p.charCodeAt(0) * 128 + p.charCodeAt(1)] = 1;

/** A short value that may be a restricted upload name (see `restrictedUpload`): the gate cannot see the field. */
function uploadCandidate(t: string, lower: string): boolean {
  if (t.length > 256) return false;
  let e = lower.length;
  while (e > 0 && isSpace(lower.charCodeAt(e - 1))) e--;
  const last = e === 0 ? 0 : lower.charCodeAt(e - 1);
  if (last >= 128 || UPLOAD_LAST[last] !== 1) return false;
  // The base name: after the last `/`, spaces aside.
  let i = e - 1;
  while (i > 0 && lower.charCodeAt(i - 1) !== 47) i--;
  while (i < e && isSpace(lower.charCodeAt(i))) i++;
  const a = lower.charCodeAt(i);
  if (a !== 46) {
    let k = i + 1;
    while (k < e && isSpace(lower.charCodeAt(k))) k++;
    const b = k < e ? lower.charCodeAt(k) : 0;
    if (a >= 128 || b >= 128 || UPLOAD_FIRST[a * 128 + b] !== 1) return false;
  }
  return restrictedUpload(lower);
}

/** The last short value the gate saw, and its `charMask`. */
let gateText = "";
let gateMask = 0;

/**
 * Shell syntax: separators, substitutions, variables, escapes, redirections, braces, carets, `%`.
 * (Globs `*`, `[…]` and a tilde matter at the start of the value, after a separator or in a path: see
 * `startsLikeCommand` and GATE_SLASH.)
 */
const M_SYNTAX = M_SEMI | M_PIPE | M_AMP | M_NEWLINE | M_CR | M_BACKTICK | M_DOLLAR | M_BACKSLASH | M_BRACE | M_LT | M_GT | M_CARET | M_PERCENT;
const SYNTAX_CHARS = [";", "|", "&", "\n", "\r", "`", "$", "\\", "{", "<", ">", "^", "%"];

/**
 * Cheap test before `detectCommand`: false when nothing in the value can be a command injection
 * (no shell syntax, no flag after a space, no `cmd /c`-style switch or path after a space, no
 * call with a string, no launcher or PowerShell word, and no command name at its start).
 */
export function commandGate(text: string, lower: string): boolean {
  let mask = 0;
  if (text.length <= 80) {
    // One pass over a short value (cheaper per call than a scan per character); kept for `detectCommand`.
    mask = charMask(text);
    gateText = text;
    gateMask = mask;
    if (mask & M_SYNTAX) return true;
  } else {
    // `includes` scans over a long one (cheaper per character than a loop).
    for (const ch of SYNTAX_CHARS) if (text.includes(ch)) return true;
    if (text.includes("x") || text.includes("X")) mask |= M_X;
    if (text.includes("1")) mask |= M_ONE;
    if (text.includes("-")) mask |= M_DASH;
    if (text.includes("/")) mask |= M_SLASH;
    if (text.includes("(")) mask |= M_PAREN;
    if (text.includes("=")) mask |= M_EQUALS;
    if (text.includes(":")) mask |= M_COLON;
  }
  if (mask & M_EQUALS && text.includes("==")) return true;
  if (mask & M_DASH && dashHint(text)) return true;
  if (mask & M_SLASH && GATE_SLASH.test(lower)) return true;
  if (mask & M_PAREN && GATE_PAREN.test(lower)) return true;
  if (mask & M_COLON && lower.includes("exec:")) return true;
  if ((mask & M_X && lower.includes("busybox")) || (mask & M_ONE && lower.includes(".ps1"))) return true;
  return startsLikeCommand(text) || uploadCandidate(text, lower);
}

