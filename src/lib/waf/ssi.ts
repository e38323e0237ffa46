/**
 * Server-side includes and edge-side includes in a value that a server may render:
 * `<!--#exec cmd="…"-->`, `<!--#include virtual="…"-->`, `<!--#echo var=…-->`,
 * `<!--#printenv-->`, `<!--#config …-->`, `<!--#set var=…-->`, `<!--#fsize file=…-->`;
 * ESI `<esi:include src=…>`, `<esi:vars>`, `<esi:debug/>`. An HTML comment that merely
 * starts with `#` text (`<!-- #section -->`, with a space) is markup, not a directive.
 */
import type { Finding, Inspected } from "./types.ts";

const SSI =
  /<!--#\s{0,4}(exec|include|echo|printenv|config|set|fsize|flastmod|if|elif|else|endif)\b(\s{1,8}[a-z]{2,12}\s{0,4}=|\s{0,8}-->)?/;
const ESI = /<esi:(?:include|inline|vars|debug|eval|try|assign|choose|when|otherwise|remove|comment|text)\b/;

/** Cheap test (the class's gate): an SSI directive (`<!--#`) or an ESI tag (`<esi:`). */
export function ssiGate(t: string, l: string): boolean {
  return t.includes("<") && (t.includes("<!--#") || l.includes("<esi:"));
}

export function detectSsi(v: Inspected): Finding | null {
  const l = v.lower;
  const m = SSI.exec(l);
  if (m) {
    const directive = m[1]!;
    if (directive === "exec") return { ruleId: "ssi-directive", score: m[2] !== undefined ? 8 : 5 };
    if (directive === "printenv") return { ruleId: "ssi-directive", score: 6 };
    if (directive === "include") {
      // Including a page fragment (`virtual="/includes/header.html"`) is what SSI is for (pasted templates); a
      // system file, a climb, a script or a remote URL is not.
      const arg = /<!--#\s{0,4}include\s{1,8}(?:virtual|file)\s{0,4}=\s{0,4}['"]?([^'"\s>]{0,200})/.exec(l)?.[1] ?? "";
      const bad =
        arg === "" ||
        /\.\.|^\/?(?:etc|proc|var|usr|root|home|windows|winnt|boot)\b|passwd|shadow|\.(?:php\d?|pl|cgi|sh|py|env|ini|conf|config|log|htaccess|htpasswd)\b|:\/\/|[?;|`$]/.test(
          arg,
        );
      return { ruleId: "ssi-directive", score: bad ? 8 : 4 };
    }
    return { ruleId: "ssi-directive", score: m[2] !== undefined ? 6 : 4 };
  }
  if (ESI.test(l)) return { ruleId: "ssi-esi-tag", score: /<esi:(?:include|inline|eval|debug|vars)/.test(l) ? 6 : 5 };
  return null;
}
