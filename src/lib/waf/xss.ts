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
 */
import { base64Text } from "./normalize.ts";
import type { Finding, Inspected } from "./types.ts";

/** Event handler names that also count outside a tag (attribute-breakout payloads). */
const EVENT_HANDLERS = new Set(
  (
    "abort activate afterprint afterscriptexecute afterupdate animationcancel animationend animationiteration animationstart " +
    "auxclick beforeactivate beforecopy beforecut beforedeactivate beforeeditfocus beforeinput beforepaste beforeprint " +
    "beforescriptexecute beforeunload beforeupdate begin blur bounce cancel canplay canplaythrough cellchange change click " +
    "close contentvisibilityautostatechange contextmenu controlselect copy cuechange cut dataavailable datasetchanged " +
    "datasetcomplete dblclick deactivate drag dragdrop dragend dragenter dragexit dragleave dragover dragstart drop " +
    "durationchange emptied end ended error errorupdate filterchange finish focus focusin focusout formdata " +
    "fullscreenchange fullscreenerror hashchange help input invalid keydown keypress keyup layoutcomplete load " +
    "loadeddata loadedmetadata loadend loadstart losecapture message mousedown mouseenter mouseleave mousemove " +
    "mouseout mouseover mouseup mousewheel move moveend movestart offline online pagehide pageshow paste pause play " +
    "playing pointercancel pointerdown pointerenter pointerleave pointerlockchange pointermove pointerout pointerover " +
    "pointerrawupdate pointerup popstate progress propertychange ratechange readystatechange repeat reset resize " +
    "resizeend resizestart rowenter rowexit rowsdelete rowsinserted scroll scrollend search seek seeked seeking select " +
    "selectionchange selectstart show stalled start stop storage submit suspend timeerror timeupdate toggle touchcancel " +
    "touchend touchmove touchstart transitioncancel transitionend transitionrun transitionstart unhandledrejection " +
    "unload volumechange waiting webkitanimationend webkitanimationiteration webkitanimationstart " +
    "webkitplaybacktargetavailabilitychanged webkittransitionend wheel zoom beforetoggle fscommand mozfullscreenchange"
  )
    .split(" ")
    .map((n) => `on${n}`),
);

const URL_ATTRS = new Set(["href", "src", "action", "formaction", "data", "xlink:href", "background", "poster", "dynsrc", "lowsrc", "code", "codebase", "to", "from", "values", "by", "ping", "manifest", "cite", "longdesc", "usemap", "profile", "classid", "archive", "icon", "srcset", "folder", "datasrc", "xml:base", "xmlns:xlink", "href:xlink", "style"]);
const SCRIPT_SCHEME = /^(?:javascript|vbscript|livescript|mocha|jscript|ecmascript):|^data:(?:text\/html|application\/(?:xhtml|x-javascript|javascript|ecmascript)|text\/(?:javascript|xml|ecmascript|vbscript)|image\/svg)|^data:[^,]{0,40},[\s\S]{0,80}<[a-z!?/]/;
/** Schemes that exist only to run script (no benign use in user input). */
const DEAD_SCHEME = /^(?:vbscript|livescript|mocha|jscript|ecmascript):/;
/** Tags that load a document or plug-in into the page. */
const PLUGIN_TAGS = new Set(["object", "embed", "applet"]);
/** Legacy tags that load or bind script (IE data islands, Netscape layers, VML, behaviours). */
const LEGACY_TAGS = new Set(["xml", "layer", "ilayer", "bgsound", "vmlframe", "import", "xss", "isindex", "xmp"]);
/** Tag names that are dangerous when spelled with spaces (`<f o r m`) or behind a prefix (`< x: script`). */
const SPACED_TAGS = new Set(["script", "iframe", "frame", "form", "dialog", "svg", "math", "embed", "object", "applet", "style", "link", "meta", "base", "img", "image", "input", "button", "video", "audio", "body", "details", "marquee", "isindex", "textarea", "template", "vmlframe", "xml", "frameset", "handler", "listener", "import"]);

const MAX_TAGS = 256;
const MAX_ATTRS = 64;
/** A quoted attribute value longer than this is cut (keeps the scan linear). */
const MAX_VALUE = 2_048;

interface Attr {
  name: string;
  value: string | null;
}

function isSep(c: string): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === "/" || c === "+";
}

function isHtmlSpace(c: string | undefined): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f";
}

/** Parses attributes from `i` to `>` (or the end, for unclosed tags). Returns the attributes and where it stopped. */
function parseAttrs(s: string, i: number, limit = s.length): { attrs: Attr[]; end: number } {
  const attrs: Attr[] = [];
  const n = Math.min(s.length, limit);
  while (i < n && attrs.length < MAX_ATTRS) {
    while (i < n && isSep(s[i]!)) i++;
    // `>` ends the tag; `<` starts another one (unclosed tags nest in payloads like `<scr<script>ipt>`).
    if (i >= n || s[i] === ">" || s[i] === "<") break;
    let j = i;
    // An attribute name runs to whitespace, `/`, `>` or `=` (a leading `=` belongs to the name).
    if (s[j] === "=") j++;
    while (j < n && !isSep(s[j]!) && s[j] !== ">" && s[j] !== "=" && s[j] !== "<") j++;
    const name = s.slice(i, j);
    i = j;
    // `onerror/=…` and `onerror =…`: separators between a name and its `=` (lenient parsers accept them).
    let k = i;
    while (k < n && k - i < 8 && isSep(s[k]!)) k++;
    if (s[k] !== "=" || name.length === 0) {
      attrs.push({ name, value: null });
      continue;
    }
    i = k + 1;
    while (i < n && isHtmlSpace(s[i])) i++;
    const q = s[i];
    if (q === '"' || q === "'" || q === "`") {
      const close = s.indexOf(q, i + 1);
      const end = close === -1 || close - i > MAX_VALUE ? Math.min(n, i + 1 + MAX_VALUE) : close;
      attrs.push({ name, value: s.slice(i + 1, end) });
      i = end + 1;
    } else {
      let e = i;
      while (e < n && e - i < MAX_VALUE && !isHtmlSpace(s[e]) && s[e] !== ">") e++;
      attrs.push({ name, value: s.slice(i, e) });
      i = e;
    }
  }
  return { attrs, end: i };
}

/** A URL as the browser resolves its scheme: whitespace, controls and invisible characters removed. */
function schemeOf(value: string): string {
  return value.replace(/[\s\x00-\x20\x7f-\xa0\u00c2\u00e2\u00e3\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff]+/g, "").toLowerCase();
}

/** A `javascript:` URL that runs something (not `javascript:void(0)` or a bare scheme). */
function runsScript(url: string): boolean {
  if (DEAD_SCHEME.test(url)) return true;
  const body = url.slice(url.indexOf(":") + 1);
  return /[\w$\]]\s*[(`]|[=.\\]|\/\/|%[0-9a-f]{2}|^\w+:/i.test(body.replace(/^void\s*\(?\s*0\s*\)?;?$/i, ""));
}

/** CSS with escapes (`\0065`, `\e`) and comments undone, as the CSS parser sees it. */
function cssText(css: string): string {
  let t = css;
  if (t.includes("\\")) t = t.replace(/\\([0-9a-fA-F]{1,6})\s?/g, (_m, h: string) => String.fromCodePoint(Math.min(parseInt(h, 16), 0x10ffff) || 0xfffd)).replace(/\\(?=[^\n])/g, "");
  if (t.includes("/*")) t = t.replace(/\/\*[\s\S]{0,400}?\*\//g, "");
  return t.replace(/[\x00-\x08\x0e-\x1f]/g, "").toLowerCase();
}

const CSS_SCRIPT = /expression\s{0,8}\(|url\s{0,8}\(\s{0,8}['"]?\s{0,8}(?:javascript|vbscript|livescript|data:\s{0,8}(?:text\/html|image\/svg|application))|-moz-binding|behaviou?r\s{0,8}:\s{0,8}url|@import|javascript\s{0,8}:|vbscript\s{0,8}:/;

function scoreCss(css: string): number {
  const t = cssText(css);
  if (CSS_SCRIPT.test(t)) return 6;
  // Escapes or comments in the middle of words hide keywords (`@im\port`, `expr/**/ession`).
  return /\\[0-9a-z]/i.test(css) && /[(@:]/.test(css) && /\\\w[^;]{0,40}\(|@\\?i|\w\\\w/i.test(css) ? 5 : 0;
}

function scoreTag(tag: string, attrs: Attr[], after: string, prefix: string): Finding | null {
  let best: Finding | null = null;
  const take = (score: number, ruleId: string) => {
    if (score > 0 && (!best || score > best.score)) best = { ruleId, score };
  };
  if (tag === "script") {
    // `<script>alert(1)</script>`, `<script src=…>`, `<script>x` glued to code; a question about
    // "the <script> tag" is prose.
    const glued = after.length > 0 && !isHtmlSpace(after[0]) && after[0] !== "<";
    const code = glued || /^[^<]{0,200}?[(`=;[]/.test(after) || /<\/script/i.test(after) || attrs.some((a) => a.value !== null || a.name.length > 0);
    // `<script>` as the end of a value that is not a sentence: an unclosed injection.
    const unclosed = after.trim() === "" && !PROSE.test(prefix);
    take(code ? 7 : unclosed ? 5 : 3, "xss-script-tag");
  }
  const isMeta = tag === "meta";
  let refresh = false;
  for (const a of attrs) {
    const name = a.name.toLowerCase();
    const value = a.value;
    if (value === null) continue;
    if (name.length > 4 && name.startsWith("on") && /^on[a-z-]{3,60}$/.test(name)) {
      // JSX in a code snippet (`onClick={handler}`) is code, not markup that runs: weaker.
      take(value.trimStart().startsWith("{") ? 3 : 7, "xss-event-handler");
    } else if (name === "srcdoc") take(6, "xss-srcdoc");
    else if (name === "style" || (tag === "style" && name === "type")) {
      if (name === "type") {
        if (/script/i.test(value)) take(6, "xss-css-script");
      } else {
        const css = scoreCss(value);
        if (css > 0) take(css, "xss-css-script");
      }
    } else if (URL_ATTRS.has(name) || (isMeta && name === "content")) {
      const url = schemeOf(value);
      if (SCRIPT_SCHEME.test(url)) take(url.startsWith("data:") || runsScript(url) ? 7 : 4, "xss-script-url");
      else if (url.startsWith("data:") && url.includes("base64,")) {
        // `data:` URLs with any declared type: browsers sniff what a frame or link opens.
        const decoded = base64Text(url.slice(url.indexOf("base64,") + 7, url.indexOf("base64,") + 7 + 4_096));
        if (decoded !== null && /<[a-z!?]|on[a-z]{3,30}\s{0,4}=|javascript:/i.test(decoded)) take(7, "xss-script-url");
      }
      else if (isMeta && /(?:url=|;)\s{0,4}['"]?(?:javascript|vbscript|data):/.test(url)) take(7, "xss-script-url");
      else if (name === "href" && tag === "base") take(6, "xss-resource-tag");
      else if ((name === "src" || name === "data" || name === "code" || name === "classid") && PLUGIN_TAGS.has(tag)) take(6, "xss-plugin-tag");
    } else if (name === "attributename" && /^\s*(?:on[a-z]+|href|xlink:href)\s*$/i.test(value)) take(6, "xss-event-handler");
    else if (name === "http-equiv") {
      if (/refresh|set-cookie|link|content-security|default-style/i.test(value)) refresh = true;
      else if (/content-type/i.test(value)) take(3, "xss-meta-refresh");
    } else if (name === "charset" && isMeta && !/^\s*(?:utf-?8|iso-8859-1|windows-1252|us-ascii)\s*$/i.test(value)) take(6, "xss-meta-charset");
    else if (name === "allowscriptaccess" && /always/i.test(value)) take(7, "xss-plugin-tag");
    else if (name === "implementation" || name === "datasrc" || name === "datafld" || name === "dataformatas") take(5, "xss-legacy-tag");
    else if (value.includes("&{") && /&\{[^}]{0,200}\}/.test(value)) take(6, "xss-script-entity");
  }
  if (isMeta) {
    const content = attrs.find((a) => a.name.toLowerCase() === "content")?.value ?? "";
    if (refresh) take(6, "xss-meta-refresh");
    if (/charset\s{0,4}=\s{0,4}(?!utf-?8|iso-8859-1|windows-1252)[a-z]/i.test(content)) take(6, "xss-meta-charset");
    // Browsers put `<meta charset="utf-8">` on copied HTML; the tag alone as a value is a probe.
    if (attrs.some((a) => a.name.toLowerCase() === "charset" && a.value !== null)) take(/^\s*\/?\s*>?\s*$/.test(after) ? 5 : 3, "xss-meta-charset");
  }
  if (tag === "base") take(attrs.some((a) => a.name.toLowerCase() === "href") ? 6 : 4, "xss-resource-tag");
  if (tag === "link" && attrs.some((a) => /^href/i.test(a.name))) {
    // A style sheet or script from anywhere restyles or runs in the page; an icon does not.
    const rel = attrs.find((a) => a.name.toLowerCase() === "rel")?.value ?? null;
    const loads = rel === null || /stylesheet|import|preload|prefetch|script|manifest|prerender/i.test(rel) || attrs.some((a) => a.name.toLowerCase() === "type" && /script/i.test(a.value ?? ""));
    take(loads ? 5 : 2, "xss-resource-tag");
  }
  if (PLUGIN_TAGS.has(tag)) take(tag === "applet" ? 6 : 5, "xss-plugin-tag");
  if (LEGACY_TAGS.has(tag) && (attrs.length > 0 || tag === "vmlframe" || tag === "import")) take(tag === "xss" ? 3 : 5, "xss-legacy-tag");
  // `'';!--"<XSS>=&{()}`: the filter probe, an `<xss>` element right after a quote that closes a string or attribute.
  if (tag === "xss" && /['"`][^<>]{0,16}$/.test(prefix)) take(5, "xss-tag-breakout");
  if (tag === "style") {
    const body = after.slice(0, 400).split(/<\/style/i)[0]!;
    take(scoreCss(body), "xss-css-script");
    // Escapes in a style sheet hide keywords (`@im\port`, `\ja\vasc\ript`).
    if (/[@:=]\s{0,8}[^;{}]{0,40}\\|\\[0-9a-f]{1,6}[^0-9a-f\s]|@\s{0,4}\\/i.test(body)) take(5, "xss-css-script");
  }
  if (tag === "iframe" || tag === "frame" || tag === "frameset" || tag === "portal" || tag === "fencedframe") take(3, "xss-embedding-tag");
  if (tag === "link" || tag === "meta" || tag === "math" || tag === "svg") take(1, "xss-markup");
  return best;
}

function isLetter(c: string | undefined): boolean {
  return c !== undefined && ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z"));
}

/** Scans every `<` that starts a tag (or a namespaced / `<?import` one). */
function scanTags(s: string): Finding | null {
  let best: Finding | null = null;
  let tags = 0;
  for (let i = s.indexOf("<"); i !== -1 && tags < MAX_TAGS; i = s.indexOf("<", i + 1)) {
    let start = i + 1;
    if (s[start] === "?" || s[start] === ":" || s[start] === "%") {
      if (s[start] === "?" && !/^import/i.test(s.slice(start + 1, start + 7))) continue;
      start++;
    }
    if (!isLetter(s[start])) continue;
    tags++;
    let j = start;
    while (j < s.length && j - start < 64 && !isSep(s[j]!) && s[j] !== ">" && s[j] !== "<") j++;
    let tag = s.slice(start, j).toLowerCase();
    // Namespaced tags: `<x:script>`, `<v:vmlframe>`, `<svg:svg>`.
    const colon = tag.lastIndexOf(":");
    if (colon !== -1) tag = tag.slice(colon + 1);
    const { attrs, end } = parseAttrs(s, j, j + 8_192);
    const f = scoreTag(tag, attrs, s.slice(end + 1, end + 400), s.slice(Math.max(0, i - 200), i));
    if (f && (!best || f.score > best.score)) best = f;
    if (best !== null && best.score >= 7) return best;
  }
  return best;
}

/** `<f o r m`, `< x: script`, `<"onx=`: tag names spelled so that filters miss them. */
function scanOddTags(s: string): Finding | null {
  const re = /<\s{0,4}((?:[a-z]\s{1,3}){2,12}[a-z])(?![a-z])|<\s{0,4}[a-z]{0,10}\s{0,4}:\s{0,4}([a-z]{3,12})(?![a-z])/gi;
  let m: RegExpExecArray | null;
  let n = 0;
  while ((m = re.exec(s)) !== null && n++ < 64) {
    const name = (m[1] ?? m[2] ?? "").replace(/\s+/g, "").toLowerCase();
    if (m[1] !== undefined ? SPACED_TAGS.has(name) : SPACED_TAGS.has(name) && /\s/.test(m[0])) return { ruleId: "xss-obfuscated-tag", score: 5 };
  }
  return null;
}

/**
 * Event handlers outside a parsed tag: after a quote, `/`, `;`, `(`, `<` or whitespace
 * (`" onfocus=…`, `';onload=…`, `<"onx=`). A known handler counts anywhere; an unknown
 * `on…=` only where an attribute would be (after a quote, `/` or `<`, or at the very start).
 */
function scanHandlers(s: string, lower: string): Finding | null {
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
        score = /^\s{0,8}(?:['"`]|[\w$.]{1,40}\s?[(`]|[\w$.]{1,40}\.[\w$]{1,40}=)/.test(lower.slice(m.index + m[0].length - next.length)) ? 6 : 3;
      }
      if (!best || score > best.score) best = { ruleId: "xss-attribute-breakout", score };
    } else if ((quoteBefore || (atStart && before !== "")) && name.length >= 5) {
      if (!best || best.score < 5) best = { ruleId: "xss-attribute-breakout", score: 5 };
    }
  }
  return best;
}

/** A scheme whose letters are split by whitespace or controls (`ja&tab;vascript:`, `v\nb\ts…`). */
const SPLIT_SCHEME = /j[\s\x00-\x1f]{0,16}a[\s\x00-\x1f]{0,16}v[\s\x00-\x1f]{0,16}a[\s\x00-\x1f]{0,16}s[\s\x00-\x1f]{0,16}c[\s\x00-\x1f]{0,16}r[\s\x00-\x1f]{0,16}i[\s\x00-\x1f]{0,16}p[\s\x00-\x1f]{0,16}t[\s\x00-\x1f]{0,16}:|v[\s\x00-\x1f]{0,16}b[\s\x00-\x1f]{0,16}s[\s\x00-\x1f]{0,16}c[\s\x00-\x1f]{0,16}r[\s\x00-\x1f]{0,16}i[\s\x00-\x1f]{0,16}p[\s\x00-\x1f]{0,16}t[\s\x00-\x1f]{0,16}:/;

/** What `SPLIT_SCHEME` allows between the letters: whitespace (as `\s` means it) and controls. */
function isSchemeJunk(c: number): boolean {
  if (c <= 32) return true;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
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

function scanSchemes(s: string, lower: string): Finding | null {
  if (!lower.includes(":")) return null;
  let best: Finding | null = null;
  const take = (score: number) => {
    if (!best || score > best.score) best = { ruleId: "xss-script-url", score };
  };
  if (splitScheme(lower)) take(6);
  if (!lower.includes("cript") && !lower.includes("data") && !lower.includes("ocha")) return best;
  const compact = schemeOf(s);
  if (SCRIPT_SCHEME.test(compact)) take(compact.startsWith("data:") || runsScript(compact) ? 6 : 2);
  // After `(`, `=`, a quote, `]`, `>` or `/` (markdown links, attribute values, query strings).
  const m = /(?:^|[(="'\]>/,;])\s{0,16}((?:javascript|vbscript|livescript|mocha)\s{0,8}:[^\s)"'>]{0,200})|\]\(\s{0,8}data:text\/html|=\s{0,8}['"]?\s{0,8}data:text\/html/.exec(lower);
  if (m) take(m[1] === undefined || runsScript(schemeOf(m[1])) ? 6 : 2);
  // `url(javascript:` anywhere (CSS in a value that lands in a style).
  if (/url\s{0,8}\(\s{0,8}['"]?\s{0,8}(?:javascript|vbscript)/.test(cssText(lower))) take(6);
  return best;
}

/** Identifiers that run code or are only called to prove an injection worked. */
const PROBE = "alert|prompt|confirm|eval|execScript|setTimeout|setInterval|setImmediate|Function|msSetImmediate|import";

/**
 * A compacted view of JavaScript: comments and whitespace around punctuation removed, string
 * concatenations (`"al"+"ert"`) joined and `["name"]` turned into `.name`.
 */
function compactJs(s: string): { js: string; raw: string } {
  let t = s.length > 4_096 ? s.slice(0, 4_096) : s;
  if (t.includes("/*")) t = t.replace(/\/\*[\s\S]{0,200}?\*\//g, "");
  t = t.replace(/\s+(?=[^\w$\s])|(?<=[^\w$\s])\s+/g, "");
  if (t.includes("+")) t = t.replace(/(["'`])\+\1/g, "");
  const raw = t;
  if (t.includes("[")) t = t.replace(/\[(["'`])([\w$]{1,40})\1\]/g, ".$2");
  return { js: t, raw };
}

/** At least four words in a row: prose, not code (code mentions in prose count only at PL2). */
const PROSE = /[A-Za-z\u00c0-\u024f]{2,}[,.]? [A-Za-z\u00c0-\u024f]{2,}[,.]? [A-Za-z\u00c0-\u024f]{2,}[,.]? [A-Za-z\u00c0-\u024f]{2,}/;

const CODE_START = "(?:^|[;,(){}\\[\\]=!?:&|+\\-*%^~<>`'\"])";
/** A probe/sink call in code position: `alert(1)`, `;alert(1)`, `alert\`1\``, `alert?.(1)`, `alert.call(…)`, `new Function(…)`. */
const JS_CALL = new RegExp(`${CODE_START}(?:new\\s?)?(?:(?:window|self|top|parent|globalThis|frames|this|document)\\.)?(${PROBE})(?:\\?\\.)?(?:\\(|\`|\\.(?:call|apply|bind)\\()`);
const PROBE_CALL = new RegExp(`${CODE_START}(?:${PROBE})\\(`);
/** A call named in a search or a sentence: `alert() vs console.log`, `eval() alternatives`. */
const MENTION = /\b(?:alert|prompt|confirm|eval|atob|btoa|setTimeout|setInterval|Function|import)\s?\([^()]{0,40}\)\s{1,4}[A-Za-z\u00c0-\u024f\u0400-\u04ff]{2,}/;
/** A probe passed around as a value: `(alert)(1)`, `[1].find(alert)`, `a=alert,a(1)`, `onerror=alert`. */
const JS_REF = new RegExp(`[(,=:](?:alert|prompt|confirm|eval)[),;]|[(,=](?:alert|prompt|confirm|eval)$`);
/** Global objects indexed with a computed name and called or chained: `top["al"+"ert"](1)`, `self[…][…]`. */
const JS_GLOBAL_INDEX = /(?:^|[^\w$.])(?:window|self|top|parent|globalThis|frames|this|content|document|\(document\))\[(?:[^\]]{1,80}\](?:\(|`)|['"`](?:alert|prompt|confirm|eval|execScript|setTimeout|setInterval|Function|constructor|document|cookie|domain|location|\$|jQuery|atob|fetch|open|name)['"`]\])/;
/** Tagged templates that call through `call`/`apply` or interpolate a probe: `[].sort.call\`${alert}\``. */
const JS_TEMPLATE = /\.(?:call|apply|bind)`|\$\{(?:alert|prompt|confirm|eval|top|self|window|parent|this|location|name)[}.\[(]/;
/** Cookie theft and DOM writes: `document.cookie`, `document.domain`, `document.write(`, `location=`. */
const DOM_SINK = /\bdocument\.(?:cookie|domain|write(?:ln)?\(|location|body\.(?:append|inner)|createElement\(|querySelector)|\bwindow\.(?:location|name|open\(|navigate)|\blocation\.(?:href|hash|search|replace\(|assign\()|(?:^|[;,({=])location=|\.(?:inner|outer)HTML=|\bString\.fromCharCode\(|\.constructor\.constructor\(|\.constructor\(['"`]|\bnavigator\.sendBeacon\(|\bXMLHttpRequest\b|\bnew Image\(\)\.src=/;
/** Calls on the same: `…(document.cookie)`, `document.cookie=…`, `+document.domain`. */
const DOM_USE = /[(+=,]document\.(?:cookie|domain)|document\.cookie=|document\.write(?:ln)?\(|\.(?:inner|outer)HTML=|\.(?:appendChild|insertAdjacentHTML)\(|\blocation(?:\.href)?=['"`]?(?:javascript|\/\/|https?:)|\bwindow\.open\(|\bnew Image\(\)\.src=|\bnavigator\.sendBeacon\(/;

function scanScript(s: string): Finding | null {
  if (!/[(`[=]|document|window/.test(s)) return null;
  const { js, raw } = compactJs(s);
  const prose = PROSE.test(s);
  let best: Finding | null = null;
  const take = (score: number, ruleId: string, pl?: 2 | 3) => {
    best = stronger(best, pl === undefined ? { ruleId, score } : { ruleId, score, pl });
  };

  // Breakout from a script string or a closing tag into code: `';alert(1)//`, `"-alert(1)-"`, `</script><script>`.
  const breakout =
    /(?:['"`]|<\/script>?)[\s)\]}]{0,20}[;,+\-*/|&^:?]{1,2}\s{0,10}[\w.[\]'"]{0,40}?(?:alert|prompt|confirm|eval|print|settimeout|setinterval|fetch|import|document|window|location|top|self|atob|constructor)\b/i;
  if (/<\/script[\s/]*>?\s{0,20}<script/i.test(s) || (/<\/script/i.test(s) && PROBE_CALL.test(js))) take(6, "xss-script-breakout");
  const call = JS_CALL.exec(js);
  if (call) {
    const name = call[1]!;
    const args = js.slice(call.index + call[0].length);
    if (breakout.test(s) && !prose) take(6, "xss-script-breakout");
    else if (prose || MENTION.test(s)) take(5, "xss-js-call", 2);
    else if (name === "import" || name === "Function" ? /^(?:new\s?)?Function\(|^import\(['"`]/.test(js) : true) {
      // Timers and `Function` run code given as a string; with a function argument they are ordinary code.
      const runsString = /^(?:set|msSet|Function)/.test(name) ? /^['"`]/.test(args) || /^new\s?Function\(\)$/.test(js) : true;
      take(runsString ? 5 : 2, "xss-js-call");
      if (!runsString) take(5, "xss-js-call", 2);
    }
  } else if (breakout.test(s)) take(prose ? 2 : 3, "xss-script-breakout");
  // The whole value is one call of a script built-in (`atob()`, `setInterval(code, 1)`): a probe or
  // a JSONP-style callback, not a snippet (snippets pass functions, not identifiers).
  if (!prose && !MENTION.test(s) && /^(?:new\s?)?(?:alert|prompt|confirm|eval|atob|btoa|setTimeout|setInterval|Function|execScript)\((?:[\w$.'"`]{0,40}(?:,\s?[\w$.'"`]{1,40}){0,3})?\);?$/.test(js)) take(5, "xss-js-call");
  if (!prose && /\bActiveXObject\(|\.parentWindow\.|\bexecScript\(/.test(js)) take(5, "xss-js-call");
  if (!prose && JS_REF.test(js) && /[\w$)\]]\(|`/.test(js)) take(5, "xss-js-call");
  if (JS_GLOBAL_INDEX.test(raw)) take(prose ? 3 : 5, "xss-js-obfuscation");
  // In a sentence, `` `Function.prototype.bind`. `` is markdown code, not a tagged template (unless it interpolates).
  if (JS_TEMPLATE.test(js)) take(prose && !s.includes("${") ? 3 : 6, "xss-js-obfuscation");
  // JSFuck: only `[]()!+` (and spaces), with the `+[]` / `![]` atoms it is built from.
  const fuck = /[[\]()!+ ]{4,}/.exec(s);
  if (fuck) {
    const atoms = fuck[0].trim().replace(/ /g, "+");
    if (/\+\[\]|!!\[\]|!\+\[\]|\[\]\[|!\[\]\+/.test(atoms) && /[![]/.test(atoms) && atoms.length >= 4) take(6, "xss-jsfuck");
  }
  // DOM sinks: used (called, assigned, passed on) in code → 5; the whole value is one sink
  // reference (`document.cookie`, `window.location`, a JSONP probe) → 5; mentioned in prose → PL2.
  if (DOM_SINK.test(js) || DOM_SINK.test(raw.replace(/^\((document|window)\)/, "$1"))) {
    const lone = /^[(\s.]*(?:document|window|self|top|parent|location|\(document\))[\w$.()'"]{0,60}$/.test(js.replace(/\.{3}/g, "")) && s.length <= 120;
    const obfuscated = /\/\*|\[['"`]/.test(s) || /(?:document|window|location)[\s/*]{0,40}\.[\s/*]{1,40}(?:cookie|domain|location|write|href)/.test(s.replace(/\/\*[\s\S]{0,200}?\*\//g, "/**/").replace(/document\.|window\.|location\./g, ""));
    if (obfuscated && !prose) take(6, "xss-dom-sink");
    else if ((DOM_USE.test(js) || lone || /^(?:document|window)\.[\w$.]{1,60}(?:\(|=)/.test(js)) && !prose) take(5, "xss-dom-sink");
    else take(5, "xss-dom-sink", 2);
  }
  // A string-evaluating call fed from the URL or the window name: `setTimeout(location.search.slice(1))`, `eval(location.hash…)`.
  if (!prose && /\b(?:eval|setTimeout|setInterval|execScript|Function)\((?:(?:window|self|top|document)\.)?(?:location\b|name\b|URL\b|documentURI\b|referrer\b)/.test(js)) take(6, "xss-dom-sink");
  return best;
}

/** Markup-free CSS and legacy behaviours that only exist to run script. */
function scanLoose(lower: string, markup: boolean, call: boolean): Finding | null {
  // Without `<` and `(` only an entity declaration or `-moz-binding` can be here.
  if (!markup && !call) {
    if (lower.includes("!entity") && /!entity\s{1,8}(?:%\s{1,8})?[\w.-]{1,40}\s{1,8}(?:system|public)\b/.test(lower)) return { ruleId: "xss-xml-entity", score: 6 };
    return lower.includes("-moz-binding") ? { ruleId: "xss-css-script", score: 6 } : null;
  }
  if (lower.includes("<!attlist") && /<!attlist\s[^>]{0,400}\son[a-z]{3,30}\s{1,8}cdata/.test(lower)) return { ruleId: "xss-event-handler", score: 6 };
  if (lower.includes("entity") && /!entity\s{1,8}(?:%\s{1,8})?[\w.-]{1,40}\s{1,8}(?:system|public)\b/.test(lower)) return { ruleId: "xss-xml-entity", score: 6 };
  if (lower.includes("-moz-binding") || /behaviou?r\s{0,8}:\s{0,8}url\s{0,8}\(/.test(lower)) return { ruleId: "xss-css-script", score: 6 };
  if (lower.includes("implementation") && /<\s{0,4}\??\s{0,4}import\s{0,8}(?:[a-z]{0,20}\s{0,8}=[^>]{0,80})?implementation/.test(lower)) return { ruleId: "xss-legacy-tag", score: 6 };
  if (/[:=]\s{0,8}expression\s{0,8}\(/.test(lower)) return { ruleId: "xss-css-script", score: 5 };
  if (lower.includes("schemalocation") || lower.includes("xinclude")) {
    if (/<[a-z]{1,20}:include\s[^>]{0,200}href\s{0,4}=/.test(lower) && /xmlns:[a-z]{1,20}\s{0,4}=\s{0,4}['"]?[^'">]{0,60}xinclude/.test(lower)) return { ruleId: "xss-xinclude", score: 6 };
    if (lower.length < 600 && /<[a-z][^>]{0,400}\sxsi:(?:nonamespace)?schemalocation\s{0,4}=\s{0,4}['"][^'"]{0,200}https?:\/\//.test(lower)) return { ruleId: "xss-xml-schema-location", score: 5 };
  }
  return null;
}

/** AngularJS / client-side template expressions that escape the sandbox or call a probe. */
function scanClientTemplate(lower: string): Finding | null {
  const at = lower.indexOf("{{");
  if (at === -1) return null;
  const inner = lower.slice(at, at + 600);
  if (/constructor|\$eval|\$on\b|\$emit|\$parent|alert\s*\(|prompt\s*\(|confirm\s*\(|__proto__|tostring\(\)\.constructor|\$new|fromcharcode|\bx=|this\[/.test(inner)) return { ruleId: "xss-client-template", score: 6 };
  return null;
}

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
  return out;
}

/**
 * The finding a detector reports (one per value): a PL1 finding that blocks, else a higher-level
 * one that would block there unless the PL1 signal is worth adding up (3 or more), else the stronger.
 */
function rank(f: Finding): number {
  const pl = f.pl ?? 1;
  if (pl === 1) return f.score >= 5 ? 100 + f.score : f.score >= 3 ? 50 + f.score : f.score;
  return f.score >= 5 ? 40 - pl : f.score - pl;
}

function stronger(a: Finding | null, b: Finding | null): Finding | null {
  if (a === null) return b;
  if (b === null) return a;
  return rank(b) > rank(a) ? b : a;
}

const RAWTEXT = "script|style|title|textarea|noscript|xmp|noembed|noframes|iframe";
/** Two closing tags of raw-text elements in a row (only separators between). */
const RAWTEXT_CLOSERS = new RegExp(`<\\/\\s{0,4}(?:${RAWTEXT})\\b[\\s/>]{0,8}<\\/\\s{0,4}(?:${RAWTEXT})\\b`, "i");

/** Words of script without markup, brackets or calls: a breakout after a quote (`';top…`), or a DOM sink (`document.cookie`, `location=…`). */
const PROBE_WORD = /alert|prompt|confirm|eval|print|settimeout|setinterval|fetch|import|document|window|location|top|self|atob|constructor/;
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
    if ((name.includes("on") || name.endsWith("formaction") || name.endsWith("srcdoc")) && HANDLER_BEFORE_EQ.test(lower.slice(Math.max(0, i - 72), i))) return true;
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
    if (best !== null && best.score >= 3 && /^\s{0,4}['"`]?\s{0,4}\/?>\s{0,4}(?:<\/[a-z]{1,10}>\s{0,4})?</i.test(s)) best = stronger(best, { ruleId: "xss-tag-breakout", score: 5 });
    best = stronger(best, scanOddTags(s));
    // `</style></title></textarea></script>`: closing the raw-text elements a value may land in, one after the other.
    if (s.includes("</") && RAWTEXT_CLOSERS.test(s)) best = stronger(best, { ruleId: "xss-tag-breakout", score: 5 });
  }
  if (s.includes("=") && handlerBeforeEq(lower)) best = stronger(best, scanHandlers(s, lower));
  if (s.includes(":")) best = stronger(best, scanSchemes(s, lower));
  if (call || markup || s.includes("[") || s.includes("${") || s.includes("+") || (/['"`]/.test(s) && PROBE_WORD.test(lower)) || DOM_WORD.test(lower)) best = stronger(best, scanScript(s));
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
  if (t.includes("<") || t.includes("=") || t.includes("(") || t.includes("`") || t.includes("[") || t.includes("{")) return true;
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
  if (v.lower.includes("+adw-") && /\+adw-\s{0,4}\/?[a-z]|\+adw-\+ac8-[a-z]/.test(v.lower)) return { ruleId: "xss-utf7", score: 6 };
  for (const alt of altViews(s)) {
    const f = scanAll(alt, alt.toLowerCase());
    if (f && (f.pl ?? 1) === 1 && f.score >= 5) best = stronger(best, { ruleId: "xss-obfuscated-markup", score: f.score });
  }
  // A value that is base64 of markup that runs script (`PHNjcmlwdD4…` is `<script>…`): decoded where it lands.
  if (s.charCodeAt(0) === 80 && s.length >= 16 && s.length <= 8_192 && /^[A-Za-z0-9+/]{16,}={0,2}$/.test(s)) {
    const decoded = base64Text(s);
    if (decoded !== null && decoded.includes("<")) {
      const f = scanAll(decoded, decoded.toLowerCase());
      if (f && (f.pl ?? 1) === 1 && f.score >= 5) best = stronger(best, { ruleId: "xss-encoded-markup", score: f.score });
    }
  }
  // US-ASCII with the high bit set (`¼script¾` is `<script>` to a 7-bit reader; NFKC made ¼ `1⁄4`):
  // a tag that runs script, or a matching open/close pair (`¼b¾…¼/b¾`).
  if (s.includes("\u2044") && /1\u20444|3\u20444/.test(s)) {
    const ascii = s.replace(/[\u00c2\u00d0]?1\u20444/g, "<").replace(/[\u00c2\u00d0]?3\u20444/g, ">").replace(/\u00c2?\u00a2/g, '"');
    const f = scanTags(ascii);
    if (f && f.score >= 5) best = stronger(best, { ruleId: "xss-obfuscated-markup", score: f.score });
    else if (/<([a-z]{1,12})>[^<]{0,200}<\/\1>/i.test(ascii)) best = stronger(best, { ruleId: "xss-obfuscated-markup", score: 5 });
  }
  return best;
}
