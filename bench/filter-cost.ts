/**
 * The security filter's own cost per request, call by call: the request scenarios that
 * `npm run bench` also sends over HTTP, and a measurement in Node (V8, the engine workerd
 * runs) of what the filter adds to one request: reading the inspectable body as the middleware
 * does (`readInspectableBody`: JSON of declared length through Hono's body cache, the rest from
 * a clone) and `evaluateRequest` with the default config. The baseline does what a bare handler
 * does with the same request (build it, read the body: `c.req.json()` for JSON, as a JSON route
 * does, which the filter's read has already parsed; text otherwise); rounds alternate
 * baseline and filter call by call, so both see the same machine. workerd's clock does not
 * advance during pure computation, so per-call timing is only possible outside it; the HTTP
 * cases of `bench/run.ts` show the same filter inside workerd.
 *
 *   node bench/filter-cost.ts                  # this tree: filter vs bare, plus hostile bodies
 *   node bench/filter-cost.ts --against <ref>  # this tree's filter vs the filter of another commit
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultEdgeConfig } from "../src/lib/config/schema.ts";
import { bodyKind, evaluateRequest } from "../src/lib/waf/index.ts";
import { clearValueCache } from "../src/lib/waf/inspect.ts";
import { HonoRequest } from "hono/request";
import { readInspectableBody } from "../src/lib/waf/read-body.ts";

export interface FilterScenario {
  name: string;
  path: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** Bodies to cycle through instead of `body`, so most values are new to the filter's per-isolate result cache. */
  bodies?: string[];
  /**
   * Before each call (untimed): empty the filter's value cache and inspect the same request
   * without its body, so the headers are known (as a returning visitor's are) and every body
   * value is new.
   */
  coldCache?: boolean;
}

/** The scenario's request without its body (a GET with the same URL and headers). */
function headersOnly(s: FilterScenario): Request {
  return new Request(`https://edge.test${s.path}`, { method: "GET", headers: s.headers });
}

/**
 * A request factory for a scenario: the same request each call, or the next of its `bodies`,
 * with the `Content-Length` a client sends for a body of known length.
 */
function requests(s: FilterScenario): () => Request {
  const url = `https://edge.test${s.path}`;
  const bodies = s.bodies ?? (s.body === undefined ? [] : [s.body]);
  const made = bodies.map((body) => ({
    body,
    headers: { ...s.headers, "content-length": String(Buffer.byteLength(body)) },
  }));
  let k = 0;
  return () => {
    if (made.length === 0) return new Request(url, { method: s.method, headers: s.headers });
    const m = made[k++ % made.length]!;
    return new Request(url, { method: s.method, headers: m.headers, body: m.body });
  };
}

const WORDS =
  "the a of and to in is you that it he was for on are as with his they I at be this have from or one had by word but not what all were we when your can said there use an each which she do how their if will up other about out many then them these so some her would make like him into time has look two more write go see number no way could people my than first water been call who oil its now find long down day did get come made may part over new sound take only little work know place year live me back give most very after thing our just name good sentence man think say great where help through much before line right too mean old any same tell boy follow came want show also around form three small set put end does another well large must big even such because turn here why ask went men read need land different home us move try kind hand picture again change off play spell air away animal house point page letter mother answer found study still learn should America world".split(
    " ",
  );

/** Deterministic prose with the punctuation real text has: apostrophes, quotes, numbers, commas. */
export function prose(bytes: number, seed = 1): string {
  let x = seed;
  const next = () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x;
  };
  const out: string[] = [];
  let len = 0;
  while (len < bytes) {
    const n = 6 + (next() % 14);
    const sentence: string[] = [];
    for (let i = 0; i < n; i++) sentence.push(WORDS[next() % WORDS.length]!);
    const r = next() % 10;
    if (r === 0) sentence.splice(2, 0, "O'Brien's");
    if (r === 1) sentence.push(`"${WORDS[next() % WORDS.length]}"`);
    if (r === 2) sentence.push(`${next() % 1000} items`);
    if (r === 3) sentence.splice(1, 0, "isn't");
    const s = `${sentence.join(" ")}${r === 4 ? "?" : "."}`;
    const text = s[0]!.toUpperCase() + s.slice(1);
    out.push(text);
    len += text.length + 1;
  }
  return out.join(" ").slice(0, bytes);
}

function jsonOfSize(bytes: number): string {
  const items: unknown[] = [];
  let i = 0;
  let size = 2;
  while (size < bytes) {
    const item = {
      id: `note-${i}`,
      title: prose(40, i + 7),
      body: prose(600, i + 11),
      tags: ["garden", "how-to", i % 3 ? "draft" : "published"],
      url: `https://example.com/notes/${i}?ref=feed&utm_source=newsletter`,
      updatedAt: new Date(Date.UTC(2026, 10, 1) + i * 60_000).toISOString(),
    };
    const s = JSON.stringify(item);
    if (size + s.length + 1 > bytes) break;
    items.push(item);
    size += s.length + 1;
    i++;
  }
  return JSON.stringify({ notes: items });
}

const browser = {
  "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36",
  referer: "https://app.example.com/notes?view=list&page=3",
  cookie: "theme=dark; session_hint=abc123; consent=analytics%3Dno%26ads%3Dno",
  "accept-language": "en-GB,en;q=0.9",
};

export function filterScenarios(): FilterScenario[] {
  const snippet = {
    title: "Why doesn't my query return O'Brien's orders?",
    body: `${prose(1200, 3)} Here's what I run:\n\nconst rows = await db.select().from(orders).where(eq(orders.customer, name));\n\nand the docs say "use a prepared statement". ${prose(500, 5)}`,
    tags: ["sql", "drizzle"],
    notify: true,
  };
  // A developer's question that is mostly code (a forum post, an AI prompt): TypeScript, the SQL
  // it runs, a shell line. Every detector reads all of it (no sentences to leave out).
  const codePost = {
    title: "Why is this query slow on Turso?",
    body: [
      'import { drizzle } from "drizzle-orm/libsql";',
      'import { createClient } from "@libsql/client";',
      "const client = createClient({ url: process.env.DATABASE_URL!, authToken: process.env.TURSO_TOKEN });",
      "export const db = drizzle(client);",
      "",
      'export const orders = sqliteTable("orders", {',
      '  id: text("id").primaryKey(),',
      '  customer: text("customer").notNull(),',
      '  total: real("total").notNull(),',
      '  placedAt: integer("placed_at", { mode: "timestamp_ms" }).notNull(),',
      '  status: text("status", { enum: ["open", "paid", "shipped", "refunded"] }).default("open"),',
      "});",
      "",
      "// drizzle.config.ts",
      'export default defineConfig({ dialect: "turso", schema: "./src/schema.ts", out: "./migrations" });',
      "",
      "export async function ordersFor(name: string, page = 0) {",
      "  const rows = await db.select().from(orders).where(eq(orders.customer, name)).limit(50).offset(page * 50);",
      "  return rows.map((r) => ({ id: r.id, total: Number(r.total), placed: new Date(r.placedAt) }));",
      "}",
      "",
      'app.get("/orders/:name", async (c) => {',
      '  const list = await ordersFor(c.req.param("name"), Number(c.req.query("page") ?? 0));',
      '  if (list.length === 0) return c.json({ error: "none" }, 404);',
      "  return c.json(list);",
      "});",
      "",
      "// the SQL it runs:",
      "// select id, total, placed_at from orders where customer = ? order by placed_at desc limit 50 offset ?;",
      "for (const o of list) console.log(`${o.id}: ${o.total.toFixed(2)}`);",
      "",
      "$ turso db shell shop \"explain query plan select * from orders where customer = 'x'\"",
      "QUERY PLAN",
      "`--SCAN orders",
      "",
      "Do I need an index on customer, or is the offset the problem? It takes 900 ms with 2M rows.",
    ].join("\n"),
    tags: ["drizzle", "libsql", "performance"],
  };
  // An order as a shop's checkout sends it: the everyday shape of a JSON API body.
  const order = orderRecord(0);
  return [
    {
      name: "GET with a query string, cookies, User-Agent and Referer",
      path: "/v1/search?q=O%27Brien%27s%20%22garden%22%20tips&sort=recent&page=2&ref=https%3A%2F%2Fexample.com%2Fblog%2F2026%2F11",
      method: "GET",
      headers: browser,
    },
    {
      name: "POST 2 KiB JSON (an API record: names, addresses, items)",
      path: "/v1/orders",
      method: "POST",
      headers: { ...browser, "content-type": "application/json" },
      body: JSON.stringify(order),
    },
    {
      // Names, streets and products repeat across the 512 orders (12, 6 and 9 of them), as
      // product names do in a shop: some values are still answered from the cache.
      name: "POST 2 KiB JSON (API records, 512 different orders)",
      path: "/v1/orders",
      method: "POST",
      headers: { ...browser, "content-type": "application/json" },
      body: JSON.stringify(order),
      bodies: Array.from({ length: 512 }, (_, i) => JSON.stringify(orderRecord(i + 1))),
    },
    {
      name: "POST 2 KiB JSON (API records, every body value new: value cache emptied, headers known)",
      path: "/v1/orders",
      method: "POST",
      headers: { ...browser, "content-type": "application/json" },
      body: JSON.stringify(order),
      bodies: Array.from({ length: 512 }, (_, i) => JSON.stringify(orderRecord(i + 1))),
      coldCache: true,
    },
    {
      name: "POST 2 KiB JSON (prose, a code snippet, quotes)",
      path: "/v1/notes",
      method: "POST",
      headers: { ...browser, "content-type": "application/json" },
      body: JSON.stringify(snippet),
    },
    {
      name: "POST 2 KiB JSON (a code post: TypeScript, SQL, a shell line)",
      path: "/v1/notes",
      method: "POST",
      headers: { ...browser, "content-type": "application/json" },
      body: JSON.stringify(codePost),
    },
    {
      name: "POST 64 KiB JSON",
      path: "/v1/notes/import",
      method: "POST",
      headers: { ...browser, "content-type": "application/json" },
      body: jsonOfSize(64 * 1024),
    },
    {
      name: "POST 1,000,000-byte JSON (just under maxBodyBytes)",
      path: "/v1/notes/import",
      method: "POST",
      headers: { ...browser, "content-type": "application/json" },
      body: jsonOfSize(1_000_000),
    },
  ];
}

const FIRST = ["Siobhán", "Dave", "Aiko", "Mateo", "Fatima", "Jürgen", "Chloé", "Ngozi", "Piotr", "Ana", "Liam", "Mei"];
const LAST = [
  "O'Brien-Müller",
  "Smith",
  "Tanaka",
  "García",
  "Al-Sayed",
  "Weiß",
  "Dubois",
  "Okafor",
  "Kowalski",
  "Silva",
  "D'Arcy",
  "Chen",
];
const STREETS = [
  "St. Stephen's Green",
  "Rue de l'Église",
  "Hauptstraße",
  "Calle Mayor",
  "Baker Street",
  "Via dell'Orso",
];
const NOTES = [
  "Please deliver between 10:00 and 14:00. The building's lift is out of order until Friday, so it's the stairs (3rd floor). Thanks!",
  "Ring twice; the bell's broken. If nobody answers, leave it with No. 12 (blue door).",
  "Gift for my sister — please don't include the invoice in the box!",
  "Call me 30 min before arrival: the gate code changes daily.",
  "Use the side entrance on Elm St., not the main one; parking is 'residents only'.",
  "Deliver to the office, 4th floor, ask for Sam @ reception.",
];
const PRODUCTS = [
  '4K TV 55"',
  "HDMI 2.1 cable, 2 m (braided)",
  "Wall mount — VESA 300×300, tilt ±15°",
  "Soundbar 300 (Dolby Atmos®) + sub",
  "3-year warranty / cover for accidental damage",
  "Gift wrap & card",
  "USB-C hub (7-in-1)",
  "Men's Trail Running Shoe, size 44½",
  "Levi's 501 Jeans — W32/L34",
];

/** The `i`-th order of a shop's checkout: the everyday shape of a JSON API body, with values that vary from order to order. */
function orderRecord(i: number) {
  const pick = <T>(xs: readonly T[], k: number) => xs[(i * 7 + k) % xs.length]!;
  const first = pick(FIRST, 0);
  const last = pick(LAST, 3);
  return {
    orderId: `ord_01JD8ZQ4X7K2M9PV3T${(100000 + i * 7919).toString(36).toUpperCase()}`,
    customer: {
      id: `cus_${8842 + i}`,
      name: `${first} ${last}`,
      email: `${first
        .toLowerCase()
        .normalize("NFKD")
        .replace(/[^a-z]/g, "")}.${i}+orders@example.ie`,
      phone: `+353 1 555 ${String(1000 + i).slice(-4)}`,
      locale: "en-IE",
    },
    shipping: {
      line1: `Flat ${i % 40}, ${10 + (i % 90)} ${pick(STREETS, 1)}`,
      line2: `c/o Reception (${(i % 5) + 1}nd floor)`,
      city: "Dublin",
      postcode: `D0${i % 9} XY${10 + (i % 89)}`,
      country: "IE",
      instructions: `Leave with the concierge if I'm out; don't ring after ${7 + (i % 4)} pm.`,
    },
    billing: { sameAsShipping: i % 3 !== 0, vatId: `IE${6388047 + i}V` },
    items: [0, 1, 2, 3, 4, 5].map((k) => ({
      sku: `SKU-${(i * 31 + k * 17) % 9973}`,
      name: pick(PRODUCTS, k),
      qty: 1 + ((i + k) % 3),
      unitPrice: 4 + ((i * 13 + k * 101) % 1300) + 0.99,
      currency: "EUR",
    })),
    coupon: i % 2 ? `WINTER-${i % 30}` : null,
    payment: {
      method: "card",
      brand: "visa",
      last4: String(4242 + i).slice(-4),
      token: `tok_1QfX9a2eZvKYlo2C8xw7H${i.toString(36)}`,
    },
    consent: { marketing: i % 4 === 0, terms: "2026-11", ip: `203.0.113.${i % 250}` },
    notes: `${pick(NOTES, 2)} (#${i})`,
    message: `Happy ${20 + (i % 60)}th, ${pick(FIRST, 5)}! Don't watch it all in one night :)`,
    delivery: {
      slot: { from: "2026-12-09T10:00:00+00:00", to: "2026-12-09T14:00:00+00:00" },
      carrier: "An Post",
      service: "two-person, unpack & remove packaging",
      tracking: null,
    },
    tags: ["gift", "large-item", i % 5 ? "vip" : "new", `newsletter-2026-${(i % 12) + 1}`],
    createdAt: new Date(Date.UTC(2026, 11, 4, 9, 41, 7) + i * 61_000).toISOString(),
    client: {
      app: "web",
      version: `5.12.${i % 10}`,
      referrer: `https://shop.example.com/cart?step=review&utm_source=newsletter&v=${i}`,
    },
  };
}

/**
 * Hostile bodies built to make a filter backtrack or loop: long runs of brackets, quotes,
 * escapes and nested encodings, at 16 and 64 KiB and at the 128 KiB inspection budget. The
 * cost per KiB should stay flat across the three sizes (linear in input size).
 */
export function pathologicalScenarios(): FilterScenario[] {
  const fragments: Array<[string, string]> = [
    ["brackets and quotes", "((['\"<{"],
    ["nested percent-encoding", "%2525252527"],
    ["SQL-ish fragments", "' or (1=1/*"],
    // Runs that expressions ending in `\s*$`, `+$` or `+` then a look-behind once tried at every
    // character (a tag followed by white space, a command followed by form `+`).
    ["tags followed by white space", `<meta charset=x>${" ".repeat(383)}x`],
    ["a command and runs of +", `; ls ${"+".repeat(395)}x`],
  ];
  const out: FilterScenario[] = [];
  for (const [label, fragment] of fragments) {
    for (const kib of [16, 64, 128]) {
      const body = fragment.repeat(Math.ceil((kib * 1024) / fragment.length)).slice(0, kib * 1024);
      out.push({
        name: `pathological: ${label}, ${kib} KiB text/plain`,
        path: "/v1/notes",
        method: "POST",
        headers: { ...browser, "content-type": "text/plain" },
        body,
      });
    }
  }
  return out;
}

export interface FilterCostRow {
  name: string;
  bodyBytes: number;
  iterations: number;
  baselineP50: number;
  baselineP99: number;
  filterP50: number;
  filterP99: number;
  /** Per-call difference (filter − baseline of the same round), p50 and p99, µs. */
  addedP50: number;
  addedP99: number;
  decision: string;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

const VISITOR = { ip: "203.0.113.7", country: "DE", asn: 3320 };

/** What the route does with the body: a JSON route's `c.req.json()` (the validator's), anything else as text. */
const routeRead = (req: HonoRequest, kind: ReturnType<typeof bodyKind>): Promise<unknown> =>
  kind === "json" ? req.json() : req.text();

/** What the middleware does with a request: read the inspectable body prefix from a clone, decide, then the route reads the body. Returns the decision as text. */
async function filterOnce(
  evaluate: typeof evaluateRequest,
  kind: typeof bodyKind,
  security: typeof defaultEdgeConfig.security,
  bodyBudget: number,
  r: Request,
): Promise<string> {
  let body: string | null = null;
  let bodyTruncated = false;
  let json: { value: unknown } | undefined;
  // As the middleware does: Hono's request, whose body cache the route then reads from.
  const req = new HonoRequest(r);
  const k = r.body === null ? null : kind(r.headers.get("content-type"));
  if (k !== null) {
    const prefix = await readInspectableBody(req, k, bodyBudget);
    body = prefix?.text ?? null;
    bodyTruncated = prefix?.truncated ?? false;
    json = prefix?.json;
  }
  const d = evaluate(
    { method: r.method, url: r.url, headers: r.headers, visitor: VISITOR, body, json, bodyTruncated },
    security,
  );
  if (r.body) await routeRead(req, k);
  return `${d.action === "block" ? `block (${d.ruleId})` : d.action}${d.bodyOverflow ? ", first 128 KiB inspected" : ""}`;
}

export async function measureFilterCost(
  scenarios: FilterScenario[],
  budgetMs = 4000,
  security = defaultEdgeConfig.security,
): Promise<FilterCostRow[]> {
  const rows: FilterCostRow[] = [];
  for (const s of scenarios) {
    const make = requests(s);
    const baseline = async () => {
      const r = make();
      if (r.body) await routeRead(new HonoRequest(r), bodyKind(r.headers.get("content-type")));
    };
    let decision = "";
    const filtered = async () => {
      decision = await filterOnce(
        evaluateRequest,
        bodyKind,
        security,
        Math.min(security.inspectBodyBytes, security.maxBodyBytes),
        make(),
      );
    };
    // Warm-up (JIT), then alternate until the time budget is spent.
    for (let i = 0; i < 30; i++) {
      await baseline();
      await filtered();
    }
    const b: number[] = [];
    const f: number[] = [];
    const added: number[] = [];
    const t0 = performance.now();
    while ((performance.now() - t0 < budgetMs && b.length < 20_000) || b.length < 50) {
      let t = performance.now();
      await baseline();
      const tb = (performance.now() - t) * 1000;
      if (s.coldCache) {
        clearValueCache();
        await filterOnce(evaluateRequest, bodyKind, security, 0, headersOnly(s));
      }
      t = performance.now();
      await filtered();
      const tf = (performance.now() - t) * 1000;
      b.push(tb);
      f.push(tf);
      added.push(tf - tb);
    }
    rows.push({
      name: s.name,
      bodyBytes: s.body?.length ?? 0,
      iterations: b.length,
      baselineP50: pct(b, 50),
      baselineP99: pct(b, 99),
      filterP50: pct(f, 50),
      filterP99: pct(f, 99),
      addedP50: pct(added, 50),
      addedP99: pct(added, 99),
      decision,
    });
  }
  return rows;
}

export function filterCostTable(rows: FilterCostRow[]): string[] {
  const u = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
  return [
    "Security filter, per call in Node (V8), default config; baseline = build the request and read its body; µs:",
    "",
    "| request | body bytes | calls | baseline p50/p99 | with filter p50/p99 | added p50/p99 | added p50 per KiB | decision |",
    "|---|---:|---:|---:|---:|---:|---:|---|",
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.bodyBytes} | ${r.iterations} | ${u(r.baselineP50)}/${u(r.baselineP99)} | ${u(r.filterP50)}/${u(r.filterP99)} | ${u(r.addedP50)}/${u(r.addedP99)} | ${r.bodyBytes > 0 ? u(r.addedP50 / (r.bodyBytes / 1024)) : "-"} | ${r.decision} |`,
    ),
  ];
}

type Evaluate = typeof evaluateRequest;

/**
 * This tree's filter against the filter of another commit, call by call in one process (the
 * other commit is checked out into a temporary git worktree that shares node_modules): both
 * read the body prefix and decide, alternating, so both see the same machine. µs per call.
 */
export async function measureAgainst(ref: string, scenarios: FilterScenario[], budgetMs: number): Promise<string[]> {
  const root = join(import.meta.dirname, "..");
  const dir = mkdtempSync(join(tmpdir(), "filter-baseline-"));
  execFileSync("git", ["worktree", "add", "--detach", "--quiet", dir, ref], { cwd: root });
  try {
    symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
    const old = (await import(join(dir, "src/lib/waf/index.ts"))) as {
      evaluateRequest: Evaluate;
      bodyKind: typeof bodyKind;
    };
    const oldSecurity = (
      (await import(join(dir, "src/lib/config/schema.ts"))) as { defaultEdgeConfig: typeof defaultEdgeConfig }
    ).defaultEdgeConfig.security;
    const security = defaultEdgeConfig.security;
    const lines = [
      `Security filter of ${ref} vs this tree, per call in Node (V8), default configs (${ref}: body read up to maxBodyBytes; now: up to inspectBodyBytes); µs:`,
      "",
      `| request | body bytes | calls | ${ref} p50/p99 | now p50/p99 | now / ${ref} (p50) | ${ref} decision | now decision |`,
      "|---|---:|---:|---:|---:|---:|---|---|",
    ];
    const oldClear = ((await import(join(dir, "src/lib/waf/inspect.ts"))) as { clearValueCache?: () => void })
      .clearValueCache;
    for (const s of scenarios) {
      if (s.coldCache && oldClear === undefined) {
        lines.push(`| ${s.name} | ${s.body?.length ?? 0} | - | (${ref} cannot empty its value cache) | | | | |`);
        continue;
      }
      const make = requests(s);
      let oldDecision = "";
      let newDecision = "";
      // The old filter read the body up to maxBodyBytes (it had no inspection budget).
      const runOld = async () => {
        oldDecision = await filterOnce(
          old.evaluateRequest,
          old.bodyKind,
          oldSecurity,
          oldSecurity.maxBodyBytes,
          make(),
        );
      };
      const runNew = async () => {
        newDecision = await filterOnce(
          evaluateRequest,
          bodyKind,
          security,
          Math.min(security.inspectBodyBytes, security.maxBodyBytes),
          make(),
        );
      };
      for (let i = 0; i < 20; i++) {
        await runOld();
        await runNew();
      }
      const a: number[] = [];
      const b: number[] = [];
      const t0 = performance.now();
      while ((performance.now() - t0 < budgetMs && a.length < 20_000) || a.length < 30) {
        if (s.coldCache) {
          oldClear?.();
          await filterOnce(old.evaluateRequest, old.bodyKind, oldSecurity, 0, headersOnly(s));
        }
        let t = performance.now();
        await runOld();
        a.push((performance.now() - t) * 1000);
        if (s.coldCache) {
          clearValueCache();
          await filterOnce(evaluateRequest, bodyKind, security, 0, headersOnly(s));
        }
        t = performance.now();
        await runNew();
        b.push((performance.now() - t) * 1000);
      }
      const u = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
      lines.push(
        `| ${s.name} | ${s.body?.length ?? 0} | ${a.length} | ${u(pct(a, 50))}/${u(pct(a, 99))} | ${u(pct(b, 50))}/${u(pct(b, 99))} | ${(pct(b, 50) / pct(a, 50)).toFixed(2)} | ${oldDecision} | ${newDecision} |`,
      );
    }
    return lines;
  } finally {
    execFileSync("git", ["worktree", "remove", "--force", dir], { cwd: root });
    rmSync(dir, { recursive: true, force: true });
  }
}

// `node bench/filter-cost.ts [--against <git ref>] [--json]`: this part alone (`--json`: the rows,
// for `bench/run.ts`, which measures in a process of its own like this one).
if (import.meta.main) {
  const budget = Number(process.env.BENCH_FILTER_MS ?? 4000);
  const i = process.argv.indexOf("--against");
  const scenarios = [...filterScenarios(), ...pathologicalScenarios()];
  if (i !== -1 && process.argv[i + 1] !== undefined)
    console.log((await measureAgainst(process.argv[i + 1]!, scenarios, budget)).join("\n"));
  else {
    const rows = await measureFilterCost(scenarios, budget);
    console.log(process.argv.includes("--json") ? JSON.stringify(rows) : filterCostTable(rows).join("\n"));
  }
}
