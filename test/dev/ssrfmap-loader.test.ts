/**
 * `waf/ssrfmap.ts`: how a checkout of SSRFmap (its modules, run by python3 with a stand-in for its
 * requester and scripted answers to its prompts) becomes requests for `npm run waf:eval -- --ssrfmap
 * PATH`: a made-up checkout whose modules have SSRFmap's shape.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadSsrfmap } from "../../waf/ssrfmap.ts";

const root = mkdtempSync(join(tmpdir(), "ssrfmap-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, "modules"), { recursive: true });
mkdirSync(join(root, "core"), { recursive: true });
writeFileSync(join(root, "core", "__init__.py"), "");
writeFileSync(join(root, "modules", "__init__.py"), "");
writeFileSync(
  join(root, "core", "utils.py"),
  `def gen_ip_list(ip, level):
    yield ip if level == 1 else ("0" if level == 2 else "2130706433")
def wrapper_gopher(data, ip, port):
    return "gopher://%s:%s/_%s" % (ip, port, data)
`,
);
writeFileSync(
  join(root, "modules", "redis.py"),
  `from core.utils import *
print("a banner on stdout")
class exploit():
    def __init__(self, requester, args):
        cron = input("Server Cron (e.g:/var/spool/cron/):")
        for ip in gen_ip_list("127.0.0.1", args.level):
            r = requester.do_request(args.param, wrapper_gopher("set%20x%20" + cron + "%20" + args.lhost, ip, "6379"))
            # What its Docker and Consul modules read of a response before the next request.
            if r.json and r.text == "":
                r.json()
`,
);
writeFileSync(
  join(root, "modules", "listener.py"),
  `import time
class exploit():
    def __init__(self, requester, args):
        requester.do_request(args.param, "http://127.0.0.1:1080/")
        time.sleep(60)
`,
);
writeFileSync(
  join(root, "modules", "broken.py"),
  "class exploit():\n    def __init__(self, r, a):\n        raise KeyError('x')\n",
);
writeFileSync(join(root, "modules", "portscan.py"), "raise SystemExit('never imported')\n");

describe("loadSsrfmap", () => {
  it("runs each module at each level with scripted answers, stops one that waits, once per value", () => {
    const { lines, failed } = loadSsrfmap(root);
    expect(failed).toEqual(["broken: KeyError", "listener: TimeoutError"]);
    const values = (cls: string) =>
      lines.filter((l) => l.class === cls && l.id.endsWith(":query")).map((l) => decodeURIComponent(l.query!.slice(4)));
    expect(values("ssrfmap-redis")).toEqual([
      "gopher://127.0.0.1:6379/_set%20x%20/var/spool/cron/%20203.0.113.9",
      "gopher://0:6379/_set%20x%20/var/spool/cron/%20203.0.113.9",
      "gopher://2130706433:6379/_set%20x%20/var/spool/cron/%20203.0.113.9",
    ]);
    // A request sent before the module waited still counts; sent once although every level sends it.
    expect(values("ssrfmap-listener")).toEqual(["http://127.0.0.1:1080/"]);
    expect(lines.some((l) => l.class === "ssrfmap-portscan")).toBe(false);
    expect(lines.find((l) => l.id.endsWith(":body"))).toMatchObject({
      method: "POST",
      contentType: "application/x-www-form-urlencoded",
    });
  }, 30_000);
});
