/**
 * `waf/gotestwaf.ts`: how a wallarm/gotestwaf checkout becomes requests for
 * `npm run waf:eval -- --gotestwaf PATH` (a made-up checkout with one case per set), and that the
 * filter reads them as the tool means them.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { defaultEdgeConfig } from "../../src/lib/config/schema.ts";
import { evaluateRequest } from "../../src/lib/waf/index.ts";
import { toWafRequest } from "../../waf/corpus.ts";
import { goPathEscape, loadGoTestWaf } from "../../waf/gotestwaf.ts";

const root = mkdtempSync(join(tmpdir(), "gotestwaf-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function testcase(set: string, file: string, text: string): void {
  mkdirSync(join(root, "testcases", set), { recursive: true });
  writeFileSync(join(root, "testcases", set, file), text);
}

testcase(
  "owasp",
  "xss-scripting.yml",
  `payload:
  - "<b onclick=x>&y"
  - "\\'-alert(1)//"
encoder:
  - URL
  - Base64Flat
placeholder:
  - URLPath
  - URLParam
  - JSONRequest
  - HTMLMultipartForm
  - Header
type: XSS
`,
);
testcase(
  "owasp-api",
  "soap.yml",
  `payload:
  - "<a>'"
encoder:
  - Plain
placeholder:
  - SOAPBody
  - gRPC
  - GraphQL:
      method: "POST"
type: SOAP
`,
);
testcase(
  "false-pos",
  "texts.yml",
  "payload:\n  - union was a great select\nencoder:\n  - URL\nplaceholder:\n  - HTMLForm\n",
);

describe("loadGoTestWaf", () => {
  const { lines, skipped } = loadGoTestWaf(root);
  const byId = new Map(lines.map((l) => [l.id, l]));

  it("escapes as Go's url.PathEscape does", () => {
    expect(goPathEscape("<b onclick=x>&y/é")).toBe("%3Cb%20onclick=x%3E&y%2F%C3%A9");
  });

  it("sends each payload through each encoder into each placeholder, as the tool builds the request", () => {
    expect(byId.get("gtw:owasp/xss-scripting.yml#1:URL:URLPath")).toMatchObject({
      class: "gtw-xss-scripting",
      method: "GET",
      path: "/%3Cb%20onclick=x%3E&y",
    });
    // Path-escaping leaves `&` and `=`: the query is cut where the tool's request is cut.
    expect(byId.get("gtw:owasp/xss-scripting.yml#1:URL:URLParam")?.query).toMatch(
      /^[0-9a-f]{10}=%3Cb%20onclick=x%3E&y$/,
    );
    expect(byId.get("gtw:owasp/xss-scripting.yml#1:Base64Flat:URLParam")?.query).toMatch(
      new RegExp(`=${btoa("<b onclick=x>&y").replaceAll("=", "")}$`),
    );
    const json = byId.get("gtw:owasp/xss-scripting.yml#1:URL:JSONRequest")!;
    expect(json.contentType).toBe("application/json");
    expect(Object.values(JSON.parse(json.body!) as Record<string, unknown>).sort()).toEqual([
      "%3Cb%20onclick=x%3E&y",
      true,
    ]);
    expect(byId.get("gtw:owasp/xss-scripting.yml#1:URL:HTMLMultipartForm")?.body).toContain(
      "\r\n\r\n%3Cb%20onclick=x%3E&y\r\n",
    );
    expect(Object.entries(byId.get("gtw:owasp/xss-scripting.yml#2:URL:Header")?.headers ?? {})).toEqual([
      [expect.stringMatching(/^x-[0-9a-f]{10}$/), "%27-alert%281%29%2F%2F"],
    ]);
    // The case file's `\\'` (no YAML escape) reads as `'`.
    expect(byId.get("gtw:owasp/xss-scripting.yml#2:URL:URLPath")?.path).toBe("/%27-alert%281%29%2F%2F");
  });

  it("wraps SOAP payloads XML-escaped, posts GraphQL raw, skips gRPC, and marks the false-pos set ordinary", () => {
    expect(byId.get("gtw:owasp-api/soap.yml#1:Plain:SOAPBody")).toMatchObject({
      method: "POST",
      contentType: "text/xml",
    });
    expect(byId.get("gtw:owasp-api/soap.yml#1:Plain:SOAPBody")?.body).toMatch(
      /<ab[0-9a-f]{10}><string>&lt;a&gt;&#39;<\/string><\/ab/,
    );
    expect(byId.get("gtw:owasp-api/soap.yml#1:Plain:GraphQL")).toMatchObject({ method: "POST", body: "<a>'" });
    expect(skipped).toEqual(["gtw:owasp-api/soap.yml#1:Plain:gRPC"]);
    expect(byId.get("gtw:false-pos/texts.yml#1:URL:HTMLForm")).toMatchObject({ class: "ordinary", method: "POST" });
  });

  it("gives the filter requests it decides as the tool means them", () => {
    const decide = (id: string) => evaluateRequest(toWafRequest(byId.get(id)!), defaultEdgeConfig.security).action;
    expect(decide("gtw:owasp/xss-scripting.yml#1:URL:URLPath")).toBe("block");
    expect(decide("gtw:owasp/xss-scripting.yml#1:Base64Flat:URLParam")).toBe("block");
    expect(decide("gtw:owasp/xss-scripting.yml#2:URL:JSONRequest")).toBe("block");
    expect(decide("gtw:false-pos/texts.yml#1:URL:HTMLForm")).toBe("allow");
  });
});
