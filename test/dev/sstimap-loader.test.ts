/**
 * `waf/sstimap.ts`: how a checkout of SSTImap (its plugin classes, run by python3 with a stand-in
 * for its HTTP channel) becomes requests for `npm run waf:eval -- --sstimap PATH`: a made-up
 * checkout whose `core/plugin.py` has SSTImap's names and the part of its behaviour the loader uses.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadSstimap } from "../../waf/sstimap.ts";

const root = mkdtempSync(join(tmpdir(), "sstimap-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, "core"), { recursive: true });
writeFileSync(join(root, "core", "__init__.py"), "");
writeFileSync(
  join(root, "core", "plugin.py"),
  `import random
print("a banner on stdout, as SSTImap's logger writes")
loaded_plugins = {}
failed_plugins = []

class Plugin(object):
    def __init__(self, channel):
        self.channel = channel
        self.state = {}
        self.actions = {}
        self.default_wrapper = "{code}"
        self.init()
    def init(self):
        pass
    def set(self, key, value):
        self.state[key] = value
    def get(self, key, default=None):
        return self.state.get(key, default)
    def detect(self):
        # One probe per context up to the scan's level, with a random marker.
        for level in range(self.channel.args["level"] + 1):
            n = random.randint(1000000000, 4999999999)
            self.channel.req(self.contexts[level] % ("%d+%d" % (n, n)))
        self.channel.req(self.contexts[0] % "7*7")
        self.channel.req(self.contexts[0] % "7*7")
    def rendered_detected(self):
        self.channel.req(self.state["prefix"] + "{{ os() }}" + self.state["suffix"])
    def execute(self, code):
        self.channel.req(self.actions["execute"] % code)

class Jinja2(Plugin):
    contexts = ["{{%s}}", "}}{{%s}}{{", "%%}}{{%s}}{%%"]
    def init(self):
        self.actions = {"render": {"render": "{code}", "header": "", "trailer": ""},
                        "execute": "{{ popen('%s') }}"}

class Broken(Plugin):
    contexts = ["%s"]
    def detect(self):
        raise KeyError("x")

class NoRender(Plugin):
    contexts = ["<%%= %s %%>", "x%%><%%= %s %%>"]

def load_plugins():
    loaded_plugins["python"] = [Jinja2]
    loaded_plugins["other"] = [Broken, NoRender]
    failed_plugins.append(type("Old", (), {}))
`,
);

describe("loadSstimap", () => {
  const values = (lines: ReturnType<typeof loadSstimap>["lines"], cls: string) =>
    lines.filter((l) => l.class === cls && l.id.endsWith(":query")).map((l) => decodeURIComponent(l.query!.slice(2)));

  it("records what each plugin sends at a level, once per value, seeded, and names the plugins that fail", () => {
    const a = loadSstimap(root, 1);
    const b = loadSstimap(root, 1);
    expect(a.failed).toEqual(["Old: outdated", "Broken: KeyError"]);
    const jinja = values(a.lines, "sstimap-Jinja2");
    expect(jinja).toEqual([
      expect.stringMatching(/^\{\{\d{10}\+\d{10}\}\}$/),
      expect.stringMatching(/^\}\}\{\{\d{10}\+\d{10}\}\}\{\{$/),
      "{{7*7}}",
    ]);
    expect(values(loadSstimap(root, 2).lines, "sstimap-Jinja2")).toHaveLength(4);
    expect(b.lines.map((l) => l.query ?? l.body)).toEqual(a.lines.map((l) => l.query ?? l.body));
    expect(values(a.lines, "sstimap-NoRender")).toContainEqual(expect.stringMatching(/^x%><%= \d+\+\d+ %>$/));
  });

  it("adds what a plugin sends after a detection in the text context, as its own class", () => {
    const { lines } = loadSstimap(root, 0);
    expect(values(lines, "sstimap-Jinja2-exploit")).toEqual(["{{ os() }}", "{{ popen('id') }}"]);
    // A plugin without a render action has nothing to run.
    expect(values(lines, "sstimap-NoRender-exploit")).toEqual([]);
    const form = lines.find((l) => l.class === "sstimap-Jinja2-exploit" && l.id.endsWith(":body"))!;
    expect(form).toMatchObject({ method: "POST", contentType: "application/x-www-form-urlencoded" });
    expect(form.body).toBe(`q=${encodeURIComponent("{{ os() }}")}`);
  });
});

describe("loadSstimap without SSTImap", () => {
  it("fails with a message naming python3, not a stack from JSON.parse", () => {
    const empty = mkdtempSync(join(tmpdir(), "sstimap-empty-"));
    try {
      expect(() => loadSstimap(empty, 1)).toThrow(/python3 could not run SSTImap's plugins/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
