// @ts-check
/**
 * What the admin page (`/admin/app.js`) and the room page (`/rooms/app.js`) share, served as
 * `/common/page.js`: DOM helpers that never parse markup (text goes in through `append` and
 * `setAttribute`), the access token of this browser tab, and calls to this origin's API whose
 * failures come back as a problem (`application/problem+json`) ready to show.
 */

/**
 * The fields of an `application/problem+json` answer that the pages show, filled in from what
 * the answer had when it was something else.
 * @typedef {object} Problem
 * @property {string} type
 * @property {string} title
 * @property {string} detail
 * @property {string} requestId Quoted to whoever reads the logs.
 * @property {unknown[]} errors The `422` list of `{path, message}`.
 */

/**
 * An API answer: never an exception.
 * @typedef {object} ApiResult
 * @property {boolean} ok
 * @property {number} status 0 when the server could not be reached.
 * @property {Headers} headers
 * @property {unknown} body The parsed JSON body, or null.
 * @property {Problem | null} problem Set when not `ok`.
 */

/**
 * @typedef {object} ApiOptions
 * @property {string | null} [token] Sent as `Authorization: Bearer …`.
 * @property {unknown} [body] Sent as JSON.
 * @property {Record<string, string>} [headers]
 */

/** @typedef {string | number | boolean | null | undefined | ((event: Event) => void)} AttributeValue */
/** @typedef {Node | string | null | undefined | false} Child */

/**
 * The element with this id, checked to be of the given type (a missing one is a bug in the page).
 * @template {HTMLElement} T
 * @param {string} id
 * @param {{ new (): T; prototype: T }} type
 * @returns {T}
 */
export function byId(id, type) {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`#${id} is missing or not a ${type.name}`);
  return el;
}

/**
 * The element with this id, of any kind.
 * @param {string} id
 * @returns {HTMLElement}
 */
export function $(id) {
  return byId(id, HTMLElement);
}

/**
 * Builds an element: attribute values go through `setAttribute` (`true` is an empty attribute;
 * `false`, `null` and `undefined` leave it out; a function under `onclick`… is a listener),
 * children are nodes or text.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, AttributeValue>} [attrs]
 * @param {Child[]} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, children = []) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === "function") {
      if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) el.append(child);
  }
  return el;
}

/**
 * @param {unknown} v
 * @returns {v is Record<string, unknown>}
 */
export function isObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * @param {unknown} e
 * @returns {string}
 */
export function errorText(e) {
  return e instanceof Error ? e.message : String(e);
}

// ---- the token -------------------------------------------------------------------------------

/**
 * Where a page keeps its token: this tab's sessionStorage under `key` (gone with the tab), or
 * nowhere but the page's memory when storage is disabled. Never a cookie, never a URL.
 * @param {string} key
 */
export function tokenStore(key) {
  return {
    /** @returns {string | null} */
    read() {
      try {
        return sessionStorage.getItem(key);
      } catch {
        return null;
      }
    },
    /** @param {string | null} token `null` forgets it. */
    write(token) {
      try {
        if (token) sessionStorage.setItem(key, token);
        else sessionStorage.removeItem(key);
      } catch {
        // Storage disabled: the token lives in memory for this page only.
      }
    },
  };
}

/**
 * A pasted token without a `Bearer ` prefix or whitespace.
 * @param {unknown} text
 * @returns {string}
 */
export function cleanToken(text) {
  return String(text || "")
    .trim()
    .replace(/^bearer\s+/i, "")
    .replace(/\s+/g, "");
}

/**
 * The token's claims, for display only (the server verifies the token).
 * @param {string} token
 * @returns {Record<string, unknown>}
 */
export function claimsOf(token) {
  try {
    let part = (token.split(".")[1] ?? "").replace(/-/g, "+").replace(/_/g, "/");
    while (part.length % 4) part += "=";
    const bytes = Uint8Array.from(atob(part), (ch) => ch.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return isObject(claims) ? claims : {};
  } catch {
    return {};
  }
}

// ---- the API ---------------------------------------------------------------------------------

/**
 * One call to this origin's API: the token in the `Authorization` header, no HTTP cache, no
 * cookies. A failed call carries its problem: the problem+json fields when the answer has them,
 * else the status line and the start of the body.
 * @param {string} method
 * @param {string} url
 * @param {ApiOptions} [options]
 * @returns {Promise<ApiResult>}
 */
export async function api(method, url, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: "application/json, application/problem+json" };
  if (options.token) headers.authorization = "Bearer " + options.token;
  Object.assign(headers, options.headers);
  /** @type {RequestInit} */
  const init = { method, headers, cache: "no-store", credentials: "omit" };
  if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch (e) {
    return {
      ok: false,
      status: 0,
      headers: new Headers(),
      body: null,
      problem: {
        type: "",
        title: "Network error",
        detail: `Could not reach the server (${errorText(e)}).`,
        requestId: "",
        errors: [],
      },
    };
  }
  let text = "";
  try {
    text = await res.text();
  } catch {
    text = "";
  }
  /** @type {unknown} */
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  return {
    ok: res.ok,
    status: res.status,
    headers: res.headers,
    body,
    problem: res.ok ? null : problemOf(res, body, text),
  };
}

/**
 * @param {Response} res
 * @param {unknown} body
 * @param {string} text
 * @returns {Problem}
 */
function problemOf(res, body, text) {
  const p = isObject(body) ? body : {};
  return {
    type: typeof p.type === "string" ? p.type : "",
    title: typeof p.title === "string" ? p.title : `${res.status} ${res.statusText}`,
    detail: typeof p.detail === "string" ? p.detail : isObject(body) ? "" : text.slice(0, 300),
    requestId: typeof p.requestId === "string" && p.requestId ? p.requestId : res.headers.get("x-request-id") || "",
    errors: Array.isArray(p.errors) ? p.errors : [],
  };
}

/**
 * The paragraphs of an alert: the message, then the problem's detail (unless it says the same)
 * and its request id.
 * @param {string} message
 * @param {Problem | null} [problem]
 * @returns {HTMLElement[]}
 */
export function alertParagraphs(message, problem) {
  const nodes = [h("p", { "data-testid": "alert-message" }, [message])];
  if (problem?.detail && problem.detail !== message)
    nodes.push(h("p", { "data-testid": "alert-detail" }, [problem.detail]));
  if (problem?.requestId) {
    nodes.push(
      h("p", { class: "hint" }, [
        "Request id: ",
        h("code", { "data-testid": "alert-request-id" }, [problem.requestId]),
      ]),
    );
  }
  return nodes;
}
