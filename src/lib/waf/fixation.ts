/**
 * Session fixation: the attacker makes the victim's browser use a session id the attacker
 * knows. Two shapes:
 * - a session-id parameter sent as a request argument (`?PHPSESSID=…`, `jsessionid=`,
 *   `connect.sid=`, a top-level JSON key `"phpsession"`): frameworks that accept the id from the
 *   URL or body adopt it. Cookies named so are ordinary and are not looked at here;
 * - a value that sets a cookie: `document.cookie="sid=…"`, `….cookie; expires=` / `; domain=`,
 *   `<meta http-equiv="Set-Cookie" …>`.
 * The generic API spelling `session_id` (Stripe Checkout success URLs, chat APIs) is only a
 * paranoia-level-2 signal; framework cookie names and `sessionid`/`session-id` block.
 *
 * CRS lets a session parameter through when the Referer is the site itself; a per-value
 * detector cannot see the Referer or Host (see the report: the lead may drop
 * `fixation-session-param` for same-site Referers in `index.ts`).
 */
import type { Finding, Inspected } from "./types.ts";

/** Session cookie names of common frameworks (lower case), as argument names. */
// oxfmt-ignore
const FRAMEWORK_SESSION = new Set([
  "phpsessid", "phpsession", "jsessionid", "jservsession", "jwsession", "aspsessionid", "asp.net_sessionid", "cfid", "cftoken", "cfsid",
  "laravel_session", "ci_session", "cakephp", "connect.sid", "sails.sid", "koa.sess", "koa:sess", "_rails_session", "rack.session",
  "_flask_session", "play_session", "zend_session_id", "weblogicsession", "wlsession", "next-auth.session-token",
  "__secure-next-auth.session-token", "__host-next-auth.session-token", "meteor_login_token", "shiny-token", "sessionid", "session-id",
  "_session_id", "sid_token", "django_session", "symfony", "express.sid", "_gitlab_session", "frontend", "adminhtml",
]);
/** Generic spellings that APIs also use for their own purposes. */
const GENERIC_SESSION = new Set(["session_id", "sessid", "sessionkey", "session_key", "session"]);

/** `….cookie` followed (closely) by an assignment and a cookie attribute, or `http-equiv=set-cookie`. */
const COOKIE_WRITE =
  /\.cookie\s{0,8}(?:=|\[)|\.cookie\b[^;]{0,120};\s{0,8}(?:expires|domain|path|max-age|samesite)\s{0,8}=|http-equiv\s{0,8}=?\s{0,8}['"]?\s{0,8}set-cookie/;

export function detectFixation(v: Inspected): Finding | null {
  const f = v.field;
  if (
    f.kind === "name" &&
    (f.where === "query-name" ||
      f.where === "body-name" ||
      (f.where === "body-key" && f.key !== null && !f.key.includes(".")))
  ) {
    const name = f.name ?? "";
    if (FRAMEWORK_SESSION.has(name) || /^aspsessionid[a-z]{0,12}$/.test(name))
      return { ruleId: "fixation-session-param", score: 5 };
    if (GENERIC_SESSION.has(name)) return { ruleId: "fixation-session-param", score: 5, pl: 2 };
    return null;
  }
  const l = v.lower;
  if (!l.includes("cookie")) return null;
  if (COOKIE_WRITE.test(l)) {
    // `document.cookie = "sid=…"` or a cookie attribute list: a script or markup that plants a cookie.
    // Fixation evidence: a session-like cookie name, a `domain=` that widens its scope, a script/markup context (the
    // value is markup that would run), or a value that starts mid-expression (`.cookie;expires=`). Plain code
    // posted as text (`document.cookie = `theme=…; path=/``) is not.
    const sessionName =
      /\.cookie\s{0,8}=\s{0,8}['"`]?\s{0,8}[\w.$-]{0,40}(?:sess|sid|token|auth|login|user)[\w.$-]{0,40}=/.test(l);
    const context =
      /<script|<svg|<img|<body|<iframe|\bon[a-z]{3,20}\s{0,4}=|javascript:|http-equiv|['"]\s{0,4}[;)]\s{0,8}document\.cookie/.test(
        l,
      );
    const fragment = /^\s{0,4}\.cookie\b/.test(l);
    const domain = /;\s{0,8}domain\s{0,8}=/.test(l);
    return { ruleId: "fixation-cookie-write", score: sessionName || context || fragment || domain ? 6 : 3 };
  }
  return null;
}

/** Whether an argument name is a session id (lets `inspect.ts` look at it although it is a plain word). */
export function isSessionParamName(name: string | null): boolean {
  if (name === null || name.length > 48) return false;
  const l = name.toLowerCase();
  return FRAMEWORK_SESSION.has(l) || GENERIC_SESSION.has(l) || /^aspsessionid[a-z]{0,12}$/.test(l);
}
