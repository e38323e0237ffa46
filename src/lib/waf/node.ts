/**
 * Node.js / server-side JavaScript injection and prototype pollution.
 *
 * - Runtime objects a payload reaches for: `require('child_process')`, `process.mainModule`,
 *   `process.binding(…)`, `global.process`, `this.constructor.constructor(…)`, bracket access
 *   (`process["env"]`, `require[…]`), `eval(String.fromCharCode(…))`, `new Function(…)`.
 * - Serialized functions that deserializers run: node-serialize's `_$$ND_FUNC$$_`, funcster's
 *   `__js_function`; also when the whole value is base64 of such text.
 * - Prototype pollution: `__proto__` / `constructor.prototype` in parameter names, JSON keys
 *   and key paths (`a[__proto__][x]`, `constructor[prototype][x]`), and as an access path in
 *   values (`"__proto__":{…}`, `__proto__.x=…`); React Server Components reference strings that
 *   walk to `constructor` or `__proto__` (`"$1:__proto__:then"`).
 * - Event-loop blocking with a constant-true loop (`while(true);`, `while(!0)`, `for(;;);`).
 *
 * A value that *is* a short statement counts more than the same words inside a code snippet:
 * `process.env` as the whole value is a probe, `const port = process.env.PORT` in a posted
 * snippet is code being shared; `console.log(…)` inside a loop body is not a call on its own.
 */
import { base64Text, decodeEscapes } from "./normalize.ts";
import type { Finding, Inspected } from "./types.ts";

/** Runtime reach that has no business in a parameter (anywhere in the value). */
const RUNTIME =
  /\bprocess\s{0,4}(?:\.\s{0,4}(?:mainmodule|binding|dlopen|kill|setuid|setgid|chdir|_linkedbinding|_getactivehandles)\b(?![ \t]{1,4}[a-z])|\[\s{0,4}(?:['"`]|[a-z_$]))|\brequire\s{0,4}\[(?![^\]\n]{0,80}\]\(https?:\/\/)|\bglobal(?:this)?\s{0,4}(?:\.\s{0,4}process\b|\[\s{0,4}['"`]process)|\bmainmodule\s{0,4}\.\s{0,4}(?:require|constructor)\b|\brequire\s{0,4}\.\s{0,4}main\s{0,4}\.\s{0,4}constructor|\b(?:this|[\w$\])]\s{0,4}\.\s{0,4}constructor)\s{0,4}\.\s{0,4}constructor\b|\bconstructor\s{0,4}\.\s{0,4}constructor\s{0,4}\(|[\w$)\]]\s{0,4}\.\s{0,4}constructor\s{0,4}\(\s{0,4}['"`][^'"`]{0,80}\b(?:return|process|require|global|this|eval|import)\b|\bgetprototypeof\s{0,4}\(\s{0,4}(?:async\s{1,4})?(?:function\b|\(\s{0,4}\)\s{0,4}=>)|\.\s{0,4}_load\s{0,4}\(\s{0,4}['"`]?(?:child_process|fs|vm|net)\b/i;
/** `require('child_process')`, `import('fs')`, `process.mainModule.require('vm')`. */
const REQUIRE_EXEC =
  /\b(?:require|import)\s{0,4}\(\s{0,4}['"`]\s{0,4}(?:node:)?(?:child_process|vm|worker_threads|inspector|v8)\s{0,4}['"`]\s{0,4}\)/i;
const REQUIRE_IO =
  /\b(?:require|import)\s{0,4}\(\s{0,4}['"`]\s{0,4}(?:node:)?(?:fs|fs\/promises|net|dgram|cluster|http|https|os|process)\s{0,4}['"`]\s{0,4}\)/i;
/** The value starts with the expression, or breaks out of a string into it. */
const AT_START =
  /^\s{0,4}(?:['"`]\s{0,4}(?:[+;,)]|\|\||&&)\s{0,4})?(?:\$\{|\{\{|#\{)?\s{0,4}(?:require|import|global|process)\b/i;
const CHILD_PROCESS_CALL =
  /\bchild_process\b[\s\S]{0,80}?\b(?:exec|execsync|spawn|spawnsync|execfile|execfilesync|fork)\b/i;
/** Code decoded and run: `eval(atob(…))`, `eval(Buffer('…','base64').toString())` (also glued to a number before it: `123eval(…)`). */
const EVAL_CHARCODE =
  /(?<![a-z_])(?:eval|function|settimeout|setinterval)\s{0,4}\(\s{0,4}(?:unescape\s{0,4}\(|atob\s{0,4}\(|string\s{0,4}\.\s{0,4}fromcharcode|buffer\s{0,4}(?:\.\s{0,4}from\s{0,4})?\()/i;
const NEW_FUNCTION = /\bnew\s{1,4}function\s{0,4}\(/i;
const SERIALIZED_FN = /_\$\$nd_func\$\$_|\b__js_function\b/i;
const RSC_REFERENCE = /["']\$[0-9a-f@]{0,8}:(?:[\w$]{1,40}:){0,6}(?:__proto__|constructor|prototype)\b/i;
const PROTO_ACCESS =
  /\b(?:Object|Function|Array|String)\s{0,4}\.\s{0,4}prototype\s{0,4}(?:\.\s{0,4}[\w$]{1,40}|\[[^\]]{1,40}\])\s{0,4}=(?!=)|__proto__\s{0,4}(?:\[(?![^\]\n]{0,80}\]\(https?:\/\/)|\.\s{0,4}[\w$]|['"]\s{0,4}[:\]])|\[\s{0,4}['"]?__proto__['"]?\s{0,4}\]|\bconstructor\s{0,4}(?:\.\s{0,4}prototype\b|\[\s{0,4}['"]?prototype\b)|\[\s{0,4}['"]?constructor['"]?\s{0,4}\]\s{0,4}\[\s{0,4}['"]?prototype\b/i;
/** A key or key path segment that reaches an object's prototype. */
const PROTO_NAME =
  /(?:^|[.[\]'"])__proto__(?:$|[.[\]'"])|(?:^|[.[\]'"])constructor['"]?\s{0,4}(?:\]\s{0,4}\[|\.)\s{0,4}['"]?prototype(?:$|[.[\]'"\s])|^__proto__$/i;
const CONSOLE_ESCAPED = /\\u00[0-9a-f]{2}|\\x[0-9a-f]{2}|\\u\{/i;
/** What a console statement prints that only an injection would: the runtime, modules, code; or a bare number (`console.info(1)`, the probe). */
const CONSOLE_REACH =
  /\b(?:process|require|global|globalThis|module|eval|Function|constructor|child_process|Buffer|__dirname|__filename|import)\b|\$\{|\(\s{0,4}\d{1,10}\s{0,4}\)/;
/**
 * `console["log"](1)`, `console.info.call(this,1)`: odd ways to reach a plain function (not
 * `console.log.bind(console)` kept as a logger, the statement ending there; called at once, it is one).
 */
const ODD_CALL =
  /\b(?:console|process|require|global|module|this)\s{0,4}\[\s{0,4}['"`][\w$]{1,30}['"`]\s{0,4}\]\s{0,4}\((?!https?:\/\/)|\bprocess\s{0,4}\.\s{0,4}[\w$]{1,20}\s{0,4}\.\s{0,4}(?:call|apply|bind)\s{0,4}\(|\bconsole\s{0,4}\.\s{0,4}[\w$]{1,20}\s{0,4}\.\s{0,4}(?:call|apply|bind)\s{0,4}\((?! {0,4}console {0,4}\)[ \t]{0,4}(?:[;,)\n]|$))/i;
/** The whole value is one statement (`console.info(1)`, `process.env`, `module.exports=`). */
const STATEMENT_CONSOLE =
  /^(?:console)\s{0,4}\.\s{0,4}(?:log|info|warn|error|debug|trace|dir|table)\s{0,4}\([^;{}\n]{0,80}\)\s{0,4};?$/i;
const STATEMENT_ENV =
  /^process\s{0,4}\.\s{0,4}env\b\s{0,4}(?:;|\)|\]|$)|^process\s{0,4}\.\s{0,4}(?:exit|abort|cwd|pid|version|versions|argv|platform|getuid)\b/i;
const BREAKOUT_ENV =
  /['"`]\s{0,4}(?:\+|;|\)|,|\|\||&&)\s{0,4}(?:process\s{0,4}\.\s{0,4}env|global\s{0,4}\.|require\s{0,4}\(|console\s{0,4}\.\s{0,4}\w+\s{0,4}\()|\$\{\s{0,4}(?:process|require|global)\b/i;
/**
 * In a field of a posted body, `'Sindre';` then `console.log(…)` on the next line is code: a
 * breakout into a console call must stay on one line unless what it prints is the runtime.
 * Into `process.env`, `global.` or `require(` it counts across lines (`x'⏎;process.env`).
 */
const BREAKOUT_ENV_LINE =
  /['"`]\s{0,4}(?:\+|;|\)|,|\|\||&&)\s{0,4}(?:process\s{0,4}\.\s{0,4}env|global\s{0,4}\.|require\s{0,4}\(|console\s{0,4}\.\s{0,4}\w+\s{0,4}\(\s{0,4}(?:process|require|global)\b)|['"`][ \t]{0,4}(?:\+|;|\)|,|\|\||&&)[ \t]{0,4}console\s{0,4}\.\s{0,4}\w+\s{0,4}\(|\$\{\s{0,4}(?:process|require|global)\b/i;
const MODULE_EXPORTS = /^module\s{0,4}\.\s{0,4}exports\s{0,4}=\s{0,4}(?!\{)/i;
const FUNCTION_HEAD = /^(?:async\s{1,4})?function\s{0,4}[\w$]{0,30}\s{0,4}\(\s{0,4}[\w$,\s]{0,40}\)\s{0,4}\{/i;
const LOOP = /\bwhile\s{0,4}\(|\bfor\s{0,4}\(\s{0,4};\s{0,4};\s{0,4}\)/gi;
// oxfmt-ignore
const FALSY = new Set(["false", "0", "-0", "+0", "null", "undefined", "nan", '""', "''", "``", "!true", "!1", "!!0", "!!null", "!!undefined", "void0"]);
const LITERALISH =
  /^[!+\-\s()]{0,12}(?:true|false|null|undefined|nan|-?infinity|\d{1,6}|""|''|``|\{\}|\[\]|this|string|number|object|array|boolean|date|new\s{0,4}date(?:\(\))?|new\s{0,4}object(?:\(\))?)[\s()]{0,6}$/i;
/** Whole values of base64 (or base64 with `\u` escapes) are decoded once and looked at again. */
const BASE64_WHOLE = /^[A-Za-z0-9+/]{12,}={0,2}$/;

function loopScore(s: string): number {
  if (!/while|for/i.test(s)) return 0;
  LOOP.lastIndex = 0;
  let best = 0;
  let n = 0;
  for (let m = LOOP.exec(s); m !== null && n < 16; m = LOOP.exec(s)) {
    n++;
    let end: number;
    if (m[0].toLowerCase().startsWith("for")) end = m.index + m[0].length;
    else {
      // The condition: up to the matching `)` (bounded).
      const start = m.index + m[0].length;
      let depth = 1;
      end = -1;
      for (let i = start; i < Math.min(s.length, start + 40); i++) {
        if (s[i] === "(") depth++;
        else if (s[i] === ")" && --depth === 0) {
          end = i + 1;
          break;
        }
      }
      if (end === -1) continue;
      const cond = s
        .slice(start, end - 1)
        .trim()
        .toLowerCase()
        .replace(/\s+/g, "");
      if (FALSY.has(cond) || !LITERALISH.test(cond)) continue;
      const bare = cond.replace(/[()]/g, "");
      if (FALSY.has(bare)) continue;
    }
    // What follows decides: `;`, nothing, or an empty body is a spin; `{ … }` is a loop with a body (a snippet).
    const after = s.slice(end, end + 12).replace(/\s+/g, "");
    if (after === "" || after.startsWith(";") || after.startsWith("{}") || after.startsWith(")"))
      best = Math.max(best, 6);
    else best = Math.max(best, 2);
  }
  return best;
}

/**
 * `probe`: the score of a harmless statement probe (`console.info(1)`, an open `function() {`),
 * 5 in parameters and raw bodies (CRS 934100 blocks them), 3 in a JSON or form field of a body,
 * where developers post code (`console.log('Done');`).
 */
function scoreText(s: string, raw: string, probe: number): Finding | null {
  let best: Finding | null = null;
  const take = (score: number, ruleId: string, pl?: 2 | 3) => {
    if (!best || score > best.score) best = pl === undefined ? { ruleId, score } : { ruleId, score, pl };
  };
  const l = s.toLowerCase();
  if (l.includes("_$$") || l.includes("__js_function")) {
    if (SERIALIZED_FN.test(l)) take(7, "node-serialized-function");
  }
  if (l.includes("__proto__") || l.includes("constructor") || l.includes("prototype")) {
    if (RSC_REFERENCE.test(s)) take(7, "node-prototype-pollution");
    else if (PROTO_ACCESS.test(s)) take(6, "node-prototype-pollution");
    else if (/[\w$\])]\s{0,4}\.\s{0,4}__proto__\b/.test(s)) take(5, "node-prototype-pollution");
    else if (l.includes("__proto__")) take(3, "node-prototype-pollution");
  }
  if (RUNTIME.test(s) || REQUIRE_EXEC.test(s)) take(7, "node-runtime-access");
  else if (REQUIRE_IO.test(s))
    take(
      AT_START.test(s) ||
        /\b(?:execsync|spawnsync|exec|spawn|writefilesync|unlinksync|readfilesync\s{0,4}\(\s{0,4}['"`]\/)\b/i.test(s)
        ? 6
        : 3,
      "node-runtime-access",
    );
  else if (l.includes("child_process")) take(CHILD_PROCESS_CALL.test(s) ? 6 : 3, "node-runtime-access");
  if (l.includes("(")) {
    if (EVAL_CHARCODE.test(s)) take(7, "node-code-eval");
    else if (NEW_FUNCTION.test(s)) take(5, "node-code-eval");
    if (ODD_CALL.test(s)) take(6, "node-code-eval");
  }
  // Environment gadgets of a polluted `child_process` spawn: `NODE_OPTIONS=--require …`.
  if (
    l.includes("node_options") &&
    /node_options['"]?\s{0,4}[:=]\s{0,4}['"]?\s{0,4}--(?:require|r\b|inspect|import|experimental-loader|loader|eval)/i.test(
      s,
    )
  )
    take(6, "node-prototype-pollution");
  const t = s.trim();
  // A line of posted code (`console.log('Done');`, `console.error(err)`) writes text to a log: a
  // probe only when what it prints reaches for the runtime (`console.log(process.env)`).
  if (STATEMENT_CONSOLE.test(t))
    take(CONSOLE_ESCAPED.test(raw) ? 7 : CONSOLE_REACH.test(t) ? probe : Math.min(probe, 3), "node-code-eval");
  if (STATEMENT_ENV.test(t)) take(5, "node-runtime-access");
  else if (/^process\s{0,4}\.\s{0,4}env\b/i.test(t)) take(3, "node-runtime-access");
  if (MODULE_EXPORTS.test(t)) take(5, "node-code-eval");
  if (FUNCTION_HEAD.test(t) && !/\}\s*;?\s*$/.test(t)) take(probe, "node-code-eval");
  if (l.includes("process") || l.includes("require") || l.includes("console") || l.includes("${")) {
    if ((probe < 5 ? BREAKOUT_ENV_LINE : BREAKOUT_ENV).test(s)) take(6, "node-runtime-access");
  }
  const loop = loopScore(s);
  if (loop > 0) take(loop, "node-event-loop-block");
  return best;
}

/** Node.js injection score of one (normalised) value. */
export function detectNode(v: Inspected): Finding | null {
  const s = v.text;
  if (v.field.kind === "name") {
    // Parameter names, JSON keys (and their key path), cookie names.
    const path = v.field.key ?? "";
    if (PROTO_NAME.test(s) || (path !== s && PROTO_NAME.test(path)) || /__proto__/i.test(s))
      return { ruleId: "node-prototype-pollution", score: 7 };
  }
  const probe = v.field.kind === "body" && v.field.key !== null ? 3 : 5;
  let best = scoreText(s, v.raw, probe);
  // A whole value of base64: decode once (and its `\u` escapes) and look again.
  const compact = s.trim();
  if (
    compact.length >= 12 &&
    compact.length <= 8192 &&
    BASE64_WHOLE.test(compact) &&
    /[A-Z]/.test(compact) &&
    /[a-z0-9]/.test(compact)
  ) {
    const decoded = base64Text(compact);
    if (decoded !== null && decoded.length > 0) {
      const text = decoded.includes("\\") ? decodeEscapes(decoded) : decoded;
      const f = scoreText(text, decoded, probe);
      if (f !== null && f.score >= 5 && (best === null || f.score > best.score))
        best = { ruleId: f.ruleId, score: f.score };
    }
  }
  return best;
}
