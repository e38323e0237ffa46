/**
 * The room page's HTML (`/rooms/demo`, `/rooms/:room`): a static shell with no data in it, the
 * same for every room (the script reads the room from the path). `app.js` fills it with DOM
 * methods only (`textContent`, `append`), never by parsing markup.
 */
export const ROOMS_PAGE_MARKUP = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Room · Edge Backend</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/rooms/app.css">
<script src="/rooms/app.js" defer></script>
</head>
<body>
<header class="topbar">
  <h1>Room <span id="room-name" class="mono" data-testid="room-name"></span></h1>
  <div class="session">
    <span id="conn" class="conn" data-state="idle" data-testid="conn" role="status" aria-live="polite">not connected</span>
    <span id="whoami" data-testid="whoami"></span>
    <button type="button" id="signout" data-testid="signout" hidden>Sign out</button>
  </div>
</header>

<main id="main">
  <noscript><p class="alert">This page needs JavaScript.</p></noscript>
  <div id="alert" class="alert" role="alert" data-testid="alert"></div>
  <p id="notice" class="notice" data-testid="notice"></p>

  <section id="signin-view" class="card" aria-labelledby="signin-title" hidden>
    <h2 id="signin-title">Join the room</h2>
    <form id="signin-form" novalidate>
      <label for="token">Access token</label>
      <input id="token" name="token" type="password" autocomplete="off" spellcheck="false"
             aria-describedby="token-hint" data-testid="token-input">
      <p id="token-hint" class="hint">Paste a bearer token (locally: <code>npm run token -- --sub alice --tenant demo</code>;
        rooms belong to a tenant, so give everyone who should meet the same one).
        It stays in this browser tab only and is sent in a header, never in a URL: the live connection
        opens with a single-use ticket.</p>
      <button type="submit" class="primary" data-testid="join">Join</button>
    </form>
    <form id="goto-form" class="goto" novalidate>
      <label for="goto-room">Another room</label>
      <div class="row">
        <input id="goto-room" type="text" maxlength="64" pattern="[A-Za-z0-9_-]{1,64}" placeholder="demo" data-testid="goto-room">
        <button type="submit">Go</button>
      </div>
    </form>
  </section>

  <div id="room-view" class="room" hidden>
    <section class="card messages-card" aria-labelledby="messages-title">
      <h2 id="messages-title" class="visually-hidden">Messages</h2>
      <ol id="messages" class="messages" data-testid="messages" aria-live="polite"></ol>
      <p id="typing" class="typing" data-testid="typing"></p>
      <form id="send-form" class="send" novalidate>
        <label for="text" class="visually-hidden">Message</label>
        <input id="text" name="text" type="text" autocomplete="off" maxlength="4000" placeholder="Write a message" data-testid="compose">
        <button type="submit" class="primary" data-testid="send">Send</button>
      </form>
      <p id="read-only" class="notice" data-testid="read-only" hidden>You can read this room; your roles may not post in it.</p>
    </section>
    <aside class="card presence-card" aria-labelledby="presence-title">
      <h2 id="presence-title">Online <span id="online" data-testid="online">0</span></h2>
      <ul id="presence" class="presence" data-testid="presence"></ul>
    </aside>
  </div>
</main>
</body>
</html>
`;
