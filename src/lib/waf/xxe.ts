/**
 * XML external entities: a DOCTYPE that declares entities. External ones (`SYSTEM`/`PUBLIC`
 * with a URI, parameter entities `%x;`) read files or fetch URLs when a parser expands them;
 * internal entities that reference other entities are the "billion laughs" expansion bomb.
 * Ordinary XML (SOAP, RSS, SVG) has no entity declarations.
 */
import type { Finding, Inspected } from "./types.ts";

const EXTERNAL = /<!ENTITY\s{1,16}(?:%\s{1,16})?[\w.-]{1,64}\s{1,16}(?:SYSTEM|PUBLIC)\b/i;
const DOCTYPE_EXTERNAL =
  /<!DOCTYPE\s{1,16}[\w:.-]{1,64}\s{1,16}(?:SYSTEM|PUBLIC\s{1,16}["'][^"']{0,200}["'])\s{1,16}["'](?:https?|ftp|file|php|jar|gopher|netdoc):/i;
const ENTITY_REFS = /<!ENTITY\s{1,16}[\w.-]{1,64}\s{1,16}["'](?:[^"'&]{0,64}&[\w.-]{1,64};){2}/i;

/** XXE score of one value (a whole XML body or an XML string inside a parameter). */
export function detectXxe(v: Inspected): Finding | null {
  const s = v.text;
  if (!s.includes("<!")) return null;
  if (EXTERNAL.test(s)) return { ruleId: "xxe-external-entity", score: 7 };
  if (DOCTYPE_EXTERNAL.test(s)) return { ruleId: "xxe-external-dtd", score: 6 };
  if (ENTITY_REFS.test(s)) return { ruleId: "xxe-entity-expansion", score: 6 };
  if (/<!ENTITY\s/i.test(s) && /<!DOCTYPE/i.test(s)) return { ruleId: "xxe-entity-declaration", score: 4 };
  return null;
}
