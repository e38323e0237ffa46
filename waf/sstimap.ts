/**
 * The requests of the SSTImap template-injection scanner (`git clone https://github.com/vladko312/SSTImap`,
 * GPL-3.0; its own plugin code runs at run time from the checkout, nothing of it is committed):
 * every plugin's (Jinja2, Twig, Freemarker, Velocity, Smarty, ERB, Pug, … and its generic and
 * code-evaluation ones) detection requests as a scan at `--level N` sends them to a parameter that
 * shows nothing (render, error, boolean and time-based probes in each code context and closure
 * of that level), and, as after a detection in the text context, the requests that fingerprint
 * the system and run a command (`id`). Each as a query value and a form value; class
 * `sstimap-<Plugin>`, `sstimap-<Plugin>-exploit`.
 *
 * Needs python3 (SSTImap's plugin classes, driven by a stand-in for its HTTP channel that records
 * each injection and answers with an empty page; the stand-in is this file's). Random numbers and
 * strings are seeded: every run is the same. A plugin that fails is reported, not sent.
 */
import { spawnSync } from "node:child_process";
import { type CorpusLine, queryAndForm } from "./corpus.ts";

const DRIVER = String.raw`
import sys, os, json, random
root, level = sys.argv[1], int(sys.argv[2])
real_out, sys.stdout = sys.stdout, sys.stderr
sys.path.insert(0, root)
os.chdir(root)
random.seed(20261206)
from core import plugin

class Channel:
    """What a plugin asks of SSTImap's HTTP channel: its options, and a request that shows nothing."""
    def __init__(self):
        self.args = {"technique": "RETB", "level": level, "force_level": None,
                     "time_based_blind_delay": 4, "time_based_verify_blind_delay": 30}
        self.url = "http://target.example/?q=1"
        self.boolean_enabled = True
        self.page_vector = None
        self.page_profile = None
        self.data = {}
        self.sent = []
    def detected(self, technique, detail):
        pass
    def req(self, injection):
        self.sent.append(injection)
        return "", 0.0, None

plugin.load_plugins()
out = []
failed = [getattr(c, "__name__", str(c)) + ": outdated" for c in plugin.failed_plugins]
for group, classes in plugin.loaded_plugins.items():
    for cls in classes:
        channel = Channel()
        try:
            cls(channel).detect()
        except Exception as e:
            failed.append("%s: %s" % (cls.__name__, type(e).__name__))
        out += [[cls.__name__, False, x] for x in channel.sent]
        # As after a detection in the text context: what it sends to fingerprint and run a command.
        channel = Channel()
        p = cls(channel)
        render = p.actions.get("render")
        if not render:
            continue
        for key in ("render", "header", "trailer"):
            p.set(key, render.get(key))
        p.set("error", False)
        p.set("prefix", "")
        p.set("suffix", "")
        p.set("wrapper", p.default_wrapper)
        try:
            p.rendered_detected()
            p.execute("id")
        except Exception as e:
            failed.append("%s exploit: %s" % (cls.__name__, type(e).__name__))
        out += [[cls.__name__, True, x] for x in channel.sent]
json.dump({"out": out, "failed": failed}, real_out)
`;

export function loadSstimap(root: string, level: number): { lines: CorpusLine[]; failed: string[] } {
  const run = spawnSync("python3", ["-c", DRIVER, root, String(level)], {
    maxBuffer: 1 << 30,
    env: { ...process.env, PYTHONHASHSEED: "0" },
  });
  if (run.status !== 0) throw new Error(`python3 could not run SSTImap's plugins: ${String(run.stderr).slice(-400)}`);
  const { out, failed } = JSON.parse(String(run.stdout)) as {
    out: Array<[string, boolean, string]>;
    failed: string[];
  };
  const lines: CorpusLine[] = [];
  const seen = new Set<string>();
  for (const [plugin, exploit, value] of out) {
    const cls = `sstimap-${plugin}${exploit ? "-exploit" : ""}`;
    if (seen.has(`${cls}\n${value}`)) continue;
    seen.add(`${cls}\n${value}`);
    const enc = encodeURIComponent(value);
    const id = `sstimap:${cls}:${seen.size}`;
    lines.push(...queryAndForm(id, cls, "q", enc));
  }
  return { lines, failed };
}
