/**
 * Evaluates the security filter (`src/lib/waf`, pure code, run directly by Node) with the
 * default config in `block` mode, and prints per attack class how many requests were blocked
 * (and how many of those under the right class), then the false positives on ordinary traffic.
 *
 *   node waf/eval.ts                    # the committed corpus in waf/corpus/*.jsonl
 *   node waf/eval.ts --crs PATH         # also the OWASP CRS v4 regression tests (930–944) of a coreruleset checkout
 *   node waf/eval.ts --paranoia 2       # evaluate at another paranoia level (CRS rules up to that level, too)
 *   node waf/eval.ts --misses           # list every missed attack and every false positive
 *   node waf/eval.ts --only crs         # only the CRS tests (or `own`, `bypass` for --waf-bypass, `gotestwaf`, `mgm`, `sqlmap`, `wapiti`, `commix`, `sstimap`, `dotdotpwn`, `log4j-scan`, `ghauri`, `ssrfmap`, `nuclei`, or
 *                                       # `lists`: only --payloads/--benign/--docs); --class NAME keeps one class
 *
 *   node waf/eval.ts --waf-bypass PATH  # also the payloads of a nemesida-waf/waf-bypass checkout, in every
 *                                       # request part they name (see waf/waf-bypass.ts); detection per class
 *   node waf/eval.ts --gotestwaf PATH   # also the test cases of a wallarm/gotestwaf checkout: each payload through
 *                                       # each encoder in each placeholder, as that tool sends it (waf/gotestwaf.ts);
 *                                       # its false-pos set is ordinary text
 *   node waf/eval.ts --mgm PATH         # also the WAF Payload Collection of an openappsec/mgm-web-attack-payloads
 *                                       # checkout (the WAF Comparison Project's malicious set), sent as its
 *                                       # Nuclei templates send it (waf/mgm.ts); its false-positives are ordinary
 *   node waf/eval.ts --sqlmap PATH      # also sqlmap's injection tests from a sqlmapproject/sqlmap checkout, as its
 *                                       # detection phase sends them (waf/sqlmap.ts): `--sqlmap-level N` and
 *                                       # `--sqlmap-risk N` (default 1 and 1, sqlmap's own) pick the tests of a run
 *                                       # with that --level/--risk; detection per injection technique;
 *                                       # `--sqlmap-tamper` also sends them through each of its tamper scripts
 *                                       # (needs python3 and a full checkout: tamper/, lib/, plugins/, extra/, thirdparty/)
 *   node waf/eval.ts --wapiti PATH      # also the attack payloads of a wapiti-scanner/wapiti checkout (waf/wapiti.ts)
 *   node waf/eval.ts --commix PATH      # also the command-injection payloads of a commixproject/commix checkout, built
 *                                       # by its own code as its detection phase builds them (waf/commix.ts; needs
 *                                       # python3): `--commix-level N` (1 to 3, default 1, commix's own) picks the
 *                                       # separators, prefixes and suffixes of a run at that --level; with a WAF
 *                                       # seen and through each of its tamper scripts too
 *   node waf/eval.ts --dotdotpwn PATH   # also the traversal patterns of a wireghoul/dotdotpwn checkout, made by its own
 *                                       # engine (waf/dotdotpwn.ts; needs perl), in the path and as a query value
 *   node waf/eval.ts --log4j-scan PATH  # also the payloads of a fullhunt/log4j-scan checkout in each header of its list,
 *                                       # a query, a form and JSON (waf/log4j-scan.ts; python3 reads its lists)
 *   node waf/eval.ts --ghauri PATH      # also the SQL injection tests of an r0oth3x49/ghauri checkout (waf/ghauri.ts;
 *                                       # python3 loads its payload table)
 *   node waf/eval.ts --ssrfmap PATH     # also the requests of a swisskyrepo/SSRFmap checkout's modules, built by its own
 *                                       # code at each of its levels (waf/ssrfmap.ts; needs python3)
 *   node waf/eval.ts --sstimap PATH     # also the requests of a vladko312/SSTImap checkout's plugins, built by its
 *                                       # own code (waf/sstimap.ts; needs python3): `--sstimap-level N` (0 to 5,
 *                                       # default 1, its own) picks the code contexts and closures of a scan
 *   node waf/eval.ts --nuclei PATH      # also the DAST templates of a projectdiscovery/nuclei-templates checkout
 *                                       # (`dast/vulnerabilities`): each payload where its fuzzing rules put it, as
 *                                       # nuclei encodes it (waf/nuclei.ts); `nuclei-redirect` holds open-redirect probes
 *   node waf/eval.ts --payloads FILE    # a public payload list (one payload per line), each sent as a
 *                                       # query value and as a form-body value; detection per file
 *   node waf/eval.ts --benign FILE      # a list of benign values (one per line): how many pass
 *   node waf/eval.ts --docs DIR         # the markdown files under DIR (e.g. node_modules) in pieces of
 *                                       # 700/2,000 characters, each as a JSON body's text field: how
 *                                       # many pass (waf/docs.ts); false positives counted by rule
 *
 * Exit code 1 when the committed corpus is below 99% detection or above 0.1% false positives,
 * when the CRS attack tests are below 95% or any CRS benign test is blocked, or when any request
 * made the filter throw (the middleware would answer by `security.onError`, never 500, but a throw
 * is a bug).
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { defaultEdgeConfig } from "../src/lib/config/schema.ts";
import { evaluateRequest, type WafDecision } from "../src/lib/waf/index.ts";
import { readCorpus, toWafRequest, type CorpusLine } from "./corpus.ts";
import { loadCommix } from "./commix.ts";
import { loadCrs, NEGATIVE_ATTACK } from "./crs.ts";
import { loadDocs } from "./docs.ts";
import { loadDotDotPwn } from "./dotdotpwn.ts";
import { loadGhauri } from "./ghauri.ts";
import { loadGoTestWaf } from "./gotestwaf.ts";
import { loadLog4jScan } from "./log4j-scan.ts";
import { loadMgm } from "./mgm.ts";
import { loadNuclei } from "./nuclei.ts";
import { loadSqlmap, loadSqlmapTampered } from "./sqlmap.ts";
import { loadSsrfmap } from "./ssrfmap.ts";
import { loadSstimap } from "./sstimap.ts";
import { loadWafBypass } from "./waf-bypass.ts";
import { loadWapiti } from "./wapiti.ts";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

const verbose = process.argv.includes("--misses");
const crsPath = arg("--crs");
const wafBypassPath = arg("--waf-bypass");
const goTestWafPath = arg("--gotestwaf");
const mgmPath = arg("--mgm");
const sqlmapPath = arg("--sqlmap");
const wapitiPath = arg("--wapiti");
const commixPath = arg("--commix");
/** A numeric option among `allowed` (its default when absent); exit code 2 and a message otherwise. */
function levelArg(name: string, allowed: readonly number[], fallback: number): number {
  const n = Number(arg(name) ?? fallback);
  if (!allowed.includes(n)) {
    console.error(`${name} must be ${allowed[0]} to ${allowed.at(-1)}`);
    process.exit(2);
  }
  return n;
}
const commixLevel = levelArg("--commix-level", [1, 2, 3], 1);
const dotdotpwnPath = arg("--dotdotpwn");
const log4jScanPath = arg("--log4j-scan");
const ghauriPath = arg("--ghauri");
const ssrfmapPath = arg("--ssrfmap");
const sstimapPath = arg("--sstimap");
const nucleiPath = arg("--nuclei");
const sstimapLevel = levelArg("--sstimap-level", [0, 1, 2, 3, 4, 5], 1);
const sqlmapLevel = levelArg("--sqlmap-level", [1, 2, 3, 4, 5], 1);
const sqlmapRisk = levelArg("--sqlmap-risk", [1, 2, 3], 1);
const only = arg("--only");
const onlyClass = arg("--class");
const paranoia = Number(arg("--paranoia") ?? defaultEdgeConfig.security.paranoiaLevel);
if (![1, 2, 3, 4].includes(paranoia)) {
  console.error("--paranoia must be 1, 2, 3 or 4");
  process.exit(2);
}
const security = { ...defaultEdgeConfig.security, mode: "block" as const, paranoiaLevel: paranoia as 1 | 2 | 3 | 4 };

interface Row {
  count: number;
  detected: number;
  rightClass: number;
  misses: CorpusLine[];
}

interface Outcome {
  attacks: number;
  detected: number;
  ordinary: number;
  falsePositives: number;
  errors: number;
}

const pct = (n: number, d: number) => (d === 0 ? "-" : `${((100 * n) / d).toFixed(1)}%`);
const pad = (s: string | number, n: number) => String(s).padStart(n);
const show = (l: CorpusLine) =>
  JSON.stringify({
    m: l.method,
    p: l.path,
    q: l.query,
    b: l.body,
    h:
      l.headers &&
      Object.fromEntries(
        Object.entries(l.headers).filter(([k]) => !["accept", "user-agent"].includes(k) || l.headers![k]!.length < 0),
      ),
  }).slice(0, 300);

/** Runs one corpus and prints its table. */
function run(title: string, corpus: CorpusLine[], expectClass: (cls: string) => string | null): Outcome {
  const rows = new Map<string, Row>();
  const falsePositives: Array<{ line: CorpusLine; decision: WafDecision }> = [];
  const errors: Array<{ line: CorpusLine; error: unknown }> = [];
  let ordinary = 0;
  const judgment = { count: 0, blocked: [] as Array<{ line: CorpusLine; decision: WafDecision }> };
  const started = performance.now();
  for (const line of corpus) {
    if (onlyClass !== undefined && line.class !== onlyClass && !line.class.startsWith("ordinary")) continue;
    let decision: WafDecision;
    try {
      decision = evaluateRequest(toWafRequest(line), security);
    } catch (error) {
      errors.push({ line, error });
      continue;
    }
    if (decision.error !== undefined)
      errors.push({ line, error: `${decision.ruleId}: ${decision.error} (decided by onError)` });
    const blocked = decision.action === "block";
    if (line.class === "ordinary-code" && line.placement?.startsWith("code-jc:")) {
      // Code that a WAF may fairly block (scripts, shell pipes, `<?php`): reported, counted neither way.
      judgment.count++;
      if (blocked) judgment.blocked.push({ line, decision });
      continue;
    }
    if (line.class === "ordinary" || line.class === "ordinary-code") {
      ordinary++;
      if (blocked) falsePositives.push({ line, decision });
      continue;
    }
    let row = rows.get(line.class);
    if (!row) rows.set(line.class, (row = { count: 0, detected: 0, rightClass: 0, misses: [] }));
    row.count++;
    if (blocked) {
      row.detected++;
      const want = expectClass(line.class);
      if (want === null || decision.class === want) row.rightClass++;
    } else row.misses.push(line);
  }
  const elapsedMs = performance.now() - started;

  console.log(`\n${title}`);
  console.log(
    `${"class".padEnd(18)}${pad("count", 7)}${pad("detected", 10)}${pad("detection", 11)}${pad("same class", 12)}`,
  );
  let attacks = 0;
  let detected = 0;
  for (const [cls, row] of [...rows].sort(([a], [b]) => a.localeCompare(b))) {
    attacks += row.count;
    detected += row.detected;
    console.log(
      `${cls.padEnd(18)}${pad(row.count, 7)}${pad(row.detected, 10)}${pad(pct(row.detected, row.count), 11)}${pad(pct(row.rightClass, row.detected), 12)}`,
    );
    if (verbose) for (const m of row.misses) console.log(`    miss ${m.id} ${show(m)}`);
  }
  console.log(
    `${"ordinary".padEnd(18)}${pad(ordinary, 7)}${pad(falsePositives.length, 10)}${pad(pct(falsePositives.length, ordinary), 11)}  false positives`,
  );
  if (falsePositives.length > 5) {
    const byRule = new Map<string, number>();
    for (const { decision } of falsePositives) {
      const rule = decision.ruleId ?? "(none)";
      byRule.set(rule, (byRule.get(rule) ?? 0) + 1);
    }
    const counts = [...byRule].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    console.log(`    by rule: ${counts.map(([rule, n]) => `${rule} ${n}`).join(", ")}`);
  }
  for (const { line, decision } of falsePositives.slice(0, verbose ? falsePositives.length : 5)) {
    console.log(
      `    FP ${line.id} → ${decision.ruleId} (${decision.class}, score ${decision.score}) in ${decision.part}${verbose ? ` ${show(line)}` : ""}`,
    );
  }
  if (judgment.count > 0) {
    console.log(
      `${"code (judgment)".padEnd(18)}${pad(judgment.count, 7)}${pad(judgment.blocked.length, 10)}${pad(pct(judgment.blocked.length, judgment.count), 11)}  blocked: code a WAF may fairly block (counted neither way)`,
    );
    if (verbose)
      for (const { line, decision } of judgment.blocked)
        console.log(
          `    JC ${line.id} [${line.placement}] → ${decision.ruleId} (${decision.class}, score ${decision.score}) in ${decision.part}`,
        );
  }
  for (const { line, error } of errors)
    console.log(`    ERROR ${line.id}: ${error instanceof Error ? error.message : String(error)} ${show(line)}`);
  console.log(
    `total: ${attacks} attacks, ${detected} detected (${pct(detected, attacks)}); ${ordinary} ordinary, ${falsePositives.length} false positives (${pct(falsePositives.length, ordinary)}); ` +
      `${errors.length} errors; ${((elapsedMs * 1000) / Math.max(1, corpus.length)).toFixed(0)} µs/request in Node`,
  );
  return { attacks, detected, ordinary, falsePositives: falsePositives.length, errors: errors.length };
}

/** Every value of `--name FILE` (the flag may repeat). */
function args(name: string): string[] {
  const out: string[] = [];
  process.argv.forEach((a, i) => {
    if (a === name && process.argv[i + 1] !== undefined) out.push(process.argv[i + 1]!);
  });
  return out;
}

/** One line of a payload list as two requests: a query value and a form-body value. */
function listLines(file: string, cls: string): CorpusLine[] {
  const out: CorpusLine[] = [];
  readFileSync(file, "utf8")
    .split("\n")
    .map((l) => l.replace(/\r$/, ""))
    .filter((l) => l.trim() !== "")
    .forEach((payload, i) => {
      const value = encodeURIComponent(payload);
      out.push({
        id: `${basename(file)}:${i + 1}:query`,
        class: cls,
        method: "GET",
        path: "/v1/search",
        query: `q=${value}`,
      });
      out.push({
        id: `${basename(file)}:${i + 1}:body`,
        class: cls,
        method: "POST",
        path: "/v1/items",
        contentType: "application/x-www-form-urlencoded",
        body: `name=test&data=${value}`,
      });
    });
  return out;
}

let failed = false;
/**
 * Runs an attack tool's requests (no class expected of them) and prints what of the tool's own code
 * could not run; a request that made the filter throw fails the evaluation.
 */
function runTool(title: string, lines: CorpusLine[], broken?: { what: string; names: string[] }): void {
  const outcome = run(title, lines, () => null);
  if (broken !== undefined && broken.names.length > 0) console.log(`${broken.what}: ${broken.names.join(", ")}`);
  if (outcome.errors > 0) failed = true;
}
console.log(`paranoia level ${paranoia}`);
/** `--only NAME` keeps one section (the lists given by --payloads/--benign/--docs always run). */
const want = (section: string) => only === undefined || only === section;
if (want("own")) {
  const own = run("committed corpus (waf/corpus)", readCorpus(), (cls) => cls);
  if (own.detected < 0.99 * own.attacks || own.falsePositives > 0.001 * own.ordinary || own.errors > 0) failed = true;
}
if (crsPath !== undefined && want("crs")) {
  const { lines, skipped } = loadCrs(crsPath, paranoia);
  const negative = lines.filter((l) => l.class === NEGATIVE_ATTACK);
  const crs = run(
    `OWASP CRS regression tests 930–944, paranoia level <= ${paranoia} (${crsPath})`,
    lines.filter((l) => l.class !== NEGATIVE_ATTACK),
    () => null,
  );
  const stopped = negative.filter((l) => evaluateRequest(toWafRequest(l), security).action === "block").length;
  console.log(`negative tests that describe an attack (counted neither way): ${stopped} of ${negative.length} blocked`);
  console.log(
    `skipped ${skipped.length} tests the Fetch API cannot express${verbose ? `: ${skipped.map((s) => `${s.id} (${s.reason})`).join(", ")}` : ""}`,
  );
  if (crs.detected < 0.95 * crs.attacks || crs.falsePositives > 0 || crs.errors > 0) failed = true;
}
if (wafBypassPath !== undefined && want("bypass")) {
  const { lines, skipped } = loadWafBypass(wafBypassPath);
  const wb = run(`nemesida-waf/waf-bypass payloads, each in the parts it names (${wafBypassPath})`, lines, () => null);
  console.log(`skipped ${skipped.length} header values the Fetch API cannot send`);
  if (wb.errors > 0) failed = true;
}
if (goTestWafPath !== undefined && want("gotestwaf")) {
  const { lines, skipped } = loadGoTestWaf(goTestWafPath);
  const gtw = run(
    `wallarm/gotestwaf test cases, each payload × encoder × placeholder (${goTestWafPath})`,
    lines,
    () => null,
  );
  console.log(`skipped ${skipped.length} requests (gRPC, raw requests, header values the Fetch API cannot send)`);
  if (gtw.errors > 0) failed = true;
}
if (mgmPath !== undefined && want("mgm")) {
  const { lines, skipped } = loadMgm(mgmPath);
  const mgm = run(`WAF Payload Collection (mgm), as its Nuclei templates send it (${mgmPath})`, lines, () => null);
  console.log(`skipped ${skipped.length} requests (GETs with a body, header values the Fetch API cannot send)`);
  if (mgm.errors > 0) failed = true;
}
if (sqlmapPath !== undefined && want("sqlmap")) {
  const lines = loadSqlmap(sqlmapPath).filter((l) => l.level <= sqlmapLevel && l.risk <= sqlmapRisk);
  runTool(
    `sqlmap's injection tests, --level ${sqlmapLevel} --risk ${sqlmapRisk}, each as a query and a form value (${sqlmapPath})`,
    lines,
  );
  if (process.argv.includes("--sqlmap-tamper")) {
    const tampered = loadSqlmapTampered(sqlmapPath, lines);
    runTool(
      `the same through each of sqlmap's tamper scripts (--tamper=NAME, run by python3 from the checkout)`,
      tampered.lines,
      { what: "tamper scripts that failed to run", names: tampered.failed },
    );
  }
}
if (wapitiPath !== undefined && want("wapiti"))
  runTool(
    `the Wapiti scanner's attack payloads, each as a query and a form value (${wapitiPath})`,
    loadWapiti(wapitiPath),
  );
if (commixPath !== undefined && want("commix")) {
  const { lines, failed: scripts } = loadCommix(commixPath, commixLevel);
  runTool(
    `commix's payloads, --level ${commixLevel}: each technique × separator × prefix × suffix, with a WAF seen, and the level-1 set through each tamper script; each as a query and a form value (${commixPath})`,
    lines,
    { what: "commix code that failed to run", names: scripts },
  );
}
if (dotdotpwnPath !== undefined && want("dotdotpwn"))
  runTool(
    `DotDotPwn's traversal patterns (Unix, Windows, Unix with an extension), in the path and as a query value (${dotdotpwnPath})`,
    loadDotDotPwn(dotdotpwnPath),
  );
if (log4jScanPath !== undefined && want("log4j-scan"))
  runTool(
    `log4j-scan's payloads, each in every header of its list, a query, a form and JSON (${log4jScanPath})`,
    loadLog4jScan(log4jScanPath),
  );
if (ghauriPath !== undefined && want("ghauri"))
  runTool(
    `Ghauri's SQL injection tests, each with each of its prefixes and suffixes, as a query and a form value (${ghauriPath})`,
    loadGhauri(ghauriPath),
  );
if (ssrfmapPath !== undefined && want("ssrfmap")) {
  const { lines, failed: modules } = loadSsrfmap(ssrfmapPath);
  runTool(`SSRFmap's requests, each module at each level, as a query and a form value (${ssrfmapPath})`, lines, {
    what: "SSRFmap modules that failed",
    names: modules,
  });
}
if (sstimapPath !== undefined && want("sstimap")) {
  const { lines, failed: plugins } = loadSstimap(sstimapPath, sstimapLevel);
  runTool(
    `SSTImap's requests, --level ${sstimapLevel}: each plugin's detection probes, then fingerprinting and \`id\` as after a detection; each as a query and a form value (${sstimapPath})`,
    lines,
    { what: "SSTImap plugins that failed to run", names: plugins },
  );
}
if (nucleiPath !== undefined && want("nuclei")) {
  const { lines, failed: templates } = loadNuclei(nucleiPath);
  runTool(
    `nuclei's DAST templates, each payload where its fuzzing rules put it (query, form, path, User-Agent), as nuclei encodes it (${nucleiPath})`,
    lines,
    { what: "nuclei templates that could not be read", names: templates },
  );
}
for (const file of args("--payloads")) run(`payload list ${file}`, listLines(file, basename(file)), () => null);
for (const file of args("--benign")) run(`benign list ${file}`, listLines(file, "ordinary"), () => null);
for (const dir of args("--docs"))
  run(`markdown under ${dir} in pieces, each a JSON body's text (waf/docs.ts)`, loadDocs(dir), () => null);
process.exitCode = failed ? 1 : 0;
