/**
 * The evaluation corpus format (one JSON object per line in `waf/corpus/*.jsonl`) and how a
 * corpus line becomes the input of `evaluateRequest`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { WafRequest } from "../src/lib/waf/index.ts";
import { benignRequests } from "./sources/benign.ts";

export interface CorpusRequest {
  /** Host the request was sent to (the URL's host, as the Worker sees it); default `edge.example`. */
  host?: string;
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

/**
 * A value a tool puts in a parameter, as the tool loaders send it: a query parameter
 * (`GET /v1/search?param=…`) and a form field (`POST /v1/items`), ids `<id>:query` and `<id>:body`.
 * `encoded` is the value as it goes on the wire (percent-encoded).
 */
export function queryAndForm(
  id: string,
  cls: string,
  param: string,
  encoded: string,
  paths: { query: string; form: string } = { query: "/v1/search", form: "/v1/items" },
): [CorpusLine, CorpusLine] {
  return [
    { id: `${id}:query`, class: cls, method: "GET", path: paths.query, query: `${param}=${encoded}` },
    {
      id: `${id}:body`,
      class: cls,
      method: "POST",
      path: paths.form,
      contentType: "application/x-www-form-urlencoded",
      body: `${param}=${encoded}`,
    },
  ];
}

const BENIGN_COUNT = 10_000;
const BENIGN_SEED = 20_250_101;

/** 10,000 everyday requests from `sources/benign.ts` (seeded: the same every run), class `ordinary`. */
export function generatedBenign(): CorpusLine[] {
  return benignRequests(BENIGN_COUNT, BENIGN_SEED).map((r, i): CorpusLine => ({
    id: `benign-${String(i + 1).padStart(5, "0")}`,
    class: "ordinary",
    ...r,
  }));
}

/** The committed JSON-lines files plus the generated everyday requests. */
export function readCorpus(dir = CORPUS_DIR): CorpusLine[] {
  const lines: CorpusLine[] = generatedBenign();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".jsonl"))
    .sort()) {
    for (const line of readFileSync(join(dir, file), "utf8").split("\n")) {
      if (line.trim() === "") continue;
      const parsed = JSON.parse(line) as CorpusLine;
      // Stale output of an older build-corpus run: generated in memory above.
      if (!parsed.id.startsWith("benign-")) lines.push(parsed);
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
    url: `https://${c.host ?? "edge.example"}${c.path}${c.query ? `?${c.query}` : ""}`,
    headers,
    visitor: { ip: "203.0.113.10", country: "DE", asn: 64500 },
    body: c.body ?? null,
  };
}
