/**
 * The SQL tokenizer of the SQL injection detector (`../sqli.ts`): MySQL flavoured, with
 * PostgreSQL casts and JSON operators, strings with `''`/backslash escapes, numbers (hex,
 * scientific notation), words and calls, `@vars`, comments (MySQL `/*!…*​/` unwrapped); tolerant
 * of broken input, bounded by a token count.
 */
import { BOOL_WORDS, CMP_WORDS, VERSIONED_WORDS } from "./tables.ts";

export type Kind =
  | "str"
  | "num"
  | "word"
  | "bool"
  | "cmp"
  | "op"
  | "("
  | ")"
  | ","
  | ";"
  | "."
  | "cmt"
  | "var"
  | "other";

export interface Tok {
  k: Kind;
  /** Lower-cased text for words and operators; for strings the quote and (up to 32 chars of) content. */
  v: string;
  /** Words: directly followed by `(` (a call). Strings: unterminated. Comments: text, not a truncation (a `#hashtag`, `#/path`, a quoted `--flag`). */
  flag: boolean;
  /** A PostgreSQL cast right after the token (`'{}'::jsonb`, `f(x)::int`): the type, lower case. */
  cast?: string;
  /** The cast's type was written in lower case (`::int`, not `::Int` as in `Foo::Int`). */
  castLower?: boolean;
}

/** What the tokenizer saw besides tokens. */
export interface Info {
  /** A MySQL versioned/executable comment `/*!50000` or `/*!union`. */
  versioned: boolean;
  /** Empty comments `/**​/` (used as whitespace to split keywords). */
  empty: number;
  /** Comments of any kind. */
  comments: number;
}

function isWordStart(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_" || c > "\x7f";
}
function isWordChar(c: string): boolean {
  return isWordStart(c) || (c >= "0" && c <= "9") || c === "$";
}
function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}
function isSpace(c: string): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\v" || c === "\f" || c === "\u00a0";
}
function nextNonSpace(s: string, i: number): number {
  const stop = Math.min(s.length, i + 8);
  while (i < stop && isSpace(s[i]!)) i++;
  return i;
}

/**
 * What follows a `--` that is text: a quoted command-line flag or separator (a word and the
 * closing quote); PEM armour (`"-----BEGIN`, a label and five dashes) where a setting's value
 * opens with it (`PRIVATE_KEY="-----BEGIN …`; `admin'-----BEGIN A-----` truncates).
 * (Not a long option named in prose, `Node.js' --max-http-header-size`: `admin'--ab-cd` is a
 * working truncation wherever `--` needs no space after it.)
 */
const QUOTED_FLAG = /^[a-z0-9][\w-]{0,40}['"]|^['"]/i;
const PEM_ARMOUR = /^---(?:BEGIN|END) [A-Z0-9 ]{1,40}-----/;
/** The quote before `--` opens a value of a setting (`KEY="`, `key: '`): where PEM armour is written. */
const SETTING_QUOTE = /[=:]\s{0,4}['"]$/;

/** Tokenizes `s` as SQL (MySQL flavoured, with PostgreSQL casts/JSON operators; tolerant); stops after `max` tokens. */
export function tokenize(s: string, max: number, info: Info): Tok[] {
  const out: Tok[] = [];
  const n = s.length;
  let i = 0;
  while (i < n && out.length < max) {
    const c = s[i]!;
    if (isSpace(c)) {
      i++;
      continue;
    }
    // MySQL executable comments `/*!50000 UNION*/`: their content is SQL, the markers are noise.
    if (c === "/" && s[i + 1] === "*") {
      info.comments++;
      if (s[i + 2] === "!") {
        i += 3;
        const digits = i;
        while (isDigit(s[i]) && i < digits + 6) i++;
        if (i > digits || VERSIONED_WORDS.test(s.slice(i, i + 24))) info.versioned = true;
        continue;
      }
      const end = s.indexOf("*/", i + 2);
      if (end === i + 2) info.empty++;
      // `/*+!50000select …` (a hint comment hiding a versioned one) and `/* … /*!50000from*/`.
      const body = s.slice(i + 2, end === -1 ? Math.min(n, i + 256) : Math.min(end, i + 256));
      if (/^\+?\s{0,4}!\s{0,4}(?:\d|[a-z])/i.test(body) || body.includes("/*!")) info.versioned = true;
      out.push({ k: "cmt", v: end === i + 2 ? "/**/" : "/*", flag: false });
      i = end === -1 ? n : end + 2;
      continue;
    }
    if (c === "*" && s[i + 1] === "/") {
      i += 2;
      continue;
    }
    if (c === "-" && s[i + 1] === "-") {
      info.comments++;
      const end = s.indexOf("\n", i);
      // A quoted flag or separator (`'--'`, `"--verbose"`): the quote closes right after it, which
      // a truncation has no use for; PEM armour is text too (`QUOTED_FLAG`).
      const after = s.slice(i + 2, i + 44);
      const flag =
        QUOTED_FLAG.test(after) || (PEM_ARMOUR.test(after) && SETTING_QUOTE.test(s.slice(Math.max(0, i - 8), i)));
      out.push({ k: "cmt", v: "--", flag });
      i = end === -1 ? n : end + 1;
      continue;
    }
    // PostgreSQL JSON operators: `->`, `->>`, `#>`, `#>>`, `#-`, `?|`, `?&`, `? '…'`, `@>`, `<@`, `@?`, `@@`.
    if (c === "-" && s[i + 1] === ">") {
      const len = s[i + 2] === ">" ? 3 : 2;
      out.push({ k: "cmp", v: s.slice(i, i + len), flag: true });
      i += len;
      continue;
    }
    if (
      c === "#" &&
      (s[i + 1] === ">" || (s[i + 1] === "-" && s[nextNonSpace(s, i + 2)] === "'" && isSpace(s[i + 2] ?? "x")))
    ) {
      const len = s[i + 1] === ">" && s[i + 2] === ">" ? 3 : 2;
      out.push({ k: "cmp", v: s.slice(i, i + len), flag: true });
      i += len;
      continue;
    }
    if (c === "?" && (s[i + 1] === "|" || s[i + 1] === "&" || s[nextNonSpace(s, i + 1)] === "'")) {
      const len = s[i + 1] === "|" || s[i + 1] === "&" ? 2 : 1;
      out.push({ k: "cmp", v: s.slice(i, i + len), flag: true });
      i += len;
      continue;
    }
    if (
      (c === "@" &&
        (s[i + 1] === ">" || s[i + 1] === "?" || (s[i + 1] === "@" && (i + 2 >= n || isSpace(s[i + 2]!))))) ||
      (c === "<" && s[i + 1] === "@")
    ) {
      out.push({ k: "cmp", v: s.slice(i, i + 2), flag: true });
      i += 2;
      continue;
    }
    if (c === ":" && s[i + 1] === ":" && out.length > 0 && isWordStart(s[i + 2] ?? "")) {
      let j = i + 3;
      while (j < n && isWordChar(s[j]!) && j < i + 40) j++;
      const raw = s.slice(i + 2, j);
      const prev = out[out.length - 1]!;
      prev.cast = raw.toLowerCase();
      prev.castLower = raw === prev.cast;
      i = j;
      continue;
    }
    if (c === "#") {
      info.comments++;
      const end = s.indexOf("\n", i);
      // `admin'#` truncates; `#{x}` (interpolation), `#1`, `#hashtag` and a JSON pointer or fragment
      // path (`'#/components/schemas/User'`) right after a quote are text.
      const next = s[i + 1];
      const text =
        next !== undefined &&
        !isSpace(next) &&
        (!"-+#;*/'\"".includes(next) || (next === "/" && /[a-z]/i.test(s[i + 2] ?? "")));
      out.push({ k: "cmt", v: "#", flag: text });
      i = end === -1 ? n : end + 1;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let closed = false;
      while (j < n) {
        const d = s[j]!;
        if (d === "\\") {
          j += 2;
          continue;
        }
        if (d === c) {
          if (s[j + 1] === c) {
            j += 2;
            continue;
          }
          closed = true;
          break;
        }
        j++;
      }
      out.push({ k: "str", v: s.slice(i, Math.min(j, i + 33)), flag: !closed });
      i = closed ? j + 1 : n;
      continue;
    }
    if (c === "`") {
      const end = s.indexOf("`", i + 1);
      const name = s.slice(i + 1, end === -1 ? Math.min(n, i + 41) : Math.min(end, i + 41)).toLowerCase();
      out.push({ k: "word", v: "`" + name + "`", flag: false });
      i = end === -1 ? n : end + 1;
      continue;
    }
    // MSSQL `[dbo].[users]`, `TRUNCATE [t]`: a bracketed identifier (not `[1,2]` or `["a"]`).
    if (c === "[" && isWordStart(s[i + 1] ?? "")) {
      let j = i + 1;
      while (j < n && j < i + 64 && isWordChar(s[j]!)) j++;
      if (s[j] === "]") j++;
      out.push({
        k: "word",
        v:
          "[" +
          s
            .slice(i + 1, j)
            .replace("]", "")
            .toLowerCase() +
          "]",
        flag: false,
      });
      i = j;
      continue;
    }
    if (isDigit(c) || (c === "." && isDigit(s[i + 1]))) {
      let j = i + 1;
      if (c === "0" && (s[j] === "x" || s[j] === "X" || s[j] === "b" || s[j] === "B")) {
        j++;
        while (j < n && /[0-9A-Fa-f]/.test(s[j]!)) j++;
      } else {
        while (j < n && (isDigit(s[j]) || s[j] === ".")) j++;
        if (
          (s[j] === "e" || s[j] === "E") &&
          (isDigit(s[j + 1]) || ((s[j + 1] === "-" || s[j + 1] === "+") && isDigit(s[j + 2])))
        ) {
          j += 2;
          while (isDigit(s[j])) j++;
        }
      }
      // `1abc` is a word in prose, a number followed by a word in SQL: keep SQL's view.
      out.push({ k: "num", v: s.slice(i, j), flag: false });
      i = j;
      continue;
    }
    // `1or1=1`, `1and2>1`: MySQL reads a boolean glued between numbers as a boolean.
    if (isWordStart(c) && out.length > 0 && out[out.length - 1]!.k === "num" && isDigit(s[i - 1])) {
      const glued = gluedBoolean(s, i);
      if (glued > 0) {
        out.push({ k: "bool", v: s.slice(i, i + glued).toLowerCase(), flag: false });
        i += glued;
        continue;
      }
    }
    if (isWordStart(c)) {
      let j = i + 1;
      while (
        j < n &&
        (isWordChar(s[j]!) ||
          (s[j] === "." && j + 1 < n && (isWordStart(s[j + 1]!) || (s[j + 1] === "." && isWordStart(s[j + 2] ?? "")))))
      )
        j++;
      const v = s.slice(i, j).toLowerCase();
      let k = j;
      while (k < n && isSpace(s[k]!)) k++;
      // Comments between a function name and its parenthesis still make a call: `sleep/**/(5)`.
      if (s[k] === "/" && s[k + 1] === "*") {
        const end = s.indexOf("*/", k + 2);
        if (end !== -1) {
          k = end + 2;
          while (k < n && isSpace(s[k]!)) k++;
        }
      }
      // MySQL's `BINARY` before a literal only changes how it compares: `AND binary 7=binary 7`, `SELECT binary NULL`.
      if (
        v === "binary" &&
        k > j &&
        (isDigit(s[k]) || s[k] === "'" || s[k] === '"' || s[k] === "@" || s.slice(k, k + 4).toLowerCase() === "null")
      ) {
        i = j;
        continue;
      }
      const kind: Kind = BOOL_WORDS.has(v) ? "bool" : CMP_WORDS.has(v) ? "cmp" : "word";
      out.push({ k: kind, v, flag: s[k] === "(" });
      i = j;
      continue;
    }
    if (c === "@") {
      let j = i + 1;
      if (s[j] === "@") j++;
      while (j < n && (isWordChar(s[j]!) || s[j] === ".")) j++;
      out.push(
        j === i + 1 ? { k: "op", v: "@", flag: false } : { k: "var", v: s.slice(i, j).toLowerCase(), flag: false },
      );
      i = j;
      continue;
    }
    const two = s.slice(i, i + 2);
    if (two === "||" || two === "&&") {
      out.push({ k: "bool", v: two, flag: false });
      i += 2;
      continue;
    }
    if (two === "<>" || two === "!=" || two === "<=" || two === ">=" || two === "==" || two === ":=") {
      const three = s.slice(i, i + 3);
      out.push({ k: "cmp", v: three === "<=>" ? three : two, flag: false });
      i += three === "<=>" ? 3 : 2;
      continue;
    }
    if (c === "=" || c === "<" || c === ">") {
      out.push({ k: "cmp", v: c, flag: false });
      i++;
      continue;
    }
    if ("+-*/%^~!|&".includes(c)) {
      out.push({ k: "op", v: c, flag: false });
      i++;
      continue;
    }
    if (c === "(" || c === ")" || c === "," || c === ";" || c === ".") {
      out.push({ k: c, v: c, flag: false });
      i++;
      continue;
    }
    out.push({ k: "other", v: c, flag: false });
    i++;
  }
  return out;
}

/** Length of `or`/`and`/`xor` at `i` when a digit follows it (`1or1`), else 0. */
export function gluedBoolean(s: string, i: number): number {
  for (const b of ["or", "and", "xor"]) {
    if (s.slice(i, i + b.length).toLowerCase() === b && isDigit(s[i + b.length])) return b.length;
  }
  return 0;
}
