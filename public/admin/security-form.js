// @ts-check
/**
 * The admin page's security fieldset (`/admin/security-form.js`, loaded by `/admin/app.js`):
 * `security.*` as form fields, the exclusions, custom rules and rule actions as tables
 * (`listTable` of `/admin/rate-limit-form.js`), and for every rule in log mode what it would
 * have blocked in the last hour with a one-click switch to block. Same model as the rest of the
 * form: a field writes one path of the document with `setAt` and calls `formEdited(slot)`; each
 * field and row has its own `data-error-for` slot, so a `422` shows next to what it names.
 */
import { $, byId, h, isObject } from "../common/page.js";
import {
  listTable,
  listText,
  lowerList,
  optionalNumber,
  optionalText,
  plainList,
  requiredNumber,
  selectValue,
  split,
  upperList,
} from "./rate-limit-form.js";

/** @typedef {Record<string, unknown>} Doc */
/** @typedef {import("../common/page.js").ApiResult} ApiResult */
/** @typedef {import("./rate-limit-form.js").FormKit} FormKit */

/**
 * What the security fieldset needs on top: API calls and saving a whole document.
 * @typedef {object} SecurityKit
 * @property {(method: string, url: string) => Promise<ApiResult>} call
 * @property {() => Doc | null} loadedDoc A copy of the loaded document; null (and a message) when it cannot be switched now.
 * @property {(doc: Doc, reason: string, done?: string) => Promise<void>} putConfig
 */

/** The security filter's attack classes (`attackClasses` in src/lib/config/schema.ts). */
export const ATTACK_CLASSES = [
  "sqli",
  "xss",
  "traversal",
  "rfi",
  "command",
  "ssrf",
  "template",
  "log4shell",
  "php",
  "java",
  "xxe",
  "node",
  "nosql",
  "ldap",
  "ssi",
  "crlf",
  "fixation",
];
const WAF_RULE_ID = /^[a-z0-9][a-z0-9-]{1,63}$/;
const METRICS_URL = "/v1/admin/metrics?from=-1h";

// ---- the security fieldset -------------------------------------------------------------------

/**
 * @param {FormKit & SecurityKit} kit
 */
export function securityForm(kit) {
  const sec = (/** @type {string[]} */ ...rest) => ["security", ...rest];
  const ui = {
    mode: byId("sec-mode", HTMLSelectElement),
    paranoia: byId("sec-paranoia", HTMLSelectElement),
    threshold: byId("sec-threshold", HTMLInputElement),
    countries: byId("sec-countries", HTMLInputElement),
    blockedIps: byId("sec-blocked-ips", HTMLTextAreaElement),
    allowedIps: byId("sec-allowed-ips", HTMLTextAreaElement),
    asns: byId("sec-asns", HTMLInputElement),
    userAgents: byId("sec-user-agents", HTMLTextAreaElement),
    actionsBody: $("sec-actions-body"),
    actionsNote: $("sec-actions-note"),
    actionNew: byId("sec-action-new", HTMLInputElement),
    actionNewError: $("err-sec-action-new"),
  };
  /** Would-block counts by rule id: undefined while loading, null when unavailable. @type {Map<string, number> | null | undefined} */
  let counts;
  let countsWhy = "";
  let countsSeq = 0;

  /**
   * A field of its own markup in index.html, whose error slot is the element its
   * `aria-describedby` names with a `data-error-for`.
   * @param {HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement} input
   * @param {string[]} segments
   * @param {(text: string) => unknown} parse
   */
  function bind(input, segments, parse) {
    const slot = document.querySelector(`[data-error-for="/${segments.join("/")}"]`);
    input.addEventListener(input instanceof HTMLSelectElement ? "change" : "input", () => {
      kit.setAt(segments, parse(input.value));
      kit.formEdited(slot instanceof HTMLElement ? slot : null);
    });
  }
  bind(ui.mode, sec("mode"), optionalText);
  bind(ui.paranoia, sec("paranoiaLevel"), optionalNumber);
  bind(ui.threshold, sec("anomalyThreshold"), requiredNumber);
  bind(ui.countries, sec("blockedCountries"), (t) => split(t).map((s) => s.toUpperCase()));
  bind(ui.blockedIps, sec("blockedIps"), (t) => split(t, /[\s,]+/));
  bind(ui.allowedIps, sec("allowedIps"), (t) => split(t, /[\s,]+/));
  // A number as a number; anything else as typed, so the server's 422 names it.
  bind(ui.asns, sec("blockedAsns"), (t) => split(t).map((s) => (/^\d+$/.test(s) ? Number(s) : s)));
  bind(ui.userAgents, sec("blockedUserAgents"), (t) => split(t, /\r?\n/));
  $("sec-class-list").textContent = ATTACK_CLASSES.join(", ");

  const exclusions = listTable(kit, {
    path: sec("exclusions"),
    body: $("sec-exclusions-body"),
    addButton: byId("sec-exclusion-add", HTMLButtonElement),
    note: $("sec-exclusions-note"),
    testid: "exclusion",
    noun: "Exclusion",
    newItem: () => ({}),
    columns: [
      { key: ["rules"], label: "rule ids", parse: lowerList },
      { key: ["classes"], label: "classes", parse: lowerList },
      { key: ["pathPrefix"], label: "path prefix", parse: optionalText },
      { key: ["parameters"], label: "parameters", parse: plainList },
      { key: ["headers"], label: "headers", parse: plainList },
      { key: ["note"], label: "note", parse: optionalText, size: "wide" },
    ],
  });

  const rules = listTable(kit, {
    path: sec("rules"),
    body: $("sec-rules-body"),
    addButton: byId("sec-rule-add", HTMLButtonElement),
    note: $("sec-rules-note"),
    testid: "rule",
    noun: "Rule",
    // A new rule matches every request: it starts in log mode, not blocking the admin page.
    newItem: () => ({ id: "", action: "log", match: {} }),
    columns: [
      { key: ["id"], label: "id", refresh: true },
      { key: ["action"], label: "action", kind: "select", options: ["block", "log", "allow"], refresh: true },
      { key: ["match", "pathPrefix"], label: "path prefix", parse: optionalText },
      { key: ["match", "methods"], label: "methods", parse: upperList, size: "narrow" },
      { key: ["match", "countries"], label: "countries", parse: upperList, size: "narrow" },
      { key: ["match", "header", "name"], label: "header name", parse: optionalText, prune: true },
      { key: ["match", "header", "contains"], label: "header contains", parse: optionalText, prune: true },
    ],
    extra: (item) => [
      h("td", {}, item.action === "log" && typeof item.id === "string" && item.id ? wouldBlock(item.id, false) : []),
    ],
  });

  // ---- built-in rules in log mode or off ----

  function renderActions() {
    const actions = kit.getAt(sec("ruleActions"));
    const broken = actions !== undefined && !isObject(actions);
    ui.actionsNote.hidden = !broken;
    ui.actionsNote.textContent = broken ? '"security.ruleActions" is not an object: edit it in the JSON below.' : "";
    ui.actionsBody.replaceChildren(
      ...Object.entries(isObject(actions) ? actions : {}).map(([id, action]) => actionRow(id, action)),
    );
  }

  /** @param {string} id @param {unknown} action */
  function actionRow(id, action) {
    const slot = kit.errorSlot("/security/ruleActions/" + id, "f-rule-action-" + id);
    const select = h(
      "select",
      {
        id: "f-rule-action-" + id,
        "data-testid": "rule-action-" + id,
        "aria-label": "Rule " + id + " action",
        "aria-describedby": slot.id,
      },
      [h("option", { value: "log" }, ["log"]), h("option", { value: "off" }, ["off"])],
    );
    selectValue(select, action);
    const countCell = h("td", {}, countCellContent(id, action));
    select.addEventListener("change", () => {
      kit.setAt(sec("ruleActions", id), select.value);
      countCell.replaceChildren(...countCellContent(id, select.value));
      kit.formEdited(slot.el);
    });
    const remove = h(
      "button",
      {
        type: "button",
        class: "danger",
        "data-testid": "rule-action-" + id + "-remove",
        "aria-label": "Remove rule " + id + " from this list (it blocks again)",
        onclick: () => {
          kit.setAt(sec("ruleActions", id), undefined);
          renderActions();
          kit.formEdited(null);
          ui.actionNew.focus();
        },
      },
      ["Remove"],
    );
    return h("tr", { "data-rule-action": id }, [
      h("th", { scope: "row", class: "mono" }, [id]),
      h("td", {}, [select, slot.el]),
      countCell,
      h("td", {}, [remove]),
    ]);
  }

  /** @param {string} id @param {unknown} action */
  function countCellContent(id, action) {
    return action === "log" ? wouldBlock(id, true) : [h("span", { class: "hint" }, ["not counted"])];
  }

  function addAction() {
    const slot = ui.actionNewError;
    kit.clearSlot(slot);
    const id = ui.actionNew.value.trim().toLowerCase();
    const actions = kit.getAt(sec("ruleActions"));
    if (actions !== undefined && !isObject(actions))
      return kit.addSlotError(slot, '"security.ruleActions" is not an object: fix it in the JSON first.');
    if (!WAF_RULE_ID.test(id)) return kit.addSlotError(slot, "A rule id: 2-64 lower-case letters, digits and -.");
    if (isObject(actions) && Object.prototype.hasOwnProperty.call(actions, id))
      return kit.addSlotError(slot, "That rule is already listed.");
    kit.setAt(sec("ruleActions", id), "log");
    ui.actionNew.value = "";
    renderActions();
    kit.formEdited(null);
    // WAF_RULE_ID admits no quote or backslash, so the id is safe inside the selector's quotes.
    const added = document.querySelector(`[data-rule-action="${id}"] select`);
    if (added instanceof HTMLElement) added.focus();
  }
  $("sec-action-add").addEventListener("click", addAction);
  ui.actionNew.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      addAction();
    }
  });

  // ---- would have blocked, and the switch to block ----

  /**
   * The count of a rule in log mode and its switch to block.
   * @param {string} id
   * @param {boolean} builtIn
   * @returns {HTMLElement[]}
   */
  function wouldBlock(id, builtIn) {
    const count = h("span", { class: "count", "data-testid": "would-block-" + id, "data-would-block": id });
    showCount(count);
    const button = h(
      "button",
      {
        type: "button",
        "data-testid": "switch-to-block-" + id,
        "aria-label": "Switch rule " + id + " from log to block",
        onclick: () => void switchToBlock(id, builtIn),
      },
      ["Switch to block"],
    );
    return [count, button];
  }

  /** @param {Element} el */
  function showCount(el) {
    const id = el.getAttribute("data-would-block") ?? "";
    el.textContent = counts === undefined ? "…" : counts === null ? "–" : String(counts.get(id) ?? 0);
    if (counts === null && countsWhy) el.setAttribute("title", countsWhy);
    else el.removeAttribute("title");
  }

  function showCounts() {
    document.querySelectorAll("#security-group [data-would-block]").forEach(showCount);
  }

  /** Loads what each rule in log mode would have blocked in the last hour; never an alert. */
  async function loadCounts() {
    const mine = ++countsSeq;
    counts = undefined;
    showCounts();
    const r = await kit.call("GET", METRICS_URL);
    if (mine !== countsSeq) return;
    const breakdowns = r.ok && isObject(r.body) && isObject(r.body.breakdowns) ? r.body.breakdowns : null;
    if (breakdowns) {
      counts = new Map();
      const list = Array.isArray(breakdowns.wouldBlockRules) ? breakdowns.wouldBlockRules : [];
      for (const e of list)
        if (isObject(e) && typeof e.key === "string" && typeof e.count === "number") counts.set(e.key, e.count);
      countsWhy = "";
    } else {
      counts = null;
      countsWhy =
        r.status === 404
          ? "The counts are not available on this server yet."
          : "The counts could not be loaded" + (r.status ? " (HTTP " + r.status + ")." : ".");
    }
    showCounts();
  }

  /**
   * A versioned change of the loaded config: the built-in rule leaves `ruleActions` (it blocks
   * again), a custom rule's action becomes `block`.
   * @param {string} id
   * @param {boolean} builtIn
   */
  async function switchToBlock(id, builtIn) {
    const doc = kit.loadedDoc();
    if (!doc) return;
    const security = isObject(doc.security) ? doc.security : {};
    let changed = false;
    if (builtIn && isObject(security.ruleActions) && security.ruleActions[id] === "log") {
      delete security.ruleActions[id];
      changed = true;
    }
    if (!builtIn && Array.isArray(security.rules)) {
      for (const rule of security.rules) {
        if (isObject(rule) && rule.id === id && rule.action === "log") {
          rule.action = "block";
          changed = true;
        }
      }
    }
    if (!changed) return;
    await kit.putConfig(doc, "Switch rule " + id + " from log to block", "Rule " + id + " now blocks");
  }

  function render() {
    const found = kit.getAt(["security"]);
    const s = isObject(found) ? found : {};
    selectValue(ui.mode, s.mode);
    selectValue(ui.paranoia, s.paranoiaLevel);
    ui.threshold.value = typeof s.anomalyThreshold === "number" ? String(s.anomalyThreshold) : "";
    ui.countries.value = listText(s.blockedCountries);
    ui.blockedIps.value = listText(s.blockedIps, "\n");
    ui.allowedIps.value = listText(s.allowedIps, "\n");
    ui.asns.value = listText(s.blockedAsns);
    ui.userAgents.value = listText(s.blockedUserAgents, "\n");
    exclusions.render();
    rules.render();
    renderActions();
  }

  return { render, loadCounts };
}
