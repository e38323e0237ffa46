/**
 * Commands for the command injection detector (`../command.ts`): the known command at a position
 * (system paths, globs, versioned names, cmd.exe built-ins, Unix and Windows case rules), how
 * strongly its arguments say "shell", arguments that make any tool an attack, prefixes that run
 * another command (`time`, `sudo`), and the launcher and exec-call patterns.
 */
import { globCommand, hasGlob } from "./glob.ts";
import {
  CMD_BUILTINS,
  DANGER,
  NETWORK,
  PREFIXES,
  RUNNERS,
  SHELLS,
  TOOLS,
  WINDOWS,
  WINDOWS_TOOLS,
  WORDY,
} from "./words.ts";

export interface CommandAt {
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

const COMMAND_WORD =
  /^[\s({]{0,8}((?:[a-z]:|%\w{1,20}%|~|\.{1,2})?(?:[\\/][\w.?*[\]!-]{0,40}){0,8}[\\/]|(?:usr\/(?:local\/)?)?s?bin\/)?([\w.?*[\]!+-]{1,40})/i;
const BIN_DIR = /^\/?(?:usr\/(?:local\/)?)?s?bin\/$/;
const SYSTEM_DIR = /^(?:\/usr(?:\/local)?)?\/s?bin\/|^\/(?:usr|bin|sbin|opt|tmp|var|etc|dev|home|root|lib)\/|^s?bin\//;

/** The known command at `i` (after optional whitespace and a path such as `/usr/bin/` or `C:\Windows\System32\`). */
export function commandAt(s: string, i: number): CommandAt | null {
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
  word = word.replace(/(?<![.+-])[.+-]+$/, "");
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
    const base = word.replace(/(?<![\d.])[\d.]+$/, "");
    if (base !== word && base.length >= 2 && TOOLS.has(base) && !WORDY.has(base)) name = base;
    else {
      const lower = word.toLowerCase().replace(/\.(?:exe|com|bat|cmd)$/, "");
      if (
        WINDOWS.has(lower) &&
        (lower === word.toLowerCase() ||
          /\.(?:exe|com)$/i.test(word) ||
          word === word.toUpperCase() ||
          /^[A-Z][a-z]+$/.test(word) ||
          WINDOWS_TOOLS.has(lower))
      ) {
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
  if (plusEnds ? !windows : follow !== "" && !/[\s;|&`)<>'"$#{]/.test(follow) && !(windows && follow === "/"))
    return null;
  const tool = windows ? WINDOWS_TOOLS.has(name) : !WORDY.has(name) && (TOOLS.has(name) || marked);
  const after = plusEnds ? end + 1 : end;
  const rest = s.slice(after, after + 2000);
  const argEnd = rest.search(/[;|&\n`)]|\$\(/);
  // A trailing `#` comments out whatever the application appends.
  const args = (argEnd === -1 ? rest : rest.slice(0, argEnd)).replace(/(?:^|\s)#.*$/, "").trim();
  const danger =
    DANGER.has(name) ||
    (name === "net" && /^(?:user|localgroup|group|view|share|use|accounts|session)\b/i.test(args)) ||
    (SHELLS.has(name) && (args === "" || /^-[a-z]*[ic]\b/.test(args)));
  return { name, args, windows, marked, tool, danger, end: argEnd === -1 ? "" : rest[argEnd]!, after };
}

/** Paths a shell payload reads or runs (not `/settings` in prose). */
const SYSTEM_PATH =
  /(?:^|[\s=,:])(?:\/(?:etc|bin|sbin|usr|tmp|var|dev|proc|home|root|opt|sys|boot|lib|srv|run|mnt|windows)(?:\/|\b)|\/(?=\s|$)|~\/|[a-z]:[\\/]|%\w{2,30}%\\?|\.\.?\/|\/[?*]{1,4}\/|\\\\\w)/i;

/** How strongly the arguments of a command say "shell" (0: not at all). */
export function argsScore(c: CommandAt): number {
  const a = c.args;
  if (a === "") return 0;
  const wordy = !c.tool;
  if (/(?:^|\s)--?[a-z]/i.test(a)) return 3; // flags
  if ((c.windows || WINDOWS.has(c.name)) && /(?:^|\s)\/[a-z?]{1,12}(?::\S*)?(?:\s|$)/i.test(a)) return 3; // cmd.exe switches
  if (
    c.name === "net" &&
    /^(?:user|users|localgroup|group|view|share|use|accounts|config|session|start|stop)\b/i.test(a)
  )
    return 3;
  if (c.name === "reg" && /^(?:add|query|delete|save|export|import)\s/i.test(a)) return 3;
  if (SYSTEM_PATH.test(a)) return 3;
  if (/\bHKEY_|\bHK(?:LM|CU|CR|U)\b/.test(a)) return 3;
  if (/(?:^|[\s\d])[<>]{1,2}(?![=\s]*\d)|2>&1|<<<|\$[\w{(]/.test(a)) return 3; // redirections (not `>= 18`, `Vec<T>`), variables
  if (DELAY_ARG.test(a) && ["sleep", "ping", "timeout"].includes(c.name)) return 3;
  if (/(?<![a-z])[a-z]+:\/\/|\b\d{1,3}(?:\.\d{1,3}){3}\b/i.test(a) && (!wordy || !/\s\w+\s+\w+\s/.test(` ${a} `)))
    return 3; // URLs, addresses
  if (/(?:^|\s)(?:sh|bash),-c,/.test(a)) return 3;
  return 0;
}

/** Locations an attack reads, runs or writes (not `~/projects`, `.venv/bin`, `/dev/null`). */
export const SENSITIVE_PATH =
  /(?:^|[\s=,:'"<>])(?:\/(?:etc|bin|sbin|usr\/s?bin|usr\/local\/s?bin|proc|root|boot|sys|var\/(?:log|www|spool|mail|lib)|home\/[\w.-]{1,32}\/\.|tmp|dev\/(?:tcp|udp|shm))(?:\/|\b)|\/(?=\s|$)|(?:\.\.\/){1,}|[a-z]:[\\/](?:windows|winnt|boot\.ini|inetpub|users[\\/][^\\/\s]{1,40}[\\/](?:ntuser|appdata)|documents and settings|\s|$)|%(?:systemroot|windir|comspec|userprofile|appdata|temp|programdata|allusersprofile|systemdrive)%|\\\\[\w.-]{1,60}\\)/i;

/** Arguments that make even a developer tool an attack: system files, downloads, reverse shells, here-strings. */
export function sensitiveArgs(c: CommandAt): boolean {
  const a = c.args;
  if (a === "") return false;
  if (SENSITIVE_PATH.test(a)) return true;
  if (/<<<|(?:^|\s)(?:sh|bash),-c,|\bHKEY_|\bHK(?:LM|CU|CR)\b/.test(a)) return true;
  if (
    NETWORK.has(c.name) &&
    /(?<![a-z])[a-z]+:\/\/|\b\d{1,3}(?:\.\d{1,3}){3}\b|(?:^|\s)(?:[\w-]{1,63}\.){1,4}(?:com|net|org|io|sh|ru|cn|xyz|top|me|info|co)\b/i.test(
      a,
    )
  )
    return true;
  // Any program handed an out-of-band listener (`nslookup x.oast.fun`, `ping -c1 x.interact.sh`).
  if (a.includes(".") && OAST_HOST.test(a)) return true;
  if (DELAY_ARG.test(a) && ["sleep", "timeout"].includes(c.name)) return true;
  return false;
}
/**
 * A delay: a number of seconds, perhaps with a `#` glued to it (`|sleep 5#`: meant to comment out
 * what the application appends; the shell keeps it in the word, the probe is plain all the same).
 */
const DELAY_ARG = /^\d+(?:\.\d+)?#?$/;
/** The listeners of out-of-band scanners (interactsh, Burp Collaborator, dnslog): a lookup of one is a probe. */
const OAST_HOST =
  /(?:^|[\s.@/])(?:interact\.sh|oast\.(?:me|pro|live|site|online|fun)|oastify\.com|burpcollaborator\.net|dnslog\.cn|ceye\.io)(?![\w.-])/i;

/** Arguments that are plain, short and shell-like (no sentence punctuation): `all -m ping`, `plugin ping`, `site.yml`. */
export function plainArgs(a: string): boolean {
  if (a === "") return true;
  if (a.length > 80 || /[,!?]\s|[?!]$/.test(a)) return false;
  return a.split(/\s+/).length <= 4;
}

export const LAUNCHER =
  /(?:^|[\s;|&`(,])(?:(?:ba|z|k|da)?sh\s+-[a-z]*[ic]\b|(?:ba)?sh,-c,|cmd(?:\.exe)?\s+\/[ckr]\s|powershell(?:\.exe)?\s+(?:-[a-z]+\s+(?:\S+\s+)?){0,4}-(?:e|ec|enc|encodedcommand|c|command|nop|noni|w|windowstyle|exec|executionpolicy|file)\b|(?:nc|ncat|netcat)\s+(?:-[a-z]+\s+(?:\S+\s+)?){0,3}-[a-z]*[ec]\s|python[23]?(?:\.\d+)?\s+-c\s|perl\s+-[a-z]*e\s|ruby\s+-[a-z]*e\s|ruby\s+-rsocket|php\s+-r\s|node\s+-e\s|busybox\s+(?:sh|nc|-c)\b|socat\s+\S*\s*exec:|mkfifo\s+\/tmp\/)/i;

/** Code-level calls that hand a string to a shell: `system('id')`, `exec("cat /etc/passwd")`. */
export const EXEC_CALL =
  /\b(?:system|exec|shell_exec|passthru|popen|proc_open|eval|spawn|execsync|spawnsync|os\.system|os\.popen|subprocess\.\w{1,20}|runtime\.getruntime\(\)\.exec)\s{0,4}\(\s{0,4}(?:\[\s{0,4})?['"`]/i;

/** `time id`, `nohup nc …`, `sudo -u root sh`: the command the prefix runs. */
export function throughPrefixes(text: string, cmd: CommandAt): CommandAt {
  let c = cmd;
  for (let n = 0; n < 3 && PREFIXES.has(c.name) && !c.windows; n++) {
    const runner = RUNNERS.has(c.name);
    // Skip the prefix's own options (`timeout 5`, `sudo -u root`, `cpulimit -l 100 -f`).
    const opts = /^(?:\s+(?:-{1,2}[\w=-]{1,20}|\d+[smhd]?)(?:\s+(?![a-z]{2,}\b)\S{1,20})?){0,4}/.exec(
      text.slice(c.after, c.after + 200),
    );
    const next = commandAt(text, c.after + (opts?.[0].length ?? 0));
    if (next === null) break;
    // `time bsdtar`, `nohup ncat …`: a tool run under a process wrapper is no snippet of prose.
    c = runner && next.tool ? { ...next, danger: true, marked: true } : next;
  }
  return c;
}
