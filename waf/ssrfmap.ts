/**
 * The requests of the SSRFmap tool (`git clone https://github.com/swisskyrepo/SSRFmap`, GPL-3.0;
 * its own modules run at run time from the checkout, nothing of it is committed): each module
 * (cloud metadata of AWS, GCE, Alibaba, DigitalOcean; Redis, MySQL, PostgreSQL, FastCGI, Memcache,
 * SMTP, Zabbix over `gopher://`; Docker, Consul, Tomcat; `file://` reads; UNC paths) at each of its
 * `--level` 1 to 5 (the loopback address as it is, `0`/`127.1`, DNS names that resolve to it, the
 * CIDR, then decimal, hex, octal, overflowing and enclosed-alphanumeric notations), driven with a
 * stand-in for its requester that records each value and answers with an empty page, and scripted
 * answers to its prompts. The parameter's value is the payload, as its requester sends it; each
 * as a query and a form value. Class `ssrfmap-<module>`. Its `portscan` and `networkscan`
 * modules are left out (the same URL for every port or host of a range).
 *
 * Needs python3 (SSRFmap's modules import only its `core/utils.py`).
 */
import { spawnSync } from "node:child_process";
import { type CorpusLine, queryAndForm } from "./corpus.ts";

const DRIVER = String.raw`
import sys, os, json, builtins, importlib, random, types, logging, signal
root = sys.argv[1]
real_out, sys.stdout = sys.stdout, sys.stderr
sys.path.insert(0, root)
os.chdir(root)
logging.disable(logging.CRITICAL)
random.seed(20261206)

# What a user would type at its prompts: a listener, a cron directory, a query of its own list.
ANSWERS = [("host", "203.0.113.9"), ("port", "4242"), ("cron", "/var/spool/cron/"), ("mysql query", "reverse"),
           ("postgres query", "reverse"), ("mail", "ops@example.com"), ("data to store", "id"), ("service data", "id")]
def answer(prompt=""):
    p = prompt.lower()
    return next((v for k, v in ANSWERS if k in p), "")
builtins.input = answer

class Response:
    text = ""
    status_code = 200
    content = b""
    headers = {}
    def json(self):
        return []

class Requester:
    """What a module asks of SSRFmap's requester: the target's host, and a request that shows nothing."""
    host = "target.example"
    def __init__(self):
        self.sent = []
    def do_request(self, param, value, timeout=3, stream=False):
        self.sent.append(value)
        return Response()

def give_up(*args):
    raise TimeoutError()
signal.signal(signal.SIGALRM, give_up)

out = []
failed = []
skip = ("portscan", "networkscan")
modules = sorted(f[:-3] for f in os.listdir(os.path.join(root, "modules"))
                 if f.endswith(".py") and not f.startswith("_") and f[:-3] not in skip)
for m in modules:
    for level in range(1, 6):
        args = types.SimpleNamespace(lhost="203.0.113.9", lport="4242", level=level, param="url", verbose=False,
                                     rfiles=None, uagent=None, ssl=None, proxy=None, target=None, ldomain=None)
        requester = Requester()
        # A module that waits for a connection (a listener of its own) is stopped after 2 s.
        signal.alarm(2)
        try:
            importlib.import_module("modules." + m).exploit(requester, args)
        except Exception as e:
            failed.append("%s: %s" % (m, type(e).__name__))
        finally:
            signal.alarm(0)
        out += [[m, level, v] for v in requester.sent if v]
json.dump({"out": out, "failed": sorted(set(failed))}, real_out)
`;

export function loadSsrfmap(root: string): { lines: CorpusLine[]; failed: string[] } {
  const run = spawnSync("python3", ["-c", DRIVER, root], {
    maxBuffer: 1 << 28,
    timeout: 600_000,
    // Sets of strings (its address notations) iterate in one order every run.
    env: { ...process.env, PYTHONHASHSEED: "0" },
  });
  if (run.status !== 0) throw new Error(`python3 could not run SSRFmap's modules: ${String(run.stderr).slice(-400)}`);
  const { out, failed } = JSON.parse(String(run.stdout)) as { out: Array<[string, number, string]>; failed: string[] };
  const lines: CorpusLine[] = [];
  const seen = new Set<string>();
  for (const [module, , value] of out) {
    const cls = `ssrfmap-${module}`;
    if (seen.has(`${cls}\n${value}`)) continue;
    seen.add(`${cls}\n${value}`);
    const enc = encodeURIComponent(value);
    const id = `ssrfmap:${cls}:${seen.size}`;
    lines.push(...queryAndForm(id, cls, "url", enc, { query: "/v1/fetch", form: "/v1/fetch" }));
  }
  return { lines, failed };
}
