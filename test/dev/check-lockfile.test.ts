/**
 * The lock-file check (`dev/check-lockfile.mjs`, run by `.ci/run` before `npm install`): the
 * committed package-lock.json passes, and each way a package could come from elsewhere or
 * unverified is refused.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { isRegistryTarball, lockfileProblems, NPM_REGISTRY } from "../../dev/check-lockfile.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const lockText = readFileSync(join(root, "package-lock.json"), "utf8");
const INTEGRITY = `sha512-${"A".repeat(86)}==`;

/** A small lock file with one package entry (`over` replaces or adds its fields). */
function lockWith(over: Record<string, unknown>, lockfileVersion = 3) {
  return {
    name: "x",
    lockfileVersion,
    packages: {
      "": { name: "x", dependencies: { hono: "4.13.19" } },
      "node_modules/hono": {
        version: "4.13.19",
        resolved: `${NPM_REGISTRY}hono/-/hono-4.13.19.tgz`,
        integrity: INTEGRITY,
        ...over,
      },
    },
  };
}

describe("dev/check-lockfile", () => {
  it("passes the committed package-lock.json", () => {
    expect(lockfileProblems(JSON.parse(lockText), { registry: NPM_REGISTRY })).toEqual([]);
  });

  it("accepts registry tarballs and entries resolved by name from the npm registry", () => {
    expect(lockfileProblems(lockWith({}))).toEqual([]);
    expect(lockfileProblems(lockWith({ resolved: undefined }), { registry: "https://registry.npmjs.org" })).toEqual([]);
    // Bundled packages are covered by their parent's integrity.
    expect(lockfileProblems(lockWith({ resolved: undefined, integrity: undefined, inBundle: true }))).toEqual([]);
  });

  it.each([
    ["plain http", "http://registry.npmjs.org/hono/-/hono-4.13.19.tgz"],
    ["another host", "https://registry.example.com/hono/-/hono-4.13.19.tgz"],
    ["a look-alike host", "https://registry.npmjs.org.example.com/hono/-/hono-4.13.19.tgz"],
    ["credentials in the URL", "https://user:pass@registry.npmjs.org/hono/-/hono-4.13.19.tgz"],
    ["a port", "https://registry.npmjs.org:8443/hono/-/hono-4.13.19.tgz"],
    ["git", "git+ssh://git@github.com/honojs/hono.git#abc123"],
    ["a local file", "file:../hono"],
  ])("refuses a tarball from %s", (_what, resolved) => {
    expect(isRegistryTarball(resolved)).toBe(false);
    expect(lockfileProblems(lockWith({ resolved }))).toEqual([
      `node_modules/hono: resolved from ${resolved}, not from ${NPM_REGISTRY}`,
    ]);
  });

  it("refuses a missing or weak integrity", () => {
    expect(lockfileProblems(lockWith({ integrity: undefined }))).toEqual(['node_modules/hono: no "integrity"']);
    expect(lockfileProblems(lockWith({ integrity: "sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk=" }))).toEqual([
      "node_modules/hono: integrity is not sha512 (sha1)",
    ]);
  });

  it("refuses links, entries without a registry version, old lock files and another configured registry", () => {
    expect(lockfileProblems(lockWith({ link: true, resolved: "../hono" }))[0]).toMatch(
      /^node_modules\/hono: a link to \.\.\/hono/,
    );
    expect(lockfileProblems(lockWith({ resolved: undefined, version: "github:honojs/hono" }))[0]).toMatch(
      /no exact registry version/,
    );
    expect(lockfileProblems(lockWith({}, 1))).toEqual(["lockfileVersion 1: needs 2 or 3 (npm 7 or later)"]);
    expect(lockfileProblems(lockWith({ resolved: undefined }), { registry: "https://mirror.example.com/" })).toEqual([
      '1 packages have no "resolved" and would come from the configured registry https://mirror.example.com/, not https://registry.npmjs.org/',
    ]);
  });

  it("the command exits 1 with the problems, and 0 on the committed lock file", () => {
    const dir = mkdtempSync(join(tmpdir(), "check-lockfile-"));
    try {
      const bad = join(dir, "package-lock.json");
      writeFileSync(
        bad,
        JSON.stringify(lockWith({ resolved: "https://evil.example.com/hono.tgz", integrity: undefined })),
      );
      const failed = spawnSync(process.execPath, [join(root, "dev/check-lockfile.mjs"), bad], { encoding: "utf8" });
      expect(failed.status).toBe(1);
      expect(failed.stderr).toContain("node_modules/hono: resolved from https://evil.example.com/hono.tgz");
      expect(failed.stderr).toContain("has 2 problems");
      const ok = spawnSync(process.execPath, [join(root, "dev/check-lockfile.mjs"), "--registry", NPM_REGISTRY], {
        cwd: root,
        encoding: "utf8",
      });
      expect(ok.status).toBe(0);
      expect(ok.stdout).toMatch(
        /^check-lockfile: package-lock\.json: \d+ packages, all from https:\/\/registry\.npmjs\.org\//,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
