/**
 * `waf/commix.ts`: how a checkout of commix (its settings, payload functions and tamper scripts,
 * run by python3) becomes requests for `npm run waf:eval -- --commix PATH`: a made-up checkout
 * whose modules have commix's names and a few of its behaviours.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formDecode, loadCommix } from "../../waf/commix.ts";

const root = mkdtempSync(join(tmpdir(), "commix-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const write = (path: string, text: string) => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
};
for (const pkg of [
  "src",
  "src/utils",
  "src/core",
  "src/core/requests",
  "src/core/tamper",
  "src/core/injections",
  "src/core/injections/controller",
  "src/core/injections/results_based",
  "src/core/injections/results_based/techniques",
  "src/core/injections/results_based/techniques/classic",
  "src/core/injections/results_based/techniques/eval_based",
  "src/core/injections/blind",
  "src/core/injections/blind/techniques",
  "src/core/injections/blind/techniques/time_based",
  "src/core/injections/semiblind",
  "src/core/injections/semiblind/techniques",
  "src/core/injections/semiblind/techniques/file_based",
  "src/core/injections/semiblind/techniques/tempfile_based",
])
  write(`${pkg}/__init__.py`, "");
write(
  "src/utils/settings.py",
  `print("banner that must not reach the loader's JSON")
class OS(object):
  UNIX = "unix"
  WINDOWS = "windows"
TARGET_OS = OS.UNIX
WAF_ENABLED = False
TESTABLE_VALUE = ""
SINGLE_WHITESPACE = " "
WHITESPACES = ["%20"]
CMD_SUB_PREFIX = "$("
CMD_SUB_SUFFIX = ")"
MULTI_ENCODED_PAYLOAD = []
SEPARATORS_LVL1 = [";", "%26"]
SEPARATORS_LVL2 = SEPARATORS_LVL3 = SEPARATORS_LVL1 + ["%0a"]
PREFIXES_LVL1 = [""]
PREFIXES_LVL2 = PREFIXES_LVL3 = PREFIXES_LVL1 + SEPARATORS_LVL1 + ["'"]
SUFFIXES_LVL1 = [""]
SUFFIXES_LVL2 = SUFFIXES_LVL3 = SUFFIXES_LVL1 + ["%23"]
EVAL_SEPARATORS_LVL1 = EVAL_SEPARATORS_LVL2 = EVAL_SEPARATORS_LVL3 = [""]
EVAL_PREFIXES_LVL1 = EVAL_PREFIXES_LVL2 = EVAL_PREFIXES_LVL3 = ["."]
EVAL_SUFFIXES_LVL1 = EVAL_SUFFIXES_LVL2 = EVAL_SUFFIXES_LVL3 = [""]
JUNK_COMBINATION = [a + b for a in SEPARATORS_LVL3 for b in SEPARATORS_LVL3]
`,
);
write(
  "src/core/requests/parameters.py",
  `from src.utils import settings
def prefixes(payload, prefix):
  return settings.TESTABLE_VALUE + prefix + payload, prefix
def suffixes(payload, suffix):
  return payload + suffix, suffix
`,
);
write(
  "src/core/injections/controller/checks.py",
  `import importlib
from src.utils import settings
def perform_payload_modification(payload):
  for name in settings.MULTI_ENCODED_PAYLOAD:
    payload = importlib.import_module("src.core.tamper." + name).tamper(payload)
  return payload
`,
);
const technique = (body: string) =>
  `from src.utils import settings\n${body}\ndef decision_alter_shell(*args):\n  raise UnboundLocalError("no alternative shell here")\n`;
write(
  "src/core/injections/results_based/techniques/classic/cb_payloads.py",
  technique(`def decision(separator, TAG, a, b):
  if settings.TARGET_OS == settings.OS.WINDOWS:
    return separator + "echo " + TAG + TAG
  calc = settings.CMD_SUB_PREFIX + "expr " + str(a) + " %2B " + str(b) + settings.CMD_SUB_SUFFIX if settings.WAF_ENABLED else "$((" + str(a) + "%2B" + str(b) + "))"
  return separator + "echo " + TAG + calc + TAG`),
);
write(
  "src/core/injections/results_based/techniques/eval_based/eb_payloads.py",
  technique(`def decision(separator, TAG, a, b):
  return "print(" + TAG + ")" + separator`),
);
write(
  "src/core/injections/blind/techniques/time_based/tb_payloads.py",
  technique(`def decision(separator, TAG, output_length, timesec, method):
  if separator == ";":
    payload = separator + "sleep " + str(timesec)
  return payload`),
);
write(
  "src/core/injections/semiblind/techniques/file_based/fb_payloads.py",
  technique(`def decision(separator, TAG, out_file):
  return separator + "echo " + TAG + " > " + out_file`),
);
write(
  "src/core/injections/semiblind/techniques/tempfile_based/tfb_payloads.py",
  technique(`def decision(separator, j, TAG, out_file, timesec, method):
  raise UnboundLocalError("no payload for any separator")`),
);
write("src/core/tamper/__init__.py", "");
write(
  "src/core/tamper/backticks.py",
  `from src.utils import settings
def tamper(payload):
  settings.CMD_SUB_PREFIX = settings.CMD_SUB_SUFFIX = "\`"
  return payload`,
);
write(
  "src/core/tamper/space2ifs.py",
  `from src.utils import settings
def tamper(payload):
  if settings.TARGET_OS != settings.OS.WINDOWS:
    settings.WHITESPACES[0] = "\${IFS}"
  return payload`,
);
write(
  "src/core/tamper/multiplespaces.py",
  `from src.utils import settings
def tamper(payload):
  settings.WHITESPACES[0] = settings.WHITESPACES[0] * 3
  return payload`,
);
write("src/core/tamper/broken.py", "raise ImportError('missing module')\n");

describe("loadCommix", () => {
  const run = (level: number) => {
    const { lines, failed } = loadCommix(root, level);
    const values = (cls: string) =>
      lines.filter((l) => l.class === cls && l.id.endsWith(":query")).map((l) => decodeURIComponent(l.query!.slice(2)));
    return { lines, failed, values };
  };

  it("builds each technique's payload per separator after the parameter's value, decoded as a server decodes it", () => {
    const { values, failed } = run(1);
    expect(failed).toEqual(["broken: ImportError"]);
    const tag = /^1;echo ([A-Z]{6})\$\(\(47\+35\)\)\1$/;
    expect(values("commix-classic-unix")).toEqual([
      expect.stringMatching(tag),
      expect.stringMatching(/^1&echo ([A-Z]{6})\$\(\(47\+35\)\)\1$/),
    ]);
    expect(values("commix-classic-windows")).toEqual([
      expect.stringMatching(/^1;echo ([A-Z]{6})\1$/),
      expect.stringMatching(/^1&echo ([A-Z]{6})\1$/),
    ]);
    // A separator a technique has no payload for is not sent; a technique with none sends nothing.
    expect(values("commix-time-unix")).toEqual(["1;sleep 1"]);
    expect(values("commix-tempfile-unix")).toEqual([]);
    expect(values("commix-eval-unix")).toEqual([expect.stringMatching(/^1\.print\([A-Z]{6}\)$/)]);
  });

  it("adds what a WAF-aware run changes, and each tamper script's payloads that differ from the plain run's", () => {
    const { values } = run(1);
    expect(values("commix-classic-unix-waf")).toContainEqual(
      expect.stringMatching(/^1;echo ([A-Z]{6})\$\(expr 47 \+ 35\)\1$/),
    );
    // The WAF flag does not change Windows payloads: nothing sent twice under another class.
    expect(values("commix-classic-windows-waf")).toEqual([]);
    // backticks: later payloads are built with them (the script changes settings, not the payload).
    expect(values("commix-tamper-backticks")).toEqual([]);
    expect(values("commix-tamper-space2ifs")).toContainEqual(expect.stringMatching(/^1;echo\$\{IFS\}[A-Z]{6}/));
    // Windows payloads keep their spaces under space2ifs: the same as the plain run, so not sent again.
    expect(values("commix-tamper-space2ifs").some((v) => v.startsWith("1;echo "))).toBe(false);
    // multiplespaces lengthens the spaces once per request, not once per request of the whole run.
    expect(values("commix-tamper-multiplespaces")).toContainEqual(expect.stringMatching(/^1;echo {3}[A-Z]{6}/));
  });

  it("at a higher level adds its prefixes and suffixes, drops a separator doubled by a prefix, keeps tampers at level 1", () => {
    const one = run(1);
    const three = run(3);
    const classic = three.values("commix-classic-unix");
    expect(classic).toContainEqual(expect.stringMatching(/^1';echo [A-Z]{6}\$\(\(47\+35\)\)[A-Z]{6}#$/));
    expect(classic).toContainEqual(expect.stringMatching(/^1\necho /));
    // `;` as a prefix before `;` as the separator is no combination commix sends: the prefix is dropped.
    expect(classic.some((v) => v.startsWith("1;;"))).toBe(false);
    expect(new Set(classic).size).toBe(classic.length);
    expect(three.lines.filter((l) => l.class === "commix-classic-unix").every((l) => l.level >= 1)).toBe(true);
    expect(three.lines.find((l) => l.query?.includes("%0A"))?.level).toBe(2);
    expect(three.values("commix-tamper-space2ifs")).toEqual(one.values("commix-tamper-space2ifs"));
    const form = three.lines.find((l) => l.id.endsWith(":body"))!;
    expect(form).toMatchObject({ method: "POST", contentType: "application/x-www-form-urlencoded" });
    expect(form.body).toMatch(/^q=1%3Becho%20/);
  });
});

describe("formDecode", () => {
  it("reads `+` as a space and `%XX` as a byte, keeps a `%` that escapes nothing", () => {
    expect(formDecode("a+b%2Bc%0a%i%%41")).toBe("a b+c\n%i%A");
    expect(formDecode("%C3%A9")).toBe("é");
  });
});

describe("loadCommix without commix", () => {
  it("fails with a message naming python3, not a stack from JSON.parse", () => {
    const empty = mkdtempSync(join(tmpdir(), "commix-empty-"));
    try {
      expect(() => loadCommix(empty, 1)).toThrow(/python3 could not run commix's payload code/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
