/**
 * Normalisation before inspection: attackers encode payloads so that a filter looking at the
 * raw bytes misses what the application will eventually see. Every value is decoded the way a
 * lenient server, browser or interpreter would: percent-encoding (repeated, bounded; `%uXXXX`;
 * overlong UTF-8 such as `%c0%ae` for `.`), HTML character references, JavaScript/JSON escapes
 * (`\uXXXX`, `\u{…}`, `\xHH`), Unicode compatibility forms (NFKC: fullwidth `＜` becomes `<`),
 * and NUL bytes are dropped. All loops are linear and bounded; nothing here can backtrack.
 */

/** Decoding passes at most (double and triple encoding are common, more is noise). */
const MAX_PASSES = 3;

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * Decodes a run of bytes as UTF-8 the lenient way: valid sequences as usual, overlong forms
 * (`C0 AE` → `.`, also the obsolete five- and six-byte ones) to the character they spell, and
 * stray bytes as Latin-1 (`%E9` → `é`).
 */
function decodeBytes(bytes: number[]): string {
  let out = "";
  for (let i = 0; i < bytes.length;) {
    const b0 = bytes[i]!;
    if (b0 < 0x80) {
      out += String.fromCharCode(b0);
      i++;
      continue;
    }
    // (Five- and six-byte forms, `F8 80 80 80 AF` for `/`, are no UTF-8 since 2003; old decoders still read them.)
    const len = b0 < 0xc0 ? 0 : b0 < 0xe0 ? 2 : b0 < 0xf0 ? 3 : b0 < 0xf8 ? 4 : b0 < 0xfc ? 5 : b0 < 0xfe ? 6 : 0;
    let ok = len > 0 && i + len <= bytes.length;
    for (let k = 1; ok && k < len; k++) ok = (bytes[i + k]! & 0xc0) === 0x80;
    if (!ok) {
      out += String.fromCharCode(b0);
      i++;
      continue;
    }
    let cp = b0 & (0x7f >> len);
    for (let k = 1; k < len; k++) cp = (cp << 6) | (bytes[i + k]! & 0x3f);
    out += cp <= 0x10ffff ? String.fromCodePoint(cp) : "\ufffd";
    i += len;
  }
  return out;
}

/** Percent-decoding that never throws: malformed escapes stay as they are. */
export function percentDecode(s: string, plusIsSpace = false): string {
  if (s.indexOf("%") === -1) return plusIsSpace && s.includes("+") ? s.replaceAll("+", " ") : s;
  let out = "";
  let bytes: number[] = [];
  const flush = () => {
    if (bytes.length > 0) {
      out += decodeBytes(bytes);
      bytes = [];
    }
  };
  for (let i = 0; i < s.length;) {
    const ch = s.charCodeAt(i);
    if (ch === 37 /* % */) {
      const a = hexVal(s.charCodeAt(i + 1));
      const b = hexVal(s.charCodeAt(i + 2));
      if (a >= 0 && b >= 0) {
        bytes.push(a * 16 + b);
        i += 3;
        continue;
      }
      if (s[i + 1] === "u" || s[i + 1] === "U") {
        const h = s.slice(i + 2, i + 6);
        if (/^[0-9A-Fa-f]{4}$/.test(h)) {
          flush();
          out += String.fromCharCode(parseInt(h, 16));
          i += 6;
          continue;
        }
      }
    }
    flush();
    out += plusIsSpace && ch === 43 ? " " : s[i];
    i++;
  }
  flush();
  return out;
}

/** Named references that matter for markup and scripts (plus the common text ones). */
// oxfmt-ignore
const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  lt: "<", gt: ">", amp: "&", quot: '"', apos: "'", nbsp: " ", tab: "\t", newline: "\n",
  colon: ":", sol: "/", bsol: "\\", lpar: "(", rpar: ")", semi: ";", equals: "=", comma: ",",
  period: ".", excl: "!", num: "#", dollar: "$", percnt: "%", lsqb: "[", rsqb: "]", lbrack: "[",
  rbrack: "]", lcub: "{", rcub: "}", lbrace: "{", rbrace: "}", grave: "`", quest: "?", plus: "+",
  ast: "*", midast: "*", vert: "|", verbar: "|", hyphen: "-", dash: "-", lowbar: "_", commat: "@",
  hat: "^", Hat: "^",
};

const ENTITY = /&(?:#[xX]0{0,64}([0-9A-Fa-f]{1,6})|#0{0,64}([0-9]{1,7})|([A-Za-z]{2,8}));?/g;

export function decodeEntities(s: string): string {
  if (!hasEntity(s)) return s;
  return s.replace(ENTITY, (m, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
    if (hex !== undefined || dec !== undefined) {
      const cp = hex !== undefined ? parseInt(hex, 16) : parseInt(dec!, 10);
      return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : "";
    }
    // Own keys only: `&toString;` is no entity (the object's inherited members are not names).
    const lower = name!.toLowerCase();
    if (Object.hasOwn(NAMED_ENTITIES, name!)) return NAMED_ENTITIES[name!]!;
    return Object.hasOwn(NAMED_ENTITIES, lower) ? NAMED_ENTITIES[lower]! : m;
  });
}

const isLetter = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);

/**
 * Whether `ENTITY` would change anything in `s`: a `&#` or a named entity it knows. `&` in
 * query strings and prose (`?a=1&utm_source=x`, `Tom & Jerry`) are not, and are not run through
 * the replacement (a third of a URL's inspection cost).
 */
function hasEntity(s: string): boolean {
  for (let at = s.indexOf("&"); at !== -1; at = s.indexOf("&", at + 1)) {
    if (s.charCodeAt(at + 1) === 35) return true;
    let end = at + 1;
    while (end - at <= 8 && isLetter(s.charCodeAt(end))) end++;
    // `ENTITY` reads at most 8 letters of a longer run.
    if (end - at < 3) continue;
    const name = s.slice(at + 1, end);
    if (Object.hasOwn(NAMED_ENTITIES, name) || Object.hasOwn(NAMED_ENTITIES, name.toLowerCase())) return true;
  }
  return false;
}

const ESCAPE = /\\(?:u\{([0-9A-Fa-f]{1,6})\}|u([0-9A-Fa-f]{4})|x([0-9A-Fa-f]{2}))/g;

/** JavaScript/JSON/C-style escapes: `\u003c`, `\u{3c}`, `\x3c`. */
export function decodeEscapes(s: string): string {
  if (s.indexOf("\\") === -1) return s;
  return s.replace(ESCAPE, (_m, braced: string | undefined, u4: string | undefined, x2: string | undefined) => {
    const cp = parseInt(braced ?? u4 ?? x2!, 16);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : "";
  });
}

const NON_ASCII = /[^\x00-\x7f]/;
/**
 * Characters that render as nothing (zero-width spaces and joiners, bidirectional controls, the
 * soft hyphen, byte order marks, variation selectors, Hangul fillers): dropped before detection,
 * so `un\u200bion se\u200blect` and `alert&#xFEFF;(1)` read as what they spell. The value the
 * application receives is not changed.
 */
function invisible(c: number): boolean {
  return (
    c === 0xad ||
    c === 0x34f ||
    c === 0x61c ||
    c === 0x115f ||
    c === 0x1160 ||
    c === 0x17b4 ||
    c === 0x17b5 ||
    (c >= 0x180b && c <= 0x180f) ||
    (c >= 0x200b && c <= 0x200f) ||
    (c >= 0x202a && c <= 0x202e) ||
    (c >= 0x2060 && c <= 0x206f) ||
    c === 0x3164 ||
    (c >= 0xfe00 && c <= 0xfe0f) ||
    c === 0xfeff ||
    c === 0xffa0
  );
}

function dropInvisible(t: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c >= 0xad && invisible(c)) {
      out += t.slice(from, i);
      from = i + 1;
    }
  }
  return from === 0 ? t : out + t.slice(from);
}

export interface Normalized {
  text: string;
  hadNull: boolean;
}

/**
 * The value as the application would finally see it. Decoding repeats (at most 3 passes)
 * while something changes, so `%253C` and `&amp;lt;` both end as `<`.
 */
export function normalizeValue(raw: string): Normalized {
  let t = raw;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const before = t;
    if (t.indexOf("%") !== -1) t = percentDecode(t);
    if (t.indexOf("&") !== -1) t = decodeEntities(t);
    if (t.indexOf("\\") !== -1) t = decodeEscapes(t);
    if (t === before) break;
  }
  if (NON_ASCII.test(t)) t = dropInvisible(t).normalize("NFKC");
  let hadNull = false;
  if (t.indexOf("\0") !== -1) {
    hadNull = true;
    t = t.replaceAll("\0", "");
  }
  return { text: t, hadNull };
}

const BASE64_TEXT = /^[A-Za-z0-9+/=\s_-]+$/;

/** Base64 (standard or URL-safe) to text; null when it is not base64 or does not decode to text. */
export function base64Text(s: string, maxChars = 65_536): string | null {
  const compact = s.slice(0, maxChars).replace(/\s+/g, "");
  if (compact.length < 4 || !BASE64_TEXT.test(compact)) return null;
  try {
    const bin = atob(
      compact
        .replaceAll("-", "+")
        .replaceAll("_", "/")
        .replace(/(?<!=)=+$/, ""),
    );
    const bytes = new Uint8Array(bin.length);
    let control = 0;
    for (let i = 0; i < bin.length; i++) {
      const b = bin.charCodeAt(i);
      bytes[i] = b;
      if (b < 9 || (b > 13 && b < 32)) control++;
    }
    // Binary (images, archives) is not text worth scanning.
    if (control > bytes.length / 20) return null;
    return new TextDecoder("utf-8", { fatal: false, ignoreBOM: false }).decode(bytes);
  } catch {
    return null;
  }
}

/** Base64 digits (standard and URL-safe) to their 6-bit values; -1 for anything else. */
const B64 = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".charCodeAt(i)] = i;
B64[45] = 62; // -
B64[95] = 63; // _
const BASE64_MIN = 8;
const BASE64_MAX = 8_192;

/** A printable ASCII byte, a tab, a line break or NUL (which `normalizeValue` drops and the detectors know). */
const printable = (b: number) => (b >= 32 && b < 127) || b === 9 || b === 10 || b === 13 || b === 0;

/** The 6-bit value of a base64 digit; a space counts as `+` (what a form decoder made of it). */
const digit = (s: string, i: number) => {
  const c = s.charCodeAt(i);
  return c === 32 ? 62 : c < 128 ? B64[c]! : -1;
};

/**
 * Whether the whole value can be base64 of text: 8 to 8,192 base64 digits (either alphabet; a
 * space stands for a `+` a form decoder turned into one) with at most two `=` at the end, and its
 * first 8 digits decode to text (printable ASCII, tab, line breaks, NUL). Identifiers, hashes,
 * tokens and words decode to arbitrary bytes and mostly stop at the first 6.
 */
export function maybeBase64Text(s: string): boolean {
  let n = s.length;
  while (n > 0 && s.charCodeAt(n - 1) === 61 && s.length - n < 2) n--;
  if (n < BASE64_MIN || n > BASE64_MAX || n % 4 === 1) return false;
  for (let i = 0; i < n; i++) if (digit(s, i) === -1) return false;
  for (let i = 0; i < 8; i += 4) {
    const v = (digit(s, i) << 18) | (digit(s, i + 1) << 12) | (digit(s, i + 2) << 6) | digit(s, i + 3);
    if (!printable(v >> 16) || !printable((v >> 8) & 255) || !printable(v & 255)) return false;
  }
  return true;
}

/**
 * A whole value that is base64 of text (`JyBvciAxPTEtLQ` is `' or 1=1--`), decoded: applications
 * decode such parameters (state, redirect targets, serialized filters), and attack tools encode
 * payloads this way. Null when it is not (see `maybeBase64Text`, `base64Text`).
 */
export function wholeBase64Text(s: string): string | null {
  if (!maybeBase64Text(s)) return null;
  const text = base64Text(s.replaceAll(" ", "+"), BASE64_MAX);
  // Text throughout, not bytes that happened to start like text: no other control characters, nothing undecodable.
  if (text === null) return null;
  let odd = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 32 && !printable(text.charCodeAt(i))) odd++;
  return text.includes("\uFFFD") || odd > 0 ? null : text;
}

const HEX_MIN = 16;
const HEX_MAX = 16_384;
const hexDigit = (c: number) =>
  c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;

/**
 * Whether the whole value can be hex of text: 16 to 16,384 hex digits, an even number of them,
 * whose first 8 bytes are printable ASCII (`3b6964` is `;id`), with a letter digit (`a`–`f`)
 * somewhere. Hashes, ids and colours decode to arbitrary bytes: a random one passes this 3 times
 * in 10,000, then fails `wholeHexText`; long decimal numbers never pass.
 */
export function maybeHexText(s: string): boolean {
  const n = s.length;
  if (n < HEX_MIN || n > HEX_MAX || n % 2 === 1) return false;
  for (let i = 0; i < HEX_MIN; i += 2) {
    const hi = hexDigit(s.charCodeAt(i));
    const lo = hexDigit(s.charCodeAt(i + 1));
    if (hi === -1 || lo === -1 || !printable((hi << 4) | lo)) return false;
  }
  // Digits only are a number (a card, an order), not hex: text in hex has a letter digit somewhere.
  return /[a-f]/i.test(s);
}

/**
 * A whole value that is hex of text (`3b6563686f20...` is `;echo ...`), decoded: attack tools
 * encode payloads this way for applications that decode them (commix's `hexencode`). Null when
 * it is not, or when any byte is not printable ASCII, a tab or a line break.
 */
export function wholeHexText(s: string): string | null {
  if (!maybeHexText(s)) return null;
  let out = "";
  for (let i = 0; i < s.length; i += 2) {
    const hi = hexDigit(s.charCodeAt(i));
    const lo = hexDigit(s.charCodeAt(i + 1));
    const b = (hi << 4) | lo;
    if (hi === -1 || lo === -1 || b === 0 || !printable(b)) return null;
    out += String.fromCharCode(b);
  }
  return out;
}

/** Media types of data URLs that are scanned after base64 decoding (markup, scripts, text). */
const DATA_URL = /data:([a-z0-9.+/-]{0,64})(?:;[a-z0-9=.-]{1,32}){0,4};base64,([A-Za-z0-9+/=_-]{4,})/gi;

/** Decoded contents of `data:…;base64,` URLs in `text` whose media type is not a binary image, audio or video. */
export function dataUrlPayloads(text: string): string[] {
  // `64,` first: `indexOf` finds it (or not) much faster than a case-insensitive search.
  if (!text.includes("64,") || !/;base64,/i.test(text)) return [];
  const out: string[] = [];
  for (const m of text.matchAll(DATA_URL)) {
    const type = (m[1] ?? "").toLowerCase();
    if (
      /^(image\/(png|jpe?g|gif|webp|avif|bmp|x-icon)|audio\/|video\/|font\/|application\/(octet-stream|pdf|zip))/.test(
        type,
      )
    )
      continue;
    const decoded = base64Text(m[2]!);
    if (decoded !== null) out.push(decoded);
    if (out.length >= 4) break;
  }
  return out;
}
