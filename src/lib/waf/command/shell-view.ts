/**
 * The shell view of the command injection detector (`../command.ts`): what a shell would undo
 * (quotes and backslashes inside names, `$IFS`, unset variables, carets, brace expansion, `+` of
 * form encoding, literal `\n`), brace expansions that build a command, and fenced markdown code
 * (documentation, not input to a shell).
 */
import { M_BACKSLASH, M_BRACE, M_CARET, M_COMMA, M_CR, M_DOLLAR, M_QUOTES, M_TAB } from "./chars.ts";
import { commandAt } from "./command-at.ts";

/** Undo what a shell would undo, so `c''a""t` is `cat` and `${IFS}` is a space. */
export function shellView(s: string, windowsPaths: boolean, mask: number): string {
  let t = s;
  // Literal `\n` / `\r` used as separators in payload lists ("\nid\n"), unless backslashes are Windows paths.
  if (!windowsPaths && mask & M_BACKSLASH && /\\[nr]/.test(t)) t = t.replace(/\\[nr](?=[\s\w/;|&.$`'"-]|$)/g, "\n");
  if (mask & M_DOLLAR) {
    t = t
      .replace(/\$\{IFS(?:[%#][^}]{0,8})?\}|\$IFS(?:\$\d)?(?![A-Za-z0-9_])/g, " ")
      // `${HOME:0:1}`, `${PWD:0:1}`: the first character of a path-valued variable is a `/`.
      .replace(/\$\{(?:HOME|PWD|OLDPWD|SHELL|PATH|TMPDIR)\s{0,2}:\s{0,2}0\s{0,2}:\s{0,2}1\}/g, "/")
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
  if ((mask & (M_BRACE | M_COMMA)) === (M_BRACE | M_COMMA))
    t = t.replace(BRACES, (_m, pre: string, body: string, post: string) => ` ${expandBraces(pre, body, post)} `);
  if (mask & M_TAB) t = t.replaceAll("\t", " ");
  if (mask & M_CR) t = t.replaceAll("\r", "\n");
  return t;
}

const BRACES = /([\w/.-]{0,30})\{([^{}\s]{0,120},[^{}\s]{0,120})\}([\w/.-]{0,30})/g;
const expandBraces = (pre: string, body: string, post: string): string =>
  body
    .split(",", 12)
    .map((x) => `${pre}${x}${post}`)
    .filter((x) => x !== "")
    .join(" ");

/**
 * Brace expansion that builds a command: `{,ip,a}`, `{id,}` (empty items), `c{a,oun}t`, `{l,-lh}s`
 * (glued to the name), `{cat,/etc/passwd}` (shell arguments). `{id,name}` (GraphQL) is not.
 */
export function braceCommand(s: string): boolean {
  if (!s.includes("{") || !s.includes(",")) return false;
  let n = 0;
  for (const m of s.matchAll(BRACES)) {
    if (++n > 32) break;
    const [, pre, body, post] = m as unknown as [string, string, string, string];
    const items = body.split(",", 12);
    const expanded = expandBraces(pre, body, post);
    const cmd = commandAt(expanded, 0);
    if (cmd === null) continue;
    if (items.includes("") || pre !== "" || post !== "" || /(?:^|\s)-[a-z]|\//.test(cmd.args) || cmd.danger)
      return true;
  }
  return false;
}

/** Fenced code blocks of markdown (documentation, not input to a shell). */
export function withoutFences(s: string): string {
  if (!s.includes("```") && !s.includes("~~~")) return s;
  return s.replace(/(?:```|~~~)[^\n]{0,40}\n[\s\S]{0,20000}?(?:```|~~~)/g, " ");
}
