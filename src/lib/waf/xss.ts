/**
 * Cross-site scripting, by tokenizing markup the way an HTML parser does (tag names, then
 * attributes separated by whitespace or `/`, quoted or unquoted values, unclosed tags too)
 * and scoring what would execute script, plus the script-only shapes that need no tag:
 *
 * - tags: `<script` with code/`src`/closing tag, event handler attributes on any tag
 *   (`<svg/onload=…>`, `<x onfocus=…>`), `srcdoc`, URL attributes (`href`, `src`, `action`,
 *   `formaction`, `xlink:href`, `data`, …) whose scheme is `javascript:`/`vbscript:`/
 *   `data:text/html` (tabs, newlines, controls and entities inside the scheme removed, as
 *   browsers do), CSS that runs script or loads style (`expression(`, `url(javascript:`,
 *   `-moz-binding`, `behavior`, `@import`, CSS escapes decoded), `<meta http-equiv=refresh>`,
 *   `<base href>`, `<embed>`/`<object>`/`<applet>`, `<link href>`, legacy script hosts
 *   (`<xml src>`, `<layer>`, `<?import implementation>`, VML); namespaced tags (`<x:script>`)
 *   count as their local name. Every `<` starts a candidate tag (comments, CDATA and nested
 *   junk such as `<scr<script>ipt>` do not hide what follows);
 * - outside tags: a breakout from an attribute value into an event handler (`" onfocus=…`,
 *   `';onload=…`), a `javascript:` URL as the whole value or a markdown/`(`/`=` target, a
 *   scheme spelled with whitespace inside (`ja&tab;vascript:`), a breakout from a script
 *   string into code (`';alert(1)//`, `</script><script>`);
 * - script without markup, on a compacted view (comments, whitespace around punctuation,
 *   `"al"+"ert"` concatenation and `["x"]` member access folded): a probe or sink call in code
 *   position (`alert(1)` as the whole value, a JSONP callback, `(alert)(1)`, `[1].find(alert)`,
 *   `top["al"+"ert"](1)`, `[].sort.call\`${alert}\``), `document.cookie` read or written,
 *   JSFuck, and AngularJS sandbox escapes (`{{constructor.constructor(…)()}}`);
 * - encodings that smuggle markup: UTF-7 (`+ADw-script+AD4-`) and US-ASCII with the high bit
 *   set (`¼script¾`), both decoded and scanned again.
 *
 * Plain HTML (`<b>`, `<a href="https://…">`, `<img src="x.png">`, `<iframe>` video embeds),
 * `a < b > c`, `<3`, emails in angle brackets, markdown, prose that mentions `alert()` or
 * `document.cookie`, and code with comparisons do not execute anything and score below 5; the
 * keyword-only signals count from paranoia level 2.
 *
 * This file holds the scan of every view of the value and the gate; the parts live in `xss/`:
 * `tables.ts` (event handlers, URL attributes, scheme and tag tables), `tags.ts` (the tag and
 * attribute tokenizer and the scoring of tags), `attributes.ts` (event handlers and script URLs
 * outside a parsed tag) and `script.ts` (script without markup, CSS and template expressions).
 */
import { base64Text } from "./normalize.ts";
import type { Finding, Inspected } from "./types.ts";
import { scanHandlers, scanSchemes } from "./xss/attributes.ts";
import { scanClientTemplate, scanLoose, scanScript, stronger } from "./xss/script.ts";
import { scanOddTags, scanTags } from "./xss/tags.ts";

/** UTF-7 (`+ADw-script+AD4-`): decodes modified-base64 runs so the markup can be scanned. */
function decodeUtf7(s: string): string | null {
  if (!/\+A[A-H][A-Za-z0-9+/]/.test(s)) return null;
  const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  return s.replace(/\+([A-Za-z0-9+/]{2,64})-?/g, (m, run: string) => {
    let bits = 0;
    let acc = 0;
    let out = "";
    for (const ch of run) {
      acc = (acc << 6) | B64.indexOf(ch);
      bits += 6;
      if (bits >= 16) {
        bits -= 16;
        out += String.fromCharCode((acc >> bits) & 0xffff);
      }
    }
    return /^[\x09\x0a\x0d\x20-\x7e]+$/.test(out) ? out : m;
  });
}

/** Views of the value that undo filter-evasion tricks, for a second scan. */
function altViews(s: string): string[] {
  const out: string[] = [];
  // `¼script¾` and friends are handled apart (markup only, see `detectXss`).
  // Junk tags inside words, meant to be stripped by a sanitizer: `<scr<script>ipt>`, `o<x>nfocus`.
  const markup = s.includes("<");
  if (markup && /[a-z]<\/?[a-z]{1,10}>[a-z(]/i.test(s)) out.push(s.replace(/<\/?[a-z]{1,10}>/gi, ""));
  // CDATA sections and comments used to split keywords.
  if ((markup || s.includes("]]")) && /<!\[cdata\[|\]\]>?/i.test(s)) out.push(s.replace(/<!\[cdata\[|\]\]>?/gi, ""));
  // Escaped NULs written out (`<scr\0ipt`), meant to be stripped by a filter.
  if (markup && s.includes("\\0") && /<[a-z]{0,10}\\0[a-z]/i.test(s)) out.push(s.replace(/\\0/g, ""));
  const utf7 = s.includes("+") ? decodeUtf7(s) : null;
  if (utf7 !== null && utf7 !== s) out.push(utf7);
  // JavaScript octal string escapes (`'\141\154\145\162\164'` is `'alert'`), as a script reads them.
  if (s.includes("\\") && OCTAL_RUN.test(s))
    out.push(s.replace(OCTAL_ESCAPE, (_m, o: string) => String.fromCharCode(parseInt(o, 8))));
  return out;
}
/** Three octal escapes in a row (one or two backslashes each, as a string in a string has them). */
const OCTAL_RUN = /(?:\\{1,2}[0-3]?[0-7]{2}){3}/;
const OCTAL_ESCAPE = /\\{1,2}([0-3]?[0-7]{2})/g;

const RAWTEXT = "script|style|title|textarea|noscript|xmp|noembed|noframes|iframe";
/** Two closing tags of raw-text elements in a row (only separators between). */
const RAWTEXT_CLOSERS = new RegExp(`<\\/\\s{0,4}(?:${RAWTEXT})\\b[\\s/>]{0,8}<\\/\\s{0,4}(?:${RAWTEXT})\\b`, "i");

/** Words of script without markup, brackets or calls: a breakout after a quote (`';top…`), or a DOM sink (`document.cookie`, `location=…`). */
const PROBE_WORD =
  /alert|prompt|confirm|eval|print|settimeout|setinterval|fetch|import|document|window|location|top|self|atob|constructor/;
const DOM_WORD = /document|window|location|html|xmlhttprequest|parentwindow/;

/** An event handler (or `formaction`, `srcdoc`) right before an `=`: what `scanHandlers` looks for. */
const HANDLER_BEFORE_EQ = /(?:on[a-z]{3,50}|formaction|srcdoc)\s{0,8}(?:\/\s{0,4})?$/;

/** Whether some `=` has a handler name before it (its letters end in `on…`, `formaction` or `srcdoc`). */
function handlerBeforeEq(lower: string): boolean {
  for (let i = lower.indexOf("="), n = 0; i !== -1; i = lower.indexOf("=", i + 1), n++) {
    if (n >= 256) return true;
    // Skip what may stand between the name and its `=` (spaces, one `/`), then the letters of the name.
    let j = i;
    while (j > 0 && i - j < 16 && !isLetterCode(lower.charCodeAt(j - 1))) j--;
    let k = j;
    while (k > 0 && j - k < 60 && isLetterCode(lower.charCodeAt(k - 1))) k--;
    if (j - k < 5) continue;
    const name = lower.slice(k, j);
    if (
      (name.includes("on") || name.endsWith("formaction") || name.endsWith("srcdoc")) &&
      HANDLER_BEFORE_EQ.test(lower.slice(Math.max(0, i - 72), i))
    )
      return true;
  }
  return false;
}

function isLetterCode(c: number): boolean {
  return c >= 97 && c <= 122;
}

/**
 * Every scanner, each only where what it looks for can be (a `<` for tags, an `=` after a handler
 * name, a `:` for schemes, a call, bracket or script word for script): ordinary text (prose with
 * quotes, URLs, dates) is looked at by a few searches, not by every scanner's expressions.
 */
function scanAll(s: string, lower: string): Finding | null {
  let best: Finding | null = null;
  const markup = s.includes("<");
  const call = s.includes("(") || s.includes("`");
  if (markup) {
    best = scanTags(s);
    if (best !== null && best.score >= 7) return best;
    // An attribute or element closed at the start of the value, then a tag that embeds or
    // loads something: `"><iframe src=…>`, `'></title><meta …>`.
    if (best !== null && best.score >= 3 && /^\s{0,4}['"`]?\s{0,4}\/?>\s{0,4}(?:<\/[a-z]{1,10}>\s{0,4})?</i.test(s))
      best = stronger(best, { ruleId: "xss-tag-breakout", score: 5 });
    best = stronger(best, scanOddTags(s));
    // `</style></title></textarea></script>`: closing the raw-text elements a value may land in, one after the other.
    if (s.includes("</") && RAWTEXT_CLOSERS.test(s)) best = stronger(best, { ruleId: "xss-tag-breakout", score: 5 });
  }
  if (s.includes("=") && handlerBeforeEq(lower)) best = stronger(best, scanHandlers(s, lower));
  if (s.includes(":")) best = stronger(best, scanSchemes(s, lower));
  if (
    call ||
    markup ||
    s.includes("[") ||
    s.includes("${") ||
    s.includes("+") ||
    (/['"`]/.test(s) && PROBE_WORD.test(lower)) ||
    DOM_WORD.test(lower)
  )
    best = stronger(best, scanScript(s));
  if (s.includes("{")) best = stronger(best, scanClientTemplate(lower));
  best = stronger(best, scanLoose(lower, markup, call));
  return best;
}

/**
 * Cheap test (the class's gate): can the value hold script at all? Markup, an attribute or scheme
 * (`=`, `:`), a call, template or index (`(`, `` ` ``, `[`, `{`), the DOM words, an entity
 * declaration, `-moz-binding`, UTF-7 or 7-bit markup (`+ADw-`, `¼` as `1⁄4`). Quotes alone are not enough.
 */
/** The same test in one pass, for short values (one search costs less than a dozen on a few characters). */
const SHORT_GATE = /[<=(`[{\u2044]|[a-z]\s{0,8}:|\+a|!entity|z-binding|document|window/;

const SCHEME_COLON = /[A-Za-z]\s{0,8}:/;
export function xssGate(t: string, l: string): boolean {
  if (t.length <= 20) return SHORT_GATE.test(l) || (t.charCodeAt(0) === 80 && t.length >= 16 && !t.includes(" "));
  if (t.includes("<") || t.includes("=") || t.includes("(") || t.includes("`") || t.includes("[") || t.includes("{"))
    return true;
  // A scheme (`javascript:`, not the `10:00` of a time) and UTF-7 (`+ADw-`, not `+orders@` or `+00:00`).
  if ((t.includes(":") && SCHEME_COLON.test(t)) || (t.includes("+") && l.includes("+a"))) return true;
  if (l.includes("!entity") || l.includes("z-binding") || (t.includes("4") && t.includes("\u2044"))) return true;
  // Base64 of markup (`PH…` is `<`).
  if (t.charCodeAt(0) === 80 && t.length >= 16 && !t.includes(" ")) return true;
  // `document.cookie`, `window.name` (also `document .cookie`, `document/**/.cookie`).
  if (l.includes("/*")) return l.includes("document") || l.includes("window");
  for (let i = l.indexOf("."); i !== -1; i = l.indexOf(".", i + 1)) {
    let j = i;
    while (j > 0 && l.charCodeAt(j - 1) <= 32) j--;
    if (l.endsWith("document", j) || l.endsWith("window", j)) return true;
  }
  return false;
}

/** XSS score of one (normalised) value. */
export function detectXss(v: Inspected): Finding | null {
  const s = v.text;
  let best = scanAll(s, v.lower);
  if (best !== null && best.score >= 6 && (best.pl ?? 1) === 1) return best;
  // UTF-7 markup is an attack on its own (nobody writes `+ADw-script`).
  if (v.lower.includes("+adw-") && /\+adw-\s{0,4}\/?[a-z]|\+adw-\+ac8-[a-z]/.test(v.lower))
    return { ruleId: "xss-utf7", score: 6 };
  for (const alt of altViews(s)) {
    const f = scanAll(alt, alt.toLowerCase());
    if (f && (f.pl ?? 1) === 1 && f.score >= 5)
      best = stronger(best, { ruleId: "xss-obfuscated-markup", score: f.score });
  }
  // A value that is base64 of markup that runs script (`PHNjcmlwdD4…` is `<script>…`): decoded where it lands.
  if (s.charCodeAt(0) === 80 && s.length >= 16 && s.length <= 8_192 && /^[A-Za-z0-9+/]{16,}={0,2}$/.test(s)) {
    const decoded = base64Text(s);
    if (decoded !== null && decoded.includes("<")) {
      const f = scanAll(decoded, decoded.toLowerCase());
      if (f && (f.pl ?? 1) === 1 && f.score >= 5)
        best = stronger(best, { ruleId: "xss-encoded-markup", score: f.score });
    }
  }
  // US-ASCII with the high bit set (`¼script¾` is `<script>` to a 7-bit reader; NFKC made ¼ `1⁄4`):
  // a tag that runs script, or a matching open/close pair (`¼b¾…¼/b¾`).
  if (s.includes("\u2044") && /1\u20444|3\u20444/.test(s)) {
    const ascii = s
      .replace(/[\u00c2\u00d0]?1\u20444/g, "<")
      .replace(/[\u00c2\u00d0]?3\u20444/g, ">")
      .replace(/\u00c2?\u00a2/g, '"');
    const f = scanTags(ascii);
    if (f && f.score >= 5) best = stronger(best, { ruleId: "xss-obfuscated-markup", score: f.score });
    else if (/<([a-z]{1,12})>[^<]{0,200}<\/\1>/i.test(ascii))
      best = stronger(best, { ruleId: "xss-obfuscated-markup", score: 5 });
  }
  return best;
}
