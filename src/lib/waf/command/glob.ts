/**
 * Glob matching for the command injection detector (`../command.ts`): hand-written, bounded
 * cost, never builds a RegExp from the value. Globbed command names (`/???/c?t`, `[c]at`) and
 * globbed system paths (`/e??/pa[s]swd`, `/[e///]tc`).
 */
import { isSpace } from "./chars.ts";
import { GLOB_COMMANDS, GLOB_SEGMENTS } from "./words.ts";

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

const tokMatches = (t: GlobTok, c: string): boolean =>
  t.k === "?" ? true : t.k === "c" ? t.c === c : t.k === "set" ? inSet(t, c) : false;

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
const GLOB_NAMES_BY_LENGTH: readonly string[][] = Array.from({ length: GLOB_NAME_MAX + 1 }, (_, k) =>
  GLOB_NAMES.filter((n) => n.length === k),
);

/** Does the glob segment name a system location or a command (`e?c`, `pa[s]swd`, `c?t`)? */
function globNamesSomething(seg: string): boolean {
  // Without `*` and `[…]`, every character takes one: too long to match any name.
  if (!seg.includes("[")) {
    if (seg.length > GLOB_NAME_MAX && !seg.includes("*")) return false;
    // A character no name has (`=`, `&`, upper case) outside a `[…]` class: no match.
    for (let i = 0; i < seg.length; i++) {
      const c = seg.charCodeAt(i);
      if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 46 || c === 95 || c === 45 || c === 63 || c === 42))
        return false;
    }
  }
  const g = compileGlob(seg);
  if (g === null || g.alien || g.fixed > GLOB_NAME_MAX) return false;
  for (const n of g.star ? GLOB_NAMES : GLOB_NAMES_BY_LENGTH[g.fixed]!) if (globMatches(g, n)) return true;
  return false;
}

export const hasGlob = (s: string): boolean => s.includes("?") || s.includes("*") || s.includes("[");

/** A glob word such as `c?t` or `[c]at` that names a known command (it needs a literal letter). */
export function globCommand(word: string): string | null {
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

const GLOB_PATH_AFTER = new Set("=:'\"+;|&<>{`$".split("").map((c) => c.charCodeAt(0)));

/**
 * Is one of the first 32 absolute paths of the text (what `/(?:^|[\s=:'"+;|&<>{`$])(\/[^\s;|&'"<>]{1,200})/g`
 * matches) globbed and naming system locations (`/e??/pa[s]swd`)? Scanned by hand: no RegExp per position.
 */
export function globbedPathIn(text: string): boolean {
  let from = 0;
  let n = 0;
  for (let at = text.indexOf("/"); at !== -1 && n < 32; at = text.indexOf("/", at + 1)) {
    if (at > 0) {
      if (at - 1 < from) continue;
      const p = text.charCodeAt(at - 1);
      // After a space, `=`, `:`, a quote, `+` (a space in a form value), a separator (`;` `|` `&`),
      // a redirection, or an opening brace or substitution (`{` `` ` `` `$`); not `(` or `,`,
      // which start a regular expression literal in code (`s.replace(/\r?\n$/, "")`).
      if (!isSpace(p) && !GLOB_PATH_AFTER.has(p)) continue;
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
