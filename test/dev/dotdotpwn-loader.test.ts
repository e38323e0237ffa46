/**
 * `waf/dotdotpwn.ts`: how a checkout of DotDotPwn (its `dotdotpwn.pl`, run by perl in stdout mode)
 * becomes requests for `npm run waf:eval -- --dotdotpwn PATH`: a made-up `dotdotpwn.pl` that
 * prints patterns from the options it is given, as the real one's traversal engine does.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadDotDotPwn } from "../../waf/dotdotpwn.ts";

const root = mkdtempSync(join(tmpdir(), "dotdotpwn-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
writeFileSync(
  join(root, "dotdotpwn.pl"),
  `use Getopt::Std;
getopts("qm:d:f:o:e:");
die "not stdout mode" unless $opt_m eq "stdout";
print "A banner line with spaces\\n" unless $opt_q;
my $sep = $opt_o eq "windows" ? "%5c" : "/";
(my $f = $opt_f) =~ s{^/}{};
for my $d (1 .. $opt_d) {
  print(("..$sep" x $d) . $f . $opt_e . "\\n");
  print(("%2e%2e$sep" x $d) . $f . $opt_e . "\\n");
}
print "../$f$opt_e\\n";
`,
);

describe("loadDotDotPwn", () => {
  const lines = loadDotDotPwn(root);

  it("runs the engine for a Unix, a Windows and an extension target, each pattern once, in the path and a query", () => {
    const unix = lines.filter((l) => l.class === "dotdotpwn-unix");
    expect(unix).toHaveLength(6 * 2 * 2);
    expect(unix[0]).toMatchObject({ method: "GET", path: "/../etc/passwd" });
    expect(unix[1]).toMatchObject({ path: "/v1/files", query: "file=../etc/passwd" });
    const windows = lines.filter((l) => l.class === "dotdotpwn-windows").map((l) => l.query ?? l.path);
    expect(windows).toContain("file=%2e%2e%5c%2e%2e%5cwindows/win.ini");
    const ext = lines.filter((l) => l.class === "dotdotpwn-unix-extension");
    expect(ext).toHaveLength(4 * 2 * 2);
    expect(ext.every((l) => (l.query ?? l.path).endsWith("passwd.php"))).toBe(true);
    expect(lines.some((l) => (l.query ?? l.path).includes(" "))).toBe(false);
  });
});

describe("loadDotDotPwn without DotDotPwn", () => {
  it("fails with a message naming perl and the directory", () => {
    const empty = mkdtempSync(join(tmpdir(), "dotdotpwn-empty-"));
    try {
      expect(() => loadDotDotPwn(empty)).toThrow(/perl could not run dotdotpwn\.pl in/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
