/**
 * The room page's script (served as `/rooms/app.js`): vanilla ES2020, no dependencies, kept as
 * a string so the Worker serves it without a build step. It must not contain a backtick or a
 * dollar sign followed by a brace.
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
export const ROOMS_PAGE_SCRIPT = String.raw`(function () {
  "use strict";

  var TOKEN_KEY = "edge-rooms-token";
  var ROOM_NAME = /^[A-Za-z0-9_-]{1,64}$/;
  var PING_MS = 20000;
  var PONG_TIMEOUT_MS = 10000;
  var BACKOFF_MIN_MS = 500;
  var BACKOFF_MAX_MS = 15000;
  var HISTORY_ON_JOIN = 50;
  var MAX_SHOWN = 500;
  var TYPING_SEND_MS = 2000;
  var TYPING_SHOW_MS = 3500;

  var room = roomFromPath();
  var state = {
    token: null,
    userId: null,
    tenant: null,
    shared: false,
    canPublish: true,
    joinId: 0,
    ws: null,
    connId: null,
    epoch: null,
    lastSeq: null,
    members: new Map(),
    pending: new Map(),
    ref: 0,
    attempt: 0,
    stopped: true,
    reconnectTimer: null,
    pingTimer: null,
    pongTimer: null,
    typing: new Map(),
    typingSentAt: 0
  };

  function $(id) { return document.getElementById(id); }

  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === undefined || value === null || value === false) return;
      el.setAttribute(key, value === true ? "" : String(value));
    });
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined && child !== false) el.append(child);
    });
    return el;
  }

  function isObject(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }

  function roomFromPath() {
    var part = location.pathname.split("/")[2] || "demo";
    try { return decodeURIComponent(part); } catch (e) { return part; }
  }

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
  /** A ?token= in the address bar is taken once, stored for this tab and removed from the URL. */
  function takeTokenFromUrl() {
    var params = new URLSearchParams(location.search);
    var token = cleanToken(params.get("token"));
    if (!token) return null;
    storeToken(token);
    params.delete("token");
    var query = params.toString();
    history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
    return token;
  }

  // ---- status and messages to the user -----------------------------------------------------

  function setConn(stateName, text) {
    var el = $("conn");
    el.setAttribute("data-state", stateName);
    el.textContent = text;
  }
  function showAlert(text) { $("alert").replaceChildren(text ? h("p", { "data-testid": "alert-message" }, [text]) : ""); }
  function showNotice(text) { $("notice").textContent = text || ""; }

  function showSignIn(message) {
    stop();
    $("room-view").hidden = true;
    $("signin-view").hidden = false;
    $("signout").hidden = true;
    $("whoami").textContent = "";
    setConn("idle", "not connected");
    showAlert(message || "");
    $("token").value = "";
    $("token").focus();
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

  // ---- HTTP --------------------------------------------------------------------------------

  /** One API call with the token in the header; status 0 when the server cannot be reached. */
  async function api(method, path) {
    try {
      var res = await fetch(path, {
        method: method,
        headers: { authorization: "Bearer " + state.token, accept: "application/json" },
        cache: "no-store",
        credentials: "omit"
      });
      var body = null;
      try { body = await res.json(); } catch (e) { body = null; }
      return { status: res.status, body: body };
    } catch (e) {
      return { status: 0, body: null };
    }
  }

  function roomInfo() { return api("GET", "/v1/rooms/" + encodeURIComponent(room)); }

  /** A single-use pass for the next socket: the token itself never goes in a URL. */
  function roomTicket() { return api("POST", "/v1/rooms/" + encodeURIComponent(room) + "/tickets"); }

  /** What an HTTP answer means for the page; true when it sent the user elsewhere. */
  function refused(answer) {
    if (answer.status === 401) {
      storeToken(null);
      state.token = null;
      showSignIn("Your token is missing, invalid or expired. Paste a valid one to join.");
      return true;
    }
    if (answer.status === 403) {
      showSignIn("Your roles may not read this room. Paste a token with a role that may, or go to another room.");
      return true;
    }
    if (answer.status === 400) {
      showSignIn("This room name is not valid: use 1 to 64 letters, digits, - or _.");
      return true;
    }
    return false;
  }

  // ---- connection --------------------------------------------------------------------------

  function wsUrl(ticket) {
    var url = new URL("/v1/rooms/" + encodeURIComponent(room) + "/ws", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("ticket", ticket);
    if (state.lastSeq !== null) url.searchParams.set("after", String(state.lastSeq));
    if (state.epoch) url.searchParams.set("epoch", state.epoch);
    return url.toString();
  }

  function stop() {
    state.stopped = true;
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = null;
    dropSocket(1000, "leaving");
  }

  function stopTimers() {
    clearInterval(state.pingTimer);
    clearTimeout(state.pongTimer);
    state.pingTimer = null;
    state.pongTimer = null;
  }

  /** Forgets the current socket without waiting for its close handshake. */
  function dropSocket(code, reason) {
    stopTimers();
    var ws = state.ws;
    state.ws = null;
    state.connId = null;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try { ws.close(code, reason); } catch (e) { /* already closed */ }
  }

  /** Checks the token and room over HTTP, then opens the socket with a fresh ticket (first join and every retry). */
  async function join() {
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = null;
    state.stopped = false;
    var joinId = ++state.joinId;
    setConn(state.attempt ? "reconnecting" : "connecting", state.attempt ? "reconnecting…" : "connecting…");
    var info = await roomInfo();
    // Stopped, or a newer join started while this one waited.
    if (state.stopped || joinId !== state.joinId) return;
    if (refused(info)) return;
    if (info.status !== 200 || !isObject(info.body)) {
      scheduleReconnect(info.status ? "The room answered " + info.status + "." : "The server cannot be reached.");
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
    var issued = await roomTicket();
    if (state.stopped || joinId !== state.joinId) return;
    if (refused(issued)) return;
    if (issued.status !== 201 || !isObject(issued.body) || typeof issued.body.ticket !== "string") {
      scheduleReconnect(issued.status ? "The room answered " + issued.status + "." : "The server cannot be reached.");
      return;
    }
    open(issued.body.ticket);
  }

  function open(ticket) {
    dropSocket(1000, "reconnecting");
    var ws;
    try {
      ws = new WebSocket(wsUrl(ticket), ["rooms.v1"]);
    } catch (e) {
      scheduleReconnect("Could not open the connection.");
      return;
    }
    state.ws = ws;
    ws.onmessage = function (event) { onFrame(ws, event.data); };
    ws.onclose = function (event) { onClose(ws, event.code, event.reason); };
  }

  function onClose(ws, code, reason) {
    if (ws !== state.ws) return;
    stopTimers();
    state.ws = null;
    state.connId = null;
    if (code === 4001) {
      storeToken(null);
      state.token = null;
      showSignIn("Your token expired. Paste a new one to rejoin; you will get what you missed.");
      return;
    }
    if (state.stopped) return;
    scheduleReconnect(code === 1008 ? "The room closed the connection: " + (reason || "policy") + "." : "");
  }

  function scheduleReconnect(why) {
    if (state.stopped || state.reconnectTimer) return;
    var delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * Math.pow(2, state.attempt));
    delay = Math.round(delay * (0.5 + Math.random() / 2));
    state.attempt += 1;
    setConn("reconnecting", "reconnecting in " + Math.ceil(delay / 1000) + " s…");
    if (why) showNotice(why);
    state.reconnectTimer = setTimeout(function () {
      state.reconnectTimer = null;
      join();
    }, delay);
  }

  function startPing(ws) {
    stopTimers();
    state.pingTimer = setInterval(function () {
      if (ws !== state.ws || ws.readyState !== WebSocket.OPEN) return;
      ws.send("ping");
      clearTimeout(state.pongTimer);
      state.pongTimer = setTimeout(function () {
        if (ws !== state.ws) return;
        // No answer: the network is gone even if the browser has not noticed.
        dropSocket(4000, "no pong");
        scheduleReconnect("The connection stopped answering.");
      }, PONG_TIMEOUT_MS);
    }, PING_MS);
  }

  function send(frame) {
    if (!state.ws || state.ws.readyState !== WebSocket.OPEN || !state.connId) return false;
    state.ws.send(JSON.stringify(frame));
    return true;
  }

  // ---- frames ------------------------------------------------------------------------------

  function onFrame(ws, data) {
    if (ws !== state.ws) return;
    clearTimeout(state.pongTimer);
    if (data === "pong") return;
    var frame;
    try { frame = JSON.parse(data); } catch (e) { return; }
    if (!isObject(frame) || frame.v !== 1) return;
    switch (frame.type) {
      case "welcome": return onWelcome(ws, frame);
      case "msg": return onMessage(frame);
      case "ack": return onAck(frame);
      case "error": return onError(frame);
      case "presence": return onPresence(frame);
      case "reset": return onReset(frame);
      case "ephemeral": return onEphemeral(frame);
    }
  }

  function onWelcome(ws, f) {
    state.connId = f.connId;
    state.epoch = f.epoch;
    state.attempt = 0;
    state.members = new Map();
    (f.presence || []).forEach(function (m) { state.members.set(nameOf(m), m.connections); });
    renderPresence();
    setConn("live", "live");
    showNotice("");
    showAlert("");
    startPing(ws);
    // Messages written while disconnected: the same clientMsgId makes a resend safe.
    state.pending.forEach(function (p) { if (!p.failed) send(p.frame); });
  }

  function onMessage(f) {
    var seq = Number(f.seq);
    if (state.lastSeq !== null && seq <= state.lastSeq) return;
    state.lastSeq = seq;
    if (f.clientMsgId && isMe(f.from)) {
      state.pending.forEach(function (p, ref) {
        if (p.frame.clientMsgId === f.clientMsgId) {
          p.li.remove();
          state.pending.delete(ref);
        }
      });
    }
    appendMessage(messageItem(f));
  }

  function onAck(f) {
    var p = state.pending.get(f.ref);
    if (!p) return;
    // The message itself arrives right after its ack (or arrived before, for a duplicate).
    state.pending.delete(f.ref);
    p.li.remove();
  }

  function onError(f) {
    var p = f.ref !== undefined ? state.pending.get(f.ref) : undefined;
    if (p && f.code === "rate_limited") {
      setTimeout(function () { if (state.pending.get(f.ref) === p) send(p.frame); }, f.retryAfterMs || 1000);
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

  function onPresence(f) {
    (f.joins || []).forEach(function (m) { if (!state.members.has(nameOf(m))) state.members.set(nameOf(m), 1); });
    (f.leaves || []).forEach(function (m) { state.members.delete(nameOf(m)); });
    renderPresence();
  }

  function onReset(f) {
    var why = {
      trimmed: "Some messages you missed are no longer kept; showing new ones from here.",
      too_far_behind: "You missed too many messages to catch up here; showing new ones from here.",
      epoch_changed: "This room's history was reset; showing new messages from here.",
      ahead: "This room's history was reset; showing new messages from here."
    }[f.reason] || "Showing new messages from here.";
    if (f.reason === "epoch_changed" || f.reason === "ahead") $("messages").replaceChildren();
    state.lastSeq = Number(f.headSeq);
    showNotice(why);
  }

  function onEphemeral(f) {
    if (f.event !== "typing" || !f.from || isMe(f.from)) return;
    var who = nameOf(f.from);
    clearTimeout(state.typing.get(who));
    state.typing.set(who, setTimeout(function () { state.typing.delete(who); renderTyping(); }, TYPING_SHOW_MS));
    renderTyping();
  }

  // ---- rendering ---------------------------------------------------------------------------

  function textOf(data) {
    if (isObject(data) && typeof data.text === "string") return data.text;
    if (typeof data === "string") return data;
    try { return JSON.stringify(data).slice(0, 2000); } catch (e) { return String(data); }
  }

  function timeOf(ts) {
    try { return new Date(ts).toLocaleTimeString(); } catch (e) { return ""; }
  }

  function messageItem(f) {
    var mine = isMe(f.from);
    return h("li", { "data-testid": "message", "data-seq": f.seq, class: mine ? "mine" : null }, [
      h("span", { class: "meta" }, [timeOf(f.ts)]),
      h("span", { class: "author", "data-testid": "author" }, [f.from ? nameOf(f.from) : "?"]),
      f.event !== "chat" ? h("span", { class: "event" }, [String(f.event)]) : null,
      h("span", { class: "text", "data-testid": "message-text" }, [textOf(f.data)])
    ]);
  }

  function appendMessage(li) {
    var list = $("messages");
    var atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    var firstPending = list.querySelector("li.pending");
    list.insertBefore(li, firstPending);
    while (list.children.length > MAX_SHOWN && !list.firstElementChild.classList.contains("pending")) list.firstElementChild.remove();
    if (atBottom || li.classList.contains("mine") || li.classList.contains("pending")) list.scrollTop = list.scrollHeight;
  }

  function renderPresence() {
    var names = Array.from(state.members.keys()).sort();
    $("online").textContent = String(names.length);
    $("presence").replaceChildren.apply($("presence"), names.map(function (name) {
      return h("li", { "data-testid": "member" }, [name, name === myName() ? h("span", { class: "you" }, ["(you)"]) : null]);
    }));
  }

  /** How a person is shown: with their tenant in a room shared across tenants. */
  function nameOf(p) {
    return p && typeof p.tenant === "string" ? p.userId + "@" + p.tenant : (p ? p.userId : "?");
  }

  function myName() {
    return state.shared ? (state.userId || "") + "@" + (state.tenant || "") : (state.userId || "");
  }

  function isMe(p) {
    return !!p && p.userId === state.userId && (typeof p.tenant !== "string" || p.tenant === state.tenant);
  }

  function renderTyping() {
    var names = Array.from(state.typing.keys());
    $("typing").textContent = names.length ? names.join(", ") + (names.length > 1 ? " are" : " is") + " typing…" : "";
  }

  // ---- user actions ------------------------------------------------------------------------

  function publish(text) {
    state.ref += 1;
    var clientMsgId = crypto.randomUUID();
    var frame = { v: 1, type: "publish", ref: state.ref, clientMsgId: clientMsgId, event: "chat", data: { text: text } };
    var li = h("li", { class: "pending mine", "data-testid": "pending" }, [
      h("span", { class: "meta" }, ["sending…"]),
      h("span", { class: "author" }, [myName()]),
      h("span", { class: "text" }, [text])
    ]);
    state.pending.set(state.ref, { frame: frame, li: li, failed: false });
    $("messages").append(li);
    $("messages").scrollTop = $("messages").scrollHeight;
    send(frame);
  }

  function start(token) {
    state.token = token;
    var claims = claimsOf(token);
    state.userId = typeof claims.sub === "string" ? claims.sub : null;
    state.tenant = typeof claims.tenant === "string" ? claims.tenant : state.userId;
    state.attempt = 0;
    join();
  }

  function init() {
    $("room-name").textContent = room;
    document.title = room + " · Room · Edge Backend";
    var fromUrl = takeTokenFromUrl();

    $("signin-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var token = cleanToken($("token").value);
      if (!token) { showAlert("Paste an access token first."); return; }
      storeToken(token);
      showAlert("");
      start(token);
    });
    $("goto-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var name = $("goto-room").value.trim();
      if (!ROOM_NAME.test(name)) { showAlert("Room names are 1 to 64 letters, digits, - or _."); return; }
      location.assign("/rooms/" + name);
    });
    $("signout").addEventListener("click", function () {
      storeToken(null);
      state.token = null;
      showSignIn("");
    });
    $("send-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var text = $("text").value.trim();
      if (!text) return;
      $("text").value = "";
      publish(text);
    });
    $("text").addEventListener("input", function () {
      var now = Date.now();
      if (now - state.typingSentAt < TYPING_SEND_MS) return;
      if (send({ v: 1, type: "ephemeral", event: "typing", data: null })) state.typingSentAt = now;
    });
    window.addEventListener("online", function () {
      if (!state.stopped && !state.ws) { state.attempt = 0; join(); }
    });

    if (!ROOM_NAME.test(room)) {
      showSignIn("This room name is not valid: use 1 to 64 letters, digits, - or _.");
      return;
    }
    var token = fromUrl || readStoredToken();
    if (token) start(token);
    else showSignIn("");
  }

  init();
})();
`;
