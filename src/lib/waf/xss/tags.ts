/**
 * Markup for the XSS detector (`../xss.ts`): tags tokenized the way an HTML parser does (tag
 * names, then attributes separated by whitespace or `/`, quoted or unquoted values, unclosed tags
 * too; namespaced tags count as their local name), the scoring of a tag and its attributes
 * (script tags, event handlers, script URLs, CSS that runs script, meta refresh, base, link,
 * plug-in and legacy tags), and tag names spelled to slip past filters (`<f o r m`).
 */
import { base64Text } from "../normalize.ts";
import type { Finding } from "../types.ts";
import { DEAD_SCHEME, LEGACY_TAGS, PLUGIN_TAGS, PROSE, SCRIPT_SCHEME, SPACED_TAGS, URL_ATTRS } from "./tables.ts";

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
export function schemeOf(value: string): string {
  return value
    .replace(
      /[\s\x00-\x20\x7f-\xa0\u00c2\u00e2\u00e3\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff]+/g,
      "",
    )
    .toLowerCase();
}

/** A `javascript:` URL that runs something (not `javascript:void(0)` or a bare scheme). */
export function runsScript(url: string): boolean {
  if (DEAD_SCHEME.test(url)) return true;
  const body = url.slice(url.indexOf(":") + 1);
  return /[\w$\]]\s*[(`]|[=.\\]|\/\/|%[0-9a-f]{2}|^\w+:/i.test(body.replace(/^void\s*\(?\s*0\s*\)?;?$/i, ""));
}

/** CSS with escapes (`\0065`, `\e`) and comments undone, as the CSS parser sees it. */
export function cssText(css: string): string {
  let t = css;
  if (t.includes("\\"))
    t = t
      .replace(/\\([0-9a-fA-F]{1,6})\s?/g, (_m, h: string) =>
        String.fromCodePoint(Math.min(parseInt(h, 16), 0x10ffff) || 0xfffd),
      )
      .replace(/\\(?=[^\n])/g, "");
  if (t.includes("/*")) t = t.replace(/\/\*[\s\S]{0,400}?\*\//g, "");
  return t.replace(/[\x00-\x08\x0e-\x1f]/g, "").toLowerCase();
}

const CSS_SCRIPT =
  /expression\s{0,8}\(|url\s{0,8}\(\s{0,8}['"]?\s{0,8}(?:javascript|vbscript|livescript|data:\s{0,8}(?:text\/html|image\/svg|application))|-moz-binding|behaviou?r\s{0,8}:\s{0,8}url|@import|javascript\s{0,8}:|vbscript\s{0,8}:/;

function scoreCss(css: string): number {
  const t = cssText(css);
  if (CSS_SCRIPT.test(t)) return 6;
  // Escapes or comments in the middle of words hide keywords (`@im\port`, `expr/**/ession`).
  return /\\[0-9a-z]/i.test(css) && /[(@:]/.test(css) && /\\\w[^;]{0,40}\(|@\\?i|\w\\\w/i.test(css) ? 5 : 0;
}

/** A probe call (`alert(1)`, `.confirm\`1\``, `eval(…)`): what an injected handler runs to show it worked. */
const PROBE_CALL = /\b(?:alert|prompt|confirm|eval)\s{0,4}[(`]/;
/** Nothing but the end of a tag after it: white space, then an optional `/`, then an optional `>` (what `/^\s*\/?\s*>?\s*$/` says, in one pass). */
function onlyTagEnd(after: string): boolean {
  let t = after.trim();
  if (t.startsWith("/")) t = t.slice(1).trimStart();
  if (t.startsWith(">")) t = t.slice(1).trimStart();
  return t === "";
}

/** `script`, `'script'`, ` "SCRIPT" `: a value that names the script element (without a backtracking expression). */
function namesScript(value: string): boolean {
  let t = value.trim();
  if (t.length > 0 && QUOTE_CHARS.includes(t[0]!)) t = t.slice(1);
  if (t.length > 0 && QUOTE_CHARS.includes(t[t.length - 1]!)) t = t.slice(0, -1);
  return t.trim().toLowerCase() === "script";
}
const QUOTE_CHARS = "'\"`";
const PY_SCRIPT_TAGS = new Set(["py-script", "mpy-script", "py-repl", "mpy-repl"]);

function scoreTag(tag: string, attrs: Attr[], after: string, prefix: string): Finding | null {
  let best: Finding | null = null;
  const take = (score: number, ruleId: string) => {
    if (score > 0 && (!best || score > best.score)) best = { ruleId, score };
  };
  if (tag === "script") {
    // `<script>alert(1)</script>`, `<script src=…>`, `<script>x` glued to code; a question about
    // "the <script> tag" is prose.
    const glued = after.length > 0 && !isHtmlSpace(after[0]) && after[0] !== "<";
    const code =
      glued ||
      /^[^<]{0,200}?[(`=;[]/.test(after) ||
      /<\/script/i.test(after) ||
      attrs.some((a) => a.value !== null || a.name.length > 0);
    // `<script>` as the end of a value that is not a sentence: an unclosed injection.
    const unclosed = after.trim() === "" && !PROSE.test(prefix);
    take(code ? 7 : unclosed ? 5 : 3, "xss-script-tag");
  }
  // PyScript's elements run the Python inside them in the page (`<py-script>…</py-script>`).
  if (PY_SCRIPT_TAGS.has(tag) && (/<\/\s{0,4}m?py-/i.test(after) || /^[^<]{0,200}?[(`=;[]/.test(after)))
    take(6, "xss-script-tag");
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
    // Vue's handler shorthands (`@error=…`, `v-on:click=…`) run in templates a page compiles from
    // its input; code posts hold them too, so only a probe call counts.
    else if ((name.startsWith("@") || name.startsWith("v-on:")) && PROBE_CALL.test(value)) take(6, "xss-event-handler");
    // Vue's dynamic component made a script element: `<x is=script src=…>`, `:is="'script'"`.
    else if ((name === "is" || name === ":is" || name === "v-bind:is") && namesScript(value)) take(6, "xss-script-tag");
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
      } else if (isMeta && /(?:url=|;)\s{0,4}['"]?(?:javascript|vbscript|data):/.test(url)) take(7, "xss-script-url");
      else if (name === "href" && tag === "base") take(6, "xss-resource-tag");
      else if ((name === "src" || name === "data" || name === "code" || name === "classid") && PLUGIN_TAGS.has(tag))
        take(6, "xss-plugin-tag");
    } else if (name === "attributename" && /^\s*(?:on[a-z]+|href|xlink:href)\s*$/i.test(value))
      take(6, "xss-event-handler");
    else if (name === "http-equiv") {
      if (/refresh|set-cookie|link|content-security|default-style/i.test(value)) refresh = true;
      else if (/content-type/i.test(value)) take(3, "xss-meta-refresh");
    } else if (name === "charset" && isMeta && !/^\s*(?:utf-?8|iso-8859-1|windows-1252|us-ascii)\s*$/i.test(value))
      take(6, "xss-meta-charset");
    else if (name === "allowscriptaccess" && /always/i.test(value)) take(7, "xss-plugin-tag");
    else if (name === "implementation" || name === "datasrc" || name === "datafld" || name === "dataformatas")
      take(5, "xss-legacy-tag");
    else if (value.includes("&{") && /&\{[^}]{0,200}\}/.test(value)) take(6, "xss-script-entity");
  }
  if (isMeta) {
    const content = attrs.find((a) => a.name.toLowerCase() === "content")?.value ?? "";
    if (refresh) take(6, "xss-meta-refresh");
    if (/charset\s{0,4}=\s{0,4}(?!utf-?8|iso-8859-1|windows-1252)[a-z]/i.test(content)) take(6, "xss-meta-charset");
    // Browsers put `<meta charset="utf-8">` on copied HTML; the tag alone as a value is a probe.
    if (attrs.some((a) => a.name.toLowerCase() === "charset" && a.value !== null))
      take(onlyTagEnd(after) ? 5 : 3, "xss-meta-charset");
  }
  if (tag === "base") take(attrs.some((a) => a.name.toLowerCase() === "href") ? 6 : 4, "xss-resource-tag");
  if (tag === "link" && attrs.some((a) => /^href/i.test(a.name))) {
    // A style sheet or script from anywhere restyles or runs in the page; an icon does not.
    const rel = attrs.find((a) => a.name.toLowerCase() === "rel")?.value ?? null;
    const loads =
      rel === null ||
      /stylesheet|import|preload|prefetch|script|manifest|prerender/i.test(rel) ||
      attrs.some((a) => a.name.toLowerCase() === "type" && /script/i.test(a.value ?? ""));
    take(loads ? 5 : 2, "xss-resource-tag");
  }
  if (PLUGIN_TAGS.has(tag)) take(tag === "applet" ? 6 : 5, "xss-plugin-tag");
  if (LEGACY_TAGS.has(tag) && (attrs.length > 0 || tag === "vmlframe" || tag === "import"))
    take(tag === "xss" ? 3 : 5, "xss-legacy-tag");
  // `'';!--"<XSS>=&{()}`: the filter probe, an `<xss>` element right after a quote that closes a string or attribute.
  if (tag === "xss" && /['"`][^<>]{0,16}$/.test(prefix)) take(5, "xss-tag-breakout");
  if (tag === "style") {
    const body = after.slice(0, 400).split(/<\/style/i)[0]!;
    take(scoreCss(body), "xss-css-script");
    // Escapes in a style sheet hide keywords (`@im\port`, `\ja\vasc\ript`).
    if (/[@:=]\s{0,8}[^;{}]{0,40}\\|\\[0-9a-f]{1,6}[^0-9a-f\s]|@\s{0,4}\\/i.test(body)) take(5, "xss-css-script");
  }
  if (tag === "iframe" || tag === "frame" || tag === "frameset" || tag === "portal" || tag === "fencedframe")
    take(3, "xss-embedding-tag");
  if (tag === "link" || tag === "meta" || tag === "math" || tag === "svg") take(1, "xss-markup");
  return best;
}

function isLetter(c: string | undefined): boolean {
  return c !== undefined && ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z"));
}

/** Scans every `<` that starts a tag (or a namespaced / `<?import` one). */
export function scanTags(s: string): Finding | null {
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
export function scanOddTags(s: string): Finding | null {
  const re =
    /<\s{0,4}((?:[a-z]\s{1,3}){2,12}[a-z])(?![a-z])|<\s{0,4}[a-z]{0,10}\s{0,4}:\s{0,4}([a-z]{3,12})(?![a-z])/gi;
  let m: RegExpExecArray | null;
  let n = 0;
  while ((m = re.exec(s)) !== null && n++ < 64) {
    const name = (m[1] ?? m[2] ?? "").replace(/\s+/g, "").toLowerCase();
    if (m[1] !== undefined ? SPACED_TAGS.has(name) : SPACED_TAGS.has(name) && /\s/.test(m[0]))
      return { ruleId: "xss-obfuscated-tag", score: 5 };
  }
  return null;
}
