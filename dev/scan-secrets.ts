/**
 * Secret scan of the tracked files (`git ls-files`), run by `.ci/run`: private-key PEM blocks,
 * provider tokens with a recognisable shape (AWS, GitHub, Slack, OpenAI, Stripe, Google, npm)
 * and high-entropy literals assigned to names like `*secret*`, `*token*`, `*password*`.
 *
 *   node dev/scan-secrets.ts [repo]   # exit 1 and one line per finding when something is found
 *
 * A finding prints the file, line, rule and a fingerprint (the first 16 hex digits of the
 * SHA-256 of the matched text), never the secret itself. A committed secret is rotated, not
 * allowlisted; a value that only looks like one (a fixture that is no credential anywhere) goes
 * into `ALLOWLIST` with its fingerprint and the reason.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export interface Rule {
  id: string;
  description: string;
  /** Global regex; the secret is capture group `group` (default: the whole match). */
  pattern: RegExp;
  group?: number;
  /** Further test of the captured text (e.g. its entropy); absent: every match counts. */
  accept?: (secret: string) => boolean;
}

export interface Finding {
  path: string;
  line: number;
  rule: string;
  fingerprint: string;
  /** The secret's first characters and its length: enough to find it, not enough to use it. */
  hint: string;
}

export interface AllowEntry {
  path: string;
  rule: string;
  /** One value; absent: every finding of `rule` in `path` (only for generated fixture data). */
  fingerprint?: string;
  reason: string;
}

/** Shannon entropy in bits per character. */
export function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Looks like a credential rather than a word, a path, a placeholder or an identifier. */
function randomLooking(value: string): boolean {
  if (value.length < 20) return false;
  if (/^(?:x+|\*+|\.+|-+)$/i.test(value) || /^(?:your|my|example|changeme|placeholder|replace)/i.test(value))
    return false;
  // Identifiers, paths and dotted names (`process.env.FOO`, `/v1/rooms/demo`) are not secrets.
  if (/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/.test(value) || /^[\w.-]*\//.test(value)) return false;
  // Words joined by dashes or underscores (`short-secret-31-bytes-long`) are chosen, not random.
  if (/^[a-z0-9]{1,10}(?:[-_][a-z0-9]{1,10}){2,}$/.test(value)) return false;
  const classes = [/[a-z]/, /[A-Z]/, /\d/].filter((re) => re.test(value)).length;
  const hex = /^[0-9a-f]+$/i.test(value);
  if (hex) return value.length >= 32 && entropy(value) >= 3;
  return classes >= 2 && /\d/.test(value) && entropy(value) >= 3.5;
}

/** Names whose values are credentials. */
const SECRET_NAME = String.raw`[A-Za-z0-9_.-]*(?:secret|token|passw(?:or)?d|passwd|api[_-]?key|private[_-]?key|access[_-]?key|auth[_-]?key|credential)[A-Za-z0-9_]*`;

export const RULES: Rule[] = [
  {
    id: "private-key",
    description: "PEM private key block",
    pattern: /-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----/g,
  },
  { id: "aws-access-key-id", description: "AWS access key id", pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g },
  {
    id: "aws-secret-access-key",
    description: "AWS secret access key",
    pattern: /aws_?secret_?access_?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})\b/gi,
    group: 1,
  },
  {
    id: "github-token",
    description: "GitHub token",
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{60,255})\b/g,
  },
  { id: "slack-token", description: "Slack token", pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  {
    id: "slack-webhook",
    description: "Slack webhook URL",
    pattern: /https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]{16,}/g,
  },
  {
    id: "openai-key",
    description: "OpenAI API key",
    pattern: /\bsk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})\b/g,
  },
  {
    id: "stripe-key",
    description: "Stripe secret or restricted key",
    pattern: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b/g,
  },
  { id: "stripe-webhook-secret", description: "Stripe webhook signing secret", pattern: /\bwhsec_[A-Za-z0-9]{32,}\b/g },
  { id: "google-api-key", description: "Google API key", pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { id: "npm-token", description: "npm access token", pattern: /\bnpm_[A-Za-z0-9]{36}\b/g },
  {
    id: "secret-assignment",
    description: "high-entropy literal assigned to a secret-like name",
    // `name: "value"`, `name = 'value'`, `"name": "value"`, `NAME=value` (dotenv, TOML, YAML).
    pattern: new RegExp(
      String.raw`(?:^|[^A-Za-z0-9_])${SECRET_NAME}["']?\s*[:=]\s*(?:["'\x60]([^"'\x60\s]{20,})["'\x60]|([A-Za-z0-9+/=_.~-]{20,})\s*$)`,
      "gim",
    ),
    group: -1,
    accept: randomLooking,
  },
];

/**
 * Values that look like secrets and are none, each with why. Nothing here is a credential for
 * any service: keep it that way (a real secret is rotated and removed, not listed here).
 */
export const ALLOWLIST: AllowEntry[] = [
  {
    // A false-positive test of the security filter: the PEM header line as dotenv's README shows
    // it in a .env example, with no key after it.
    path: "test/workers/waf-sqli.test.ts",
    rule: "private-key",
    fingerprint: "8bcac7908eb95041",
    reason: "a PEM header line alone (no key material) from a README, as posted text",
  },
  {
    // `npm run waf:corpus` writes it from a fixed seed (waf/sources/benign.ts): made-up CSRF
    // tokens (`x-csrf-token`) of synthetic browser requests, for the false-positive evaluation.
    path: "waf/corpus/ordinary-code.jsonl",
    rule: "secret-assignment",
    reason: "generated synthetic request headers, no credential of anything",
  },
  {
    // A payment body for the filter benchmark: a made-up card token in Stripe's `tok_` style.
    path: "bench/filter-cost.ts",
    rule: "secret-assignment",
    fingerprint: "57b56d3afd799199",
    reason: "made-up card token in a benchmark request body",
  },
  {
    // Webhook signature test vectors (test/workers/webhooks-signing.test.ts says how they were derived).
    path: "test/workers/webhooks-signing.test.ts",
    rule: "stripe-webhook-secret",
    fingerprint: "4985c78f5d13ab96",
    reason: "a test key made of the bytes 00..1f (the rotation vector)",
  },
  {
    // Webhook signature test vectors (test/workers/webhooks-signing.test.ts says how they were derived).
    path: "test/workers/webhooks-signing.test.ts",
    rule: "stripe-webhook-secret",
    fingerprint: "96ad2ccd81462a76",
    reason: "the Standard Webhooks specification's published example secret (its signature test vector)",
  },
  {
    // Webhook signature test vectors (test/workers/webhooks-signing.test.ts says how they were derived).
    path: "test/workers/webhooks-signing.test.ts",
    rule: "secret-assignment",
    fingerprint: "96ad2ccd81462a76",
    reason: "the Standard Webhooks specification's published example secret (its signature test vector)",
  },
  {
    // Webhook signature test vectors (test/workers/webhooks-signing.test.ts says how they were derived).
    path: "test/workers/webhooks-signing.test.ts",
    rule: "secret-assignment",
    fingerprint: "5036e1435aa9756c",
    reason: "a test key made of the bytes 00..1f (the rotation vector)",
  },
];

export function fingerprint(secret: string): string {
  return createHash("sha256").update(secret).digest("hex").slice(0, 16);
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < index; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

/** The findings in one file's text. */
export function scanText(path: string, text: string, rules: Rule[] = RULES): Finding[] {
  const findings: Finding[] = [];
  for (const rule of rules) {
    for (const m of text.matchAll(rule.pattern)) {
      // group -1: the first capture group that matched (alternative value syntaxes).
      const secret = rule.group === -1 ? m.slice(1).find((g) => g !== undefined) : m[rule.group ?? 0];
      if (secret === undefined || (rule.accept && !rule.accept(secret))) continue;
      findings.push({
        path,
        line: lineAt(text, m.index + m[0].indexOf(secret)),
        rule: rule.id,
        fingerprint: fingerprint(secret),
        hint: `${secret.slice(0, 4)}… (${secret.length} characters)`,
      });
    }
  }
  return findings;
}

export interface ScanResult {
  findings: Finding[];
  allowed: Finding[];
  /** Allowlist entries that matched nothing (stale: remove them). */
  unused: AllowEntry[];
  files: number;
}

const isAllowed = (f: Finding, a: AllowEntry) =>
  a.path === f.path && a.rule === f.rule && (a.fingerprint === undefined || a.fingerprint === f.fingerprint);

/** Scans files (paths relative to `root`); binary files are skipped. */
export function scanFiles(root: string, paths: string[], allowlist: AllowEntry[] = ALLOWLIST): ScanResult {
  const findings: Finding[] = [];
  const allowed: Finding[] = [];
  let files = 0;
  for (const path of paths) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(root, path));
    } catch {
      continue; // deleted in the work tree, or a submodule
    }
    if (bytes.subarray(0, 8192).includes(0)) continue;
    files++;
    for (const f of scanText(path, bytes.toString("utf8")))
      (allowlist.some((a) => isAllowed(f, a)) ? allowed : findings).push(f);
  }
  const unused = allowlist.filter((a) => !allowed.some((f) => isAllowed(f, a)));
  return { findings, allowed, unused, files };
}

export function trackedFiles(root: string): string[] {
  return execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })
    .split("\0")
    .filter(Boolean);
}

function main(args: string[]): void {
  // Default: this repository, with its allowlist (a test passes another one).
  const root = args[0] ?? fileURLToPath(new URL("..", import.meta.url));
  const { findings, allowed, unused, files } = scanFiles(
    root,
    trackedFiles(root),
    args[0] === undefined ? ALLOWLIST : [],
  );
  for (const a of unused)
    console.error(
      `scan-secrets: allowlist entry matches nothing (remove it): ${a.path} ${a.rule} ${a.fingerprint ?? "(whole file)"}`,
    );
  if (findings.length > 0) {
    for (const f of findings) console.error(`${f.path}:${f.line}: ${f.rule} ${f.fingerprint} ${f.hint}`);
    console.error(
      `scan-secrets: ${findings.length} possible secret${findings.length === 1 ? "" : "s"} in tracked files. ` +
        "Remove and rotate real ones; a harmless fixture goes into ALLOWLIST in dev/scan-secrets.ts with its fingerprint and why.",
    );
    process.exit(1);
  }
  if (unused.length > 0) process.exit(1);
  console.log(
    `scan-secrets: ${files} tracked files, no secrets (${allowed.length} allowlisted fixture${allowed.length === 1 ? "" : "s"})`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  main(process.argv.slice(2));
