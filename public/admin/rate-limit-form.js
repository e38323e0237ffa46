// @ts-check
/**
 * The admin page's rate-limit fieldset (`/admin/rate-limit-form.js`, loaded by `/admin/app.js`):
 * `rateLimits` as a table, one row per policy, each key an input writing `/rateLimits/N/...`
 * with its own error slot (the server's `reserve must not exceed limit` shows at the row's
 * reserve).
 *
 * A policy table is the plain case of `listTable` (a list in the document as a table: one row
 * per item, one input per key, add and remove, keys no column shows kept), which this module
 * exports with its value parsers for the security fieldset's tables (`/admin/security-form.js`).
 * Same model as the rest of the form: a field writes one path of the document with `setAt` and
 * calls `formEdited(slot)`; each field and row has its own `data-error-for` slot, so a `422`
 * shows next to what it names.
 */
import { $, byId, h, isObject } from "../common/page.js";

/** @typedef {Record<string, unknown>} Doc */

/**
 * What app.js lends the fieldsets.
 * @typedef {object} FormKit
 * @property {(segments: string[]) => unknown} getAt
 * @property {(segments: string[], value: unknown) => void} setAt `undefined` removes the key.
 * @property {(slot: HTMLElement | null) => void} formEdited
 * @property {(path: string, inputId: string) => { id: string, el: HTMLElement }} errorSlot
 * @property {(slot: Element | null) => void} clearSlot
 * @property {(slot: Element, message: string) => void} addSlotError
 */

/**
 * One key of a list item as a table cell.
 * @typedef {object} Column
 * @property {string[]} key The path inside the item.
 * @property {string} label Read after the row's name (`aria-label`).
 * @property {"text" | "number" | "select" | "checkbox"} [kind] Default `text`.
 * @property {readonly string[]} [options] Of a select.
 * @property {(text: string) => unknown} [parse] The input's text to the value; `undefined` removes the key.
 * @property {boolean} [prune] Remove the parent object when the last key in it is removed.
 * @property {boolean} [refresh] A change re-renders the row's `extra` cells.
 * @property {string} [size] A class of the input (`narrow`, `wide`).
 */

// ---- values ----------------------------------------------------------------------------------

/** Non-empty trimmed parts. @param {string} text @param {RegExp} [sep] */
export const split = (text, sep = /[\s,;]+/) =>
  String(text)
    .split(sep)
    .map((s) => s.trim())
    .filter(Boolean);
/** A comma list, upper-cased (countries, methods); empty removes the key. @param {string} t */
export const upperList = (t) => orNone(split(t).map((s) => s.toUpperCase()));
/** A comma list, lower-cased (rule ids, classes); empty removes the key. @param {string} t */
export const lowerList = (t) => orNone(split(t).map((s) => s.toLowerCase()));
/** A comma list as typed (names); empty removes the key. @param {string} t */
export const plainList = (t) => orNone(split(t));
/** Text; empty removes the key. @param {string} t */
export const optionalText = (t) => (t === "" ? undefined : t);
/** A number, or the text as typed for the server to judge; empty removes the key (the default applies). @param {string} t */
export const optionalNumber = (t) => {
  const s = t.trim();
  if (s === "") return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : s;
};
/** Like `optionalNumber`, but empty is `null` (the server says the value is required). @param {string} t */
export const requiredNumber = (t) => optionalNumber(t) ?? null;
/** @param {string[]} list */
const orNone = (list) => (list.length ? list : undefined);
/** @param {unknown} v @param {string} [sep] */
export const listText = (v, sep = ", ") =>
  Array.isArray(v) ? v.join(sep) : v === undefined || v === null ? "" : String(v);
/** @param {unknown} v */
const valueText = (v) => (v === undefined || v === null ? "" : String(v));

/**
 * A select shows a value it has no option for (from the JSON) as an extra option.
 * @param {HTMLSelectElement} select
 * @param {unknown} value
 */
export function selectValue(select, value) {
  const text = valueText(value);
  if (!Array.from(select.options).some((o) => o.value === text)) select.append(h("option", { value: text }, [text]));
  select.value = text;
}

// ---- list tables -----------------------------------------------------------------------------

/**
 * A list in the document as a table: one row per item, one input per column (each with its
 * own error slot at the item's path), a remove button per row; keys no column shows are kept.
 * @param {FormKit} kit
 * @param {object} spec
 * @param {string[]} spec.path The list's path in the document.
 * @param {HTMLElement} spec.body The `tbody`.
 * @param {HTMLButtonElement} spec.addButton
 * @param {HTMLElement} spec.note Says when the path holds something else than a list.
 * @param {string} spec.testid Cells are `<testid>-<index>-<key with ->` (`rl-0-match-pathPrefix`).
 * @param {string} spec.noun The row's name in labels (`Policy` → "Policy 1 limit").
 * @param {Column[]} spec.columns
 * @param {() => Doc} spec.newItem
 * @param {(item: Doc, index: number) => HTMLElement[]} [spec.extra] Cells between the columns and the remove button.
 */
export function listTable(kit, spec) {
  const pointer = "/" + spec.path.join("/");
  const list = () => kit.getAt(spec.path);

  function render() {
    const items = list();
    const broken = items !== undefined && !Array.isArray(items);
    spec.note.hidden = !broken;
    spec.note.textContent = broken ? `"${spec.path.join(".")}" is not a list: edit it in the JSON below.` : "";
    spec.addButton.hidden = broken;
    spec.body.replaceChildren(
      ...(Array.isArray(items) ? items.map((item, i) => row(isObject(item) ? item : {}, i)) : []),
    );
  }

  /** @param {Doc} item @param {number} i */
  function row(item, i) {
    const name = spec.noun + " " + (i + 1);
    const rowSlot = kit.errorSlot(pointer + "/" + i, "");
    let extra = spec.extra ? spec.extra(item, i) : [];
    const refresh = () => {
      const now = kit.getAt([...spec.path, String(i)]);
      if (!spec.extra || !isObject(now)) return;
      const fresh = spec.extra(now, i);
      extra.forEach((cell, k) => cell.replaceWith(fresh[k] ?? ""));
      extra = fresh;
    };
    const cells = spec.columns.map((col) => {
      const segments = [...spec.path, String(i), ...col.key];
      const testid = spec.testid + "-" + i + "-" + col.key.join("-");
      const input = field(kit, segments, col, name + " " + col.label, testid, valueAt(item, col.key));
      if (col.refresh) input[0]?.addEventListener("change", refresh);
      return h("td", {}, input);
    });
    const remove = h(
      "button",
      {
        type: "button",
        class: "danger",
        "data-testid": spec.testid + "-" + i + "-remove",
        "aria-label": "Remove " + name.toLowerCase(),
        onclick: () => {
          const now = list();
          if (Array.isArray(now)) now.splice(i, 1);
          render();
          kit.formEdited(null);
          spec.addButton.focus();
        },
      },
      ["Remove"],
    );
    return h("tr", { "data-testid": spec.testid + "-row" }, [...cells, ...extra, h("td", {}, [remove, rowSlot.el])]);
  }

  function add() {
    let items = list();
    if (items === undefined) kit.setAt(spec.path, (items = []));
    if (!Array.isArray(items)) return;
    items.push(spec.newItem());
    render();
    kit.formEdited(null);
    const first = spec.body.lastElementChild?.querySelector("input, select");
    if (first instanceof HTMLElement) first.focus();
  }

  spec.addButton.addEventListener("click", add);
  return { render };
}

/** @param {Doc} item @param {string[]} key */
function valueAt(item, key) {
  /** @type {unknown} */
  let v = item;
  for (const k of key) v = isObject(v) ? v[k] : undefined;
  return v;
}

/**
 * One input with its error slot, writing `segments` of the document.
 * @param {FormKit} kit
 * @param {string[]} segments
 * @param {Column} col
 * @param {string} label
 * @param {string} testid
 * @param {unknown} value
 * @returns {HTMLElement[]}
 */
function field(kit, segments, col, label, testid, value) {
  const id = "f-" + testid;
  const slot = kit.errorSlot("/" + segments.join("/"), id);
  const attrs = { id, "data-testid": testid, "aria-label": label, "aria-describedby": slot.id, class: col.size };
  /** @param {unknown} v */
  const write = (v) => {
    kit.setAt(segments, v);
    const parent = segments.slice(0, -1);
    const holder = kit.getAt(parent);
    if (v === undefined && col.prune && isObject(holder) && Object.keys(holder).length === 0)
      kit.setAt(parent, undefined);
    kit.formEdited(slot.el);
  };
  if (col.kind === "select") {
    const select = h(
      "select",
      attrs,
      (col.options ?? []).map((o) => h("option", { value: o }, [o])),
    );
    selectValue(select, value);
    select.addEventListener("change", () => write(select.value));
    return [select, slot.el];
  }
  if (col.kind === "checkbox") {
    const box = h("input", { ...attrs, type: "checkbox" });
    box.checked = value === true;
    box.addEventListener("change", () => write(box.checked));
    return [box, slot.el];
  }
  const number = col.kind === "number";
  const input = h("input", {
    ...attrs,
    type: number ? "number" : "text",
    inputmode: number ? "numeric" : undefined,
    step: number ? "1" : undefined,
    spellcheck: "false",
    autocomplete: "off",
  });
  input.value = Array.isArray(value) ? listText(value) : valueText(value);
  const parse = col.parse ?? (number ? requiredNumber : (/** @type {string} */ t) => t);
  input.addEventListener("input", () => write(parse(input.value)));
  return [input, slot.el];
}

// ---- the rate-limit fieldset ----------------------------------------------------------------

/** @param {FormKit} kit */
export function rateLimitForm(kit) {
  return listTable(kit, {
    path: ["rateLimits"],
    body: $("rl-body"),
    addButton: byId("rl-add", HTMLButtonElement),
    note: $("rl-note"),
    testid: "rl",
    noun: "Policy",
    // The server's defaults written out, so the row shows them; the id is for the admin to give.
    newItem: () => ({
      id: "",
      match: {},
      limit: 100,
      windowSeconds: 60,
      by: "ip",
      failMode: "open",
      timeoutMs: 1000,
      reserve: 1,
      analytics: false,
    }),
    columns: [
      { key: ["id"], label: "id" },
      { key: ["match", "pathPrefix"], label: "path prefix", parse: optionalText },
      { key: ["match", "methods"], label: "methods", parse: upperList, size: "narrow" },
      { key: ["match", "countries"], label: "countries", parse: upperList, size: "narrow" },
      { key: ["limit"], label: "limit", kind: "number" },
      { key: ["windowSeconds"], label: "window in seconds", kind: "number" },
      { key: ["by"], label: "key", kind: "select", options: ["ip", "user", "tenant"] },
      { key: ["failMode"], label: "when Redis is down", kind: "select", options: ["open", "closed"] },
      { key: ["timeoutMs"], label: "Redis timeout in ms", kind: "number", parse: optionalNumber },
      { key: ["reserve"], label: "reserve", kind: "number", parse: optionalNumber },
      { key: ["analytics"], label: "analytics", kind: "checkbox" },
    ],
  });
}
