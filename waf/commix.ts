/**
 * The payloads of the commix command-injection tool (`git clone https://github.com/commixproject/commix`,
 * GPL-3.0; its own code runs at run time from the checkout, nothing of it is committed), as its
 * detection phase sends them: each technique's `decision` payload (classic, eval-based,
 * time-based, file-based, tempfile-based; its Python "alternative shell" too) for Unix and
 * Windows targets, with every separator, prefix and suffix of a run at `--level N`, once as a
 * plain run builds them and once as a run that believes a WAF is in front (commix then writes
 * `$(expr a + b)` instead of `$((a+b))`), and the level-1 set through each of its tamper scripts
 * (`--tamper=NAME`: backticks for `$(…)`, `${IFS}` for spaces, `c''at`, `base64`…). Each is
 * appended to a parameter whose value is `1` (by commix's own code, as it does) and sent as a query value and a form value, decoded
 * as a server decodes what commix writes (`%2B`, `%26`, `%0a`, `+` as a space); class
 * `commix-<technique>-<os>` (`-waf` for a WAF-aware run), `commix-tamper-<name>`.
 *
 * Needs python3 (commix's modules run as commix runs them: its settings, its payload functions,
 * its tamper scripts; the loop that combines them is this file's). A script that fails is
 * reported, not sent. Random choices (the tag, `randomcase`) are seeded: every run is the same.
 */
import { spawnSync } from "node:child_process";
import { type CorpusLine, queryAndForm } from "./corpus.ts";

export interface CommixLine extends CorpusLine {
  /** The lowest `--level` whose run sends it (tampered payloads: 1). */
  level: number;
}

const DRIVER = String.raw`
import sys, os, io, json, copy, random, importlib, types
root, max_level = sys.argv[1], int(sys.argv[2])
sys.path.insert(0, root)
sys.argv = ["commix.py"]
quiet, sys.stdout = sys.stdout, io.StringIO()
from src.utils import settings
from src.core.injections.controller import checks
from src.core.requests import parameters
techniques = {}
for name, path in [("classic", "results_based.techniques.classic.cb_payloads"),
                   ("eval", "results_based.techniques.eval_based.eb_payloads"),
                   ("time", "blind.techniques.time_based.tb_payloads"),
                   ("file", "semiblind.techniques.file_based.fb_payloads"),
                   ("tempfile", "semiblind.techniques.tempfile_based.tfb_payloads")]:
    techniques[name] = importlib.import_module("src.core.injections." + path)
sys.stdout = quiet
snapshot = {k: copy.deepcopy(v) for k, v in vars(settings).items()
            if k.isupper() and isinstance(v, (str, int, float, bool, list, dict, type(None)))}
def reset():
    for k, v in snapshot.items():
        setattr(settings, k, copy.deepcopy(v))

def decision(tech, alter, sep, tag):
    m = techniques[tech]
    f = m.decision_alter_shell if alter else m.decision
    out_file = tag + ".txt"
    if tech in ("classic", "eval"):
        return f(sep, tag, 47, 35)
    if tech == "time":
        return f(sep, tag, len(tag), 1, "GET")
    if tech == "file":
        return f(sep, tag, out_file)
    return f(sep, 1, tag, out_file, 1, "GET")

def lists(tech, level):
    pre = "EVAL_PREFIXES_LVL" if tech == "eval" else "PREFIXES_LVL"
    suf = "EVAL_SUFFIXES_LVL" if tech == "eval" else "SUFFIXES_LVL"
    sep = "EVAL_SEPARATORS_LVL" if tech == "eval" else "SEPARATORS_LVL"
    return (getattr(settings, pre + str(level)), getattr(settings, suf + str(level)), getattr(settings, sep + str(level)))

out = []
failed = []
tampers = sorted(f[:-3] for f in os.listdir(os.path.join(root, "src", "core", "tamper"))
                 if f.endswith(".py") and f != "__init__.py")
for tamper in [None] + tampers:
    for target in ("unix", "windows"):
        for waf in ([False, True] if tamper is None else [False]):
            reset()
            random.seed(20261206)
            settings.TARGET_OS = settings.OS.UNIX if target == "unix" else settings.OS.WINDOWS
            settings.WAF_ENABLED = waf
            # The parameter's own value, which commix keeps in front of each payload.
            settings.TESTABLE_VALUE = "1"
            tag = "".join(random.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(6))
            try:
                if tamper is not None:
                    settings.MULTI_ENCODED_PAYLOAD = [tamper]
                    importlib.import_module("src.core.tamper." + tamper)
                    # A tamper script also changes how later payloads are built (backticks, $IFS):
                    # the first call does that, as commix's first request of a run does.
                    checks.perform_payload_modification("x")
            except Exception as e:
                failed.append("%s: %s" % (tamper, type(e).__name__))
                continue
            # The spaces as the first request left them (multiplespaces lengthens them on every call).
            spaces = list(settings.WHITESPACES)
            for tech in techniques:
                for alter in (False, True):
                    try:
                        for level in range(1, (1 if tamper else max_level) + 1):
                            prefixes, suffixes, separators = lists(tech, level)
                            for prefix in prefixes:
                                for suffix in suffixes:
                                    for sep in separators:
                                        p = prefix
                                        if p + sep in settings.JUNK_COMBINATION:
                                            p = ""
                                        settings.WHITESPACES[:] = spaces
                                        try:
                                            payload = decision(tech, alter, sep, tag)
                                        except UnboundLocalError:
                                            # A separator the technique has no payload for: commix sends nothing.
                                            continue
                                        payload, _ = parameters.prefixes(payload, p)
                                        payload, _ = parameters.suffixes(payload, suffix)
                                        payload = payload.replace(settings.SINGLE_WHITESPACE, settings.WHITESPACES[0])
                                        payload = checks.perform_payload_modification(payload)
                                        out.append([tamper or "", target, waf, tech, level, payload])
                    except Exception as e:
                        failed.append("%s %s%s (%s%s): %s" % (tamper or "no tamper", tech, " alter" if alter else "", target, ", waf" if waf else "", type(e).__name__))
sys.stdout = quiet
json.dump({"out": out, "failed": failed}, sys.stdout)
`;

/** What a server's form decoding makes of commix's URL text (`+` a space, `%XX` a byte; a lone `%` stays). */
export function formDecode(s: string): string {
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "%" && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...enc.encode(c === "+" ? " " : c));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

export function loadCommix(root: string, level: number): { lines: CommixLine[]; failed: string[] } {
  const run = spawnSync("python3", ["-c", DRIVER, root, String(level)], {
    maxBuffer: 1 << 30,
    env: { ...process.env, PYTHONHASHSEED: "0" },
  });
  if (run.status !== 0)
    throw new Error(`python3 could not run commix's payload code: ${String(run.stderr).slice(-400)}`);
  const { out, failed } = JSON.parse(String(run.stdout)) as {
    out: Array<[string, string, boolean, string, number, string]>;
    failed: string[];
  };
  // What a plain level-1 run sends (the set the tamper scripts are given): a tamper script or a WAF-aware run that leaves a payload as it was
  // (a Unix script on a Windows payload, a technique the WAF flag does not change) sends nothing new.
  const plain = new Set<string>();
  for (const [tamper, target, waf, , lvl, payload] of out)
    if (tamper === "" && !waf && lvl === 1) plain.add(`${target}\n${payload}`);
  const lines: CommixLine[] = [];
  const seen = new Set<string>();
  for (const [tamper, target, waf, tech, lvl, payload] of out) {
    if ((tamper !== "" || waf) && plain.has(`${target}\n${payload}`)) continue;
    const cls = tamper !== "" ? `commix-tamper-${tamper}` : `commix-${tech}-${target}${waf ? "-waf" : ""}`;
    const value = formDecode(payload);
    if (seen.has(`${cls}\n${value}`)) continue;
    seen.add(`${cls}\n${value}`);
    const enc = encodeURIComponent(value);
    const id = `commix:${cls}:${seen.size}`;
    for (const l of queryAndForm(id, cls, "q", enc)) lines.push({ ...l, level: lvl });
  }
  return { lines, failed: [...new Set(failed)] };
}
