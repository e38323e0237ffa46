/**
 * `waf/sqlmap.ts`: how a checkout of sqlmap (its `data/xml` test definitions and boundaries)
 * becomes requests for `npm run waf:eval -- --sqlmap PATH`, as sqlmap's detection phase puts a
 * test and a boundary together (a made-up checkout with a few tests and boundaries).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadSqlmap, loadSqlmapTampered } from "../../waf/sqlmap.ts";

const root = mkdtempSync(join(tmpdir(), "sqlmap-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, "data", "xml", "payloads"), { recursive: true });

const boundary = (level: number, clause: string, where: string, prefix: string, suffix: string) =>
  `<boundary><level>${level}</level><clause>${clause}</clause><where>${where}</where><ptype>1</ptype>` +
  `<prefix>${prefix}</prefix><suffix>${suffix}</suffix></boundary>`;
writeFileSync(
  join(root, "data", "xml", "boundaries.xml"),
  `<?xml version="1.0"?>
<!-- <boundary><level>1</level><prefix>IN A COMMENT</prefix></boundary> -->
<root>
${boundary(1, "1", "1,2", "", "")}
${boundary(2, "1", "1", "&apos;", " AND &apos;[RANDSTR]&apos;=&apos;[RANDSTR]")}
${boundary(4, "8", "1", "`=`[ORIGINAL]`", "")}
${boundary(3, "2", "3", "", "")}
</root>`,
);
writeFileSync(
  join(root, "data", "xml", "payloads", "boolean_blind.xml"),
  `<root>
<test><title>AND boolean</title><stype>1</stype><level>1</level><risk>1</risk><clause>1</clause><where>1</where>
<request><payload>AND [RANDNUM]=[RANDNUM]</payload></request>
<response><comparison>AND [RANDNUM]=[RANDNUM1]</comparison></response></test>
<test><title>OR boolean, risky</title><stype>1</stype><level>1</level><risk>3</risk><clause>1</clause><where>2</where>
<request><payload>OR [RANDNUM]&gt;[RANDNUM1]</payload><comment>[GENERIC_SQL_COMMENT]</comment></request><response/></test>
</root>`,
);
writeFileSync(
  join(root, "data", "xml", "payloads", "union_query.xml"),
  `<root>
<test><title>UNION NULL</title><stype>6</stype><level>1</level><risk>1</risk><clause>1</clause><where>1</where>
<request><payload/><comment>#</comment><char>NULL</char><columns>1-2</columns></request><response/></test>
</root>`,
);

describe("loadSqlmap", () => {
  const lines = loadSqlmap(root);
  const values = lines.filter((l) => l.id.endsWith(":query")).map((l) => decodeURIComponent(l.query!.slice(3)));

  it("binds each test to each boundary whose clause and place fit, with its prefix, comment or suffix", () => {
    // Level 1 boundary (no prefix): the payload after the original value, then the false comparison.
    expect(values[0]).toMatch(/^1 AND (\d{4})=\1$/);
    expect(values[1]).toMatch(/^1 AND \d{4}=\d{4}$/);
    expect(values[1]).not.toMatch(/^1 AND (\d{4})=\1$/);
    // The quote boundary: prefix, payload, suffix with one random string twice.
    expect(values).toContainEqual(expect.stringMatching(/^1' AND (\d{4})=\1 AND '([a-z]{4})'='\2$/));
    // `where` 2: after a negative number; a comment replaces the suffix.
    expect(values).toContainEqual(expect.stringMatching(/^-\d{4} OR \d{4}>\d{4}-- [a-z]{4}$/));
    // The identifier boundary's clause (8) fits no test; the comment block's boundary is no boundary.
    expect(values.some((v) => v.includes("`") || v.includes("IN A COMMENT"))).toBe(false);
  });

  it("builds UNION tests as ORDER BY probes and UNION ALL SELECT of the test's columns", () => {
    expect(values).toContain("1 UNION ALL SELECT NULL#");
    expect(values).toContain("1 UNION ALL SELECT NULL,NULL#");
    expect(values).toContain("1 ORDER BY 1#");
  });

  it("sends each value as a query and a form value, with the test's level and risk", () => {
    const risky = lines.filter((l) => l.risk === 3);
    expect(risky.length).toBe(2);
    expect(risky.map((l) => l.method).sort()).toEqual(["GET", "POST"]);
    expect(risky[1]).toMatchObject({ path: "/v1/items", contentType: "application/x-www-form-urlencoded" });
    expect(lines.find((l) => l.id.endsWith(":body") && l.level === 2)?.body).toMatch(/^id=1'%20AND%20/);
    expect(new Set(lines.map((l) => l.class))).toEqual(new Set(["sqlmap-boolean", "sqlmap-union"]));
    // The same value twice is sent once.
    expect(new Set(values).size).toBe(values.length);
  });
});

describe("loadSqlmapTampered", () => {
  // A made-up checkout's tamper scripts and the few names of sqlmap's own code they load.
  mkdirSync(join(root, "tamper"), { recursive: true });
  mkdirSync(join(root, "lib", "core"), { recursive: true });
  mkdirSync(join(root, "data", "txt"), { recursive: true });
  writeFileSync(join(root, "tamper", "__init__.py"), "");
  writeFileSync(join(root, "lib", "__init__.py"), "");
  writeFileSync(join(root, "lib", "core", "__init__.py"), "");
  writeFileSync(join(root, "lib", "core", "data.py"), "class _Bag(object):\n    pass\nkb = _Bag()\nconf = _Bag()\n");
  writeFileSync(join(root, "data", "txt", "keywords.txt"), "# keywords\nAND\nSELECT\n");
  writeFileSync(
    join(root, "tamper", "space2comment.py"),
    "def tamper(payload, **kwargs):\n    return payload.replace(' ', '/**/')\n",
  );
  writeFileSync(
    join(root, "tamper", "randomcase.py"),
    "import random\nfrom lib.core.data import kb\n" +
      "def tamper(payload, **kwargs):\n" +
      "    assert 'AND' in kb.keywords\n" +
      "    return ''.join(c.upper() if random.random() < 0.5 else c.lower() for c in payload)\n",
  );
  writeFileSync(
    join(root, "tamper", "charencode.py"),
    "def tamper(payload, **kwargs):\n    return ''.join('%%%.2X' % ord(c) for c in payload)\n",
  );
  writeFileSync(join(root, "tamper", "broken.py"), "def tamper(payload, **kwargs):\n    raise ValueError('x')\n");
  const base = loadSqlmap(root).filter((l) => l.level === 1 && l.risk === 1);

  it("sends each value through each script (seeded), once per distinct result, and names the scripts that fail", () => {
    const a = loadSqlmapTampered(root, base);
    const b = loadSqlmapTampered(root, base);
    expect(a.failed).toEqual(["broken: ValueError"]);
    const spaced = a.lines.filter((l) => l.class === "sqlmap-tamper-space2comment" && l.id.endsWith(":query"));
    expect(spaced.map((l) => decodeURIComponent(l.query!.slice(3)))).toContainEqual(
      expect.stringMatching(/^1\/\*\*\/AND\/\*\*\/(\d{4})=\1$/),
    );
    // `UNION ALL SELECT NULL#` has spaces, `1` alone would not change: nothing is sent twice.
    expect(new Set(spaced.map((l) => l.query)).size).toBe(spaced.length);
    expect(a.lines.some((l) => l.class === "sqlmap-tamper-randomcase")).toBe(true);
    expect(b.lines.map((l) => l.query ?? l.body)).toEqual(a.lines.map((l) => l.query ?? l.body));
    expect(spaced[0]!.query).toMatch(/^id=1%2F\*\*%2FAND/);
    // Escapes a script wrote stay as they are (sqlmap's URL encoding leaves `%`).
    const encoded = a.lines.find((l) => l.class === "sqlmap-tamper-charencode" && l.id.endsWith(":query"));
    expect(encoded?.query).toMatch(/^id=%31%20%41%4E%44%20/);
  });
});

describe("loadSqlmapTampered without tamper scripts", () => {
  it("fails with a message naming python3, not a stack from JSON.parse", () => {
    const empty = mkdtempSync(join(tmpdir(), "sqlmap-empty-"));
    try {
      expect(() => loadSqlmapTampered(empty, [])).toThrow(/python3 could not run sqlmap's tamper scripts/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
