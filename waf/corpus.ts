/**
 * The evaluation corpus format (one JSON object per line in `waf/corpus/*.jsonl`) and how a
 * corpus line becomes the input of `evaluateRequest`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { WafRequest } from "../src/lib/waf/index.ts";

export interface CorpusRequest {
  method: string;
  path: string;
  /** Raw query string (already percent-encoded as the client sent it), without `?`. */
  query?: string;
  headers?: Record<string, string>;
  contentType?: string;
  body?: string;
}

export interface CorpusLine extends CorpusRequest {
  id: string;
  /** Attack class, or `ordinary`. */
  class: string;
  /** How the payload was placed (for attacks). */
  placement?: string;
}

export const CORPUS_DIR = join(import.meta.dirname, "corpus");

export function readCorpus(dir = CORPUS_DIR): CorpusLine[] {
  const lines: CorpusLine[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".jsonl")).sort()) {
    for (const line of readFileSync(join(dir, file), "utf8").split("\n")) {
      if (line.trim() !== "") lines.push(JSON.parse(line) as CorpusLine);
    }
  }
  return lines;
}

/** The request as the middleware would hand it to `evaluateRequest` (visitor: an ordinary public address). */
export function toWafRequest(c: CorpusRequest): WafRequest {
  const headers = new Headers();
  for (const [k, v] of Object.entries(c.headers ?? {})) headers.set(k, v);
  if (c.contentType !== undefined && !headers.has("content-type")) headers.set("content-type", c.contentType);
  return {
    method: c.method,
    url: `https://edge.example${c.path}${c.query ? `?${c.query}` : ""}`,
    headers,
    visitor: { ip: "203.0.113.10", country: "DE", asn: 64500 },
    body: c.body ?? null,
  };
}
