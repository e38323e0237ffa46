/**
 * CRLF injection / HTTP response splitting: a value that, once reflected into a response
 * header (redirect `Location`, `Set-Cookie`, a custom header), ends that header and adds its
 * own. After normalisation every encoding (`%0d%0a`, `%250d`, `%u000a`, `\r\n`, `&#13;`) is a
 * real CR/LF; the UTF-8 trick `嘊嘍` (U+560A/U+560D, whose low bytes are LF/CR) counts too.
 *
 * Evidence: a line break followed by a header line (`Set-Cookie:`, `Location:`, …) or by a
 * second status line / a blank line and markup. Multi-line text that is itself a header block or
 * an HTTP transcript (its first line is already `Name: value` or `HTTP/1.1 200`) is someone
 * posting headers, not splitting them. In bodies only headers that matter to browsers and
 * proxies count, except right after a first line that is one short token or nothing (`en`, a
 * URL: read as a parameter); in the URL path, query, cookies and headers (where line breaks
 * have no business) any header-like line does.
 */
import type { Finding, Inspected } from "./types.ts";

/** Header names whose injection changes what the browser or a cache does. */
const STRONG =
  /^(?:set-cookie|set-cookie2|location|refresh|content-length|transfer-encoding|content-type|content-security-policy|x-xss-protection|access-control-allow-[a-z-]{1,20}|content-disposition|link|x-frame-options|cache-control|x-forwarded-[a-z-]{1,12}|host|cookie)$/;
/** A break (incl. the U+xx0A/U+xx0D truncation trick) then optional spaces. */
const BREAK_LINE =
  /(?:\r\n?|\n|[\u010a\u010d\u560a\u560d\u0d0a\u0a0d]{1,2})[ \t]{0,8}(?:([a-z][a-z0-9-]{1,40})[ \t]{0,4}:|(http\/\d(?:\.\d)?\s{1,4}\d{3})|(?:\r?\n|[\u010a\u560a]){1,2}\s{0,8}(<[a-z!]))/gi;

/**
 * A mail protocol command on a line of its own (SMTP/IMAP command injection through a value that
 * a mail library writes into its dialogue): `RCPT TO:`, `MAIL FROM:`, `HELO x`, `DATA`/`QUIT`/`RSET`
 * alone, or an IMAP tag and command (`V100 CAPABILITY`, `a1 FETCH 1:* BODY[]`). The commands
 * written in capitals, as the protocols show them.
 */
const MAIL_LINE =
  /(?:\r\n?|\n)[ \t]{0,8}(?:(?:MAIL FROM|RCPT TO|mail from|rcpt to)[ \t]{0,4}:|(?:HELO|EHLO|VRFY|EXPN) [\w.@<>-]{1,80}[ \t]*(?:\r|\n|$)|(?:DATA|QUIT|RSET|NOOP|STARTTLS|TURN)[ \t]*(?:\r|\n|$)|[A-Za-z]{0,4}\d{1,6} (?:CAPABILITY|LOGIN|LOGOUT|SELECT|EXAMINE|FETCH|STORE|COPY|UID|AUTHENTICATE|LIST|LSUB|STATUS|APPEND|CREATE|DELETE|RENAME|SEARCH|EXPUNGE|SUBSCRIBE)\b)/;

/** Where the white space after the line break at or after `from` ends (the line breaks' own trick characters included). */
function afterBreak(text: string, from: number): number {
  ANY_BREAK_G.lastIndex = from;
  const m = ANY_BREAK_G.exec(text);
  if (m === null) return text.length;
  let i = m.index;
  while (i < text.length && (isSpaceOrBreak(text.charCodeAt(i)) || ANY_BREAK.test(text[i]!))) i++;
  return i;
}
/**
 * Where the header block after the value's first line ends: the lines of `Name: value` right
 * after its first line break (`en⏎Vary: Accept⏎Set-Cookie: …` injects both), up to the first
 * line that is no header.
 */
function headerBlockEnd(text: string): number {
  let i = afterBreak(text, 0);
  for (let k = 0; k < 64 && i < text.length && HEADER_AT.test(text.slice(i, i + 48)); k++) i = afterBreak(text, i);
  return i;
}
const ANY_BREAK = /[\r\n\u010a\u010d\u560a\u560d\u0d0a\u0a0d]/;
const ANY_BREAK_G = new RegExp(ANY_BREAK.source, "g");
const HEADER_AT = /^[a-z][a-z0-9-]{0,40}[ \t]{0,4}:/i;
const isSpaceOrBreak = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

export function detectCrlf(v: Inspected): Finding | null {
  const text = v.text;
  if (!/[\r\n\u010a\u010d\u560a\u560d\u0d0a\u0a0d]/.test(text)) return null;
  const kind = v.field.kind;
  // Most multi-line text (posts, notes, code) has no line that could be a header, a status
  // line, markup after a blank line or a mail command: one scan each says so, before the value's
  // first line is taken apart. (A path scores any line break, below.)
  BREAK_LINE.lastIndex = 0;
  if (kind !== "path" && !BREAK_LINE.test(text) && !MAIL_LINE.test(text)) return null;
  const firstLine = text.split(/\r\n?|\n|[\u010a\u010d\u560a\u560d]/, 1)[0]!.trim();
  // Bodies hold multi-line text; a body value whose first line is one short token (`en`, `abc`, a URL, nothing)
  // followed by a header line is as suspicious as a query value.
  const inBody = kind === "body" || kind === "xml";
  const strict = inBody && !/^(?:\S{0,63}[^\s:])?$/.test(firstLine);
  // A markdown code fence (```` ``` ````, ```` ```js ````) then a blank line and markup is a pasted
  // document, not a response body; a header line right after the fence still counts.
  const fence = inBody && /^(?:```|~~~)[\w+-]{0,20}$/.test(firstLine);
  // A pasted header block or HTTP transcript (its first line is a header, a status or a request line).
  const transcript =
    /^(?:[a-z][a-z0-9-]{1,40}\s{0,4}:\s|http\/\d|(?:get|post|put|head|delete|patch|options)\s+\S+\s+http\/\d)/i.test(
      firstLine,
    );
  if (strict && transcript) return null;
  const penalty = transcript ? 2 : 0;
  // A body value read loosely (its first line one short token, or nothing) splits headers only in
  // the block right after that line (`en\r\nSet-Cookie: …`, `\r\n\r\n<script>`); further down, a
  // pasted document's `host: "localhost"` or `<details>` after a blank line is its own text.
  const upTo = inBody && !strict ? headerBlockEnd(text) : text.length;
  BREAK_LINE.lastIndex = 0;
  let best = 0;
  let m: RegExpExecArray | null;
  let n = 0;
  while ((m = BREAK_LINE.exec(text)) !== null && m.index < upTo && n++ < 64) {
    if (m[1] !== undefined) {
      const name = m[1].toLowerCase();
      if (STRONG.test(name))
        best = Math.max(
          best,
          strict
            ? name === "set-cookie" ||
              name === "content-length" ||
              name === "transfer-encoding" ||
              name.startsWith("access-control") ||
              name === "x-xss-protection"
              ? 5
              : 3
            : 7,
        );
      else if (!strict && (/^x-[a-z0-9-]{1,30}$/.test(name) || (!inBody && /^[a-z]{2,20}-[a-z]{2,20}$/.test(name))))
        best = Math.max(best, 5);
    } else if (m[2] !== undefined) best = Math.max(best, strict ? 5 : 7);
    else if (m[3] !== undefined && !strict && !fence) best = Math.max(best, 5);
  }
  // A line break in the URL path never belongs there.
  if (best === 0 && kind === "path" && /[\r\n]/.test(text)) best = 4;
  best -= penalty;
  if (best > 0) return { ruleId: "crlf-header-injection", score: best };
  if (MAIL_LINE.test(text)) return { ruleId: "crlf-mail-command", score: strict || transcript ? 3 : 7 };
  return null;
}
