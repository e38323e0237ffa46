/**
 * What each payload detector costs on ordinary text, in µs per KiB of the values it is given:
 * the string values of the `npm run bench` request bodies (prose with quotes, a code snippet
 * in prose, a 64 KiB JSON import) and of any extra files named on the command line (one value
 * per line), except plain words and numbers, which never reach a detector. Gate and detector
 * are timed apart, each in one loop over all values; "ran" is how many values passed the gate.
 * The prose fast path of `inspect.ts` is not applied here: this is each detector's own cost.
 *
 *   node bench/detector-cost.ts [FILE…]
 */
import { readFileSync } from "node:fs";
import { detectorEntries } from "../src/lib/waf/inspect.ts";
import { normalizeValue } from "../src/lib/waf/normalize.ts";
import type { Inspected } from "../src/lib/waf/types.ts";
import { filterScenarios } from "./filter-cost.ts";

const values: string[] = [];
const walk = (v: unknown): void => {
  if (typeof v === "string") values.push(v);
  else if (v !== null && typeof v === "object") for (const x of Object.values(v)) walk(x);
};
for (const s of filterScenarios()) if (s.body !== undefined) walk(JSON.parse(s.body));
for (const file of process.argv.slice(2))
  values.push(
    ...readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== ""),
  );

// Values of plain letters, digits and spaces never reach a detector (`isPlain` in inspect.ts).
const PLAIN = /^[A-Za-z0-9 _,-]*$/;
const inputs: Inspected[] = values
  .filter((raw) => !PLAIN.test(raw))
  .map((raw) => {
    const { text, hadNull } = normalizeValue(raw);
    return {
      text,
      lower: text.toLowerCase(),
      raw,
      hadNull,
      field: { kind: "body", name: "text", where: "body", key: "text", value: raw },
    };
  });
const kib = inputs.reduce((n, v) => n + v.text.length, 0) / 1024;
const ROUNDS = 5;
console.log(
  `${inputs.length} values (of ${values.length}; the rest are plain), ${kib.toFixed(0)} KiB; µs per KiB (median of ${ROUNDS} rounds):`,
);
console.log(`${"class".padEnd(10)}${"gate".padStart(8)}${"detect".padStart(9)}${"ran".padStart(8)}`);
const rows: Array<[string, number, number, number]> = [];
for (const e of detectorEntries()) {
  const gates: number[] = [];
  const detects: number[] = [];
  let ran = 0;
  for (let r = 0; r < ROUNDS; r++) {
    // Gates in one timed loop (a clock read per value would cost more than a cheap gate);
    // then the detector on the values that passed, in a second timed loop.
    const passed: Inspected[] = [];
    const a = performance.now();
    for (const v of inputs) if (e.gate(v.text, v.lower)) passed.push(v);
    const b = performance.now();
    for (const v of passed) e.detect(v);
    const g = b - a;
    const d = performance.now() - b;
    ran = passed.length;
    gates.push((g * 1000) / kib);
    detects.push((d * 1000) / kib);
  }
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  rows.push([e.cls, med(gates), med(detects), ran]);
}
for (const [cls, g, d, ran] of rows.sort((a, b) => b[2] - a[2]))
  console.log(`${cls.padEnd(10)}${g.toFixed(2).padStart(8)}${d.toFixed(2).padStart(9)}${String(ran).padStart(8)}`);
