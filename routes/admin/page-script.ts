/**
 * The admin page's script (served as `/admin/app.js`): vanilla ES2020, no dependencies.
 * Kept as a string so the Worker serves it without a build step; `test/browser` parses it and
 * drives it in Chromium. It must not contain a backtick or a dollar sign followed by a brace.
 *
 * Model: `state.doc` is the document being edited. The form fields write single paths into it
 * and re-print the JSON editor; the JSON editor, when it parses, replaces it and re-fills the
 * form. The JSON is printed by `printJson` (same layout as `JSON.stringify(doc, null, 2)`),
 * which also records the line of every path, so a `422` error names its line.
 * Nothing from the server is ever parsed as HTML: text goes through `textContent`/`append`.
 */
export const ADMIN_PAGE_SCRIPT = String.raw`(function () {
  "use strict";

  var TOKEN_KEY = "edge-admin-token";
  var CONFIG_URL = "/v1/admin/config";
  var FLAG_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

  var state = {
    token: null,
    version: null,
    doc: null,
    loadedText: "",
    rawValid: true,
    lines: {},
    busy: false,
    pendingConfirm: null
  };
  var slotSeq = 0;

  function $(id) { return document.getElementById(id); }

  /** Builds an element; attribute values go through setAttribute, children are nodes or text. */
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === undefined || value === null || value === false) return;
      if (key.slice(0, 2) === "on" && typeof value === "function") el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? "" : String(value));
    });
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined && child !== false) el.append(child);
    });
    return el;
  }

  function isObject(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }

  // ---- token -------------------------------------------------------------------------------

  function readStoredToken() {
    try { return sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; }
  }
  function storeToken(token) {
    try {
      if (token) sessionStorage.setItem(TOKEN_KEY, token);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) { /* storage disabled: the token lives in memory for this page only */ }
  }
  function cleanToken(text) {
    return String(text || "").trim().replace(/^bearer\s+/i, "").replace(/\s+/g, "");
  }
  /** The token's claims, for display only (the server verifies it). */
  function claimsOf(token) {
    try {
      var part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      while (part.length % 4) part += "=";
      var bytes = Uint8Array.from(atob(part), function (ch) { return ch.charCodeAt(0); });
      var claims = JSON.parse(new TextDecoder().decode(bytes));
      return isObject(claims) ? claims : {};
    } catch (e) { return {}; }
  }

  // ---- API ---------------------------------------------------------------------------------

  async function api(method, url, options) {
    options = options || {};
    var headers = { accept: "application/json, application/problem+json" };
    if (state.token) headers.authorization = "Bearer " + state.token;
    Object.keys(options.headers || {}).forEach(function (k) { headers[k] = options.headers[k]; });
    var init = { method: method, headers: headers, cache: "no-store", credentials: "omit" };
    if (options.body !== undefined) {
      headers["content-type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    var res;
    try {
      res = await fetch(url, init);
    } catch (e) {
      return { ok: false, status: 0, headers: new Headers(), body: null,
        problem: { title: "Network error", detail: "Could not reach the server (" + (e && e.message ? e.message : e) + ")." } };
    }
    var text = "";
    try { text = await res.text(); } catch (e) { text = ""; }
    var body = null;
    try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
    var result = { ok: res.ok, status: res.status, headers: res.headers, body: body, problem: null };
    if (!res.ok) {
      var p = isObject(body) ? body : {};
      result.problem = {
        type: typeof p.type === "string" ? p.type : "",
        title: typeof p.title === "string" ? p.title : res.status + " " + res.statusText,
        detail: typeof p.detail === "string" ? p.detail : (isObject(body) ? "" : text.slice(0, 300)),
        requestId: typeof p.requestId === "string" && p.requestId ? p.requestId : res.headers.get("x-request-id") || "",
        errors: Array.isArray(p.errors) ? p.errors : []
      };
    }
    return result;
  }

  /** One sentence for a failed call; the problem's detail and request id are shown under it. */
  function failureMessage(r, doing) {
    var p = r.problem || {};
    if (r.status === 0) return doing + " failed: the server could not be reached.";
    if (r.status === 401) return "Your token is missing, invalid or expired. Sign in again with a valid admin token.";
    if (r.status === 403 && /\/request-blocked$/.test(p.type || "")) return doing + " failed: the request was blocked by the edge security filter.";
    if (r.status === 403) return "This token is valid, but it is not an admin: the admin API needs the \"admin\" role.";
    if (r.status === 429) {
      var after = r.headers.get("retry-after");
      return "Too many requests." + (after ? " Try again in " + after + " s." : "");
    }
    return doing + " failed: " + (p.title || "HTTP " + r.status) + ".";
  }

  // ---- messages ----------------------------------------------------------------------------

  function setStatus(text) { $("status").textContent = text || ""; }

  function clearAlert() { $("alert").replaceChildren(); }

  function showAlert(message, problem, actions) {
    var box = $("alert");
    var nodes = [h("p", { "data-testid": "alert-message" }, [message])];
    if (problem && problem.detail && problem.detail !== message) nodes.push(h("p", { "data-testid": "alert-detail" }, [problem.detail]));
    if (problem && problem.requestId) {
      nodes.push(h("p", { class: "hint" }, ["Request id: ", h("code", { "data-testid": "alert-request-id" }, [problem.requestId])]));
    }
    (actions || []).forEach(function (a) {
      nodes.push(h("button", { type: "button", "data-testid": a.testid, onclick: a.run }, [a.label]));
    });
    setStatus("");
    box.replaceChildren.apply(box, nodes);
  }

  function showFailure(r, doing) {
    var actions = [];
    if (r.status === 401 || r.status === 403) actions.push({ label: "Sign in with another token", testid: "alert-signin", run: signOut });
    showAlert(failureMessage(r, doing), r.problem, actions);
  }

  // ---- JSON printing with line numbers -----------------------------------------------------

  /** Prints like JSON.stringify(value, null, 2) and records the first line of every path. */
  function printJson(value) {
    var out = [];
    var lines = {};
    function walk(v, path, indent, head, tail) {
      lines[path] = out.length + 1;
      var keys = isObject(v) ? Object.keys(v) : null;
      if (Array.isArray(v) && v.length) {
        out.push(indent + head + "[");
        v.forEach(function (item, i) { walk(item, path + "/" + i, indent + "  ", "", i < v.length - 1 ? "," : ""); });
        out.push(indent + "]" + tail);
      } else if (keys && keys.length) {
        out.push(indent + head + "{");
        keys.forEach(function (k, i) { walk(v[k], path + "/" + k, indent + "  ", JSON.stringify(k) + ": ", i < keys.length - 1 ? "," : ""); });
        out.push(indent + "}" + tail);
      } else {
        out.push(indent + head + JSON.stringify(v === undefined ? null : v) + tail);
      }
    }
    walk(value, "", "", "", "");
    return { text: out.join("\n"), lines: lines };
  }

  function normalizePath(path) {
    var p = String(path || "");
    return p === "/" ? "" : p.replace(/\/+$/, "");
  }

  /** The line of a path in the printed document, or of its nearest ancestor that exists. */
  function lineOf(path) {
    var p = normalizePath(path);
    while (true) {
      if (Object.prototype.hasOwnProperty.call(state.lines, p)) return state.lines[p];
      if (p === "") return 1;
      p = p.slice(0, p.lastIndexOf("/"));
    }
  }

  function goToLine(line) {
    var raw = $("raw");
    var all = raw.value.split("\n");
    var start = 0;
    for (var i = 0; i < line - 1 && i < all.length; i++) start += all[i].length + 1;
    var end = start + (all[line - 1] || "").length;
    raw.focus();
    raw.setSelectionRange(start, end);
    var lineHeight = parseFloat(getComputedStyle(raw).lineHeight) || 18;
    raw.scrollTop = Math.max(0, (line - 3) * lineHeight);
  }

  // ---- document editing --------------------------------------------------------------------

  function currentText() { return state.rawValid ? printJson(state.doc).text : $("raw").value; }
  function isDirty() { return state.doc !== null && currentText() !== state.loadedText; }

  function updateDirty() {
    var dirty = isDirty();
    $("dirty").hidden = !dirty;
    $("save").disabled = state.busy || !dirty;
  }

  function setAt(segments, value) {
    if (!isObject(state.doc)) state.doc = {};
    var target = state.doc;
    for (var i = 0; i < segments.length - 1; i++) {
      if (!isObject(target[segments[i]])) target[segments[i]] = {};
      target = target[segments[i]];
    }
    target[segments[segments.length - 1]] = value;
  }

  function getAt(segments) {
    var v = state.doc;
    for (var i = 0; i < segments.length; i++) {
      if (!isObject(v)) return undefined;
      v = v[segments[i]];
    }
    return v;
  }

  function parseList(text) {
    return String(text).split(/[\s,;]+/).filter(Boolean).map(function (s) { return s.toUpperCase(); });
  }
  function listText(v) { return Array.isArray(v) ? v.join(", ") : v === undefined || v === null ? "" : String(v); }

  /** A number input's value for the document; anything else is sent as typed for the server to judge. */
  function numberValue(text) {
    var t = String(text).trim();
    if (t === "") return null;
    var n = Number(t);
    return Number.isFinite(n) ? n : t;
  }
  function numberText(v) { return typeof v === "number" ? String(v) : ""; }

  function renderRaw() {
    var printed = printJson(state.doc);
    $("raw").value = printed.text;
    state.lines = printed.lines;
  }

  /** After a form edit: the JSON editor follows the model. */
  function formEdited(slot) {
    if (slot) clearSlot(slot);
    renderRaw();
    updateDirty();
  }

  function bindField(id, segments, read) {
    var input = $(id);
    var slot = document.querySelector("[data-error-for=\"/" + segments.join("/") + "\"]");
    input.addEventListener("input", function () {
      setAt(segments, read(input));
      formEdited(slot);
    });
  }

  function renderMaintenance() {
    var m = getAt(["maintenance"]);
    m = isObject(m) ? m : {};
    $("maintenance-enabled").checked = m.enabled === true;
    $("maintenance-countries").value = listText(m.countries);
    $("maintenance-retry").value = numberText(m.retryAfterSeconds);
    $("maintenance-message").value = typeof m.message === "string" ? m.message : "";
  }

  function errorSlot(path, inputId) {
    var id = "slot-" + (++slotSeq);
    return { id: id, el: h("p", { class: "field-error", role: "alert", id: id, "data-error-for": path, "data-input": inputId }) };
  }

  function renderFlags() {
    var body = $("flags-body");
    var note = $("flags-note");
    var flags = getAt(["flags"]);
    body.replaceChildren();
    note.hidden = true;
    if (flags !== undefined && !isObject(flags)) {
      note.textContent = "\"flags\" is not an object: edit it in the JSON below.";
      note.hidden = false;
      return;
    }
    Object.keys(flags || {}).forEach(function (name) {
      var flag = isObject(flags[name]) ? flags[name] : {};
      var base = "/flags/" + name;
      var n = ++slotSeq;
      var rowSlot = errorSlot(base, "");
      var enabledSlot = errorSlot(base + "/enabled", "flag-enabled-" + n);
      var rolloutSlot = errorSlot(base + "/rollout", "flag-rollout-" + n);
      var countriesSlot = errorSlot(base + "/countries", "flag-countries-" + n);
      var enabled = h("input", { type: "checkbox", id: "flag-enabled-" + n, "data-testid": "flag-" + name + "-enabled",
        "aria-label": "Flag " + name + " enabled", "aria-describedby": enabledSlot.id });
      enabled.checked = flag.enabled === true;
      enabled.addEventListener("change", function () { setAt(["flags", name, "enabled"], enabled.checked); formEdited(enabledSlot.el); });
      var rollout = h("input", { type: "number", id: "flag-rollout-" + n, min: 0, max: 100, step: "any",
        "data-testid": "flag-" + name + "-rollout", "aria-label": "Flag " + name + " rollout percentage", "aria-describedby": rolloutSlot.id });
      rollout.value = numberText(flag.rollout);
      rollout.addEventListener("input", function () { setAt(["flags", name, "rollout"], numberValue(rollout.value)); formEdited(rolloutSlot.el); });
      var countries = h("input", { type: "text", id: "flag-countries-" + n, spellcheck: "false", autocomplete: "off",
        "data-testid": "flag-" + name + "-countries", "aria-label": "Flag " + name + " countries (empty means all)",
        "aria-describedby": countriesSlot.id });
      countries.value = listText(flag.countries);
      countries.addEventListener("input", function () { setAt(["flags", name, "countries"], parseList(countries.value)); formEdited(countriesSlot.el); });
      var remove = h("button", { type: "button", class: "danger", "data-testid": "flag-" + name + "-remove",
        "aria-label": "Remove flag " + name, onclick: function () {
          var all = getAt(["flags"]);
          if (isObject(all)) delete all[name];
          renderFlags();
          formEdited(null);
        } }, ["Remove"]);
      body.append(h("tr", { "data-flag": name }, [
        h("th", { scope: "row", class: "flags-name" }, [name, rowSlot.el]),
        h("td", {}, [enabled, enabledSlot.el]),
        h("td", {}, [rollout, rolloutSlot.el]),
        h("td", {}, [countries, countriesSlot.el]),
        h("td", {}, [remove])
      ]));
    });
  }

  function addFlag() {
    var input = $("new-flag-name");
    var slot = $("err-new-flag");
    var name = input.value.trim();
    clearSlot(slot);
    var flags = getAt(["flags"]);
    if (flags !== undefined && !isObject(flags)) return addSlotError(slot, "\"flags\" is not an object: fix it in the JSON first.");
    if (!FLAG_NAME.test(name)) return addSlotError(slot, "Use 1-64 letters, digits, _ . : or -.");
    if (isObject(flags) && Object.prototype.hasOwnProperty.call(flags, name)) return addSlotError(slot, "A flag with that name already exists.");
    setAt(["flags", name], { enabled: false, rollout: 100, countries: [] });
    input.value = "";
    renderFlags();
    formEdited(null);
    var added = document.querySelector("[data-flag=\"" + name + "\"] input");
    if (added) added.focus();
  }

  function renderForm() {
    renderMaintenance();
    renderFlags();
  }

  function onRawInput() {
    var raw = $("raw");
    var syntax = $("raw-syntax");
    var parsed;
    try {
      parsed = JSON.parse(raw.value);
    } catch (e) {
      return setRawInvalid("JSON syntax error: " + (e && e.message ? e.message : String(e)));
    }
    if (!isObject(parsed)) return setRawInvalid("The document must be a JSON object.");
    state.rawValid = true;
    state.doc = parsed;
    state.lines = printJson(parsed).lines;
    syntax.textContent = "";
    raw.removeAttribute("aria-invalid");
    $("form-fields").disabled = false;
    $("form-disabled-hint").hidden = true;
    renderForm();
    updateDirty();
  }

  function setRawInvalid(message) {
    state.rawValid = false;
    $("raw-syntax").textContent = message;
    $("raw").setAttribute("aria-invalid", "true");
    // The form would overwrite the text being fixed, so it waits until the JSON parses again.
    $("form-fields").disabled = true;
    $("form-disabled-hint").hidden = false;
    updateDirty();
  }

  // ---- validation errors -------------------------------------------------------------------

  function inputOfSlot(slot) {
    var id = slot.getAttribute("data-input");
    if (id) return $(id);
    return document.querySelector("[aria-describedby~=\"" + slot.id + "\"]");
  }

  function addSlotError(slot, message) {
    slot.append(h("span", {}, [message]));
    var input = slot.id ? inputOfSlot(slot) : null;
    if (input) input.setAttribute("aria-invalid", "true");
  }

  function clearSlot(slot) {
    if (!slot) return;
    slot.replaceChildren();
    var input = slot.id ? inputOfSlot(slot) : null;
    if (input) input.removeAttribute("aria-invalid");
  }

  function clearErrors() {
    document.querySelectorAll(".field-error[data-error-for]").forEach(clearSlot);
    $("raw-errors").replaceChildren();
    $("raw-errors-box").hidden = true;
  }

  /** The most specific form slot whose path is the given one or one of its ancestors. */
  function slotFor(path) {
    var best = null;
    document.querySelectorAll("#form-fields [data-error-for]").forEach(function (el) {
      var s = el.getAttribute("data-error-for");
      if (s.charAt(0) !== "/") return;
      if ((path === s || path.indexOf(s + "/") === 0) && (!best || s.length > best.getAttribute("data-error-for").length)) best = el;
    });
    return best;
  }

  function placeError(rawPath, message) {
    var path = normalizePath(rawPath);
    var shown = path || "/";
    if (shown.charAt(0) === "/") {
      var slot = slotFor(path);
      if (slot) {
        var at = slot.getAttribute("data-error-for");
        addSlotError(slot, path === at ? message : path.slice(at.length + 1) + ": " + message);
      }
    }
    var line = shown.charAt(0) === "/" ? lineOf(path) : null;
    $("raw-errors").append(h("li", { "data-path": shown }, [
      line ? h("button", { type: "button", class: "link", onclick: function () { goToLine(line); } }, ["Line " + line]) : "",
      line ? " " : "",
      h("code", {}, [shown]),
      " " + message
    ]));
    $("raw-errors-box").hidden = false;
  }

  function showValidation(r) {
    var errors = r.problem.errors;
    var count = errors.length;
    showAlert("Not saved: the document is invalid" + (count ? " (" + count + (count === 1 ? " problem" : " problems") + ", shown next to the fields and lines they name)." : "."), r.problem);
    errors.forEach(function (e) {
      placeError(isObject(e) && e.path !== undefined ? e.path : "/", isObject(e) && e.message ? String(e.message) : "invalid");
    });
    var first = document.querySelector("#form-fields [aria-invalid=true]");
    if (first && first.focus) first.focus();
  }

  // ---- loading -----------------------------------------------------------------------------

  function versionFromEtag(etag) {
    if (!etag) return null;
    var m = /^(?:W\/)?"([^"]*)"$/.exec(etag.trim());
    return m ? m[1] : null;
  }

  function setStash(text) {
    $("stash-text").value = text;
    $("stash").hidden = !text;
  }

  async function loadConfig() {
    var r = await api("GET", CONFIG_URL);
    if (!r.ok) return r;
    if (!isObject(r.body) || !isObject(r.body.config)) {
      return { ok: false, status: r.status, headers: r.headers, problem: { title: "Unexpected response", detail: "The config response has no document.", requestId: r.headers.get("x-request-id") || "" } };
    }
    // Edits that a reload would replace are set aside, not lost.
    if (isDirty()) setStash(currentText());
    var version = r.body.version !== undefined ? r.body.version : versionFromEtag(r.headers.get("etag"));
    state.version = version;
    state.doc = r.body.config;
    state.rawValid = true;
    renderRaw();
    state.loadedText = $("raw").value;
    $("version").textContent = String(version);
    $("raw-syntax").textContent = "";
    $("raw").removeAttribute("aria-invalid");
    $("form-fields").disabled = false;
    $("form-disabled-hint").hidden = true;
    clearErrors();
    renderForm();
    updateDirty();
    return r;
  }

  function formatValue(v) {
    if (v === undefined) return "(none)";
    var text = JSON.stringify(v);
    return text.length > 120 ? text.slice(0, 117) + "…" : text;
  }

  function formatTime(at) {
    var d = new Date(at);
    return isNaN(d.getTime()) ? String(at) : d.toLocaleString();
  }

  /** Renders history entries; "append" adds older ones below those already shown. */
  function renderHistory(list, append) {
    var ol = $("history");
    if (!append) {
      ol.replaceChildren();
      state.pendingConfirm = null;
    }
    $("history-empty").hidden = ol.children.length + list.length > 0;
    list.forEach(function (entry) {
      if (!isObject(entry)) return;
      var version = entry.version;
      var isCurrent = String(version) === String(state.version);
      var changes = Array.isArray(entry.changes) ? entry.changes : [];
      var changeItems = changes.slice(0, 50).map(function (ch) {
        var c = isObject(ch) ? ch : {};
        var from = Object.prototype.hasOwnProperty.call(c, "from") ? c.from : undefined;
        var to = Object.prototype.hasOwnProperty.call(c, "to") ? c.to : undefined;
        return h("li", {}, [
          h("code", {}, [String(c.path === undefined ? "/" : c.path)]), ": ",
          h("span", { class: "from mono", title: from === undefined ? "" : JSON.stringify(from) }, [formatValue(from)]),
          " → ",
          h("span", { class: "to mono", title: to === undefined ? "" : JSON.stringify(to) }, [formatValue(to)])
        ]);
      });
      if (changes.length > 50) changeItems.push(h("li", {}, ["… and " + (changes.length - 50) + " more"]));
      var item = h("li", { "data-testid": "history-entry", "data-version": String(version) }, [
        h("div", {}, [
          h("strong", {}, ["Version " + version]),
          isCurrent ? h("span", { class: "badge" }, ["current"]) : "",
          " ",
          h("span", { class: "meta" }, [
            "by ", h("span", { "data-testid": "history-author" }, [String(entry.author === undefined ? "unknown" : entry.author)]),
            " · ", h("time", { datetime: String(entry.at), title: String(entry.at) }, [formatTime(entry.at)])
          ])
        ]),
        h("p", { class: "reason" }, [entry.reason ? "Reason: " + entry.reason : h("span", { class: "hint" }, ["No reason given"])]),
        changeItems.length ? h("ul", { class: "changes", "aria-label": "Changes in version " + version }, changeItems)
          : h("p", { class: "hint" }, ["No changes listed."])
      ]);
      if (!isCurrent) item.append(rollbackControl(version));
      ol.append(item);
    });
  }

  function rollbackControl(version) {
    var box = h("div", {});
    var start = h("button", { type: "button", "data-testid": "rollback-" + version }, ["Roll back to version " + version + "…"]);
    start.addEventListener("click", function () {
      if (state.pendingConfirm) state.pendingConfirm();
      var confirmBox = h("div", { class: "confirm", role: "group", "aria-label": "Confirm roll back" }, [
        h("p", {}, ["Make a new version with the content of version " + version + "?" +
          (isDirty() ? " Your unsaved edits will be set aside." : "")]),
        h("div", { class: "row" }, [
          h("button", { type: "button", class: "primary", "data-testid": "rollback-confirm", onclick: function () { cancel(); rollback(version); } },
            ["Roll back to version " + version]),
          h("button", { type: "button", "data-testid": "rollback-cancel", onclick: function () { cancel(); start.focus(); } }, ["Cancel"])
        ])
      ]);
      function cancel() { confirmBox.remove(); start.hidden = false; state.pendingConfirm = null; }
      state.pendingConfirm = cancel;
      start.hidden = true;
      box.append(confirmBox);
      confirmBox.querySelector("button").focus();
    });
    box.append(start);
    return box;
  }

  var HISTORY_PAGE = 50;

  /** The newest page of the history, or with "older" the page before the oldest one shown. */
  async function loadHistory(older) {
    var shown = Array.prototype.map.call($("history").children, function (li) { return li.getAttribute("data-version"); });
    var oldest = shown.length ? Number(shown[shown.length - 1]) : NaN;
    var query = "?limit=" + HISTORY_PAGE + (older && Number.isFinite(oldest) ? "&before=" + oldest : "");
    var r = await api("GET", CONFIG_URL + "/versions" + query);
    if (!r.ok) return r;
    var list = Array.isArray(r.body) ? r.body : isObject(r.body) && Array.isArray(r.body.versions) ? r.body.versions : [];
    if (older) {
      list = list.filter(function (e) { return isObject(e) && shown.indexOf(String(e.version)) === -1; });
    }
    renderHistory(list, older);
    // A full page may have more behind it; an empty "older" page means the start was reached.
    $("history-more").hidden = older ? list.length === 0 || list.length < HISTORY_PAGE : list.length < HISTORY_PAGE;
    return r;
  }

  function setBusy(busy) {
    state.busy = busy;
    $("main").setAttribute("aria-busy", busy ? "true" : "false");
    ["reload", "history-reload", "history-more"].forEach(function (id) { $(id).disabled = busy; });
    document.querySelectorAll("#history button").forEach(function (b) { b.disabled = busy; });
    updateDirty();
  }

  /** Loads the config, then the history (which marks the current version). */
  async function loadAll() {
    setBusy(true);
    try {
      var r = await loadConfig();
      if (!r.ok) return r;
      var hr = await loadHistory();
      if (!hr.ok) showFailure(hr, "Loading the history");
      return r;
    } finally {
      setBusy(false);
    }
  }

  // ---- actions -----------------------------------------------------------------------------

  function showView(signedIn) {
    $("signin-view").hidden = signedIn;
    $("admin-view").hidden = !signedIn;
    $("session").hidden = !signedIn;
  }

  async function signIn(token) {
    state.token = token;
    clearAlert();
    setStatus("Signing in…");
    var r = await loadAll();
    if (!r.ok) {
      var rejected = r.status === 401 || r.status === 403;
      if (rejected) {
        state.token = null;
        storeToken(null);
      }
      showView(false);
      // Anything but a rejected token (server down, 503, …) may pass: offer the same token again.
      showAlert(failureMessage(r, "Loading the config"), r.problem,
        rejected ? [] : [{ label: "Try again", testid: "alert-retry", run: function () { signIn(token); } }]);
      $("token").focus();
      return;
    }
    storeToken(token);
    var claims = claimsOf(token);
    var who = typeof claims.sub === "string" ? claims.sub : "unknown";
    var roles = Array.isArray(claims.roles) ? claims.roles.join(", ") : "";
    $("whoami").textContent = "Signed in as " + who + (roles ? " (" + roles + ")" : "");
    $("token").value = "";
    showView(true);
    setStatus("Loaded version " + state.version + ".");
  }

  function signOut() {
    storeToken(null);
    state.token = null;
    state.version = null;
    state.doc = null;
    state.loadedText = "";
    state.rawValid = true;
    $("raw").value = "";
    $("version").textContent = "";
    $("whoami").textContent = "";
    $("reason").value = "";
    $("history").replaceChildren();
    $("history-more").hidden = true;
    setStash("");
    clearErrors();
    clearAlert();
    showView(false);
    setStatus("Signed out.");
    $("token").focus();
  }

  async function save(event) {
    event.preventDefault();
    if (state.busy || state.doc === null) return;
    clearAlert();
    clearErrors();
    setStatus("");
    if (!state.rawValid) {
      showAlert("Fix the JSON syntax error before saving.", null);
      $("raw").focus();
      return;
    }
    var reason = $("reason").value.trim();
    if (reason && !/^[\x20-\x7e]*$/.test(reason)) {
      addSlotError($("err-reason"), "Use plain ASCII characters: the reason is sent in an HTTP header.");
      $("reason").focus();
      return;
    }
    // Saving sends exactly what the editor shows, in the layout the error lines refer to.
    renderRaw();
    var headers = { "if-match": "\"" + state.version + "\"" };
    if (reason) headers["x-change-reason"] = reason;
    setBusy(true);
    var r;
    try {
      r = await api("PUT", CONFIG_URL, { body: state.doc, headers: headers });
    } finally {
      setBusy(false);
    }
    if (r.ok) {
      var saved = isObject(r.body) && r.body.version !== undefined ? r.body.version : versionFromEtag(r.headers.get("etag"));
      $("reason").value = "";
      state.loadedText = currentText();
      var loaded = await loadAll();
      if (!loaded.ok) return showFailure(loaded, "Reloading the config");
      setStatus("Saved: the config is now version " + (saved === null ? state.version : saved) + ".");
      return;
    }
    if (r.status === 422) return showValidation(r);
    if (r.status === 412) return showConflict(r, "Not saved");
    showFailure(r, "Saving");
  }

  /** 412: the config moved on since this page loaded it; the response's ETag names the current version. */
  function showConflict(r, outcome) {
    var current = versionFromEtag(r.headers.get("etag"));
    showAlert(outcome + ": someone else changed the config since you loaded version " + state.version +
      (current !== null ? " (it is now version " + current + ")" : "") +
      ". Reload to see their change" + (isDirty() ? "; your edits will be set aside so you can re-apply them." : "."),
      r.problem,
      [{ label: "Reload the latest version", testid: "reload-latest", run: reload }]);
  }

  async function rollback(version) {
    if (state.busy) return;
    clearAlert();
    setStatus("");
    var body = { version: version };
    var reason = $("reason").value.trim();
    if (reason) body.reason = reason;
    setBusy(true);
    var r;
    try {
      // If-Match: roll back only what this page showed; a newer change gets a 412 instead.
      r = await api("POST", CONFIG_URL + "/rollback", { body: body, headers: { "if-match": "\"" + state.version + "\"" } });
    } finally {
      setBusy(false);
    }
    if (r.status === 412) return showConflict(r, "Not rolled back");
    if (!r.ok) return showFailure(r, "Rolling back");
    $("reason").value = "";
    var loaded = await loadAll();
    if (!loaded.ok) return showFailure(loaded, "Reloading the config");
    var made = isObject(r.body) && r.body.version !== undefined ? r.body.version : state.version;
    setStatus("Rolled back to version " + version + ": the config is now version " + made + ".");
  }

  async function reload() {
    clearAlert();
    setStatus("");
    var r = await loadAll();
    if (!r.ok) return showFailure(r, "Loading the config");
    setStatus("Loaded version " + state.version + ".");
  }

  async function reloadHistory(older) {
    setBusy(true);
    var r;
    try { r = await loadHistory(older === true); } finally { setBusy(false); }
    if (!r.ok) showFailure(r, "Loading the history");
  }

  function restoreStash() {
    $("raw").value = $("stash-text").value;
    setStash("");
    clearErrors();
    onRawInput();
    $("raw").focus();
  }

  // ---- wiring ------------------------------------------------------------------------------

  function init() {
    $("signin-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var token = cleanToken($("token").value);
      if (!token) {
        showAlert("Paste an access token first.", null);
        $("token").focus();
        return;
      }
      signIn(token);
    });
    $("signout").addEventListener("click", signOut);
    $("reload").addEventListener("click", reload);
    $("history-reload").addEventListener("click", function () { reloadHistory(false); });
    $("history-more").addEventListener("click", function () { reloadHistory(true); });
    $("editor").addEventListener("submit", save);
    $("raw").addEventListener("input", function () { clearErrors(); onRawInput(); });
    $("add-flag").addEventListener("click", addFlag);
    $("new-flag-name").addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); addFlag(); }
    });
    $("reason").addEventListener("input", function () { clearSlot($("err-reason")); });
    $("stash-restore").addEventListener("click", restoreStash);
    $("stash-discard").addEventListener("click", function () { setStash(""); });

    bindField("maintenance-countries", ["maintenance", "countries"], function (i) { return parseList(i.value); });
    bindField("maintenance-retry", ["maintenance", "retryAfterSeconds"], function (i) { return numberValue(i.value); });
    bindField("maintenance-message", ["maintenance", "message"], function (i) { return i.value; });
    var enabled = $("maintenance-enabled");
    enabled.addEventListener("change", function () {
      setAt(["maintenance", "enabled"], enabled.checked);
      formEdited($("err-maintenance-enabled"));
    });

    window.addEventListener("beforeunload", function (e) {
      if (state.token && isDirty()) { e.preventDefault(); e.returnValue = ""; }
    });

    var stored = readStoredToken();
    if (stored) signIn(stored);
    else showView(false);
  }

  init();
})();
`;
