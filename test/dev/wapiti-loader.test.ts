/**
 * `waf/wapiti.ts`: how a checkout of the Wapiti scanner (its `wapitiCore/data/attacks/*.ini`)
 * becomes requests for `npm run waf:eval -- --wapiti PATH` (a made-up checkout with a few payloads).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadWapiti } from "../../waf/wapiti.ts";

const root = mkdtempSync(join(tmpdir(), "wapiti-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dir = join(root, "wapitiCore", "data", "attacks");
mkdirSync(dir, { recursive: true });
const ini = (sections: string[]) => `[DEFAULT]\npayload = None\n\n${sections.join("\n\n")}\n`;
writeFileSync(
  join(dir, "blindSQLPayloads.ini"),
  ini([
    "[sleep_lf]\npayload = sleep([TIME])#[LF]1",
    "[value]\npayload = [VALUE]' or sleep([TIME])#",
    "[dup]\npayload = sleep([TIME])#[LF]1",
  ]),
);
writeFileSync(join(dir, "execPayloads.ini"), ini(["[semicolon]\npayload = ;env;\nrules = regex:PATH="]));
writeFileSync(join(dir, "fileHandlingPayloads.ini"), ini(["[x]\npayload = [EXTERNAL_ENDPOINT]/e.php[NULL]"]));
writeFileSync(join(dir, "ldap.ini"), ini(["[x]\npayload = *)(objectClass="]));
writeFileSync(join(dir, "xssPayloads.ini"), ini(["[x]\npayload = <ScRiPt>alert('__XSS__')</sCrIpT>\ntag = script"]));
writeFileSync(join(dir, "xxePayloads.ini"), ini([]));

describe("loadWapiti", () => {
  const lines = loadWapiti(root);
  const values = (cls: string) =>
    lines.filter((l) => l.class === cls && l.id.endsWith(":query")).map((l) => decodeURIComponent(l.query!.slice(2)));

  it("reads each set's payload lines once, with the placeholders filled", () => {
    expect(values("wapiti-sqli")).toEqual(["sleep(5)#\n1", "1' or sleep(5)#"]);
    expect(values("wapiti-exec")).toEqual([";env;"]);
    expect(values("wapiti-file")).toEqual(["http://wapiti3.example/e.php\0"]);
    expect(values("wapiti-xss")[0]).toMatch(/^<ScRiPt>alert\('w4p1t1x55'\)<\/sCrIpT>$/);
    expect(values("wapiti-xxe")).toEqual([]);
  });

  it("sends each as a query value and a form value", () => {
    const ldap = lines.filter((l) => l.class === "wapiti-ldap");
    expect(ldap).toHaveLength(2);
    expect(ldap[0]).toMatchObject({ method: "GET", path: "/v1/search", query: "q=*)(objectClass%3D" });
    expect(ldap[1]).toMatchObject({
      method: "POST",
      contentType: "application/x-www-form-urlencoded",
      body: "q=*)(objectClass%3D",
    });
  });
});
