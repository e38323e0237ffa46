/**
 * Outside a parsed tag, for the XSS detector (`../xss.ts`): a breakout from an attribute value
 * into an event handler (`" onfocus=…`, `';onload=…`), and script URLs as a whole value, a
 * markdown/`(`/`=` target or a scheme spelled with whitespace inside (`ja&tab;vascript:`).
 */
import type { Finding } from "../types.ts";
import { EVENT_HANDLERS, PROSE, SCRIPT_SCHEME } from "./tables.ts";
import { cssText, runsScript, schemeOf } from "./tags.ts";

/**
 * Event handlers outside a parsed tag: after a quote, `/`, `;`, `(`, `<` or whitespace
 * (`" onfocus=…`, `';onload=…`, `<"onx=`). A known handler counts anywhere; an unknown
 * `on…=` only where an attribute would be (after a quote, `/` or `<`, or at the very start).
 */
export function scanHandlers(s: string, lower: string): Finding | null {
  if (!lower.includes("on") && !lower.includes("srcdoc")) return null;
  // Base64 and tokens (`…Hum/onafe=`) are not markup.
  const token = s.trim();
  if (/^[A-Za-z0-9+/_-]{16,}={0,2}$/.test(token) && /[A-Z]/.test(token) && /[0-9+/]/.test(token)) return null;
  const re = /(^|[\s"'`;/,(<+|&])(on[a-z]{3,50}|formaction|srcdoc)(?![a-z])\s{0,8}(?:\/\s{0,4})?=\s{0,8}(.?)/g;
  let m: RegExpExecArray | null;
  let n = 0;
  let best: Finding | null = null;
  while ((m = re.exec(lower)) !== null && n++ < 64) {
    const before = m[1]!;
    const name = m[2]!;
    const next = m[3]!;
    const atStart = lower.slice(0, m.index + before.length).trim() === "";
    const quoteBefore = /["'`/<]/.test(before);
    // `onload=` followed by `=` is a comparison (`onload==x`), and `&online=true` a query string.
    if (next === "=" || before === "&") continue;
    if (EVENT_HANDLERS.has(name) || name === "formaction" || name === "srcdoc") {
      // After whitespace in a sentence ("e.g. onclick = handler"): only with code after the `=`.
      let score = 6;
      if (!quoteBefore && !atStart && /\s/.test(before) && PROSE.test(lower)) {
        score = /^\s{0,8}(?:['"`]|[\w$.]{1,40}\s?[(`]|[\w$.]{1,40}\.[\w$]{1,40}=)/.test(
          lower.slice(m.index + m[0].length - next.length),
        )
          ? 6
          : 3;
      }
      if (!best || score > best.score) best = { ruleId: "xss-attribute-breakout", score };
    } else if ((quoteBefore || (atStart && before !== "")) && name.length >= 5) {
      if (!best || best.score < 5) best = { ruleId: "xss-attribute-breakout", score: 5 };
    }
  }
  return best;
}

/** A scheme whose letters are split by whitespace or controls (`ja&tab;vascript:`, `v\nb\ts…`). */
const SPLIT_SCHEME =
  /j[\s\x00-\x1f]{0,16}a[\s\x00-\x1f]{0,16}v[\s\x00-\x1f]{0,16}a[\s\x00-\x1f]{0,16}s[\s\x00-\x1f]{0,16}c[\s\x00-\x1f]{0,16}r[\s\x00-\x1f]{0,16}i[\s\x00-\x1f]{0,16}p[\s\x00-\x1f]{0,16}t[\s\x00-\x1f]{0,16}:|v[\s\x00-\x1f]{0,16}b[\s\x00-\x1f]{0,16}s[\s\x00-\x1f]{0,16}c[\s\x00-\x1f]{0,16}r[\s\x00-\x1f]{0,16}i[\s\x00-\x1f]{0,16}p[\s\x00-\x1f]{0,16}t[\s\x00-\x1f]{0,16}:/;

/** What `SPLIT_SCHEME` allows between the letters: whitespace (as `\s` means it) and controls. */
function isSchemeJunk(c: number): boolean {
  if (c <= 32) return true;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** `SPLIT_SCHEME` ending at a colon, for a window of text before it. */
const SPLIT_SCHEME_END = new RegExp(`(?:${SPLIT_SCHEME.source})$`);

/**
 * `SPLIT_SCHEME` with whitespace inside (more than the 11 characters of `javascript:`), looked for
 * only before the colons whose scheme ends in `t` (`javascript`, `vbscript`), not at every `j`/`v`.
 */
function splitScheme(lower: string): boolean {
  for (let i = lower.indexOf(":"), n = 0; i !== -1 && n < 256; i = lower.indexOf(":", i + 1), n++) {
    let j = i - 1;
    while (j >= 0 && i - j <= 17 && isSchemeJunk(lower.charCodeAt(j))) j--;
    if (lower.charCodeAt(j) !== 116) continue;
    // A scheme split by up to 16 controls between its 11 letters: at most 171 characters.
    const m = SPLIT_SCHEME_END.exec(lower.slice(Math.max(0, i - 180), i + 1));
    if (m !== null && m[0].length > 11) return true;
  }
  return false;
}

/** What every match of `scanSchemes`' second expression contains. */
const SCHEME_WORDS = ["javascript", "vbscript", "livescript", "mocha", "data:text/html"];
/** The controls `cssText` removes. */
const CSS_CONTROL = /[\x00-\x08\x0e-\x1f]/;

export function scanSchemes(s: string, lower: string): Finding | null {
  if (!lower.includes(":")) return null;
  let best: Finding | null = null;
  const take = (score: number) => {
    if (!best || score > best.score) best = { ruleId: "xss-script-url", score };
  };
  if (splitScheme(lower)) take(6);
  if (!lower.includes("cript") && !lower.includes("data") && !lower.includes("ocha")) return best;
  // The whole value as a URL: `SCRIPT_SCHEME` reads at most its first 130 characters, and removing
  // characters commutes with cutting, so a long value's head decides whether the rest is needed.
  const head = s.length > 512 ? schemeOf(s.slice(0, 512)) : null;
  if (head === null || head.length < 140 || SCRIPT_SCHEME.test(head)) {
    const compact = schemeOf(s);
    if (SCRIPT_SCHEME.test(compact)) take(compact.startsWith("data:") || runsScript(compact) ? 6 : 2);
  }
  // After `(`, `=`, a quote, `]`, `>` or `/` (markdown links, attribute values, query strings).
  const m = SCHEME_WORDS.some((w) => lower.includes(w))
    ? /(?:^|[(="'\]>/,;])\s{0,16}((?:javascript|vbscript|livescript|mocha)\s{0,8}:[^\s)"'>]{0,200})|\]\(\s{0,8}data:text\/html|=\s{0,8}['"]?\s{0,8}data:text\/html/.exec(
        lower,
      )
    : null;
  if (m) take(m[1] === undefined || runsScript(schemeOf(m[1])) ? 6 : 2);
  // `url(javascript:` anywhere (CSS in a value that lands in a style). Without escapes, comments or
  // controls, `cssText` changes nothing the expression reads, and its words must be there as they are.
  const plainCss = !lower.includes("\\") && !lower.includes("/*") && !CSS_CONTROL.test(lower);
  if (
    (!plainCss || (lower.includes("url") && (lower.includes("javascript") || lower.includes("vbscript")))) &&
    /url\s{0,8}\(\s{0,8}['"]?\s{0,8}(?:javascript|vbscript)/.test(plainCss ? lower : cssText(lower))
  )
    take(6);
  return best;
}
