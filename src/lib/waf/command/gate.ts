/**
 * The gate of the command injection detector (`../command.ts`): can this value hold anything
 * `detectCommand` finds? (Most values cannot.) Each `includes` is a fast scan; regexes run only on
 * values that hold the character they need. Also `mayBeCommandAt`, the cheap test before
 * `commandAt`, and the character mask the gate computed for the last short value, which the
 * detector reuses.
 */
import {
  charMask,
  isDigit,
  isLetter,
  isSpace,
  M_AMP,
  M_BACKSLASH,
  M_BACKTICK,
  M_BRACE,
  M_CARET,
  M_COLON,
  M_CR,
  M_DASH,
  M_DOLLAR,
  M_EQUALS,
  M_GT,
  M_LT,
  M_NEWLINE,
  M_ONE,
  M_PAREN,
  M_PERCENT,
  M_PIPE,
  M_SEMI,
  M_SLASH,
  M_X,
} from "./chars.ts";
import { uploadCandidate } from "./upload.ts";
import { CMD_BUILTINS, DANGER, NETWORK, PREFIXES, RECON, SHELLS, TOOLS, WINDOWS, WINDOWS_TOOLS } from "./words.ts";

/** PowerShell nouns after `Verb-` (checked at a dash). */
const PS_NOUN =
  /(?:webrequest|restmethod|expression|command|item|process|object|wmimethod|ciminstance|service|itemproperty|content|childitem|localuser|localgroupmember|module|scheduledtask|mppreference|file|bitstransfer)\b/iy;
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
// oxfmt-ignore
const START_WORDS: ReadonlySet<string> = new Set([...TOOLS, ...WINDOWS, ...DANGER, ...NETWORK, ...PREFIXES, ...SHELLS, ...RECON, ...WINDOWS_TOOLS, "alias", "for"]);

/** For each pair of first letters (`a`–`z`), the lengths (bit n; 29 for longer: small integers stay small) of START_WORDS names that start with it. */
const START_PAIRS = new Uint32Array(26 * 26);
for (const w of START_WORDS) {
  const a = w.charCodeAt(0) - 97;
  const b = w.charCodeAt(1) - 97;
  if (w.length >= 2 && a >= 0 && a < 26 && b >= 0 && b < 26)
    START_PAIRS[a * 26 + b] = START_PAIRS[a * 26 + b]! | (1 << Math.min(w.length, 29));
}

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
    if ((lengths & (1 << Math.min(j - i, 29))) === 0)
      return (t.charCodeAt(i) | 32) === 105 && (t.charCodeAt(i + 1) | 32) === 102; // `if…`
  }
  const word = t.slice(i, j).toLowerCase();
  if (START_WORDS.has(word) || (word.charCodeAt(0) === 105 && word.charCodeAt(1) === 102)) return true; // `if`: cmd.exe `IF EXIST`, `ifexist`
  if (!digits) return false;
  // Versioned names (`python3.10`, `gcc10.1`) and Windows program files (`cmd.exe`).
  let b = word.length;
  while (b > 0 && (isDigit(word.charCodeAt(b - 1)) || word.charCodeAt(b - 1) === 46)) b--;
  if (b < word.length && b >= 2 && START_WORDS.has(word.slice(0, b))) return true;
  return (
    word.length > 4 &&
    word.charCodeAt(word.length - 4) === 46 &&
    /\.(?:exe|com|bat|cmd)$/.test(word) &&
    START_WORDS.has(word.slice(0, -4))
  );
}

/** Before `commandAt(t, i)`: it skips up to 8 spaces, `(` and `{`, then needs a path or a known name. */
export function mayBeCommandAt(t: string, i: number): boolean {
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

/** The last short value the gate saw, and its `charMask`. */
export let gateText = "";
export let gateMask = 0;

/**
 * Shell syntax: separators, substitutions, variables, escapes, redirections, braces, carets, `%`.
 * (Globs `*`, `[…]` and a tilde matter at the start of the value, after a separator or in a path: see
 * `startsLikeCommand` and GATE_SLASH.)
 */
const M_SYNTAX =
  M_SEMI |
  M_PIPE |
  M_AMP |
  M_NEWLINE |
  M_CR |
  M_BACKTICK |
  M_DOLLAR |
  M_BACKSLASH |
  M_BRACE |
  M_LT |
  M_GT |
  M_CARET |
  M_PERCENT;
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
