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
const ATTRS = /^(?:uid|cn|sn|ou|dc|o|c|l|mail|objectclass|objectcategory|userpassword|unicodepwd|samaccountname|userprincipalname|givenname|displayname|memberof|member|description|telephonenumber|homedirectory|loginshell|uidnumber|gidnumber|name|distinguishedname|dn|user|username|password|pwd|admin|accountname|useraccountcontrol|employeeid|title|department)$/;

export function detectLdap(v: Inspected): Finding | null {
  const l = v.lower;
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
    if (/[a-z][\w-]{0,40}:(?:dn:)?(?:\d+(?:\.\d+){2,12}|caseexactmatch|octetstringmatch|[a-z]{3,40}match):=/.test(l)) score = Math.max(score, 5);
    return score > 0 ? { ruleId: "ldap-filter-injection", score } : null;
  }
  // `)(` then an operator and another component: `)(&(`, `)(|(`, `)(!(`, `))(|(`.
  if (/\)\s{0,4}\(\s{0,4}[&|!]\s{0,4}\(/.test(l)) score = Math.max(score, 6);
  // `admin)(&)`: an always-true component appended.
  if (/\)\s{0,4}\(\s{0,4}[&|]\s{0,4}\)/.test(l)) score = Math.max(score, 6);
  // `*))` then the end or a NUL that truncates the rest of the filter.
  if (/\*\s{0,4}\)\s{0,4}\)\s{0,4}$/.test(l) && (v.hadNull || /^\s{0,4}[\w.@-]{0,64}\*\s{0,4}\)\s{0,4}\)/.test(l))) score = Math.max(score, 5);
  // A wildcard that closes the component and opens an operator: `*)(&`, `*)(|`.
  if (/\*\s{0,4}\)\s{0,4}\(\s{0,4}[&|!]/.test(l)) score = Math.max(score, 5);
  // A value made only of filter metacharacters (`*()|&'`): a probe for filter parsing errors.
  if (/^[*()|&!'\s]{4,40}$/.test(l) && l.includes("*") && /\)\(|\(\)|\)\)|[|&]/.test(l) && /[()]/.test(l)) score = Math.max(score, 5);
  // `)(` / `((` then an attribute test: `*)(uid=*`, `)(cn=))`, `((|userpassword=*)`.
  const m = /[*)]\s{0,4}\)?\s{0,4}\(\s{0,4}\(?\s{0,4}[|&!]?\s{0,4}([a-z][\w-]{0,40})\s{0,4}[~<>]?=\s{0,4}(\*|\)|[\w.@-]{0,64}\*|[\w.@-]{0,64}\))/.exec(l);
  if (m) {
    const attr = m[1]!;
    const wildcard = m[2]!.includes("*") || m[2] === ")";
    if (ATTRS.test(attr)) score = Math.max(score, wildcard || l.includes("*)") ? 6 : 5);
    else if (wildcard) score = Math.max(score, 4);
  }
  // A whole filter that matches everything: `*(|(objectclass=*))`, `(&(objectclass=*)(…`.
  if (/^\s*\*?\s{0,4}\(\s{0,4}[&|!]\s{0,4}\(\s{0,4}[a-z][\w-]{0,40}\s{0,4}=\s{0,4}\*\s{0,4}\)/.test(l)) score = Math.max(score, 6);
  // `(&(1=0)…`: an always-false/always-true numeric test inside a filter.
  if (/\(\s{0,4}[&|!]\s{0,4}\(\s{0,4}\d\s{0,4}=\s{0,4}\d\s{0,4}\)/.test(l)) score = Math.max(score, 6);
  // Extensible match with a matching-rule OID: `userPassword:2.5.13.18:=123`.
  if (/[a-z][\w-]{0,40}:(?:dn:)?(?:\d+(?:\.\d+){2,12}|caseexactmatch|octetstringmatch|[a-z]{3,40}match):=/.test(l)) score = Math.max(score, 5);
  return score > 0 ? { ruleId: "ldap-filter-injection", score } : null;
}
