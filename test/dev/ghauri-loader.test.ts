/**
 * `waf/ghauri.ts`: how a checkout of Ghauri (its `ghauri/common/payloads.py` table, loaded by
 * python3) becomes requests for `npm run waf:eval -- --ghauri PATH`: a made-up table with Ghauri's shape.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadGhauri } from "../../waf/ghauri.ts";

const root = mkdtempSync(join(tmpdir(), "ghauri-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, "ghauri", "common"), { recursive: true });
writeFileSync(
  join(root, "ghauri", "common", "payloads.py"),
  `LENGTH_PAYLOADS = {"MySQL": ["ORD(MID(LENGTH({query}),{position},1))={char}"]}
PAYLOADS = {
    "BooleanTests": {
        "boolean-based": [
            {"payload": "AND [RANDNUM]=[RANDNUM]", "comments": [{"pref": " ", "suf": ""}, {"pref": "' ", "suf": "-- wXyW"}]},
        ],
    },
    "Microsoft SQL Server": {
        "time-based": [
            {"payload": "WAITFOR DELAY '0:0:[SLEEPTIME]'", "comments": [{"pref": "; ", "suf": "--"}]},
            {"payload": "(SELECT [RANDNUM] FROM x)", "comments": [{"pref": "", "suf": ""}, {"pref": "", "suf": ""}]},
        ],
    },
}
`,
);

describe("loadGhauri", () => {
  it("fills each payload's placeholders with each prefix and suffix, after the value or in its place, once per value", () => {
    const lines = loadGhauri(root);
    const values = lines
      .filter((l) => l.id.endsWith(":query"))
      .map((l) => [l.class, decodeURIComponent(l.query!.slice(3))]);
    expect(values).toEqual([
      ["ghauri-booleantests-boolean-based", expect.stringMatching(/^1 AND (\d{4})=\1$/)],
      ["ghauri-booleantests-boolean-based", expect.stringMatching(/^1' AND (\d{4})=\1-- wXyW$/)],
      ["ghauri-microsoft-sql-server-time-based", "1; WAITFOR DELAY '0:0:5'--"],
      ["ghauri-microsoft-sql-server-time-based", expect.stringMatching(/^\(SELECT \d{4} FROM x\)$/)],
      ["ghauri-microsoft-sql-server-time-based", expect.stringMatching(/^\(SELECT \d{4} FROM x\)$/)],
    ]);
    expect(loadGhauri(root).map((l) => l.query ?? l.body)).toEqual(lines.map((l) => l.query ?? l.body));
    expect(lines.find((l) => l.id.endsWith(":body"))).toMatchObject({
      method: "POST",
      contentType: "application/x-www-form-urlencoded",
    });
  });

  it("names the file it could not read", () => {
    expect(() => loadGhauri(join(root, "missing"))).toThrow(/python3 could not read .*payloads\.py/);
  });
});
