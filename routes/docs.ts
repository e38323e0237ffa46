/**
 * `/docs`: an API reference rendered on the server from the same OpenAPI document served at
 * `/openapi.json` — no script or stylesheet from a CDN, so it works offline and under a strict
 * CSP. Each operation has a small "try it" form that calls the API from the page.
 */
import { Hono } from "hono";
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { AppEnv } from "../src/env.ts";

interface OpenApiParameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: unknown;
}

interface OpenApiOperation {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: OpenApiParameter[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string }>;
  security?: unknown[];
}

export interface OpenApiDocumentLike {
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Record<string, OpenApiOperation | undefined> | undefined>;
}

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

function operationHtml(path: string, method: string, op: OpenApiOperation, index: number): HtmlEscapedString | Promise<HtmlEscapedString> {
  const params = op.parameters ?? [];
  const body = op.requestBody?.content?.["application/json"]?.schema;
  const responses = Object.entries(op.responses ?? {});
  return html`<section class="op" id="op-${index}">
    <h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${path}</code></h3>
    ${op.summary ? html`<p>${op.summary}</p>` : ""}
    ${op.description ? html`<p class="desc">${op.description}</p>` : ""}
    ${params.length
      ? html`<table><tr><th>Parameter</th><th>In</th><th>Required</th><th>Description</th></tr>
          ${params.map((p) => html`<tr><td><code>${p.name}</code></td><td>${p.in}</td><td>${p.required ? "yes" : "no"}</td><td>${p.description ?? ""}</td></tr>`)}
        </table>`
      : ""}
    ${body ? html`<details><summary>Request body (application/json)</summary><pre>${JSON.stringify(body, null, 2)}</pre></details>` : ""}
    <ul class="responses">${responses.map(([status, r]) => html`<li><code>${status}</code> ${r.description ?? ""}</li>`)}</ul>
    <form class="try" data-method="${method.toUpperCase()}" data-path="${path}">
      ${params.filter((p) => p.in === "path" || p.in === "query").map((p) => html`<label>${p.name} <input name="${p.in}:${p.name}" /></label>`)}
      ${body || method !== "get" ? html`<label class="wide">Body <textarea name="body" rows="4">{}</textarea></label>` : ""}
      <button type="submit">Try it</button>
      <pre class="result" hidden></pre>
    </form>
  </section>`;
}

const TRY_IT_SCRIPT = `
document.querySelectorAll('form.try').forEach(function (form) {
  form.addEventListener('submit', async function (ev) {
    ev.preventDefault();
    var path = form.dataset.path, query = new URLSearchParams(), data = new FormData(form);
    data.forEach(function (value, key) {
      if (key.indexOf('path:') === 0) path = path.replace('{' + key.slice(5) + '}', encodeURIComponent(String(value)));
      else if (key.indexOf('query:') === 0 && value !== '') query.set(key.slice(6), String(value));
    });
    var headers = {}, token = document.getElementById('token').value.trim();
    if (token) headers.authorization = 'Bearer ' + token;
    var init = { method: form.dataset.method, headers: headers };
    if (data.has('body') && form.dataset.method !== 'GET') { headers['content-type'] = 'application/json'; init.body = String(data.get('body')); }
    var out = form.querySelector('.result'); out.hidden = false; out.textContent = '…';
    try {
      var res = await fetch(path + (query.size ? '?' + query : ''), init);
      var text = await res.text();
      try { text = JSON.stringify(JSON.parse(text), null, 2); } catch (e) {}
      out.textContent = res.status + ' ' + res.statusText + '\\n' + text;
    } catch (e) { out.textContent = String(e); }
  });
});`;

const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:980px;padding:1rem 2rem;color:#1d2433}
h1{margin-bottom:0}.op{border:1px solid #d8dee8;border-radius:8px;padding:.5rem 1rem;margin:1rem 0}
.method{display:inline-block;min-width:4.5em;text-align:center;border-radius:4px;color:#fff;font-size:.8em;padding:2px 6px}
.get{background:#2b7de9}.post{background:#1f9d55}.put{background:#c27c0e}.patch{background:#8a5cd6}.delete{background:#d64545}
table{border-collapse:collapse}td,th{border:1px solid #d8dee8;padding:2px 8px;text-align:left}
pre{background:#f5f7fa;padding:.5rem;overflow:auto;max-height:24rem}label{margin-right:1rem}
label.wide{display:block}textarea{width:100%;font-family:monospace}.desc{color:#4a5568}`;

export function renderDocs(doc: OpenApiDocumentLike): HtmlEscapedString | Promise<HtmlEscapedString> {
  let index = 0;
  const ops = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    METHODS.flatMap((method) => {
      const op = item?.[method];
      return op ? [operationHtml(path, method, op, index++)] : [];
    }),
  );
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8" /><meta name="viewport" content="width=device-width, initial-scale=1" />
<title>${doc.info.title} — API reference</title><style>${raw(STYLE)}</style></head>
<body><h1>${doc.info.title}</h1><p>Version ${doc.info.version} · <a href="/openapi.json">openapi.json</a></p>
${doc.info.description ? html`<p>${doc.info.description}</p>` : ""}
<p><label>Access token <input id="token" size="60" placeholder="paste a token (npm run token)" autocomplete="off" /></label></p>
<main>${ops}</main>
<script>${raw(TRY_IT_SCRIPT)}</script></body></html>`;
}

/** Mounts `GET /docs`; `getDocument` returns the app's OpenAPI 3.1 document. */
export function docsRoutes(getDocument: () => object) {
  // The document comes from @hono/zod-openapi; only the fields declared above are read.
  return new Hono<AppEnv>().get("/docs", (c) => c.html(renderDocs(getDocument() as OpenApiDocumentLike)));
}
