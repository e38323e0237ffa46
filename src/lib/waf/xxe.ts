/**
 * XML external entities: a DOCTYPE that declares entities. External ones (`SYSTEM`/`PUBLIC`
 * with a URI, parameter entities `%x;`) read files or fetch URLs when a parser expands them;
 * internal entities that reference other entities are the "billion laughs" expansion bomb.
 * Ordinary XML (SOAP, RSS, SVG) has no entity declarations. XSLT injection (below) is read here too.
 */
import type { Finding, Inspected } from "./types.ts";

const EXTERNAL = /<!ENTITY\s{1,16}(?:%\s{1,16})?[\w.-]{1,64}\s{1,16}(?:SYSTEM|PUBLIC)\b/i;
/** A DOCTYPE whose DTD is fetched from a URI (also scheme-relative `//host/x` or a UNC path). */
const DOCTYPE_EXTERNAL =
  /<!DOCTYPE\s{1,16}[\w:.-]{1,64}\s{1,16}(?:SYSTEM|PUBLIC\s{1,16}["'][^"']{0,200}["'])\s{1,16}["']((?:https?|ftp|file|php|jar|gopher|netdoc):|\/\/|\\\\)/gi;
/** The W3C's own DTDs (SVG, XHTML, MathML, as editors export them): parsers resolve them from catalogs or not at all. */
const W3C_DTD = /^https?:\/\/www\.w3\.org\//i;

function externalDtd(s: string): boolean {
  DOCTYPE_EXTERNAL.lastIndex = 0;
  for (let m = DOCTYPE_EXTERNAL.exec(s), n = 0; m !== null && n < 8; m = DOCTYPE_EXTERNAL.exec(s), n++) {
    const at = m.index + m[0].length - m[1]!.length;
    if (!W3C_DTD.test(s.slice(at, at + 24))) return true;
  }
  return false;
}
const ENTITY_REFS = /<!ENTITY\s{1,16}[\w.-]{1,64}\s{1,16}["'](?:[^"'&]{0,64}&[\w.-]{1,64};){2}/i;

/** XXE score of one value (a whole XML body or an XML string inside a parameter). */
export function detectXxe(v: Inspected): Finding | null {
  const s = v.text;
  if (s.includes("<!")) {
    if (EXTERNAL.test(s)) return { ruleId: "xxe-external-entity", score: 7 };
    if (externalDtd(s)) return { ruleId: "xxe-external-dtd", score: 6 };
    if (ENTITY_REFS.test(s)) return { ruleId: "xxe-entity-expansion", score: 6 };
    if (/<!ENTITY\s/i.test(s) && /<!DOCTYPE/i.test(s)) return { ruleId: "xxe-entity-declaration", score: 4 };
  }
  return xsltGate(v.lower) ? xslt(s, v.field.kind) : null;
}

/** The XSLT gate (also the class gate's second half, `inspect.ts`): an `xsl:` name or PHP's XSLT callback. */
export const xsltGate = (l: string): boolean => l.includes("xsl:") || l.includes("php:function");

/**
 * XSLT injection: a value that lands in a stylesheet (or is one) and asks the processor for its
 * identity (`system-property('xsl:vendor')`, scanners' first probe), reads or fetches a document,
 * or runs PHP (`php:function('exec', …)` under libxslt's PHP callbacks). XSLT markup alone is no
 * attack (a developer searches for `<xsl:for-each select=…>`); in a body the identity probe is a
 * signal only (`contains(system-property('xsl:vendor'), 'SAXON')` is how stylesheets test their
 * processor).
 */
function xslt(s: string, kind: string): Finding | null {
  if (PHP_CALLBACK.test(s)) return { ruleId: "xxe-xslt-injection", score: 7 };
  const inBody = kind === "body" || kind === "xml";
  // A form's field is a body value too: a short one on a single line fetching a remote document is a probe there as well.
  if (XSL_FETCH.test(s) && (!inBody || (s.length <= 120 && !s.includes("\n"))))
    return { ruleId: "xxe-xslt-injection", score: 6 };
  if (XSL_VENDOR_PROBE.test(s)) return { ruleId: "xxe-xslt-injection", score: inBody ? 3 : 6 };
  return null;
}
const PHP_CALLBACK =
  /php:function\s{0,4}\(\s{0,4}['"]\s{0,4}(?:exec|system|passthru|shell_exec|popen|proc_open|pcntl_exec|assert|eval|create_function|call_user_func|file_get_contents|file_put_contents|fopen|readfile|scandir|opendir|unlink|include|require)\s{0,4}['"]/i;
/** XPath functions that read a document, given a remote or file address (`document('http://…:22')`: a port scan too). */
const XSL_FETCH =
  /(?:document|unparsed-text|doc|collection)\s{0,4}\(\s{0,4}['"]\s{0,4}(?:https?|ftp|file|jar|gopher):/i;
/** `system-property('xsl:vendor')` and its siblings (`xsl:version`, `xsl:product-name`): what a processor tells about itself. */
const XSL_VENDOR_PROBE = /system-property\s{0,4}\(\s{0,4}['"]\s{0,4}xsl:[a-z-]{2,30}\s{0,4}['"]\s{0,4}\)/i;
