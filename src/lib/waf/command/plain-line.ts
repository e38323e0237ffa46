/**
 * Command lines made of plain words (`perf --version`, `sudo bash`, `IF EXIST file CMD`): what the
 * security filter's plain-value and sentence shortcuts still hand to the command detector.
 */
import { DANGER, PREFIXES, SHELLS, TOOLS, WINDOWS_TOOLS } from "./words.ts";

/** Whether the word at `t[at]` can start what `plainCommandLine` finds (a cheap test before it). */
export function commandLead(t: string, at: number): boolean {
  let end = at;
  for (
    let c = t.charCodeAt(end);
    end - at <= 41 &&
    ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45);
    c = t.charCodeAt(++end)
  );
  const word = t.slice(at, end);
  const lower = word.toLowerCase();
  return (
    lower === "if" ||
    lower === "for" ||
    DANGER.has(word) ||
    WINDOWS_TOOLS.has(lower) ||
    PREFIXES.has(word) ||
    TOOLS.has(word)
  );
}

/**
 * For the caller's "plain value" shortcut (letters, digits, spaces, `_`, `,`, `-` only, normally
 * not inspected): true when such a value still reads as a command line that this detector judges,
 * e.g. `perf --version`, `aa-disable php-fpm`, `time sh -c whoami`, `IF EXIST file CMD`.
 */
export function plainCommandLine(raw: string): boolean {
  const m = /^\s{0,8}([A-Za-z][\w.-]{0,40})(?:\s+([\w-]{1,40}))?/.exec(raw.slice(0, 200));
  if (!m) return false;
  const first = m[1]!;
  const next = m[2];
  if (next === undefined) return false;
  if (/^(?:if|for)$/i.test(first))
    return (
      /^(?:exist|defined|errorlevel|cmdextversion|not|\/[a-z])$/i.test(next) ||
      /\s(?:equ|neq|lss|leq|gtr|geq)\s/i.test(raw)
    );
  if (DANGER.has(first) || WINDOWS_TOOLS.has(first.toLowerCase())) return true;
  return (PREFIXES.has(first) && (TOOLS.has(next) || SHELLS.has(next))) || (TOOLS.has(first) && next.startsWith("-"));
}
