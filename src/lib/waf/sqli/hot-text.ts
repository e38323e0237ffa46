/**
 * Character-level helpers of the SQL hot-spot scan (`hot-spots.ts`, `hot-checks.ts`): character
 * classes by code, bounded skips over spaces and comments, words and calls at a position.
 */

/** The character code at `i`, or -1 outside the string (an out-of-range `charCodeAt` is NaN and slows V8 down). */
export function at(s: string, i: number): number {
  return i >= 0 && i < s.length ? s.charCodeAt(i) : -1;
}
export function isWordCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c > 127;
}
export function isLetterCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c > 127;
}
export function isSpaceCode(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 160;
}
export function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}
/** Skips spaces and `/*…*​/` comments (and, with `parens`, `(`), bounded. */
export function skipGap(s: string, i: number, parens = false): number {
  const stop = Math.min(s.length, i + 64);
  while (i < stop) {
    const c = at(s, i);
    if (isSpaceCode(c) || (parens && c === 40)) i++;
    else if (c === 47 && at(s, i + 1) === 42) {
      const end = findWithin(s, "*/", i + 2, 64);
      if (end === -1) return i;
      i = end + 2;
    } else break;
  }
  return i;
}
/** Index of `needle` in `s` at or after `from` and before `from + limit`, or -1 (never scans further). */
export function findWithin(s: string, needle: string, from: number, limit: number): number {
  const k = s.slice(from, from + limit + needle.length - 1).indexOf(needle);
  return k === -1 ? -1 : from + k;
}
/** End of the word (letters, digits, `_`, `$`, `.`) at `i`, bounded. */
export function wordEnd(s: string, i: number): number {
  const stop = Math.min(s.length, i + 48);
  while (i < stop) {
    const c = at(s, i);
    if (isWordCode(c) || c === 46) i++;
    else break;
  }
  return i;
}
/** The word at `i` (letters first), or "" when none. */
export function wordAt(s: string, i: number): string {
  if (i >= s.length || !isLetterCode(at(s, i))) return "";
  let w = s.slice(i, wordEnd(s, i));
  while (w.endsWith(".")) w = w.slice(0, -1);
  return w;
}
/** Is the word at `i`..`end` followed by `(` (a call)? */
export function callAfter(s: string, end: number): boolean {
  return at(s, skipGap(s, end)) === 40;
}
export const CMP_CHARS = "=<>!";
export const OP_CHARS = "-+*/|&^%~";
