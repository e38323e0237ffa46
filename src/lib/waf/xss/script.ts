/**
 * Script without markup, for the XSS detector (`../xss.ts`), on a compacted view of JavaScript:
 * probe and sink calls in code position, breakouts from a script string, DOM sinks, JSFuck,
 * obfuscated global access and tagged templates; markup-free CSS and legacy behaviours; AngularJS
 * sandbox escapes; and how two findings are ranked.
 */
import { isSpace } from "../command/chars.ts";
import type { Finding } from "../types.ts";
import { PROSE } from "./tables.ts";

/** Identifiers that run code or are only called to prove an injection worked. */
const PROBE = "alert|prompt|confirm|eval|execScript|setTimeout|setInterval|setImmediate|Function|msSetImmediate|import";

/**
 * A compacted view of JavaScript: comments and whitespace around punctuation removed, string
 * concatenations (`"al"+"ert"`) joined and `["name"]` turned into `.name`.
 */
function compactJs(s: string): { js: string; raw: string } {
  let t = s.length > 4_096 ? s.slice(0, 4_096) : s;
  if (t.includes("/*")) t = t.replace(/\/\*[\s\S]{0,200}?\*\//g, "");
  t = withoutSpaceAroundPunctuation(t);
  if (t.includes("+")) t = t.replace(/(["'`])\+\1/g, "");
  const raw = t;
  if (t.includes("[")) t = t.replace(/\[(["'`])([\w$]{1,40})\1\]/g, ".$2");
  return { js: t, raw };
}

/** Punctuation in the sense of `[^\w$\s]`: neither a word character, `$`, nor white space. */
function isJsPunct(c: number): boolean {
  return !((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || isSpace(c));
}

/**
 * `t` without the runs of white space that have punctuation (`[^\w$\s]`) right before or right
 * after them (`a = b( c )` is `a=b(c)`; `let x` keeps its space). One pass; `t` itself when
 * there is nothing to remove.
 */
function withoutSpaceAroundPunctuation(t: string): string {
  const n = t.length;
  let out = "";
  let copied = 0;
  for (let i = 0; i < n; i++) {
    if (!isSpace(t.charCodeAt(i))) continue;
    let j = i + 1;
    while (j < n && isSpace(t.charCodeAt(j))) j++;
    if ((i > 0 && isJsPunct(t.charCodeAt(i - 1))) || (j < n && isJsPunct(t.charCodeAt(j)))) {
      out += t.slice(copied, i);
      copied = j;
    }
    i = j - 1;
  }
  return copied === 0 ? t : out + t.slice(copied);
}

const CODE_START = "(?:^|[;,(){}\\[\\]=!?:&|+\\-*%^~<>`'\"])";
/** A probe/sink call in code position: `alert(1)`, `;alert(1)`, `alert\`1\``, `alert?.(1)`, `alert.call(…)`, `new Function(…)`. */
const JS_CALL = new RegExp(
  `${CODE_START}(?:new\\s?)?(?:(?:window|self|top|parent|globalThis|frames|this|document)\\.)?(${PROBE})(?:\\?\\.)?(?:\\(|\`|\\.(?:call|apply|bind)\\()`,
);
const PROBE_CALL = new RegExp(`${CODE_START}(?:${PROBE})\\(`);
/** A call named in a search or a sentence: `alert() vs console.log`, `eval() alternatives`. */
const MENTION =
  /\b(?:alert|prompt|confirm|eval|atob|btoa|setTimeout|setInterval|Function|import)\s?\([^()]{0,40}\)\s{1,4}[A-Za-z\u00c0-\u024f\u0400-\u04ff]{2,}/;
/** A probe passed around as a value: `(alert)(1)`, `[1].find(alert)`, `a=alert,a(1)`, `onerror=alert`. */
const JS_REF = new RegExp(`[(,=:](?:alert|prompt|confirm|eval)[),;]|[(,=](?:alert|prompt|confirm|eval)$`);
/** Global objects indexed with a computed name and called or chained: `top["al"+"ert"](1)`, `self[…][…]`. */
const JS_GLOBAL_INDEX =
  /(?:^|[^\w$.])(?:window|self|top|parent|globalThis|frames|this|content|document|\(document\))\[(?:[^\]]{1,80}\](?:\(|`)|['"`](?:alert|prompt|confirm|eval|execScript|setTimeout|setInterval|Function|constructor|document|cookie|domain|location|\$|jQuery|atob|fetch|open|name)['"`]\])/;
/** A bracketed index or literal with no brackets inside (`['a']`, `[0]`). */
const INNER_INDEX = /\[[^[\]]{0,40}\]/g;
/**
 * Tagged templates that call through `call`/`apply` or interpolate a probe: `[].sort.call\`${alert}\``.
 * (Not a markdown code span that ends in `.call`: `` `Object.prototype.hasOwnProperty.call` ``
 * then a space, unless an interpolation follows (`` eval.call`,${name}` ``); nor `${this.name}` or
 * `${name}`, which templates in ordinary code interpolate: `this` counts with the window's
 * members, `${this.document.cookie}`.)
 */
const JS_TEMPLATE =
  /\.(?:call|apply|bind)`(?:(?![\s.,;:)\]]|$)|[^`]{0,200}\$\{)|\$\{(?:alert|prompt|confirm|eval|top|self|window|parent|location|this\s{0,4}\.\s{0,4}(?:document|location|alert|prompt|confirm|eval|constructor|top|window))[}.[(]/;
/** Cookie theft and DOM writes: `document.cookie`, `document.domain`, `document.write(` (or a tagged template), `location=`. */
const DOM_SINK =
  /\bdocument\.(?:cookie|domain|write(?:ln)?[(`]|location|body\.(?:append|inner)|createElement\(|querySelector)|\bwindow\.(?:location|name|open\(|navigate)|\blocation\.(?:href|hash|search|replace\(|assign\()|(?:^|[;,({=])location=|\.(?:inner|outer)HTML=|\bString\.fromCharCode\(|\.constructor\.constructor\(|\.constructor\(['"`]|\bnavigator\.sendBeacon\(|\bXMLHttpRequest\b|\bnew Image\(\)\.src=/;
/**
 * Whether `s` has one of the words every `DOM_SINK` match contains (a few substring searches cost
 * less than the expression's alternation at every position). Unwrapping `(document)` at the start
 * creates none of them.
 */
function domSinkWords(s: string): boolean {
  return (
    s.includes("document") ||
    s.includes("window") ||
    s.includes("location") ||
    s.includes("HTML=") ||
    s.includes("fromCharCode(") ||
    s.includes(".constructor") ||
    s.includes("sendBeacon(") ||
    s.includes("XMLHttpRequest") ||
    s.includes("Image()")
  );
}
/** Calls on the same: `…(document.cookie)`, `document.cookie=…`, `+document.domain`. */
const DOM_USE =
  /[(+=,]document\.(?:cookie|domain)|document\.cookie=|document\.write(?:ln)?[(`]|\.(?:inner|outer)HTML=|\.(?:appendChild|insertAdjacentHTML)\(|\blocation(?:\.href)?=['"`]?(?:javascript|\/\/|https?:)|\bwindow\.open\(|\bnew Image\(\)\.src=|\bnavigator\.sendBeacon\(/;

export function scanScript(s: string): Finding | null {
  if (!/[(`[=]|document|window/.test(s)) return null;
  const { js, raw } = compactJs(s);
  // Whether the value reads as a sentence: asked only once something script-like is found.
  let proseMemo: boolean | undefined;
  const prose = () => (proseMemo ??= PROSE.test(s));
  let best: Finding | null = null;
  const take = (score: number, ruleId: string, pl?: 2 | 3) => {
    best = stronger(best, pl === undefined ? { ruleId, score } : { ruleId, score, pl });
  };

  // Breakout from a script string or a closing tag into code: `';alert(1)//`, `"-alert(1)-"`, `</script><script>`.
  const breakout =
    /(?:['"`]|<\/script>?)[\s)\]}]{0,20}[;,+\-*/|&^:?]{1,2}\s{0,10}[\w.[\]'"]{0,40}?(?:alert|prompt|confirm|eval|print|settimeout|setinterval|fetch|import|document|window|location|top|self|atob|constructor)\b/i;
  if (/<\/script[\s/]*>?\s{0,20}<script/i.test(s) || (/<\/script/i.test(s) && PROBE_CALL.test(js)))
    take(6, "xss-script-breakout");
  const found = JS_CALL.exec(js);
  // A value that ends at the call's `(` (`/get/eval(`) is no call: a syntax error in any script it lands in.
  const call = found !== null && found[0].endsWith("(") && found.index + found[0].length === js.length ? null : found;
  if (call) {
    const name = call[1]!;
    const args = js.slice(call.index + call[0].length);
    if (breakout.test(s) && !prose()) take(6, "xss-script-breakout");
    else if (prose() || MENTION.test(s)) take(5, "xss-js-call", 2);
    else if (name === "import" || name === "Function" ? /^(?:new\s?)?Function\(|^import\(['"`]/.test(js) : true) {
      // Timers and `Function` run code given as a string; with a function argument they are ordinary code.
      const runsString = /^(?:set|msSet|Function)/.test(name)
        ? /^['"`]/.test(args) || /^new\s?Function\(\)$/.test(js)
        : true;
      take(runsString ? 5 : 2, "xss-js-call");
      if (!runsString) take(5, "xss-js-call", 2);
    }
  } else if (breakout.test(s)) take(prose() ? 2 : 3, "xss-script-breakout");
  // The whole value is one call of a script built-in (`atob()`, `setInterval(code, 1)`): a probe or
  // a JSONP-style callback, not a snippet (snippets pass functions, not identifiers).
  if (
    /^(?:new\s?)?(?:alert|prompt|confirm|eval|atob|btoa|setTimeout|setInterval|Function|execScript)\((?:[\w$.'"`]{0,40}(?:,\s?[\w$.'"`]{1,40}){0,3})?\);?$/.test(
      js,
    ) &&
    !MENTION.test(s) &&
    !prose()
  )
    take(5, "xss-js-call");
  if (/\bActiveXObject\(|\.parentWindow\.|\bexecScript\(/.test(js) && !prose()) take(5, "xss-js-call");
  if (JS_REF.test(js) && /[\w$)\]]\(|`/.test(js) && !prose()) take(5, "xss-js-call");
  // (Also with the name built from indexed literals inside: `window[['a'][0]+'lert'](1)`.)
  if (
    raw.includes("[") &&
    (JS_GLOBAL_INDEX.test(raw) || (raw.includes("][") && JS_GLOBAL_INDEX.test(raw.replace(INNER_INDEX, "x"))))
  )
    take(prose() ? 3 : 5, "xss-js-obfuscation");
  // In a sentence, `` `Function.prototype.bind`. `` is markdown code, not a tagged template (unless it interpolates).
  if (JS_TEMPLATE.test(js)) take(prose() && !s.includes("${") ? 3 : 6, "xss-js-obfuscation");
  // JSFuck: only `[]()!+` (and spaces), with the `+[]` / `![]` atoms it is built from.
  // (Every atom has a `[]`: without one there is nothing to look for.)
  const fuck = s.includes("[]") ? /[[\]()!+ ]{4,}/.exec(s) : null;
  if (fuck) {
    const atoms = fuck[0].trim().replace(/ /g, "+");
    if (/\+\[\]|!!\[\]|!\+\[\]|\[\]\[|!\[\]\+/.test(atoms) && /[![]/.test(atoms) && atoms.length >= 4)
      take(6, "xss-jsfuck");
  }
  // DOM sinks: used (called, assigned, passed on) in code → 5; the whole value is one sink
  // reference (`document.cookie`, `window.location`, a JSONP probe) → 5; mentioned in prose → PL2.
  if (
    (domSinkWords(js) && DOM_SINK.test(js)) ||
    (domSinkWords(raw) && DOM_SINK.test(raw.replace(/^\((document|window)\)/, "$1")))
  ) {
    const lone =
      /^[(\s.]*(?:document|window|self|top|parent|location|\(document\))[\w$.()'"]{0,60}$/.test(
        js.replace(/\.{3}/g, ""),
      ) && s.length <= 120;
    const obfuscated =
      /\/\*|\[['"`]/.test(s) ||
      /(?:document|window|location)[\s/*]{0,40}\.[\s/*]{1,40}(?:cookie|domain|location|write|href)/.test(
        s.replace(/\/\*[\s\S]{0,200}?\*\//g, "/**/").replace(/document\.|window\.|location\./g, ""),
      );
    if (obfuscated && !prose()) take(6, "xss-dom-sink");
    else if ((DOM_USE.test(js) || lone || /^(?:document|window)\.[\w$.]{1,60}(?:\(|=)/.test(js)) && !prose())
      take(5, "xss-dom-sink");
    else take(5, "xss-dom-sink", 2);
  }
  // A link or location given the script scheme in code: `a.protocol='javascript:'`.
  if (js.includes(".protocol=") && /\.protocol=['"`](?:javascript|vbscript):/i.test(js) && !prose())
    take(6, "xss-dom-sink");
  // A string-evaluating call fed from the URL or the window name: `setTimeout(location.search.slice(1))`, `eval(location.hash…)`.
  if (
    /\b(?:eval|setTimeout|setInterval|execScript|Function)\((?:(?:window|self|top|document)\.)?(?:location\b|name\b|URL\b|documentURI\b|referrer\b)/.test(
      js,
    ) &&
    !prose()
  )
    take(6, "xss-dom-sink");
  return best;
}

/** Markup-free CSS and legacy behaviours that only exist to run script. */
export function scanLoose(lower: string, markup: boolean, call: boolean): Finding | null {
  // Without `<` and `(` only an entity declaration or `-moz-binding` can be here.
  if (!markup && !call) {
    if (lower.includes("!entity") && /!entity\s{1,8}(?:%\s{1,8})?[\w.-]{1,40}\s{1,8}(?:system|public)\b/.test(lower))
      return { ruleId: "xss-xml-entity", score: 6 };
    return lower.includes("-moz-binding") ? { ruleId: "xss-css-script", score: 6 } : null;
  }
  if (lower.includes("<!attlist") && /<!attlist\s[^>]{0,400}\son[a-z]{3,30}\s{1,8}cdata/.test(lower))
    return { ruleId: "xss-event-handler", score: 6 };
  if (lower.includes("entity") && /!entity\s{1,8}(?:%\s{1,8})?[\w.-]{1,40}\s{1,8}(?:system|public)\b/.test(lower))
    return { ruleId: "xss-xml-entity", score: 6 };
  if (
    lower.includes("-moz-binding") ||
    (lower.includes("behavio") && /behaviou?r\s{0,8}:\s{0,8}url\s{0,8}\(/.test(lower))
  )
    return { ruleId: "xss-css-script", score: 6 };
  if (
    lower.includes("implementation") &&
    /<\s{0,4}\??\s{0,4}import\s{0,8}(?:[a-z]{0,20}\s{0,8}=[^>]{0,80})?implementation/.test(lower)
  )
    return { ruleId: "xss-legacy-tag", score: 6 };
  if (lower.includes("expression") && /[:=]\s{0,8}expression\s{0,8}\(/.test(lower))
    return { ruleId: "xss-css-script", score: 5 };
  if (lower.includes("schemalocation") || lower.includes("xinclude")) {
    if (
      /<[a-z]{1,20}:include\s[^>]{0,200}href\s{0,4}=/.test(lower) &&
      /xmlns:[a-z]{1,20}\s{0,4}=\s{0,4}['"]?[^'">]{0,60}xinclude/.test(lower)
    )
      return { ruleId: "xss-xinclude", score: 6 };
    if (
      lower.length < 600 &&
      /<[a-z][^>]{0,400}\sxsi:(?:nonamespace)?schemalocation\s{0,4}=\s{0,4}['"][^'"]{0,200}https?:\/\//.test(lower)
    )
      return { ruleId: "xss-xml-schema-location", score: 5 };
  }
  return null;
}

/** AngularJS / client-side template expressions that escape the sandbox or call a probe. */
export function scanClientTemplate(lower: string): Finding | null {
  const at = lower.indexOf("{{");
  if (at === -1) return null;
  const inner = lower.slice(at, at + 600);
  if (
    /constructor|\$eval|\$on\b|\$emit|\$parent|alert\s*\(|prompt\s*\(|confirm\s*\(|__proto__|tostring\(\)\.constructor|\$new|fromcharcode|\bx=|this\[/.test(
      inner,
    )
  )
    return { ruleId: "xss-client-template", score: 6 };
  return null;
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

export function stronger(a: Finding | null, b: Finding | null): Finding | null {
  if (a === null) return b;
  if (b === null) return a;
  return rank(b) > rank(a) ? b : a;
}
