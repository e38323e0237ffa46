/**
 * XML external entities: a DOCTYPE that declares entities. External ones (`SYSTEM`/`PUBLIC`
 * with a URI, parameter entities `%x;`) read files or fetch URLs when a parser expands them;
 * internal entities that reference other entities are the "billion laughs" expansion bomb.
 * Ordinary XML (SOAP, RSS, SVG) has no entity declarations.
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
  if (!s.includes("<!")) return null;
  if (EXTERNAL.test(s)) return { ruleId: "xxe-external-entity", score: 7 };
  if (externalDtd(s)) return { ruleId: "xxe-external-dtd", score: 6 };
  if (ENTITY_REFS.test(s)) return { ruleId: "xxe-entity-expansion", score: 6 };
  if (/<!ENTITY\s/i.test(s) && /<!DOCTYPE/i.test(s)) return { ruleId: "xxe-entity-declaration", score: 4 };
  return null;
}
