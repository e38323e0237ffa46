/**
 * `/docs`: an API reference rendered on the server from the same OpenAPI document served at
 * `/openapi.json`, under the pages' CSP (routes/pages.ts). Its script and stylesheet are static
 * files of this origin (`public/docs/`), so it works offline. Each operation has a small
 * "try it" form that `/docs/app.js` sends to the API.
 */
import { Hono } from "hono";
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { AppEnv } from "../src/env.ts";
import { PAGE_HEADERS } from "./pages.ts";

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

function operationHtml(
  path: string,
  method: string,
  op: OpenApiOperation,
  index: number,
): HtmlEscapedString | Promise<HtmlEscapedString> {
  const params = op.parameters ?? [];
  const body = op.requestBody?.content?.["application/json"]?.schema;
  const responses = Object.entries(op.responses ?? {});
  return html`<section class="op" id="op-${index}">
    <h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${path}</code></h3>
    ${op.summary ? html`<p>${op.summary}</p>` : ""} ${op.description ? html`<p class="desc">${op.description}</p>` : ""}
    ${
      params.length
        ? html`<table>
            <tr>
              <th>Parameter</th>
              <th>In</th>
              <th>Required</th>
              <th>Description</th>
            </tr>
            ${params.map(
              (p) =>
                html`<tr>
                  <td><code>${p.name}</code></td>
                  <td>${p.in}</td>
                  <td>${p.required ? "yes" : "no"}</td>
                  <td>${p.description ?? ""}</td>
                </tr>`,
            )}
          </table>`
        : ""
    }
    ${
      body
        ? html`<details>
            <summary>Request body (application/json)</summary>
            <pre>${JSON.stringify(body, null, 2)}</pre>
          </details>`
        : ""
    }
    <ul class="responses">
      ${responses.map(([status, r]) => html`<li><code>${status}</code> ${r.description ?? ""}</li>`)}
    </ul>
    <form class="try" data-method="${method.toUpperCase()}" data-path="${path}">
      ${params.filter((p) => p.in === "path" || p.in === "query").map((p) => html`<label>${p.name} <input name="${p.in}:${p.name}" /></label>`)}
      ${body || method !== "get" ? html`<label class="wide">Body <textarea name="body" rows="4">{}</textarea></label>` : ""}
      <button type="submit">Try it</button>
      <pre class="result" hidden></pre>
    </form>
  </section>`;
}

export function renderDocs(doc: OpenApiDocumentLike): HtmlEscapedString | Promise<HtmlEscapedString> {
  let index = 0;
  const ops = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    METHODS.flatMap((method) => {
      const op = item?.[method];
      return op ? [operationHtml(path, method, op, index++)] : [];
    }),
  );
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${doc.info.title} — API reference</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/docs/app.css" />
        <link rel="modulepreload" href="/common/page.js" />
        <script type="module" src="/docs/app.js"></script>
      </head>
      <body>
        <h1>${doc.info.title}</h1>
        <p>Version ${doc.info.version} · <a href="/openapi.json">openapi.json</a></p>
        ${doc.info.description ? html`<p>${doc.info.description}</p>` : ""}
        <p>
          <label
            >Access token <input id="token" size="60" placeholder="paste a token (npm run token)" autocomplete="off"
          /></label>
        </p>
        <main>${ops}</main>
      </body>
    </html>`;
}

/** Mounts `GET /docs`; `getDocument` returns the app's OpenAPI 3.1 document. */
export function docsRoutes(getDocument: () => object) {
  // The document comes from @hono/zod-openapi; only the fields declared above are read.
  return new Hono<AppEnv>().get("/docs", (c) =>
    c.html(renderDocs(getDocument() as OpenApiDocumentLike), { headers: PAGE_HEADERS }),
  );
}
