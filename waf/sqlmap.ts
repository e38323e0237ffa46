/**
 * sqlmap's own injection tests, as sqlmap sends them: the test definitions and boundaries of a
 * checkout of sqlmap (`git clone https://github.com/sqlmapproject/sqlmap`, GPL-2.0; read at run
 * time from `data/xml/`, nothing of it is committed) put together the way its detection phase
 * puts them together, every test with every boundary whose clause and place fit, as the value of
 * a query parameter and of a form field (`id=1`).
 *
 * How a request is built (sqlmap's `checks.py` and `agent.py`, paraphrased): placeholders
 * (`[RANDNUM]`, `[RANDSTR]`, `[SLEEPTIME]`, `[DELIMITER_START]`, `[GENERIC_SQL_COMMENT]`,
 * `[ORIGVALUE]`…) get values (seeded, so every run is the same); the boundary's prefix goes
 * before the test's payload (with a space, unless the payload starts with `;` or a parenthesis
 * meets a parenthesis), then the test's comment, or else the boundary's suffix; the result
 * follows the original value (`where` 1), a negative number (2) or replaces the value (3, without
 * prefix and suffix). Boolean tests send their payload and their false comparison; UNION tests,
 * which sqlmap builds in code, are `ORDER BY n` probes and `UNION ALL SELECT` of 1 to 10 columns
 * of the test's filler. Each test's level and risk are the higher of its own and its boundary's:
 * `--sqlmap-level N` / `--sqlmap-risk N` in `waf/eval.ts` pick what a run of
 * `sqlmap --level N --risk N` would send (default 1 and 1, as sqlmap's).
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type CorpusLine, queryAndForm } from "./corpus.ts";

export interface SqlmapLine extends CorpusLine {
  level: number;
  risk: number;
}

interface Test {
  title: string;
  stype: number;
  level: number;
  risk: number;
  clause: number[];
  where: number[];
  payload: string;
  comment: string;
  comparison: string;
  char: string;
  columns: string;
}

interface Boundary {
  level: number;
  clause: number[];
  where: number[];
  prefix: string;
  suffix: string;
}

const STYPE: Record<number, string> = {
  1: "boolean",
  2: "error",
  3: "inline",
  4: "stacked",
  5: "time",
  6: "union",
};

/** The text of `<tag>…</tag>` (or "" for `<tag/>` or when absent), XML character references decoded. */
function tag(block: string, name: string): string {
  const open = block.indexOf(`<${name}>`);
  if (open === -1) return "";
  const close = block.indexOf(`</${name}>`, open);
  if (close === -1) return "";
  return block
    .slice(open + name.length + 2, close)
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&quot;", '"')
    .replaceAll("&apos;", "'")
    .replaceAll("&amp;", "&");
}

function blocks(xml: string, name: string): string[] {
  const out: string[] = [];
  // Comments hold format descriptions with the same tag names.
  const text = xml.replace(/<!--[\s\S]*?-->/g, "");
  for (let at = text.indexOf(`<${name}>`); at !== -1; at = text.indexOf(`<${name}>`, at + 1)) {
    const end = text.indexOf(`</${name}>`, at);
    if (end === -1) break;
    out.push(text.slice(at, end));
  }
  return out;
}

const numbers = (s: string) =>
  s
    .split(",")
    .map((x) => Number(x.trim()))
    .filter((x) => Number.isInteger(x));

/** A seeded generator, so every run sends the same values. */
function randomness(seed: number) {
  let x = seed;
  const next = () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x;
  };
  return {
    num: () => String(1000 + (next() % 9000)),
    str: () => Array.from({ length: 4 }, () => String.fromCharCode(97 + (next() % 26))).join(""),
  };
}

export function loadSqlmap(root: string): SqlmapLine[] {
  const xml = join(root, "data", "xml");
  const boundaries: Boundary[] = blocks(readFileSync(join(xml, "boundaries.xml"), "utf8"), "boundary").map((b) => ({
    level: Number(tag(b, "level")),
    clause: numbers(tag(b, "clause")),
    where: numbers(tag(b, "where")),
    prefix: tag(b, "prefix"),
    suffix: tag(b, "suffix"),
  }));
  const tests: Test[] = [];
  const dir = join(xml, "payloads");
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".xml"))
    .sort()) {
    for (const t of blocks(readFileSync(join(dir, file), "utf8"), "test")) {
      const request = tag(t, "request");
      tests.push({
        title: tag(t, "title"),
        stype: Number(tag(t, "stype")),
        level: Number(tag(t, "level")),
        risk: Number(tag(t, "risk")),
        clause: numbers(tag(t, "clause")),
        where: numbers(tag(t, "where")),
        payload: tag(request, "payload"),
        comment: tag(request, "comment"),
        comparison: tag(tag(t, "response"), "comparison"),
        char: tag(request, "char"),
        columns: tag(request, "columns"),
      });
    }
  }

  const rnd = randomness(20_261_206);
  /** sqlmap's `cleanupPayload`: one value per distinct placeholder. */
  const fill = (s: string, orig: string): string => {
    const seen = new Map<string, string>();
    return s
      .replaceAll("[GENERIC_SQL_COMMENT]", "-- [RANDSTR]")
      .replace(/\[(RANDNUM\d*|RANDSTR\d*)\]/g, (m, name: string) => {
        let v = seen.get(name);
        if (v === undefined) seen.set(name, (v = name.startsWith("RANDNUM") ? rnd.num() : rnd.str()));
        return v;
      })
      .replaceAll("[SLEEPTIME]", "5")
      .replaceAll("[DELIMITER_START]", "qzvkq")
      .replaceAll("[DELIMITER_STOP]", "qbjpq")
      .replaceAll("[ORIGVALUE]", orig)
      .replaceAll("[ORIGINAL]", orig)
      .replaceAll("[AT_REPLACE]", "@")
      .replaceAll("[SPACE_REPLACE]", " ")
      .replaceAll("[DOLLAR_REPLACE]", "$")
      .replaceAll("[HASH_REPLACE]", "#")
      .replaceAll("[INFERENCE]", `${rnd.num()}=${rnd.num()}`);
  };
  /** `agent.prefixQuery` then `agent.suffixQuery`. */
  const bind = (payload: string, comment: string, b: Boundary, where: number, stacked: boolean, clause: number[]) => {
    let q: string;
    if (where === 3) q = "";
    else {
      q = b.prefix;
      const orderLike = clause.length > 0 && clause.every((c) => c === 2 || c === 3);
      if (
        !stacked &&
        !orderLike &&
        !payload.startsWith(";") &&
        !(/[()]$/.test(q) && /^[()]/.test(payload)) &&
        !q.endsWith("(")
      )
        q += " ";
    }
    let e = q + payload;
    if (comment !== "") e += comment;
    else if (where !== 3 && b.suffix !== "") {
      if (/\w$/.test(e) && !b.suffix.startsWith(" ")) e += " ";
      e += b.suffix;
    }
    return e.replace(/;\W*;/g, ";");
  };

  const seen = new Set<string>();
  const lines: SqlmapLine[] = [];
  let n = 0;
  const add = (value: string, cls: string, level: number, risk: number) => {
    if (seen.has(value)) return;
    seen.add(value);
    n++;
    for (const l of queryAndForm(`sqlmap:${n}`, cls, "id", encodeURIComponent(value)))
      lines.push({ ...l, level, risk });
  };

  for (const t of tests) {
    const cls = `sqlmap-${STYPE[t.stype] ?? t.stype}`;
    for (const b of boundaries) {
      if (!(t.clause.includes(0) || b.clause.includes(0) || t.clause.some((c) => b.clause.includes(c)))) continue;
      if (!t.where.some((w) => b.where.includes(w))) continue;
      const level = Math.max(t.level, b.level);
      for (const where of t.where) {
        const orig = where === 1 ? "1" : where === 2 ? `-${rnd.num()}` : "";
        const base = where === 3 ? "" : orig;
        const payloads: Array<[string, string]> = [];
        if (t.stype === 6) {
          const [from, to] = t.columns.split("-").map(Number);
          const lo = Number.isInteger(from) ? from! : 1;
          const hi = Number.isInteger(to) ? Math.min(to!, 10) : 10;
          const filler = t.char === "[CHAR]" ? "NULL" : t.char;
          for (let cols = lo; cols <= hi; cols++)
            payloads.push([`UNION ALL SELECT ${Array.from({ length: cols }, () => filler).join(",")}`, t.comment]);
          for (const cols of [1, 10]) payloads.push([`ORDER BY ${cols}`, t.comment]);
        } else {
          payloads.push([t.payload, t.comment]);
          if (t.comparison !== "") payloads.push([t.comparison, t.comment]);
        }
        for (const [p, comment] of payloads) {
          if (p === "") continue;
          const bound = bind(p, comment, b, where, t.stype === 4, t.clause);
          add(fill(base + bound, "1"), cls, level, t.risk);
        }
      }
    }
  }
  return lines;
}

/**
 * The same values through sqlmap's tamper scripts (`tamper/*.py` of the checkout: its evasions,
 * such as `space2comment`, `randomcase`, `between`, `charencode`), as `sqlmap --tamper=NAME`
 * sends them: each script applied to the whole value. Runs the scripts with the machine's
 * `python3` (sqlmap's own code, from the checkout, at run time); class `sqlmap-tamper-NAME`.
 * Values a script leaves unchanged are not sent again; scripts that pick at random (`randomcase`)
 * are seeded, so every run is the same. A script that fails is reported, not sent.
 */
export function loadSqlmapTampered(
  root: string,
  lines: readonly SqlmapLine[],
): { lines: SqlmapLine[]; failed: string[] } {
  const values = [
    ...new Set(lines.filter((l) => l.id.endsWith(":query")).map((l) => decodeURIComponent(l.query!.slice(3)))),
  ];
  const script = String.raw`
import sys, os, json, importlib, random
root = sys.argv[1]
sys.path.insert(0, root)
from lib.core.data import kb, conf
kb.keywords = set(l.strip().upper() for l in open(os.path.join(root, "data", "txt", "keywords.txt")) if l.strip() and not l.startswith("#"))
kb.aliasName = "sqlmap"
conf.smokeTest = False
values = json.load(sys.stdin)
out = {}
failed = []
for f in sorted(os.listdir(os.path.join(root, "tamper"))):
    if not f.endswith(".py") or f == "__init__.py":
        continue
    name = f[:-3]
    try:
        tamper = importlib.import_module("tamper." + name).tamper
        random.seed(20261206)
        out[name] = [tamper(v, headers={}) for v in values]
    except Exception as e:
        failed.append("%s: %s" % (name, type(e).__name__))
json.dump({"out": out, "failed": failed}, sys.stdout)
`;
  const run = spawnSync("python3", ["-c", script, root], { input: JSON.stringify(values), maxBuffer: 1 << 30 });
  if (run.status !== 0)
    throw new Error(`python3 could not run sqlmap's tamper scripts: ${String(run.stderr).slice(0, 400)}`);
  const { out, failed } = JSON.parse(String(run.stdout)) as {
    out: Record<string, Array<string | null>>;
    failed: string[];
  };
  const byValue = new Map<string, SqlmapLine>();
  for (const l of lines) if (l.id.endsWith(":query")) byValue.set(decodeURIComponent(l.query!.slice(3)), l);
  const tampered: SqlmapLine[] = [];
  for (const [name, results] of Object.entries(out)) {
    const seen = new Set<string>();
    results.forEach((t, i) => {
      const original = values[i]!;
      if (typeof t !== "string" || t === original || seen.has(t)) return;
      seen.add(t);
      const from = byValue.get(original)!;
      // What sqlmap's URL encoding leaves as it is: escapes a script already wrote (`%53`).
      const enc = encodeURIComponent(t).replaceAll("%25", "%");
      for (const l of queryAndForm(`sqlmap-tamper:${name}:${seen.size}`, `sqlmap-tamper-${name}`, "id", enc))
        tampered.push({ ...l, level: from.level, risk: from.risk });
    });
  }
  return { lines: tampered, failed };
}
