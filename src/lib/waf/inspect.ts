/**
 * Runs the payload detectors over one value: normalises it once, skips values that cannot
 * carry any payload (plain words and numbers: most of them), picks the detectors for where the
 * value came from, and returns the strongest finding. Long values are read without the
 * sentences between their code and markup, and in overlapping windows so every detector sees
 * bounded input.
 */
import { commandGate, detectCommand, plainCommandLine } from "./command.ts";
import { detectCrlf } from "./crlf.ts";
import { detectFixation, isSessionParamName } from "./fixation.ts";
import { detectJava, javaGate } from "./java.ts";
import { detectLdap, ldapGate } from "./ldap.ts";
import { detectLog4shell } from "./log4shell.ts";
import {
  dataUrlPayloads,
  maybeBase64Text,
  maybeHexText,
  normalizeValue,
  wholeBase64Text,
  wholeHexText,
} from "./normalize.ts";
import { detectNode } from "./node.ts";
import { detectNosql, nosqlGate } from "./nosql.ts";
import { detectPhp } from "./php.ts";
import { detectRfi } from "./rfi.ts";
import { detectSqli, sqliPlainValue } from "./sqli.ts";
import { detectSsi, ssiGate } from "./ssi.ts";
import { neededBySentence, proseEntry, sentenceNeeds, withoutProse } from "./sentences.ts";
import { detectSsrf, ssrfGate } from "./ssrf.ts";
import { detectTemplate, renderMarkers } from "./template.ts";
import { detectTraversal, traversalGate } from "./traversal.ts";
import {
  type AttackClass,
  CONDENSE_MIN,
  type Detector,
  type Field,
  type Finding,
  type Inspected,
  type PartKind,
} from "./types.ts";
import { detectXss, xssGate } from "./xss.ts";
import { detectXxe, xsltGate } from "./xxe.ts";

export interface Entry {
  cls: AttackClass;
  detect: Detector;
  /** Cheap test on the normalised text: can this class be present at all? (Skips most detector runs.) */
  gate: (text: string, lower: string) => boolean;
}

/** In tie-break order: on equal scores the more specific class names the finding. */
const ALL: readonly Entry[] = [
  { cls: "log4shell", detect: detectLog4shell, gate: (t) => t.includes("$") || t.includes("&#") },
  { cls: "java", detect: detectJava, gate: javaGate },
  { cls: "php", detect: detectPhp, gate: (_t, l) => /[(<$[{=]|:\/\/|:"|data:|\.\s?ph|sess_/.test(l) },
  {
    cls: "node",
    detect: detectNode,
    gate: (t, l) =>
      /proto|constructor|process|require|console|function|_\$\$|while|for\s{0,4}\(|module|global|child_|import|eval|charcode|node_options/.test(
        l,
      ) || /^\s*[A-Za-z0-9+/]{12,}={0,2}\s*$/.test(t),
  },
  { cls: "xxe", detect: detectXxe, gate: (t, l) => t.includes("<!") || xsltGate(l) },
  {
    cls: "template",
    detect: detectTemplate,
    gate: (t) => /[{%#@[]|__|!!|\b(?:Process|Kernel|IO|Open3|PTY)\s{0,4}\./.test(t) || renderMarkers(t),
  },
  { cls: "ssrf", detect: detectSsrf, gate: ssrfGate },
  { cls: "rfi", detect: detectRfi, gate: (t) => /^\s*(?:[a-z]{3,6}:\/\/|\/\/|\\\\|(?:https?|ftps?|file)\?)/i.test(t) },
  { cls: "command", detect: detectCommand, gate: commandGate },
  { cls: "traversal", detect: detectTraversal, gate: traversalGate },
  { cls: "ssi", detect: detectSsi, gate: ssiGate },
  { cls: "crlf", detect: detectCrlf, gate: (t) => /[\r\n\u010a\u010d\u560a\u560d\u0d0a\u0a0d]/.test(t) },
  {
    cls: "fixation",
    detect: detectFixation,
    gate: (t, l) => l.includes("cookie") || (t.length <= 48 && !/\s/.test(t)),
  },
  { cls: "nosql", detect: detectNosql, gate: nosqlGate },
  { cls: "ldap", detect: detectLdap, gate: ldapGate },
  // sqli: the detector finds its own hot spots in one cheap scan (a gate would scan again).
  { cls: "sqli", detect: detectSqli, gate: () => true },
  { cls: "xss", detect: detectXss, gate: xssGate },
];

/** The detectors and their gates (for `bench/detector-cost.ts`, which times each one). */
export const detectorEntries = (): readonly Entry[] => ALL;

const pick = (...classes: AttackClass[]) => ALL.filter((e) => classes.includes(e.cls));

/** Which detectors look at which part of a request. */
const BY_KIND: Record<PartKind, readonly Entry[]> = {
  path: pick(
    "log4shell",
    "java",
    "php",
    "node",
    "template",
    "ssrf",
    "command",
    "traversal",
    "sqli",
    "xss",
    "ssi",
    "crlf",
  ),
  query: ALL,
  body: ALL,
  cookie: ALL.filter((e) => e.cls !== "rfi"),
  // Parameter names, JSON keys, cookie names: injection into names happens, URLs there do not.
  name: pick(
    "log4shell",
    "java",
    "php",
    "node",
    "template",
    "command",
    "traversal",
    "sqli",
    "xss",
    "fixation",
    "nosql",
  ),
  "user-agent": pick("log4shell", "java", "php", "node", "template", "command", "traversal", "sqli", "xss", "ssi"),
  // The page the visitor came from: its own URL (internal hosts, URLs in its query) is no SSRF/RFI.
  referer: pick("log4shell", "java", "php", "node", "template", "command", "traversal", "sqli", "xss", "ssi"),
  // Every other header: the same detectors as a parameter, but URLs in headers are not fetched (no SSRF/RFI).
  header: ALL.filter((e) => e.cls !== "rfi" && e.cls !== "ssrf" && e.cls !== "xxe"),
  // Standard headers whose value keeps to their grammar (see parts.ts): what servers and
  // libraries evaluate from any header (lookups, Shellshock, OGNL) is still looked for.
  "header-light": pick("log4shell", "java", "command"),
  // The raw XML document: entity declarations only (its text is inspected field by field).
  xml: pick("xxe"),
};

/** An ISO 8601 date or timestamp (`2026-12-04`, `2026-12-04T09:41:07.123+01:00`): nothing to inspect. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
/** A phone number (`+353 1 555 0142`, `(555) 010-1234`): digits, spaces, parentheses, dashes. */
const PHONE = /^\+?\(?\d[\d ()-]{5,24}$/;
/** Single tokens such as emails, dates, versions, host names: only these detectors can apply. */
const TOKEN = /^[\w.@+:-]*$/;
const TOKEN_CLASSES: ReadonlySet<AttackClass> = new Set([
  "traversal",
  "ssrf",
  "java",
  "php",
  "node",
  "xss",
  "fixation",
]);
/** What a single token can need: its classes, and SQL when `sqliPlainValue` says so. */
const TOKEN_OR_SQL_CLASSES: ReadonlySet<AttackClass> = new Set([...TOKEN_CLASSES, "sqli"]);
/** Standard header values that contain none of these are not inspected (lookups, Shellshock and OGNL need them). */
const HEADER_TRIGGER = /[$%\\(#@{]|java|rO0AB|aced0005|\b(?:com|org|ch|bsh|groovy|sun|jdk)\.\w/i;
const WINDOW = 16_384;
const OVERLAP = 512;

export interface ValueFinding extends Finding {
  cls: AttackClass;
  /** The detector threw (a bug, caught here): `security.onError` decides the request. */
  error?: string;
}

/** What one value gave: the strongest finding of each class that found something. */
export type ValueFindings = readonly ValueFinding[];
const NONE: ValueFindings = Object.freeze([]);

/** Keeps the strongest finding per class (a value rarely has more than one). */
function add(out: ValueFinding[], f: ValueFinding): void {
  const i = out.findIndex((o) => o.cls === f.cls);
  if (i === -1) out.push(f);
  else if (f.error !== undefined || (out[i]!.error === undefined && f.score > out[i]!.score)) out[i] = f;
}

/** Upload file names (multipart `filename`, `X-Filename`-style headers): a plain name such as `wp-config.php.bak` matters. */
function isUpload(field: Field): boolean {
  const name = field.name;
  return (
    field.where === "body-filename" ||
    (name !== null && name.length <= 12 && name.charCodeAt(0) === 120 && UPLOAD_NAME.test(name))
  );
}
const UPLOAD_NAME = /^x[-_]?file[-_]?name$/;

/**
 * An ordinary web address: `http(s)://`, a host name, a path of word characters, a query of
 * `name=value` pairs of word characters, a fragment (the value is already percent-decoded). No
 * quote, bracket, space, `;`, `$`, `<`, `:` past the port or `..` fits: of the classes, only
 * what a URL itself can be (SSRF, RFI, a sensitive path, a Java class or prototype key in a
 * parameter, a session id) is looked for.
 */
const CLEAN_URL =
  /^https?:\/\/[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,16}(?::\d{1,5})?(?:\/[\w.~-]{0,256}){0,64}(?:\?[\w.~=&-]{0,2048})?(?:#[\w.~/-]{0,256})?$/i;
const URL_CLASSES: ReadonlySet<AttackClass> = new Set(["ssrf", "rfi", "traversal", "java", "node", "fixation"]);

/** `entries` narrowed to the classes in `classes` (lists made once per part kind and value shape). */
const narrowed = new Map<readonly Entry[], Map<ReadonlySet<AttackClass>, readonly Entry[]>>();
function narrow(entries: readonly Entry[], classes: ReadonlySet<AttackClass>): readonly Entry[] {
  let byClasses = narrowed.get(entries);
  if (byClasses === undefined) narrowed.set(entries, (byClasses = new Map()));
  let list = byClasses.get(classes);
  if (list === undefined) byClasses.set(classes, (list = entries.filter((e) => classes.has(e.cls))));
  return list;
}
/** The classes a sentence can need at all: its punctuation's (`neededBySentence`) and the sentence gates' (`proseEntry`). */
const SENTENCE_CLASSES: ReadonlySet<AttackClass> = new Set(["traversal", "command", "php", "sqli"]);

function runDetectors(v: Inspected, all: readonly Entry[], out: ValueFinding[]): void {
  const token = TOKEN.test(v.text) && !isUpload(v.field);
  const sentence = token || isUpload(v.field) ? -1 : sentenceNeeds(v.text);
  const url =
    sentence < 0 &&
    !token &&
    v.text.length <= 4_096 &&
    v.text.charCodeAt(0) === 104 &&
    CLEAN_URL.test(v.text) &&
    !v.text.includes("..");
  const entries = token
    ? narrow(all, TOKEN_OR_SQL_CLASSES)
    : sentence >= 0
      ? narrow(all, SENTENCE_CLASSES)
      : url
        ? narrow(all, URL_CLASSES)
        : all;
  for (const e of entries) {
    let f: Finding | null;
    try {
      if (
        (token && !TOKEN_CLASSES.has(e.cls) && !(e.cls === "sqli" && tokenSql(v.lower))) ||
        (sentence >= 0 && !neededBySentence(e.cls, sentence) && !proseEntry(e.cls, v)) ||
        !e.gate(v.text, v.lower)
      )
        continue;
      f = e.detect(v);
    } catch (error) {
      // Never a 500: a detector bug is recorded under the class's error rule id.
      add(out, {
        ruleId: `${e.cls}-detector-error`,
        score: 0,
        cls: e.cls,
        error: error instanceof Error ? error.name : "error",
      });
      continue;
    }
    if (f !== null) add(out, { ...f, cls: e.cls });
  }
}

/** A single token that SQL still needs: `sqliPlainValue`, also with its `+` read as spaces (`1+UNION+ALL+SELECT+NULL--`). */
function tokenSql(lower: string): boolean {
  return sqliPlainValue(lower) || (lower.includes("+") && sqliPlainValue(lower.replaceAll("+", " ")));
}

function inspected(text: string, raw: string, hadNull: boolean, field: Field): Inspected {
  return { text, lower: text.toLowerCase(), raw, hadNull, field };
}

/**
 * Plain words, numbers and spaces (ASCII letters and digits, space, `_`, `,`, `-`; or an ISO
 * date or a phone number): nothing to inspect, except `1 union select null` and serialized Java
 * (`rO0AB…`). One pass over the characters decides most values; the marker
 * checks after it run only where their characters are present (every encoded marker has a
 * capital letter, a command line or SQL phrase a space or `--`).
 */
function isPlain(raw: string): boolean {
  const n = raw.length;
  if (n > 256) return false;
  let upper = false;
  let space = false;
  for (let i = 0; i < n; i++) {
    const c = raw.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 44 || c === 45) continue;
    if (c >= 65 && c <= 90) upper = true;
    else if (c === 32) space = true;
    else {
      if (n > 40) return false;
      const c0 = raw.charCodeAt(0);
      return (
        (c0 >= 48 && c0 <= 57 && DATE_TIME.test(raw)) ||
        ((c0 === 43 || c0 === 40 || (c0 >= 48 && c0 <= 57)) && PHONE.test(raw))
      );
    }
  }
  // Serialized Java (`rO0AB`, gzip'd `H4sI`) and node-serialize (`XyQk`, base64 of `_$$`) markers;
  // paths in base64 (`Li4v` = `../`, `L2V0Yy` = `/etc/`, `ZXRjL` = `etc/`); base64 or hex of any text.
  if (upper && ENCODED_MARKER.test(raw)) return false;
  if (n >= 8 && maybeBase64Text(raw)) return false;
  if (n >= 16 && maybeHexText(raw)) return false;
  // A command line made of plain words (`powershell -enc X`, `sudo bash`).
  if (space && plainCommandLine(raw)) return false;
  const lower = upper ? raw.toLowerCase() : raw;
  // Dots and slashes spelled in hex (`0x2e0x2e0x2fetc0x2fpasswd`), prototype keys, serialized
  // functions and Java objects, session ids.
  if (PLAIN_MARKER.test(lower)) return false;
  return !(lower.includes("union") && lower.includes("select")) && !sqliPlainValue(lower, !space);
}
const ENCODED_MARKER = /rO0AB|XyQk|H4sI|^(?:Li4|L2V0Yy|ZXRjL)/;
const PLAIN_MARKER = /0x(?:2e|2f|5c)|__proto__|prototype|__js_function|^sess_|aced0005/;

/**
 * Results for values seen recently. The same User-Agent, Accept, Referer, cookie and parameter
 * values arrive again and again; the result only depends on (kind, where, name, value), except for
 * JSON keys whose detectors read the key path (those are not cached: see `inspectField`). Keyed by
 * the value itself (a string built per lookup would cost more than the lookup), with the few
 * places one value was seen in chained behind it.
 */
interface Cached {
  kind: PartKind;
  where: string;
  name: string | null;
  found: ValueFindings;
  next: Cached | undefined;
}
const cache = new Map<string, Cached>();
const CACHE_SIZE = 2_048;
const CACHE_MAX_VALUE = 512;
const CACHE_PLACES = 8;

/** Forgets every cached result (for `bench/filter-cost.ts`: what a request costs when none of its values were seen before). */
export function clearValueCache(): void {
  cache.clear();
}

/** Every class's strongest finding for one value (empty when there is none). */
export function inspectField(field: Field): ValueFindings {
  const raw = field.value;
  if (field.kind === "header-light" && !HEADER_TRIGGER.test(raw)) return NONE;
  // Long values rarely come again: hashing them for the cache costs more than it saves. Plain
  // body values (ids, codes, numbers) are answered at once: most of them are new on every
  // request, and caching them would only churn the cache. Other body values (addresses, notes,
  // URLs) are cached: a client sends the same ones again, and a new one costs a hash and an
  // entry (the cache is cleared when full, which costs the returning header values one
  // inspection each).
  if (field.kind === "body" && raw.length <= 64 && plainField(field)) return NONE;
  if (raw.length > CACHE_MAX_VALUE) return plainField(field) ? NONE : inspectUncached(field);
  // The cache first: repeated values (User-Agent, cookies, parameters) skip even the plain check.
  const first = cache.get(raw);
  let places = 0;
  for (let c = first; c !== undefined; c = c.next, places++)
    if (c.kind === field.kind && c.where === field.where && c.name === field.name) return c.found;
  // A short body value reaches here only when it is not plain (checked above).
  const plain = (field.kind !== "body" || raw.length > 64) && plainField(field);
  const found = plain ? NONE : inspectUncached(field);
  // A JSON key is judged with its key path, which the cache is not keyed on (`$ne` inside a
  // filter object scores lower than at a login's field, a session id counts at the top level
  // only): one request must not decide another's. Only plain keys (path-free) are cached.
  if (!plain && field.where === "body-key") return found;
  if (cache.size >= CACHE_SIZE) cache.clear();
  // One value under many names (a flood of made-up parameters) keeps only its last few places.
  const next = cache.size === 0 || places >= CACHE_PLACES ? undefined : first;
  cache.set(raw, { kind: field.kind, where: field.where, name: field.name, found, next });
  return found;
}

/** Nothing to inspect: a plain value (see `isPlain`) that is neither an upload name nor a session parameter name. */
function plainField(field: Field): boolean {
  return !isUpload(field) && isPlain(field.value) && !(field.kind === "name" && isSessionParamName(field.name));
}

function inspectUncached(field: Field): ValueFindings {
  const raw = field.value;
  const entries = BY_KIND[field.kind];
  const out: ValueFinding[] = [];
  if (field.kind === "xml") {
    runDetectors(inspected(raw, raw, false, field), entries, out);
    return out.length === 0 ? NONE : out;
  }
  const { text: full, hadNull } = normalizeValue(raw);
  const text = full.length > CONDENSE_MIN ? withoutProse(full) : full;
  if (text.length <= WINDOW) runDetectors(inspected(text, raw, hadNull, field), entries, out);
  else {
    for (let at = 0; at < text.length; at += WINDOW - OVERLAP) {
      runDetectors(inspected(text.slice(at, at + WINDOW), raw, hadNull, field), entries, out);
    }
  }
  // `data:…;base64,` payloads are decoded only where the content declares it.
  for (const decoded of dataUrlPayloads(full))
    runDetectors(inspected(normalizeValue(decoded).text, decoded, false, field), entries, out);
  // A whole value that is base64 of text is read decoded too (a form's `+` arrives as a space).
  const decoded = wholeBase64Text(full);
  if (decoded !== null) runDetectors(inspected(normalizeValue(decoded).text, decoded, false, field), entries, out);
  // The same for hex of text.
  const hex = decoded === null ? wholeHexText(full) : null;
  if (hex !== null) runDetectors(inspected(normalizeValue(hex).text, hex, false, field), entries, out);
  return out.length === 0 ? NONE : out;
}
