/**
 * The traversal patterns of the DotDotPwn fuzzer (`git clone https://github.com/wireghoul/dotdotpwn`,
 * GPL-3.0; its own traversal engine runs at run time from the checkout, `perl dotdotpwn.pl -m
 * stdout`, nothing of it is committed): every pattern for a Unix target (`/etc/passwd`, depth 6),
 * a Windows target (`windows/win.ini`, depth 6) and a Unix target behind an appended extension
 * (`-e .php`, depth 4), each as it sends them (already URL-encoded: `..%c0%af`, `%252e%252e/`,
 * `..%00/`): in the path, as its `http` module does, and as a query value, as its `http-url`
 * module does with a URL such as `…?file=TRAVERSAL`. Class `dotdotpwn-<target>`.
 *
 * Needs perl (Debian's `perl`, which its FTP and TFTP modules' `Net::FTP` and `Time::HiRes` come with).
 */
import { spawnSync } from "node:child_process";
import type { CorpusLine } from "./corpus.ts";

const RUNS: Array<[string, string[]]> = [
  ["unix", ["-d", "6", "-f", "/etc/passwd", "-o", "unix"]],
  ["windows", ["-d", "6", "-f", "windows/win.ini", "-o", "windows"]],
  ["unix-extension", ["-d", "4", "-f", "/etc/passwd", "-o", "unix", "-e", ".php"]],
];

export function loadDotDotPwn(root: string): CorpusLine[] {
  const lines: CorpusLine[] = [];
  for (const [target, args] of RUNS) {
    const run = spawnSync("perl", ["dotdotpwn.pl", "-m", "stdout", "-q", ...args], {
      cwd: root,
      maxBuffer: 1 << 28,
    });
    const patterns = String(run.stdout)
      .split("\n")
      .filter((l) => l !== "" && !/\s/.test(l));
    if (run.status !== 0 || patterns.length === 0)
      throw new Error(`perl could not run dotdotpwn.pl in ${root}: ${String(run.stderr).slice(-400)}`);
    const cls = `dotdotpwn-${target}`;
    for (const [i, p] of [...new Set(patterns)].entries()) {
      const id = `dotdotpwn:${target}:${i + 1}`;
      lines.push({ id: `${id}:path`, class: cls, method: "GET", path: `/${p}` });
      lines.push({ id: `${id}:query`, class: cls, method: "GET", path: "/v1/files", query: `file=${p}` });
    }
  }
  return lines;
}
