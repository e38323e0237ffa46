/**
 * The DAST templates of nuclei (`git clone https://github.com/projectdiscovery/nuclei-templates`,
 * MIT; its `dast/vulnerabilities/**.yaml` read at run time, nothing of it is committed): each
 * template's payloads put where its `fuzzing` rules say, as nuclei's fuzzer puts them. A rule's
 * `part` (`query`, `body`, `path`, `header`; `request` is all four) picks the place, its `type`
 * how the payload meets the original value (`postfix`, `prefix`, `infix`, `replace`), its
 * `keys`/`keys-regex`/`values` which parameter: the base request has one parameter that fits
 * (`?id=1` unless the rule names another), a form body the same, the path `/v1/items/1`, the
 * header a browser's User-Agent. Values go on the wire as nuclei encodes them (only control
 * characters, space as `+`, DEL and non-ASCII; a payload's own `%0d%0a` stays as written), with
 * `#` and `&` escaped so the value stays one parameter. Template variables and the helpers the
 * templates use are filled with fixed values (`{{interactsh-url}}` an `oast.fun` host,
 * `rand_int` 4821/7353/2916, `[SLEEPTIME]` 5): every run is the same. Templates that send fixed
 * paths instead of fuzzing send those. Class `nuclei-<folder>` (`nuclei-sqli`, `nuclei-ssti`…;
 * `nuclei-redirect` holds open-redirect probes, which a filter may fairly pass).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parse } from "yaml";
import type { CorpusLine } from "./corpus.ts";

const UA =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36";
const OAST = "c59def6kdc9abcd.oast.fun";
const VARIABLES: Record<string, string> = {
  "interactsh-url": OAST,
  Hostname: "edge.example",
  Host: "edge.example",
  FQDN: "edge.example",
  RDN: "edge.example",
  RootURL: "https://edge.example",
  BaseURL: "https://edge.example/v1/search?id=1",
};
const SMALL_INTS = ["4821", "7353", "2916"];
/** Original values tried for a rule that selects parameters by their value (`values:` expressions). */
const VALUE_CANDIDATES = [
  "1",
  "https://edge.example/home",
  "edge.example:443",
  "index.html",
  '<?xml version="1.0"?><a>1</a>',
];

interface Rule {
  part?: string;
  parts?: string[];
  type?: string;
  keys?: string[];
  "keys-regex"?: string[];
  values?: string[];
  fuzz?: unknown[];
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...yamlFiles(p));
    else if (name.endsWith(".yaml")) out.push(p);
  }
  return out;
}

/** Go's `url.QueryEscape` (nuclei's `url_encode` helper). */
const queryEscape = (s: string) =>
  encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, "+");

/** Fills `{{name}}` variables and the helper calls the DAST templates use; anything else stays as written (as nuclei leaves it). */
function fill(s: string, vars: Record<string, string>, counter: { n: number }): string {
  let before = "";
  for (let pass = 0; pass < 10 && before !== s; pass++) {
    before = s;
    s = s
      .replace(/\{\{([A-Za-z_][\w-]*)\}\}/g, (m, name: string) => vars[name] ?? m)
      .replace(/\[SLEEPTIME\]/g, "5")
      .replace(/\{\{to_number\((\w+)\)\*to_number\((\w+)\)\}\}/g, (m, a: string, b: string) =>
        vars[a] !== undefined && vars[b] !== undefined ? String(Number(vars[a]) * Number(vars[b])) : m,
      )
      .replace(/\{\{rand_int\((\d+),\s*\d+\)\}\}/g, (_m, lo: string) =>
        Number(lo) >= 10_000 ? "52917" : SMALL_INTS[counter.n++ % SMALL_INTS.length]!,
      )
      .replace(/\{\{rand_text_alpha\((\d+)\)\}\}/g, (_m, n: string) => "kqzvhtnbwxjmprsd".slice(0, Number(n)))
      .replace(/\{\{rand_base\((\d+)(?:,\s*'[^']*')?\)\}\}/g, (_m, n: string) => "cabbacabbacabbac".slice(0, Number(n)))
      .replace(/\{\{url_encode\((\w+)\)\}\}/g, (m, a: string) => (vars[a] === undefined ? m : queryEscape(vars[a])))
      .replace(/\{\{len\((\w+)\)\}\}/g, (m, a: string) => (vars[a] === undefined ? m : String(vars[a].length)))
      .replace(/\{\{concat\(((?:\s*"[^"]*"\s*,?)+)\)\}\}/g, (_m, args: string) =>
        [...args.matchAll(/"([^"]*)"/g)].map((x) => x[1]).join(""),
      );
  }
  return s;
}

/** nuclei's `ParamEncode`: control characters, space (`+`), DEL and non-ASCII; also `#` and `&`, which would end the value. */
function wire(s: string): string {
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === " ") out += "+";
    else if (ch === "#") out += "%23";
    else if (ch === "&") out += "%26";
    else if (c < 32 || c >= 127)
      out += [...new TextEncoder().encode(ch)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
    else out += ch;
  }
  return out;
}

/** A Go regular expression of a template as a JavaScript one (`(?i)` leading flags become flags). */
function goRegExp(source: string): RegExp {
  const flags = /^\(\?([a-z]+)\)/.exec(source);
  return new RegExp(flags === null ? source : source.slice(flags[0].length), flags?.[1]?.includes("i") ? "i" : "");
}

/** The base request's parameter for a rule: `id=1`, or a name its `keys` give and a value its `values` select. */
function parameter(rule: Rule): { name: string; value: string } {
  const name = rule.keys?.[0]?.toLowerCase() ?? ((rule["keys-regex"] ?? []).length > 0 ? "xml" : "id");
  const values = (rule.values ?? []).map(goRegExp);
  const value = values.length === 0 ? "1" : (VALUE_CANDIDATES.find((v) => values.some((r) => r.test(v))) ?? "1");
  return { name, value };
}

function place(type: string, original: string, payload: string): string {
  if (type === "postfix") return original + payload;
  if (type === "prefix") return payload + original;
  if (type === "infix") {
    const mid = original.length >> 1;
    return original.slice(0, mid) + payload + original.slice(mid);
  }
  return payload;
}

/** Every payload list of a template's `payloads` block, flattened. */
function payloadValues(p: unknown): string[] {
  if (Array.isArray(p)) return p.flatMap(payloadValues);
  if (p !== null && typeof p === "object") return Object.values(p).flatMap(payloadValues);
  return typeof p === "string" || typeof p === "number" || typeof p === "boolean" ? [String(p)] : [];
}

type Request = Omit<CorpusLine, "id" | "class">;

/** The requests of one template (throws where the template cannot be read: bad YAML, a Go-only regular expression). */
function templateRequests(file: string): Request[] {
  const out: Request[] = [];
  const add = (req: Request) => out.push(req);
  const headers = { "user-agent": UA };
  const doc = parse(readFileSync(file, "utf8")) as Record<string, unknown> | null;
  if (doc === null || typeof doc !== "object") return out;
  const counter = { n: 0 };
  const vars: Record<string, string> = { ...VARIABLES };
  for (const [k, v] of Object.entries((doc.variables as Record<string, unknown> | undefined) ?? {}))
    vars[k] = fill(String(v), vars, counter);
  for (const block of [...((doc.http as unknown[]) ?? []), ...((doc.headless as unknown[]) ?? [])] as Array<
    Record<string, unknown>
  >) {
    const rules = block.fuzzing as Rule[] | undefined;
    if (rules === undefined) {
      // Fixed paths instead of fuzzing (the base request itself is not an attack).
      for (const p of (block.path as string[] | undefined) ?? []) {
        if (p === "{{BaseURL}}") continue;
        const url = new URL(fill(p, { ...vars, BaseURL: "https://edge.example" }, counter));
        add({ method: "GET", path: url.pathname, query: url.search.slice(1) || undefined, headers });
      }
      continue;
    }
    const sets = (block.payloads as Record<string, unknown> | undefined) ?? {};
    const setName = Object.keys(sets)[0];
    const values = setName === undefined ? [undefined] : payloadValues(sets[setName]);
    for (const rule of rules) {
      const parts = (rule.parts ?? [rule.part ?? "query"]).flatMap((p) =>
        p === "request" ? ["query", "body", "path", "header"] : [p === "headers" ? "header" : p],
      );
      const type = rule.type ?? "replace";
      const { name, value } = parameter(rule);
      for (const v of values) {
        const local = setName === undefined || v === undefined ? vars : { ...vars, [setName]: fill(v, vars, counter) };
        for (const fz of rule.fuzz ?? []) {
          const payload = fill(String(fz), local, counter);
          for (const part of parts) {
            if (part === "query")
              add({
                method: "GET",
                path: "/v1/search",
                query: `${name}=${wire(place(type, value, payload))}`,
                headers,
              });
            else if (part === "body")
              add({
                method: "POST",
                path: "/v1/items",
                contentType: "application/x-www-form-urlencoded",
                body: `name=test&${name}=${wire(place(type, value, payload))}`,
                headers,
              });
            else if (part === "path") {
              const p = wire(place(type, "/v1/items/1", payload))
                .replace(/%26/g, "&")
                .replace(/\?/g, "%3F");
              add({ method: "GET", path: p.startsWith("/") ? p : `/${p}`, headers });
            } else if (part === "header") {
              const ua = place(type, UA, payload);
              // Go's HTTP client refuses header values with line breaks, NUL or non-Latin-1 characters.
              if (/[\r\n\0]|[^\x00-\xff]/.test(ua)) continue;
              add({ method: "GET", path: "/v1/search", query: "id=1", headers: { "user-agent": ua } });
            }
          }
        }
      }
    }
  }
  return out;
}

/**
 * Every template's requests, each once per class; `failed` names the templates that could not be
 * read (nuclei itself refuses some: one of its XSS templates is not valid YAML).
 */
export function loadNuclei(root: string): { lines: CorpusLine[]; failed: string[] } {
  const dir = join(root, "dast", "vulnerabilities");
  const lines: CorpusLine[] = [];
  const failed: string[] = [];
  const seen = new Set<string>();
  for (const file of yamlFiles(dir)) {
    const template = relative(dir, file).replace(/\.yaml$/, "");
    const folder = template.includes("/") ? template.slice(0, template.indexOf("/")) : template;
    const cls = `nuclei-${folder.toLowerCase()}`;
    let requests: Request[];
    try {
      requests = templateRequests(file);
    } catch (error) {
      failed.push(`${template}: ${error instanceof Error ? error.name : "error"}`);
      continue;
    }
    for (const req of requests) {
      const key = JSON.stringify([cls, req.method, req.path, req.query, req.body, req.headers]);
      if (seen.has(key)) continue;
      seen.add(key);
      lines.push({ id: `nuclei:${template}:${seen.size}`, class: cls, ...req });
    }
  }
  return { lines, failed };
}
