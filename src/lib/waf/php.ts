/**
 * PHP code injection.
 *
 * - Opening tags: `<?php`, `<? php`, `<?=`, `<? echo`, a short tag at the end of a value, an
 *   `<?xml` declaration that is not followed by attributes, BBCode-style `[php]…[/php]`, `{php}`.
 * - Stream wrappers that read or run code (`php://filter`, `php://input`, `phar://`, `expect://`,
 *   `zip://`, `data://`, a whole value `data:text/plain,…`), serialized objects (`O:8:"stdClass":…`).
 * - Superglobals (`$_GET[…]`, `$_COOKIE=`), variable variables (`${'a'}`, `$ {$x}`), variable
 *   functions (`$f(…)`, `$__['o'](…)`, `${'a'}(…)`, `$obj->$m()`, `Foo::$m()`), callable
 *   expressions (`(system)('id')`, `"sys"."tem"('id')`, `[system][0](ls);`).
 * - PHP functions called as PHP calls: the call is the value (`system(whoami)`, `chr(123)`), sits
 *   in code position (`;`, `=`, `(`, `<?php` before it), is disguised with comments or line
 *   breaks before its `(`, or is a distinctive PHP-only name (`base64_decode(`, `call_user_func(`).
 *   A word in prose ("I use system() in my C code") and methods of other languages
 *   (`os.system(…)`, `$db->exec(…)`, `child_process.exec(…)`) are not PHP calls.
 * - php.ini directives as a whole value (`allow_url_include=On`, `auto_prepend_file=…`).
 * - Uploaded file names that PHP would execute (`shell.php5`, `a.phtml.`, `x. php`) or that
 *   overwrite a session file (`sess_<id>`), in multipart file names and upload headers.
 *
 * This file holds the tags, wrappers, directives, upload names and the detector; the PHP function
 * tables and the shapes of calls (named, variable and callable-expression calls) are in
 * `php/calls.ts`.
 */
import { callableExpression, namedCalls, SUPERGLOBAL, type Take, variableFunction } from "./php/calls.ts";
import type { Finding, Inspected } from "./types.ts";

const WRAPPER =
  /\b(?:php:\/\/(?:filter|input|stdin|stdout|stderr|memory|temp|fd|output)|phar:\/\/|expect:\/\/|zip:\/\/|compress\.(?:zlib|bzip2):\/\/|glob:\/\/|ogg:\/\/|rar:\/\/|ssh2\.(?:shell|exec|tunnel|sftp|scp):\/\/|data:\/\/(?:text\/plain|application\/x-httpd-php|text\/x-php|text\/html))/i;
const DATA_WHOLE = /^data:(?:text\/plain|text\/x-php|application\/x-httpd-php|application\/x-php|text\/php)\b/i;
const SERIALIZED_OBJECT = /\b[OC]:\+?\d{1,4}:"[A-Za-z_\\][\w\\]{0,200}":\+?\d{1,4}:\{/;

// oxfmt-ignore
const UPLOAD_NAMES = new Set(["x-filename", "x_filename", "x.filename", "x-file-name", "x_file_name", "x-upload-filename", "filename", "file-name", "file_name", "x-file"]);
const PHP_EXTENSION = /\.\s{0,2}(?:php\d{0,3}|phtml|phar|phps|pht|phpt|pgif|inc)[.\s]*$/i;
const SESSION_FILE = /(?:^|[/\\])sess_[,\w-]{20,256}$/i;

/** php.ini directives that change what PHP runs or exposes (whole-value `name=value`). */
const INI_DIRECTIVE =
  /^(?:allow_url_(?:include|fopen)|auto_(?:prepend|append)_file|disable_(?:functions|classes)|open_basedir|safe_mode\w{0,20}|register_globals|magic_quotes_\w{1,10}|file_uploads|upload_tmp_dir|include_path|extension(?:_dir)?|zend_extension|engine|short_open_tag|asp_tags|display_(?:errors|startup_errors)|log_errors|error_log|error_reporting|html_errors|expose_php|sendmail_(?:path|from)|mail\.\w{1,20}|memory_limit|max_execution_time|max_input_\w{1,10}|post_max_size|upload_max_filesize|precision|serialize_precision|smtp|smtp_port|unserialize_\w{1,20}|enable_dl|cgi\.\w{1,30}|doc_root|user_dir|user_ini\.\w{1,20}|session\.\w{1,30}|opcache\.\w{1,40}|mbstring\.\w{1,40}|zend\.\w{1,40}|pcre\.\w{1,30}|phar\.\w{1,20}|xdebug\.\w{1,30}|assert\.\w{1,20}|variables_order|request_order|default_charset|output_(?:handler|buffering)|implicit_flush|realpath_cache_\w{1,10}|sys_temp_dir|arg_separator\.\w{1,10}|auto_detect_line_endings|default_socket_timeout|date\.timezone|disable_\w{1,20}|hard_timeout|ignore_user_abort|zlib\.\w{1,30})\s{0,8}=\s{0,8}(\S[^\n]{0,200})$/i;
const INI_GENERIC_WORD = /^(?:engine|extension|precision|smtp|memory_limit)\b/i;
const INI_VALUE =
  /^(?:on|off|true|false|yes|no|none|0|1|-?\d{1,12}[kmg]?|["']?[/\\.~][^\s]{0,200}|[a-z]:\\\S{0,200}|E_\w{1,20}(?:\s{0,4}[&|^~]\s{0,4}~?E_\w{1,20}){0,6})$/i;

function uploadName(v: Inspected, take: Take): void {
  const name = v.field.name;
  if (name === null || !UPLOAD_NAMES.has(name)) return;
  if (v.field.kind !== "header" && v.field.where !== "body-filename" && name !== "filename") return;
  const s = v.text.trim();
  if (s.length > 1024) return;
  if (PHP_EXTENSION.test(s)) take(6, "php-upload-script");
  else if (SESSION_FILE.test(s)) take(6, "php-session-file");
}

function openTag(s: string, take: Take): void {
  const i = s.indexOf("<?");
  if (i === -1) return;
  // PHP opens with `<?php` followed by white space or the end (`<?php=value` is no tag).
  if (/<\?(?:php(?![^\s])|\s{1,8}php(?![^\s])|=\s{0,8}[$\w`'"(@[])/i.test(s)) {
    // `<?php` and nothing after it (a bare mention) is weaker than a tag followed by code.
    const m = /<\?\s{0,8}php(?![^\s])([\s\S]{0,40})/i.exec(s);
    take(m !== null && m[1]!.trim() === "" && !/<\?=/.test(s) ? 4 : 7, "php-open-tag");
    return;
  }
  if (/<\?\s{1,8}(?:echo|print|system|exec|passthru|shell_exec|eval|include|require|assert|die|exit|\$|@|`)/i.test(s))
    return take(7, "php-open-tag");
  // `<?xml` followed by something other than an attribute or the end of the declaration: PHP short tag.
  const xml = /<\?xml(?=[\s:(;])([^?>]{0,60})/i.exec(s);
  if (xml !== null) {
    const rest = xml[1]!.replace(/^\s+/, "");
    if (rest !== "" && !/^[A-Za-z_][\w:.-]{0,40}\s{0,4}=/.test(rest)) take(5, "php-open-tag");
    return;
  }
  // A short open tag at the very end of a value (`test<?`).
  if (/<\?\s*$/.test(s) && s.trim().length > 2) take(5, "php-open-tag");
}

function bbTag(s: string, take: Take): void {
  if (/\[\s{0,4}[/\\]?\s{0,4}php\s{0,4}\]|\{\s{0,4}\/?\s{0,4}php\s{0,4}\}/i.test(s)) take(6, "php-open-tag");
}

function iniDirective(s: string, take: Take): void {
  const t = s.trim();
  if (t.length > 300 || !t.includes("=")) return;
  const m = INI_DIRECTIVE.exec(t);
  if (m === null) return;
  const value = m[1]!.trim();
  if (INI_GENERIC_WORD.test(t) && !INI_VALUE.test(value)) return;
  take(5, "php-ini-directive");
}

/** `${'a'}`, `$ {$x}`, `${ CONSTANT }`: PHP variable variables (shell and JS write `${NAME}`). */
function variableVariable(s: string, take: Take): void {
  if (!s.includes("{")) return;
  const re = /\$(\s{0,20})\{(\s{0,20})([^{}]{1,80})\}/g;
  let n = 0;
  for (let m = re.exec(s); m !== null && n < 16; m = re.exec(s)) {
    n++;
    const inner = m[3]!.trim();
    if (inner === "") continue;
    if (/^(?:jndi|env|sys|lower|upper|date|main|java|ctx|::-)[:]/i.test(inner)) continue;
    const phpOnly = m[1] !== "" || /^['"@$]/.test(inner) || /['"]\s{0,4}\.\s{0,4}['"]/.test(inner);
    // `{${sleep(5)}}`: PHP's complex syntax calling a function inside an interpolated string.
    const curlyCall =
      s[m.index - 1] === "{" && s[m.index + m[0].length] === "}" && /^[a-z_]\w{0,40}\s{0,4}\(/i.test(inner);
    if (phpOnly || curlyCall) take(6, "php-variable-variable");
    else if (s.trim() === m[0] && /^[a-z_][a-z0-9_]{0,30}$/.test(inner)) take(5, "php-variable-variable");
  }
}

/** PHP injection score of one (normalised) value. */
export function detectPhp(v: Inspected): Finding | null {
  const s = v.text;
  let best: Finding | null = null;
  const take: Take = (score, ruleId, pl) => {
    if (!best || score > best.score) best = pl === undefined ? { ruleId, score } : { ruleId, score, pl };
  };
  uploadName(v, take);
  if (s.includes("<?")) openTag(s, take);
  if (s.includes("[") || s.includes("{")) bbTag(s, take);
  if (s.includes("://") && WRAPPER.test(s)) take(7, "php-stream-wrapper");
  if (DATA_WHOLE.test(s.trimStart())) take(6, "php-stream-wrapper");
  if (s.includes(':"') && SERIALIZED_OBJECT.test(s)) take(7, "php-object-injection");
  const superglobal = s.includes("$") && SUPERGLOBAL.test(s);
  if (superglobal) take(5, "php-superglobal");
  if (s.includes("=")) iniDirective(s, take);
  if (s.includes("$")) {
    variableVariable(s, take);
    if (s.includes("(")) variableFunction(s, take);
  }
  if (s.includes("(")) {
    callableExpression(s, take);
    namedCalls(s, v, take);
    // `print(chr(122).chr(97).chr(112)…)`: a string spelled character by character, what code
    // injection does to get its text past a filter (code writes `"abc"`, not three `chr` calls).
    if (v.lower.includes("chr") && CHR_CHAIN.test(s)) take(6, "php-chr-chain");
  } else if (s.includes("'") || s.includes('"')) callableExpression(s, take);
  return best;
}
/**
 * Three or more `chr(N)` calls of printable characters (32–126) joined by PHP's `.` operator: text
 * spelled out. (Code packs bytes so, `chr(127) . chr(0) . chr(0) . chr(1)`, not letters.)
 */
const CHR_CHAIN =
  /(?<![\w$])chr\s{0,4}\(\s{0,4}(?:3[2-9]|[4-9]\d|1[01]\d|12[0-6])\s{0,4}\)(?:\s{0,4}\.\s{0,4}chr\s{0,4}\(\s{0,4}(?:3[2-9]|[4-9]\d|1[01]\d|12[0-6])\s{0,4}\)){2}/i;
