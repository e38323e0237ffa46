/**
 * `npm run check` step: fails when the modules of `src`, `routes` and `durable-objects` import
 * each other in a circle, type-only imports included (a circle of types is still a layering
 * fault: `src/lib` never imports `src/env.ts`, middleware or routes). Relative imports only;
 * packages cannot be part of a circle of ours. Prints each circle as a list of files.
 *
 *   node dev/check-cycles.ts
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const files: string[] = [];
function walk(dir: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (path.endsWith(".ts")) files.push(path);
  }
}
for (const dir of ["src", "routes", "durable-objects"]) walk(join(root, dir));

// `import … from "./x.ts"`, `import "./x.ts"`, `export … from "./x.ts"` (also `import type`).
const IMPORT = /(?:^|[\n;])\s*(?:import|export)\b[^"';]*?["'](\.{1,2}\/[^"']+)["']/g;
const known = new Set(files);
const edges = new Map<string, string[]>();
for (const file of files) {
  const text = readFileSync(file, "utf8");
  const deps = new Set<string>();
  for (const m of text.matchAll(IMPORT)) {
    const target = resolve(dirname(file), m[1]!);
    if (known.has(target)) deps.add(target);
  }
  edges.set(file, [...deps]);
}

// Tarjan's strongly connected components: every component of more than one file is a circle.
let counter = 0;
const index = new Map<string, number>();
const low = new Map<string, number>();
const stack: string[] = [];
const onStack = new Set<string>();
const circles: string[][] = [];
function visit(v: string): void {
  index.set(v, counter);
  low.set(v, counter);
  counter++;
  stack.push(v);
  onStack.add(v);
  for (const w of edges.get(v)!) {
    if (!index.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v)!, low.get(w)!));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
  }
  if (low.get(v) === index.get(v)) {
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    const self = component.length === 1 && edges.get(v)!.includes(v);
    if (component.length > 1 || self) circles.push(component);
  }
}
for (const file of files) if (!index.has(file)) visit(file);

if (circles.length > 0) {
  console.error(`check-cycles: ${circles.length} import circle(s):`);
  for (const c of circles)
    console.error(
      `  ${c
        .map((f) => relative(root, f))
        .sort()
        .join(" ↔ ")}`,
    );
  process.exit(1);
}
console.log(`check-cycles: ${files.length} modules, no import circles`);
