import { describe, expect, it } from "vitest";
import { worker } from "./helpers.ts";

interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
}

describe("API description", () => {
  it("GET /openapi.json is an OpenAPI 3.1 document generated from the routes", async () => {
    const res = await worker("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as OpenApiDoc;
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.title).toBeTruthy();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/healthz", "/readyz"]));
    expect(Object.keys(doc.paths["/readyz"]!.get!.responses)).toEqual(["200", "503"]);
    // Every operation documents at least one response, as OpenAPI requires.
    for (const item of Object.values(doc.paths)) {
      for (const op of Object.values(item)) expect(Object.keys(op.responses).length).toBeGreaterThan(0);
    }
  });

  it("GET /docs renders the reference from the same document, self-contained", async () => {
    const res = await worker("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const page = await res.text();
    expect(page).toContain("<code>/readyz</code>");
    expect(page).toContain("<code>/healthz</code>");
    expect(page).toContain('href="/openapi.json"');
    // No script or stylesheet from elsewhere (they are this origin's files): the page works offline.
    const loaded = [...page.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    expect(loaded).toContain("/docs/app.js");
    for (const url of loaded) expect(url).toMatch(/^\/(?!\/)|^data:,$/);
  });
});
