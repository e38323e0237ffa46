/**
 * Java injection: serialized Java objects (`rO0AB…` base64, `aced0005…` hex, both magic
 * `AC ED 00 05`), gadget and runtime classes (`java.lang.Runtime`, `ProcessBuilder`,
 * `InvokerTransformer`, `TemplatesImpl`, `JdbcRowSetImpl`, …), polymorphic JSON type keys
 * naming a Java class (`"@type":"com.sun.rowset.JdbcRowSetImpl"`), OGNL (`%{(#…)}`,
 * `#_memberAccess`, `@ognl.OgnlContext@`), SpEL/EL (`T(java.lang.Runtime)`,
 * `''.getClass().forName(…)`) and the Spring4Shell class-loader parameter path.
 */
import type { Finding, Inspected } from "./types.ts";

const SERIALIZED = /(?:^|[^A-Za-z0-9+/])rO0AB|(?:^|[^0-9A-Fa-f])[aA][cC][eE][dD]0005|\u00ac\u00ed\u0000?\u0005|\\xac\\xed\\x00\\x05/;
const GADGETS = new RegExp(
  [
    String.raw`java\.lang\.(?:runtime|processbuilder|processimpl|reflect\.|system\b|classloader|thread\b)`, String.raw`java\.net\.urlclassloader`,
    String.raw`java\.beans\.xmldecoder`, String.raw`javax\.script\.scriptenginemanager`, String.raw`javax\.naming\.initialcontext`, String.raw`javax\.management\.`,
    String.raw`com\.sun\.rowset\.jdbcrowsetimpl`, String.raw`com\.sun\.org\.apache\.xalan`, String.raw`templatesimpl`, String.raw`invokertransformer`,
    String.raw`chainedtransformer`, String.raw`instantiatetransformer`, String.raw`org\.apache\.commons\.collections`, String.raw`org\.apache\.commons\.beanutils`,
    String.raw`org\.springframework\.(?:context\.support|beans\.factory\.config\.propertypathfactorybean|jndi)`, String.raw`ch\.qos\.logback\.core\.db\.jndiconnectionsource`,
    String.raw`org\.apache\.xbean\.propertyeditor`, String.raw`com\.mchange\.v2\.c3p0`, String.raw`bsh\.interpreter`, String.raw`groovy\.lang\.groovyshell`,
    String.raw`org\.codehaus\.groovy\.runtime`, String.raw`ysoserial`, String.raw`freemarker\.template\.utility\.execute`, String.raw`com\.alibaba\.fastjson`,
    String.raw`org\.apache\.tomcat\.dbcp`, String.raw`org\.hibernate\.jmx`, String.raw`sun\.misc\.unsafe`, String.raw`jdk\.nashorn`,
    String.raw`getruntime\s*\(\s*\)\s*\.\s*exec`, String.raw`new\s+processbuilder\s*\(`, String.raw`\.getclass\s*\(\s*\)\s*\.\s*(?:forname|getclassloader|getmethod|getdeclared)`,
    String.raw`class\s*\.\s*forname\s*\(`, String.raw`\.forname\s*\(\s*['"]java`, String.raw`scriptenginemanager`,
  ].join("|"),
  "i",
);
const OGNL = /%\{\s{0,8}\(?\s{0,8}#|#_memberaccess|@ognl\.|ognlcontext|default_member_access|#context\s*\[|@java\.lang\.|#application\s*\[|#attr\s*\[|\(#[a-z_]{1,20}=|#parameters\.|xwork\.methodaccessor|@org\.apache\.struts/i;
const SPEL = /\bT\s{0,4}\(\s{0,4}(?:java|javax|org|com)\.|new\s+java\.(?:util\.scanner|io\.|lang\.)|#\{\s{0,4}T\s{0,4}\(|\$\{\s{0,4}T\s{0,4}\(|\bclass\.module\.classloader|\bclass\.classloader/i;
/** `''.getClass()` in an EL expression; on its own also ordinary Java, so a weak signal. */
const GET_CLASS = /['"\])]\s{0,4}\.\s{0,4}getclass\s*\(\s*\)|[#$]\{[^}]{0,80}\.getclass\s*\(/i;
const JAVA_TYPE = /^(?:com|org|java|javax|sun|ch|net|oracle|jdk|io)\.[\w$]+(?:\.[\w$]+){1,8}$/;
const TYPE_KEY = /"@type"\s{0,8}:\s{0,8}"(?:com|org|java|javax|sun|ch|net|oracle|jdk)\./i;
const CLASSLOADER_PARAM = /(?:^|\.)class\.(?:module\.)?classloader\b|^class\[|\.classloader\.resources/i;

/** Java injection score of one (normalised) value. */
export function detectJava(v: Inspected): Finding | null {
  const s = v.text;
  const name = v.field.name;
  if (v.field.kind === "name" && CLASSLOADER_PARAM.test(s)) return { ruleId: "java-classloader-manipulation", score: 7 };
  if (name !== null && (name === "@type" || name === "@class" || name === "$type") && JAVA_TYPE.test(s.trim())) return { ruleId: "java-polymorphic-type", score: 7 };
  if (SERIALIZED.test(s)) return { ruleId: "java-deserialization", score: 7 };
  if (s.includes("#") || s.includes("@") || s.includes("%{")) {
    if (OGNL.test(s)) return { ruleId: "java-ognl", score: 7 };
  }
  if (TYPE_KEY.test(s)) return { ruleId: "java-polymorphic-type", score: 7 };
  if (GADGETS.test(s)) return { ruleId: "java-runtime-class", score: 7 };
  if (SPEL.test(s)) return { ruleId: "java-expression", score: 6 };
  if (GET_CLASS.test(s)) return { ruleId: "java-expression", score: 5 };
  return null;
}
