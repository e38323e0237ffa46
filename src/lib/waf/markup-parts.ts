/**
 * Multipart and XML bodies taken apart (see `parts.ts`): multipart text fields, file names and
 * text files (`Content-Transfer-Encoding: base64` parts decoded); XML text nodes, CDATA and
 * attribute values, and the raw document for XXE. One linear scan each, bounded.
 */
import { base64Text, decodeEntities } from "./normalize.ts";
import type { Visit } from "./types.ts";

/** Values taken from one request at most (each body kind counts its own). */
export const MAX_FIELDS = 5_000;

/** `; <name>=value` / `; <name>="value"` (RFC 2231 `name*=` too) of the header parameters read here. */
const HEADER_PARAMETERS = {
  boundary: /;\s*boundary\*?=(?:"([^"]{0,200})"|([^;\s]{1,200}))/i,
  name: /;\s*name\*?=(?:"([^"]{0,200})"|([^;\s]{1,200}))/i,
  filename: /;\s*filename\*?=(?:"([^"]{0,200})"|([^;\s]{1,200}))/i,
} as const;

function parameter(header: string, name: keyof typeof HEADER_PARAMETERS): string | null {
  const m = HEADER_PARAMETERS[name].exec(header);
  return m ? (m[1] ?? m[2] ?? null) : null;
}

const TEXT_PART =
  /^(?:text\/|application\/(?:json|xml|javascript|x-www-form-urlencoded|x-php|x-httpd-php|x-sh|x-python|graphql|ld\+json|[\w.-]+\+(?:json|xml))|image\/svg\+xml)/i;

export function visitMultipart(body: string, contentType: string, visit: Visit, budget: { n: number }): boolean {
  const boundary = parameter(contentType, "boundary");
  if (!boundary) return visit({ kind: "body", name: null, where: "body", key: null, value: body });
  const delimiter = `--${boundary}`;
  const sections = body.split(delimiter, 1_000);
  for (let i = 1; i < sections.length && budget.n-- > 0; i++) {
    let section = sections[i]!;
    if (section.startsWith("--")) break;
    section = section.replace(/^\r?\n/, "");
    let split = section.indexOf("\r\n\r\n");
    let sep = 4;
    if (split === -1) {
      split = section.indexOf("\n\n");
      sep = 2;
    }
    if (split === -1) continue;
    const head = section.slice(0, split);
    let content = section.slice(split + sep).replace(/\r?\n$/, "");
    const disposition = /content-disposition:([^\r\n]{0,1000})/i.exec(head)?.[1] ?? "";
    const type = /content-type:\s*([^\r\n;]{0,200})/i.exec(head)?.[1]?.trim() ?? "";
    const encoding = /content-transfer-encoding:\s*([^\r\n]{0,50})/i.exec(head)?.[1]?.trim().toLowerCase() ?? "";
    const name = parameter(disposition, "name");
    const filename = parameter(disposition, "filename");
    const lname = name?.toLowerCase() ?? null;
    if (name !== null && visit({ kind: "name", name: lname, where: "body-name", key: name, value: name })) return true;
    if (
      filename !== null &&
      visit({ kind: "body", name: "filename", where: "body-filename", key: name, value: filename })
    )
      return true;
    if (encoding === "base64") {
      const decoded = base64Text(content, 1_048_576);
      if (decoded === null) continue;
      content = decoded;
    } else if (encoding === "quoted-printable") {
      content = content
        .replace(/=\r?\n/g, "")
        .replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
    }
    // Files are inspected when they are text (scripts, markup, data); binary uploads are not.
    if (filename !== null && type !== "" && !TEXT_PART.test(type)) continue;
    if (content === "") continue;
    if (/xml/i.test(type) && visitXml(content, visit)) return true;
    else if (visit({ kind: "body", name: lname, where: "body", key: name, value: content })) return true;
  }
  return false;
}

/** XML: the raw document for XXE, then text nodes, CDATA and attribute values one by one (one linear scan). */
export function visitXml(xml: string, visit: Visit): boolean {
  if (visit({ kind: "xml", name: null, where: "body", key: "xml", value: xml })) return true;
  const n = xml.length;
  let element: string | null = null;
  let fields = 0;
  const field = (name: string | null, where: string, value: string): boolean => {
    fields++;
    return value !== "" && visit({ kind: "body", name, where, key: name, value: decodeEntities(value) });
  };
  for (let i = 0; i < n && fields < MAX_FIELDS;) {
    const lt = xml.indexOf("<", i);
    const text = xml.slice(i, lt === -1 ? n : lt).trim();
    if (text !== "" && field(element, "body", text)) return true;
    if (lt === -1) break;
    if (xml.startsWith("<![CDATA[", lt)) {
      const close = xml.indexOf("]]>", lt + 9);
      if (field(element, "body-cdata", xml.slice(lt + 9, close === -1 ? n : close))) return true;
      i = close === -1 ? n : close + 3;
      continue;
    }
    if (xml.startsWith("<!--", lt)) {
      const close = xml.indexOf("-->", lt + 4);
      i = close === -1 ? n : close + 3;
      continue;
    }
    if (xml[lt + 1] === "?" || xml[lt + 1] === "!" || xml[lt + 1] === "/") {
      const gt = xml.indexOf(">", lt + 1);
      i = gt === -1 ? n : gt + 1;
      continue;
    }
    // A start tag: name, then `name="value"` / `name='value'` / `name=value` pairs up to `>`.
    let j = lt + 1;
    while (j < n && /[\w:.-]/.test(xml[j]!)) j++;
    element = xml.slice(lt + 1, j).toLowerCase() || element;
    while (j < n && xml[j] !== ">") {
      while (j < n && /[\s/]/.test(xml[j]!)) j++;
      const nameStart = j;
      while (j < n && !/[\s=>/]/.test(xml[j]!)) j++;
      const attr = xml.slice(nameStart, j);
      if (xml[j] !== "=") {
        if (j === nameStart) j++;
        continue;
      }
      j++;
      const q = xml[j];
      let value: string;
      if (q === '"' || q === "'") {
        const close = xml.indexOf(q, j + 1);
        value = xml.slice(j + 1, close === -1 ? n : close);
        j = close === -1 ? n : close + 1;
      } else {
        const from = j;
        while (j < n && !/[\s>]/.test(xml[j]!)) j++;
        value = xml.slice(from, j);
      }
      if (field(attr.toLowerCase(), "body-attr", value)) return true;
    }
    i = j + 1;
  }
  return false;
}
