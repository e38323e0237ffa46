// @ts-check
/**
 * The admin page's dashboard (`/admin/dashboard.js`, loaded by `/admin/app.js`): what the edge
 * did over the last hour, day or week — totals, charts of requests, blocked, would-block and
 * rate-limited requests and of latency percentiles (uPlot, served from this origin), the
 * breakdown tables, and the security events with filters. Everything comes from
 * `GET /v1/admin/metrics` and `GET /v1/admin/security-events`; text goes in through
 * `append`/`textContent` only (an event's excerpt is attacker-written).
 *
 * Each chart's container carries what it draws: `data-points` (slots) and `data-sums` (JSON: the
 * sum of each series as uPlot holds it), for people reading the DOM and for the browser tests.
 */
import uPlot from "../vendor/uplot/uPlot.esm.js";
import { $, alertParagraphs, api, byId, h, isObject } from "../common/page.js";

const METRICS_URL = "/v1/admin/metrics";
const EVENTS_URL = "/v1/admin/security-events";
const EVENTS_PAGE = 50;
const CHART_HEIGHT = 220;
/** "every 10 s": as often as an isolate flushes. */
const AUTO_REFRESH_MS = 10_000;

/** @typedef {{ key: string, count: number }} KeyCount */
/**
 * @typedef {object} Totals
 * @property {number} requests
 * @property {number} blocked
 * @property {number} wouldBlock
 * @property {number} rateLimited
 * @property {number} originCalls
 * @property {number} cacheHits
 * @property {Record<string, number>} status
 */
/**
 * @typedef {object} Report
 * @property {number} stepSeconds
 * @property {Record<string, Array<number | null>>} series
 * @property {Totals} totals
 * @property {{ p50: number | null, p95: number | null, p99: number | null }} latencyMs
 * @property {Record<string, KeyCount[]>} breakdowns
 */
/**
 * @typedef {object} SecurityEvent
 * @property {number} id
 * @property {string} at
 * @property {string} requestId
 * @property {string[]} ruleIds
 * @property {string | null} class
 * @property {string | null} part
 * @property {string | null} excerpt
 * @property {"block" | "log"} action
 * @property {string | null} country
 * @property {string | null} colo
 * @property {string | null} ip
 * @property {string} method
 * @property {string} path
 */

/** @param {unknown} v @returns {v is Report} */
const isReport = (v) => isObject(v) && isObject(v.series) && isObject(v.totals) && isObject(v.breakdowns);
/** @param {unknown} v @returns {v is SecurityEvent} */
const isEvent = (v) => isObject(v) && typeof v.id === "number" && Array.isArray(v.ruleIds);

const TRAFFIC = [
  { key: "requests", label: "Requests", stroke: "#1d4ed8" },
  { key: "blocked", label: "Blocked", stroke: "#b91c1c" },
  { key: "wouldBlock", label: "Would block (log mode)", stroke: "#b45309" },
  { key: "rateLimited", label: "Rate-limited", stroke: "#7c3aed" },
];
const LATENCY = [
  { key: "p50Ms", label: "p50 ms", stroke: "#15803d" },
  { key: "p95Ms", label: "p95 ms", stroke: "#b45309" },
  { key: "p99Ms", label: "p99 ms", stroke: "#b91c1c" },
];
const BREAKDOWNS = [
  { key: "classes", title: "Blocked by class", link: "class" },
  { key: "rules", title: "Blocked by rule", link: "rule" },
  { key: "wouldBlockRules", title: "Would block, by rule (log mode)", link: "rule" },
  { key: "rateLimitPolicies", title: "Rate-limited by policy", link: null },
  { key: "countries", title: "Blocked by country", link: null },
  { key: "paths", title: "Blocked by path", link: null },
  { key: "ips", title: "Blocked by client address", link: "ip" },
];

/** @param {number | null | undefined} n */
const num = (n) => (typeof n === "number" ? n.toLocaleString("en-US") : "—");
/** @param {Array<number | null>} a */
const sum = (a) => a.reduce((s, v) => (s ?? 0) + (v ?? 0), 0) ?? 0;

/**
 * The section's controller.
 * @param {() => string | null} token The signed-in admin's token.
 */
export function dashboardSection(token) {
  const ui = {
    range: byId("dash-range", HTMLSelectElement),
    reload: byId("dash-reload", HTMLButtonElement),
    auto: byId("dash-auto", HTMLInputElement),
    alert: $("dash-alert"),
    totals: $("dash-totals"),
    traffic: $("chart-traffic"),
    trafficCaption: $("chart-traffic-caption"),
    latency: $("chart-latency"),
    breakdowns: $("dash-breakdowns"),
    eventsForm: byId("events-filter", HTMLFormElement),
    rule: byId("events-rule", HTMLInputElement),
    cls: byId("events-class", HTMLInputElement),
    ip: byId("events-ip", HTMLInputElement),
    action: byId("events-action", HTMLSelectElement),
    clear: byId("events-clear", HTMLButtonElement),
    events: byId("events-body", HTMLTableSectionElement),
    eventsEmpty: $("events-empty"),
    more: byId("events-more", HTMLButtonElement),
    ruleNote: $("events-rule-note"),
  };
  /** @type {Map<HTMLElement, uPlot>} */
  const charts = new Map();
  /** @type {Report | null} */
  let report = null;
  /** @type {number | null} */
  let next = null;
  /** @type {ReturnType<typeof setInterval> | null} */
  let autoTimer = null;

  function stopAuto() {
    if (autoTimer !== null) clearInterval(autoTimer);
    autoTimer = null;
  }

  /** @param {string} message @param {import("../common/page.js").ApiResult} [r] */
  function fail(message, r) {
    ui.alert.replaceChildren(...alertParagraphs(message, r?.problem));
    ui.alert.hidden = false;
  }

  /**
   * Draws (or redraws) one chart from the report's series.
   * @param {HTMLElement} el
   * @param {Array<{ key: string, label: string, stroke: string }>} lines
   * @param {Report} r
   */
  function chart(el, lines, r) {
    /** @type {uPlot.AlignedData} */
    const data = [/** @type {number[]} */ (r.series.time ?? []), ...lines.map((l) => r.series[l.key] ?? [])];
    const existing = charts.get(el);
    if (existing) existing.setData(data);
    else {
      const opts = {
        width: Math.max(280, el.clientWidth),
        height: CHART_HEIGHT,
        // Points as well as lines: a slot with requests between empty (null) ones is still seen.
        series: [
          {},
          ...lines.map((l) => ({ label: l.label, stroke: l.stroke, width: 2, points: { show: true, size: 4 } })),
        ],
        axes: [{}, { size: 60 }],
        scales: { x: { time: true } },
      };
      charts.set(el, new uPlot(opts, data, el));
    }
    const drawn = /** @type {uPlot} */ (charts.get(el)).data;
    el.dataset.points = String(drawn[0].length);
    el.dataset.sums = JSON.stringify(
      Object.fromEntries(lines.map((l, i) => [l.key, sum(/** @type {Array<number | null>} */ (drawn[i + 1]))])),
    );
  }

  /** @param {Report} r */
  function renderTotals(r) {
    const t = r.totals;
    const items = [
      ["Requests", num(t.requests), "requests"],
      ["Blocked", num(t.blocked), "blocked"],
      ["Would block", num(t.wouldBlock), "would-block"],
      ["Rate-limited", num(t.rateLimited), "rate-limited"],
      ["5xx", num(t.status?.["5xx"]), "5xx"],
      ["Origin calls", num(t.originCalls), "origin-calls"],
      ["Cache hits", num(t.cacheHits), "cache-hits"],
      [
        "Latency p50 / p95 / p99",
        [r.latencyMs.p50, r.latencyMs.p95, r.latencyMs.p99].map(num).join(" / ") + " ms",
        "latency",
      ],
    ];
    ui.totals.replaceChildren(
      ...items.map(([label, value, id]) =>
        h("div", { class: "total" }, [h("dt", {}, [label]), h("dd", { "data-testid": `total-${id}` }, [value])]),
      ),
    );
  }

  /**
   * A key that filters the events list when clicked.
   * @param {string} kind
   * @param {string} key
   */
  function filterLink(kind, key) {
    return h(
      "button",
      {
        type: "button",
        class: "link",
        "data-testid": `${kind}-link`,
        title: `Show the security events of this ${kind}`,
        onclick: () => void filterBy(kind, key),
      },
      [key],
    );
  }

  /** @param {Report} r */
  function renderBreakdowns(r) {
    ui.breakdowns.replaceChildren(
      ...BREAKDOWNS.map((b) => {
        const list = r.breakdowns[b.key] ?? [];
        return h("div", { class: "breakdown", "data-testid": `breakdown-${b.key}` }, [
          h("h3", {}, [b.title]),
          list.length === 0
            ? h("p", { class: "hint" }, ["None."])
            : h("table", {}, [
                h(
                  "tbody",
                  {},
                  list.map((k) =>
                    h("tr", { "data-key": k.key }, [
                      h("td", {}, [b.link && k.key !== "(other)" ? filterLink(b.link, k.key) : k.key]),
                      h("td", { class: "count" }, [num(k.count)]),
                    ]),
                  ),
                ),
              ]),
        ]);
      }),
    );
  }

  async function loadMetrics() {
    const range = ui.range.value;
    const r = await api("GET", `${METRICS_URL}?from=-${encodeURIComponent(range)}`, { token: token() });
    if (!r.ok || !isReport(r.body)) {
      fail("Loading the metrics failed.", r);
      return;
    }
    report = r.body;
    const minutes = report.stepSeconds / 60;
    ui.trafficCaption.textContent = `Requests per ${minutes === 1 ? "minute" : minutes + " minutes"}`;
    renderTotals(report);
    chart(ui.traffic, TRAFFIC, report);
    chart(ui.latency, LATENCY, report);
    renderBreakdowns(report);
  }

  /** @param {SecurityEvent} e */
  function eventRow(e) {
    return h("tr", { "data-testid": "event-row", "data-id": e.id }, [
      h("td", {}, [new Date(e.at).toLocaleString()]),
      h("td", {}, [h("span", { class: `badge action-${e.action}`, "data-testid": "event-action" }, [e.action])]),
      h(
        "td",
        { "data-testid": "event-rules" },
        e.ruleIds.flatMap((id, i) => (i ? [" ", filterLink("rule", id)] : [filterLink("rule", id)])),
      ),
      h("td", {}, [e.class ?? "—"]),
      h("td", {}, [e.part ? h("code", {}, [e.part]) : "—"]),
      h("td", { class: "excerpt" }, [e.excerpt ? h("code", { "data-testid": "event-excerpt" }, [e.excerpt]) : "—"]),
      h("td", {}, [[e.country, e.colo].filter(Boolean).join(" · ") || "—"]),
      h("td", {}, [e.ip ? filterLink("ip", e.ip) : "—"]),
      h("td", {}, [h("code", {}, [`${e.method} ${e.path}`])]),
      h("td", {}, [h("code", { class: "request-id" }, [e.requestId])]),
    ]);
  }

  function eventsQuery() {
    const q = new URLSearchParams({ limit: String(EVENTS_PAGE) });
    if (ui.rule.value.trim()) q.set("rule", ui.rule.value.trim());
    if (ui.cls.value.trim()) q.set("class", ui.cls.value.trim());
    if (ui.ip.value.trim()) q.set("ip", ui.ip.value.trim());
    if (ui.action.value) q.set("action", ui.action.value);
    return q;
  }

  /** What the dashboard knows about the rule the events are filtered by. */
  function renderRuleNote() {
    const rule = ui.rule.value.trim();
    if (!rule || !report) {
      ui.ruleNote.hidden = true;
      return;
    }
    const blocked = report.breakdowns.rules?.find((k) => k.key === rule)?.count ?? 0;
    const would = report.breakdowns.wouldBlockRules?.find((k) => k.key === rule)?.count ?? 0;
    ui.ruleNote.replaceChildren(
      "Rule ",
      h("code", {}, [rule]),
      `: blocked ${num(blocked)}, would have blocked ${num(would)} in the range shown above. ` +
        "Set it to log or off under Security in the config below (ruleActions), or exclude it for a path or field (exclusions).",
    );
    ui.ruleNote.hidden = false;
  }

  /** @param {boolean} [older] */
  async function loadEvents(older = false) {
    const q = eventsQuery();
    if (older && next !== null) q.set("before", String(next));
    const r = await api("GET", `${EVENTS_URL}?${q}`, { token: token() });
    if (!r.ok || !isObject(r.body) || !Array.isArray(r.body.events)) {
      fail("Loading the security events failed.", r);
      return;
    }
    const rows = r.body.events.filter(isEvent).map(eventRow);
    if (older) ui.events.append(...rows);
    else ui.events.replaceChildren(...rows);
    next = typeof r.body.next === "number" ? r.body.next : null;
    ui.more.hidden = next === null;
    ui.eventsEmpty.hidden = ui.events.childElementCount > 0;
    renderRuleNote();
  }

  /** @param {string} kind @param {string} key */
  async function filterBy(kind, key) {
    ui.rule.value = kind === "rule" ? key : "";
    ui.cls.value = kind === "class" ? key : "";
    ui.ip.value = kind === "ip" ? key : "";
    await loadEvents();
    ui.eventsForm.scrollIntoView({ block: "start" });
  }

  async function load() {
    ui.alert.hidden = true;
    ui.reload.disabled = true;
    try {
      await Promise.all([loadMetrics(), loadEvents()]);
    } finally {
      ui.reload.disabled = false;
    }
  }

  function clear() {
    stopAuto();
    ui.auto.checked = false;
    for (const c of charts.values()) c.destroy();
    charts.clear();
    report = null;
    ui.totals.replaceChildren();
    ui.breakdowns.replaceChildren();
    ui.events.replaceChildren();
    ui.alert.hidden = true;
  }

  ui.reload.addEventListener("click", () => void load());
  // Metrics only: the events list keeps the page the admin is reading.
  ui.auto.addEventListener("change", () => {
    stopAuto();
    if (ui.auto.checked) autoTimer = setInterval(() => void loadMetrics(), AUTO_REFRESH_MS);
  });
  ui.range.addEventListener("change", () => void loadMetrics());
  ui.eventsForm.addEventListener("submit", (e) => {
    e.preventDefault();
    void loadEvents();
  });
  ui.clear.addEventListener("click", () => {
    ui.eventsForm.reset();
    void loadEvents();
  });
  ui.more.addEventListener("click", () => void loadEvents(true));
  window.addEventListener("resize", () => {
    for (const [el, c] of charts) c.setSize({ width: Math.max(280, el.clientWidth), height: CHART_HEIGHT });
  });
  return { load, clear };
}
