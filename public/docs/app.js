// @ts-check
/**
 * The "try it" forms of `/docs` (`/docs/app.js`, an ES module): each form calls its operation on
 * this origin with the token pasted at the top of the page and prints the status and the body.
 * Checked JavaScript: `tsc -p public` type-checks it, the browser runs it as it is.
 */
import { byId, cleanToken, errorText } from "../common/page.js";

/**
 * The request a form describes: `path:<name>` fields fill the path's `{name}`, non-empty
 * `query:<name>` fields make the query, and `body` is sent as JSON (not with GET).
 * @param {HTMLFormElement} form
 * @returns {{ url: string, init: RequestInit }}
 */
function requestOf(form) {
  const method = form.dataset.method ?? "GET";
  let path = form.dataset.path ?? "/";
  const query = new URLSearchParams();
  const data = new FormData(form);
  data.forEach((value, key) => {
    if (key.startsWith("path:")) path = path.replace("{" + key.slice(5) + "}", encodeURIComponent(String(value)));
    else if (key.startsWith("query:") && value !== "") query.set(key.slice(6), String(value));
  });
  /** @type {Record<string, string>} */
  const headers = {};
  const token = cleanToken(byId("token", HTMLInputElement).value);
  if (token) headers.authorization = "Bearer " + token;
  /** @type {RequestInit} */
  const init = { method, headers };
  if (data.has("body") && method !== "GET") {
    headers["content-type"] = "application/json";
    init.body = String(data.get("body"));
  }
  return { url: path + (query.size ? "?" + query : ""), init };
}

/**
 * Sends the form's request and prints the answer (or the network error) under the form.
 * @param {HTMLFormElement} form
 */
async function send(form) {
  const out = form.querySelector(".result");
  if (!(out instanceof HTMLElement)) return;
  const { url, init } = requestOf(form);
  out.hidden = false;
  out.textContent = "…";
  try {
    const res = await fetch(url, init);
    let text = await res.text();
    try {
      text = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      // Not JSON: shown as it came.
    }
    out.textContent = res.status + " " + res.statusText + "\n" + text;
  } catch (e) {
    out.textContent = errorText(e);
  }
}

for (const form of document.querySelectorAll("form.try")) {
  if (!(form instanceof HTMLFormElement)) continue;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void send(form);
  });
}
