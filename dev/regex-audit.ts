/**
 * Looks for regular expressions in the security filter whose cost grows faster than the input:
 * every regex literal in `src/lib/waf` (found with the TypeScript parser) and every `RegExp` the
 * filter's modules build at load (captured while they are imported), each run as a global
 * replace over adversarial strings (long runs of one character or short sequence, alone, between
 * other characters, after a command) of 1,000 and 4,000 characters. A regex whose time grows more
 * than 6× for 4× the input, and past 5 ms, is listed: on 16 KiB (one inspection window) it would
 * cost 16× to 64× that. Exit code 1 when any is found.
 *
 *   node dev/regex-audit.ts [DIR]
 *
 * Timing, so a development check (run it after changing a detector), not a test.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";

const root = join(import.meta.dirname, "..");
const dir = process.argv[2] ?? join(root, "src/lib/waf");

interface Found {
  where: string;
  re: RegExp;
}

function literals(): Found[] {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".ts")) files.push(p);
    }
  };
  walk(dir);
  const out: Found[] = [];
  for (const file of files) {
    const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    const visit = (n: ts.Node) => {
      if (n.kind === ts.SyntaxKind.RegularExpressionLiteral) {
        const text = n.getText(sf);
        const end = text.lastIndexOf("/");
        const line = sf.getLineAndCharacterOfPosition(n.getStart()).line + 1;
        out.push({ where: `${relative(root, file)}:${line}`, re: new RegExp(text.slice(1, end), text.slice(end + 1)) });
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return out;
}

/** The `RegExp`s built with `new RegExp` while the filter's modules load. */
async function built(): Promise<Found[]> {
  const out: Found[] = [];
  const Original = RegExp;
  globalThis.RegExp = new Proxy(Original, {
    construct(target, args: [string | RegExp, string?]) {
      const re = new target(...args);
      const caller = (new Error().stack ?? "").split("\n")[2]?.trim() ?? "";
      out.push({ where: `new RegExp ${caller.slice(caller.indexOf("src/lib/waf"))}`, re });
      return re;
    },
  });
  try {
    await import(join(dir, "index.ts"));
  } finally {
    globalThis.RegExp = Original;
  }
  return out;
}

const PIECES = [
  "+",
  " ",
  "$",
  "{",
  ",",
  "a",
  "A",
  "1",
  ".",
  "/",
  "\\",
  "'",
  '"',
  "<",
  "%",
  "(",
  "[",
  "-",
  "_",
  ":",
  ";",
];
PIECES.push("=", "#", "*", "\n", "\t", "é", "0x", "%2", "&#", "a ", "a.", "ab ", "$a", "{a", "a,", "=(", "..", "../");
PIECES.push("<a", "on", "'a", "\\x", "%u", "--", "/*", "</", "alert", "java.");

function inputs(n: number): string[] {
  return PIECES.flatMap((p) => {
    const run = p.repeat(Math.ceil(n / p.length)).slice(0, n);
    return [run, `a${run}!`, `; ls ${run}`, `${run}\u0000`];
  });
}

function replaceTime(re: RegExp, s: string): number {
  const g = new RegExp(re.source, `${re.flags.replace(/[gy]/g, "")}g`);
  const t0 = performance.now();
  s.replace(g, "");
  return performance.now() - t0;
}

const all = [...literals(), ...(await built())];
const small = inputs(1_000);
const big = inputs(4_000);
let flagged = 0;
for (const { where, re } of all) {
  let worst: { a: number; b: number; s: string } | null = null;
  for (let i = 0; i < small.length; i++) {
    const a = replaceTime(re, small[i]!);
    if (a < 0.5) continue;
    const b = replaceTime(re, big[i]!);
    if (b > 5 && b / Math.max(a, 0.05) > 6 && (worst === null || b > worst.b))
      worst = { a, b, s: small[i]!.slice(0, 12) };
  }
  if (worst !== null) {
    flagged++;
    console.log(
      `${where}: ${worst.a.toFixed(1)} ms → ${worst.b.toFixed(1)} ms for 4× the input (${JSON.stringify(worst.s)}…) /${re.source.slice(0, 100)}/`,
    );
  }
}
console.log(`regex-audit: ${all.length} expressions, ${flagged} grow faster than their input`);
process.exit(flagged > 0 ? 1 : 0);
