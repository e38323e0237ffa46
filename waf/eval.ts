/**
 * Evaluates the security filter (`src/lib/waf`, pure code, run directly by Node) on the corpus
 * in `waf/corpus/*.jsonl` with the default config in `block` mode, and prints per attack class
 * how many requests were blocked (and how many of those under the right class), then the false
 * positives on ordinary traffic with the first few of them. Exit code 1 when any class is
 * detected below 95% or more than 0.5% of ordinary requests are blocked.
 *
 *   node waf/eval.ts            # the table
 *   node waf/eval.ts --misses   # also list every missed attack and every false positive
 */
import { defaultEdgeConfig } from "../src/lib/config/schema.ts";
import { evaluateRequest, type WafDecision } from "../src/lib/waf/index.ts";
import { readCorpus, toWafRequest, type CorpusLine } from "./corpus.ts";

const MIN_DETECTION = 0.95;
const MAX_FALSE_POSITIVES = 0.005;
const SHOW_FALSE_POSITIVES = 5;

const verbose = process.argv.includes("--misses");
const security = { ...defaultEdgeConfig.security, mode: "block" as const };
const corpus = readCorpus();

interface Row {
  count: number;
  detected: number;
  rightClass: number;
  misses: CorpusLine[];
}

const rows = new Map<string, Row>();
const falsePositives: Array<{ line: CorpusLine; decision: WafDecision }> = [];
let ordinary = 0;
const started = performance.now();

for (const line of corpus) {
  const decision = evaluateRequest(toWafRequest(line), security);
  const blocked = decision.action === "block";
  if (line.class === "ordinary") {
    ordinary++;
    if (blocked) falsePositives.push({ line, decision });
    continue;
  }
  let row = rows.get(line.class);
  if (!row) rows.set(line.class, (row = { count: 0, detected: 0, rightClass: 0, misses: [] }));
  row.count++;
  if (blocked) {
    row.detected++;
    if (decision.class === line.class) row.rightClass++;
  } else row.misses.push(line);
}
const elapsedMs = performance.now() - started;

const pct = (n: number, d: number) => (d === 0 ? "-" : `${((100 * n) / d).toFixed(1)}%`);
const pad = (s: string | number, n: number) => String(s).padStart(n);
let failed = false;
let attacks = 0;
let detected = 0;

console.log(`${"class".padEnd(12)}${pad("count", 7)}${pad("detected", 10)}${pad("detection", 11)}${pad("same class", 12)}`);
for (const [cls, row] of [...rows].sort(([a], [b]) => a.localeCompare(b))) {
  attacks += row.count;
  detected += row.detected;
  const low = row.detected / row.count < MIN_DETECTION;
  if (low) failed = true;
  console.log(`${cls.padEnd(12)}${pad(row.count, 7)}${pad(row.detected, 10)}${pad(pct(row.detected, row.count), 11)}${pad(pct(row.rightClass, row.detected), 12)}${low ? "  < 95%" : ""}`);
  if (verbose) for (const m of row.misses) console.log(`    miss ${m.id} [${m.placement}] ${JSON.stringify(m.query ?? m.body ?? m.headers).slice(0, 160)}`);
}
const fpRate = ordinary === 0 ? 0 : falsePositives.length / ordinary;
if (fpRate > MAX_FALSE_POSITIVES) failed = true;
console.log(`${"ordinary".padEnd(12)}${pad(ordinary, 7)}${pad(falsePositives.length, 10)}${pad(pct(falsePositives.length, ordinary), 11)}  false positives${fpRate > MAX_FALSE_POSITIVES ? "  > 0.5%" : ""}`);
for (const { line, decision } of falsePositives.slice(0, verbose ? falsePositives.length : SHOW_FALSE_POSITIVES)) {
  console.log(`    FP ${line.id} ${line.method} ${line.path} → ${decision.ruleId} (${decision.class}, score ${decision.score}) in ${decision.part}`);
}
console.log(
  `total: ${attacks} attacks, ${detected} detected (${pct(detected, attacks)}); ${ordinary} ordinary, ${falsePositives.length} false positives (${pct(falsePositives.length, ordinary)}); ` +
    `${((elapsedMs * 1000) / corpus.length).toFixed(0)} µs/request in Node`,
);
process.exitCode = failed ? 1 : 0;
