/**
 * Evasions the security filter missed when it was first measured against a WAF-bypass test set
 * it had never seen (the nemesida-waf/waf-bypass payloads, 2026-12-06): a payload cut apart by
 * the request's own syntax, invisible characters, escaped quotes, glob paths glued to a command,
 * a Referer that is no web address, a script dressed as a static file. The payloads here are
 * written for these tests; beside each, the ordinary inputs that must still pass.
 */
import { describe, expect, it } from "vitest";
import { evaluate } from "./waf-requests.ts";

const get = (target: string, headers: Record<string, string> = {}) =>
  evaluate({ url: `https://edge.test${target}`, headers });
const decided = (d: { action: string; ruleId?: string }) => `${d.action}${d.ruleId ? ` ${d.ruleId}` : ""}`;

describe("a payload cut apart by the request's own syntax is also read whole", () => {
  it("a query string split at the payload's own `&`, `=` or `;`", () => {
    // `&lpar;` and `&rpar;` end pairs; `=` makes `<svg/onload` a parameter name.
    expect(get("/find?<svg/onload=alert&lpar;document.domain&rpar;>").action).toBe("block");
    expect(get("/find?<img/src/onerror=confirm(7)>").action).toBe("block");
    expect(get("/find?q=<details/open/ontoggle=alert&lpar;2&rpar;>").action).toBe("block");
    // Names that are names, and odd ones that carry nothing, pass.
    for (const q of [
      "fields(id,name)=1&sort=-date",
      "a[]=1&b[c]=2&d[e][f]=3",
      "/api/v1/users&id=5",
      "search query=garden tips",
      '{"a":1,"b":"x y"}',
      "q=tom & jerry",
      "ids=1;2;3",
    ])
      expect(decided(get(`/find?${q}`)), q).toBe("allow");
  });

  it("a Cookie header split at the payload's own `;`", () => {
    // Split at `;`, no piece holds the tag and its handler's call together.
    expect(get("/", { cookie: "x=&lt;audio src onerror=print&lpar;&rpar;&gt;" }).action).toBe("block");
    for (const c of [
      "_ga=GA1.2.123.456; _gid=GA1.2.789; theme=dark",
      "legacy_flag; other=1",
      'prefs={"theme":"dark","lang":"en"}; sid=abc',
    ])
      expect(decided(get("/", { cookie: c })), c).toBe("allow");
  });

  it("a form sent without a content type, with bracketed names", () => {
    const post = (body: string) => evaluate({ method: "POST", url: "https://edge.test/login", body });
    expect(post("user[$ne]=x&pass[$ne]=y").action).toBe("block");
    expect(post("user[name]=ann&pass=secret").action).toBe("allow");
  });

  it("a Referer that is no web address, or carries a fragment, is read whole", () => {
    expect(get("/", { referer: "&#34;&gt;&lt;video/onerror=&#x27;alert(4)&#x27;&gt;" }).action).toBe("block");
    expect(get("/", { referer: "php://filter/convert.base64-encode/resource=index" }).action).toBe("block");
    for (const r of [
      "https://www.example.org/",
      "android-app://com.example.mail/",
      "https://app.example.com/n?view=list",
    ])
      expect(decided(get("/", { referer: r })), r).toBe("allow");
  });
});

describe("obfuscations read as what they spell", () => {
  it("invisible characters (zero-width, bidirectional controls, byte order marks) are dropped before detection", () => {
    const q = (v: string) => get(`/find?q=${encodeURIComponent(v)}`);
    expect(q("1' un\u200bion sel\u200dect pass from users--").action).toBe("block");
    expect(q("<body onpageshow=prompt&#xFEFF;(5)>").action).toBe("block");
    expect(q("<\u202escript>alert(6)</\u202escript>").action).toBe("block");
    // Text that uses them ordinarily: a Persian word with a zero-width non-joiner, an emoji sequence.
    expect(q("می\u200cخواهم").action).toBe("allow");
    expect(q("family 👨\u200d👩\u200d👧 trip").action).toBe("allow");
  });

  it("quotes escaped with a backslash, as the application reads them once unescaped", () => {
    const q = (v: string) => get(`/find?q=${encodeURIComponent(v)}`);
    expect(q('"1\\"XOR(if(now()=sysdate(),sleep(7),0))XOR\\"A').class).toBe("sqli");
    expect(q('He said \\"don\\\'t\\" and left').action).toBe("allow");
  });

  it("SQL in a numeric context ending in `--` is caught as it is ending in `#`", () => {
    // Made only of letters, digits, spaces and dashes, these used to pass as plain values.
    const q = (v: string) => get(`/find?id=${encodeURIComponent(v)}`);
    for (const v of ["7 ORDER BY 9-- ", "7 ORDER BY 9-- -", "7 group by 4 --", "7 ORDER BY 9#"])
      expect(decided(q(v)), v).toBe("block sqli-order-by");
    for (const v of ["3 or true--", "0 or 1-- -", "3 or true#"]) expect(q(v).class, v).toBe("sqli");
    for (const v of ["sort by date -- newest first", "order by 2 -- the cheap ones", "see you soon --", "page 10--"])
      expect(decided(q(v)), v).toBe("allow");
  });

  it("a glob path glued to its command or opened by a separator", () => {
    const q = (v: string) => get(`/find?q=${encodeURIComponent(v)}`);
    for (const v of [";cat+/e?c/p?ss?d", "{/b??/c?t,/e??/sh?dow}", "|/???/c?t /e??/p?sswd"])
      expect(q(v).class, v).toBe("command");
    expect(q("price 3+/bin?").action).toBe("allow");
    // A regular expression literal in code is no path.
    expect(q("const clean = result.stdout.replace(/\\r?\\n$/, '');").action).toBe("allow");
  });

  it("`pwd` after a separator is a probe like `id`; PHP's `{${call()}}` runs any function", () => {
    const q = (v: string) => get(`/find?q=${encodeURIComponent(v)}`);
    for (const v of ["; pwd", "| pwd", "&& pwd"]) expect(q(v).class, v).toBe("command");
    for (const v of ["{${usleep(900)}}", " {${sleep(hexdec(dechex(3)))}} "]) expect(q(v).class, v).toBe("php");
    for (const v of ["user; pwd: secret", "my pwd is 123", "const s = `{${JSON.stringify(a)}}`", "price {${x}}"])
      expect(q(v).action, v).toBe("allow");
  });

  it("`<?php` opens PHP only with white space after it (as PHP reads it)", () => {
    expect(get("/find?%3C%3Fphp=value").action).toBe("allow");
    expect(get(`/find?q=${encodeURIComponent("<?php system($_GET[1]); ?>")}`).class).toBe("php");
  });
});

describe("a server-side script dressed as a static file in the path", () => {
  it("is blocked; ordinary paths with parameters pass", () => {
    for (const p of ["/up/shell.asp;.jpg", "/up/do.php%0A.png", "/up/x.php%23.css", "/up/x.phtml%00.gif"])
      expect(decided(get(p)), p).toBe("block traversal-disguised-script");
    for (const p of ["/page.jsp;jsessionid=ABC123", "/index.php/assets/app.css", "/img/logo.png"])
      expect(decided(get(p)), p).toBe("allow");
  });
});
