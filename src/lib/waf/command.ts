/**
 * OS command injection. Shell obfuscations are undone first (`c''at`, `c\at`, `ca$@t`,
 * `${IFS}`, `$IFS$9`, `{cat,/etc/passwd}`, `/???/c?t`), then the value is scanned for *command
 * positions*: after `;`, `|`, `||`, `&`, `&&`, a newline (short values only), inside backticks
 * or `$( … )`. A known command there scores by what follows it: nothing (`;id`), flags
 * (`| nc -e`), paths, URLs, addresses or redirections push it over the threshold; a plain word
 * (`Salt & pepper; cat food`) does not. Unix command names match in lower case only (the shell
 * is case-sensitive, so "Name; ID" is not a command). Shellshock (`() { :; };`), `/dev/tcp/`
 * reverse shells and `sh -c`/`cmd /c`/`powershell -enc` launchers count anywhere.
 *
 * Markdown is prose: fenced code blocks are skipped, table pipes are not pipelines, and in long
 * text newlines are not command separators.
 */
import type { Finding, Inspected } from "./types.ts";

/** Unix commands (lower case, as the shell requires). Recon commands score even without arguments. */
const RECON = new Set(["id", "whoami", "uname", "ifconfig", "hostname", "netstat", "pwd", "groups", "lsb_release", "getent", "printenv", "env", "ps", "arp", "lsof", "uptime"]);
/** Commands that are also everyday English words: they need flags, redirections or system paths to count. */
const ENGLISH = new Set(["at", "make", "file", "test", "yes", "true", "false", "set", "export", "source", "script", "history", "jobs", "host", "more", "less", "last", "find", "sort", "cut", "touch", "mail", "w", "route", "locate", "expect", "cd", "stat", "kill", "tee", "echo", "sleep", "head", "tail", "type", "copy", "del", "dir", "ver", "net", "sc", "reg", "at", "ip", "cp", "mv", "ln", "tr", "wc", "dd", "su", "nl", "od", "rev", "tac", "java", "node", "ftp", "host", "zip", "tar", "mount", "service", "exec", "eval", "file", "printf", "uniq", "cat"]);
const UNIX = new Set([
  ...RECON,
  "cat", "ls", "dir", "wget", "curl", "nc", "ncat", "netcat", "bash", "sh", "zsh", "ksh", "dash", "csh", "tcsh", "fish",
  "python", "python2", "python3", "perl", "ruby", "php", "node", "lua", "busybox", "telnet", "socat", "nslookup", "dig", "host",
  "ping", "ping6", "traceroute", "tftp", "ftp", "scp", "ssh", "chmod", "chown", "rm", "mv", "cp", "mkfifo", "mknod", "base64",
  "xxd", "od", "awk", "gawk", "sed", "head", "tail", "more", "less", "nl", "tac", "rev", "strings", "sleep", "echo", "printf",
  "touch", "find", "locate", "grep", "egrep", "kill", "killall", "pkill", "crontab", "nohup", "sudo", "su", "passwd", "useradd",
  "usermod", "chpasswd", "exec", "eval", "timeout", "xargs", "tee", "dd", "openssl", "shutdown", "reboot", "halt", "nmap",
  "wc", "sort", "uniq", "cut", "tr", "ln", "mail", "sendmail", "at", "jobs", "history", "set", "export", "unset", "source",
  "java", "jrunscript", "jjs", "expect", "script", "file", "stat", "readlink", "cd", "true", "false", "test", "yes",
  "w", "last", "route", "ip",
]);
/** Windows commands (case-insensitive, as cmd.exe is). */
const WINDOWS = new Set([
  "whoami", "ipconfig", "systeminfo", "tasklist", "taskkill", "net", "netsh", "reg", "wmic", "powershell", "pwsh", "cmd",
  "certutil", "bitsadmin", "mshta", "rundll32", "regsvr32", "cscript", "wscript", "schtasks", "sc", "type", "dir", "ver",
  "nltest", "dsquery", "qwinsta", "quser", "findstr", "del", "copy", "xcopy", "attrib", "icacls", "vssadmin", "wevtutil",
]);
const WINDOWS_RECON = new Set(["whoami", "ipconfig", "systeminfo", "tasklist", "ver", "nltest", "quser", "qwinsta"]);

/** Where a new command can start: a separator, a pipe, a newline, a substitution. */
const SEPARATORS = /(\|\||&&|[;|&\n`]|\$\()/g;

/** Undo common shell obfuscations so `c''a""t` is `cat` and `${IFS}` is a space. */
function deobfuscate(s: string): string {
  let t = s;
  if (t.includes("$")) t = t.replace(/\$\{IFS\}|\$IFS\$\d|\$IFS\b|\$\{IFS%\?\?\}/g, " ").replace(/\$[@*]|\$\{\}|\$\d(?!\d)/g, "");
  if (t.includes("'") || t.includes('"')) t = t.replace(/(?<=[a-z/])(?:''|"")(?=[a-z])/g, "");
  // `c\at` → `cat`, but a Windows path (`c:\boot.ini`) keeps its separators.
  if (t.includes("\\") && !/[a-z]:\\/i.test(t)) t = t.replace(/\\(?=[a-z/])/g, "");
  if (t.includes("{") && t.includes(",")) t = t.replace(/\{([a-z][\w.-]{0,20}),([^{}]{1,200})\}/g, (_m, cmd: string, args: string) => `${cmd} ${args.replaceAll(",", " ")}`);
  if (t.includes("\t")) t = t.replaceAll("\t", " ");
  return t;
}

/** A glob such as `c?t` or `/???/n?` that matches a known command name. */
function globCommand(word: string): string | null {
  // A glob needs at least one literal letter (`c?t`, `/???/n?`); a bare `*` or `???` names nothing.
  if (!/[?*[]/.test(word) || !/[a-z]/.test(word)) return null;
  const re = new RegExp(`^${word.replace(/[.+^${}()|\\]/g, "\\$&").replaceAll("?", "[a-z0-9]").replaceAll("*", "[a-z0-9]{0,12}").replace(/\[(?!a-z0-9)/g, "[")}$`);
  for (const c of ["cat", "nc", "id", "ls", "sh", "bash", "wget", "curl", "python", "perl", "whoami", "uname", "base64", "ncat", "netcat"]) {
    if (re.test(c)) return c;
  }
  return null;
}

interface CommandAt {
  name: string;
  args: string;
  windows: boolean;
  /** What ended the command: `;`, `|`, `&`, a newline, a backtick, `)`, `$(` or "" for the end of the value. */
  end: string;
}

/** The command at `i` (after optional whitespace and a path such as `/usr/bin/` or `C:\Windows\System32\`). */
function commandAt(s: string, i: number): CommandAt | null {
  const m = /^[\s({]{0,8}((?:[a-z]:)?(?:[\\/][\w.?*[\]-]{0,40}){0,6}[\\/])?([\w.?*[\]-]{1,40})/i.exec(s.slice(i, i + 400));
  if (!m) return null;
  let word = m[2]!;
  let windows = false;
  const lowered = word.toLowerCase().replace(/\.(?:exe|com|bat|cmd)$/, "");
  const globbed = word.includes("?") || word.includes("*") || word.includes("[") ? globCommand(word) : null;
  if (globbed === null && /[?*[]/.test(word)) return null;
  if (globbed) word = globbed;
  else if (!UNIX.has(word)) {
    if (!WINDOWS.has(lowered)) return null;
    word = lowered;
    windows = true;
  }
  const rest = s.slice(i + m[0].length);
  const argEnd = rest.search(/[;|&\n`)]|\$\(/);
  // A trailing `#` comments out whatever the application appends.
  const args = (argEnd === -1 ? rest : rest.slice(0, argEnd)).replace(/(?:^|\s)#.*$/, "").trim();
  return { name: word, args, windows, end: argEnd === -1 ? "" : rest[argEnd]! };
}

/** How strongly the arguments of a command say "shell". */
function argsScore(c: CommandAt): number {
  const a = c.args;
  // `| id |` between words reads like a list ("name | id | email"); `;id`, `|id`, `&& id;` do not.
  if (a === "" && c.end === "|") return 0;
  if (a === "") return RECON.has(c.name) || WINDOWS_RECON.has(c.name) || ["sh", "bash", "zsh", "ksh", "dash", "python", "python3", "perl", "nc", "ls", "ps", "pwd", "env", "cmd", "powershell", "pwsh"].includes(c.name) ? 3 : 0;
  const english = ENGLISH.has(c.name);
  if (/(?:^|\s)--?[a-z]/i.test(a)) return 3; // flags
  if (c.windows && /(?:^|\s)\/[a-z?]{1,12}(?::\S*)?(?:\s|$)/i.test(a)) return 3; // cmd.exe switches
  if (c.name === "net" && /^(?:user|users|localgroup|group|view|share|use|accounts|config|session|start|stop)\b/i.test(a)) return 3;
  if (SYSTEM_PATH.test(a)) return 3;
  if (/[<>]|2>&1|\$[\w{(]/.test(a)) return 3; // redirections, variables
  if (/^\d+$/.test(a) && ["sleep", "ping", "timeout"].includes(c.name)) return 3;
  if (!english && /[a-z]+:\/\/|\b\d{1,3}(?:\.\d{1,3}){3}\b/i.test(a)) return 3; // URLs, addresses
  return 0;
}

/** Paths a shell payload reads or runs (not `/settings` in prose). */
const SYSTEM_PATH = /(?:^|[\s'"=])(?:\/(?:etc|bin|sbin|usr|tmp|var|dev|proc|home|root|opt|sys|boot|lib|srv|run|mnt|windows)\b|~\/|[a-z]:\\|\.\.?\/|\/[?*]{1,4}\/)/i;

const LAUNCHER = /(?:^|[\s;|&`(])(?:(?:ba|z|k|da)?sh\s+-[a-z]*[ic]\b|cmd(?:\.exe)?\s+\/[ck]\s|powershell(?:\.exe)?\s+(?:-[a-z]+\s+){0,4}-(?:e|enc|encodedcommand|c|command|nop|noni|w)\b|(?:nc|ncat|netcat)\s+(?:-[a-z]+\s+){0,3}-[a-z]*[ec]\s|python[23]?\s+-c\s|perl\s+-e\s|ruby\s+-e\s|php\s+-r\s)/i;

/** Fenced code blocks of markdown (documentation, not input to a shell). */
function withoutFences(s: string): string {
  if (!s.includes("```") && !s.includes("~~~")) return s;
  return s.replace(/(?:```|~~~)[^\n]{0,40}\n[\s\S]{0,20000}?(?:```|~~~)/g, " ");
}

/** Command injection score of one (normalised) value. */
export function detectCommand(v: Inspected): Finding | null {
  const raw = v.text;
  const lower = v.lower;
  let best: Finding | null = null;
  const take = (score: number, ruleId: string) => {
    if (!best || score > best.score) best = { ruleId, score };
  };
  // Shellshock: a function definition at the start of a header/value.
  if (/^\s*\(\s*\)\s*\{/.test(raw)) take(7, "command-shellshock");
  if (lower.includes("/dev/tcp/") || lower.includes("/dev/udp/")) take(7, "command-reverse-shell");
  const text = deobfuscate(withoutFences(raw));
  if (LAUNCHER.test(text)) take(6, "command-launcher");
  if (!/[;|&\n`]|\$\(/.test(text)) return best;

  const lines = text.split("\n", 5).length;
  // Prose: many ordinary words (a command line has few; flags, paths and addresses are not words).
  const prose = text.length >= 60 && (text.match(/(?:^|\s)[A-Za-z][a-z']{2,}(?=[\s,.;:!?)]|$)/g)?.length ?? 0) >= 10;
  const newlineSeparates = lines <= 3 && !prose;
  const markdownTable = /^[ \t]*\|[^\n]*\|[ \t]*$/m.test(text) && /\|[ \t]{0,8}:?-{3,}/.test(text);

  SEPARATORS.lastIndex = 0;
  let seen = 0;
  for (let m = SEPARATORS.exec(text); m !== null && seen < 64; m = SEPARATORS.exec(text)) {
    seen++;
    const sep = m[1]!;
    if (sep === "\n" && !newlineSeparates) continue;
    if ((sep === "|" || sep === "||") && markdownTable) continue;
    const at = m.index + sep.length;
    const cmd = commandAt(text, at);
    if (cmd === null) continue;
    if (sep === "`" || sep === "$(") {
      // `` `id` `` / `$(id)`: command substitution. Markdown inline code in prose (`` run `ls` ``) is weaker.
      const before = text.slice(0, m.index);
      const closes = sep === "`" ? text.indexOf("`", at) !== -1 : text.indexOf(")", at) !== -1;
      const closeAt = sep === "`" ? text.indexOf("`", at) : -1;
      // Markdown inline code inside a sentence ("use `set -e` in scripts"): words on both sides.
      const inline = sep === "`" && /[A-Za-z,:]\s+$/.test(before) && (prose || (closeAt !== -1 && /^\s+[A-Za-z]/.test(text.slice(closeAt + 1))));
      take(inline ? 3 : closes || argsScore(cmd) > 0 ? 7 : 5, "command-substitution");
      if (sep === "`") SEPARATORS.lastIndex = Math.max(SEPARATORS.lastIndex, text.indexOf("`", at) + 1 || text.length);
      continue;
    }
    let score = 3 + argsScore(cmd);
    if (prose) score -= 2;
    take(score, "command-injection");
  }
  return best;
}
