/**
 * Security filter: PHP injection and the "generic" family (Node.js injection and prototype
 * pollution, server-side template and code injection, SSRF) with hand-written attacks and the
 * benign near-misses that must keep passing.
 */
// zod-openapi must extend zod before the config schema is built (as src/app.ts does first).
import "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { edgeConfigSchema } from "../../src/lib/config/schema.ts";
import { evaluateRequest, type SecurityConfig, type WafRequest } from "../../src/lib/waf/index.ts";

const DEFAULT: SecurityConfig = edgeConfigSchema.parse({ security: {} }).security;
const BROWSER =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15";

function req(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): WafRequest {
  return {
    method: init.method ?? "GET",
    url,
    headers: new Headers({ "user-agent": BROWSER, ...init.headers }),
    visitor: { ip: "203.0.113.7", country: "DE", asn: 3320 },
    body: init.body ?? null,
  };
}
const query = (value: string, name = "q") =>
  evaluateRequest(req(`https://edge.test/search?${encodeURIComponent(name)}=${encodeURIComponent(value)}`), DEFAULT);
const json = (body: string) =>
  evaluateRequest(
    req("https://edge.test/v1/items", { method: "POST", headers: { "content-type": "application/json" }, body }),
    DEFAULT,
  );
/** Each value passes as a query value. */
function expectAllowed(values: readonly string[]): void {
  for (const v of values) expect(query(v).action, v).toBe("allow");
}
/** Each value is blocked as a query value, under `cls`. */
function expectBlocked(cls: string, values: readonly string[]): void {
  for (const v of values) expect(query(v), v).toMatchObject({ action: "block", class: cls });
}

describe("PHP injection", () => {
  it.each([
    "<?php echo file_get_contents('/etc/passwd'); ?>",
    "<? php echo 'x'",
    "<?= `id` ?>",
    "<?xml :echo 1;",
    "[php]echo 'hi';[/php]",
    "php://filter/convert.base64-encode/resource=index.php",
    "phar:///tmp/upload.jpg/x",
    "data:text/plain,<?php phpinfo();?>",
    'O:8:"stdClass":1:{s:1:"a";s:1:"b";}',
    "system(whoami)",
    "@exec('uname -a')",
    "exec\n('id')",
    "passthru /* hidden */ ('id')",
    "eval(base64_decode($_POST['x']));",
    "call_user_func('assert', $_GET['c'])",
    "array_filter(array('id'), 'system')",
    "$f = 'sys'.'tem'; $f('id');",
    "(system)('uname');",
    '"sy"."stem"(ls);',
    "[system][0](ls);",
    "$__['o'](4)",
    "${'a'}(11)",
    "$obj->$method()",
    "${'_GET'}",
    "$_COOKIE[session]",
    "allow_url_include=On",
    "auto_prepend_file=php://input",
  ])("blocks %s", (payload) => {
    expect(query(payload).action).toBe("block");
  });

  it("reads ${name} (${value}) in a JavaScript template literal as text, ${name} (…) alone as a call", () => {
    expectAllowed([
      "    console.log(`New pending request: ${key} (${size} total pending)`)",
      "\treturn `${response.title} (${response.rating * 10})`;",
    ]);
    expectBlocked("php", [
      "${system} (id)",
      "`${system} (id)`",
      "${system}(id)",
      "${_GET[a]} (1)",
      // A backtick that opens no template literal: in a comment, before a statement's end, never closed.
      "/*`*/${f} (${_GET[1]});",
      "`;${assert} (${_POST[x]});",
    ]);
  });

  it("blocks a PHP upload name that is not a single token", () => {
    const body =
      '--b\r\nContent-Disposition: form-data; name="file"; filename="my shell.phtml"\r\nContent-Type: image/png\r\n\r\nx\r\n--b--\r\n';
    expect(
      evaluateRequest(
        req("https://edge.test/upload", {
          method: "POST",
          headers: { "content-type": "multipart/form-data; boundary=b" },
          body,
        }),
        DEFAULT,
      ).action,
    ).toBe("block");
    expect(
      evaluateRequest(req("https://edge.test/upload", { headers: { "x-file-name": "photo. php" } }), DEFAULT).action,
    ).toBe("block");
  });

  // Single-token values (`shell.php5.`, `sess_…`, a JSON key `__proto__`) reach the php/node
  // detectors only once inspect.ts lets them through (TOKEN_CLASSES and isPlain; see the report).
  it("blocks single-token upload names and session files (needs the inspect.ts change)", () => {
    const body =
      '--b\r\nContent-Disposition: form-data; name="file"; filename="shell.php5."\r\nContent-Type: image/png\r\n\r\nx\r\n--b--\r\n';
    expect(
      evaluateRequest(
        req("https://edge.test/upload", {
          method: "POST",
          headers: { "content-type": "multipart/form-data; boundary=b" },
          body,
        }),
        DEFAULT,
      ).action,
    ).toBe("block");
    expect(
      evaluateRequest(
        req("https://edge.test/upload", { headers: { "x-filename": "/tmp/sess_d8ew88tqmabdcokhumchy8htqm" } }),
        DEFAULT,
      ).action,
    ).toBe("block");
    expect(json('{"user":{"__proto__":{"role":"admin"}}}').action).toBe("block");
  });

  it.each([
    "I use system() in my C code",
    "the system is down()",
    "Moreover, phpinfo can leak configuration details.",
    "A loaded ghost gun (unserialized) was recovered",
    "ecosystem()",
    "exec (",
    "file(s)",
    "report (final).pdf",
    "Costs $5 (tax included)",
    "What does ${HOME} mean in bash?",
    "{{ $t('checkout.title') }}",
    "this.$emit('save', item)",
    '<?xml version="1.0" encoding="UTF-8"?><order><id>1</id></order>',
    "os.system('clear')",
    "engine=v8 turbo",
    "(foo)bar or foo(bar) or [foo]bar",
    "(function () { init(); })();",
    "handlers[type](event);",
    "richard.php@example.com",
  ])("passes %s", (text) => {
    expect(query(text).action).toBe("allow");
  });

  it("passes an ordinary upload name", () => {
    const body =
      '--b\r\nContent-Disposition: form-data; name="file"; filename="holiday photo.jpg"\r\nContent-Type: image/jpeg\r\n\r\nx\r\n--b--\r\n';
    expect(
      evaluateRequest(
        req("https://edge.test/upload", {
          method: "POST",
          headers: { "content-type": "multipart/form-data; boundary=b" },
          body,
        }),
        DEFAULT,
      ).action,
    ).toBe("allow");
  });
});

describe("Node.js injection and prototype pollution", () => {
  it.each([
    "require('child_process').exec('id')",
    "process.mainModule.require('fs')",
    "this.constructor.constructor('return process')()",
    "global.process.exit()",
    "process['env']",
    "_$$ND_FUNC$$_function(){require('child_process').exec('ls')}()",
    "eval(String.fromCharCode(97,108,101,114,116))",
    "while(true);",
    "Object.prototype.isAdmin = true;",
    '{"then":"$1:__proto__:then"}',
  ])("blocks %s", (payload) => {
    expect(query(payload).action).toBe("block");
  });

  it("blocks prototype keys in parameter names and JSON", () => {
    expect(evaluateRequest(req("https://edge.test/search?__proto__[isAdmin]=1"), DEFAULT).action).toBe("block");
    expect(evaluateRequest(req("https://edge.test/search?a[constructor][prototype][x]=1"), DEFAULT).action).toBe(
      "block",
    );
    expect(json('{"user":{"role":"x","__proto__[role]":"admin"}}').action).toBe("block");
  });

  it.each([
    "for (let i = 0; i < 10; i++) {\n  console.log(`row ${i}`);\n}",
    "fetch('/api/users?page=2').then((r) => r.json()).then(console.log);",
    "const port = process.env.PORT || 3000;",
    "while (queue.length) { run(queue.shift()); }",
    "while (true) { if (done()) break; }",
    "Node: require('fs').readFileSync('data.json')",
    "The prototype was shown at the fair",
    "process.",
    "while (foo) is bar.",
  ])("passes %s", (text) => {
    expect(query(text).action).toBe("allow");
  });

  it("reads a string closed on one line and a call on the next as code in a posted field", () => {
    const snippet = "const name = 'Sindre';\nconsole.log(chalk.green('Hello %s'), name);\nrequire('./worker');";
    expect(json(JSON.stringify({ body: snippet })).action).toBe("allow");
    expect(json(JSON.stringify({ body: "x';console.log(process.env)//" }))).toMatchObject({
      action: "block",
      class: "node",
    });
    // In a parameter a line break is no reason to stop looking.
    expect(query("x';\nconsole.log(process.env)//")).toMatchObject({ action: "block", class: "node" });
    // Nor in a posted field when the breakout reaches the runtime (eval("'" + v + "'") returns process.env).
    for (const value of [
      "x'\n;process.env//",
      "'\n||process.env//",
      "x'\n;console.log(process.env.DATABASE_URL)//",
      "x';\nconsole.log(process.env)//",
    ])
      expect(json(JSON.stringify({ body: value })), value).toMatchObject({ action: "block", class: "node" });
  });

  it("reads runtime names in changelogs as words: a member followed by a word, a link after `require`", () => {
    // Node's own changelog (as a developer pastes it) names the functions a fix touched.
    for (const line of [
      "* (CVE-2026-48617) permission: handle process.chdir on writereport (RafaelGSS) – Low",
      "* **src,permission**: handle process.binding in the loader",
      "- [Tests] fix hasOwn require [`f89c831`](https://github.com/es-shims/es-set-tostringtag/commit/f89c831fe5f3edf1)",
    ]) {
      expect(query(line).action, line).toBe("allow");
      expect(json(JSON.stringify({ text: line })).action, line).toBe("allow");
    }
    // Called, chained, indexed or alone, they are still the runtime.
    expectBlocked("node", [
      "process.chdir('/')",
      "x=process.binding('spawn_sync')",
      "a; process.setuid\n",
      "require['main']",
      "require ['child_process']",
      "console['log'](1)",
      "{{process.mainModule.require('child_process')}}",
    ]);
  });

  it("reads console methods bound to console, and __proto__ before a changelog link, as ordinary", () => {
    expectAllowed([
      "log.log = console.log.bind(console); // don't forget to bind to console!",
      "debug.log = console.info.bind(console);",
      "- don't assign onto __proto__ [`63e7ed0`](https://github.com/minimistjs/minimist/commit/63e7ed0)",
    ]);
    expectBlocked("node", [
      "console.log.call(null, process.env)",
      "console.log.bind(this)('x')",
      "x';console.log.bind(console)(process.env)//",
      "console.log.bind(console)/**/(process.env)",
      "a=1;process.exit.bind(console)/**/(1)",
      "a=1;process.abort.bind(console)     ()",
      // A runtime member kept in a variable and called on the next line.
      "m=process.mainModule\nm.require('child_'+'process')['exec'+'Sync']('id')",
      "k=process.kill\nk(1)",
      "console.info.call(this,1)",
      "__proto__[isAdmin]=1",
      'x.__proto__ ["polluted"]=1',
    ]);
  });
});

describe("template and code injection", () => {
  it.each([
    "{{7*7}}",
    "{{''.__class__.__mro__[1].__subclasses__()}}",
    "${T(java.lang.Runtime).getRuntime().exec('id')}",
    "<%= 7*7 %>",
    "__import__('os').popen('id').read()",
    'Process.spawn("id")',
    "!!python/object/apply:os.system ['id']",
    "[[${T(java.lang.Runtime).getRuntime().exec('id')}]]",
    // SSTImap's probes: arithmetic after a comma, in a chain, before a comparison, on a number in
    // parentheses; a range; a method on a string after a tag word; FreeMarker's `?eval`; the output
    // markers (two sums of large numbers, no spaces) around code in any language.
    "{{(86,18*44)|e}}",
    "1}}{{(3*4/2)}}{{1",
    "{{1 / ('2' + '3' == 5)}}",
    "<%= typeof(86)+18 %>",
    "|#{typeof(86)+18}",
    "{{(1..3)|join}}",
    "{{'P3'}}{#comment#}{% raw 'P3'.join('uI') %}{{'uI'}}",
    "${1/((1.0==1.0)?string('1','0')?eval)}",
    '{2611040540+3708664872}{86}{*18*}{"a"|cat:"b"}{44}{2360170016+1307286622}',
    "print(4500943675+1608503317);print(86+18);print(3864466151+1221239229);",
    "1'+str(4380090549+3180151027)+str('P3'.join('uI'))+str(4588265342+4054808741)+'1",
    // What it runs once it has found one: Ruby's `%x(…)` with interpolation, code glued to the markers.
    "(1995825897+4703542404).to_s+(require'base64';%x(#{Base64.urlsafe_decode64('aWQ=')})).to_s",
    "4986577259+2078044718eval(Buffer('Z2xvYmFs', 'base64').toString())3744168780+3220773436",
  ])("blocks %s", (payload) => {
    expect(query(payload).action).toBe("block");
  });

  it("reads arithmetic as templates write it (a chain, after a comma, a range) as a probe in a parameter, not in a body", () => {
    for (const t of [
      "{{ 60*60*24 }}",
      "{% for i in (1..5) %}{{ i }}{% endfor %}",
      "{{ count|default(0) + 1 }}",
      "{{ 1 + 1 == 2 }}",
    ]) {
      expect(query(t), t).toMatchObject({ action: "block", class: "template" });
      expect(json(JSON.stringify({ template: t })).action, t).toBe("allow");
    }
    // A FreeMarker directive counts in a body whatever its expression holds.
    expect(json(JSON.stringify({ template: "<#list (1..3) as i>${i}</#list>" })).action).toBe("block");
  });

  it("reads eval of a decoded Buffer, and eval glued to a number, as code", () => {
    expect(query("x=1;eval(Buffer('Y29uc29sZS5sb2coMSk=','base64').toString())")).toMatchObject({
      action: "block",
      ruleId: "node-code-eval",
    });
    expect(query("12eval(atob('YWxlcnQoMSk='))")).toMatchObject({ action: "block", ruleId: "node-code-eval" });
  });

  it("reads an open `[[` as markdown, not as inlining: a changelog passes", () => {
    const changelog = [
      "### Commits",
      "",
      "* \\[[`fe2a6b2be8`](https://github.com/nodejs/node/commit/fe2a6b2be8)] - **crypto**: update root certificates (Node.js GitHub Bot)",
      "* \\[[`4cc4195493`](https://github.com/nodejs/node/commit/4cc4195493)] - **module**: handle `require()` of a module with top-level await (Joyee Cheung)",
      "* \\[[`c2f9735422`](https://github.com/nodejs/node/commit/c2f9735422)] - **doc**: fix `fetch` in the `globals` docs (Antoine du Hamel)",
    ].join("\n");
    expect(json(JSON.stringify({ notes: changelog })).action).toBe("allow");
    expect(query(`[[${"x".repeat(20)} \`id\` ]]`).action).toBe("block");
  });

  it.each([
    "Hello {{ user.name }}",
    "{% for item in items %}<li>{{ item }}</li>{% endfor %}",
    "#{name}",
    "<%= title %>",
    "{{ price + 1 }}",
    "{{ page.date | date: '%Y' }}",
    "Order 1234567890+2345678901",
    "Totals 1234567890+2345678901 and 3456789012+4567890123",
    "\\frac{1+2}{3+4} = 3/7",
    "{(86+18)*44}",
    "Buffer(data).toString('base64')",
    "md5sum(file) and 3include(x)",
    // Dates and phone numbers are no chain of arithmetic; sums people write have spaces.
    '{{ .Date.Format "2006-01-02" }}',
    "Meeting notes from [[2024-12-06]] and [[2024-12-07]]",
    "12345678 + 87654321 = 99999999; 11111111 + 22222222 = 33333333",
    "<#-- Keycloak login theme (FreeMarker) -->",
    '{@eq key=status value="ok"}OK{/eq}',
  ])("passes %s", (text) => {
    expect(query(text).action).toBe("allow");
  });
});

describe("SSRF", () => {
  it.each([
    ["url", "http://169.254.169.254/latest/meta-data/"],
    ["url", "localhost/admin"],
    ["url", "host.docker.internal:2375/containers/json"],
    ["url", "http:127.0.0.1"],
    ["redirect", "kubernetes.default.svc.cluster.local/"],
    ["url", "gopher://127.0.0.1:6379/_FLUSHALL"],
  ])("blocks %s=%s", (name, payload) => {
    expect(query(payload, name).action).toBe("block");
  });

  it.each([
    ["server", "localhost"],
    ["url", "example.com/"],
    ["size", "32/34"],
    ["cidr", "10.0.0.0/8"],
    ["title", "10/10 would buy again"],
    ["next", "localhost:3000/callback"],
    ["url", "https://example.com/products?id=12"],
  ])("passes %s=%s", (name, text) => {
    expect(query(text, name).action).toBe("allow");
  });
});
