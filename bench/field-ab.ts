/**
 * What a request's long fields cost the filter, this tree against another commit, in one process:
 * the string values longer than the value cache's limit (512 characters: inspected on every
 * request) of each `bench/filter-cost.ts` request body up to 64 KiB, through each tree's `inspectField`, in rounds that
 * alternate the two (the order swapped every round) so both see the same machine. The ratio is the
 * median of the rounds' ratios. `node bench/filter-cost.ts --against` times whole requests, whose
 * building and body reading dilute a change to one field's inspection; this times that alone.
 *
 *   node bench/field-ab.ts <ref> [rounds]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspectField } from "../src/lib/waf/inspect.ts";
import type { Field } from "../src/lib/waf/types.ts";
import { filterScenarios } from "./filter-cost.ts";

const ref = process.argv[2];
if (ref === undefined) {
  console.error("usage: node bench/field-ab.ts <ref> [rounds]");
  process.exit(2);
}
const rounds = Number(process.argv[3] ?? 60);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

const root = join(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "field-ab-"));
execFileSync("git", ["worktree", "add", "--detach", "--quiet", dir, ref], { cwd: root });
try {
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  const old = (await import(join(dir, "src/lib/waf/inspect.ts"))) as { inspectField: typeof inspectField };
  console.log(`inspectField on a request's long body values, ${ref} vs this tree, ${rounds} rounds; µs per request:\n`);
  console.log(`| request | long values × characters | ${ref} | now | now / ${ref} (paired median) |`);
  console.log("|---|---:|---:|---:|---:|");
  for (const s of filterScenarios()) {
    if (s.body === undefined || s.bodies !== undefined || s.body.length > 65_536) continue;
    const fields: Field[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === "string" && v.length > 512)
        fields.push({ kind: "body", name: "body", where: "body", key: "body", value: v });
      else if (v !== null && typeof v === "object") for (const x of Object.values(v)) walk(x);
    };
    walk(JSON.parse(s.body));
    if (fields.length === 0) continue;
    const chars = fields.reduce((n, f) => n + f.value.length, 0);
    // About 600,000 characters inspected per timing, whatever the request's size.
    const calls = Math.max(5, Math.round(600_000 / chars));
    const time = (inspect: typeof inspectField) => {
      const t0 = performance.now();
      for (let i = 0; i < calls; i++) for (const f of fields) inspect(f);
      return ((performance.now() - t0) * 1000) / calls;
    };
    for (let i = 0; i < 20; i++) {
      time(old.inspectField);
      time(inspectField);
    }
    const before: number[] = [];
    const now: number[] = [];
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      let b: number;
      let n: number;
      if (r % 2 === 0) {
        b = time(old.inspectField);
        n = time(inspectField);
      } else {
        n = time(inspectField);
        b = time(old.inspectField);
      }
      before.push(b);
      now.push(n);
      ratios.push(n / b);
    }
    console.log(
      `| ${s.name} | ${fields.length} × ${Math.round(chars / fields.length)} | ${median(before).toFixed(1)} | ${median(now).toFixed(1)} | ${median(ratios).toFixed(3)} |`,
    );
  }
} finally {
  execFileSync("git", ["worktree", "remove", "--force", dir], { cwd: root });
  rmSync(dir, { recursive: true, force: true });
}
