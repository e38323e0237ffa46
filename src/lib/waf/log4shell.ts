/**
 * Log4Shell-style lookups (`${jndi:ldap://…}`) including the nested/obfuscated forms that hide
 * the word `jndi`: `${${lower:j}ndi:…}`, `${${::-j}${::-n}${::-d}${::-i}:…}`,
 * `${${env:NOPE:-j}ndi:…}`, `${${date:'j'}…}`. Instead of guessing patterns, the lookups are
 * *evaluated* innermost-first the way Log4j would (`lower`, `upper`, `date:'x'`, defaults
 * `:-x`, other lookups resolve to a placeholder) until nothing changes (bounded), and the
 * result is checked for a `jndi:` lookup. Lookups that only Log4j knows (`${env:…}`,
 * `${sys:…}`, `${java:…}`, `${ctx:…}`, …) are data exfiltration probes on their own.
 * `${base64:…}` is decoded and evaluated further; nested lookups with an empty name and a
 * default (`${${::-j}}`) are Log4j's letter smuggling even when no `jndi` results, while nested
 * shell defaults (`${A:-${B:-c}}`) are not. Numeric HTML references padded with zeros
 * (`&#000…123;`), which the generic decoder leaves alone, are decoded from the raw value. The
 * same kind of lookup in Apache Commons Text (`${script:…}`, `${url:…}`, `${dns:…}`, `${file:…}`,
 * "Text4Shell") counts too.
 */
import { decodeEntities, percentDecode } from "./normalize.ts";
import type { Finding, Inspected } from "./types.ts";

const MAX_ROUNDS = 64;
const MAX_LENGTH = 4_096;
const LOG4J_LOOKUPS =
  /\$\{\s*(?:sys|java|ctx|main|bundle|k8s|docker|spring|log4j|web|jvmrunargs|marker|sd|map|event|base64|hostname|upper|lower|date|env)\s*:/i;

/**
 * Apache Commons Text's interpolator (CVE-2022-42889, "Text4Shell"), each with its own grammar:
 * `${script:javascript:…}` runs code, `${url:UTF-8:http://…}` fetches, `${dns:address|host}`
 * resolves, `${file:UTF-8:/etc/passwd}` reads. A character set names the lookups that take one
 * (`${URL:jdbc:…}` is a Spring placeholder with a default, `${file:i:n}` a shell substring).
 */
// oxfmt-ignore
const COMMONS_TEXT =
  /\$\{\s{0,4}(?:script\s{0,4}:\s{0,4}(?:javascript|js|nashorn|graal\.js|groovy|jexl3?|python|jython|ruby|jruby)\s{0,4}:|url\s{0,4}:\s{0,4}(?:utf-?(?:8|16(?:[bl]e)?|32)|iso-?8859-\d{1,2}|us-ascii|ascii|latin-?1|windows-12\d\d|cp\d{3,4})\s{0,4}:{1,2}\s{0,4}(?:https?|ftp|file|jar|gopher)\s{0,4}:|dns\s{0,4}:\s{0,4}(?:address|canonical-name|name)\s{0,4}\||file\s{0,4}:\s{0,4}(?:utf-?(?:8|16(?:[bl]e)?|32)|iso-?8859-\d{1,2}|us-ascii|ascii|latin-?1|windows-12\d\d|cp\d{3,4})\s{0,4}:\s{0,4}(?:[/\\.~]|[a-z]:[/\\]))/i;

/** `${::-x}` / `${:-x}`: a lookup with an empty name and a default, Log4j's letter-smuggling trick (no shell has it). */
const EMPTY_DEFAULT = /\$\{\s{0,4}:{1,2}-/;

/** How much of the raw value is decoded again (every window of a long value shares the same raw). */
const RAW_REDECODE = 16_384;
const LOOKUP_DEFAULT = /\$\{[^{}:]{0,40}:[^{}]{0,60}:-/;

/** The innermost `${…}` lookup (no `{` inside): start and end index, found in one linear scan. */
function innermost(t: string): [number, number] | null {
  let open = -1;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 36 /* $ */ && t.charCodeAt(i + 1) === 123) {
      open = i;
      i++;
    } else if (c === 123 /* { */) open = -1;
    else if (c === 125 /* } */ && open !== -1) return [open, i];
    else if (open !== -1 && i - open > 256) open = -1;
  }
  return null;
}

/** Evaluates one lookup's content as Log4j would (roughly), or null for a JNDI lookup. */
function resolve(content: string): string | null {
  const c = content.trim();
  if (/^jndi\s*:/i.test(c)) return null;
  const dflt = c.indexOf(":-");
  if (dflt !== -1) return c.slice(dflt + 2);
  const colon = c.indexOf(":");
  if (colon === -1) return "x";
  const name = c.slice(0, colon).toLowerCase().trim();
  const arg = c.slice(colon + 1);
  if (name === "lower") return arg.toLowerCase();
  if (name === "upper") return arg.toUpperCase();
  if (name === "date") return arg.replace(/^'|'$/g, "");
  if (name === "base64") return base64(arg) ?? "x";
  return "x";
}

/** `${base64:…}` (Log4j 2.x): the decoded text, evaluated further. */
function base64(arg: string): string | null {
  const b = arg
    .trim()
    .replaceAll("-", "+")
    .replaceAll("_", "/")
    .replace(/(?<!=)=+$/, "");
  if (b.length === 0 || b.length > 1_024 || !/^[A-Za-z0-9+/]+$/.test(b) || b.length % 4 === 1) return null;
  try {
    return atob(b);
  } catch {
    return null;
  }
}

/** Entity forms the generic decoder leaves alone: numeric references with any number of leading zeros. */
const LONG_ENTITY = /&#(?:[xX]([0-9A-Fa-f]{1,300})|([0-9]{1,300}));?/g;

function decodeLongEntities(s: string): string {
  return s.replace(LONG_ENTITY, (m, hex: string | undefined, dec: string | undefined) => {
    const cp = hex !== undefined ? parseInt(hex, 16) : parseInt(dec!, 10);
    return Number.isFinite(cp) && cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
  });
}

/** Log4Shell score of one (normalised) value. */
export function detectLog4shell(v: Inspected): Finding | null {
  const found = detectIn(v.text);
  // `&#0000…123;` (any number of leading zeros) is `{` to an HTML decoder; decode the raw value again.
  if (found === null && v.raw.includes("&#"))
    return detectIn(decodeEntities(decodeLongEntities(percentDecode(v.raw.slice(0, RAW_REDECODE)))));
  return found;
}

function detectIn(s: string): Finding | null {
  const at = s.indexOf("${");
  if (at === -1) return null;
  let t = s.slice(at, at + MAX_LENGTH);
  let nested = false;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const m = innermost(t);
    if (m === null) break;
    const [start, end] = m;
    const value = resolve(t.slice(start + 2, end));
    if (value === null)
      return { ruleId: round === 0 || !nested ? "log4shell-jndi-lookup" : "log4shell-obfuscated-lookup", score: 8 };
    if (round === 0 && /\$\{[^{}]{0,64}\$\{/.test(t)) nested = true;
    t = t.slice(0, start) + value + t.slice(end + 1);
  }
  // Unclosed or over-long lookups: still catch the plain keyword after removing the lookup noise.
  if (/\$\{\s*j\s*n\s*d\s*i\s*:/i.test(t)) return { ruleId: "log4shell-jndi-lookup", score: 7 };
  if (COMMONS_TEXT.test(s)) return { ruleId: "log4shell-commons-text-lookup", score: 7 };
  if (LOG4J_LOOKUPS.test(s)) {
    // `${env:…}` alone is also PowerShell syntax; the Log4j-only lookups and nesting are not.
    const envOnly =
      !/\$\{\s*(?:sys|java|ctx|main|bundle|k8s|docker|spring|log4j|web|jvmrunargs|marker|sd|map|event|base64|hostname|upper|lower|date)\s*:/i.test(
        s,
      );
    return { ruleId: "log4shell-lookup", score: nested ? 6 : envOnly ? 3 : 5 };
  }
  if (nested && EMPTY_DEFAULT.test(s)) return { ruleId: "log4shell-obfuscated-lookup", score: 6 };
  // Nested defaults: `${env:X:-j}` (a lookup prefix before the default) is Log4j's; `${A:-${B:-c}}` is a shell's.
  return nested && LOOKUP_DEFAULT.test(s) ? { ruleId: "log4shell-lookup", score: 4 } : null;
}
