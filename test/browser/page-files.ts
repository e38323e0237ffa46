/**
 * What the browser tests check on the files `wrangler dev` serves for a page (routes/pages.ts,
 * public/): through wrangler's asset router, so they prove that the Worker runs first and adds
 * the page headers in front of Workers Static Assets.
 */
import ts from "typescript";
import { expect } from "vitest";

export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The syntax errors of a script parsed as an ES module (the pages load theirs with `type="module"`). */
export function moduleSyntaxErrors(source: string): string[] {
  const { diagnostics = [] } = ts.transpileModule(source, {
    fileName: "page.js",
    reportDiagnostics: true,
    compilerOptions: { allowJs: true, module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  return diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

/**
 * Fetches each `[path, type]` from `base` and expects a 200 of that type with the page headers
 * (scripts must parse as modules); returns the bodies by path.
 */
export async function expectPageFiles(
  base: string,
  files: ReadonlyArray<readonly [path: string, type: string]>,
): Promise<Record<string, string>> {
  const bodies: Record<string, string> = {};
  for (const [path, type] of files) {
    const res = await fetch(`${base}${path}`);
    const body = await res.text();
    expect(res.status, path).toBe(200);
    expect(res.headers.get("content-type")?.toLowerCase(), path).toBe(`${type}; charset=utf-8`);
    expect(res.headers.get("content-security-policy"), path).toBe(PAGE_CSP);
    expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
    expect(res.headers.get("referrer-policy"), path).toBe("no-referrer");
    expect(res.headers.get("cache-control"), path).toBe("no-cache");
    if (type === "text/javascript") expect(moduleSyntaxErrors(body), path).toEqual([]);
    bodies[path] = body;
  }
  return bodies;
}
