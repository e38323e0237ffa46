/**
 * Looks for regular expressions in the security filter whose cost grows faster than the input:
 * every regex literal in `src/lib/waf` (found with the TypeScript parser) and every `RegExp` the
 * filter's modules build at load (captured while they are imported), each run as a global
 * replace over adversarial strings (long runs of one character or short sequence, alone, between
 * other characters, after a command) of 1,000 and 4,000 characters. A regex whose time grows more
 * than 6× for 4× the input, and past 5 ms, is listed: on 16 KiB (one inspection window) it would
 * cost 16× to 64× that. Then the same for whole requests (see `shapes`). Exit code 1 when any is
 * found.
 *
 *   node dev/regex-audit.ts [DIR] [--no-shapes]
 *
 * Timing, so a development check (run it after changing a detector), not a test.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";

const root = join(import.meta.dirname, "..");
const dir =
  process.argv[2] !== undefined && !process.argv[2].startsWith("--") ? process.argv[2] : join(root, "src/lib/waf");

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

/**
 * The whole filter on request shapes made of one repeated piece (in a text, JSON and form body,
 * alone or after a command or a tag) and on structural shapes (deep JSON, many keys, parameters,
 * parts, attributes, cookies, headers): `evaluateRequest` on n and 4n, with the value cache
 * emptied before each call. Lists those whose time grows more than 6× (and past 30 ms).
 */
async function shapes(): Promise<number> {
  const { evaluateRequest } = await import(join(dir, "index.ts"));
  const { clearValueCache } = await import(join(dir, "inspect.ts"));
  const { defaultEdgeConfig } = await import(join(root, "src/lib/config/schema.ts"));
  const security = defaultEdgeConfig.security;
  type Shape = { path: string; type?: string; body?: string; headers?: Record<string, string> };
  const run = (s: Shape): number => {
    const headers = new Headers(s.headers ?? {});
    if (s.type !== undefined) headers.set("content-type", s.type);
    let json: { value: unknown } | undefined;
    if (s.type === "application/json" && s.body !== undefined) json = { value: JSON.parse(s.body) };
    clearValueCache();
    const t0 = performance.now();
    evaluateRequest(
      {
        method: s.body === undefined ? "GET" : "POST",
        url: `https://edge.test${s.path}`,
        headers,
        visitor: { ip: "203.0.113.7", country: "DE", asn: 3320 },
        body: s.body ?? null,
        json,
        bodyTruncated: false,
      },
      security,
    );
    return performance.now() - t0;
  };
  const cases: Array<[string, (n: number) => Shape, number]> = [];
  const types = ["text/plain", "application/json", "application/x-www-form-urlencoded"];
  for (const piece of [
    ...PIECES,
    "<meta charset=x>",
    "${",
    "{{",
    "select ",
    "' or ",
    "`",
    "|",
    "&#",
    "\r\n",
    "${jndi:",
  ])
    for (const type of types)
      for (const prefix of ["", "; ls ", "<b "])
        cases.push([
          `${JSON.stringify(prefix + piece)}… as ${type}`,
          (n) => {
            const raw = prefix + piece.repeat(Math.ceil(n / piece.length)).slice(0, n);
            const body =
              type === "application/json"
                ? JSON.stringify({ v: raw })
                : type === "text/plain"
                  ? raw
                  : `v=${encodeURIComponent(raw)}`;
            return { path: "/v1/x", type, body };
          },
          8_192,
        ]);
  const many = (n: number, f: (i: number) => string, sep: string) =>
    Array.from({ length: n }, (_, i) => f(i)).join(sep);
  cases.push(
    [
      "deep JSON arrays",
      (n) => ({ path: "/v1/x", type: "application/json", body: `${"[".repeat(n)}1${"]".repeat(n)}` }),
      500,
    ],
    [
      "JSON with many keys",
      (n) => ({ path: "/v1/x", type: "application/json", body: `{${many(n, (i) => `"k${i}":"v ${i}'"`, ",")}}` }),
      1_000,
    ],
    [
      "form with many parameters",
      (n) => ({
        path: "/v1/x",
        type: "application/x-www-form-urlencoded",
        body: many(n, (i) => `p${i}=v%27${i}`, "&"),
      }),
      1_000,
    ],
    [
      "multipart with many parts",
      (n) => ({
        path: "/v1/x",
        type: "multipart/form-data; boundary=b",
        body: `${many(n, (i) => `--b\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nv'${i}\r\n`, "")}--b--\r\n`,
      }),
      1_000,
    ],
    [
      "deep XML",
      (n) => ({ path: "/v1/x", type: "application/xml", body: `${"<a>".repeat(n)}x'${"</a>".repeat(n)}` }),
      500,
    ],
    [
      "XML with many attributes",
      (n) => ({ path: "/v1/x", type: "application/xml", body: `<a ${many(n, (i) => `b${i}="c'"`, " ")}/>` }),
      1_000,
    ],
    ["many cookies", (n) => ({ path: "/v1/x", headers: { cookie: many(n, (i) => `c${i}=v'${i}`, "; ") } }), 1_000],
    [
      "many headers",
      (n) => ({
        path: "/v1/x",
        headers: Object.fromEntries(
          many(n, (i) => `x-h${i}`, ",")
            .split(",")
            .map((h) => [h, "v'"]),
        ),
      }),
      100,
    ],
  );
  let flagged = 0;
  for (const [name, make, n] of cases) {
    run(make(n));
    const a = run(make(n));
    const b = run(make(4 * n));
    if (b > 30 && b / Math.max(a, 0.2) > 6) {
      flagged++;
      console.log(`shape ${name}: ${a.toFixed(1)} ms → ${b.toFixed(1)} ms for 4× the size`);
    }
  }
  console.log(`regex-audit: ${cases.length} request shapes, ${flagged} grow faster than their size`);
  return flagged;
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
const shapesFlagged = process.argv.includes("--no-shapes") ? 0 : await shapes();
process.exit(flagged + shapesFlagged > 0 ? 1 : 0);
