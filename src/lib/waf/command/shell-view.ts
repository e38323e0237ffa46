/**
 * The shell view of the command injection detector (`../command.ts`): what a shell would undo
 * (quotes and backslashes inside names, `$IFS`, unset variables, carets, brace expansion, `+` of
 * form encoding, literal `\n`), brace expansions that build a command, and fenced markdown code
 * (documentation, not input to a shell).
 */
import { isDigit, isLetter, M_BACKSLASH, M_BRACE, M_CARET, M_COMMA, M_CR, M_DOLLAR, M_QUOTES, M_TAB } from "./chars.ts";
import { commandAt } from "./command-at.ts";

/** Undo what a shell would undo, so `c''a""t` is `cat` and `${IFS}` is a space. */
export function shellView(s: string, windowsPaths: boolean, mask: number): string {
  let t = s;
  // Literal `\n` / `\r` used as separators in payload lists ("\nid\n"), unless backslashes are Windows
  // paths or the `n` is one of a word's escaped letters (`\p\y\t\h\o\n3`, `\p\r\i\n\t`: each `\x` is `x`).
  if (!windowsPaths && mask & M_BACKSLASH && /\\[nr]/.test(t))
    t = t.replace(/\\(?<!\\[a-mo-qsu-zA-Z]\\)[nr](?=[\s\w/;|&.$`'"-]|$)(?!\\[a-mo-qsu-zA-Z])/g, "\n");
  if (mask & M_DOLLAR) {
    t = t
      .replace(/\$\{IFS(?:[%#][^}]{0,8})?\}|\$IFS(?:\$\d)?(?![A-Za-z0-9_])/g, " ")
      // `${HOME:0:1}`, `${PWD:0:1}`: the first character of a path-valued variable is a `/`.
      .replace(/\$\{(?:HOME|PWD|OLDPWD|SHELL|PATH|TMPDIR)\s{0,2}:\s{0,2}0\s{0,2}:\s{0,2}1\}/g, "/")
      .replace(/\$\{?SHELL\}?|\$\{?BASH\}?|\$0(?!\d)/g, " sh ")
      .replace(/\$[@*]|\$\{\}|\$\d(?!\d)/g, "")
      // `cat$xq $xq/etc$xq/passwd` (ZAP's WAF bypass): where one is glued to a word's end, each
      // such one, and one standing before a path, expands to nothing. (Without the glued one a
      // `$tmp/x` is an argument the command is judged by.)
      .replace(GLUED_VAR.test(t) ? GLUED_VARS : NEVER, (m) =>
        m.replace(/\$[a-z_]{1,3}(?=[\s/;|&])/g, "").replace(/(?<=^|[\s;|&`(])\$[a-z_]{1,3}(?=\/)/g, ""),
      )
      // `c${x}url`, `ca$u t`: an (unset) variable glued to letters expands to nothing.
      // (Each expression starts at the `$` and looks back from there: the engine then only stops at a `$`.)
      .replace(/\$(?<=[a-z]\$)\{[A-Za-z_]\w{0,15}\}|\$\{[A-Za-z_]\w{0,15}\}(?=[a-z])/g, "")
      .replace(/\$(?<=[a-z]\$)[a-z_]{1,3}(?=[a-z])/g, "")
      // `|$u wget`: a short unset variable before a command.
      .replace(/\$(?<=(?:^|[;|&`(\n]\s{0,4})\$)[a-z_]{1,3}\s+(?=[a-z])/g, "");
  }
  // `$'…'` (ANSI-C quoting; its `\xHH` escapes are already decoded) is a quoted word.
  if (mask & M_QUOTES) t = (mask & M_DOLLAR ? t.replace(/\$(?=['"])/g, "") : t).replaceAll("'", "").replaceAll('"', "");
  // `c\at` → `cat`, `\ls` → `ls`, `curl\ host` → `curl host`; Windows paths keep their separators.
  // Doubled (`c\\a\\t`: a string in a string, unescaped twice on its way to the shell): twice.
  if (mask & M_BACKSLASH && !windowsPaths) {
    t = t.replace(/\\(?=[\w/ .-])/g, "");
    if (t.includes("\\")) t = t.replace(/\\(?=[\w/ .-])/g, "");
  }
  if (mask & M_CARET) t = t.replace(/\^(?<=[A-Za-z]\^)(?=[A-Za-z])/g, "");
  // A `+` between a separator (or the start) and a name, or before a separator, is a space of form encoding (`+|+dir`, `;+id`).
  if (t.includes("+")) t = formPlusAsSpace(t);
  if ((mask & (M_BRACE | M_COMMA)) === (M_BRACE | M_COMMA) && t.includes("{")) {
    let out = "";
    let copied = 0;
    for (const m of braceExpansions(t, Infinity)) {
      out += `${t.slice(copied, m.start)} ${expandBraces(m.pre, m.body, m.post)} `;
      copied = m.end;
    }
    if (copied !== 0) t = out + t.slice(copied);
  }
  if (mask & M_TAB) t = t.replaceAll("\t", " ");
  if (mask & M_CR) t = t.replaceAll("\r", "\n");
  return t;
}

/** An unset variable glued to a word's end (`cat$xq `), found from each `$`: the cheap test before `GLUED_VARS`. */
export const GLUED_VAR = /\$(?<=[a-z0-9]\$)[a-z_]{1,3}(?=[\s/;|&]|$)/;
/** A stretch of words with an unset variable glued to one's end (`cat$xq $xq/etc$xq/passwd`). */
const GLUED_VARS = /(?<![\w$])[\w./$-]{0,40}[a-z0-9]\$[a-z_]{1,3}[\s/;|&][\w./$ -]{0,80}/g;
/** Matches nothing: a `replace` with it returns its input. */
const NEVER = /(?!)/g;

const isSeparatorCode = (c: number) => c === 59 || c === 124 || c === 38 || c === 10 || c === 13;
/** `\w`: an ASCII letter, digit or `_`. */
const isWordCode = (c: number) => isLetter(c) || isDigit(c) || c === 95;

/**
 * Each run of `+` that stands between a separator (`;`, `|`, `&`, a line break, or the start) and
 * a name (a word character, `/`, `\`, `.`), or right before a separator, as one space. One pass
 * (the expression it replaces backtracked through long runs of `+`).
 */
function formPlusAsSpace(t: string): string {
  const n = t.length;
  let out = "";
  let copied = 0;
  for (let i = t.indexOf("+"); i !== -1 && i < n; i = t.indexOf("+", i)) {
    let j = i + 1;
    while (j < n && t.charCodeAt(j) === 43) j++;
    const next = j < n ? t.charCodeAt(j) : -1;
    const afterSeparator = i === 0 || isSeparatorCode(t.charCodeAt(i - 1));
    if ((afterSeparator && (isWordCode(next) || next === 47 || next === 92 || next === 46)) || isSeparatorCode(next)) {
      out += `${t.slice(copied, i)} `;
      copied = j;
    }
    i = j;
  }
  return copied === 0 ? t : out + t.slice(copied);
}

/** `pre{a,b}post`: up to 30 name characters, a brace body with a comma (no spaces, no nested braces), up to 30 more. */
const BRACES_AT = /([\w/.-]{0,30})\{([^{}\s]{0,120},[^{}\s]{0,120})\}([\w/.-]{0,30})/y;

interface BraceMatch {
  start: number;
  end: number;
  pre: string;
  body: string;
  post: string;
}

/** `[\w/.-]`: what a brace expansion's name part is made of. */
const isNameCode = (c: number) => isWordCode(c) || c === 47 || c === 46 || c === 45;

/**
 * The matches of `BRACES_AT` that a global search would find, in order (at most `limit`), found
 * from each `{`: a match's name part is the run of name characters right before its brace (at
 * most 30, not before the previous match's end), so the one place a match for that brace can
 * start is known, and the expression is tried there only, not at every character of the text.
 */
function* braceExpansions(s: string, limit: number): Generator<BraceMatch> {
  let from = 0;
  let found = 0;
  for (let b = s.indexOf("{"); b !== -1 && found < limit; b = s.indexOf("{", b + 1)) {
    if (b < from) continue;
    let p = b;
    while (p > from && b - p < 30 && isNameCode(s.charCodeAt(p - 1))) p--;
    BRACES_AT.lastIndex = p;
    const m = BRACES_AT.exec(s);
    if (m === null) continue;
    found++;
    const end = p + m[0].length;
    yield { start: p, end, pre: m[1]!, body: m[2]!, post: m[3]! };
    // An empty match cannot happen (a match has `{`, `,` and `}`); the next search starts at its end.
    from = end;
    b = end - 1;
  }
}
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
  for (const { pre, body, post } of braceExpansions(s, 32)) {
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
