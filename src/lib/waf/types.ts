/**
 * Shared shapes of the security filter: what it inspects, what a detector finds and what the
 * filter decides.
 */
import type { attackClasses, EdgeConfigDocument } from "../config/schema.ts";

export type SecurityConfig = EdgeConfigDocument["security"];

/** Payload attack classes (what the detectors look for). */
export type AttackClass = (typeof attackClasses)[number];

/** Every class a decision can carry: payload classes plus the rule families before them. */
export type WafClass = AttackClass | "network" | "user-agent" | "scanner" | "protocol" | "custom";

export type WafAction = "allow" | "block" | "log";

/**
 * Values longer than this are long texts (a post, a comment, a prompt): inspected without their
 * inner sentences (`withoutProse`), scored by their strongest finding, and read as the documents
 * they are where markdown or code line breaks would otherwise look like payload syntax.
 */
export const CONDENSE_MIN = 256;
/** A score at or above this blocks (a finding below it is recorded, not acted on). */
export const BLOCK_SCORE = 5;

export interface WafMatch {
  ruleId: string;
  class: WafClass;
  score: number;
  /** Where it was found, e.g. `query:q`, `body:user.name`, `header:user-agent` (names only, never values). */
  part: string;
  /** `ruleActions` put this rule in `log` mode: recorded, not counted. */
  logOnly?: boolean;
}

export interface WafDecision {
  action: WafAction;
  ruleId?: string;
  class?: WafClass;
  score?: number;
  part?: string;
  /** `mode: "log"`: the request would have been blocked in `block` mode. */
  wouldBlock?: boolean;
  /** The request's anomaly score: the sum of the counted findings' scores (one per rule id). */
  anomalyScore?: number;
  /** Rule ids that counted toward the decision, strongest first. */
  ruleIds?: string[];
  /** A short, sanitized excerpt of the value that decided (never of credentials). */
  excerpt?: string;
  /** The body was longer than `security.inspectBodyBytes`: only its start was inspected. */
  bodyOverflow?: boolean;
  /** The filter failed internally (a bug): the decision came from `security.onError`. */
  error?: string;
  matches: WafMatch[];
}

/** The visitor fields the network rules read (`c.get("visitor")` has them). */
export interface WafVisitor {
  ip: string | null;
  country: string | null;
  asn: number | null;
}

export interface WafRequest {
  method: string;
  /** The request URL as received: absolute (`https://host/p?q`) or origin-form (`/p?q`). */
  url: string;
  headers: Headers;
  visitor: WafVisitor;
  /**
   * The start of the body (at most `security.maxBodyBytes`) as text, when its content type is
   * inspectable (see `inspectableBody`); null or absent when there is none or it was not read.
   */
  body?: string | null;
  /**
   * `body` already parsed as JSON by the caller (the whole body, valid JSON): inspected instead
   * of parsing the text again.
   */
  json?: { value: unknown };
  /** The body is longer than the part given in `body` (see `security.inspectBodyBytes`). */
  bodyTruncated?: boolean;
}

/** Where a value came from; decides which detectors look at it. */
export type PartKind =
  | "path"
  | "query"
  | "name"
  | "cookie"
  | "user-agent"
  | "referer"
  | "header"
  | "header-light"
  | "body"
  | "xml";

/** One value to inspect. */
export interface Field {
  kind: PartKind;
  /** Parameter / key / cookie / header name the value belongs to (lower case), if any. */
  name: string | null;
  /** Where the value is (`query`, `query-name`, `cookie`, `header`, `body`, `body-key`, `path`, …). */
  where: string;
  /** Its name or key path as sent (`q`, `items.0.title`), for the match's `part` label. */
  key: string | null;
  value: string;
}

/** Called for each value a request is taken apart into; returns true to stop (a blocking finding was made). */
export type Visit = (field: Field) => boolean;

/** What a detector reports for one value: its strongest signal. */
export interface Finding {
  /** Stable rule id, `<class>-<what>` (e.g. `sqli-union-select`): exclusions and `ruleActions` name it. */
  ruleId: string;
  /** Anomaly score: 5 or more blocks on its own at the default threshold; lower scores add up. */
  score: number;
  /** Paranoia level the rule belongs to (default 1): it counts only when `security.paranoiaLevel` >= this. */
  pl?: 1 | 2 | 3 | 4;
}

/** The value as detectors see it, after normalisation. */
export interface Inspected {
  /** Fully decoded text (URL, HTML entities, escapes, NFKC, NULs removed). */
  text: string;
  /** `text` in lower case. */
  lower: string;
  /** The value before the decoding passes (already unwrapped from its container: query, JSON, …). */
  raw: string;
  /** A NUL byte was present (after decoding). */
  hadNull: boolean;
  field: Field;
}

export type Detector = (v: Inspected) => Finding | null;
