/**
 * Server-side template injection. Template expressions are found by their delimiters
 * (`{{ }}`, `{% %}`, `${ }`, `#{ }`, `*{ }`, `@( )`, `<%= %>`, `<# … >`, `#set( )`, `[[ ]]`,
 * `{php}`) and what is *inside* them is scored: literal arithmetic (`7*7`, the universal probe),
 * object-graph walks (`__class__`, `__globals__`, `constructor.constructor`), and references to
 * runtime, OS or loader objects (`os.popen`, `getRuntime`, `?new()`, `_self.env`, `lipsum`).
 * Plain placeholders (`{{ user.name }}`, `${HOME}`, `#{name}`, `{% for x in items %}`) are how
 * templates are written and score 0 or 1.
 */
import { isSpace } from "./command/chars.ts";
import type { Finding, Inspected } from "./types.ts";

/** `e` without leading `{`/white space and trailing `}`/white space (one pass; a regex tried every position of a long run). */
function withoutBraces(e: string): string {
  let a = 0;
  let b = e.length;
  while (a < b && (e.charCodeAt(a) === 123 || isSpace(e.charCodeAt(a)))) a++;
  while (b > a && (e.charCodeAt(b - 1) === 125 || isSpace(e.charCodeAt(b - 1)))) b--;
  return e.slice(a, b);
}

const OPENER =
  /\{\{|\{%|[$#*@~]\{|<%[=-]?|\[\[|@\(|<#(?:assign|import|include|list|if)|#set\s{0,4}\(|#foreach|#evaluate|\{php\}|\{\$smarty|\{self::|\{system|\{if\s/gi;
const MAX_EXPRESSIONS = 32;
const MAX_INNER = 400;

const LITERAL_MATH =
  /(?:^|[\s({=])['"]?-?\d+(?:\.\d+)?['"]?\s{0,4}[*/%+-]\s{0,4}['"]?-?\d+(?:\.\d+)?['"]?\s{0,4}(?:[)}\];,]|$)/;
/**
 * The same in more clothes, which templates people write also wear (`{{ 60*60*24 }}`,
 * `{{ 1 + 1 == 2 }}`, `[[1,1/2],[1/2,1]]`): after a comma, in a chain (`3*4/2`; no `-`, so
 * dates and phone numbers are no chain), before a comparison (`'2' + '3' == 5`).
 */
const MORE_MATH =
  /(?:^|[\s({=,])['"]?-?\d+(?:\.\d+)?['"]?(?:\s{0,4}[*/%+]\s{0,4}['"]?-?\d+(?:\.\d+)?['"]?){1,4}\s{0,4}(?:[)}\];,]|[=!<>]=|$)/;
/** A number in parentheses in arithmetic (`typeof(86)+18`, FreeMarker's `(86)?c+(44)?c`; also `round(1) * 100`). */
const PAREN_MATH = /\(\s{0,4}-?\d+\s{0,4}\)(?:\?c)?\s{0,4}[*/%+-]\s{0,4}\(?\s{0,4}-?\d+/;
/** A range of numbers (`(1..3)|join`): rendered, it shows whether the engine evaluates. */
const NUMBER_RANGE = /\(\s{0,4}\d+\s{0,4}\.\.\s{0,4}\d+\s{0,4}\)/;
const DUNDER = /__[a-z]{2,20}__/;
// oxfmt-ignore
const STRONG = new RegExp(
  [
    "constructor\\s*\\.\\s*constructor", "['\"]constructor['\"]", "constructor\\s*\\(", "\\.constructor\\b", "getclass", "forname", "getruntime", "java\\.lang", "processbuilder",
    "popen", "subprocess", "os\\s*\\.\\s*(?:system|popen|exec|spawn)", "child_process", "mainmodule", "process\\s*\\.\\s*(?:binding|env|exit|mainmodule)",
    "globals", "builtins", "\\bmro\\b", "subclasses", "\\blipsum\\b", "\\bcycler\\b", "\\bjoiner\\b", "get_flashed_messages",
    "request\\s*\\.\\s*application", "_self\\s*\\.\\s*env", "registerundefinedfiltercallback", "getfilter", "\\?\\s*new\\s*\\(", "\\?\\s*(?:eval|interpret)\\b", "freemarker",
    "objectconstructor", "\\bt\\s*\\(\\s*java", "\\.exec\\s*\\(", "\\bsystem\\s*\\(", "\\beval\\s*\\(", "\\brequire\\s*\\(", "\\bimport\\s*\\(",
    "file\\s*\\.\\s*(?:read|open|write)", "io\\s*\\.\\s*(?:popen|read)", "\\bkernel\\b", "%x\\(", "`", "\\bspawn(?:sync)?\\s*\\(", "passthru", "shell_exec",
    "\\bsmarty\\b", "\\bphp\\b", "\\battr\\s*\\(", "\\|\\s*attr\\b", "from_pyfile", "\\bsend\\s*\\(\\s*:", "instance_eval", "class_eval", "\\bdir\\s*\\.\\s*(?:entries|glob)",
    "\\$class\\s*\\.", "\\.class\\s*\\.", "\\bclass\\s*\\.\\s*(?:forname|inspect|getclassloader)", "system\\.(?:diagnostics|io)", "\\bexecute\\b", "getstreamvariable",
    "url_for", "\\bself\\s*\\.\\s*_", "\\bnamespace\\s*\\.\\s*__", "\\bsettings\\s*\\.\\s*secret", "\\bconfig\\s*(?:\\.\\s*(?:items|from_|__|update)|\\[)", "\\bsettings\\s*\\[", "\\bglobal\\s*\\.\\s*process",
    "\\bthis\\s*\\.\\s*constructor", "\\breadfile\\b", "\\bnew\\s+(?:file|url|java\\.|processbuilder|scriptengine)", "getsession\\s*\\(", "setattribute\\s*\\(", "getattribute\\s*\\(", "\\bsigner\\s*\\.\\s*key\\b", "\\bchr\\s*\\(\\s*i\\s*\\)", "\\bfile_get_contents\\b", "\\binclude\\s*\\(\\s*['\"]?(?:/|\\.\\.|[a-z]+:)",
  ].join("|"),
);
const IIFE = /function\s{0,4}\([^)]{0,40}\)\s{0,4}\{[^]{0,300}\}\s{0,4}\)?\s{0,4}\(\s{0,4}\)/;
const FETCH_URL = /\bfetch\s{0,4}\(\s{0,4}['"`]https?:/;
/** Bare objects that are probes when they are the whole expression (`{{config}}`, `{{self}}`). */
const PROBE_NAMES = new Set(["config", "self", "settings", "_self", "dump()", "request.meta", "request.environ"]);

function closerFor(opener: string): string {
  if (opener.startsWith("{{")) return "}}";
  if (opener.startsWith("{%")) return "%}";
  if (opener.startsWith("<%")) return "%>";
  if (opener.startsWith("[[")) return "]]";
  if (
    opener.startsWith("@(") ||
    opener.startsWith("#set") ||
    opener.startsWith("#foreach") ||
    opener.startsWith("#evaluate")
  )
    return ")";
  if (opener.startsWith("<#")) return ">";
  return "}";
}

/** The expression text after an opener, up to its closer (nesting-aware for braces/parens). */
function innerAt(s: string, start: number, closer: string): string {
  const limit = Math.min(s.length, start + MAX_INNER);
  if (closer === "}" || closer === ")") {
    const open = closer === "}" ? "{" : "(";
    let depth = 1;
    for (let i = start; i < limit; i++) {
      const c = s[i];
      if (c === open) depth++;
      else if (c === closer && --depth === 0) return s.slice(start, i);
    }
    return s.slice(start, limit);
  }
  const end = s.indexOf(closer, start);
  // `[[ … ]]` inlining is always closed; an open `[[` is markdown (`[[`fe2a6b2`](…)] - **doc**: …`).
  if (closer === "]]" && (end === -1 || end > limit)) return "";
  return s.slice(start, end === -1 || end > limit ? limit : end);
}

/** Arithmetic through a filter (Django's `{{7|add:7}}`, Liquid's `{{7 | times: 7}}`). */
const NUMBER_FILTER =
  /^['"]?-?\d+['"]?\s{0,4}\|\s{0,4}(?:add|times|plus|minus|divided_by|modulo|multiply)\s{0,4}:\s{0,4}['"]?-?\d+['"]?$/;
/** Go templates printing literals only (`{{print "2614" "1450"}}`): the output shows the engine. */
const PRINT_LITERALS = /^(?:print|printf|println)(?:\s{1,4}(?:"[^"]{0,40}"|-?\d{1,12})){2,6}$/;

/** A method called on a string literal, also as a tag's or a call's argument (`{% raw 'a'.join('b') %}`, `${emit('a'.join('b'))}`). */
const LITERAL_CALL =
  /^(?:[a-z]{1,8}\s{1,4}|[a-z]{1,8}\s{0,4}\(\s{0,4})?['"][^'"]{0,40}['"]\s{0,4}\.\s{0,4}[a-z_]\w{0,30}\s{0,4}\(/;

function scoreExpression(opener: string, inner: string, inBody: boolean): number {
  const e = inner.trim().toLowerCase();
  if (e === "") return 0;
  if (DUNDER.test(e) || STRONG.test(e)) return 7;
  // A function defined and called, or a URL fetched, inside doT's `{{=`, EJS's `<%=`, Pug's `#{`…
  // (nuclei's out-of-band probes); not in JavaScript's own `${…}`, which posted code is full of.
  if (opener !== "${" && (e.includes("function") || e.includes("fetch")) && (IIFE.test(e) || FETCH_URL.test(e)))
    return 7;
  if (LITERAL_MATH.test(e)) return 6;
  // A method called on a string literal (`{{'x'.toUpperCase()}}`, `${"a".concat("b")}`), a range
  // of numbers, arithmetic as templates also write it: in a parameter, a test of whether the
  // engine evaluates; in a body, perhaps a template someone edits (`{{ "{:,}".format(n) }}`,
  // `{% for i in (1..5) %}`), so a signal only.
  const evaluates = LITERAL_CALL.test(e) || NUMBER_RANGE.test(e) || MORE_MATH.test(e) || PAREN_MATH.test(e);
  if (evaluates && !inBody) return 6;
  // Arithmetic through a filter, literals printed: in a parameter, probes; in a body, perhaps a
  // template's documentation (`{{ 1 | plus:1 }}`, `{{ print "foo" "bar" }} → foobar`).
  if (!inBody && (NUMBER_FILTER.test(e) || PRINT_LITERALS.test(e))) return 6;
  return Math.max(evaluates ? 3 : 1, tagScore(opener, e));
}

/** What a template tag or a bare object name scores by itself (0 when nothing). */
function tagScore(opener: string, e: string): number {
  if (PROBE_NAMES.has(withoutBraces(e))) return 5;
  // `{% include '/etc/passwd' %}`: template tags that load files by absolute or parent path.
  if (opener === "{%" && /^(?:debug|load\s+log|get_admin_log)\b/.test(e)) return 5;
  if (opener === "{%" && /^(?:include|import|extends|from|source)\s+['"]?(?:\/|\.\.|[a-z]:\\)/.test(e)) return 6;
  if (
    opener.startsWith("<#") ||
    opener.startsWith("{php") ||
    opener.startsWith("{$smarty") ||
    opener.startsWith("{self::") ||
    opener.startsWith("{system")
  )
    return 5;
  return 0;
}

/**
 * What template injections end up running, written directly: Python object-graph walks and
 * loaders (`''.__class__.__mro__`, `__import__('os')`, YAML `!!python/object/apply:`), Ruby
 * process calls (`Process.spawn("id")`, `IO.popen(…)`), Java objects built inside `${…}`, .NET
 * starting a process from a Razor expression (`@System.Diagnostics.Process.Start(…)`; C# code
 * starts programs too, `Process.Start("cmd.exe", …)`, so only Razor's `@` form counts).
 */
const CODE_INJECTION =
  /!!python\/(?:object|name|module)(?:\/(?:apply|new))?:|\b__import__\s{0,4}\(\s{0,4}['"]|['"\])]\s{0,4}\.\s{0,4}__(?:class|mro|subclasses|globals|builtins|init|base|bases|dict)__\b|\b__(?:globals|builtins|subclasses|mro)__\s{0,4}(?:\[|\.\s{0,4}[a-z_]|\()|\b(?:Process|Kernel|IO|Open3|PTY)\s{0,4}\.\s{0,4}(?:spawn|exec|system|popen[23e]?|capture[23]e?|pipeline\w{0,8}|fork)\s{0,4}\(|%x[({[]\s{0,4}#\{|@\s{0,4}System\s{0,4}\.\s{0,4}Diagnostics\s{0,4}\.\s{0,4}Process\s{0,4}\.\s{0,4}Start\s{0,4}\(/;

/**
 * Two or more sums of large numbers written without spaces (`{2611040540+3708664872}…{2360170016+1307286622}`,
 * `str(4869315108+2495676479)+…`) around code: how scanners (SSTImap, tplmap) mark where an
 * evaluated expression's output starts and ends (people put spaces around a `+`). Also the
 * template gate's test (`inspect.ts`).
 */
export function renderMarkers(s: string): boolean {
  if (!s.includes("+") || !/[({=;$]/.test(s)) return false;
  BIG_SUM.lastIndex = 0;
  return BIG_SUM.test(s) && BIG_SUM.test(s);
}
const BIG_SUM = /(?<!\d)\d{9,11}\+\d{9,11}(?!\d)/g;

/**
 * Single-brace arithmetic as scanners send it (ZAP's `zj{2614*1450}zj`, `{#…}`, `{@…}`; nuclei's
 * `{4821*7353}`): glued to letters on both sides (not a LaTeX command's: `\sqrt{6*23}cm`), or the whole value.
 */
const BRACE_MATH =
  /(?<![\\a-z])[a-z]{1,8}\{[#@]?-?\d{1,12}\s{0,4}\*\s{0,4}-?\d{1,12}\}[a-z]|^\s{0,4}\{[#@]?-?\d{1,12}\s{0,4}\*\s{0,4}-?\d{1,12}\}\s{0,4}$/i;
/**
 * A template expression between two runs of digits glued to it (`4821{{"7353"}}2916`,
 * `4821<%"x"%>7353`, `4821[[${session}]]7353`): scanners' markers around what an engine renders.
 * (Tried from the start of a run of digits only: from every digit of a long run it was quadratic.)
 */
const DIGIT_MARKED =
  /(?<!\d)\d{3,}(?:\{\{[^{}]{1,40}\}\}|[$#]\{[^{}]{1,40}\}|<%=?[^%]{1,40}%>|\[\[[^\]]{1,40}\]\])\d{3,}/;
/** Body values up to this long (on one line) are read for the probes below as parameters are. */
const SHORT_PROBE = 80;
/**
 * Template helpers doing arithmetic on literals: Dust's `{@math key="2614" method="multiply"
 * operand="1450"/}`, Smarty's `{math equation="7*7"}` (templates give them variables: `key=x`,
 * `equation="x * y" x=$height`).
 */
const HELPER_MATH =
  /\{@math\s{1,4}key\s{0,4}=\s{0,4}"-?\d{1,12}"\s{1,4}method\s{0,4}=\s{0,4}"[a-z]{2,10}"\s{1,4}operand\s{0,4}=\s{0,4}"-?\d{1,12}"|\{math\s{1,4}equation\s{0,4}=\s{0,4}["']-?\d{1,12}\s{0,4}[*/+%-]\s{0,4}-?\d{1,12}["']/i;

/** Template injection score of one (normalised) value. */
export function detectTemplate(v: Inspected): Finding | null {
  const s = v.text;
  if ((s.includes("__") || s.includes("!!") || s.includes("(") || s.includes("%x")) && CODE_INJECTION.test(s))
    return { ruleId: "template-code-injection", score: 7 };
  if (renderMarkers(s)) return { ruleId: "template-expression-probe", score: 6 };
  if (!/[{%#@[<]/.test(s)) return null;
  const inBody = v.field.kind === "body" || v.field.kind === "xml";
  // A form's field is a body value too: a short one on a single line is read as a parameter is.
  const shortValue = s.length <= SHORT_PROBE && !s.includes("\n");
  if ((!inBody || shortValue) && s.includes("{") && (BRACE_MATH.test(s) || HELPER_MATH.test(s)))
    return { ruleId: "template-expression-probe", score: 6 };
  if ((!inBody || shortValue) && DIGIT_MARKED.test(s)) return { ruleId: "template-expression-probe", score: 5 };
  let best = 0;
  let n = 0;
  const kinds = new Set<string>();
  OPENER.lastIndex = 0;
  for (let m = OPENER.exec(s); m !== null && n < MAX_EXPRESSIONS; m = OPENER.exec(s)) {
    n++;
    const opener = m[0].toLowerCase();
    kinds.add(opener.slice(0, 2));
    // Openers overlap (`${{…}}` is `${` and `{{`): look again one character later.
    OPENER.lastIndex = m.index + 1;
    // A `${jndi:…}` lookup is log4shell's, not a template expression.
    if (opener === "${" && /^\$\{\s*(?:jndi|\$\{|lower:|upper:|::-|env:|sys:)/i.test(s.slice(m.index, m.index + 12)))
      continue;
    const score = scoreExpression(opener, innerAt(s, m.index + m[0].length, closerFor(opener)), inBody);
    if (score > best) best = score;
    if (best >= 7) break;
  }
  // A polyglot probe (`${{<%[%'"}}%\.`): several template syntaxes crammed into a short value.
  if (best < 5 && kinds.size >= 3 && s.length <= 120) best = 5;
  return best > 0
    ? {
        ruleId: best >= 7 ? "template-object-access" : best >= 6 ? "template-expression-probe" : "template-expression",
        score: best,
      }
    : null;
}
