/**
 * Benign text as developers post it: the markdown files under a directory (`node_modules` has
 * hundreds: READMEs, API docs, changelogs — prose with code blocks, shell lines, SQL, HTML and
 * configuration), cut at line ends into pieces of about 700 and 2,000 characters in turn (a
 * comment, a question with a snippet, a pasted section of docs), each sent as the `text` field of
 * a JSON `POST /v1/notes` — what a forum, an issue tracker or an AI prompt endpoint receives.
 * Every piece is ordinary: what the filter blocks is a false positive. Read at run time, nothing
 * committed: `npm run waf:eval -- --docs node_modules` runs on any machine after `npm install`.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { CorpusLine } from "./corpus.ts";

/** The sizes pieces grow to before they are cut at the next line end, in turn. */
export const PIECE_SIZES = [700, 2_000] as const;
/** Files smaller than this are skipped (badges and one-line READMEs say little). */
const MIN_FILE = 1_024;
/** Pieces shorter than this (a file's last lines) are skipped. */
const MIN_PIECE = 300;

/** `text` cut at line ends into pieces of at least `PIECE_SIZES[k]` characters, alternating. */
export function markdownPieces(text: string): string[] {
  const out: string[] = [];
  let lines: string[] = [];
  let length = 0;
  let k = 0;
  for (const line of text.split("\n")) {
    lines.push(line);
    length += line.length + 1;
    if (length >= PIECE_SIZES[k % PIECE_SIZES.length]!) {
      out.push(lines.join("\n"));
      lines = [];
      length = 0;
      k++;
    }
  }
  if (length > 0) out.push(lines.join("\n"));
  return out.filter((p) => p.length >= MIN_PIECE);
}

/** Every `*.md` file of at least `MIN_FILE` bytes under `dir` (symbolic links not followed), sorted. */
function markdownFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.toLowerCase().endsWith(".md") && statSync(path).size >= MIN_FILE)
        out.push(path);
    }
  };
  walk(dir);
  return out.sort();
}

/** The pieces of every markdown file under `dir` as ordinary JSON requests. */
export function loadDocs(dir: string): CorpusLine[] {
  const lines: CorpusLine[] = [];
  for (const file of markdownFiles(dir)) {
    const name = relative(dir, file);
    markdownPieces(readFileSync(file, "utf8")).forEach((text, i) =>
      lines.push({
        id: `docs:${name}:${i + 1}`,
        class: "ordinary",
        method: "POST",
        path: "/v1/notes",
        contentType: "application/json",
        body: JSON.stringify({ title: `Question about ${name}`, text }),
      }),
    );
  }
  return lines;
}
