/**
 * `waf/nuclei.ts`: how a checkout of nuclei-templates (its `dast/vulnerabilities` templates) becomes
 * requests for `npm run waf:eval -- --nuclei PATH`: a made-up checkout whose templates have the
 * shape of nuclei's DAST templates (payload sets, fuzzing rules with parts, types and keys,
 * variables and helper calls, a template of fixed paths).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadNuclei } from "../../waf/nuclei.ts";

const root = mkdtempSync(join(tmpdir(), "nuclei-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dir = join(root, "dast", "vulnerabilities");
mkdirSync(join(dir, "cmdi"), { recursive: true });
mkdirSync(join(dir, "ssti", "oob"), { recursive: true });
writeFileSync(
  join(dir, "cmdi", "blind.yaml"),
  `id: blind
variables:
  marker: "{{rand_int(1000, 9999)}}"
http:
  - payloads:
      injection:
        - "|nslookup {{interactsh-url}}|"
        - ";sleep [SLEEPTIME] #{{marker}}"
    fuzzing:
      - part: query
        type: postfix
        fuzz:
          - "{{injection}}"
      - part: request
        type: replace
        keys: [Cmd]
        fuzz:
          - "{{injection}}"
`,
);
writeFileSync(
  join(dir, "ssti", "oob", "probe.yaml"),
  `id: probe
http:
  - method: GET
    path:
      - "{{BaseURL}}"
      - "{{BaseURL}}/_profiler/phpinfo"
  - fuzzing:
      - part: query
        type: replace
        values:
          - "(?i)^https?://"
        fuzz:
          - "{{concat(\\"{{\\", \\"7*7\\", \\"}}\\")}}"
`,
);
writeFileSync(join(dir, "empty.yaml"), "");
// What nuclei itself refuses (one of its XSS templates is not valid YAML), and a Go-only expression.
writeFileSync(join(dir, "broken.yaml"), 'id: broken\nhttp:\n  - fuzzing: [\n      "unclosed\n');
writeFileSync(
  join(dir, "goregex.yaml"),
  `id: goregex
http:
  - payloads:
      p: ["x"]
    fuzzing:
      - part: query
        values:
          - "(?P<scheme>https?)://"
        fuzz: ["{{p}}"]
`,
);

describe("loadNuclei", () => {
  const { lines, failed } = loadNuclei(root);
  const cmdi = lines.filter((l) => l.class === "nuclei-cmdi");

  it("puts each payload where each rule says, as nuclei encodes it", () => {
    // postfix to the query's `id=1`, spaces as `+`, `#` escaped; `[SLEEPTIME]` and variables filled.
    expect(cmdi.filter((l) => l.method === "GET" && l.path === "/v1/search").map((l) => l.query)).toEqual([
      "id=1|nslookup+c59def6kdc9abcd.oast.fun|",
      "id=1;sleep+5+%234821",
      // (`part: request`: the query, then the User-Agent of a request to `?id=1`, for each payload)
      "cmd=|nslookup+c59def6kdc9abcd.oast.fun|",
      "id=1",
      "cmd=;sleep+5+%234821",
      "id=1",
    ]);
  });

  it("fuzzes every part for `part: request`, the User-Agent among them", () => {
    expect(cmdi.find((l) => l.method === "POST")).toMatchObject({
      path: "/v1/items",
      contentType: "application/x-www-form-urlencoded",
      body: "name=test&cmd=|nslookup+c59def6kdc9abcd.oast.fun|",
    });
    expect(cmdi.some((l) => l.path === "/;sleep+5+%234821")).toBe(true);
    expect(cmdi.some((l) => l.headers?.["user-agent"] === ";sleep 5 #4821")).toBe(true);
  });

  it("names the templates it cannot read and goes on with the rest", () => {
    expect(failed).toEqual(["broken: YAMLParseError", "goregex: SyntaxError"]);
    expect(lines.some((l) => l.id.startsWith("nuclei:broken:") || l.id.startsWith("nuclei:goregex:"))).toBe(false);
  });

  it("sends a template's fixed paths, a rule's value-selected parameter, and skips empty files", () => {
    const ssti = lines.filter((l) => l.class === "nuclei-ssti");
    expect(ssti.map((l) => [l.path, l.query])).toEqual([
      ["/_profiler/phpinfo", undefined],
      ["/v1/search", "id={{7*7}}"],
    ]);
    expect(new Set(lines.map((l) => l.id)).size).toBe(lines.length);
  });
});
