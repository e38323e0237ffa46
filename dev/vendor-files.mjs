// Copies the browser libraries the pages load from node_modules into public/vendor/ (not in git:
// each clone makes it on `npm install`, from the locked package). Plain JavaScript, so the
// `postinstall` hook runs it with whatever Node is on the PATH.
//
//   uPlot (MIT, https://github.com/leeoniya/uPlot): the admin dashboard's time-series charts.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const FILES = [
  ["uplot/dist/uPlot.esm.js", "uplot/uPlot.esm.js"],
  ["uplot/dist/uPlot.min.css", "uplot/uPlot.min.css"],
  // Types for `tsc -p public` (checked JavaScript imports the .js; TypeScript reads this beside it).
  ["uplot/dist/uPlot.d.ts", "uplot/uPlot.esm.d.ts"],
  ["uplot/LICENSE", "uplot/LICENSE"],
];

for (const [from, to] of FILES) {
  const target = join(root, "public", "vendor", to);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join(root, "node_modules", from), target);
}
