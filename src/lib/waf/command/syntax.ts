/**
 * Shell-specific syntax for the command injection detector (`../command.ts`): cmd.exe control
 * flow (`FOR … IN (…)`, `IF [NOT] EXIST …`), PowerShell cmdlets, and bash-only syntax (`$[…]`,
 * `${x#…}`, process substitution, history, tilde, `alias x=`), and backtick strings that run a
 * script from code (`codeBacktick`), and a ping that only waits (`pingDelay`).
 */
import { isSpace, M_PERCENT } from "./chars.ts";
import { commandAt } from "./command-at.ts";

const WIN_FOR =
  /(?:^|[\s;&|(])for\s+(?:\/[a-z]\s*(?:"[^"\n]{0,80}"\s+|[a-z]:\\\S{0,80}\s+|\\"[^"\n]{0,80}\\"\s+)?){0,4}%{1,2}[^\s%]{0,30}\s+in\s*\(/i;
/** cmd.exe `IF`: the condition forms, then (checked separately) something that follows. */
const WIN_IF_HEAD = /^if\s*(?:\/i\s+)?(?:not\s+)?/i;
const WIN_IF_KEYWORD =
  /^(?:exist\s+(?:"[^"\n]{1,80}"|\([^)\n]{1,80}\)|\S{1,80})|defined\s+[\w.-]{1,40}|errorlevel\s+\d{1,4}|cmdextversion\s+\d{1,3})(?:\s+(\S+))?/i;
// Composed once, at module load, from the constant OPERAND (no request data reaches it).
const OPERAND = String.raw`(?:"[^"\n]{0,60}"|\[[^\]\s]{0,40}\]|\{[^}\s]{0,40}\}|\([^()\s]{0,40}\)|[^\s=()"]{1,40})`;
const WIN_IF_COMPARE = new RegExp(
  String.raw`^(?:\(\s{0,40}${OPERAND}\s{1,40}(?:equ|neq|lss|leq|gtr|geq)\s{1,40}${OPERAND}\s{0,40}\)|${OPERAND}\s{0,40}(?:={2,3}|\s(?:equ|neq|lss|leq|gtr|geq)\s)\s{0,40}${OPERAND})(\s{0,40}\S{0,20})`,
  "i",
);
const BATCH_NEXT =
  /^(?:\(|@|set\b|echo\b|goto\b|call\b|cmd\b|exit\b|del\b|copy\b|type\b|start\b|md\b|cd\b|if\b|for\b|do\b|rem\b|[A-Z]{2,})/i;

/** cmd.exe `FOR … IN (…)` or `IF [NOT] EXIST/DEFINED/ERRORLEVEL/x==y command` at the start of a command. */
export function windowsControl(text: string, starts: readonly number[], mask: number): boolean {
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
      if (next === undefined && seg.trim().endsWith("(")) return true;
      continue;
    }
    const cmp = WIN_IF_COMPARE.exec(rest);
    // Not code of other languages: `if (a == b) {`, `if a == b:`, `… then`.
    if (cmp && !/^\s*(?:[{:]|then\b|return\b|&&|\|\||and\b|or\b)/i.test(cmp[1] ?? "") && !/:\s*$/.test(cmp[0]))
      return true;
  }
  return false;
}

export const PS_CMDLET =
  /(?:^|[\s;|&(`{])((?:invoke|start|new|get|set|add|remove|stop|copy|out|import|register)-(?:webrequest|restmethod|expression|command|item|process|object|wmimethod|ciminstance|service|itemproperty|content|childitem|localuser|localgroupmember|module|scheduledtask|mppreference|file|bitstransfer)|iwr|irm|iex|iwmi|icm|saps|sal)\b(\s{0,4}\S{0,80})/i;

/** Bash-only syntax: `$[ … ]` arithmetic, `${x#…}` expansions, process substitution, history, tilde, `alias x=`. */
export function bashSyntax(t: string): string | null {
  if (t.includes("$")) {
    if (t.includes("$[") && /\$\[[\w\s+*/%-]{0,40}\]/.test(t)) return "command-bash-expansion";
    if (t.includes("${") && /\$\{[#!]?[A-Za-z_]\w{0,30}(?:#{1,2}|%{1,2}|\/{1,2}|\^{1,2}|,{1,2})[^}\n]{0,40}\}/.test(t))
      return "command-bash-expansion";
    if (t.includes("$((") && /\$\(\([^)\n]{0,40}\$\(/.test(t)) return "command-bash-expansion";
  }
  if ((t.includes("<(") || t.includes(">(")) && /(?:^|[\s;|&=])[<>]\(\s{0,4}[a-z]/.test(t)) {
    const at = t.search(/[<>]\(\s{0,4}[a-z]/);
    if (at !== -1 && commandAt(t, at + 2) !== null) return "command-process-substitution";
  }
  if (t.includes("~") && /^~[+-]\d{0,3}(?:\/\S{0,80})?$/.test(t.trim())) return "command-tilde-expansion";
  if (t.includes("!-") && /(?:^|[\s;|&])!-\d{1,3}(?=$|[\s;|&!:])/.test(t) && /^[\s;|&'"]*!/.test(t.trim()))
    return "command-history-expansion";
  if (t.includes("alias") && /(?:^|[;|&\n]\s{0,4})alias\s+(?:[-+][a-z]{1,4}\+?\s+){0,3}[\w.'"-]{1,30}=/.test(t))
    return "command-alias";
  return null;
}

/**
 * A backtick string in code position that runs a shell script: right after a call's `(` or
 * joined to a string before it (PHP's `` print(`echo a;echo $((1+2))`) ``, `` `a`.`b` ``), holding
 * a second command or an arithmetic expansion. Markdown puts its inline code after a space.
 */
export function codeBacktick(before: string, inside: string): boolean {
  return CODE_BEFORE.test(before.slice(-40)) && (inside.includes("$((") || CHAINED.test(inside));
}
const CODE_BEFORE = /(?:[A-Za-z_$][\w$]{0,30}\(|[`'"]\s{0,2}\.)\s{0,2}$/;
const CHAINED =
  /[;\n]\s{0,4}(?:echo|printf|print|id|whoami|uname|cat|ls|pwd|sleep|ping|curl|wget|nslookup|ifconfig|ipconfig|hostname|type|dir)\b/;

/** `ping -n 31 127.0.0.1` as the whole value: a blind injection's delay of about that many seconds (10 or more). */
export function pingDelay(raw: string): boolean {
  const m = PING_DELAY.exec(raw);
  return m !== null && Number(m[1]) >= 10;
}
const PING_DELAY = /^\s{0,4}ping(?:\.exe)?\s{1,4}-[nci]\s{1,4}(\d{1,4})\s{1,4}(?:127\.0\.0\.1|localhost)\s{0,4}$/i;
