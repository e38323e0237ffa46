/**
 * The rule ids waf/README.md lists (the ids exclusions and `ruleActions` name) are the ids the
 * detectors in src/lib/waf can return: an admin reading the list finds every id a log line shows.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const CLASSES = [
  "command",
  "crlf",
  "fixation",
  "java",
  "ldap",
  "log4shell",
  "node",
  "nosql",
  "php",
  "rfi",
  "sqli",
  "ssi",
  "ssrf",
  "template",
  "traversal",
  "xss",
  "xxe",
];
const root = join(import.meta.dirname, "../..");

/** A quoted `<class>-<words>` literal: how detectors name the rule of a finding. */
function ruleIdsIn(text: string): string[] {
  const out: string[] = [];
  for (const quoted of text.match(/["'`][a-z0-9-]{3,60}["'`]/g) ?? []) {
    const id = quoted.slice(1, -1);
    const dash = id.indexOf("-");
    if (dash > 0 && CLASSES.includes(id.slice(0, dash)) && /^[a-z0-9]+(?:-[a-z0-9]+)+$/.test(id)) out.push(id);
  }
  return out;
}

describe("waf/README.md rule ids", () => {
  it("lists every rule id the detectors return, and no other", () => {
    const dir = join(root, "src/lib/waf");
    const inCode = new Set<string>();
    for (const f of readdirSync(dir, { recursive: true }) as string[])
      if (f.endsWith(".ts")) for (const id of ruleIdsIn(readFileSync(join(dir, f), "utf8"))) inCode.add(id);
    const readme = readFileSync(join(root, "waf/README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Detectors and rule ids"), readme.indexOf("Level-2 findings"));
    const listed = new Set(
      [...section.matchAll(/`([a-z0-9-]+)`/g)].map((m) => m[1]!).filter((id) => ruleIdsIn(`"${id}"`).length > 0),
    );
    expect(inCode.size).toBeGreaterThan(100);
    expect([...inCode].filter((id) => !listed.has(id)).sort(), "in the code, not in waf/README.md").toEqual([]);
    expect([...listed].filter((id) => !inCode.has(id)).sort(), "in waf/README.md, not in the code").toEqual([]);
  });
});
