// @ts-check
/**
 * The admin page's script (`/admin/app.js`, an ES module; `/common/page.js` holds what it shares
 * with the room page). Checked JavaScript: `tsc -p public` type-checks it, the browser runs it
 * as it is.
 *
 * Model: `state.doc` is the document being edited. The form fields write single paths into it
 * and re-print the JSON editor; the JSON editor, when it parses, replaces it and re-fills the
 * form. The JSON is printed by `printJson` (same layout as `JSON.stringify(doc, null, 2)`),
 * which also records the line of every path, so a `422` error names its line.
 * Nothing from the server is ever parsed as HTML: text goes through `textContent`/`append`.
 */
import {
  $,
  alertParagraphs,
  api,
  byId,
  claimsOf,
  cleanToken,
  errorText,
  h,
  isObject,
  tokenStore,
} from "../common/page.js";
import { dashboardSection } from "./dashboard.js";
import { rateLimitForm } from "./rate-limit-form.js";
import { securityForm } from "./security-form.js";
import { webhooksSection } from "./webhooks.js";

/** @typedef {import("../common/page.js").ApiResult} ApiResult */
/** @typedef {import("../common/page.js").ApiOptions} ApiOptions */
/** @typedef {import("../common/page.js").Problem} Problem */
/** @typedef {Record<string, unknown>} Doc */
/** @typedef {string | number} Version */
/** @typedef {{ label: string, testid: string, run: () => void }} AlertAction */

const CONFIG_URL = "/v1/admin/config";
const FLAG_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;
const HISTORY_PAGE = 50;
const token = tokenStore("edge-admin-token");

const ui = {
  main: $("main"),
  alert: $("alert"),
  status: $("status"),
  session: $("session"),
  whoami: $("whoami"),
  signinView: $("signin-view"),
  adminView: $("admin-view"),
  token: byId("token", HTMLInputElement),
  version: $("version"),
  reload: byId("reload", HTMLButtonElement),
  dirty: $("dirty"),
  stash: $("stash"),
  stashText: byId("stash-text", HTMLTextAreaElement),
  formFields: byId("form-fields", HTMLFieldSetElement),
  formDisabledHint: $("form-disabled-hint"),
  maintenanceEnabled: byId("maintenance-enabled", HTMLInputElement),
  maintenanceCountries: byId("maintenance-countries", HTMLInputElement),
  maintenanceRetry: byId("maintenance-retry", HTMLInputElement),
  maintenanceMessage: byId("maintenance-message", HTMLTextAreaElement),
  flagsBody: $("flags-body"),
  flagsNote: $("flags-note"),
  newFlagName: byId("new-flag-name", HTMLInputElement),
  newFlagError: $("err-new-flag"),
  raw: byId("raw", HTMLTextAreaElement),
  rawSyntax: $("raw-syntax"),
  rawErrors: $("raw-errors"),
  rawErrorsBox: $("raw-errors-box"),
  reason: byId("reason", HTMLInputElement),
  reasonError: $("err-reason"),
  save: byId("save", HTMLButtonElement),
  history: $("history"),
  historyReload: byId("history-reload", HTMLButtonElement),
  historyEmpty: $("history-empty"),
  historyMore: byId("history-more", HTMLButtonElement),
};

const state = {
  /** @type {string | null} */
  token: null,
  /** @type {Version | null} */
  version: null,
  /** @type {Doc | null} */
  doc: null,
  loadedText: "",
  rawValid: true,
  /** The first line of every path in the printed document. @type {Record<string, number>} */
  lines: {},
  busy: false,
  /** Cancels the roll-back confirmation on screen. @type {(() => void) | null} */
  pendingConfirm: null,
};
let slotSeq = 0;

/**
 * @param {unknown} v
 * @param {string} key
 */
function has(v, key) {
  return isObject(v) && Object.prototype.hasOwnProperty.call(v, key);
}

// ---- API -----------------------------------------------------------------------------------

/**
 * @param {string} method
 * @param {string} url
 * @param {ApiOptions} [options]
 */
function call(method, url, options = {}) {
  return api(method, url, { ...options, token: state.token });
}

/**
 * One sentence for a failed call; the problem's detail and request id are shown under it.
 * @param {ApiResult} r
 * @param {string} doing
 */
function failureMessage(r, doing) {
  const p = r.problem;
  if (r.status === 0) return doing + " failed: the server could not be reached.";
  if (r.status === 401) return "Your token is missing, invalid or expired. Sign in again with a valid admin token.";
  if (r.status === 403 && (p?.type ?? "").endsWith("/request-blocked"))
    return doing + " failed: the request was blocked by the edge security filter.";
  if (r.status === 403) return 'This token is valid, but it is not an admin: the admin API needs the "admin" role.';
  if (r.status === 429) {
    const after = r.headers.get("retry-after");
    return "Too many requests." + (after ? " Try again in " + after + " s." : "");
  }
  return doing + " failed: " + (p?.title || "HTTP " + r.status) + ".";
}

// ---- messages ------------------------------------------------------------------------------

/** @param {string} [text] */
function setStatus(text) {
  ui.status.textContent = text || "";
}

function clearAlert() {
  ui.alert.replaceChildren();
}

/**
 * @param {string} message
 * @param {Problem | null} problem
 * @param {AlertAction[]} [actions]
 */
function showAlert(message, problem, actions = []) {
  const nodes = alertParagraphs(message, problem);
  for (const a of actions)
    nodes.push(h("button", { type: "button", "data-testid": a.testid, onclick: a.run }, [a.label]));
  setStatus("");
  ui.alert.replaceChildren(...nodes);
}

/**
 * @param {ApiResult} r
 * @param {string} doing
 */
function showFailure(r, doing) {
  /** @type {AlertAction[]} */
  const actions = [];
  if (r.status === 401 || r.status === 403)
    actions.push({ label: "Sign in with another token", testid: "alert-signin", run: signOut });
  showAlert(failureMessage(r, doing), r.problem, actions);
}

// ---- JSON printing with line numbers -------------------------------------------------------

/**
 * Prints like JSON.stringify(value, null, 2) and records the first line of every path.
 * @param {unknown} value
 * @returns {{ text: string, lines: Record<string, number> }}
 */
function printJson(value) {
  /** @type {string[]} */
  const out = [];
  /** @type {Record<string, number>} */
  const lines = {};
  /**
   * @param {unknown} v
   * @param {string} path
   * @param {string} indent
   * @param {string} head
   * @param {string} tail
   */
  function walk(v, path, indent, head, tail) {
    lines[path] = out.length + 1;
    if (Array.isArray(v) && v.length) {
      out.push(indent + head + "[");
      v.forEach((item, i) => walk(item, path + "/" + i, indent + "  ", "", i < v.length - 1 ? "," : ""));
      out.push(indent + "]" + tail);
    } else if (isObject(v) && Object.keys(v).length) {
      const keys = Object.keys(v);
      out.push(indent + head + "{");
      keys.forEach((k, i) =>
        walk(v[k], path + "/" + k, indent + "  ", JSON.stringify(k) + ": ", i < keys.length - 1 ? "," : ""),
      );
      out.push(indent + "}" + tail);
    } else {
      out.push(indent + head + JSON.stringify(v === undefined ? null : v) + tail);
    }
  }
  walk(value, "", "", "", "");
  return { text: out.join("\n"), lines };
}

/** @param {unknown} path */
function normalizePath(path) {
  const p = String(path || "");
  return p === "/" ? "" : p.replace(/\/+$/, "");
}

/**
 * The line of a path in the printed document, or of its nearest ancestor that exists.
 * @param {string} path
 * @returns {number}
 */
function lineOf(path) {
  let p = normalizePath(path);
  while (true) {
    const line = Object.prototype.hasOwnProperty.call(state.lines, p) ? state.lines[p] : undefined;
    if (line !== undefined) return line;
    if (p === "") return 1;
    p = p.slice(0, p.lastIndexOf("/"));
  }
}

/** @param {number} line */
function goToLine(line) {
  const raw = ui.raw;
  const all = raw.value.split("\n");
  let start = 0;
  for (let i = 0; i < line - 1 && i < all.length; i++) start += (all[i] ?? "").length + 1;
  const end = start + (all[line - 1] ?? "").length;
  raw.focus();
  raw.setSelectionRange(start, end);
  const lineHeight = parseFloat(getComputedStyle(raw).lineHeight) || 18;
  raw.scrollTop = Math.max(0, (line - 3) * lineHeight);
}

// ---- document editing ----------------------------------------------------------------------

function currentText() {
  return state.rawValid ? printJson(state.doc).text : ui.raw.value;
}
function isDirty() {
  return state.doc !== null && currentText() !== state.loadedText;
}

function updateDirty() {
  const dirty = isDirty();
  ui.dirty.hidden = !dirty;
  ui.save.disabled = state.busy || !dirty;
}

/**
 * Writes one path (array items by index); `undefined` removes the key.
 * @param {string[]} segments
 * @param {unknown} value
 */
function setAt(segments, value) {
  if (!isObject(state.doc)) state.doc = {};
  /** @type {Doc} */
  let target = state.doc;
  for (const segment of segments.slice(0, -1)) {
    const next = target[segment];
    if (isObject(next) || Array.isArray(next)) target = /** @type {Doc} */ (next);
    else target = target[segment] = {};
  }
  const last = segments[segments.length - 1] ?? "";
  if (value === undefined) delete target[last];
  else target[last] = value;
}

/**
 * @param {string[]} segments
 * @returns {unknown}
 */
function getAt(segments) {
  /** @type {unknown} */
  let v = state.doc;
  for (const segment of segments) {
    if (isObject(v)) v = v[segment];
    else if (Array.isArray(v) && /^\d+$/.test(segment)) v = v[Number(segment)];
    else return undefined;
  }
  return v;
}

/** @param {string} text */
function parseList(text) {
  return String(text)
    .split(/[\s,;]+/)
    .filter(Boolean)
    .map((s) => s.toUpperCase());
}
/** @param {unknown} v */
function listText(v) {
  return Array.isArray(v) ? v.join(", ") : v === undefined || v === null ? "" : String(v);
}

/**
 * A number input's value for the document; anything else is sent as typed for the server to judge.
 * @param {string} text
 * @returns {number | string | null}
 */
function numberValue(text) {
  const t = String(text).trim();
  if (t === "") return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}
/** @param {unknown} v */
function numberText(v) {
  return typeof v === "number" ? String(v) : "";
}

function renderRaw() {
  const printed = printJson(state.doc);
  ui.raw.value = printed.text;
  state.lines = printed.lines;
}

/**
 * After a form edit: the JSON editor follows the model.
 * @param {HTMLElement | null} slot
 */
function formEdited(slot) {
  if (slot) clearSlot(slot);
  renderRaw();
  updateDirty();
}

/**
 * @param {HTMLInputElement | HTMLTextAreaElement} input
 * @param {string[]} segments
 * @param {(input: HTMLInputElement | HTMLTextAreaElement) => unknown} read
 */
function bindField(input, segments, read) {
  const slot = document.querySelector(`[data-error-for="/${segments.join("/")}"]`);
  input.addEventListener("input", () => {
    setAt(segments, read(input));
    formEdited(slot instanceof HTMLElement ? slot : null);
  });
}

function renderMaintenance() {
  const found = getAt(["maintenance"]);
  const m = isObject(found) ? found : {};
  ui.maintenanceEnabled.checked = m.enabled === true;
  ui.maintenanceCountries.value = listText(m.countries);
  ui.maintenanceRetry.value = numberText(m.retryAfterSeconds);
  ui.maintenanceMessage.value = typeof m.message === "string" ? m.message : "";
}

/**
 * @param {string} path
 * @param {string} inputId
 */
function errorSlot(path, inputId) {
  const id = "slot-" + ++slotSeq;
  return { id, el: h("p", { class: "field-error", role: "alert", id, "data-error-for": path, "data-input": inputId }) };
}

function renderFlags() {
  const flags = getAt(["flags"]);
  ui.flagsBody.replaceChildren();
  ui.flagsNote.hidden = true;
  if (flags !== undefined && !isObject(flags)) {
    ui.flagsNote.textContent = '"flags" is not an object: edit it in the JSON below.';
    ui.flagsNote.hidden = false;
    return;
  }
  for (const [name, value] of Object.entries(flags ?? {}))
    ui.flagsBody.append(flagRow(name, isObject(value) ? value : {}));
}

/**
 * @param {string} name
 * @param {Doc} flag
 */
function flagRow(name, flag) {
  const base = "/flags/" + name;
  const n = ++slotSeq;
  const rowSlot = errorSlot(base, "");
  const enabledSlot = errorSlot(base + "/enabled", "flag-enabled-" + n);
  const rolloutSlot = errorSlot(base + "/rollout", "flag-rollout-" + n);
  const countriesSlot = errorSlot(base + "/countries", "flag-countries-" + n);
  const enabled = h("input", {
    type: "checkbox",
    id: "flag-enabled-" + n,
    "data-testid": "flag-" + name + "-enabled",
    "aria-label": "Flag " + name + " enabled",
    "aria-describedby": enabledSlot.id,
  });
  enabled.checked = flag.enabled === true;
  enabled.addEventListener("change", () => {
    setAt(["flags", name, "enabled"], enabled.checked);
    formEdited(enabledSlot.el);
  });
  const rollout = h("input", {
    type: "number",
    id: "flag-rollout-" + n,
    min: 0,
    max: 100,
    step: "any",
    "data-testid": "flag-" + name + "-rollout",
    "aria-label": "Flag " + name + " rollout percentage",
    "aria-describedby": rolloutSlot.id,
  });
  rollout.value = numberText(flag.rollout);
  rollout.addEventListener("input", () => {
    setAt(["flags", name, "rollout"], numberValue(rollout.value));
    formEdited(rolloutSlot.el);
  });
  const countries = h("input", {
    type: "text",
    id: "flag-countries-" + n,
    spellcheck: "false",
    autocomplete: "off",
    "data-testid": "flag-" + name + "-countries",
    "aria-label": "Flag " + name + " countries (empty means all)",
    "aria-describedby": countriesSlot.id,
  });
  countries.value = listText(flag.countries);
  countries.addEventListener("input", () => {
    setAt(["flags", name, "countries"], parseList(countries.value));
    formEdited(countriesSlot.el);
  });
  const remove = h(
    "button",
    {
      type: "button",
      class: "danger",
      "data-testid": "flag-" + name + "-remove",
      "aria-label": "Remove flag " + name,
      onclick: () => {
        const all = getAt(["flags"]);
        if (isObject(all)) delete all[name];
        renderFlags();
        formEdited(null);
      },
    },
    ["Remove"],
  );
  return h("tr", { "data-flag": name }, [
    h("th", { scope: "row", class: "flags-name" }, [name, rowSlot.el]),
    h("td", {}, [enabled, enabledSlot.el]),
    h("td", {}, [rollout, rolloutSlot.el]),
    h("td", {}, [countries, countriesSlot.el]),
    h("td", {}, [remove]),
  ]);
}

function addFlag() {
  const slot = ui.newFlagError;
  const name = ui.newFlagName.value.trim();
  clearSlot(slot);
  const flags = getAt(["flags"]);
  if (flags !== undefined && !isObject(flags))
    return addSlotError(slot, '"flags" is not an object: fix it in the JSON first.');
  if (!FLAG_NAME.test(name)) return addSlotError(slot, "Use 1-64 letters, digits, _ . : or -.");
  if (has(flags, name)) return addSlotError(slot, "A flag with that name already exists.");
  setAt(["flags", name], { enabled: false, rollout: 100, countries: [] });
  ui.newFlagName.value = "";
  renderFlags();
  formEdited(null);
  // FLAG_NAME admits no quote or backslash, so the name is safe inside the selector's quotes.
  const added = document.querySelector(`[data-flag="${name}"] input`);
  if (added instanceof HTMLElement) added.focus();
}

function renderForm() {
  renderMaintenance();
  renderFlags();
  securitySection.render();
  rateLimitSection.render();
}

function onRawInput() {
  let parsed;
  try {
    parsed = JSON.parse(ui.raw.value);
  } catch (e) {
    return setRawInvalid("JSON syntax error: " + errorText(e));
  }
  if (!isObject(parsed)) return setRawInvalid("The document must be a JSON object.");
  state.rawValid = true;
  state.doc = parsed;
  state.lines = printJson(parsed).lines;
  ui.rawSyntax.textContent = "";
  ui.raw.removeAttribute("aria-invalid");
  ui.formFields.disabled = false;
  ui.formDisabledHint.hidden = true;
  renderForm();
  updateDirty();
}

/** @param {string} message */
function setRawInvalid(message) {
  state.rawValid = false;
  ui.rawSyntax.textContent = message;
  ui.raw.setAttribute("aria-invalid", "true");
  // The form would overwrite the text being fixed, so it waits until the JSON parses again.
  ui.formFields.disabled = true;
  ui.formDisabledHint.hidden = false;
  updateDirty();
}

// ---- validation errors ---------------------------------------------------------------------

/**
 * @param {Element} slot
 * @returns {Element | null}
 */
function inputOfSlot(slot) {
  const id = slot.getAttribute("data-input");
  if (id) return document.getElementById(id);
  return document.querySelector(`[aria-describedby~="${slot.id}"]`);
}

/**
 * @param {Element} slot
 * @param {string} message
 */
function addSlotError(slot, message) {
  slot.append(h("span", {}, [message]));
  const input = slot.id ? inputOfSlot(slot) : null;
  if (input) input.setAttribute("aria-invalid", "true");
}

/** @param {Element | null} slot */
function clearSlot(slot) {
  if (!slot) return;
  slot.replaceChildren();
  const input = slot.id ? inputOfSlot(slot) : null;
  if (input) input.removeAttribute("aria-invalid");
}

function clearErrors() {
  document.querySelectorAll(".field-error[data-error-for]").forEach(clearSlot);
  ui.rawErrors.replaceChildren();
  ui.rawErrorsBox.hidden = true;
}

/**
 * The most specific form slot whose path is the given one or one of its ancestors.
 * @param {string} path
 * @returns {{ slot: Element, at: string } | null}
 */
function slotFor(path) {
  /** @type {{ slot: Element, at: string } | null} */
  let best = null;
  for (const slot of document.querySelectorAll("#form-fields [data-error-for]")) {
    const at = slot.getAttribute("data-error-for") ?? "";
    if (!at.startsWith("/")) continue;
    if ((path === at || path.startsWith(at + "/")) && (!best || at.length > best.at.length)) best = { slot, at };
  }
  return best;
}

/**
 * @param {unknown} rawPath
 * @param {string} message
 */
function placeError(rawPath, message) {
  const path = normalizePath(rawPath);
  const shown = path || "/";
  if (shown.startsWith("/")) {
    const found = slotFor(path);
    if (found) addSlotError(found.slot, path === found.at ? message : path.slice(found.at.length + 1) + ": " + message);
  }
  const line = shown.startsWith("/") ? lineOf(path) : null;
  ui.rawErrors.append(
    h("li", { "data-path": shown }, [
      line ? h("button", { type: "button", class: "link", onclick: () => goToLine(line) }, ["Line " + line]) : "",
      line ? " " : "",
      h("code", {}, [shown]),
      " " + message,
    ]),
  );
  ui.rawErrorsBox.hidden = false;
}

/** @param {ApiResult} r */
function showValidation(r) {
  const errors = r.problem?.errors ?? [];
  const count = errors.length;
  showAlert(
    "Not saved: the document is invalid" +
      (count
        ? " (" + count + (count === 1 ? " problem" : " problems") + ", shown next to the fields and lines they name)."
        : "."),
    r.problem,
  );
  for (const e of errors) {
    placeError(
      isObject(e) && e.path !== undefined ? e.path : "/",
      isObject(e) && e.message ? String(e.message) : "invalid",
    );
  }
  const first = document.querySelector("#form-fields [aria-invalid=true]");
  if (first instanceof HTMLElement) first.focus();
}

// ---- loading -------------------------------------------------------------------------------

/**
 * @param {string | null} etag
 * @returns {string | null}
 */
function versionFromEtag(etag) {
  if (!etag) return null;
  const m = /^(?:W\/)?"([^"]*)"$/.exec(etag.trim());
  return m?.[1] ?? null;
}

/**
 * The version an answer names in its body, else in its ETag.
 * @param {ApiResult} r
 * @returns {Version | null}
 */
function versionOf(r) {
  const v = isObject(r.body) ? r.body.version : undefined;
  return typeof v === "number" || typeof v === "string" ? v : versionFromEtag(r.headers.get("etag"));
}

/** @param {string} text */
function setStash(text) {
  ui.stashText.value = text;
  ui.stash.hidden = !text;
}

/** @returns {Promise<ApiResult>} */
async function loadConfig() {
  const r = await call("GET", CONFIG_URL);
  if (!r.ok) return r;
  const config = isObject(r.body) ? r.body.config : undefined;
  if (!isObject(config)) {
    return {
      ok: false,
      status: r.status,
      headers: r.headers,
      body: null,
      problem: {
        type: "",
        title: "Unexpected response",
        detail: "The config response has no document.",
        requestId: r.headers.get("x-request-id") || "",
        errors: [],
      },
    };
  }
  // Edits that a reload would replace are set aside, not lost.
  if (isDirty()) setStash(currentText());
  state.version = versionOf(r);
  state.doc = config;
  state.rawValid = true;
  renderRaw();
  state.loadedText = ui.raw.value;
  ui.version.textContent = String(state.version);
  ui.rawSyntax.textContent = "";
  ui.raw.removeAttribute("aria-invalid");
  ui.formFields.disabled = false;
  ui.formDisabledHint.hidden = true;
  clearErrors();
  renderForm();
  updateDirty();
  return r;
}

/** @param {unknown} v */
function formatValue(v) {
  if (v === undefined) return "(none)";
  const text = JSON.stringify(v);
  return text.length > 120 ? text.slice(0, 117) + "…" : text;
}

/** @param {unknown} at */
function formatTime(at) {
  const d = new Date(String(at));
  return isNaN(d.getTime()) ? String(at) : d.toLocaleString();
}

/** @param {unknown} ch */
function changeItem(ch) {
  const c = isObject(ch) ? ch : {};
  const from = has(c, "from") ? c.from : undefined;
  const to = has(c, "to") ? c.to : undefined;
  return h("li", {}, [
    h("code", {}, [String(c.path === undefined ? "/" : c.path)]),
    ": ",
    h("span", { class: "from mono", title: from === undefined ? "" : JSON.stringify(from) }, [formatValue(from)]),
    " → ",
    h("span", { class: "to mono", title: to === undefined ? "" : JSON.stringify(to) }, [formatValue(to)]),
  ]);
}

/**
 * Renders history entries; "append" adds older ones below those already shown.
 * @param {unknown[]} list
 * @param {boolean} append
 */
function renderHistory(list, append) {
  const ol = ui.history;
  if (!append) {
    ol.replaceChildren();
    state.pendingConfirm = null;
  }
  ui.historyEmpty.hidden = ol.children.length + list.length > 0;
  for (const entry of list) {
    if (!isObject(entry)) continue;
    const version = /** @type {Version} */ (entry.version);
    const isCurrent = String(version) === String(state.version);
    const changes = Array.isArray(entry.changes) ? entry.changes : [];
    const changeItems = changes.slice(0, 50).map(changeItem);
    if (changes.length > 50) changeItems.push(h("li", {}, ["… and " + (changes.length - 50) + " more"]));
    const item = h("li", { "data-testid": "history-entry", "data-version": String(version) }, [
      h("div", {}, [
        h("strong", {}, ["Version " + version]),
        isCurrent ? h("span", { class: "badge" }, ["current"]) : "",
        " ",
        h("span", { class: "meta" }, [
          "by ",
          h("span", { "data-testid": "history-author" }, [
            String(entry.author === undefined ? "unknown" : entry.author),
          ]),
          " · ",
          h("time", { datetime: String(entry.at), title: String(entry.at) }, [formatTime(entry.at)]),
        ]),
      ]),
      h("p", { class: "reason" }, [
        entry.reason ? "Reason: " + entry.reason : h("span", { class: "hint" }, ["No reason given"]),
      ]),
      changeItems.length
        ? h("ul", { class: "changes", "aria-label": "Changes in version " + version }, changeItems)
        : h("p", { class: "hint" }, ["No changes listed."]),
    ]);
    if (!isCurrent) item.append(rollbackControl(version));
    ol.append(item);
  }
}

/** @param {Version} version */
function rollbackControl(version) {
  const box = h("div", {});
  const start = h("button", { type: "button", "data-testid": "rollback-" + version }, [
    "Roll back to version " + version + "…",
  ]);
  start.addEventListener("click", () => {
    if (state.pendingConfirm) state.pendingConfirm();
    const confirmBox = h("div", { class: "confirm", role: "group", "aria-label": "Confirm roll back" }, [
      h("p", {}, [
        "Make a new version with the content of version " +
          version +
          "?" +
          (isDirty() ? " Your unsaved edits will be set aside." : ""),
      ]),
      h("div", { class: "row" }, [
        h(
          "button",
          {
            type: "button",
            class: "primary",
            "data-testid": "rollback-confirm",
            onclick: () => {
              cancel();
              void rollback(version);
            },
          },
          ["Roll back to version " + version],
        ),
        h(
          "button",
          {
            type: "button",
            "data-testid": "rollback-cancel",
            onclick: () => {
              cancel();
              start.focus();
            },
          },
          ["Cancel"],
        ),
      ]),
    ]);
    function cancel() {
      confirmBox.remove();
      start.hidden = false;
      state.pendingConfirm = null;
    }
    state.pendingConfirm = cancel;
    start.hidden = true;
    box.append(confirmBox);
    confirmBox.querySelector("button")?.focus();
  });
  box.append(start);
  return box;
}

/**
 * The newest page of the history, or with "older" the page before the oldest one shown.
 * @param {boolean} [older]
 */
async function loadHistory(older = false) {
  const shown = Array.from(ui.history.children, (li) => li.getAttribute("data-version"));
  const oldest = shown.length ? Number(shown[shown.length - 1]) : NaN;
  const query = "?limit=" + HISTORY_PAGE + (older && Number.isFinite(oldest) ? "&before=" + oldest : "");
  const r = await call("GET", CONFIG_URL + "/versions" + query);
  if (!r.ok) return r;
  /** @type {unknown[]} */
  let list = Array.isArray(r.body) ? r.body : isObject(r.body) && Array.isArray(r.body.versions) ? r.body.versions : [];
  if (older) list = list.filter((e) => isObject(e) && !shown.includes(String(e.version)));
  renderHistory(list, older);
  // A full page may have more behind it; an empty "older" page means the start was reached.
  ui.historyMore.hidden = older ? list.length === 0 || list.length < HISTORY_PAGE : list.length < HISTORY_PAGE;
  return r;
}

/** @param {boolean} busy */
function setBusy(busy) {
  state.busy = busy;
  ui.main.setAttribute("aria-busy", busy ? "true" : "false");
  for (const b of [ui.reload, ui.historyReload, ui.historyMore]) b.disabled = busy;
  for (const b of ui.history.querySelectorAll("button")) b.disabled = busy;
  updateDirty();
}

/** Loads the config, then the history (which marks the current version). */
async function loadAll() {
  setBusy(true);
  try {
    const r = await loadConfig();
    if (!r.ok) return r;
    void securitySection.loadCounts();
    const hr = await loadHistory();
    if (!hr.ok) showFailure(hr, "Loading the history");
    return r;
  } finally {
    setBusy(false);
  }
}

// ---- actions -------------------------------------------------------------------------------

/** @param {boolean} signedIn */
function showView(signedIn) {
  ui.signinView.hidden = signedIn;
  ui.adminView.hidden = !signedIn;
  ui.session.hidden = !signedIn;
}

/** @param {string} pasted */
async function signIn(pasted) {
  state.token = pasted;
  clearAlert();
  setStatus("Signing in…");
  const r = await loadAll();
  if (!r.ok) {
    const rejected = r.status === 401 || r.status === 403;
    if (rejected) {
      state.token = null;
      token.write(null);
    }
    showView(false);
    // Anything but a rejected token (server down, 503, …) may pass: offer the same token again.
    showAlert(
      failureMessage(r, "Loading the config"),
      r.problem,
      rejected ? [] : [{ label: "Try again", testid: "alert-retry", run: () => void signIn(pasted) }],
    );
    ui.token.focus();
    return;
  }
  token.write(pasted);
  const claims = claimsOf(pasted);
  const who = typeof claims.sub === "string" ? claims.sub : "unknown";
  const roles = Array.isArray(claims.roles) ? claims.roles.join(", ") : "";
  ui.whoami.textContent = "Signed in as " + who + (roles ? " (" + roles + ")" : "");
  ui.token.value = "";
  showView(true);
  setStatus("Loaded version " + state.version + ".");
  void webhooks.load();
  void dashboard.load();
}

function signOut() {
  token.write(null);
  state.token = null;
  state.version = null;
  state.doc = null;
  state.loadedText = "";
  state.rawValid = true;
  ui.raw.value = "";
  ui.version.textContent = "";
  ui.whoami.textContent = "";
  ui.reason.value = "";
  ui.history.replaceChildren();
  ui.historyMore.hidden = true;
  webhooks.clear();
  dashboard.clear();
  setStash("");
  clearErrors();
  clearAlert();
  showView(false);
  setStatus("Signed out.");
  ui.token.focus();
}

/** @param {SubmitEvent} event */
async function save(event) {
  event.preventDefault();
  if (state.busy || state.doc === null) return;
  clearAlert();
  clearErrors();
  setStatus("");
  if (!state.rawValid) {
    showAlert("Fix the JSON syntax error before saving.", null);
    ui.raw.focus();
    return;
  }
  const reason = ui.reason.value.trim();
  if (reason && !/^[\x20-\x7e]*$/.test(reason)) {
    addSlotError(ui.reasonError, "Use plain ASCII characters: the reason is sent in an HTTP header.");
    ui.reason.focus();
    return;
  }
  // Saving sends exactly what the editor shows, in the layout the error lines refer to.
  renderRaw();
  await putConfig(state.doc, reason);
}

/**
 * Stores `doc` as the version after the loaded one (If-Match), then reloads the config and the
 * history; a refusal is shown (422 next to the fields, 412 as a conflict).
 * @param {Doc} doc
 * @param {string} reason
 * @param {string} [done] The status's first words on success.
 */
async function putConfig(doc, reason, done = "Saved") {
  /** @type {Record<string, string>} */
  const headers = { "if-match": `"${state.version}"` };
  if (reason) headers["x-change-reason"] = reason;
  setBusy(true);
  let r;
  try {
    r = await call("PUT", CONFIG_URL, { body: doc, headers });
  } finally {
    setBusy(false);
  }
  if (r.ok) {
    const saved = versionOf(r);
    ui.reason.value = "";
    state.loadedText = currentText();
    const loaded = await loadAll();
    if (!loaded.ok) return showFailure(loaded, "Reloading the config");
    setStatus(done + ": the config is now version " + (saved === null ? state.version : saved) + ".");
    return;
  }
  if (r.status === 422) return showValidation(r);
  if (r.status === 412) return showConflict(r, "Not saved");
  showFailure(r, "Saving");
}

/**
 * 412: the config moved on since this page loaded it; the response's ETag names the current version.
 * @param {ApiResult} r
 * @param {string} outcome
 */
function showConflict(r, outcome) {
  const current = versionFromEtag(r.headers.get("etag"));
  showAlert(
    outcome +
      ": someone else changed the config since you loaded version " +
      state.version +
      (current !== null ? " (it is now version " + current + ")" : "") +
      ". Reload to see their change" +
      (isDirty() ? "; your edits will be set aside so you can re-apply them." : "."),
    r.problem,
    [{ label: "Reload the latest version", testid: "reload-latest", run: () => void reload() }],
  );
}

/** @param {Version} version */
async function rollback(version) {
  if (state.busy) return;
  clearAlert();
  setStatus("");
  /** @type {{ version: Version, reason?: string }} */
  const body = { version };
  const reason = ui.reason.value.trim();
  if (reason) body.reason = reason;
  setBusy(true);
  let r;
  try {
    // If-Match: roll back only what this page showed; a newer change gets a 412 instead.
    r = await call("POST", CONFIG_URL + "/rollback", { body, headers: { "if-match": `"${state.version}"` } });
  } finally {
    setBusy(false);
  }
  if (r.status === 412) return showConflict(r, "Not rolled back");
  if (!r.ok) return showFailure(r, "Rolling back");
  ui.reason.value = "";
  const loaded = await loadAll();
  if (!loaded.ok) return showFailure(loaded, "Reloading the config");
  const made = isObject(r.body) && r.body.version !== undefined ? r.body.version : state.version;
  setStatus("Rolled back to version " + version + ": the config is now version " + made + ".");
}

async function reload() {
  clearAlert();
  setStatus("");
  const r = await loadAll();
  if (!r.ok) return showFailure(r, "Loading the config");
  setStatus("Loaded version " + state.version + ".");
}

/** @param {boolean} older */
async function reloadHistory(older) {
  setBusy(true);
  let r;
  try {
    r = await loadHistory(older);
  } finally {
    setBusy(false);
  }
  if (!r.ok) showFailure(r, "Loading the history");
}

function restoreStash() {
  ui.raw.value = ui.stashText.value;
  setStash("");
  clearErrors();
  onRawInput();
  ui.raw.focus();
}

// ---- wiring --------------------------------------------------------------------------------

const webhooks = webhooksSection(() => state.token);
const dashboard = dashboardSection(() => state.token);
/** What the security and rate-limit fieldsets share with the rest of the form. */
const formKit = { getAt, setAt, formEdited, errorSlot, clearSlot, addSlotError };
const securitySection = securityForm({
  ...formKit,
  call,
  /** The loaded document (a copy), or null with a message when the editor holds unsaved edits. */
  loadedDoc: () => {
    if (state.doc === null) return null;
    if (state.busy) {
      showAlert("The config is loading: try again in a moment.", null);
      return null;
    }
    if (isDirty()) {
      showAlert("Save or reload your unsaved edits first: the switch saves the loaded version.", null);
      return null;
    }
    clearAlert();
    clearErrors();
    return /** @type {Doc} */ (JSON.parse(state.loadedText));
  },
  putConfig,
});
const rateLimitSection = rateLimitForm(formKit);

function init() {
  $("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const pasted = cleanToken(ui.token.value);
    if (!pasted) {
      showAlert("Paste an access token first.", null);
      ui.token.focus();
      return;
    }
    void signIn(pasted);
  });
  $("signout").addEventListener("click", signOut);
  ui.reload.addEventListener("click", () => void reload());
  ui.historyReload.addEventListener("click", () => void reloadHistory(false));
  ui.historyMore.addEventListener("click", () => void reloadHistory(true));
  $("editor").addEventListener("submit", (e) => void save(e));
  ui.raw.addEventListener("input", () => {
    clearErrors();
    onRawInput();
  });
  $("add-flag").addEventListener("click", addFlag);
  ui.newFlagName.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      addFlag();
    }
  });
  ui.reason.addEventListener("input", () => clearSlot(ui.reasonError));
  $("stash-restore").addEventListener("click", restoreStash);
  $("stash-discard").addEventListener("click", () => setStash(""));

  bindField(ui.maintenanceCountries, ["maintenance", "countries"], (i) => parseList(i.value));
  bindField(ui.maintenanceRetry, ["maintenance", "retryAfterSeconds"], (i) => numberValue(i.value));
  bindField(ui.maintenanceMessage, ["maintenance", "message"], (i) => i.value);
  ui.maintenanceEnabled.addEventListener("change", () => {
    setAt(["maintenance", "enabled"], ui.maintenanceEnabled.checked);
    formEdited($("err-maintenance-enabled"));
  });

  window.addEventListener("beforeunload", (e) => {
    if (state.token && isDirty()) {
      e.preventDefault();
      e.returnValue = "";
    }
  });

  const stored = token.read();
  if (stored) void signIn(stored);
  else showView(false);
}

init();
