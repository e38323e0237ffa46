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
 *
 * This file holds the detector (command positions and their scoring, the PowerShell check); the
 * parts live in `command/`: `words.ts` (the vocabulary), `command-at.ts` (a command and its
 * arguments), `shell-view.ts` (what a shell would undo), `glob.ts` (glob matching), `syntax.ts`
 * (cmd.exe control flow, PowerShell, bash-only syntax), `upload.ts` (restricted upload names),
 * `chars.ts` (character masks), `gate.ts` (the cheap test before the detector) and `plain-line.ts`
 * (command lines of plain words, for the plain-value and sentence shortcuts).
 */
import {
  charMask,
  isSpace,
  M_AMP,
  M_BACKSLASH,
  M_BACKTICK,
  M_BANG,
  M_BRACE,
  M_BRACKET,
  M_COLON,
  M_COMMA,
  M_CR,
  M_DASH,
  M_DOLLAR,
  M_EQUALS,
  M_GT,
  M_LT,
  M_NEWLINE,
  M_PAREN,
  M_PERCENT,
  M_PIPE,
  M_QUESTION,
  M_QUOTES,
  M_SEMI,
  M_SLASH,
  M_STAR,
  M_TILDE,
  endsWithSeparator,
} from "./command/chars.ts";
import {
  argsScore,
  commandAt,
  type CommandAt,
  EXEC_CALL,
  LAUNCHER,
  plainArgs,
  SENSITIVE_PATH,
  sensitiveArgs,
  throughPrefixes,
} from "./command/command-at.ts";
import { gateMask, gateText, mayBeCommandAt } from "./command/gate.ts";
import { globbedPathIn } from "./command/glob.ts";
import { braceCommand, GLUED_VAR, shellView, withoutFences } from "./command/shell-view.ts";
import { bashSyntax, codeBacktick, pingDelay, PS_CMDLET, windowsControl } from "./command/syntax.ts";
import { restrictedUpload, UPLOAD_FIELD } from "./command/upload.ts";
import { RECON, SHELLS, TOOLS, WINDOWS_TOOLS } from "./command/words.ts";
import { CONDENSE_MIN, type Finding, type Inspected } from "./types.ts";

import { plainCommandLine } from "./command/plain-line.ts";

export { commandLead, plainCommandLine } from "./command/plain-line.ts";
export { commandGate } from "./command/gate.ts";
export { globMatch } from "./command/glob.ts";

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
/** A word glued to an unset variable of 1–3 letters, before a space, a path, a separator or the end. */
const GLUED_NAME = /(?<![\w$-])([a-z][\w.-]{0,30})\$[a-z_]{1,3}(?=[\s/;|&]|$)/g;
/**
 * The whole value: perhaps the parameter's own value (one token, a quote), a separator, then one
 * PowerShell cmdlet with a few arguments and perhaps a comment (`1;get-help`, `x";start-sleep -s 5 #`).
 * A cmdlet is an approved verb and a noun only PowerShell uses (`read-only`, `add-on`, `start-date`,
 * `add-item`, `clear-history` in a tag or column list are words).
 */
const PS_PROBE =
  /^\s{0,4}[\w.@:/+-]{0,64}['"]?\s{0,4}(?:;|&&?|\|\|?)\s{0,4}((?:get|set|start|stop|invoke|new|remove|add|out|write|test|import|export|select|format|clear|copy|enter|wait|resolve|measure|restart|find|show)-(?:help|sleep|process|childitem|itemproperty|webrequest|restmethod|expression|computerinfo|localuser|localgroup|localgroupmember|wmiobject|ciminstance|acl|credential|psdrive|eventlog|hotfix|uptime|filehash|netipaddress|netadapter|nettcpconnection|executionpolicy|scheduledtask|mppreference|psreadlineoption))(?:\s{1,4}[\w./\\:%$-]{1,40}){0,4}\s{0,4}(?:#[^\n]{0,20})?\s{0,4}['"]?\s{0,4}$/i;
/**
 * The same cmdlet appended to a header's own value (`Mozilla/5.0 (…) Safari/537.36;start-sleep -s 5`):
 * a User-Agent or other header has a grammar of its own before it, so only its end is read. (Its
 * cmdlets and what may follow them are PS_PROBE's: a change to one is a change to both.)
 */
const PS_TAIL =
  /(?:;|&&?|\|\|?)\s{0,4}((?:get|set|start|stop|invoke|new|remove|add|out|write|test|import|export|select|format|clear|copy|enter|wait|resolve|measure|restart|find|show)-(?:help|sleep|process|childitem|itemproperty|webrequest|restmethod|expression|computerinfo|localuser|localgroup|localgroupmember|wmiobject|ciminstance|acl|credential|psdrive|eventlog|hotfix|uptime|filehash|netipaddress|netadapter|nettcpconnection|executionpolicy|scheduledtask|mppreference|psreadlineoption))(?:\s{1,4}[\w./\\:%$-]{1,40}){0,4}\s{0,4}(?:#[^\n]{0,20})?\s{0,4}['"]?\s{0,4}$/i;

// (A UNC path's `\\` starts the value or follows a space, quote, `=`, `(` or `,`: in `c\\a\\t` or
// `/\\e\\t\\c` it is a doubled escape.)
const WINDOWS_PATHS = /[a-z]:\\|%\w{1,30}%\\|(?<![^\s'"=(,])\\\\[\w.$]|\bHK(?:EY_|LM\\|CU\\)/i;
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
  if (
    (mask & (M_BRACE | M_PAREN)) === (M_BRACE | M_PAREN) &&
    (/^\s*\(\s*\)\s*\{/.test(raw) || /\(\s*\)\s*\{\s*:\s*;\s*\}\s*;/.test(raw))
  )
    take(7, "command-shellshock");
  if (mask & M_SLASH && lower.includes("/dev/") && (lower.includes("/dev/tcp/") || lower.includes("/dev/udp/")))
    take(7, "command-reverse-shell");
  if (
    v.field.name !== null &&
    (v.field.where === "body-filename" || (v.field.name.includes("file") && UPLOAD_FIELD.test(v.field.name))) &&
    raw.length <= 256 &&
    restrictedUpload(raw)
  )
    take(5, "command-restricted-upload");
  if (lower.includes("ping") && pingDelay(raw)) take(6, "command-time-delay");
  // Standard headers inspected lightly: only what servers evaluate from them (above).
  if ((kind as string) === "header-light") return best;
  // Words, spaces and commas only: nothing for a shell unless it reads as a command line.
  if (!/[^\w ,]/.test(raw) && !plainCommandLine(raw)) return best;

  const text0 = withoutFences(raw);
  const windowsPaths = (mask & M_BACKSLASH) !== 0 && WINDOWS_PATHS.test(text0);
  const text = shellView(text0, windowsPaths, mask);
  // What the shell view may hold: the value's characters, and newlines made of `\n`, `\r`.
  const tmask = mask & (M_BACKSLASH | M_CR) ? mask | M_NEWLINE : mask;
  if (
    (mask & (M_DASH | M_SLASH) || (mask & M_COLON && /exec:/i.test(text)) || /busybox/i.test(text)) &&
    LAUNCH_HINT.test(text) &&
    LAUNCHER.test(text)
  )
    take(6, "command-launcher");
  if (mask & M_LT && raw.includes("<!") && /<!--\s{0,4}#\s{0,4}exec\s{1,8}cmd\s{0,4}=/i.test(raw))
    take(7, "command-ssi-exec");
  const call = mask & M_PAREN && mask & (M_QUOTES | M_BACKTICK) && parenQuote(text0) ? EXEC_CALL.exec(text0) : null;
  if (call) {
    const cmd = commandAt(text0.replace(/['"`[,]/g, " "), call.index + call[0].length);
    // A string handed to a shell (`system('id')`); an argument list (`subprocess.run(['ls', '-l'])`) only when dangerous.
    if (cmd !== null && (!/\[\s{0,4}['"`]$/.test(call[0]) || cmd.danger || sensitiveArgs(cmd)))
      take(6, "command-exec-call");
  }
  if (
    (mask & (M_BRACE | M_COMMA)) === (M_BRACE | M_COMMA) &&
    braceCommand(mask & M_QUOTES ? text0.replace(/['"]/g, "") : text0)
  )
    take(6, "command-brace-expansion");
  // `\ls`: an escaped name skips aliases; as a whole value it is a probe.
  if (mask & M_BACKSLASH && /^\s{0,4}\\[a-z]/.test(text0)) {
    const esc = commandAt(text0, text0.indexOf("\\") + 1);
    if (esc !== null && !esc.windows && esc.args === "") take(5, "command-injection");
  }
  // `/a[b///]c`: slashes inside a bracket glob, a filter-evasion trick.
  if (
    (mask & (M_BRACKET | M_SLASH)) === (M_BRACKET | M_SLASH) &&
    /\/[\w.-]{0,20}\[[a-z]{0,3}\/{2,}\][\w.-]{0,20}/i.test(text0)
  )
    take(5, "command-glob-path");
  const bash =
    tmask & (M_DOLLAR | M_LT | M_GT | M_TILDE | M_BANG) || (tmask & M_EQUALS && text.includes("alias"))
      ? bashSyntax(text)
      : null;
  if (bash !== null) take(5, bash);
  if (tmask & M_SLASH && tmask & (M_QUESTION | M_STAR | M_BRACKET) && globbedPathIn(text)) take(6, "command-glob-path");

  // Long prose: many ordinary words (computed when first needed).
  let proseMemo: boolean | undefined;
  const prose = (): boolean => (proseMemo ??= proseText(text));

  // The start of the value. A value that starts with a command line (`npm install && npm run build`,
  // `Dockerfile: RUN apt-get update && …`) is a posted snippet: later commands need dangerous content.
  let lead = 0;
  while (lead < 4 && lead < text.length && (isSpace(text.charCodeAt(lead)) || text[lead] === "'" || text[lead] === '"'))
    lead++;
  const first = mayBeCommandAt(text, lead) ? considerStart(text, lead, prose, take) : null;
  if (first !== null && (first.tool || RECON.has(first.name)) && first.name.length >= 3) {
    // A name spelled with quotes or backslashes inside it (`"w"hoami`, `wh''oami`, `c\at`): only an evasion does that.
    const rawWord = /^[\s;|&'"]{0,4}([\w'"\\]{2,40})/.exec(text0)?.[1] ?? "";
    if (/[a-z](?:['"]+|\\)[a-z]/i.test(rawWord) && !/['"](?:d|s|t|ll|re|ve|m)$/i.test(rawWord))
      take(6, "command-injection");
  }
  let snippetMemo: boolean | undefined;
  const snippet = (): boolean => {
    if (snippetMemo === undefined) {
      const label = /^[\w.-]{1,20}:\s{1,4}(?:RUN\s+)?|^\$\s+|^RUN\s+/.exec(text.slice(lead))?.[0].length ?? 0;
      const labelled = label > 0 ? commandAt(text, lead + label) : null;
      snippetMemo =
        !text.slice(0, lead).includes("\n") &&
        ((first !== null && !first.danger && !first.marked) || (labelled !== null && !labelled.danger));
    }
    return snippetMemo;
  };
  let newlineMemo: boolean | undefined;
  const newlineSeparates = (): boolean => (newlineMemo ??= fewLines(text) && !prose());
  let tableMemo: boolean | undefined;
  const markdownTable = (): boolean =>
    (tableMemo ??= /\|[ \t]{0,8}:?-{3,}/.test(text) && /^[ \t]*\|[^\n]*\|[ \t]*$/m.test(text));

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
    if (sep === "`" && shellBacktick(text, m.index)) {
      take(7, "command-substitution");
      const close = text.indexOf("`", at);
      SEPARATORS.lastIndex = Math.max(SEPARATORS.lastIndex, close + 1);
      continue;
    }
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
      const inline =
        sep === "`" &&
        ((/[A-Za-z,:]\s+$/.test(before) &&
          (prose() || (closeAt !== -1 && /^\s+[A-Za-z]/.test(text.slice(closeAt + 1))))) ||
          (/:\s*$/.test(before) && !cmd.danger && !sensitiveArgs(cmd)) ||
          (closeAt !== -1 &&
            v.raw.length > CONDENSE_MIN &&
            cmd.args === "" &&
            !HARMFUL_ALONE.has(cmd.name) &&
            markdownSpan(before, text.slice(closeAt + 1, closeAt + 33))));
      // Markdown inline code among other text (`### \`type Foo<T>\``, "run \`npm test\` first") with
      // nothing dangerous inside is documentation too; a whole value in backticks is not.
      // (`` $(`id`) ``: a substitution inside a substitution is shell, not markdown.)
      const markdownCode =
        sep === "`" &&
        closeAt !== -1 &&
        !/\$\(\s{0,4}$/.test(before.slice(-6)) &&
        !codeBacktick(before, text.slice(at, closeAt)) &&
        !cmd.danger &&
        !sensitiveArgs(cmd) &&
        (/\S/.test(before) || /\S/.test(text.slice(closeAt + 1)));
      take(inline || markdownCode ? 3 : closeAt !== -1 || argsScore(cmd) > 0 ? 7 : 5, "command-substitution");
      if (sep === "`") SEPARATORS.lastIndex = Math.max(SEPARATORS.lastIndex, closeAt + 1 || text.length);
      continue;
    }
    const probe =
      cmd.args === "" && /^[\s'"]*$/.test(text.slice(0, m.index)) && /^[\s'"#;|&]*$/.test(text.slice(cmd.after));
    let score: number;
    if (sensitiveArgs(cmd)) score = 7;
    // A new line of code (`    let x: Vec<&str> = …`) is no injected command: words need dangerous arguments there.
    else if (sep === "\n" && !cmd.tool && /^(?: {2,}|\t)/.test(text.slice(at))) score = 0;
    else if (!cmd.danger && !cmd.marked && snippet()) score = 0;
    else {
      const evidence = argsScore(cmd);
      score = 3 + evidence;
      if (evidence === 0) {
        if (cmd.args === "" && cmd.end === "|" && sep === "|" && /\S\s+$/.test(text.slice(0, m.index)) && !cmd.marked)
          score = 3; // "name | id | email" reads like a list
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
  // `cat$xq …`, `rm$v;`: a program's name with an unset variable glued to its end (the shell view
  // reads it without): only an evasion writes a name so.
  if (mask & M_DOLLAR && raw.length <= 4_096 && GLUED_VAR.test(raw))
    for (const m of raw.matchAll(GLUED_NAME)) if (TOOLS.has(m[1]!)) take(6, "command-injection");
  // A PowerShell cmdlet as the whole injected command (`;get-help`, `";start-sleep -s 5 #`: ZAP's probes).
  if (mask & M_DASH && mask & (M_SEMI | M_PIPE | M_AMP)) {
    const ps =
      (raw.length <= 160 ? PS_PROBE.exec(raw) : null) ??
      (kind === "user-agent" || kind === "header" ? PS_TAIL.exec(raw.slice(-200)) : null);
    if (ps) take(6, /^start-sleep$/i.test(ps[1]!) ? "command-time-delay" : "command-powershell");
  }
  // PowerShell: `Verb-Noun`, or an alias with an argument that needs `-`, `:`, `(`, `$`, `\`, `/`, `%` or `.ps1`.
  const ps =
    mask & M_DASH ||
    ((mask & (M_COLON | M_PAREN | M_DOLLAR | M_BACKSLASH | M_SLASH | M_PERCENT) || lower.includes(".ps1")) &&
      PS_ALIAS.test(lower))
      ? PS_CMDLET.exec(text0)
      : null;
  if (ps) {
    const name = ps[1]!.toLowerCase();
    const arg = ps[2]!.trim();
    const strong =
      /^(?:invoke-(?:webrequest|restmethod|expression|wmimethod)|start-(?:process|bitstransfer)|iwr|irm|iex|iwmi)$/.test(
        name,
      );
    const argText = text0.slice(ps.index + ps[0].length - ps[2]!.length, ps.index + ps[0].length + 200);
    if (
      strong
        ? /^(?:-[a-z]|https?:\/\/|\(|\$|[a-z]:\\|\\\\|[\w.-]+\.ps1\b)/i.test(arg)
        : SENSITIVE_PATH.test(argText) || /https?:\/\//i.test(argText)
    )
      take(prose() ? 3 : 6, "command-powershell");
  }
  return best;
}

/**
 * The value starts with a command line: `cat /etc/passwd`, `nc -lvp 4444 -e /bin/sh`,
 * `ansible-config dump`, `/usr/bin/id`. Developer commands with ordinary arguments
 * (`ls -la ~/projects`, `pip install -r requirements.txt`) are posted snippets, not attacks.
 */
function considerStart(
  text: string,
  lead: number,
  prose: () => boolean,
  take: (score: number, ruleId: string) => void,
): CommandAt | null {
  let cmd = commandAt(text, lead);
  if (cmd === null) return null;
  cmd = throughPrefixes(text, cmd);
  let score = 0;
  if (sensitiveArgs(cmd)) score = 6;
  else if (cmd.danger || cmd.marked) {
    if (argsScore(cmd) > 0) score = 6;
    else if (
      plainArgs(cmd.args) &&
      (cmd.marked ||
        endsWithSeparator(text) ||
        /[./=_]|\w-\w/.test(cmd.args) ||
        (cmd.windows && WINDOWS_TOOLS.has(cmd.name)) ||
        cmd.name.includes("-") ||
        (cmd.args === "" && /['"]/.test(text.slice(0, lead))))
    )
      score = 5;
  }
  if (cmd.end !== "" && cmd.end !== "`" && cmd.end !== ")" && cmd.args === "" && (RECON.has(cmd.name) || cmd.danger))
    score = Math.max(score, 6); // `whoami;…`, `id|…`
  if (score > 0 && prose()) score -= 3;
  take(score, "command-injection");
  return cmd;
}

/**
 * A backtick substitution that only a shell statement holds: assigned to a variable (`;X=\`echo a\``),
 * or glued to the argument of an `echo`/`printf` (`;echo TAG\`expr 4 + 5\`TAG`: how injection tools
 * mark a command's output), right after a separator (`;`, `|`, `&`, a line break), with a command
 * and its arguments inside and a closing backtick. Markdown puts a code span after a space or a word, not there; at
 * the start of a value, quotes the shell view drops may have held it (a Python `reason='…'` with a
 * code span inside).
 */
function shellBacktick(text: string, open: number): boolean {
  const c = text.charCodeAt(open + 1);
  if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) || text.indexOf("`", open + 1) === -1) return false;
  if (!SHELL_BACKTICK_BEFORE.test(text.slice(Math.max(0, open - 64), open))) return false;
  // Inside: a command with arguments (`echo TAG`, `cat x.txt`, `expr 47 + 35`), not a word
  // (`;NODE_ENV=\`production\``, `&utm_medium=\`email\``: a name and its value in prose).
  const cmd = commandAt(text, open + 1);
  return (
    (cmd !== null && cmd.args !== "" && cmd.end === "`") || /^expr[ \t]+[\w"$]/.test(text.slice(open + 1, open + 12))
  );
}
const SHELL_BACKTICK_BEFORE = /[;|&\n][ \t]{0,4}(?:[A-Za-z_]\w{0,30}=|(?:echo|printf)[ \t]{1,4}[\w-]{1,40})$/;

/** Commands that do harm with no argument at all: never read as a word of documentation. */
const HARMFUL_ALONE: ReadonlySet<string> = new Set([
  "reboot",
  "halt",
  "poweroff",
  "shutdown",
  "init",
  "telinit",
  "killall5",
]);
/**
 * A code span of markdown around a bare command word: in a list item or a table row (`` * `id` - the
 * user id ``, `` | `bash` | `boolean` | ``), or followed by another span (`` `node` `v4.1` ``).
 * `before`: the text before the opening backtick; `after`: the characters after the closing one.
 */
function markdownSpan(before: string, after: string): boolean {
  const line = before.slice(before.lastIndexOf("\n") + 1);
  if (MARKDOWN_ITEM.test(line) && MARKDOWN_ITEM_AFTER.test(after)) return true;
  return /[A-Za-z,]\s+$/.test(before) && /^[ \t]+`/.test(after);
}
/**
 * A list item's or a table row's start, then anything but another backtick (the span opens the
 * item's code). The line may start with one word: what `withoutProse` leaves of the paragraph before.
 */
const MARKDOWN_ITEM = /^(?:[A-Za-z]{1,20} )?[ \t]{0,8}(?:[*+-]|\d{1,3}[.)]|\|)[ \t][^`]{0,200}$/;
/** What follows a span in a list item or a table: a dash, a colon, a cell's end, a comma, or a word. */
const MARKDOWN_ITEM_AFTER = /^(?:[ \t]{1,24}(?:[-\u2013\u2014|(]|[A-Za-z])|[:,.](?:\s|$)|$)/;
