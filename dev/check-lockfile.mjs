// @ts-check
/**
 * Lock-file check, run by `.ci/run` before `npm install`: every package in package-lock.json
 * comes from https://registry.npmjs.org/ and carries a sha512 `integrity`, so an install can
 * fetch nothing from elsewhere and nothing unverified.
 *
 *   node dev/check-lockfile.mjs [package-lock.json] [--registry URL]
 *
 * Plain JavaScript (type-checked by tsc through `// @ts-check`), not TypeScript: it runs before
 * `npm install`, on whatever Node is on the PATH (CI has Node 20, which cannot run .ts files;
 * the project's Node 22 arrives with the install).
 *
 * Entries without `resolved` are fetched by name from the registry npm is configured with (npm
 * leaves `resolved` out with `omit-lockfile-registry-resolved`), so for those `--registry`
 * (what `npm config get registry` says) must be the npm registry as well.
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

export const NPM_REGISTRY = "https://registry.npmjs.org/";

/** One or more `sha512-<base64 of 64 bytes>` hashes (npm may list several, space-separated). */
const INTEGRITY = /^sha512-[A-Za-z0-9+/]{86}==(?: sha512-[A-Za-z0-9+/]{86}==)*$/;

/**
 * Whether `url` is a tarball on the npm registry: https, exactly that host, no credentials, no
 * port, under its root path.
 * @param {string} url
 */
export function isRegistryTarball(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return (
    u.protocol === "https:" &&
    u.hostname === "registry.npmjs.org" &&
    u.port === "" &&
    u.username === "" &&
    u.password === "" &&
    url.startsWith(NPM_REGISTRY)
  );
}

/**
 * The problems of a parsed package-lock.json (lockfile v2 or v3); empty when it is fine.
 * @param {unknown} lock
 * @param {{ registry?: string }} [options] `registry`: the registry npm is configured with
 * @returns {string[]}
 */
export function lockfileProblems(lock, options = {}) {
  if (typeof lock !== "object" || lock === null || Array.isArray(lock)) return ["not a JSON object"];
  const { lockfileVersion, packages } = /** @type {{ lockfileVersion?: unknown, packages?: unknown }} */ (lock);
  if (typeof lockfileVersion !== "number" || lockfileVersion < 2)
    return [`lockfileVersion ${String(lockfileVersion)}: needs 2 or 3 (npm 7 or later)`];
  if (typeof packages !== "object" || packages === null) return ['no "packages" section'];
  const problems = [];
  let byName = 0;
  for (const [path, value] of Object.entries(packages)) {
    if (path === "") continue; // the project itself
    const entry =
      /** @type {{ resolved?: unknown, integrity?: unknown, version?: unknown, link?: unknown, inBundle?: unknown }} */ (
        value ?? {}
      );
    // Shipped inside its parent's tarball: covered by the parent's integrity.
    if (entry.inBundle === true) continue;
    if (entry.link === true) {
      // A symlink to a local folder (workspaces): this project has none.
      problems.push(`${path}: a link to ${String(entry.resolved)} (no local or workspace packages expected)`);
      continue;
    }
    if (entry.resolved === undefined) {
      byName++;
      if (typeof entry.version !== "string" || !/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?$/.test(entry.version)) {
        problems.push(`${path}: no "resolved" and no exact registry version (${String(entry.version)})`);
      }
    } else if (typeof entry.resolved !== "string" || !isRegistryTarball(entry.resolved)) {
      // oxlint-disable-next-line typescript/no-base-to-string -- a malformed entry is shown as it comes
      problems.push(`${path}: resolved from ${String(entry.resolved)}, not from ${NPM_REGISTRY}`);
    }
    if (typeof entry.integrity !== "string") problems.push(`${path}: no "integrity"`);
    else if (!INTEGRITY.test(entry.integrity))
      problems.push(`${path}: integrity is not sha512 (${entry.integrity.split("-")[0]})`);
  }
  if (byName > 0 && options.registry !== undefined && options.registry.replace(/\/?$/, "/") !== NPM_REGISTRY) {
    problems.push(
      `${byName} packages have no "resolved" and would come from the configured registry ${options.registry}, not ${NPM_REGISTRY}`,
    );
  }
  return problems;
}

/** @param {string[]} args */
function main(args) {
  const at = args.indexOf("--registry");
  const registry = at >= 0 ? args[at + 1] : undefined;
  const file = args.find((a, i) => !a.startsWith("--") && (at < 0 || i !== at + 1)) ?? "package-lock.json";
  let lock;
  try {
    lock = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    console.error(`check-lockfile: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  const problems = lockfileProblems(lock, registry === undefined ? {} : { registry });
  if (problems.length > 0) {
    for (const p of problems.slice(0, 50)) console.error(`  ${p}`);
    if (problems.length > 50) console.error(`  … and ${problems.length - 50} more`);
    console.error(
      `check-lockfile: ${file} has ${problems.length} problem${problems.length === 1 ? "" : "s"}: every package must come from ${NPM_REGISTRY} with a sha512 integrity.`,
    );
    process.exit(1);
  }
  const count = Object.keys(/** @type {{ packages: object }} */ (lock).packages).length - 1;
  console.log(`check-lockfile: ${file}: ${count} packages, all from ${NPM_REGISTRY} with sha512 integrity`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  main(process.argv.slice(2));
