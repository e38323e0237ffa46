/**
 * Remote file inclusion: a parameter whose value *is* a remote URL (or a UNC path) that an
 * `include`/`require`/template loader would fetch and run. A URL alone is ordinary
 * (`?next=https://example.com/x`); evidence adds up from independent features:
 * an include-like parameter name, a script extension, a trailing `?`/`#`/NUL that cuts off the
 * extension the application appends, an IP-literal host, paste/tunnel hosts, web-shell names,
 * odd schemes (`ftp:`, `smb:`, UNC, `hTtP:`).
 */
import type { Finding, Inspected } from "./types.ts";

// oxfmt-ignore
const INCLUDE_PARAMS = new Set([
  "include", "inc", "file", "filename", "page", "path", "template", "tpl", "load", "require", "module", "mod", "dir",
  "doc", "document", "folder", "root", "conf", "config", "lang", "language", "view", "layout", "theme", "skin", "plugin",
  "pg", "show", "site", "style", "content_path", "base_path", "basepath", "abspath", "mosconfig_absolute_path", "cmd", "locale",
]);
const CODE_EXT = /\.(?:php\d?|phtml|phar|inc|jsp|jspx|asp|aspx|ashx|cgi|pl|sh|py|rb|cfm|war|htaccess)$/;
const SHELL_NAME =
  /(?:^|\/)(?:c99|r57|c100|b374k|wso|shell|webshell|cmd|backdoor|evil|exploit|payload|bd|sh3ll|ak47|indoxploit|alfa|mini)[\w.-]{0,16}\.(?:php\d?|txt|jpg|gif|png|jsp|asp)/;
const PASTE_HOSTS =
  /(?:^|\.)(?:pastebin\.com|paste\.ee|hastebin\.com|ghostbin\.\w+|rentry\.co|raw\.githubusercontent\.com|gist\.githubusercontent\.com|transfer\.sh|ngrok\.io|ngrok-free\.app|ngrok\.app|trycloudflare\.com|serveo\.net|interact\.sh|oast\.\w+|burpcollaborator\.net|webhook\.site|requestbin\.\w+|pipedream\.net|000webhostapp\.com|x10host\.com)$/;
const REMOTE =
  /^(?:(https?|ftps?|smb|sftp|webdav):\/\/|\\\\|\/\/(?=[a-z0-9-]+\.[a-z0-9.-]+))([^/\\?#\s]{1,255})([^\s]*)/i;
const IP_HOST = /^(?:\[[0-9a-f:.]+\]|\d{1,3}(?:\.\d{1,3}){3}|\d{8,10}|0x[0-9a-f]{8})(?::\d+)?$/i;
/** An unbracketed IPv6 literal as the authority (`https://2001:db8::1/x`): not valid, but some parsers take it. */
const BARE_IPV6 = /^[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}$/i;
/**
 * Parameters that hold a local directory prefix (PHP apps that `include "$root/x.php"`): a URL
 * there is the classic RFI (`mosConfig_absolute_path=`, `_CONF[path]=`, `GLOBALS[…]`).
 */
const ROOT_PARAM =
  /(?:^|[_[])(?:absolute_?path|abs_?path|root_?path|rootdir|root_?dir|base_?dir|basedir|include_?path|includedir|inc_?dir|lib_?path|document_root|doc_root|server_root|app_?root|appserv_root|phpbb_root_path|path_to_\w{1,20}|\w{1,20}_root|\w{1,20}_dir)\]?$|^(?:_conf|_config|_server|_env|globals|_globals|cfg|config|conf)\[/;
/** A scheme name alone with the trailing `?` (`http?`, `file?`): probing for the suffix-truncation trick. */
const SCHEME_PROBE = /^(?:https?|ftps?|file)\?+$/i;

/** RFI score of one (normalised) value. */
export function detectRfi(v: Inspected): Finding | null {
  const text = v.text.trim();
  if (SCHEME_PROBE.test(text)) return { ruleId: "rfi-remote-include", score: 5 };
  const m = REMOTE.exec(text);
  if (!m) return null;
  const rawScheme = m[1] ?? "";
  const scheme = rawScheme.toLowerCase();
  const authority = m[2]!.toLowerCase();
  const host = authority.slice(authority.lastIndexOf("@") + 1);
  const rest = m[3] ?? "";
  const path = rest.split(/[?#]/, 1)[0]!.toLowerCase();
  let score = 0;
  const name = v.field.name;
  // `a[b][c]` names: the innermost key is what the application reads.
  const inner = name === null ? null : (/\[([\w.-]{1,64})\]$/.exec(name)?.[1] ?? name);
  if (inner !== null && (INCLUDE_PARAMS.has(inner) || /(?:^|_)(?:file|path|include|template|page)$/.test(inner)))
    score += 3;
  if (name !== null && ROOT_PARAM.test(name)) score += 5;
  if (CODE_EXT.test(path)) score += 3;
  // `.txt` is how include payloads are hosted (the attacker's server must not run them), but also an ordinary file.
  else if (path.endsWith(".txt")) score += 1;
  // `?` / `??` / `#` / NUL at the end cut off a suffix the application appends (`.php`).
  // A bare trailing `?` (the URL has no other query) exists only to cut off that suffix.
  if (/^[^?]*\?+$/.test(rest)) score += 5;
  else if (/(?:\?+|#|\?&)$/.test(rest) || (v.hadNull && /\.\w{1,5}$/.test(path))) score += 3;
  // An IP literal as the host of a URL parameter (CDNs and apps use names).
  if (IP_HOST.test(host) || BARE_IPV6.test(authority)) score += 3;
  if (PASTE_HOSTS.test(host.replace(/:\d+$/, ""))) score += 3;
  if (SHELL_NAME.test(path)) score += 3;
  if (scheme === "ftp" || scheme === "ftps" || scheme === "smb" || scheme === "webdav" || text.startsWith("\\\\"))
    score += 2;
  if (rawScheme !== "" && rawScheme !== scheme && rawScheme !== rawScheme.toUpperCase()) score += 2;
  // Query parameters on the included script that name a command (`shell.txt?cmd=id`).
  if (/[?&](?:cmd|c|exec|command|x)=/.test(rest)) score += 2;
  return score > 0 ? { ruleId: "rfi-remote-include", score: Math.min(score, 8) } : null;
}
