/**
 * The secret scanner (`dev/scan-secrets.ts`, run by `.ci/run`): the tracked tree passes, and a
 * planted secret of each kind is found. The planted values are put together at run time, so
 * this file itself holds none of them.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { ALLOWLIST, entropy, fingerprint, scanFiles, scanText, trackedFiles } from "../../dev/scan-secrets.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const node = process.execPath;

/** Deterministic "random" text of `n` characters from `alphabet`. */
function noise(
  n: number,
  alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
  seed = 7,
): string {
  // mulberry32
  let x = seed >>> 0;
  let out = "";
  for (let i = 0; i < n; i++) {
    x = (x + 0x6d2b79f5) >>> 0;
    let t = Math.imul(x ^ (x >>> 15), x | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out += alphabet[((t ^ (t >>> 14)) >>> 0) % alphabet.length];
  }
  return out;
}
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

const planted: Array<[rule: string, text: string]> = [
  ["private-key", `const pem = \`-----BEGIN ${"RSA "}PRIVATE KEY-----\nMIIEow...\n-----END RSA PRIVATE KEY-----\`;`],
  ["private-key", `-----BEGIN ${"OPENSSH "}PRIVATE KEY-----`],
  ["aws-access-key-id", `aws_access_key_id = ${"AKIA"}${noise(16, UPPER)}`],
  [
    "aws-secret-access-key",
    `aws_secret_access_key = ${noise(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+")}`,
  ],
  ["github-token", `GITHUB_TOKEN: ${"ghp_"}${noise(36)}`],
  [
    "github-token",
    `token = "${"github_pat_"}${noise(82, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")}"`,
  ],
  ["slack-token", `const slack = "${"xoxb-"}${noise(12, "0123456789")}-${noise(24)}";`],
  ["slack-webhook", `url: ${"https://hooks.slack.com/services/"}T${noise(8, UPPER)}/B${noise(8, UPPER)}/${noise(24)}`],
  ["openai-key", `OPENAI_API_KEY=${"sk-proj-"}${noise(48)}`],
  ["openai-key", `key: "${"sk-"}${noise(20)}${"T3BlbkFJ"}${noise(20)}"`],
  ["stripe-key", `stripe(${JSON.stringify(`${"sk_live_"}${noise(24)}`)})`],
  ["stripe-webhook-secret", `STRIPE_WEBHOOK=${"whsec_"}${noise(32)}`],
  ["google-api-key", `"${"AIza"}${noise(35)}"`],
  ["npm-token", `//registry.npmjs.org/:_authToken=${"npm_"}${noise(36)}`],
  ["secret-assignment", `const clientSecret = "${noise(32)}";`],
  ["secret-assignment", `{"db_password": "${noise(24)}"}`],
  ["secret-assignment", `UPSTASH_REDIS_REST_TOKEN=${noise(44)}`],
  ["secret-assignment", `  api_key: ${noise(30)}`],
  ["secret-assignment", `const hmacSecret = '${noise(64, "0123456789abcdef")}'`],
];

describe("dev/scan-secrets", () => {
  it("passes the tracked tree, and every allowlist entry still matches something", () => {
    const result = scanFiles(root, trackedFiles(root));
    expect(result.findings).toEqual([]);
    expect(result.unused).toEqual([]);
    expect(result.files).toBeGreaterThan(100);
    for (const entry of ALLOWLIST) expect(entry.reason.length).toBeGreaterThan(10);
  });

  it.each(planted)("finds a planted %s", (rule, text) => {
    const findings = scanText("planted.ts", `// line 1\n\n${text}\n`);
    expect(findings.map((f) => f.rule)).toContain(rule);
    const finding = findings.find((f) => f.rule === rule)!;
    expect(finding.line).toBe(3);
    expect(finding.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it("ignores what only looks like a secret: names, placeholders, words, short or low-entropy values", () => {
    const harmless = [
      "const token = bearerToken(c) ?? offered.token;",
      'UPSTASH_REDIS_REST_TOKEN: "dev-upstash-token"',
      "JWT_HS256_SECRET=",
      'password: "correct-horse-battery-staple"',
      'const secret = "short-secret-31-bytes-long-xxxx";',
      "apiKey: process.env.ORIGIN_AI_KEY_FROM_SOMEWHERE_ELSE",
      'secretName: "your-api-key-goes-here-please"',
      'token: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"',
      'const tokenPath = "/v1/rooms/demo/tickets/abcdef";',
      "access_token: z.string().optional()",
      "AKIA is how AWS key ids start",
    ];
    for (const text of harmless) expect(scanText("harmless.ts", text), text).toEqual([]);
  });

  it("never prints the secret: the hint is its first four characters and its length", () => {
    const secret = `${"ghp_"}${noise(36)}`;
    const [finding] = scanText("a.ts", `t = ${secret}`);
    expect(finding!.hint).toBe(`ghp_… (${secret.length} characters)`);
    expect(JSON.stringify(finding)).not.toContain(secret.slice(4));
    expect(finding!.fingerprint).toBe(fingerprint(secret));
  });

  it("allowlists by path, rule and fingerprint (or the whole file for one rule)", () => {
    const secret = noise(32);
    const text = `const clientSecret = "${secret}";`;
    const dir = mkdtempSync(join(tmpdir(), "scan-secrets-"));
    try {
      writeFileSync(join(dir, "fixture.ts"), text);
      const exact = {
        path: "fixture.ts",
        rule: "secret-assignment",
        fingerprint: fingerprint(secret),
        reason: "a test fixture",
      };
      expect(scanFiles(dir, ["fixture.ts"], [exact]).findings).toEqual([]);
      expect(scanFiles(dir, ["fixture.ts"], [{ ...exact, fingerprint: undefined }]).findings).toEqual([]);
      expect(scanFiles(dir, ["fixture.ts"], [{ ...exact, fingerprint: "0000000000000000" }]).findings).toHaveLength(1);
      expect(scanFiles(dir, ["fixture.ts"], [{ ...exact, path: "other.ts" }]).unused).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("entropy: bits per character", () => {
    expect(entropy("aaaa")).toBe(0);
    expect(entropy("abcd")).toBe(2);
  });

  describe("the command", () => {
    const repo = mkdtempSync(join(tmpdir(), "scan-secrets-repo-"));
    afterAll(() => rmSync(repo, { recursive: true, force: true }));

    it("exits 1 naming the file, line and rule of a planted secret, without printing it", () => {
      const secret = `${"AKIA"}${noise(16, UPPER, 11)}`;
      execFileSync("git", ["init", "-q"], { cwd: repo });
      writeFileSync(join(repo, "clean.md"), "# nothing to see\n");
      writeFileSync(join(repo, "config.ini"), `[aws]\nkey = ${secret}\n`);
      execFileSync("git", ["add", "."], { cwd: repo });
      const run = spawnSync(node, [join(root, "dev/scan-secrets.ts"), repo], { encoding: "utf8" });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain("config.ini:2: aws-access-key-id");
      expect(run.stderr).toContain("1 possible secret in tracked files");
      expect(run.stderr + run.stdout).not.toContain(secret);
    });

    it("exits 0 on this repository", () => {
      const run = spawnSync(node, [join(root, "dev/scan-secrets.ts")], { encoding: "utf8" });
      expect(run.stderr).toBe("");
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/^scan-secrets: \d+ tracked files, no secrets/);
    });
  });
});
