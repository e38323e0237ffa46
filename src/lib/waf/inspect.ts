/**
 * Runs the payload detectors over one value: normalises it once, skips values that cannot
 * carry any payload (plain words and numbers: most of them), picks the detectors for where the
 * value came from, and returns the strongest finding. Long values are inspected in overlapping
 * windows so every detector sees bounded input.
 */
import { detectCommand } from "./command.ts";
import { detectJava } from "./java.ts";
import { detectLog4shell } from "./log4shell.ts";
import { dataUrlPayloads, normalizeValue } from "./normalize.ts";
import { detectPhp } from "./php.ts";
import { detectRfi } from "./rfi.ts";
import { detectSqli } from "./sqli.ts";
import { detectSsrf } from "./ssrf.ts";
import { detectTemplate } from "./template.ts";
import { detectTraversal } from "./traversal.ts";
import type { AttackClass, Detector, Field, Finding, Inspected, PartKind } from "./types.ts";
import { detectXss } from "./xss.ts";
import { detectXxe } from "./xxe.ts";

interface Entry {
  cls: AttackClass;
  detect: Detector;
  /** Cheap test on the normalised text: can this class be present at all? (Skips most detector runs.) */
  gate: (text: string, lower: string) => boolean;
}

const JAVA_HINTS = /java|ognl|classloader|getclass|forname|processbuilder|getruntime|transformer|templatesimpl|rowset|c3p0|groovy|bsh\.|ysoserial|nashorn|unsafe|scriptengine|xmldecoder|initialcontext|beanutils|springframework|logback|xbean|fastjson|dbcp|hibernate|freemarker|xwork|struts|@type|@class|\$type|aced0005|[#%]\{|\(#|#_|#context|#application|#attr|#parameters|\bt\s{0,4}\(|\u00ac\u00ed|\\xac/;

/** In tie-break order: on equal scores the more specific class names the finding. */
const ALL: readonly Entry[] = [
  { cls: "log4shell", detect: detectLog4shell, gate: (t) => t.includes("${") },
  { cls: "java", detect: detectJava, gate: (t, l) => t.includes("rO0AB") || JAVA_HINTS.test(l) },
  { cls: "php", detect: detectPhp, gate: (t) => t.includes("(") || t.includes("<?") || t.includes("://") || t.includes(':"') || t.includes("$_") },
  { cls: "xxe", detect: detectXxe, gate: (t) => t.includes("<!") },
  { cls: "template", detect: detectTemplate, gate: (t) => /[{%#@[]/.test(t) },
  { cls: "ssrf", detect: detectSsrf, gate: (t, l) => t.includes(":") || /^\s*[\d[]/.test(t) || /^\s*(?:localhost|metadata|instance-data)/.test(l) },
  { cls: "rfi", detect: detectRfi, gate: (t) => /^\s*(?:[a-z]{3,6}:\/\/|\/\/|\\\\)/i.test(t) },
  { cls: "command", detect: detectCommand, gate: (t, l) => /[;|&\n`$(]/.test(t) || l.includes(" -") || l.includes(" /c") },
  { cls: "traversal", detect: detectTraversal, gate: (t) => t.includes("/") || t.includes("\\") || t.includes(".") },
  { cls: "sqli", detect: detectSqli, gate: (t, l) => /['"`();#=<>|&*/-]/.test(t) || (l.includes("union") && l.includes("select")) },
  { cls: "xss", detect: detectXss, gate: (t, l) => t.includes("<") || l.includes("script:") || l.includes("data:") || /['"`]/.test(t) },
];

const pick = (...classes: AttackClass[]) => ALL.filter((e) => classes.includes(e.cls));

/** Which detectors look at which part of a request. */
const BY_KIND: Record<PartKind, readonly Entry[]> = {
  path: pick("log4shell", "java", "php", "template", "ssrf", "command", "traversal", "sqli", "xss"),
  query: ALL,
  body: ALL,
  cookie: ALL.filter((e) => e.cls !== "rfi"),
  // Parameter names, JSON keys, cookie names: injection into names happens, URLs there do not.
  name: pick("log4shell", "java", "php", "template", "command", "traversal", "sqli", "xss"),
  "user-agent": pick("log4shell", "java", "php", "template", "command", "traversal", "sqli", "xss"),
  // The page the visitor came from: its own URL (internal hosts, URLs in its query) is no SSRF/RFI.
  referer: pick("log4shell", "java", "php", "template", "command", "traversal", "sqli", "xss"),
  // Other headers: what servers and libraries evaluate from headers (lookups, Shellshock, OGNL).
  header: [...pick("log4shell", "java"), { cls: "command", detect: shellshockOnly, gate: (t) => t.includes("(") }],
  // The raw XML document: entity declarations only (its text is inspected field by field).
  xml: pick("xxe"),
};

function shellshockOnly(v: Inspected): Finding | null {
  return /^\s*\(\s*\)\s*\{/.test(v.text) ? { ruleId: "command-shellshock", score: 7 } : null;
}

/** Values made only of these cannot carry a payload (beyond the two checks in `inspectField`). */
const PLAIN = /^[A-Za-z0-9 _,-]*$/;
/** Single tokens such as emails, dates, versions, host names: only these detectors can apply. */
const TOKEN = /^[\w.@+:-]*$/;
const TOKEN_CLASSES: ReadonlySet<AttackClass> = new Set(["traversal", "ssrf", "java"]);
/** Header values that contain none of these are not inspected (lookups, Shellshock and OGNL need them). */
const HEADER_TRIGGER = /[$%\\(#@{]|java|rO0AB|aced0005|\b(?:com|org|ch|bsh|groovy|sun|jdk)\.\w/i;
const WINDOW = 16_384;
const OVERLAP = 512;

export interface ValueFinding extends Finding {
  cls: AttackClass;
}

function runDetectors(v: Inspected, entries: readonly Entry[]): ValueFinding | null {
  let best: ValueFinding | null = null;
  const token = TOKEN.test(v.text);
  for (const e of entries) {
    if ((token && !TOKEN_CLASSES.has(e.cls)) || !e.gate(v.text, v.lower)) continue;
    const f = e.detect(v);
    if (f !== null && (best === null || f.score > best.score)) best = { ...f, cls: e.cls };
  }
  return best;
}

function inspected(text: string, raw: string, hadNull: boolean, field: Field): Inspected {
  return { text, lower: text.toLowerCase(), raw, hadNull, field };
}

/** Plain words, numbers and spaces: nothing to inspect, except `1 union select null` and serialized Java (`rO0AB…`). */
function isPlain(raw: string): boolean {
  if (raw.length > 256 || !PLAIN.test(raw)) return false;
  if (raw.includes("rO0AB")) return false;
  const lower = raw.toLowerCase();
  return !(lower.includes("union") && lower.includes("select")) && !lower.includes("aced0005");
}

/**
 * Results for values seen recently. The same User-Agent, Accept, Referer, cookie and parameter
 * values arrive again and again; the result only depends on (kind, name, value).
 */
const cache = new Map<string, ValueFinding | null>();
const CACHE_SIZE = 2_048;
const CACHE_MAX_VALUE = 512;

/** The strongest finding for one value, or null. */
export function inspectField(field: Field): ValueFinding | null {
  const raw = field.value;
  if (field.kind === "header" && !HEADER_TRIGGER.test(raw)) return null;
  if (isPlain(raw)) return null;
  if (raw.length > CACHE_MAX_VALUE) return inspectUncached(field);
  const key = `${field.kind}\u0000${field.name ?? ""}\u0000${raw}`;
  let found = cache.get(key);
  if (found === undefined) {
    found = inspectUncached(field);
    if (cache.size >= CACHE_SIZE) cache.clear();
    cache.set(key, found);
  }
  return found;
}

function inspectUncached(field: Field): ValueFinding | null {
  const raw = field.value;
  const entries = BY_KIND[field.kind];
  if (field.kind === "xml") return runDetectors(inspected(raw, raw, false, field), entries);
  const { text, hadNull } = normalizeValue(raw);
  let best: ValueFinding | null = null;
  const consider = (f: ValueFinding | null) => {
    if (f !== null && (best === null || f.score > best.score)) best = f;
  };
  if (text.length <= WINDOW) consider(runDetectors(inspected(text, raw, hadNull, field), entries));
  else {
    for (let at = 0; at < text.length; at += WINDOW - OVERLAP) {
      consider(runDetectors(inspected(text.slice(at, at + WINDOW), raw, hadNull, field), entries));
    }
  }
  // `data:…;base64,` payloads are decoded only where the content declares it.
  for (const decoded of dataUrlPayloads(text)) consider(runDetectors(inspected(normalizeValue(decoded).text, decoded, false, field), entries));
  return best;
}
