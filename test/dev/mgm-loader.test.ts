/**
 * `waf/mgm.ts`: how a checkout of the WAF Payload Collection (openappsec/mgm-web-attack-payloads)
 * becomes requests for `npm run waf:eval -- --mgm PATH`, as its Nuclei templates send them (a
 * made-up checkout with a few payloads per category).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { toWafRequest } from "../../waf/corpus.ts";
import { goQueryEscape, loadMgm } from "../../waf/mgm.ts";

const root = mkdtempSync(join(tmpdir(), "mgm-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function list(category: string, file: string, lines: string[]): void {
  mkdirSync(join(root, "nuclei", "payloads", category), { recursive: true });
  writeFileSync(join(root, "nuclei", "payloads", category, file), `${lines.join("\n")}\n`);
}

list("sqli", "true-positives.txt", ["1' or 'a'='a", "", "%2e%2e x!"]);
list("sqli", "false-positives.txt", ["and/or"]);
list("log4shell", "true-positives.txt", ["${jndi:ldap://x/a}", "line\u0100break"]);
list("shellshock", "true-positives.txt", ["() { :; }; id"]);
list("xxe", "true-positives.txt", ['<!DOCTYPE a [<!ENTITY b SYSTEM "file:///etc/passwd">]><a>&b;</a>']);

describe("loadMgm", () => {
  const { lines, skipped } = loadMgm(root);
  const byId = new Map(lines.map((l) => [l.id, l]));

  it("escapes as Go's url.QueryEscape does, keeping the payload's own escapes (%25 back to %)", () => {
    expect(goQueryEscape("a b!'()*~._-/é")).toBe("a+b%21%27%28%29%2A~._-%2F%C3%A9");
    expect(byId.get("mgm:sqli/true-positives.txt:1:query")).toMatchObject({
      class: "mgm-sqli",
      method: "GET",
      path: "/",
      query: "tp_param=1%27+or+%27a%27%3D%27a",
    });
    expect(byId.get("mgm:sqli/true-positives.txt:3:form")).toMatchObject({
      method: "POST",
      contentType: "application/x-www-form-urlencoded",
      body: "tp_param=%2e%2e+x%21",
    });
    // Blank lines are no payloads.
    expect(byId.has("mgm:sqli/true-positives.txt:2:query")).toBe(false);
  });

  it("sends Log4Shell and Shellshock in the User-Agent, XXE as an XML body, false positives as ordinary", () => {
    expect(byId.get("mgm:log4shell/true-positives.txt:1:get-ua")).toMatchObject({
      query: "tp_param=foobar",
      headers: { "user-agent": "${jndi:ldap://x/a}" },
    });
    expect(byId.get("mgm:shellshock/true-positives.txt:1:post-ua")).toMatchObject({
      method: "POST",
      contentType: "text/plain",
      headers: { "user-agent": "() { :; }; id" },
    });
    expect(byId.get("mgm:shellshock/true-positives.txt:1:form")?.body).toBe("tp_param=%28%29+%7B+%3A%3B+%7D%3B+id");
    expect(byId.get("mgm:xxe/true-positives.txt:1:post-xml")).toMatchObject({ contentType: "application/xml" });
    expect(byId.get("mgm:sqli/false-positives.txt:1:query")?.class).toBe("ordinary");
  });

  it("counts what the Fetch API cannot send, and every request it builds is one", () => {
    expect(skipped).toEqual([
      "mgm:log4shell/true-positives.txt:2:get-ua",
      "mgm:log4shell/true-positives.txt:2:post-ua",
      "mgm:xxe/true-positives.txt:1:get-body",
    ]);
    for (const line of lines) expect(() => toWafRequest(line)).not.toThrow();
  });
});
