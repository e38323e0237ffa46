/**
 * Traversal strings as path-traversal fuzzers build them (dotdotpwn and the lists made from
 * it): one climb unit repeated, then a well-known system file, every separator spelled the same
 * odd way. The spellings are often no `.` or `/` in any decoder (`%c0%5e`, `%c1%8s`, `%bg%qf`,
 * `%3f`), so the value is read by its structure instead: after the parser's decoding, a unit of
 * junk (no letter or digit; `0x2e` counts as a dot) and a separator, repeated, then the file's
 * path with that separator between its parts (`À^À^Á%8setcÁ%8spasswd`, `..o..oetcopasswd` for
 * `%c0%ae%c0%ae%c1%af…`). No client sends such a value by accident. Used by `../traversal.ts`.
 */

/** The files these tools fetch, as path parts. */
const FILES: readonly (readonly string[])[] = [
  ["etc", "passwd"],
  ["etc", "shadow"],
  ["etc", "issue"],
  ["etc", "hosts"],
  ["etc", "group"],
  ["etc", "hostname"],
  ["windows", "win.ini"],
  ["winnt", "win.ini"],
  ["windows", "system.ini"],
  ["windows", "system32", "drivers", "etc", "hosts"],
  ["winnt", "system32", "drivers", "etc", "hosts"],
];
/** Files named alone after the climbs. */
const BARE_FILES = ["boot.ini", "win.ini", "system.ini"];
const MAX_UNIT = 24;

/** Cheap test (the traversal gate's, and the first of `repeatedClimb`): `lower` ends like a value it may accept. */
export function mayBeRepeatedClimb(lower: string): boolean {
  return (
    lower.length >= 10 &&
    (lower.endsWith("passwd") ||
      lower.endsWith("shadow") ||
      lower.endsWith("issue") ||
      lower.endsWith("hosts") ||
      lower.endsWith("group") ||
      lower.endsWith("hostname") ||
      lower.endsWith(".ini"))
  );
}

/** No letter or digit once `0x2e` is read as a dot. */
const junk = (s: string) => !/[a-z0-9]/.test(s.replaceAll("0x2e", "."));

/** Whether `value` (as decoded by the parser) is a repeated climb to a well-known file. */
export function repeatedClimb(value: string): boolean {
  const n = value.length;
  if (n < 10 || n > 4_096) return false;
  const s = value.toLowerCase();
  // Every unit starts the value and its climb has junk in it: none in the first 24 characters, no climb
  // (`aaaa…passwd` would otherwise cost a pass per unit length).
  if (!mayBeRepeatedClimb(s) || !/[^a-z0-9]/.test(s.slice(0, MAX_UNIT).replaceAll("0x2e", "."))) return false;
  for (let len = 2; len <= MAX_UNIT && len < n; len++) {
    const unit = s.slice(0, len);
    let reps = 1;
    while ((reps + 1) * len <= n && s.startsWith(unit, reps * len)) reps++;
    const tail = s.slice(reps * len);
    if (reps >= 2 && BARE_FILES.includes(tail) && unit.replaceAll("0x2e", ".").replace(/[a-z0-9]/g, "").length >= 2)
      return true;
    for (const parts of FILES) {
      const first = parts[0]!;
      if (!tail.startsWith(first) || !tail.endsWith(parts[parts.length - 1]!)) continue;
      const next = tail.indexOf(parts[1]!, first.length);
      const sep = tail.slice(first.length, next);
      if (next === -1 || sep.length === 0 || sep.length > 12 || !unit.endsWith(sep)) continue;
      const climb = unit.slice(0, len - sep.length);
      if (climb.length >= 2 && junk(climb) && tail === parts.join(sep)) return true;
    }
  }
  return false;
}
