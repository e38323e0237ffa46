// @ts-check
/**
 * The admin page's webhooks section (`/admin/webhooks.js`, loaded by `/admin/app.js`): the
 * subscriptions with their status, the recent deliveries of the one selected, and a replay
 * button per delivery. Everything comes from `/v1/admin/webhooks…`; text goes in through
 * `append`/`textContent` only.
 */
import { $, alertParagraphs, api, byId, h, isObject } from "../common/page.js";

const WEBHOOKS_URL = "/v1/admin/webhooks";
const DELIVERIES_SHOWN = 20;

/**
 * @typedef {object} Subscription
 * @property {string} id
 * @property {string} url
 * @property {string} description
 * @property {string[]} events
 * @property {string[]} rooms
 * @property {string} status
 * @property {string | null} statusReason
 * @property {number} consecutiveFailures
 */

/**
 * @typedef {object} Delivery
 * @property {string} id
 * @property {string} eventType
 * @property {string} status
 * @property {number} attempts
 * @property {number | null} lastStatusCode
 * @property {string | null} lastError
 * @property {string | null} lastAttemptAt
 * @property {string} createdAt
 */

/** @param {unknown} v @returns {v is Subscription} */
const isSubscription = (v) =>
  isObject(v) && typeof v.id === "string" && typeof v.url === "string" && Array.isArray(v.events);
/** @param {unknown} v @returns {v is Delivery} */
const isDelivery = (v) =>
  isObject(v) && typeof v.id === "string" && typeof v.status === "string" && typeof v.attempts === "number";

/** @param {string | null} at */
function when(at) {
  if (!at) return "—";
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? at : d.toLocaleString();
}

/**
 * The section's controller.
 * @param {() => string | null} token The signed-in admin's token.
 */
export function webhooksSection(token) {
  const ui = {
    list: byId("webhooks-body", HTMLTableSectionElement),
    empty: $("webhooks-empty"),
    alert: $("webhooks-alert"),
    deliveries: $("deliveries"),
    deliveriesTitle: $("deliveries-title"),
    deliveriesBody: byId("deliveries-body", HTMLTableSectionElement),
    deliveriesEmpty: $("deliveries-empty"),
    reload: byId("webhooks-reload", HTMLButtonElement),
  };
  /** @type {string | null} */
  let selected = null;

  /** @param {string} message @param {import("../common/page.js").ApiResult} [r] */
  function fail(message, r) {
    ui.alert.replaceChildren(...alertParagraphs(message, r?.problem));
    ui.alert.hidden = false;
  }

  function clearAlert() {
    ui.alert.replaceChildren();
    ui.alert.hidden = true;
  }

  /** @param {Subscription} s */
  function row(s) {
    const status = h("span", { class: `badge status-${s.status}`, "data-testid": "webhook-status" }, [s.status]);
    return h(
      "tr",
      { "data-testid": "webhook-row", "data-id": s.id, class: s.id === selected ? "selected" : undefined },
      [
        h("td", { class: "wh-url" }, [
          h("code", {}, [s.url]),
          s.description ? h("div", { class: "hint" }, [s.description]) : null,
        ]),
        h("td", {}, [
          s.events.join(", "),
          s.rooms.length ? h("div", { class: "hint" }, ["rooms: " + s.rooms.join(", ")]) : null,
        ]),
        h("td", {}, [status, s.statusReason ? h("div", { class: "hint" }, [s.statusReason]) : null]),
        h("td", {}, [String(s.consecutiveFailures)]),
        h("td", {}, [
          h("button", { type: "button", "data-testid": "webhook-deliveries", onclick: () => void showDeliveries(s) }, [
            "Deliveries",
          ]),
        ]),
      ],
    );
  }

  /** @param {Subscription} sub @param {Delivery} d */
  function deliveryRow(sub, d) {
    const replay = h(
      "button",
      { type: "button", "data-testid": "delivery-replay", onclick: () => void replayDelivery(sub, d, replay) },
      ["Replay"],
    );
    return h("tr", { "data-testid": "delivery-row", "data-id": d.id }, [
      h("td", {}, [when(d.createdAt)]),
      h("td", {}, [d.eventType]),
      h("td", {}, [h("span", { class: `badge delivery-${d.status}`, "data-testid": "delivery-status" }, [d.status])]),
      h("td", { "data-testid": "delivery-attempts" }, [String(d.attempts)]),
      h("td", {}, [
        d.lastStatusCode === null ? "—" : String(d.lastStatusCode),
        d.lastError ? h("div", { class: "hint" }, [d.lastError]) : null,
      ]),
      h("td", {}, [when(d.lastAttemptAt)]),
      h("td", {}, [sub.status === "disabled" ? h("span", { class: "hint" }, ["resume first"]) : replay]),
    ]);
  }

  /** Loads and shows the subscriptions; returns false when that failed. */
  async function load() {
    clearAlert();
    ui.reload.disabled = true;
    try {
      const r = await api("GET", WEBHOOKS_URL, { token: token() });
      if (!r.ok || !Array.isArray(r.body)) {
        fail("Loading the webhook subscriptions failed.", r);
        return false;
      }
      const subs = r.body.filter(isSubscription);
      ui.list.replaceChildren(...subs.map(row));
      ui.empty.hidden = subs.length > 0;
      const current = subs.find((s) => s.id === selected);
      if (current) await showDeliveries(current);
      else hideDeliveries();
      return true;
    } finally {
      ui.reload.disabled = false;
    }
  }

  function hideDeliveries() {
    selected = null;
    ui.deliveries.hidden = true;
    ui.deliveriesBody.replaceChildren();
  }

  /** @param {Subscription} sub */
  async function showDeliveries(sub) {
    selected = sub.id;
    for (const tr of ui.list.querySelectorAll("tr"))
      tr.classList.toggle("selected", tr.getAttribute("data-id") === sub.id);
    const r = await api("GET", `${WEBHOOKS_URL}/${encodeURIComponent(sub.id)}/deliveries?limit=${DELIVERIES_SHOWN}`, {
      token: token(),
    });
    if (!r.ok || !Array.isArray(r.body)) {
      fail("Loading the deliveries failed.", r);
      return;
    }
    const list = r.body.filter(isDelivery);
    ui.deliveriesTitle.textContent = `Recent deliveries to ${sub.url}`;
    ui.deliveriesBody.replaceChildren(...list.map((d) => deliveryRow(sub, d)));
    ui.deliveriesEmpty.hidden = list.length > 0;
    ui.deliveries.hidden = false;
  }

  /** @param {Subscription} sub @param {Delivery} d @param {HTMLButtonElement} button */
  async function replayDelivery(sub, d, button) {
    button.disabled = true;
    clearAlert();
    const r = await api(
      "POST",
      `${WEBHOOKS_URL}/${encodeURIComponent(sub.id)}/deliveries/${encodeURIComponent(d.id)}/replay`,
      { token: token() },
    );
    if (!r.ok) {
      button.disabled = false;
      fail("The replay was refused.", r);
      return;
    }
    button.textContent = "Queued";
    // The replay is sent by the queue within a second or two: show its outcome.
    setTimeout(() => void showDeliveries(sub), 1500);
  }

  function clear() {
    ui.list.replaceChildren();
    ui.empty.hidden = true;
    hideDeliveries();
    clearAlert();
  }

  ui.reload.addEventListener("click", () => void load());
  return { load, clear };
}
