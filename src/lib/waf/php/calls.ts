/**
 * PHP calls, for the PHP injection detector (`../php.ts`): the tables of PHP functions
 * (distinctive, word-like, dangerous, callback-taking, decoders), superglobals, and the shapes of
 * calls: named calls in code position or disguised with comments and line breaks, variable
 * functions (`$f(…)`, `${'a'}(…)`, `$obj->$m()`) and callable expressions (`(system)('id')`,
 * `"sys"."tem"(…)`).
 */
import type { Inspected } from "../types.ts";

export const SUPERGLOBAL =
  /\$_(?:GET|POST|REQUEST|COOKIE|SERVER|FILES|ENV|SESSION)\s*(?:\[|\{|=|;|\)|,|$)|\$GLOBALS\s*\[|\$HTTP_(?:GET|POST|RAW_POST|COOKIE|SERVER)_VARS|\$_(?:GET|POST|REQUEST)\b/;

/** Distinctive PHP functions: their name followed by `(` is PHP in any position. */
// oxfmt-ignore
const DISTINCTIVE = new Set([
  "base64_decode", "bzdecompress", "call_user_func", "call_user_func_array", "create_function", "forward_static_call", "forward_static_call_array",
  "fsockopen", "pfsockopen", "stream_socket_client", "stream_socket_server", "stream_get_contents", "socket_create", "gzdecode", "gzinflate", "gzuncompress",
  "gzopen", "zlib_decode", "str_rot13", "convert_uudecode", "shell_exec", "proc_open", "proc_close", "proc_nice", "proc_terminate", "proc_get_status",
  "pcntl_exec", "pcntl_fork", "get_defined_functions", "get_defined_vars", "get_defined_constants", "get_current_user", "getmypid", "getmyuid", "getmygid",
  "curl_init", "curl_exec", "curl_multi_exec", "curl_setopt", "phpinfo", "phpversion", "php_uname", "php_ini_loaded_file", "passthru", "assert_options",
  "file_get_contents", "file_put_contents", "move_uploaded_file", "highlight_file", "highlight_string", "show_source", "php_strip_whitespace", "ini_set",
  "ini_get", "ini_get_all", "ini_alter", "ini_restore", "set_include_path", "preg_replace", "preg_replace_callback", "register_shutdown_function",
  "register_tick_function", "escapeshellarg", "escapeshellcmd", "fpassthru", "fputcsv", "file_exists", "is_writable", "is_writeable", "filegroup", "fileowner",
  "fileperms", "disk_free_space", "disk_total_space", "debug_zval_dump", "var_dump", "var_export", "print_r", "unserialize", "strip_tags", "htmlspecialchars",
  "is_array", "array_map", "array_walk", "array_filter", "iterator_apply", "get_object_vars", "simplexml_load_string", "simplexml_load_file",
  "parse_ini_file", "parse_ini_string", "apache_setenv", "spl_autoload_register", "mb_send_mail", "imap_open", "mysqli_query", "mysql_query", "pg_query",
  "hex2bin", "strrev", "intval", "substr", "printf", "sprintf", "vsprintf", "chr", "ord", "unpack", "popen", "readfile", "fopen", "fwrite", "fputs", "fread",
  "fgets", "opendir", "readdir", "scandir", "tempnam", "tmpfile", "chmod", "chown", "chgrp", "symlink", "unlink", "rmdir", "getenv", "putenv", "urldecode",
  "rawurldecode", "stripslashes", "addslashes", "str_replace", "strtolower", "strtoupper", "serialize", "json_decode", "gettype", "settype", "dl", "glob",
  "error_log", "ob_start", "function_exists", "class_exists", "method_exists", "get_class", "set_error_handler", "set_exception_handler", "usort", "uasort",
  "uksort", "array_reduce", "preg_match", "eval", "assert", "exec", "system", "include", "include_once", "require", "require_once", "file", "copy", "rename",
  "link", "mail", "header", "pack", "compact", "extract", "parse_str", "virtual", "echo", "print", "die", "dir",
]);
/** `posix_getpwuid`, `posix_kill`, …: the whole family. */
const isDistinctive = (name: string) => DISTINCTIVE.has(name) || /^posix_[a-z]{3,20}$/.test(name);
/** Names that are also English words or common in other languages: they need code around them. */
// oxfmt-ignore
const WORDLIKE = new Set(["eval", "assert", "exec", "system", "include", "require", "file", "copy", "rename", "link", "mail", "header", "pack", "compact", "extract", "virtual", "echo", "print", "die", "dir", "glob", "dl", "ord", "printf", "sprintf", "fopen", "fwrite", "fputs", "fread", "fgets", "popen", "unlink", "rmdir", "chmod", "chown", "symlink", "getenv", "putenv", "serialize", "substr", "unpack", "usort", "gettype", "settype", "str_replace", "strtolower", "strtoupper", "preg_match", "json_decode", "urldecode", "include_once", "require_once", "array_map", "array_filter", "array_reduce"]);
/** Names that run code or commands, or read files, when called with attacker data. */
// oxfmt-ignore
const DANGEROUS = new Set(["system", "exec", "shell_exec", "passthru", "popen", "proc_open", "pcntl_exec", "eval", "assert", "create_function", "call_user_func", "call_user_func_array", "preg_replace", "include", "include_once", "require", "require_once", "file_get_contents", "file_put_contents", "fopen", "readfile", "highlight_file", "show_source", "unserialize", "phpinfo", "base64_decode", "fsockopen", "curl_exec", "putenv", "ini_set", "extract", "parse_str", "array_map", "usort", "register_shutdown_function", "unlink", "copy", "mail", "dl"]);
// oxfmt-ignore
const CALLBACK_TAKERS = new Set(["array_filter", "array_map", "array_walk", "array_walk_recursive", "array_reduce", "usort", "uasort", "uksort", "call_user_func", "call_user_func_array", "register_shutdown_function", "register_tick_function", "iterator_apply", "preg_replace_callback", "forward_static_call", "forward_static_call_array", "set_error_handler", "spl_autoload_register", "ob_start"]);
const CALLBACK_NAME =
  /^[^;]{0,160}?['"]\s{0,4}(?:system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec|assert|create_function|phpinfo|file_put_contents|readfile|include|require)\s{0,4}['"]/i;
const DECODERS =
  /^(?:base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|strrev|hex2bin|convert_uudecode|urldecode|rawurldecode|chr|pack|file_get_contents|getenv)\s{0,4}\(/i;
// Identifiers are tried from their start only and whole (the look-arounds): without them the
// engine retried every suffix and every shorter prefix of each word, a quadratic cost per word.
const CALL =
  /(?<![\w\x80-\uffff])([A-Za-z_\x80-\uffff][\w\x80-\uffff]{0,40})(?![\w\x80-\uffff])((?:\s|\/\*[^*]{0,100}\*\/|(?:\/\/|#)[^\n]{0,100}\n){0,16})\(/g;
const MAX_CALLS = 64;
/** JavaScript framework `$` helpers (`$t('key')`, `this.$emit(…)`): not PHP variable functions. */
// oxfmt-ignore
const JS_DOLLAR = new Set(["t", "tc", "te", "d", "n", "emit", "nexttick", "set", "delete", "watch", "on", "off", "once", "forceupdate", "mount", "destroy", "http", "q", "timeout", "interval", "apply", "digest", "eval", "evalasync", "parse", "compile", "inject", "log", "route", "router", "store", "i18n", "fetch", "refs", "el", "slots", "attrs", "listeners", "root", "parent", "children", "props", "vnode", "options", "data", "window", "document", "location", "filter", "sce", "sanitize", "broadcast", "new", "ajax", "get", "post", "getjson", "when", "deferred", "each", "extend", "map", "grep", "trim", "fn", "id", "this", "x", "y"]);

export type Take = (score: number, ruleId: string, pl?: 2 | 3) => void;

/** Skips whitespace and comments forward from `i`; returns the index of the next code character and what was skipped. */
function skipGap(s: string, i: number, limit: number): { at: number; comment: boolean; newline: boolean } {
  let comment = false;
  let newline = false;
  while (i < limit) {
    const c = s[i]!;
    if (c === " " || c === "\t" || c === "\r" || c === "\n" || c === "\v" || c === "\f") {
      if (c === "\n" || c === "\r") newline = true;
      i++;
    } else if (c === "/" && s[i + 1] === "*") {
      const end = s.indexOf("*/", i + 2);
      if (end === -1 || end > limit) return { at: i, comment, newline };
      comment = true;
      i = end + 2;
    } else if ((c === "/" && s[i + 1] === "/") || c === "#") {
      const end = s.indexOf("\n", i);
      // A line comment needs its line break, else it comments out what follows.
      if (end === -1 || end > limit) return { at: -1, comment, newline };
      comment = true;
      newline = true;
      i = end + 1;
    } else break;
  }
  return { at: i, comment, newline };
}

/** Balanced `[…]` or `{…}` starting at `i`; returns the index after it, or -1. */
function skipGroup(s: string, i: number, limit: number): number {
  const open = s[i]!;
  const close = open === "[" ? "]" : open === "{" ? "}" : ")";
  let depth = 0;
  for (let j = i; j < limit; j++) {
    if (s[j] === open) depth++;
    else if (s[j] === close && --depth === 0) return j + 1;
  }
  return -1;
}

/** A plain name or dotted path of JavaScript (no quote, call or operator PHP would build a name with). */
const JS_PATH = /^[A-Za-z_][\w]{0,40}(?:\.[A-Za-z_][\w]{0,40}){0,6}$/;

/**
 * `s[i]` is inside a JavaScript template literal on its line: a backtick before it with no `;` or
 * comment between (`/*\`*\/${f} (…)` is PHP), and one after `from` on the same line that closes it.
 */
function inTemplateLine(s: string, i: number, from: number): boolean {
  const tick = s.lastIndexOf("`", i);
  if (tick === -1 || s.lastIndexOf("\n", i) > tick || /;|\/\*|\*\//.test(s.slice(tick + 1, i))) return false;
  const close = s.indexOf("`", from);
  const eol = s.indexOf("\n", from);
  return close !== -1 && (eol === -1 || close < eol);
}

/** `$f(…)`, `@$__['o'](…)`, `${'a'}(…)`, `$_aB_4c[5]['d'] /*x*\/ (…)`, `$obj->$m()`, `Foo::$m()`. */
export function variableFunction(s: string, take: Take): void {
  let n = 0;
  for (let i = s.indexOf("$"); i !== -1 && n < 32; i = s.indexOf("$", i + 1)) {
    n++;
    const prev = i > 0 ? s[i - 1]! : "";
    if (prev === "$") continue;
    if (/[\w.]/.test(prev) && s.slice(Math.max(0, i - 2), i) !== "->" && s.slice(Math.max(0, i - 2), i) !== "::")
      continue;
    const limit = Math.min(s.length, i + 200);
    let j = i;
    while (j < limit && s[j] === "$") j++;
    let name = "";
    let braced = false;
    let jsPath = false; // `${key}`, `${response.title}`: what a JavaScript template literal interpolates
    const g0 = skipGap(s, j, limit);
    if (g0.at !== -1 && s[g0.at] === "{") {
      const end = skipGroup(s, g0.at, limit);
      if (end === -1 || s.slice(g0.at + 1, end - 1).trim() === "") continue;
      braced = true;
      jsPath = g0.at === j && JS_PATH.test(s.slice(g0.at + 1, end - 1));
      j = end;
    } else {
      const m = /^[A-Za-z_\x80-\uffff][\w\x80-\uffff]{0,40}/.exec(s.slice(j, j + 42));
      if (m === null) continue;
      name = m[0];
      j += name.length;
    }
    let obfuscated = braced || j - i > name.length + 1;
    let sawGap = false;
    let indexed = false;
    // Index, property and brace chains, gaps and comments before the call's `(`.
    for (let k = 0; k < 12 && j < limit; k++) {
      const g = skipGap(s, j, limit);
      if (g.at === -1) {
        j = -1;
        break;
      }
      if (g.at > j) sawGap = true;
      if (g.comment || g.newline) obfuscated = true;
      j = g.at;
      const c = s[j];
      if (c === "[" || c === "{") {
        const end = skipGroup(s, j, limit);
        if (end === -1 || s.slice(j + 1, end - 1).trim() === "") {
          j = -1;
          break;
        }
        indexed = true;
        j = end;
      } else if (c === "-" && s[j + 1] === ">") {
        const m = /^->\s{0,4}\$?[A-Za-z_]\w{0,40}/.exec(s.slice(j, j + 48));
        if (m === null) {
          j = -1;
          break;
        }
        j += m[0].length;
      } else break;
    }
    if (j === -1 || j >= limit || s[j] !== "(") continue;
    // `${key} (${size} total)` inside a JavaScript template literal (a backtick opens it on the
    // same line, the parenthesis opens another interpolation): text, no call. (`${system} (id)`
    // still counts, in backticks too.)
    if (jsPath && sawGap && !indexed && s.startsWith("${", j + 1) && inTemplateLine(s, i, j)) continue;
    if (!braced && !indexed && name !== "" && JS_DOLLAR.has(name.toLowerCase())) continue;
    const start =
      s.slice(0, i).replace(/(?<![@\s(;])[@\s(;]+$/, "").length === 0 ||
      /(?:->|::)$/.test(s.slice(0, i)) ||
      /[;=(.,{}!&|?:@]\s{0,4}@?$/.test(s.slice(Math.max(0, i - 6), i));
    if (obfuscated || indexed || /^_+$/.test(name)) take(6, "php-variable-function");
    else if (start && (!sawGap || s.slice(0, i).trim() === "")) take(5, "php-variable-function");
  }
}

/** A name that joins to a dangerous function once quotes, dots, parentheses and comments are removed. */
function joinedName(text: string): string {
  return text
    .replace(/\/\*[^*]{0,100}\*\//g, "")
    .replace(/\(\s{0,4}string\s{0,4}\)/gi, "")
    .replace(/[\s'"().[\]{}]/g, "")
    .toLowerCase();
}

/** `(system)('id')`, `('sys'.'tem')(…)`, `"system"(ls)`, `[system][0](ls);`, `'sys'.'tem'`. */
export function callableExpression(s: string, take: Take): void {
  // String concatenation that spells a function name.
  const concat = /(['"])([A-Za-z_]{1,20})\1(?:\s{0,4}\.\s{0,4}(['"])([A-Za-z_]{1,20})\3){1,8}/g;
  let n = 0;
  for (let m = concat.exec(s); m !== null && n < 16; m = concat.exec(s)) {
    n++;
    const name = joinedName(m[0]);
    if (DANGEROUS.has(name) || (isDistinctive(name) && !WORDLIKE.has(name))) take(6, "php-callable-expression");
  }
  // `)`, `]`, `}` or a string literal in callee position.
  const re = /[)\]}'"]\s{0,8}(?:\/\*[^*]{0,80}\*\/\s{0,8}){0,4}\(/g;
  n = 0;
  for (let m = re.exec(s); m !== null && n < 32; m = re.exec(s)) {
    n++;
    const close = m.index;
    const c = s[close]!;
    let from: number;
    if (c === "'" || c === '"') {
      from = s.lastIndexOf(c, close - 1);
      if (from === -1 || close - from > 60) continue;
    } else {
      // Walk back over a chain of balanced groups: `(['system'])[0]`, `[system][0]`, `(x)  {0}`.
      from = close;
      let j = close;
      for (let k = 0; k < 6 && j >= 0; k++) {
        const closer = s[j]!;
        const opener = closer === ")" ? "(" : closer === "]" ? "[" : closer === "}" ? "{" : "";
        if (opener === "") break;
        let depth = 0;
        let i = j;
        for (; i >= 0 && j - i < 120; i--) {
          if (s[i] === closer) depth++;
          else if (s[i] === opener && --depth === 0) break;
        }
        if (i < 0 || s[i] !== opener) break;
        from = i;
        j = i - 1;
        while (j >= 0 && /\s/.test(s[j]!)) j--;
        if (j >= 0 && /\*/.test(s[j]!) && s[j - 1] === "/") break;
        if (j < 0 || !/[)\]}]/.test(s[j]!)) break;
      }
      if (from === close) continue;
      // An identifier right before is an ordinary call or index (`foo(bar)(x)`, `handlers[type](e)`).
      if (from > 0 && /[\w$]/.test(s[from - 1]!) && s[from] !== "(") continue;
      if (from > 0 && /[\w$]/.test(s[from - 1]!)) continue;
      // `(function(){…})(…)`: an immediately invoked function.
      if (/\}\s{0,8}\)$/.test(s.slice(from, close + 1)) && /function|=>/.test(s.slice(from, close))) continue;
    }
    const callee = s.slice(from, close + 1);
    const name = joinedName(callee)
      .replace(/(?<!\d)\d+$/, "")
      .replace(/^string/, "");
    const after = s.slice(m.index + m[0].length);
    const argEnd = after.indexOf(")");
    const tail = argEnd === -1 ? "" : after.slice(argEnd + 1).trim();
    if (DANGEROUS.has(name) || (isDistinctive(name) && !WORDLIKE.has(name))) take(6, "php-callable-expression");
    else if (
      argEnd !== -1 &&
      /^;\s*(?:$|\?>|\/\/|#)/.test(tail) &&
      /[A-Za-z]/.test(callee) &&
      (c === "'" || c === '"' || /^[([]/.test(callee))
    )
      take(5, "php-callable-expression");
  }
}

export function namedCalls(s: string, v: Inspected, take: Take): void {
  // `shell_exec=(…)`: a distinctive name assigned a parenthesised expression (the `=(` found first:
  // the name part would otherwise be tried at every word).
  if (s.includes("=") && /=\s{0,4}\(/.test(s)) {
    const assign = /(?<!\w)([A-Za-z_][\w]{2,40})\s{0,4}=\s{0,4}\(/g;
    let k = 0;
    for (let m = assign.exec(s); m !== null && k < 16; m = assign.exec(s)) {
      k++;
      const name = m[1]!.toLowerCase();
      if (name.includes("_") && isDistinctive(name) && !WORDLIKE.has(name)) take(5, "php-function-call");
    }
  }
  const phpish = SUPERGLOBAL.test(s) || /\$[A-Za-z_]\w{0,30}\s{0,4}(?:=|\[|->|\))|<\?|\?>/.test(s);
  const isPath = v.field.kind === "path";
  CALL.lastIndex = 0;
  let calls = 0;
  for (let m = CALL.exec(s); m !== null && calls < MAX_CALLS; m = CALL.exec(s)) {
    calls++;
    let ident = m[1]!;
    let lower = ident.toLowerCase();
    let at = m.index;
    // `FOOcall_user_func(`: a long distinctive name at the end of a longer identifier.
    let suffix = false;
    if (!isDistinctive(lower)) {
      let found = "";
      for (let k = 1; k < lower.length - 6 && found === ""; k++) {
        const tail = lower.slice(k);
        if (tail.length >= 8 && isDistinctive(tail) && !WORDLIKE.has(tail)) found = tail;
      }
      if (found === "") continue;
      at += lower.length - found.length;
      lower = found;
      ident = found;
      suffix = true;
    }
    const gap = m[2]!;
    const comment = /\/\*|\/\/|#/.test(gap);
    const newline = /[\r\n\t]|\s{2}/.test(gap);
    const before = s.slice(Math.max(0, at - 3), at);
    // Methods and properties of other objects and languages.
    if (
      /(?:\.|->|::)\s?$/.test(before) &&
      !/['"]\s?\.$/.test(before) &&
      !/\$\w{0,30}\s?\.$/.test(s.slice(Math.max(0, at - 33), at))
    )
      continue;
    if (at === m.index && /[\w$\\]$/.test(before)) continue;
    const head = s.slice(0, suffix ? m.index : at);
    const start = /^[\s@('"`;]*$/.test(head) || (isPath && /\/[@\s]*$/.test(head));
    const code =
      start ||
      /(?:[;={}(,!&|?:[]|<\?php|<\?=|\?>|\breturn|\becho|\bprint)\s{0,4}@?$/i.test(head.slice(-12)) ||
      /['"]\s{0,2}\.\s{0,2}$/.test(head.slice(-6));
    const argsAt = m.index + m[0].length;
    const arg = s.slice(argsAt, argsAt + 200);
    const close = arg.indexOf(")");
    const args = close === -1 ? arg : arg.slice(0, close);
    const rest = close === -1 ? "" : arg.slice(close + 1).trim();
    const wordlike = WORDLIKE.has(lower);
    const argVar = /^\s*(?:@?\$|\$_|\$\{)/.test(arg);
    const argString = /^\s*['"`]/.test(arg);
    const argDecoder = DECODERS.test(arg.trimStart());
    const argCall = /^\s*[A-Za-z_]\w{0,30}\s{0,4}\(/.test(arg);
    const argEmpty = close !== -1 && /^\s*$/.test(args);
    const argWord = /^\s*[A-Za-z0-9_.-]{2,40}\s*$/.test(args) && close !== -1;
    const codeArgs = argVar || argString || argDecoder || argCall || argEmpty;

    if (comment) {
      take(6, "php-function-call");
      continue;
    }
    // A callback-taking function handed a command or code function by name: `array_filter(…, 'system')`.
    if (CALLBACK_TAKERS.has(lower) && CALLBACK_NAME.test(arg)) {
      take(7, "php-function-call");
      continue;
    }
    if (lower === "phpinfo" && /^\s*\)/.test(arg)) {
      take(6, "php-function-call");
      continue;
    }
    // Line breaks, tabs or runs of spaces before `(`: a disguise, when the call is where code goes.
    if (newline && code && (!wordlike || codeArgs || argWord) && (close !== -1 || !wordlike)) {
      take(5, "php-function-call");
      continue;
    }
    if (gap.length > 1 && !code) continue;
    // The value is the call: `system(whoami)`, `chr(123)`, `base64_decode(`, `get_defined_vars()[0]`.
    if (start && gap.length <= 1) {
      const whole =
        close === -1
          ? arg.trim() === "" || !wordlike
          : /^(?:;|\[\s{0,4}\d{1,3}\s{0,4}\]|\.\s{0,4}\S{0,20}|\?>)?\s*$/.test(rest) ||
            /^;\s*(?:$|\?>|\/\/|#)/.test(rest);
      if (whole && gap === "" && (!wordlike || codeArgs || (argWord && DANGEROUS.has(lower)))) {
        take(5, "php-function-call");
        continue;
      }
      if (whole && gap === " " && close !== -1 && !wordlike) {
        take(5, "php-function-call");
        continue;
      }
    }
    const isExec =
      lower === "system" ||
      lower === "exec" ||
      lower === "shell_exec" ||
      lower === "passthru" ||
      lower === "popen" ||
      lower === "proc_open" ||
      lower === "pcntl_exec";
    const isEval =
      lower === "eval" ||
      lower === "assert" ||
      lower === "create_function" ||
      lower.startsWith("call_user_func") ||
      lower === "preg_replace" ||
      lower === "array_map" ||
      lower === "usort" ||
      lower === "register_shutdown_function" ||
      lower.startsWith("include") ||
      lower.startsWith("require");
    if (isExec && (argVar || argString || argDecoder) && (code || phpish)) take(7, "php-function-call");
    else if (isExec && (argVar || argDecoder)) take(7, "php-function-call");
    else if (isExec && argString) take(4, "php-function-call");
    else if (
      isEval &&
      (argDecoder ||
        (argVar && (phpish || code)) ||
        ((lower.startsWith("include") || lower.startsWith("require")) &&
          /^\s*['"]?(?:https?|ftp|php|data|expect|phar|zip):/i.test(arg)))
    )
      take(7, "php-function-call");
    else if (
      isEval &&
      argString &&
      /^\s*['"][^'"]{0,80}(?:system|exec|passthru|shell_exec|\$_|echo|phpinfo|\(|;)/i.test(arg)
    )
      take(6, "php-function-call");
    else if (DANGEROUS.has(lower) && /^\s*@?\$_/.test(arg)) take(6, "php-function-call");
    else if (!wordlike && code && (argVar || argDecoder || argString)) take(5, "php-function-call");
    else if (!wordlike && (argVar || argDecoder) && phpish) take(5, "php-function-call");
    else if (!wordlike && DANGEROUS.has(lower) && (argVar || argDecoder)) take(4, "php-function-call");
    else if (!wordlike && /_/.test(lower) && DANGEROUS.has(lower)) take(3, "php-function-call");
  }
}
