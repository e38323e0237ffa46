/**
 * NoSQL (MongoDB-style) injection: query operators smuggled where the application expects a
 * plain value, and JavaScript run by `$where` / `$function` / `mapReduce`.
 * - argument names `user[$ne]=`, `password[$regex]=`, `q[$where]=` (PHP/Express `qs` turn them
 *   into `{user: {$ne: …}}`); a JSON key that is an operator (`{"password": {"$ne": null}}`);
 *   a value that is such an object (`{"$gt": ""}`);
 * - JavaScript breakouts into a server-side string (`' && this.password.match(/.*\/)//`,
 *   `'; return true; var x='`, `';sleep(5000);`), `$where:` with code, `db.x.insert(`.
 * Query languages that really use `$` operators in URLs (Strapi `filters[..][$eq]`, Feathers
 * `$limit`/`$sort`) are recognised: a filter container or paging operators score below blocking.
 */
import { CONDENSE_MIN, type Finding, type Inspected } from "./types.ts";

/** Operators that change what a login/lookup query matches. */
const MATCH_OPS = /^\$(?:ne|eq|gt|gte|lt|lte|in|nin|regex|exists|not|nor|or|and|elemmatch|expr|jsonschema)$/;
/** Operators that run code. */
const CODE_OPS = /^\$(?:where|function|accumulator|eval)$/;
/** Names of filter containers in query languages that use `$` operators on purpose. */
const FILTER_CONTAINER = /^(?:filters?|where|query|q|search|sort|populate|fields|criteria|conditions?|match)\[/;

/** Score of an operator used as a name / key, given the full name (`user[$ne]`) or key path (`password.$ne`). */
function operatorName(op: string, full: string): Finding | null {
  if (CODE_OPS.test(op)) return { ruleId: "nosql-where", score: 7 };
  // `$expr` evaluates aggregation expressions (`{"$expr": {"$eq": [1, 1]}}`): not a filter a client composes.
  if (op === "$expr") return { ruleId: "nosql-operator", score: 5 };
  if (!MATCH_OPS.test(op)) return null;
  if (FILTER_CONTAINER.test(full)) return { ruleId: "nosql-operator", score: 3, pl: 2 };
  return { ruleId: "nosql-operator", score: 5 };
}

const JS_BREAKOUT =
  /['"`]\s{0,8}(?:;|&&|\|\|)\s{0,8}(?:this\.\w{1,40}\s{0,4}(?:\.\s{0,4}match|[=!]=|[<>])|return\b|sleep\s{0,4}\(|while\s{0,4}\(|do\s{0,4}\{|it\s{0,4}=\s{0,4}new\s+date|var\s+\w+\s{0,4}=|['"]\w{0,20}['"]\s{0,4}==|true\b|1\s{0,4}==\s{0,4}1)/;

/** The same breakout with its `;` on one line: a posted field's code has `';` at one line's end and `var x =` on the next (`||`, `&&` continue an expression across lines). */
const JS_BREAKOUT_LINE =
  /['"`](?:[ \t]{0,8};[ \t]{0,8}|\s{0,8}(?:&&|\|\|)\s{0,8})(?:this\.\w{1,40}\s{0,4}(?:\.\s{0,4}match|[=!]=|[<>])|return\b|sleep\s{0,4}\(|while\s{0,4}\(|do\s{0,4}\{|it\s{0,4}=\s{0,4}new\s+date|var\s+\w+\s{0,4}=|['"]\w{0,20}['"]\s{0,4}==|true\b|1\s{0,4}==\s{0,4}1)/;

/**
 * Cheap test (the class's gate): operators need `$`; JavaScript breakouts and appended conditions
 * need `;`, `&&` or `||`; driver calls and the busy-wait probe a call (`db.x.insert(`, `new Date()`).
 */
export function nosqlGate(t: string, l: string): boolean {
  return (
    t.includes("$") ||
    t.includes(";") ||
    t.includes("&&") ||
    t.includes("||") ||
    (t.includes("(") && (l.includes("db.") || l.includes("new date")))
  );
}

export function detectNosql(v: Inspected): Finding | null {
  const f = v.field;
  const l = v.lower;
  if (f.kind === "name") {
    // `user[$ne]`, `a[b][$regex]`; JSON keys arrive one by one with their key path in `key`.
    const bracket = /\[\s{0,4}(\$[a-z]{2,14})\s{0,4}\]/.exec(l);
    if (bracket) return operatorName(bracket[1]!, l);
    if (f.where === "body-key" && /^\$[a-z]{2,14}$/.test(l))
      return operatorName(l, (f.key ?? "").toLowerCase().replace(/\./g, "["));
    return null;
  }
  let best: Finding | null = null;
  const take = (x: Finding | null) => {
    if (x !== null && (best === null || x.score > best.score)) best = x;
  };
  if (l.includes("$")) {
    // `$where: '1 == 1'`, `{"$where": "sleep(100)"}`
    if (/(?:^|[\s,{'"])\$where['"]?\s{0,8}:\s{0,8}['"`(f]/.test(l)) take({ ruleId: "nosql-where", score: 7 });
    // A value that is an operator object: `{"$gt": ""}`, `{ $ne: 1 }`, `[$ne]=1`.
    const obj =
      /^\s{0,8}[{[(]?\s{0,8}['"]?(\$[a-z]{2,14})['"]?\s{0,8}:/.exec(l) ??
      /^[^{]{0,40}\{\s{0,8}['"]?(\$[a-z]{2,14})['"]?\s{0,8}:/.exec(l);
    if (obj) take(operatorName(obj[1]!, ""));
    if (/^\s*\[\s{0,4}\$[a-z]{2,14}\s{0,4}\]\s{0,4}=/.test(l) && MATCH_OPS.test(/\$[a-z]{2,14}/.exec(l)![0]))
      take({ ruleId: "nosql-operator", score: 5 });
    // A form string inside the value (a body sent without its type, a parameter the application
    // parses again): `username[$ne]=toto&password[$ne]=toto`.
    // (Its `[$` found first: the name part before it would be tried at every character.)
    const pair = /\[\s{0,4}\$/.test(l) ? /([\w[\]]{1,64})\[\s{0,4}(\$[a-z]{2,14})\s{0,4}\]\s{0,4}=/.exec(l) : null;
    if (pair && MATCH_OPS.test(pair[2]!)) take(operatorName(pair[2]!, pair[1]!));
    // `', $or: [ {}, { 'a':'a` : a string breakout that continues the query object.
    if (/['"]\s{0,8}(?:[}\]]\s{0,8}){0,4}[,}\]]\s{0,8}\$(?:or|and|nor|where|comment|ne|gt|regex)\s{0,8}:/.test(l))
      take({ ruleId: "nosql-operator", score: 6 });
  }
  // A long posted text (a code post) is read line by line; a short field (a password) across lines too.
  if (/['"`]/.test(l) && (f.kind === "body" && v.raw.length > CONDENSE_MIN ? JS_BREAKOUT_LINE : JS_BREAKOUT).test(l))
    take({ ruleId: "nosql-js-injection", score: 6 });
  // `|| 1==1`, `0;return true`: a JavaScript condition appended to a `$where` expression.
  if (
    /^\s{0,8}(?:\|\||&&)\s{0,8}(\d{1,4}|true)\s{0,4}={2,3}\s{0,4}\1\b/.test(l) ||
    /^\s{0,8}[\w'"]{0,20}\s{0,4};\s{0,4}return\s{1,4}(?:true|false|1|0|this\.)/.test(l)
  )
    take({ ruleId: "nosql-js-injection", score: 5 });
  // Shell/driver calls: `db.users.insert({…})`, `db.stores.mapReduce(function…`.
  if (
    /\bdb\.\w{1,40}\.(?:insert|insertone|insertmany|remove|drop|dropdatabase|update|updatemany|deletemany|mapreduce|eval)\s{0,4}\(/.test(
      l,
    )
  )
    take({ ruleId: "nosql-js-injection", score: 5 });
  // Busy-wait timing probe: `var d = new Date(); do { c = new Date(); } while (c - d < 5000)`.
  if (/new\s+date\s{0,4}\(\s{0,4}\)\s{0,4};?\s{0,8}do\s{0,4}\{/.test(l))
    take({ ruleId: "nosql-js-injection", score: 6 });
  return best;
}
