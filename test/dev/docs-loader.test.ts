/**
 * `waf/docs.ts`: how the markdown under a directory becomes ordinary JSON requests for
 * `npm run waf:eval -- --docs DIR` (a made-up directory with a few files).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { toWafRequest } from "../../waf/corpus.ts";
import { loadDocs, markdownPieces, PIECE_SIZES } from "../../waf/docs.ts";

const root = mkdtempSync(join(tmpdir(), "docs-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const line = (i: number) => `Line ${String(i).padStart(3, "0")}: the quick brown fox jumps over the lazy dog.`;
const long = Array.from({ length: 80 }, (_, i) => line(i)).join("\n");
mkdirSync(join(root, "pkg", "docs"), { recursive: true });
writeFileSync(join(root, "pkg", "README.md"), long);
writeFileSync(join(root, "pkg", "docs", "API.MD"), long);
writeFileSync(join(root, "pkg", "small.md"), "# Tiny\n\nToo short to count.\n");
writeFileSync(join(root, "pkg", "notes.txt"), long);

describe("markdownPieces", () => {
  it("cuts at line ends once a piece reaches 700, then 2,000 characters, in turn, and drops a short tail", () => {
    const pieces = markdownPieces(long);
    expect(pieces.length).toBeGreaterThanOrEqual(3);
    expect(pieces.join("\n")).toBe(long.slice(0, pieces.join("\n").length));
    for (const [k, piece] of pieces.slice(0, -1).entries()) {
      const size = PIECE_SIZES[k % PIECE_SIZES.length]!;
      expect(piece.length + 1).toBeGreaterThanOrEqual(size);
      // Cut at the first line end past the size: without its last line it is below the size.
      expect(piece.slice(0, piece.lastIndexOf("\n")).length + 1).toBeLessThan(size);
      expect(piece.startsWith("Line ")).toBe(true);
    }
    expect(markdownPieces("short\ntext")).toEqual([]);
  });
});

describe("loadDocs", () => {
  const lines = loadDocs(root);

  it("reads every markdown file of at least 1 KiB, in path order, and nothing else", () => {
    const files = [...new Set(lines.map((l) => l.id.replace(/:\d+$/, "")))];
    expect(files).toEqual(["docs:pkg/README.md", "docs:pkg/docs/API.MD"]);
    expect(lines.length).toBe(2 * markdownPieces(long).length);
  });

  it("sends each piece as the text of an ordinary JSON note", () => {
    const first = lines[0]!;
    expect(first).toMatchObject({ id: "docs:pkg/README.md:1", class: "ordinary", method: "POST", path: "/v1/notes" });
    const req = toWafRequest(first);
    expect(req.headers.get("content-type")).toBe("application/json");
    expect(JSON.parse(first.body!)).toEqual({ title: "Question about pkg/README.md", text: markdownPieces(long)[0] });
  });
});
