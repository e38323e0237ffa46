/// <reference types="vite/client" />
/**
 * docs/ stays true to the code: every route of the served `/openapi.json` is documented in
 * docs/http-api.md and every documented route exists (routes outside OpenAPI are listed below),
 * every key of the edge config schema is in docs/config.md with its default, and every problem
 * type the code can answer with is in docs/errors.md with its status and title.
 */
import { describe, expect, it } from "vitest";
import configDoc from "../../docs/config.md?raw";
import errorsDoc from "../../docs/errors.md?raw";
import httpApiDoc from "../../docs/http-api.md?raw";
import { PROBLEM_BASE, problemTypes } from "../../src/lib/errors.ts";
import { worker } from "./helpers.ts";

/** Routes the Worker answers that are not in `/openapi.json`: the description itself and the pages. */
const NOT_IN_OPENAPI = [
  "GET /openapi.json",
  "GET /docs",
  "GET /admin",
  "GET /admin/",
  "GET /admin/app.js",
  "GET /admin/webhooks.js",
  "GET /admin/dashboard.js",
  "GET /admin/security-form.js",
  "GET /admin/rate-limit-form.js",
  "GET /vendor/uplot/uPlot.esm.js",
  "GET /vendor/uplot/uPlot.min.css",
  "GET /admin/app.css",
  "GET /rooms",
  "GET /rooms/",
  "GET /rooms/app.js",
  "GET /rooms/app.css",
  "GET /rooms/{room}",
];

const METHODS = ["get", "head", "post", "put", "patch", "delete", "options"];

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  required?: string[];
  default?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, JsonSchema> };
}

let served: Promise<OpenApiDocument> | undefined;
const openApi = () =>
  (served ??= worker("/openapi.json").then(async (res) => {
    expect(res.status).toBe(200);
    return (await res.json()) as OpenApiDocument;
  }));

/** Markdown table rows whose first cell is one code span: [that code, the other cells]. */
function codeRows(markdown: string): Array<[string, string[]]> {
  const rows: Array<[string, string[]]> = [];
  for (const line of markdown.split("\n")) {
    const m = /^\|\s*`([^`]+)`\s*\|(.*)\|\s*$/.exec(line);
    if (m) rows.push([m[1]!, m[2]!.split("|").map((cell) => cell.trim())]);
  }
  return rows;
}

const sorted = (items: Iterable<string>) => [...items].sort();

/** "METHOD /path" of each route in docs/http-api.md: `### GET /path` headings and `` `GET /path` `` table rows. */
function documentedRoutes(): string[] {
  const routes: string[] = [];
  const route = /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) (\/\S*)$/;
  for (const line of httpApiDoc.split("\n")) {
    const heading = /^#{2,4} (.+?)\s*$/.exec(line);
    if (heading && route.test(heading[1]!)) routes.push(heading[1]!);
  }
  for (const [code] of codeRows(httpApiDoc)) if (route.test(code)) routes.push(code);
  return routes;
}

/** Every key path of the config schema with its schema: `a.b`, `a[].b`, `a.<name>.b`. */
function configKeys(
  schema: JsonSchema,
  components: Record<string, JsonSchema>,
): Map<string, { schema: JsonSchema; required: boolean }> {
  const keys = new Map<string, { schema: JsonSchema; required: boolean }>();
  const resolve = (s: JsonSchema): JsonSchema =>
    s.$ref ? resolve(components[s.$ref.replace("#/components/schemas/", "")]!) : s;
  const walk = (raw: JsonSchema, path: string) => {
    const s = resolve(raw);
    for (const part of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])]) walk(part, path);
    for (const [name, child] of Object.entries(s.properties ?? {})) {
      const key = path ? `${path}.${name}` : name;
      keys.set(key, { schema: resolve(child), required: s.required?.includes(name) ?? false });
      walk(child, key);
    }
    if (typeof s.additionalProperties === "object") {
      const key = `${path}.<name>`;
      keys.set(key, { schema: resolve(s.additionalProperties), required: false });
      walk(s.additionalProperties, key);
    }
    if (s.items) walk(s.items, `${path}[]`);
  };
  walk(schema, "");
  return keys;
}

describe("docs/", () => {
  it("http-api.md documents exactly the routes of /openapi.json, plus the listed pages", async () => {
    const doc = await openApi();
    const inOpenApi = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((m) => METHODS.includes(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
    const documented = documentedRoutes();
    expect(documented.length, "each route documented once").toBe(new Set(documented).size);
    const missing = inOpenApi.filter((r) => !documented.includes(r));
    expect(missing, "routes of /openapi.json missing from docs/http-api.md").toEqual([]);
    const unknown = documented.filter((r) => !inOpenApi.includes(r) && !NOT_IN_OPENAPI.includes(r));
    expect(unknown, "routes in docs/http-api.md that /openapi.json lacks (add pages to NOT_IN_OPENAPI)").toEqual([]);
    expect(
      NOT_IN_OPENAPI.filter((r) => !documented.includes(r)),
      "listed routes missing from docs/http-api.md",
    ).toEqual([]);
    expect(
      NOT_IN_OPENAPI.filter((r) => inOpenApi.includes(r)),
      "listed as outside OpenAPI but in it",
    ).toEqual([]);
  });

  it("config.md documents every key of the edge config schema, with its default", async () => {
    const doc = await openApi();
    const keys = configKeys(doc.components.schemas["EdgeConfigDocument"]!, doc.components.schemas);
    expect(keys.size).toBeGreaterThan(50);
    const rows = new Map(codeRows(configDoc));
    expect(
      sorted(keys.keys()).filter((k) => !rows.has(k)),
      "config keys missing from docs/config.md",
    ).toEqual([]);
    expect(
      sorted(rows.keys()).filter((k) => !keys.has(k)),
      "keys in docs/config.md that the schema lacks",
    ).toEqual([]);
    for (const [key, { schema, required }] of keys) {
      const defaultCell = rows.get(key)![1] ?? "";
      const d = schema.default;
      if (required) expect(defaultCell, `${key} is required`).toBe("required");
      // Object defaults with keys are spelled out by their own rows ("see below").
      else if (
        d !== undefined &&
        !(typeof d === "object" && d !== null && !Array.isArray(d) && Object.keys(d).length > 0)
      ) {
        expect(defaultCell, `default of ${key}`).toContain(`\`${JSON.stringify(d)}\``);
      } else if (d === undefined) expect(defaultCell, `${key} has no default`).toBe("(none)");
    }
  });

  it("errors.md lists every problem type with its status and title", () => {
    // Problem documents built by hand (not through ApiError): `${PROBLEM_BASE}<type>` in the code.
    const sources = import.meta.glob(["../../src/**/*.ts", "../../routes/**/*.ts", "../../durable-objects/**/*.ts"], {
      query: "?raw",
      import: "default",
      eager: true,
    }) as Record<string, string>;
    expect(Object.keys(sources).length).toBeGreaterThan(20);
    const handBuilt = new Map<string, { status: number; title: string }>();
    for (const text of Object.values(sources)) {
      for (const m of text.matchAll(/type: `\$\{PROBLEM_BASE\}([a-z-]+)`,\s*title: "([^"]+)",\s*status: (\d{3})/g)) {
        handBuilt.set(m[1]!, { title: m[2]!, status: Number(m[3]) });
      }
      // Any other hand-built use must be matched by the pattern above (title and status next to it).
      const uses = text.match(/\$\{PROBLEM_BASE\}/g)?.length ?? 0;
      const matched = [...text.matchAll(/type: `\$\{PROBLEM_BASE\}[a-z-]+`,\s*title: "[^"]+",\s*status: \d{3}/g)]
        .length;
      expect(uses, "a hand-built problem document this test cannot read").toBe(matched);
    }

    const expected = new Map<string, { status: number; title: string }>([
      ...Object.entries(problemTypes),
      ...handBuilt,
    ]);
    const rows = new Map(codeRows(errorsDoc));
    expect(
      sorted(expected.keys()).filter((t) => !rows.has(t)),
      "problem types missing from docs/errors.md",
    ).toEqual([]);
    expect(
      sorted(rows.keys()).filter((t) => !expected.has(t)),
      "types in docs/errors.md the code does not have",
    ).toEqual([]);
    for (const [type, { status, title }] of expected) {
      const [statusCell, titleCell] = rows.get(type)!;
      expect([Number(statusCell), titleCell], type).toEqual([status, title]);
    }
    expect(errorsDoc).toContain(PROBLEM_BASE);
  });
});
