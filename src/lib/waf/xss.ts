/**
 * Cross-site scripting, by tokenizing markup the way an HTML parser does (tag names, then
 * attributes separated by whitespace or `/`, quoted or unquoted values, unclosed tags too)
 * and scoring what would execute script:
 *
 * - `<script`, event handler attributes on any tag (`<svg/onload=…>`, `<x onfocus=…>`),
 *   `srcdoc`, URL attributes (`href`, `src`, `action`, `formaction`, `xlink:href`, `data`, …)
 *   whose scheme is `javascript:`/`vbscript:`/`data:text/html` (with tabs, newlines and
 *   entities inside the scheme removed, as browsers do), CSS `expression(`/`url(javascript:`;
 * - `<iframe>`/`<object>`/`<embed>`/`<base>` as weaker signals (a CMS may embed a video);
 * - outside tags: a breakout from an attribute value into a known event handler
 *   (`" onmouseover="…`), a `javascript:` URL as the whole value or a markdown link target,
 *   and a breakout from a script string into a call (`';alert(1)//`).
 *
 * Plain HTML (`<b>`, `<a href="https://…">`, `<img src="x.png">`), `a < b`, emails in angle
 * brackets and code with comparisons do not execute anything and score 0.
 */
import type { Finding, Inspected } from "./types.ts";

/** Event handler names that also count outside a tag (attribute-breakout payloads). */
const EVENT_HANDLERS = new Set(
  (
    "abort afterprint animationend animationiteration animationstart auxclick beforecopy beforecut beforeinput " +
    "beforepaste beforeprint beforeunload begin blur cancel canplay canplaythrough change click close contextmenu " +
    "copy cuechange cut dblclick drag dragend dragenter dragleave dragover dragstart drop durationchange emptied " +
    "end ended error focus focusin focusout formdata fullscreenchange hashchange input invalid keydown keypress " +
    "keyup load loadeddata loadedmetadata loadend loadstart message mousedown mouseenter mouseleave mousemove " +
    "mouseout mouseover mouseup mousewheel offline online pagehide pageshow paste pause play playing pointerdown " +
    "pointerenter pointerleave pointermove pointerout pointerover pointerrawupdate pointerup popstate progress " +
    "ratechange repeat reset resize scroll scrollend search seeked seeking select selectionchange selectstart show " +
    "stalled start storage submit suspend timeupdate toggle touchend touchmove touchstart transitioncancel " +
    "transitionend transitionrun transitionstart unload volumechange waiting wheel contentvisibilityautostatechange " +
    "beforetoggle bounce finish readystatechange"
  )
    .split(" ")
    .map((n) => `on${n}`),
);

const URL_ATTRS = new Set(["href", "src", "action", "formaction", "data", "xlink:href", "background", "poster", "dynsrc", "lowsrc", "code", "codebase", "to", "from", "values", "by", "ping", "manifest", "cite", "longdesc", "usemap", "profile", "classid", "archive", "content", "icon", "srcset", "folder", "datasrc"]);
const EMBED_TAGS = new Set(["iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal", "fencedframe"]);
const SCRIPT_SCHEME = /^(?:javascript|vbscript|livescript|mocha|jscript):|^data:(?:text\/html|application\/(?:xhtml|x-javascript|javascript|ecmascript)|text\/(?:javascript|xml)|image\/svg)/;
const CSS_SCRIPT = /expression\s{0,8}\(|url\s{0,8}\(\s{0,8}['"]?\s{0,8}(?:javascript|vbscript|data:text\/html)|-moz-binding|behavior\s{0,8}:|@import\s{0,8}['"]?\s{0,8}(?:javascript|data:)/;
const SINK_CALL = /\b(?:alert|prompt|confirm|eval|print|settimeout|setinterval|function|atob|fetch|import)\s*(?:\(|`)|\bdocument\s*\.\s*(?:cookie|domain|write|location)|\bwindow\s*\.\s*(?:location|name|open)|\blocation\s*(?:\.\s*href\s*)?=|\btop\s*\[|\bself\s*\[|\bstring\s*\.\s*fromcharcode|\bconstructor\s*\(|\[\s*['"]constructor['"]\s*\]/;

const MAX_TAGS = 256;
const MAX_ATTRS = 64;

interface Attr {
  name: string;
  value: string | null;
}

function isSpaceOrSlash(c: string): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === "/";
}

/** Parses attributes from `i` to `>` (or the end, for unclosed tags). Returns the attributes and where it stopped. */
function parseAttrs(s: string, i: number): { attrs: Attr[]; end: number } {
  const attrs: Attr[] = [];
  const n = s.length;
  while (i < n && attrs.length < MAX_ATTRS) {
    while (i < n && isSpaceOrSlash(s[i]!)) i++;
    // `>` ends the tag; `<` starts another one (unclosed tags nest in payloads like `<scr<script>ipt>`).
    if (i >= n || s[i] === ">" || s[i] === "<") break;
    let j = i;
    // An attribute name runs to whitespace, `/`, `>` or `=` (a leading `=` belongs to the name).
    if (s[j] === "=") j++;
    while (j < n && !isSpaceOrSlash(s[j]!) && s[j] !== ">" && s[j] !== "=") j++;
    const name = s.slice(i, j);
    i = j;
    while (i < n && (s[i] === " " || s[i] === "\t" || s[i] === "\n" || s[i] === "\r" || s[i] === "\f")) i++;
    if (s[i] !== "=") {
      attrs.push({ name, value: null });
      continue;
    }
    i++;
    while (i < n && (s[i] === " " || s[i] === "\t" || s[i] === "\n" || s[i] === "\r" || s[i] === "\f")) i++;
    const q = s[i];
    if (q === '"' || q === "'" || q === "`") {
      const close = s.indexOf(q, i + 1);
      const end = close === -1 ? n : close;
      attrs.push({ name, value: s.slice(i + 1, end) });
      i = end + 1;
    } else {
      let k = i;
      while (k < n && !/[\s>]/.test(s[k]!)) k++;
      attrs.push({ name, value: s.slice(i, k) });
      i = k;
    }
  }
  return { attrs, end: i };
}

/** A URL as the browser resolves its scheme: entity-decoded text with whitespace and controls removed. */
function schemeOf(value: string): string {
  return value.replace(/[\s\x00-\x1f]+/g, "").toLowerCase();
}

/** A `javascript:` URL that runs something (not `javascript:void(0)`). */
function runsScript(url: string): boolean {
  const body = url.slice(url.indexOf(":") + 1);
  return /[\w$\]]\s*[(`]|[=.]|\/\/|\\u|%[0-9a-f]{2}/i.test(body.replace(/^void\s*\(?\s*0\s*\)?;?$/i, ""));
}

function scoreTag(tag: string, attrs: Attr[], after: string): Finding | null {
  let best: Finding | null = null;
  const take = (score: number, ruleId: string) => {
    if (!best || score > best.score) best = { ruleId, score };
  };
  if (tag === "script") {
    // `<script>alert(1)</script>`, `<script src=…>`; a question about "the <script> tag" is prose.
    const code = /^[^<]{0,200}?(?:[(`=;[]|<\/script)/i.test(after) || attrs.some((a) => a.value !== null);
    take(code ? 7 : 3, "xss-script-tag");
  }
  for (const a of attrs) {
    const name = a.name.toLowerCase();
    if (name.length > 2 && name.startsWith("on") && /^on[a-z]+$/.test(name) && a.value !== null) {
      // JSX in a code snippet (`onClick={handler}`) is code, not markup that runs: weaker.
      take(a.value.trimStart().startsWith("{") ? 3 : 7, "xss-event-handler");
    } else if (name === "srcdoc" && a.value !== null) take(6, "xss-srcdoc");
    else if (a.value !== null && URL_ATTRS.has(name) && SCRIPT_SCHEME.test(schemeOf(a.value))) {
      const url = schemeOf(a.value);
      take(url.startsWith("data:") || runsScript(url) ? 7 : 2, "xss-script-url");
    }
    else if (name === "style" && a.value !== null && CSS_SCRIPT.test(a.value.toLowerCase())) take(5, "xss-css-script");
    else if (name === "attributename" && a.value !== null && /^on[a-z]+$/i.test(a.value.trim())) take(6, "xss-event-handler");
    else if (name === "http-equiv" && a.value !== null && /refresh|set-cookie/i.test(a.value)) take(4, "xss-meta-refresh");
  }
  if (EMBED_TAGS.has(tag)) take(tag === "iframe" || tag === "frame" ? 3 : 4, "xss-embedding-tag");
  if (tag === "style" || tag === "link" || tag === "meta") take(1, "xss-markup");
  return best;
}

function isLetter(c: string | undefined): boolean {
  return c !== undefined && ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z"));
}

/** XSS score of one (normalised) value. */
export function detectXss(v: Inspected): Finding | null {
  const s = v.text;
  const lower = v.lower;
  let best: Finding | null = null;
  const take = (f: Finding | null) => {
    if (f && (!best || f.score > best.score)) best = f;
  };

  // Tags.
  let tags = 0;
  for (let i = s.indexOf("<"); i !== -1 && tags < MAX_TAGS; i = s.indexOf("<", i + 1)) {
    const c = s[i + 1];
    if (!isLetter(c)) continue;
    tags++;
    let j = i + 2;
    while (j < s.length && !isSpaceOrSlash(s[j]!) && s[j] !== ">" && s[j] !== "<") j++;
    const tag = s.slice(i + 1, j).toLowerCase();
    const { attrs, end } = parseAttrs(s, j);
    take(scoreTag(tag, attrs, s.slice(end + 1, end + 400)));
    if (best !== null && (best as Finding).score >= 7) return best;
    i = Math.max(i, end - 1);
  }

  // Attribute breakout: a quote, then attributes with a known event handler (`" autofocus onfocus="…`).
  for (const q of ['"', "'", "`"]) {
    const at = s.indexOf(q);
    if (at === -1) continue;
    const { attrs } = parseAttrs(s, at + 1);
    for (const a of attrs) {
      if (a.value !== null && EVENT_HANDLERS.has(a.name.toLowerCase())) take({ ruleId: "xss-attribute-breakout", score: 6 });
      if (a.value !== null && a.name.toLowerCase() === "style" && CSS_SCRIPT.test(a.value.toLowerCase())) take({ ruleId: "xss-css-script", score: 5 });
    }
  }

  // `javascript:` URLs: the whole value, after `(`/`=`/a quote (markdown links, attribute values).
  if (lower.includes("script:") || lower.includes("data:")) {
    const compact = schemeOf(s);
    if (SCRIPT_SCHEME.test(compact)) take({ ruleId: "xss-script-url", score: compact.startsWith("data:") || runsScript(compact) ? 6 : 2 });
    else {
      const m = /[(="'\]>/]\s{0,16}((?:javascript|vbscript)\s{0,8}:[^\s)"'>]{1,200})|\]\(\s{0,8}data:text\/html/.exec(lower);
      if (m) take({ ruleId: "xss-script-url", score: m[1] === undefined || runsScript(schemeOf(m[1])) ? 6 : 2 });
    }
  }

  // Script-context breakout: a quote or `</script>`, then a separator, then a sink (`';alert(1)//`, `"-alert(1)-"`).
  if (SINK_CALL.test(lower)) {
    const breakout = /(?:['"`]|<\/script>?)[\s)\]}]{0,20}[;,+\-*/|&^]{1,2}\s{0,10}[\w.[\]'"]{0,40}?(?:alert|prompt|confirm|eval|print|settimeout|setinterval|fetch|import|document|window|location|top|self|atob|constructor)\b/;
    take({ ruleId: "xss-script-breakout", score: breakout.test(lower) ? 6 : 2 });
  }
  return best;
}
