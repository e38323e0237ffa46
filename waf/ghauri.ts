/**
 * The SQL injection tests of the Ghauri tool (`git clone https://github.com/r0oth3x49/ghauri`, MIT;
 * read at run time from its `ghauri/common/payloads.py`, nothing of it is committed): every
 * payload of its `PAYLOADS` table (boolean, error-based, time-based and stacked queries for MySQL,
 * PostgreSQL, Microsoft SQL Server and Oracle) with each of its prefix/suffix pairs, its
 * placeholders filled as a detection run fills them (`[RANDNUM]=[RANDNUM]` a true comparison,
 * `[SLEEPTIME]` 5 seconds), after the parameter's value `1` or in its place where Ghauri puts it
 * there (`if(…`, `(SELECT…`, `AND(…`, `OR(…`, `XOR…`), each as a query and a form value. Class
 * `ghauri-<dbms>-<technique>`.
 *
 * The table is loaded with python3 from that one file (a module of literals; the rest of Ghauri
 * needs libraries this machine may not have). Random numbers are seeded: every run is the same.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { type CorpusLine, queryAndForm } from "./corpus.ts";

const READER = String.raw`
import importlib.util, json, random, sys
spec = importlib.util.spec_from_file_location("ghauri_payloads", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
random.seed(20261206)
out = []
for dbms, techniques in module.PAYLOADS.items():
    for technique, entries in techniques.items():
        for entry in entries:
            for c in entry.get("comments", []):
                payload = c["pref"] + entry["payload"] + c["suf"]
                n = random.randint(1000, 9999)
                payload = payload.replace("[RANDNUM]=[RANDNUM]", "%d=%d" % (n, n))
                while "[RANDNUM]" in payload:
                    payload = payload.replace("[RANDNUM]", str(random.randint(1000, 9999)), 1)
                payload = payload.replace("[SLEEPTIME]", "5").replace("[ORIGVALUE]", "1")
                out.append([dbms, technique, payload])
json.dump(out, sys.stdout)
`;

/** Payloads Ghauri puts in the value's place rather than after it (`prepare_attack_request`). */
const REPLACES_VALUE = /^(?:if\(|OR\(|XOR|\(SELEC|AND\()/;

export function loadGhauri(root: string): CorpusLine[] {
  const file = join(root, "ghauri", "common", "payloads.py");
  const run = spawnSync("python3", ["-c", READER, file], { maxBuffer: 1 << 26 });
  if (run.status !== 0) throw new Error(`python3 could not read ${file}: ${String(run.stderr).slice(-400)}`);
  const rows = JSON.parse(String(run.stdout)) as Array<[string, string, string]>;
  const lines: CorpusLine[] = [];
  const seen = new Set<string>();
  for (const [dbms, technique, payload] of rows) {
    const cls = `ghauri-${dbms.toLowerCase().replaceAll(" ", "-")}-${technique}`;
    const value = REPLACES_VALUE.test(payload) ? payload : `1${payload}`;
    if (seen.has(`${cls}\n${value}`)) continue;
    seen.add(`${cls}\n${value}`);
    const enc = encodeURIComponent(value);
    const id = `ghauri:${cls}:${seen.size}`;
    lines.push(...queryAndForm(id, cls, "id", enc));
  }
  return lines;
}
