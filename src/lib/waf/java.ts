/**
 * Java injection:
 * - serialized Java objects: the stream magic `AC ED 00 05` raw (Latin-1 or as U+FFFD pairs
 *   when a binary body was read as UTF-8), in hex (`aced0005`), in base64 (`rO0AB…`, and the
 *   1/2-byte shifted forms inside a longer base64 blob), and gzip'd base64 (`H4sI…`: the gzip
 *   member is actually inflated, a few bytes only, to see the magic);
 * - runtime / process / reflection / script-engine classes and deserialization gadget classes
 *   named anywhere (`java.lang.Runtime`, `ProcessBuilder`, `InvokerTransformer`, `TemplatesImpl`,
 *   `JdbcRowSetImpl`, `java.beans.XMLDecoder`, …) and commons-collections functor names next to
 *   a process class;
 * - a value (or parameter name, JSON key, cookie name, XML text) that *is* a class or package
 *   name from the JDK's dangerous packages or a known gadget library (`java.io.File`,
 *   `org.apache.commons…`): type-confusion probes and polymorphic deserialization;
 * - polymorphic type keys naming a class (`"@type":"com.sun…"`), SnakeYAML tags (`!!javax…`);
 * - OGNL (`%{(#…)}`, `#_memberAccess`, `@java.lang.Runtime@getRuntime()`), SpEL/EL
 *   (`T(java.lang.Runtime)`, `''.getClass().forName(…)`, reflection calls inside `${…}`,
 *   `#{…}`, `%{…}`, `*{…}`, `{{…}}`, `#set(…)`), Spring4Shell / Struts class-loader paths;
 * - JSP uploads (`.jsp`/`.jspx` file names in multipart or `X-Filename` headers).
 * Words such as "java", "runtime" or "class" in prose, stack traces and code snippets do not
 * count on their own: a class name must be the whole value, or sit in an expression, or come
 * with a process class.
 *
 * The bounded gzip reader that looks inside `H4sI…` values is in `java/inflate.ts`.
 */
import { gunzipBase64Prefix } from "./java/inflate.ts";
import type { Finding, Inspected } from "./types.ts";
export { gunzipBase64Prefix } from "./java/inflate.ts";

// ---------------------------------------------------------------------------------------------
// Serialized objects

const SERIALIZED =
  /(?:^|[^A-Za-z0-9+/])rO0AB|(?:^|[^0-9A-Fa-f])[aA][cC][eE][dD]0005|\u00ac\u00ed\u0000?\u0005|\ufffd\ufffd\u0000?\u0005(?:sr|ur|t\u0000|w)|\\xac\\xed\\x00\\x05|%ac%ed%00%05/;
/** The magic shifted by one or two bytes inside a longer base64 blob (a prefix byte or two). */
const SERIALIZED_SHIFTED = /[A-Za-z0-9+/]{2}(?:KztAAX|Cs7QAF)[A-Za-z0-9+/]{4}/;
/** A gzip member in base64 (`1F 8B 08`), long enough to hold an object. */
const GZIP_B64 = /(?:^|[^A-Za-z0-9+/])(H4sI[A-Za-z0-9+/_-]{24,})/;

function gzippedObject(s: string): boolean {
  const m = GZIP_B64.exec(s);
  if (m === null) return false;
  const head = gunzipBase64Prefix(m[1]!, 8);
  if (head === null || head.length < 4) return false;
  if (head[0] === 0xac && head[1] === 0xed && head[2] === 0 && head[3] === 5) return true;
  // Base64 of a serialized object, gzip'd (`rO0AB` inside).
  return String.fromCharCode(...head.slice(0, 5)) === "rO0AB";
}

// ---------------------------------------------------------------------------------------------
// Classes

/**
 * Runtime, process, reflection, script-engine and gadget classes: named anywhere, they are the
 * payload (except in a stack trace, where the JDK's own frames name them too).
 */
const GADGET_CLASSES = new RegExp(
  [
    String.raw`java\.lang\.(?:runtime|processbuilder|processimpl|classloader)\b`,
    String.raw`java\.lang\.reflect\.(?!\w*(?:exception|error)\b)\w`,
    String.raw`java\.net\.urlclassloader`,
    String.raw`java\.beans\.(?:xmldecoder|eventhandler)`,
    String.raw`javax\.script\.scriptenginemanager`,
    String.raw`javax\.naming\.initialcontext`,
    String.raw`javax\.management\.(?!\w*(?:exception|error)\b)\w`,
    String.raw`com\.sun\.rowset\.jdbcrowsetimpl`,
    String.raw`com\.sun\.org\.apache\.(?:xalan|bcel)`,
    String.raw`com\.sun\.jndi\.`,
    String.raw`templatesimpl`,
    String.raw`(?:invoker|chained|constant|instantiate|clone)transformer`,
    String.raw`prototype(?:clone|serialization)factory`,
    String.raw`instantiatefactory`,
    String.raw`whileclosure`,
    String.raw`org\.apache\.commons\.collections4?\.(?:functors\.|keyvalue\.tiedmapentry|map\.(?:lazymap|transformedmap|defaultedmap))`,
    String.raw`org\.apache\.commons\.beanutils\.beancomparator`,
    String.raw`org\.springframework\.(?:context\.support\.(?:filesystem|classpath)xmlapplicationcontext|beans\.factory\.config\.propertypathfactorybean|jndi\.)`,
    String.raw`ch\.qos\.logback\.core\.db\.(?:jndiconnectionsource|drivermanagerconnectionsource)`,
    String.raw`org\.apache\.xbean\.propertyeditor`,
    String.raw`com\.mchange\.v2\.c3p0`,
    String.raw`bsh\.interpreter`,
    String.raw`groovy\.lang\.groovy(?:shell|classloader)`,
    String.raw`org\.codehaus\.groovy\.runtime`,
    String.raw`ysoserial`,
    String.raw`freemarker\.template\.utility\.(?:execute|objectconstructor|jythonruntime)`,
    String.raw`com\.alibaba\.fastjson`,
    String.raw`org\.apache\.(?:tomcat\.dbcp|commons\.dbcp2?\.(?:cpdsadapter|datasources))`,
    String.raw`org\.apache\.ibatis\.datasource\.jndi`,
    String.raw`org\.hibernate\.jmx`,
    String.raw`sun\.misc\.unsafe`,
    String.raw`sun\.reflect\.annotation`,
    String.raw`jdk\.nashorn`,
    String.raw`org\.mozilla\.javascript\.(?:nativejavaobject|tools)`,
    String.raw`scriptenginemanager`,
  ].join("|"),
  "i",
);
/** Code that runs a process or loads a class by name through an object: the payload itself, in or out of an expression. */
const EXEC_CODE =
  /getruntime\s*\(\s*\)\s*\.\s*exec\s*\(|new\s+(?:java\.lang\.)?processbuilder\s*\(|\.getclass\s*\(\s*\)\s*\.\s*forname\s*\(|['"]\s{0,4}\.\s{0,4}execute\s{0,4}\(\s{0,4}\)/i;
/** `Class.forName(…)` / `x.getClass().getMethod(…)`: ordinary in Java code snippets (JDBC drivers), a signal only. */
const REFLECTION_CODE =
  /\bclass\s*\.\s*forname\s*\(|\.getclass\s*\(\s*\)\s*\.\s*(?:getclassloader|getmethod|getdeclared)/i;
/** A JVM stack trace frame: `at java.lang.Thread.run(Thread.java:833)`. */
const STACK_FRAME =
  /\bat\s{1,4}[\w$./]{1,200}\((?:[\w$]{1,80}\.(?:java|kt|scala|groovy|clj):\d{1,6}|Native Method|Unknown Source)\)/;

/** `java.…Runtime` / `java.…ProcessBuilder` as one dotted name (Java is case-sensitive, so is this). */
const JAVA_PROCESS = /\bjava\.(?:[A-Za-z_$][\w$]{0,40}\.){0,5}(?:Runtime|ProcessBuilder|ProcessImpl)\b/;
/** A process class anywhere in the value, and a gadget helper that only matters next to one. */
const PROCESS_WORD = /runtime|processbuilder/i;
const GADGET_HELPER = /forclosure|filewriter|getproperty|xmldecoder|unmarshaller|base64data/i;

/**
 * Whole-value class or package names from the JDK's dangerous packages and gadget libraries.
 * Matched against the value when it is nothing but a dotted name (optionally `[L…;` / `…[]`).
 */
const DANGEROUS_NAME = new RegExp(
  "^(?:" +
    [
      String.raw`java\.(?:lang|io|nio|net|rmi|beans|security|util\.(?:concurrent|function|prefs|jar|zip)|util\.[A-Z]\w*)(?:\.[\w$]+)*`,
      String.raw`javax\.(?:script|naming|management|el|xml\.transform|imageio\.spi|swing\.(?:text|plaf|UIDefaults))(?:\.[\w$]+)*`,
      String.raw`sun\.(?:misc|reflect|rmi|net|nio|tools|security|print|awt|swing|management|jvmstat|corba|org|invoke|tracing)(?:\.[\w$]+)*`,
      String.raw`jdk\.(?:nashorn|internal|jshell)(?:\.[\w$]+)*`,
      String.raw`org\.apache\.(?:commons|xalan|xbean|bcel|naming|myfaces|wicket|shiro|velocity|ibatis|click|batik|openjpa|xmlbeans)(?:\.[\w$]+)*`,
      String.raw`org\.omg\.[\w$]+(?:\.[\w$]+)*`,
      String.raw`org\.mozilla\.javascript(?:\.[\w$]+)*`,
      String.raw`org\.codehaus\.(?:groovy|janino)(?:\.[\w$]+)*`,
      String.raw`groovy\.(?:lang|util|transform)(?:\.[\w$]+)*`,
      String.raw`(?:bsh|ognl|clojure|javassist)\.[\w$]+(?:\.[\w$]+)*`,
      String.raw`com\.opensymphony\.[\w$]+(?:\.[\w$]+)*`,
      String.raw`org\.springframework\.(?:context\.support|beans\.factory|jndi|aop|expression|transaction\.jta)(?:\.[\w$]+)*`,
      String.raw`com\.(?:sun|mchange|zaxxer\.hikari|alibaba\.fastjson|thoughtworks\.xstream|caucho|esotericsoftware\.kryo|rometools)(?:\.[\w$]+)*`,
      String.raw`org\.(?:hibernate\.(?:jmx|engine|tuple|property)|jboss\.(?:interceptor|weld|util)|python\.core|yaml\.snakeyaml|aspectj\.weaver)(?:\.[\w$]+)*`,
      String.raw`(?:oracle\.jdbc|weblogic|freemarker\.template\.utility|net\.sf\.json|br\.com\.anteros)(?:\.[\w$]+)*`,
    ].join("|") +
    ")$",
);
/** A dotted name that could be a Java class (checked before the expensive list). */
const DOTTED_NAME = /^(?:\[{1,3}L)?[A-Za-z_$][\w$]{0,40}(?:\.[A-Za-z_$][\w$]{0,60}){1,12}(?:;|(?:\[\]){1,3})?$/;
/** `name=value` (a form body sent as plain text): the value part. */
const PAIR_VALUE = /^[\w.[\]-]{1,64}=([^=&\s]{3,200})$/;

/**
 * Parameters where a bare package/class name is expected: what people type into a search box,
 * and build or logging metadata (Maven group ids, module and logger names).
 */
// oxfmt-ignore
const EXPECTED_NAME_FIELDS = new Set([
  "q", "query", "search", "s", "term", "terms", "keyword", "keywords", "text", "k", "find", "searchterm", "search_query",
  "groupid", "group_id", "group", "package", "packagename", "package_name", "artifact", "artifactid", "dependency",
  "module", "logger", "loggername", "logger_name", "namespace", "library",
]);

function dangerousName(s: string): boolean {
  let t = s.trim();
  if (t.length < 7 || t.length > 200) return false;
  const q = t.charCodeAt(0);
  if ((q === 34 || q === 39) && t.charCodeAt(t.length - 1) === q) t = t.slice(1, -1);
  if (!DOTTED_NAME.test(t)) {
    const pair = PAIR_VALUE.exec(t);
    if (pair === null || !DOTTED_NAME.test(pair[1]!)) return false;
    t = pair[1]!;
  }
  // `[Ljava.lang.String;` (array descriptors) and `java.lang.Object[]` name the same class.
  t = t.replace(/^\[{1,3}L/, "").replace(/(?:;|(?:\[\]){1,3})$/, "");
  // At least three segments: `java.net` or `sun.com` alone are host names, not classes.
  const firstDot = t.indexOf(".");
  if (firstDot === -1 || t.indexOf(".", firstDot + 1) === -1) return false;
  // Exception and error types are what error reports name, not what an attacker instantiates.
  if (/(?:Exception|Error)$/.test(t)) return false;
  return DANGEROUS_NAME.test(t);
}

const JAVA_TYPE = /^(?:com|org|java|javax|sun|ch|net|oracle|jdk|io|br)\.[\w$]+(?:\.[\w$]+){1,8}$/;
const TYPE_KEY = /"@(?:type|class)"\s{0,8}:\s{0,8}"(?:com|org|java|javax|sun|ch|net|oracle|jdk|br)\./i;
/** SnakeYAML / YAMLBeans global tags naming a class: `!!javax.script.ScriptEngineManager`. */
const YAML_TAG = /!!(?:[a-z_$][\w$]{0,40}\.){1,10}[A-Za-z_$][\w$]{0,60}\s{0,8}[[{(\n]/;
const YAML_TAG_NAMED = /!!(?:java|javax|com|org|sun|jdk)\./;

// ---------------------------------------------------------------------------------------------
// Expressions (OGNL, SpEL, EL, Velocity, FreeMarker reflection)

const OGNL =
  /%\{\s{0,8}\(?\s{0,8}#|#_memberaccess|@ognl\.|ognlcontext|default_member_access|#context\s*\[|@java\.lang\.|#(?:application|attr|request|session)\s*\[|\(#[a-z_]{1,20}=|#parameters\.|xwork\.methodaccessor|@org\.apache\.struts/i;
/** OGNL static access: `@pkg.Class@member` (class capitalised, as Java classes are). */
const OGNL_STATIC = /@(?:[a-z_$][\w$]{0,40}\.){1,8}[A-Z][\w$]{0,60}@[A-Za-z_$]/;
const SPEL =
  /\bT\s{0,4}\(\s{0,4}(?:java|javax|org|com)\.|new\s+java\.(?:util\.scanner|io\.|lang\.)|#\{\s{0,4}T\s{0,4}\(|\$\{\s{0,4}T\s{0,4}\(|\bclass\.module\.classloader|\bclass\.classloader|\bclass\s{0,4}\[\s{0,4}['"]?(?:module|classloader)\b/i;
/** `''.getClass()` in an EL expression; on its own also ordinary Java, so a weak signal. */
const GET_CLASS = /['"\])]\s{0,4}\.\s{0,4}getclass\s*\(\s*\)/i;
/** Where an expression starts: `${`, `#{`, `%{`, `*{`, `@{`, `~{`, `{{`, `#set(`, `<#assign`, `[#assign`, `[=`. */
const EXPR_OPEN = /[$#%*@~]\{|\{\{|#set\s{0,4}\(|[<[]#assign\b|\[=/i;
/** Reflection, class loading, process and script-engine calls: inside an expression they are the attack. */
const REFLECT_CALL =
  /\.\s{0,4}(?:getclass|forname|getmethods?|getdeclaredmethods?|getdeclaredconstructors?|getconstructors?|getdeclaredfields?|newinstance|getruntime|getclassloader|loadclass|defineclass|getenginebyname|getprotectiondomain|setaccessible|getcodesource)\s{0,4}\(|\.\s{0,4}(?:classloader|protectiondomain)\b|\bclass\s{0,4}\.\s{0,4}(?:getresource|getclassloader|forname|classloader)|\?\s{0,4}new\s{0,4}\(\s{0,4}\)|\.\s{0,4}execute\s{0,4}\(\s{0,4}\)\s{0,4}\.\s{0,4}text\b/i;
/** EL's `class` root object: `${class.…}` (in JavaScript `class` cannot start a template expression). */
const EL_CLASS_ROOT = /[$#*@~]\{\s{0,4}class\s{0,4}\./i;

const CLASSLOADER_PARAM = /(?:^|\.)class\.(?:module\.)?classloader\b|^class\[|\.classloader\.resources/i;

/**
 * A quoted `java.lang` method called like a function (HSQLDB, H2: Java routines in SQL) that
 * waits, runs, reads the environment or loads code (`CALL "java.lang.Math.sqrt"(15)` is SQL).
 */
const SQL_JAVA_ROUTINE =
  /["']java\.lang\.(?:Thread\.sleep|Runtime\.[A-Za-z]{2,20}|System\.(?:getProperty|getenv|exit|setProperty|load|loadLibrary)|ProcessBuilder|Class\.forName)["']\s{0,4}\(/;

/** JSP / JSPX upload names (trailing dots and spaces are dropped by Windows and some servers). */
const JSP_FILE = /\.\s{0,4}jspx?[.\s]{0,8}$/i;
const FILENAME_HEADERS = new Set(["x-filename", "x_filename", "x.filename", "x-file-name", "x-file", "filename"]);

/** Cheap test: can any Java signal be present? (Most values stop here.) */
const HINT =
  /java|jdk\.|sun\.|org\.|com\.|ch\.qos|bsh\.|ognl|groovy|freemarker|oracle\.|weblogic|clojure|javassist|classloader|getclass|forname|runtime|processbuilder|transformer|factory|closure|templatesimpl|rowset|ysoserial|scriptengine|initialcontext|reflect|unsafe|nashorn|xmldecoder|\.\s{0,4}jsp|aced0005|%ac%ed|\\xac|[\u00ac\ufffd]|[$#%*@~]\{|\{\{|#set|#assign|\[=|\(#|#_|@\w|!!|\bt\s{0,4}\(|\?new|\.execute/;

/** What a dotted name the detector looks for ends with right before a dot (`java.`, `org.`, `ch.qos.`, `class.`). */
const DOTTED_ROOT =
  /(?:java|javax|jdk|sun|org|com|ch|bsh|groovy|freemarker|oracle|weblogic|net|br|io|ognl|clojure|javassist|class|classloader)$/;

/**
 * Cheap test (the class's gate): can any Java signal be present? Every signal the detector scores
 * needs one of: an expression, call, annotation, tag or escape character (`(`, `#`, `@` other than
 * an e-mail address's, `{`, `[`, `!!`, `%`, `\`, `¬`, U+FFFD), a dotted name from the packages it knows (`java.`, `org.`, `sun.`,
 * `class.`…) or a `.jsp` name, a serialization marker (`rO0AB`, `H4sI`, `aced0005`…), or a
 * gadget or process class name written as one word (`InvokerTransformer`, `ProcessBuilder`).
 */
/** The same test in one pass for short values (`.` stands for the dotted names). */
const SHORT_GATE =
  /[(#@{[%\\\u0005.]|!!|0ab|4si|ztaa|7qa|0005|runtime|processbuilder|transformer|factory|closure|templatesimpl|ysoserial|scriptengine/;

/** A word character or `.`, `+`, `-`: what stands on both sides of an e-mail address's `@`. */
const isAddressChar = (c: number) =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 43 || c === 45;

/**
 * An `@` that can start Java syntax: an annotation or OGNL static access (`@java.lang.Math@random`,
 * `@Foo(`), `@{`, or a second `@`. The single `@` inside an e-mail address (a word character on
 * each side) is none: the rules that name `@ognl.`, `@java.lang.` or `@org.apache.struts` also
 * pass by the dotted names below.
 */
function signalAt(t: string): boolean {
  const at = t.indexOf("@");
  if (at === -1) return false;
  if (t.indexOf("@", at + 1) !== -1) return true;
  return !(at > 0 && isAddressChar(t.charCodeAt(at - 1)) && isAddressChar(t.charCodeAt(at + 1)));
}

export function javaGate(t: string, l: string): boolean {
  if (t.length <= 20) return SHORT_GATE.test(l);
  if (
    t.includes("(") ||
    t.includes("#") ||
    signalAt(t) ||
    t.includes("{") ||
    t.includes("[") ||
    t.includes("%") ||
    t.includes("\\") ||
    t.includes("!!")
  )
    return true;
  // Raw stream magic (`AC ED 00 05`, also as U+FFFD pairs): the `05` byte.
  if (t.includes("\u0005")) return true;
  for (let i = l.indexOf("."); i !== -1; i = l.indexOf(".", i + 1)) {
    const before = l.charCodeAt(i - 1);
    if (before < 97 || before > 122) continue;
    const after = l.charCodeAt(i + 1);
    if ((after >= 97 && after <= 122) || after === 36 || after === 95) {
      if (DOTTED_ROOT.test(l.slice(Math.max(0, i - 12), i)) || l.startsWith("jsp", i + 1)) return true;
    } else if (after === 32) {
      let j = i + 2;
      while (j - i <= 5 && l.charCodeAt(j) === 32) j++;
      if (l.startsWith("jsp", j)) return true;
    }
  }
  if (t.length < 4) return false;
  // Serialization markers, searched from a digit or rare letter (`0AB` of `rO0AB`, `4sI` of `H4sI`, `0005` of `aced0005`).
  if (t.includes("0AB") || t.includes("4sI") || t.includes("ztAA") || t.includes("7QA") || t.includes("0005"))
    return true;
  // Gadget and process classes as one word (`InvokerTransformer`, `ProcessBuilder`, `ysoserial`), where a
  // class name is the value: a single token. (In text with spaces they come with dots, calls or type keys.)
  if (t.length < 7 || t.includes(" ")) return false;
  return (
    l.includes("runtime") ||
    l.includes("processbuilder") ||
    l.includes("transformer") ||
    l.includes("factory") ||
    l.includes("closure") ||
    l.includes("templatesimpl") ||
    l.includes("ysoserial") ||
    l.includes("scriptengine")
  );
}

function expressionReflection(s: string): boolean {
  const open = EXPR_OPEN.exec(s);
  if (open === null) return false;
  const rest = s.slice(open.index, open.index + 8_192);
  return REFLECT_CALL.test(rest) || EL_CLASS_ROOT.test(rest);
}

/** Java injection score of one (normalised) value. */
export function detectJava(v: Inspected): Finding | null {
  const s = v.text;
  const l = v.lower;
  const name = v.field.name;
  const kind = v.field.kind;
  if (!s.includes("rO0AB") && !s.includes("H4sI") && !s.includes("KztAA") && !s.includes("Cs7QA") && !HINT.test(l))
    return null;

  if (kind === "name" && CLASSLOADER_PARAM.test(s)) return { ruleId: "java-classloader-manipulation", score: 7 };
  if (name !== null && (name === "@type" || name === "@class" || name === "$type") && JAVA_TYPE.test(s.trim()))
    return { ruleId: "java-polymorphic-type", score: 7 };
  if (SERIALIZED.test(s) || SERIALIZED_SHIFTED.test(s) || (s.includes("H4sI") && gzippedObject(s)))
    return { ruleId: "java-deserialization", score: 7 };
  if (s.includes("#") || s.includes("@") || s.includes("%{")) {
    if (OGNL.test(s) || OGNL_STATIC.test(s)) return { ruleId: "java-ognl", score: 7 };
  }
  if (TYPE_KEY.test(s)) return { ruleId: "java-polymorphic-type", score: 7 };
  if (s.includes("!!") && YAML_TAG.test(s) && YAML_TAG_NAMED.test(s))
    return { ruleId: "java-polymorphic-type", score: 7 };
  if (EXEC_CODE.test(s)) return { ruleId: "java-runtime-class", score: 7 };
  const trace = STACK_FRAME.test(s);
  if (!trace && GADGET_CLASSES.test(s)) return { ruleId: "java-runtime-class", score: 7 };
  if (!trace && JAVA_PROCESS.test(s)) return { ruleId: "java-runtime-class", score: 6 };
  if (GADGET_HELPER.test(s) && PROCESS_WORD.test(s)) return { ruleId: "java-gadget-chain", score: 6 };
  if (SPEL.test(s)) return { ruleId: "java-expression", score: 6 };
  // HSQLDB and H2 call a Java method named in quotes from SQL (`"java.lang.Thread.sleep"(5000)`):
  // no Java or other language calls a string.
  if (l.includes("java.lang.") && SQL_JAVA_ROUTINE.test(s)) return { ruleId: "java-sql-routine", score: 6 };
  if (expressionReflection(s)) return { ruleId: "java-expression", score: 6 };
  if (GET_CLASS.test(s)) return { ruleId: "java-expression", score: 5 };
  if (REFLECTION_CODE.test(s)) return { ruleId: "java-reflection", score: 4 };

  // File names: a JSP page uploaded is a web shell on a Java server.
  if (
    (name === "filename" && v.field.where === "body-filename") ||
    (kind === "header" && name !== null && FILENAME_HEADERS.has(name))
  ) {
    if (JSP_FILE.test(s)) return { ruleId: "java-jsp-upload", score: 6 };
  }
  // The whole value (or name) is a class/package name from a dangerous package.
  if (dangerousName(s)) {
    if (kind !== "name" && name !== null && EXPECTED_NAME_FIELDS.has(name))
      return { ruleId: "java-class-name", score: 5, pl: 2 };
    return { ruleId: "java-class-name", score: 5 };
  }
  return null;
}
