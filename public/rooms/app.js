// @ts-check
/**
 * The room page's script (`/rooms/app.js`, an ES module; `/common/page.js` holds what it shares
 * with the admin page). Checked JavaScript: `tsc -p public` type-checks it, with the frame
 * types of `src/lib/rooms/protocol.ts`; the browser runs it as it is.
 *
 * The token is pasted (or passed once as `?token=`, which is then removed from the address
 * bar) and kept in sessionStorage; it goes only in the `Authorization` header. Each socket
 * opens with a fresh single-use ticket (`POST /v1/rooms/:room/tickets`, `?ticket=`): a
 * browser cannot set headers on a WebSocket, and a token in a URL ends up in logs.
 *
 * A room whose policy makes the user read-only shows that and has no compose box; in a room
 * shared across tenants, people are shown with their tenant (`sam@acme`).
 *
 * Resume: the page remembers the last seq it showed and the room's epoch, and every
 * (re)connection asks for `after=<lastSeq>&epoch=<epoch>`, so the room replays exactly what was
 * missed before live messages. A dropped connection (close, error, or no `pong` within 10 s of
 * a `ping`) reconnects with exponential backoff and jitter; messages typed meanwhile wait and
 * are sent with their `clientMsgId`, so a resend after a drop is stored once.
 */
import { $, alertParagraphs, api, byId, claimsOf, cleanToken, h, isObject, tokenStore } from "../common/page.js";

/** @typedef {import("../common/page.js").ApiResult} ApiResult */
/** @typedef {import("../../src/lib/rooms/protocol.ts").Person} Person */
/** @typedef {import("../../src/lib/rooms/protocol.ts").ServerFrame} ServerFrame */
/** @typedef {import("../../src/lib/rooms/protocol.ts").WelcomeFrame} WelcomeFrame */
/** @typedef {import("../../src/lib/rooms/protocol.ts").MsgFrame} MsgFrame */
/** @typedef {import("../../src/lib/rooms/protocol.ts").AckFrame} AckFrame */
/** @typedef {import("../../src/lib/rooms/protocol.ts").ErrorFrame} ErrorFrame */
/** @typedef {import("../../src/lib/rooms/protocol.ts").PresenceFrame} PresenceFrame */
/** @typedef {import("../../src/lib/rooms/protocol.ts").ResetFrame} ResetFrame */
/** @typedef {import("../../src/lib/rooms/protocol.ts").EphemeralFrame} EphemeralFrame */
/** @typedef {import("../../src/lib/rooms/protocol.ts").ClientFrame & { v: 1 }} ClientFrame */
/** @typedef {import("../../src/lib/rooms/protocol.ts").PublishRequest & { v: 1 }} PublishFrame */
/** @typedef {{ frame: PublishFrame, li: HTMLLIElement, failed: boolean }} Pending */

const ROOM_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const PING_MS = 20000;
const PONG_TIMEOUT_MS = 10000;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15000;
const HISTORY_ON_JOIN = 50;
const MAX_SHOWN = 500;
const TYPING_SEND_MS = 2000;
const TYPING_SHOW_MS = 3500;
const token = tokenStore("edge-rooms-token");

/** @param {string} id */
const input = (id) => byId(id, HTMLInputElement);

const room = roomFromPath();
const state = {
  /** @type {string | null} */
  token: null,
  /** @type {string | null} */
  userId: null,
  /** @type {string | null} */
  tenant: null,
  shared: false,
  canPublish: true,
  joinId: 0,
  /** @type {WebSocket | null} */
  ws: null,
  /** @type {string | null} */
  connId: null,
  /** @type {string | null} */
  epoch: null,
  /** @type {number | null} */
  lastSeq: null,
  /** Connections per person shown. @type {Map<string, number>} */
  members: new Map(),
  /** Messages sent and not yet acknowledged, by `ref`. @type {Map<number, Pending>} */
  pending: new Map(),
  ref: 0,
  attempt: 0,
  stopped: true,
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  reconnectTimer: undefined,
  /** @type {ReturnType<typeof setInterval> | undefined} */
  pingTimer: undefined,
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  pongTimer: undefined,
  /** Who is typing, with the timer that forgets it. @type {Map<string, ReturnType<typeof setTimeout>>} */
  typing: new Map(),
  typingSentAt: 0,
};

function roomFromPath() {
  const part = location.pathname.split("/")[2] || "demo";
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/**
 * A ?token= in the address bar is taken once, stored for this tab and removed from the URL.
 * @returns {string | null}
 */
function takeTokenFromUrl() {
  const params = new URLSearchParams(location.search);
  const found = cleanToken(params.get("token"));
  if (!found) return null;
  token.write(found);
  params.delete("token");
  const query = params.toString();
  history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
  return found;
}

// ---- status and messages to the user -------------------------------------------------------

/**
 * @param {string} stateName
 * @param {string} text
 */
function setConn(stateName, text) {
  $("conn").setAttribute("data-state", stateName);
  $("conn").textContent = text;
}
/**
 * @param {string} text
 * @param {ApiResult} [answer] Its problem's detail and request id are shown under the text.
 */
function showAlert(text, answer) {
  $("alert").replaceChildren(...(text ? alertParagraphs(text, answer?.problem) : []));
}
/** @param {string} [text] */
function showNotice(text) {
  $("notice").textContent = text || "";
}

/**
 * @param {string} [message]
 * @param {ApiResult} [answer]
 */
function showSignIn(message, answer) {
  stop();
  $("room-view").hidden = true;
  $("signin-view").hidden = false;
  $("signout").hidden = true;
  $("whoami").textContent = "";
  setConn("idle", "not connected");
  showAlert(message || "", answer);
  input("token").value = "";
  input("token").focus();
}

function showRoom() {
  $("signin-view").hidden = true;
  $("room-view").hidden = false;
  $("signout").hidden = false;
  $("whoami").textContent = state.userId ? "as " + state.userId : "";
}

/** Read-only rooms (by policy) show why there is no compose box. */
function showAccess() {
  $("send-form").hidden = !state.canPublish;
  $("read-only").hidden = state.canPublish;
  $("whoami").textContent = state.userId ? "as " + myName() : "";
}

// ---- HTTP ----------------------------------------------------------------------------------

const roomPath = () => "/v1/rooms/" + encodeURIComponent(room);

function roomInfo() {
  return api("GET", roomPath(), { token: state.token });
}

/** A single-use pass for the next socket: the token itself never goes in a URL. */
function roomTicket() {
  return api("POST", roomPath() + "/tickets", { token: state.token });
}

/**
 * What an HTTP answer means for the page; true when it sent the user elsewhere.
 * @param {ApiResult} answer
 */
function refused(answer) {
  if (answer.status === 401) {
    token.write(null);
    state.token = null;
    showSignIn("Your token is missing, invalid or expired. Paste a valid one to join.", answer);
    return true;
  }
  if (answer.status === 403) {
    showSignIn("Your roles may not read this room. Paste a token with a role that may, or go to another room.", answer);
    return true;
  }
  if (answer.status === 400) {
    showSignIn("This room name is not valid: use 1 to 64 letters, digits, - or _.", answer);
    return true;
  }
  return false;
}

// ---- connection ----------------------------------------------------------------------------

/** @param {string} ticket */
function wsUrl(ticket) {
  const url = new URL(roomPath() + "/ws", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("ticket", ticket);
  if (state.lastSeq !== null) url.searchParams.set("after", String(state.lastSeq));
  if (state.epoch) url.searchParams.set("epoch", state.epoch);
  // A busy room sends what one window collects as one `batch` frame (docs/rooms-protocol.md).
  url.searchParams.set("batch", "1");
  return url.toString();
}

function stop() {
  state.stopped = true;
  clearTimeout(state.reconnectTimer);
  state.reconnectTimer = undefined;
  dropSocket(1000, "leaving");
}

function stopTimers() {
  clearInterval(state.pingTimer);
  clearTimeout(state.pongTimer);
  state.pingTimer = undefined;
  state.pongTimer = undefined;
}

/**
 * Forgets the current socket without waiting for its close handshake.
 * @param {number} code
 * @param {string} reason
 */
function dropSocket(code, reason) {
  stopTimers();
  const ws = state.ws;
  state.ws = null;
  state.connId = null;
  if (!ws) return;
  ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
  try {
    ws.close(code, reason);
  } catch {
    // Already closed.
  }
}

/** @param {ApiResult} answer */
function unavailable(answer) {
  return answer.status ? "The room answered " + answer.status + "." : "The server cannot be reached.";
}

/** Checks the token and room over HTTP, then opens the socket with a fresh ticket (first join and every retry). */
async function join() {
  clearTimeout(state.reconnectTimer);
  state.reconnectTimer = undefined;
  state.stopped = false;
  const joinId = ++state.joinId;
  setConn(state.attempt ? "reconnecting" : "connecting", state.attempt ? "reconnecting…" : "connecting…");
  const info = await roomInfo();
  // Stopped, or a newer join started while this one waited.
  if (state.stopped || joinId !== state.joinId) return;
  if (refused(info)) return;
  if (info.status !== 200 || !isObject(info.body)) {
    scheduleReconnect(unavailable(info));
    return;
  }
  state.shared = info.body.shared === true;
  state.canPublish = info.body.canPublish !== false;
  showRoom();
  showAccess();
  if (state.lastSeq === null) {
    // First join: the last few messages come as a replay, then live ones.
    state.lastSeq = Math.max(0, Number(info.body.headSeq) - HISTORY_ON_JOIN);
  }
  const issued = await roomTicket();
  if (state.stopped || joinId !== state.joinId) return;
  if (refused(issued)) return;
  if (issued.status !== 201 || !isObject(issued.body) || typeof issued.body.ticket !== "string") {
    scheduleReconnect(unavailable(issued));
    return;
  }
  open(issued.body.ticket);
}

/** @param {string} ticket */
function open(ticket) {
  dropSocket(1000, "reconnecting");
  let ws;
  try {
    ws = new WebSocket(wsUrl(ticket), ["rooms.v1"]);
  } catch {
    scheduleReconnect("Could not open the connection.");
    return;
  }
  state.ws = ws;
  ws.onmessage = (event) => onFrame(ws, event.data);
  ws.onclose = (event) => onClose(ws, event.code, event.reason);
}

/**
 * @param {WebSocket} ws
 * @param {number} code
 * @param {string} reason
 */
function onClose(ws, code, reason) {
  if (ws !== state.ws) return;
  stopTimers();
  state.ws = null;
  state.connId = null;
  if (code === 4001) {
    token.write(null);
    state.token = null;
    showSignIn("Your token expired. Paste a new one to rejoin; you will get what you missed.");
    return;
  }
  if (state.stopped) return;
  scheduleReconnect(code === 1008 ? "The room closed the connection: " + (reason || "policy") + "." : "");
}

/** @param {string} why */
function scheduleReconnect(why) {
  if (state.stopped || state.reconnectTimer) return;
  let delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * Math.pow(2, state.attempt));
  delay = Math.round(delay * (0.5 + Math.random() / 2));
  state.attempt += 1;
  setConn("reconnecting", "reconnecting in " + Math.ceil(delay / 1000) + " s…");
  if (why) showNotice(why);
  state.reconnectTimer = setTimeout(() => {
    state.reconnectTimer = undefined;
    void join();
  }, delay);
}

/** @param {WebSocket} ws */
function startPing(ws) {
  stopTimers();
  state.pingTimer = setInterval(() => {
    if (ws !== state.ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send("ping");
    clearTimeout(state.pongTimer);
    state.pongTimer = setTimeout(() => {
      if (ws !== state.ws) return;
      // No answer: the network is gone even if the browser has not noticed.
      dropSocket(4000, "no pong");
      scheduleReconnect("The connection stopped answering.");
    }, PONG_TIMEOUT_MS);
  }, PING_MS);
}

/** @param {ClientFrame} frame */
function send(frame) {
  if (!state.ws || state.ws.readyState !== WebSocket.OPEN || !state.connId) return false;
  state.ws.send(JSON.stringify(frame));
  return true;
}

// ---- frames --------------------------------------------------------------------------------

/**
 * @param {WebSocket} ws
 * @param {unknown} data
 */
function onFrame(ws, data) {
  if (ws !== state.ws) return;
  clearTimeout(state.pongTimer);
  if (data === "pong") return;
  let parsed;
  try {
    parsed = JSON.parse(String(data));
  } catch {
    return;
  }
  if (!isObject(parsed) || parsed.v !== 1) return;
  // The room speaks src/lib/rooms/protocol.ts; a type this page does not know is ignored.
  onServerFrame(ws, /** @type {ServerFrame} */ (/** @type {unknown} */ (parsed)));
}

/**
 * @param {WebSocket} ws
 * @param {ServerFrame} frame
 */
function onServerFrame(ws, frame) {
  switch (frame.type) {
    case "batch":
      // `msg` and `ephemeral` frames, in order.
      for (const inner of Array.isArray(frame.messages) ? frame.messages : []) {
        if (isObject(inner) && (inner.type === "msg" || inner.type === "ephemeral")) onServerFrame(ws, inner);
      }
      return;
    case "welcome":
      return onWelcome(ws, frame);
    case "msg":
      return onMessage(frame);
    case "ack":
      return onAck(frame);
    case "error":
      return onError(frame);
    case "presence":
      return onPresence(frame);
    case "reset":
      return onReset(frame);
    case "ephemeral":
      return onEphemeral(frame);
  }
}

/**
 * @param {WebSocket} ws
 * @param {WelcomeFrame} f
 */
function onWelcome(ws, f) {
  state.connId = f.connId;
  state.epoch = f.epoch;
  state.attempt = 0;
  state.members = new Map();
  for (const m of f.presence || []) state.members.set(nameOf(m), m.connections);
  renderPresence();
  setConn("live", "live");
  showNotice("");
  showAlert("");
  startPing(ws);
  // Messages written while disconnected: the same clientMsgId makes a resend safe.
  state.pending.forEach((p) => {
    if (!p.failed) send(p.frame);
  });
}

/** @param {MsgFrame} f */
function onMessage(f) {
  const seq = Number(f.seq);
  if (state.lastSeq !== null && seq <= state.lastSeq) return;
  state.lastSeq = seq;
  if (f.clientMsgId && isMe(f.from)) {
    state.pending.forEach((p, ref) => {
      if (p.frame.clientMsgId === f.clientMsgId) {
        p.li.remove();
        state.pending.delete(ref);
      }
    });
  }
  appendMessage(messageItem(f));
}

/**
 * The message an ack or error answers, if it is still waiting.
 * @param {string | number | undefined} ref
 */
function pendingOf(ref) {
  return typeof ref === "number" ? state.pending.get(ref) : undefined;
}

/** @param {AckFrame} f */
function onAck(f) {
  const p = pendingOf(f.ref);
  if (!p || typeof f.ref !== "number") return;
  // The message itself arrives right after its ack (or arrived before, for a duplicate).
  state.pending.delete(f.ref);
  p.li.remove();
}

/** @param {ErrorFrame} f */
function onError(f) {
  const p = pendingOf(f.ref);
  if (p && f.code === "rate_limited") {
    setTimeout(() => {
      if (pendingOf(f.ref) === p) send(p.frame);
    }, f.retryAfterMs || 1000);
    return;
  }
  if (p) {
    p.failed = true;
    p.li.classList.add("failed");
    p.li.title = f.message || f.code;
    return;
  }
  showNotice("The room said: " + (f.message || f.code));
}

/** @param {PresenceFrame} f */
function onPresence(f) {
  for (const m of f.joins || []) if (!state.members.has(nameOf(m))) state.members.set(nameOf(m), 1);
  for (const m of f.leaves || []) state.members.delete(nameOf(m));
  renderPresence();
}

/** @type {Record<string, string>} */
const RESET_NOTICE = {
  trimmed: "Some messages you missed are no longer kept; showing new ones from here.",
  too_far_behind: "You missed too many messages to catch up here; showing new ones from here.",
  epoch_changed: "This room's history was reset; showing new messages from here.",
  ahead: "This room's history was reset; showing new messages from here.",
};

/** @param {ResetFrame} f */
function onReset(f) {
  const why = RESET_NOTICE[f.reason] || "Showing new messages from here.";
  if (f.reason === "epoch_changed" || f.reason === "ahead") $("messages").replaceChildren();
  state.lastSeq = Number(f.headSeq);
  showNotice(why);
}

/** @param {EphemeralFrame} f */
function onEphemeral(f) {
  if (f.event !== "typing" || !f.from || isMe(f.from)) return;
  const who = nameOf(f.from);
  clearTimeout(state.typing.get(who));
  state.typing.set(
    who,
    setTimeout(() => {
      state.typing.delete(who);
      renderTyping();
    }, TYPING_SHOW_MS),
  );
  renderTyping();
}

// ---- rendering -----------------------------------------------------------------------------

/** @param {unknown} data */
function textOf(data) {
  if (isObject(data) && typeof data.text === "string") return data.text;
  if (typeof data === "string") return data;
  try {
    return JSON.stringify(data).slice(0, 2000);
  } catch {
    return String(data);
  }
}

/** @param {number} ts */
function timeOf(ts) {
  try {
    return new Date(ts).toLocaleTimeString();
  } catch {
    return "";
  }
}

/** @param {MsgFrame} f */
function messageItem(f) {
  const mine = isMe(f.from);
  return h("li", { "data-testid": "message", "data-seq": f.seq, class: mine ? "mine" : null }, [
    h("span", { class: "meta" }, [timeOf(f.ts)]),
    h("span", { class: "author", "data-testid": "author" }, [f.from ? nameOf(f.from) : "?"]),
    f.event !== "chat" ? h("span", { class: "event" }, [String(f.event)]) : null,
    h("span", { class: "text", "data-testid": "message-text" }, [textOf(f.data)]),
  ]);
}

/** @param {HTMLLIElement} li */
function appendMessage(li) {
  const list = $("messages");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const firstPending = list.querySelector("li.pending");
  list.insertBefore(li, firstPending);
  while (
    list.children.length > MAX_SHOWN &&
    list.firstElementChild &&
    !list.firstElementChild.classList.contains("pending")
  ) {
    list.firstElementChild.remove();
  }
  if (atBottom || li.classList.contains("mine") || li.classList.contains("pending")) list.scrollTop = list.scrollHeight;
}

function renderPresence() {
  const names = Array.from(state.members.keys()).sort();
  $("online").textContent = String(names.length);
  $("presence").replaceChildren(
    ...names.map((name) =>
      h("li", { "data-testid": "member" }, [name, name === myName() ? h("span", { class: "you" }, ["(you)"]) : null]),
    ),
  );
}

/**
 * How a person is shown: with their tenant in a room shared across tenants.
 * @param {Person | undefined} p
 */
function nameOf(p) {
  return p && typeof p.tenant === "string" ? p.userId + "@" + p.tenant : p ? p.userId : "?";
}

function myName() {
  return state.shared ? (state.userId || "") + "@" + (state.tenant || "") : state.userId || "";
}

/** @param {Person | undefined} p */
function isMe(p) {
  return !!p && p.userId === state.userId && (typeof p.tenant !== "string" || p.tenant === state.tenant);
}

function renderTyping() {
  const names = Array.from(state.typing.keys());
  $("typing").textContent = names.length ? names.join(", ") + (names.length > 1 ? " are" : " is") + " typing…" : "";
}

// ---- user actions --------------------------------------------------------------------------

/** @param {string} text */
function publish(text) {
  state.ref += 1;
  /** @type {PublishFrame} */
  const frame = {
    v: 1,
    type: "publish",
    ref: state.ref,
    clientMsgId: crypto.randomUUID(),
    event: "chat",
    data: { text },
  };
  const li = h("li", { class: "pending mine", "data-testid": "pending" }, [
    h("span", { class: "meta" }, ["sending…"]),
    h("span", { class: "author" }, [myName()]),
    h("span", { class: "text" }, [text]),
  ]);
  state.pending.set(state.ref, { frame, li, failed: false });
  $("messages").append(li);
  $("messages").scrollTop = $("messages").scrollHeight;
  send(frame);
}

/** @param {string} pasted */
function start(pasted) {
  state.token = pasted;
  const claims = claimsOf(pasted);
  state.userId = typeof claims.sub === "string" ? claims.sub : null;
  state.tenant = typeof claims.tenant === "string" ? claims.tenant : state.userId;
  state.attempt = 0;
  void join();
}

function init() {
  $("room-name").textContent = room;
  document.title = room + " · Room · Edge Backend";
  const fromUrl = takeTokenFromUrl();

  $("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const pasted = cleanToken(input("token").value);
    if (!pasted) {
      showAlert("Paste an access token first.");
      return;
    }
    token.write(pasted);
    showAlert("");
    start(pasted);
  });
  $("goto-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const name = input("goto-room").value.trim();
    if (!ROOM_NAME.test(name)) {
      showAlert("Room names are 1 to 64 letters, digits, - or _.");
      return;
    }
    location.assign("/rooms/" + name);
  });
  $("signout").addEventListener("click", () => {
    token.write(null);
    state.token = null;
    showSignIn("");
  });
  $("send-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input("text").value.trim();
    if (!text) return;
    input("text").value = "";
    publish(text);
  });
  input("text").addEventListener("input", () => {
    const now = Date.now();
    if (now - state.typingSentAt < TYPING_SEND_MS) return;
    if (send({ v: 1, type: "ephemeral", event: "typing", data: null })) state.typingSentAt = now;
  });
  window.addEventListener("online", () => {
    if (!state.stopped && !state.ws) {
      state.attempt = 0;
      void join();
    }
  });

  if (!ROOM_NAME.test(room)) {
    showSignIn("This room name is not valid: use 1 to 64 letters, digits, - or _.");
    return;
  }
  const stored = fromUrl || token.read();
  if (stored) start(stored);
  else showSignIn("");
}

init();
