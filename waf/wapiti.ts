/**
 * The attack payloads of the Wapiti web scanner (`git clone https://github.com/wapiti-scanner/wapiti`,
 * GPL-2.0; read at run time from `wapitiCore/data/attacks/*.ini`, nothing of it is committed):
 * every `payload = …` line of its blind SQL, command/code execution, file handling, LDAP, XSS and
 * XXE sets, with its placeholders filled as a scan of a parameter whose value is `1` fills them
 * (`[VALUE]` the value, `[TIME]` a delay, `[LF]`, `[TAB]`, `[NULL]`, `[FF]` the characters,
 * `[EXTERNAL_ENDPOINT]` the scanner's own server, `__XSS__` a marker), each as a query value
 * and a form value; class `wapiti-<set>`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type CorpusLine, queryAndForm } from "./corpus.ts";

const SETS: Record<string, string> = {
  "blindSQLPayloads.ini": "sqli",
  "execPayloads.ini": "exec",
  "fileHandlingPayloads.ini": "file",
  "ldap.ini": "ldap",
  "xssPayloads.ini": "xss",
  "xxePayloads.ini": "xxe",
};

const PLACEHOLDERS: Array<[string, string]> = [
  ["[VALUE]", "1"],
  ["[TIME]", "5"],
  ["[LF]", "\n"],
  ["[TAB]", "\t"],
  ["[NULL]", "\0"],
  ["[FF]", "\f"],
  ["[EXTERNAL_ENDPOINT]", "http://wapiti3.example"],
  ["[PROTO_ENDPOINT]", "wapiti3.example"],
  ["[DIRVALUE]", ""],
  ["[EXTVALUE]", ""],
  ["[FILE_NAME]", "index.php"],
  ["[PATH_ID]", "a1b2c3"],
  ["[SESSION_ID]", "a1b2c3"],
  ["[PARAM_AS_HEX]", "31"],
  ["[ATTR_SEP]", " "],
  ["[VALUE_SEP]", "/"],
  ["__XSS__", "w4p1t1x55"],
];

export function loadWapiti(root: string): CorpusLine[] {
  const lines: CorpusLine[] = [];
  for (const [file, set] of Object.entries(SETS)) {
    const text = readFileSync(join(root, "wapitiCore", "data", "attacks", file), "utf8");
    const seen = new Set<string>();
    for (const line of text.split("\n")) {
      if (!line.startsWith("payload = ") || line === "payload = None") continue;
      let p = line.slice("payload = ".length).trimEnd();
      for (const [mark, value] of PLACEHOLDERS) p = p.replaceAll(mark, value);
      if (p === "" || seen.has(p)) continue;
      seen.add(p);
      const enc = encodeURIComponent(p);
      const id = `wapiti:${file}:${seen.size}`;
      lines.push(...queryAndForm(id, `wapiti-${set}`, "q", enc));
    }
  }
  return lines;
}
