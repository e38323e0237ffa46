/**
 * `waf/waf-bypass.ts`: how a nemesida-waf/waf-bypass checkout becomes requests for
 * `npm run waf:eval -- --waf-bypass PATH` (a made-up checkout with one payload per case).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { toWafRequest } from "../../waf/corpus.ts";
import { loadWafBypass } from "../../waf/waf-bypass.ts";

const root = mkdtempSync(join(tmpdir(), "waf-bypass-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function payload(cls: string, file: string, p: Record<string, unknown>): void {
  mkdirSync(join(root, "utils", "payload", cls), { recursive: true });
  writeFileSync(join(root, "utils", "payload", cls, file), JSON.stringify({ payload: [p] }));
}

payload("XSS", "1.json", {
  URL: "/x/<b onclick=y> z#frag",
  ARGS: "param%RND%=<b>",
  BODY: "p=<i>",
  COOKIE: "<u>",
  "USER-AGENT": "ua <s>",
  REFERER: "ref <q>",
  HEADER: "line\nbreak",
  ENCODE: "Base64",
  BLOCKED: true,
});
payload("API", "1.json", { BODY: '{"id": "1"}', BLOCKED: true });
payload("MFD", "1.json", { BODY: "<svg>", BLOCKED: true });
payload("FP", "1.json", { URL: "/logo.png", BLOCKED: false });

describe("loadWafBypass", () => {
  const { lines, skipped } = loadWafBypass(root);
  const byId = new Map(lines.map((l) => [l.id, l]));

  it("places each payload in every part it names, as the tool sends it", () => {
    expect(byId.get("wb:XSS/1.json#1:URL")).toMatchObject({
      class: "wb-xss",
      method: "GET",
      path: "/x/%3Cb%20onclick=y%3E%20z",
    });
    expect(byId.get("wb:XSS/1.json#1:ARGS")?.query).toMatch(/^param\d{6}=<b>$/);
    // A body without a content type, as the tool posts a string.
    expect(byId.get("wb:XSS/1.json#1:BODY")).toMatchObject({ method: "POST", body: "p=<i>" });
    expect(byId.get("wb:XSS/1.json#1:BODY")?.contentType).toBeUndefined();
    expect(byId.get("wb:XSS/1.json#1:COOKIE")?.headers?.cookie).toMatch(/^WBC-\d{6}=<u>$/);
    expect(byId.get("wb:XSS/1.json#1:USER-AGENT")?.headers).toEqual({ "user-agent": "ua <s>" });
    expect(byId.get("wb:XSS/1.json#1:REFERER")?.headers).toEqual({ referer: "ref <q>" });
  });

  it("skips header values the Fetch API cannot send, and marks ordinary requests", () => {
    expect(skipped).toEqual(["wb:XSS/1.json#1:HEADER"]);
    expect(byId.get("wb:FP/1.json#1:URL")).toMatchObject({ class: "ordinary", path: "/logo.png" });
  });

  it("sends API bodies as JSON and MFD bodies as a multipart field", () => {
    expect(byId.get("wb:API/1.json#1:BODY")?.contentType).toBe("application/json");
    const mfd = byId.get("wb:MFD/1.json#1:BODY")!;
    const boundary = /boundary=(\S+)$/.exec(mfd.contentType!)![1]!;
    expect(mfd.body!.startsWith(`--${boundary}\r\nContent-Disposition: form-data; name="f`)).toBe(true);
    expect(mfd.body!.endsWith(`"\r\n\r\n<svg>\r\n--${boundary}--\r\n`)).toBe(true);
    // Every line is a request the filter can take.
    for (const l of lines) expect(() => toWafRequest(l), l.id).not.toThrow();
  });
});
