/**
 * LDAP filter injection: a value that closes the application's filter component and opens new
 * ones, so `(&(uid=USER)(pw=PASS))` matches everyone. Shapes:
 * - `)(` followed by a filter operator (`&`, `|`, `!`) or an attribute test (`uid=*`,
 *   `objectclass=*`), often with wildcards: `*)(uid=*))(|(uid=*`, `admin*)((|userpassword=*)`;
 * - a value that is a whole filter with a wildcard or always-true test (`*(|(objectclass=*))`,
 *   `(&(uid=admin)(!(&(1=0)…`), matching-rule / extensible syntax (`userPassword:2.5.13.18:=`).
 * Prose with parentheses (`(see above)(and more)`) has no `attr=` right after `)(`.
 */
import type { Finding, Inspected } from "./types.ts";

/** Attribute names that LDAP injection payloads test (lower case). */
const ATTRS =
  /^(?:uid|cn|sn|ou|dc|o|c|l|mail|objectclass|objectcategory|userpassword|unicodepwd|samaccountname|userprincipalname|givenname|displayname|memberof|member|description|telephonenumber|homedirectory|loginshell|uidnumber|gidnumber|name|distinguishedname|dn|user|username|password|pwd|admin|accountname|useraccountcontrol|employeeid|title|department)$/;

/** What can open or close a filter component (the class's old gate). */
const FILTER_SHAPE = /\)\s{0,4}\(|\(\s{0,4}[&|!()]|:=|\*\s{0,4}\)\s{0,4}\)/;

/**
 * XPath injection, scored here (the same family: a query language built from a request value):
 * a value that is an XPath function over the document root (`count(/child::node())`, the blind
 * probes), a predicate closed and a union opened (`'] | //user[`), an axis step after a string
 * breakout (`' or count(/descendant::*)…`).
 */
const XPATH_WHOLE =
  /^\s*(?:count|name|local-name|namespace-uri|string-length|string|substring|contains|starts-with|normalize-space|sum|boolean|number|not|translate)\s{0,4}\(\s{0,4}(?:\/|\.\/|@|\*|(?:child|descendant|descendant-or-self|ancestor|ancestor-or-self|following|following-sibling|preceding|preceding-sibling|parent|self|attribute)::)[^]{0,200}\)\s*$/;
const XPATH_UNION = /['"]\s{0,4}\)?\s{0,4}\]\s{0,4}\|\s{0,4}\/\/?[\w*@]/;
const XPATH_AXIS =
  /['"]\s{0,8}(?:or|and|\]|\|)[^'"]{0,60}\b(?:child|descendant|descendant-or-self|ancestor|ancestor-or-self|following|following-sibling|preceding|preceding-sibling|parent|attribute)::(?:node\(\)|text\(\)|comment\(\)|\*|[a-z_])/;

/** Cheap test (the class's gate): every finding needs a `)`, an extensible match (`:=`) or an XPath union (`]|`). */
export function ldapGate(t: string): boolean {
  if ((t.includes(")") || t.includes(":=")) && (FILTER_SHAPE.test(t) || t.includes("(/") || t.includes("::")))
    return true;
  return (t.includes("|") && t.includes("]")) || (t.length <= 40 && t.includes("*") && METACHAR_PROBE.test(t));
}

function xpath(l: string): Finding | null {
  if (XPATH_UNION.test(l) || XPATH_AXIS.test(l)) return { ruleId: "ldap-xpath-injection", score: 6 };
  if (l.length <= 240 && XPATH_WHOLE.test(l)) return { ruleId: "ldap-xpath-injection", score: 5 };
  return null;
}

/** A value made only of filter metacharacters with a wildcard and parentheses (`*()|&'`, `(*)*)`): a probe for filter parsing. */
const METACHAR_PROBE = /^[*()|&!'\s]{4,40}$/;

function metacharProbe(l: string): boolean {
  return METACHAR_PROBE.test(l) && l.includes("*") && l.includes("(") && l.includes(")");
}

export function detectLdap(v: Inspected): Finding | null {
  const l = v.lower;
  const x = l.includes("::") || l.includes("(/") || l.includes("]") ? xpath(l) : null;
  const f = filter(v, l);
  return x !== null && (f === null || x.score > f.score) ? x : f;
}

function filter(v: Inspected, l: string): Finding | null {
  if (!l.includes("(") && !l.includes(")") && !l.includes(":=")) return null;
  let score = 0;
  // Injection closes a component the application opened: somewhere the value has more `)` than `(`.
  // A whole filter pasted as code (`(&(objectClass=user)(|(mail=*)…))`) never does.
  let depth = 0;
  let closesOuter = false;
  for (let i = 0; i < l.length && i < 4096; i++) {
    const c = l.charCodeAt(i);
    if (c === 40) depth++;
    else if (c === 41 && --depth < 0) {
      closesOuter = true;
      break;
    }
  }
  if (!closesOuter) {
    if (/\(\s{0,4}[&|!]\s{0,4}\(\s{0,4}\d\s{0,4}=\s{0,4}\d\s{0,4}\)/.test(l)) score = 6;
    if (/^\s*\*\s{0,4}\(\s{0,4}[&|!]\s{0,4}\(\s{0,4}[a-z][\w-]{0,40}\s{0,4}=\s{0,4}\*\s{0,4}\)/.test(l)) score = 6;
    if (
      l.includes(":=") &&
      /(?<![\w-])[a-z][\w-]{0,40}:(?:dn:)?(?:\d+(?:\.\d+){2,12}|caseexactmatch|octetstringmatch|[a-z]{3,40}match):=/.test(
        l,
      )
    )
      score = Math.max(score, 5);
    if (metacharProbe(l)) score = Math.max(score, 5);
    return score > 0 ? { ruleId: "ldap-filter-injection", score } : null;
  }
  // `)(` then an operator and another component: `)(&(`, `)(|(`, `)(!(`, `))(|(`.
  if (/\)\s{0,4}\(\s{0,4}[&|!]\s{0,4}\(/.test(l)) score = Math.max(score, 6);
  // `admin)(&)`: an always-true component appended.
  if (/\)\s{0,4}\(\s{0,4}[&|]\s{0,4}\)/.test(l)) score = Math.max(score, 6);
  // `*))` then the end or a NUL that truncates the rest of the filter.
  if (/\*\s{0,4}\)\s{0,4}\)\s{0,4}$/.test(l) && (v.hadNull || /^\s{0,4}[\w.@-]{0,64}\*\s{0,4}\)\s{0,4}\)/.test(l)))
    score = Math.max(score, 5);
  // A wildcard that closes the component and opens an operator: `*)(&`, `*)(|`.
  if (/\*\s{0,4}\)\s{0,4}\(\s{0,4}[&|!]/.test(l)) score = Math.max(score, 5);
  // A value made only of filter metacharacters (`*()|&'`): a probe for filter parsing errors.
  if (
    (/^[*()|&!'\s]{4,40}$/.test(l) && l.includes("*") && /\)\(|\(\)|\)\)|[|&]/.test(l) && /[()]/.test(l)) ||
    metacharProbe(l)
  )
    score = Math.max(score, 5);
  // `)(` / `((` then an attribute test: `*)(uid=*`, `)(cn=))`, `((|userpassword=*)`, or one left
  // open for the application's own value and `)`: `*)(objectClass=`.
  const m =
    /[*)]\s{0,4}\)?\s{0,4}\(\s{0,4}\(?\s{0,4}[|&!]?\s{0,4}([a-z][\w-]{0,40})\s{0,4}[~<>]?=\s{0,4}(\*|\)|[\w.@-]{0,64}\*|[\w.@-]{0,64}\)|$)/.exec(
      l,
    );
  if (m) {
    const attr = m[1]!;
    const wildcard = m[2]!.includes("*") || m[2] === ")";
    if (ATTRS.test(attr)) score = Math.max(score, wildcard || l.includes("*)") ? 6 : 5);
    else if (wildcard) score = Math.max(score, 4);
  }
  // A whole filter that matches everything: `*(|(objectclass=*))`, `(&(objectclass=*)(…`.
  if (/^\s*\*?\s{0,4}\(\s{0,4}[&|!]\s{0,4}\(\s{0,4}[a-z][\w-]{0,40}\s{0,4}=\s{0,4}\*\s{0,4}\)/.test(l))
    score = Math.max(score, 6);
  // `(&(1=0)…`: an always-false/always-true numeric test inside a filter.
  if (/\(\s{0,4}[&|!]\s{0,4}\(\s{0,4}\d\s{0,4}=\s{0,4}\d\s{0,4}\)/.test(l)) score = Math.max(score, 6);
  // Extensible match with a matching-rule OID: `userPassword:2.5.13.18:=123`.
  if (
    l.includes(":=") &&
    /(?<![\w-])[a-z][\w-]{0,40}:(?:dn:)?(?:\d+(?:\.\d+){2,12}|caseexactmatch|octetstringmatch|[a-z]{3,40}match):=/.test(
      l,
    )
  )
    score = Math.max(score, 5);
  return score > 0 ? { ruleId: "ldap-filter-injection", score } : null;
}
