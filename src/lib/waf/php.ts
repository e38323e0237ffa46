/**
 * PHP code injection: opening tags (`<?php`, `<?=`), stream wrappers that read or run code
 * (`php://filter`, `php://input`, `phar://`, `expect://`, `zip://`, `data://`), serialized
 * objects (`O:8:"stdClass":…`, object injection) and dangerous functions *called as PHP calls*:
 * not methods of another language (`os.system(…)`, `child_process.exec(…)`, `$obj->exec(…)`)
 * and with arguments that carry attacker data (`$_GET[…]`, `$var`, strings for the exec family,
 * nested decoders such as `eval(base64_decode(…))`).
 */
import type { Finding, Inspected } from "./types.ts";

const OPEN_TAG = /<\?(?:php\b|=\s{0,8}[$\w`'"(@]|\s{1,8}(?:echo|system|exec|passthru|eval|print|include|require|\$|@|`))/i;
const WRAPPER = /\b(?:php:\/\/(?:filter|input|stdin|memory|temp|fd|output)|phar:\/\/|expect:\/\/|zip:\/\/|compress\.(?:zlib|bzip2):\/\/|glob:\/\/|ogg:\/\/|rar:\/\/|ssh2\.(?:shell|exec|tunnel|sftp|scp):\/\/|data:\/\/(?:text\/plain|application\/x-httpd-php))/i;
const SERIALIZED_OBJECT = /\b[OC]:\d{1,4}:"[A-Za-z_\\][\w\\]{0,200}":\d{1,4}:\{/;
const SUPERGLOBAL = /\$_(?:GET|POST|REQUEST|COOKIE|SERVER|FILES|ENV|SESSION)\s*\[|\$GLOBALS\s*\[|\$HTTP_(?:GET|POST|RAW_POST)_VARS|\$_(?:GET|POST|REQUEST)\b/;
const EXEC_FAMILY = new Set(["system", "exec", "shell_exec", "passthru", "popen", "proc_open", "pcntl_exec"]);
const EVAL_FAMILY = new Set(["eval", "assert", "create_function", "call_user_func", "call_user_func_array", "preg_replace", "array_map", "usort", "uasort", "array_filter", "register_shutdown_function", "include", "include_once", "require", "require_once"]);
const FILE_FAMILY = new Set(["file_get_contents", "file_put_contents", "fopen", "fwrite", "readfile", "highlight_file", "show_source", "unlink", "copy", "move_uploaded_file", "symlink", "parse_ini_file", "unserialize", "extract", "parse_str", "putenv", "ini_set", "mail", "fsockopen", "curl_exec"]);
const DECODERS = /^(?:base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|strrev|hex2bin|convert_uudecode|urldecode|rawurldecode|chr|pack)\s*\(/i;
const CALL = /([A-Za-z_][\w]{1,30})\s{0,8}\(\s{0,8}/g;

/** PHP injection score of one (normalised) value. */
export function detectPhp(v: Inspected): Finding | null {
  const s = v.text;
  let best: Finding | null = null;
  const take = (score: number, ruleId: string) => {
    if (!best || score > best.score) best = { ruleId, score };
  };
  if (s.includes("<?") && OPEN_TAG.test(s)) take(7, "php-open-tag");
  if (s.includes("://") && WRAPPER.test(s)) take(7, "php-stream-wrapper");
  if (s.includes(':"') && SERIALIZED_OBJECT.test(s)) take(7, "php-object-injection");
  const superglobal = s.includes("$") && SUPERGLOBAL.test(s);
  if (superglobal) take(5, "php-superglobal");
  if (!s.includes("(")) return best;
  const phpish = superglobal || /\$[A-Za-z_]\w{0,30}\s{0,4}(?:=|\[|->|\))|<\?|\?>|;\s*$/.test(s);
  CALL.lastIndex = 0;
  let calls = 0;
  for (let m = CALL.exec(s); m !== null && calls < 64; m = CALL.exec(s)) {
    calls++;
    const name = m[1]!.toLowerCase();
    const isExec = EXEC_FAMILY.has(name);
    const isEval = EVAL_FAMILY.has(name);
    const isFile = FILE_FAMILY.has(name);
    if (name === "phpinfo" && s.slice(m.index + m[0].length).startsWith(")")) {
      take(6, "php-function-call");
      continue;
    }
    if (!isExec && !isEval && !isFile) continue;
    // A method of some object (`os.system(`, `$db->exec(`, `Foo::exec(`) is not a PHP function call;
    // `'.system(` is PHP string concatenation and is.
    const before = s.slice(Math.max(0, m.index - 3), m.index);
    if (/(?:[\w$\])]\s?\.|->|::)$/.test(before) || /\w$/.test(before)) continue;
    const arg = s.slice(m.index + m[0].length, m.index + m[0].length + 200);
    const argVar = /^(?:@?\$|\$_|\$\{)/.test(arg);
    const argString = /^['"`]/.test(arg);
    const argDecoder = DECODERS.test(arg) || /^(?:@?\$_|getenv\s*\(|file_get_contents\s*\(\s*['"]php:)/i.test(arg);
    if (isExec && (argVar || argString || argDecoder)) take(argString && !phpish && name === "exec" ? 4 : 7, "php-function-call");
    else if (isEval && (argDecoder || (argVar && phpish) || (name.startsWith("include") || name.startsWith("require")) && /^['"]?(?:https?|ftp|php|data|expect):/i.test(arg))) take(7, "php-function-call");
    else if (isEval && argString && /^['"][^'"]{0,80}(?:system|exec|passthru|shell_exec|\$_)/i.test(arg)) take(6, "php-function-call");
    else if (isFile && /^@?\$_/.test(arg)) take(6, "php-function-call");
  }
  return best;
}
