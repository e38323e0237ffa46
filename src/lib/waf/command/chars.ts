/**
 * Which syntax characters a value holds (one pass), so that each stage of the command injection
 * detector (`../command.ts`) is skipped when what it needs is absent. The shell view only removes
 * characters or adds spaces, letters and newlines. Also character classes by code.
 */

const MASK_CHARS = "{(/\\$'\"`^\t\r\n-:<>[~!%?*|&;,=xX1";
const MASK_OF = new Uint32Array(128);
for (let k = 0; k < MASK_CHARS.length; k++) MASK_OF[MASK_CHARS.charCodeAt(k)] = 1 << k;
const bit = (ch: string): number => 1 << MASK_CHARS.indexOf(ch);
export const M_BRACE = bit("{");
export const M_PAREN = bit("(");
export const M_SLASH = bit("/");
export const M_BACKSLASH = bit("\\");
export const M_DOLLAR = bit("$");
const M_SQUOTE = bit("'");
const M_DQUOTE = bit('"');
export const M_BACKTICK = bit("`");
export const M_CARET = bit("^");
export const M_TAB = bit("\t");
export const M_CR = bit("\r");
export const M_NEWLINE = bit("\n");
export const M_DASH = bit("-");
export const M_COLON = bit(":");
export const M_LT = bit("<");
export const M_GT = bit(">");
export const M_BRACKET = bit("[");
export const M_TILDE = bit("~");
export const M_BANG = bit("!");
export const M_PERCENT = bit("%");
export const M_QUESTION = bit("?");
export const M_STAR = bit("*");
export const M_PIPE = bit("|");
export const M_AMP = bit("&");
export const M_SEMI = bit(";");
export const M_COMMA = bit(",");
export const M_EQUALS = bit("=");
/** Letters of `busybox` and `.ps1` that prose rarely has. */
export const M_X = bit("x") | bit("X");
export const M_ONE = bit("1");
export const M_QUOTES = M_SQUOTE | M_DQUOTE;

/** The MASK_CHARS a string holds: one pass over short strings, `includes` scans over long ones (faster per character). */
export function charMask(t: string): number {
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

export const isLetter = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
export const isDigit = (c: number): boolean => c >= 48 && c <= 57;
/** JavaScript's `\s` (what `trimStart` and the regexes here skip). */
export const isSpace = (c: number): boolean =>
  c <= 32
    ? c === 32 || (c >= 9 && c <= 13)
    : c >= 0xa0 &&
      (c === 0xa0 ||
        c === 0x1680 ||
        (c >= 0x2000 && c <= 0x200a) ||
        c === 0x2028 ||
        c === 0x2029 ||
        c === 0x202f ||
        c === 0x205f ||
        c === 0x3000 ||
        c === 0xfeff);

/** `…;` or a line break, then only white space to the end (what `/[\n;]\s*$/` says, without trying it at every character). */
export function endsWithSeparator(text: string): boolean {
  const end = text.trimEnd();
  return end.endsWith(";") || text.slice(end.length).includes("\n");
}
