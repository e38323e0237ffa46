/**
 * Reads the OWASP CRS v4 regression tests (`tests/regression/tests/REQUEST-9xx-…/<rule>.yaml`
 * in a checkout of https://github.com/coreruleset/coreruleset, Apache-2.0) at run time and turns
 * them into corpus lines. Nothing of CRS is committed here: the checkout's path is given on the
 * command line (`npm run waf:eval -- --crs PATH`).
 *
 * Which tests count:
 * - only rules 930000–944999 (the attack classes) at the paranoia level asked for (default 1),
 *   read from the rule's `tag:'paranoia-level/N'` in `rules/*.conf`;
 * - a test whose `expect_ids` is not empty is an attack test (the request must be blocked);
 *   a test with only `no_expect_ids` is a negative test: "this rule must not fire". Most are
 *   benign requests (false-positive regressions), but some are attacks that another rule is meant
 *   to catch ("Remote File Inclusion Attack (931120)", "Unix command injection"). A negative test
 *   whose own description names an attack is therefore not counted as benign; it is reported on
 *   its own line (`crs-negative-attack`) and counts neither way; so do the negative tests listed
 *   in `REVIEWED_ATTACKS`, read one by one and found to be attacks (each with the reason);
 * - the request is built as the Worker would see it: the URL through the WHATWG URL parser
 *   (as workerd's `Request.url` is; its host from the test's Host header), headers through `Headers`; a body without a Content-Type
 *   is sent as `application/x-www-form-urlencoded`, as the CRS test runner does. A test the
 *   Fetch API cannot express (a header value with a line break, a malformed URL) is skipped
 *   and counted as skipped.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import type { CorpusLine } from "./corpus.ts";

/** CRS file family → our class name, for the per-class table. */
const FAMILIES: Record<string, string> = {
  "930": "crs-930-lfi",
  "931": "crs-931-rfi",
  "932": "crs-932-rce",
  "933": "crs-933-php",
  "934": "crs-934-generic",
  "941": "crs-941-xss",
  "942": "crs-942-sqli",
  "943": "crs-943-fixation",
  "944": "crs-944-java",
};

interface CrsInput {
  method?: string;
  uri?: string;
  headers?: Record<string, unknown>;
  data?: unknown;
  encoded_request?: string;
}
interface CrsStage {
  input?: CrsInput;
  output?: { log?: { expect_ids?: number[]; no_expect_ids?: number[] } };
}
interface CrsTestFile {
  rule_id?: number;
  tests?: Array<{ test_id: number; desc?: string; stages?: CrsStage[] }>;
}

export interface CrsLoad {
  lines: CorpusLine[];
  skipped: Array<{ id: string; reason: string }>;
}

/** Rule id → paranoia level, from the rule files. */
function paranoiaLevels(root: string): Map<number, number> {
  const levels = new Map<number, number>();
  const dir = join(root, "rules");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".conf"))) {
    let current: number | null = null;
    for (const line of readFileSync(join(dir, file), "utf8").split("\n")) {
      const id = /\bid:(\d{6})/.exec(line);
      if (id) current = Number(id[1]);
      const pl = /paranoia-level\/(\d)/.exec(line);
      if (pl && current !== null && !levels.has(current)) levels.set(current, Number(pl[1]));
    }
  }
  return levels;
}

/** Negative tests that are attacks by their own description (see the file comment). */
export const NEGATIVE_ATTACK = "crs-negative-attack";
const ATTACK_WORDS =
  /\b(?:attack|injection|rce|exploit|payload|positive test|true positive|bypass|xss|sqli|shellshock|web ?shell)\b/i;
const BENIGN_WORDS =
  /\b(?:negative|false positive|fp|benign|legit\w*|don'?t|do not|should not|must not|not match|no match|authorized|allowed|normal)\b/i;

function describesAttack(desc: string): boolean {
  return ATTACK_WORDS.test(desc) && !BENIGN_WORDS.test(desc);
}

/**
 * Negative tests whose description does not say so but whose request is an attack (read one
 * by one; CRS marks them negative because a different rule, or a higher paranoia level, is
 * meant to catch them). Test ids only; the requests stay in the CRS checkout.
 */
const REVIEWED_ATTACKS: Record<string, string> = {
  "crs-932230-18": "SSI exec of /bin/cat /etc/shadow",
  "crs-932230-19": "SSI exec of /bin/cat /etc/shadow",
  "crs-932230-20": "newline + cat /etc/passwd",
  "crs-932230-21": "newline + cat /etc/passwd",
  "crs-932230-23": "Shellshock function definition running /bin/bash -c",
  "crs-932250-1": "tar of /etc into the web root",
  "crs-932250-2": "; tar of /etc into the web root",
  "crs-932260-1": "bash -c",
  "crs-932260-2": "exec to /dev/tcp (reverse shell)",
  "crs-932260-3": "; tar of /etc into the web root",
  "crs-933100-81": "PHP system('id') in a processing instruction",
  "crs-934110-6": "cloud metadata address (user-data)",
  "crs-934110-7": "cloud metadata URL",
  "crs-934110-8": "GCP metadata host",
  "crs-934170-2": "PHP data:// stream wrapper",
  "crs-941140-14": "CSS url(javascript:alert(1))",
  "crs-941310-8": "US-ASCII-encoded <script>alert(XSS)</script>",
  "crs-941310-9": "US-ASCII-encoded <script>alert(XSS)</script>",
  "crs-942160-12": "BENCHMARK( time delay in the path",
  "crs-942360-29": "Oracle DBMS_LDAP.INIT out-of-band SQLi",
  "crs-942360-30": "pg_sleep time-based SQLi",
  "crs-942360-31": "sqlmap UNION ALL SELECT probe",
};

// oxlint-disable-next-line typescript/no-base-to-string -- catch-all for a YAML value that is not a string
const stringify = (v: unknown): string => (typeof v === "string" ? v : v === undefined || v === null ? "" : String(v));

/** Loads the attack (`class` = CRS family) and benign (`class` = `ordinary`) tests. */
export function loadCrs(root: string, paranoia = 1): CrsLoad {
  const testsDir = join(root, "tests", "regression", "tests");
  if (!existsSync(testsDir) || !existsSync(join(root, "rules"))) {
    throw new Error(`${root} is not a coreruleset checkout (no rules/ or tests/regression/tests/)`);
  }
  const levels = paranoiaLevels(root);
  const lines: CorpusLine[] = [];
  const skipped: CrsLoad["skipped"] = [];
  for (const dir of readdirSync(testsDir).sort()) {
    const family = /^REQUEST-(9\d\d)-/.exec(dir)?.[1];
    if (family === undefined || FAMILIES[family] === undefined) continue;
    for (const file of readdirSync(join(testsDir, dir))
      .filter((f) => f.endsWith(".yaml"))
      .sort()) {
      const doc = parse(readFileSync(join(testsDir, dir, file), "utf8")) as CrsTestFile;
      const rule = doc.rule_id ?? Number(file.slice(0, 6));
      if ((levels.get(rule) ?? 99) > paranoia) continue;
      for (const test of doc.tests ?? []) {
        (test.stages ?? []).forEach((stage, i) => {
          const id = `crs-${rule}-${test.test_id}${(test.stages?.length ?? 1) > 1 ? `.${i + 1}` : ""}`;
          const expect = stage.output?.log?.expect_ids ?? [];
          const noExpect = stage.output?.log?.no_expect_ids ?? [];
          const input = stage.input;
          if (input === undefined || (expect.length === 0 && noExpect.length === 0)) return;
          if (input.encoded_request !== undefined) {
            skipped.push({ id, reason: "encoded_request (a raw HTTP message)" });
            return;
          }
          const cls =
            expect.length > 0
              ? FAMILIES[family]!
              : describesAttack(test.desc ?? "") || REVIEWED_ATTACKS[id] !== undefined
                ? NEGATIVE_ATTACK
                : "ordinary";
          const line = toLine(id, cls, input);
          if (typeof line === "string") skipped.push({ id, reason: line });
          else lines.push(line);
        });
      }
    }
  }
  return { lines, skipped };
}

function toLine(id: string, cls: string, input: CrsInput): CorpusLine | string {
  const method = (input.method ?? "GET").toUpperCase();
  let url: URL;
  const hostHeader = Object.entries(input.headers ?? {}).find(([k]) => k.toLowerCase() === "host")?.[1];
  let host = "localhost";
  try {
    if (typeof hostHeader === "string" && hostHeader !== "") host = new URL(`http://${hostHeader}`).host;
  } catch {
    /* not a host name: keep localhost */
  }
  try {
    url = new URL(input.uri ?? "/", `http://${host}`);
  } catch {
    return "malformed URI";
  }
  const headers: Record<string, string> = {};
  const check = new Headers();
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    const v = stringify(value);
    try {
      check.append(name, v);
    } catch {
      return `header ${name} not expressible in the Fetch API`;
    }
    // Host, Content-Length and Connection are the transport's; the Worker sees the others.
    const lname = name.toLowerCase();
    if (lname === "host" || lname === "content-length" || lname === "connection") continue;
    headers[lname] = headers[lname] === undefined ? v : `${headers[lname]}, ${v}`;
  }
  const data = Array.isArray(input.data) ? input.data.map(stringify).join("\r\n") : stringify(input.data);
  const line: CorpusLine = { id, class: cls, host: url.host, method, path: url.pathname, headers };
  if (url.search.length > 1) line.query = url.search.slice(1);
  if (data !== "") {
    line.body = data;
    if (headers["content-type"] === undefined) line.contentType = "application/x-www-form-urlencoded";
  }
  return line;
}
