/**
 * The admin page's HTML: a static shell with no data in it. `app.js` fills it from the admin
 * API with DOM methods only (`textContent`, `setAttribute`), never by parsing markup.
 * `data-error-for` marks where a validation error with that JSON path is shown.
 */
export const ADMIN_PAGE_MARKUP = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Edge config · Admin</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/admin/app.css">
<script src="/admin/app.js" defer></script>
</head>
<body>
<header class="topbar">
  <h1>Edge config admin</h1>
  <div id="session" class="session" hidden>
    <span id="whoami" data-testid="whoami"></span>
    <button type="button" id="signout" data-testid="signout">Sign out</button>
  </div>
</header>

<main id="main">
  <noscript><p class="alert">This page needs JavaScript.</p></noscript>
  <div id="alert" class="alert" role="alert" data-testid="alert"></div>
  <p id="status" class="status" role="status" data-testid="status"></p>

  <section id="signin-view" class="card" aria-labelledby="signin-title" hidden>
    <h2 id="signin-title">Sign in</h2>
    <form id="signin-form" novalidate>
      <label for="token">Admin access token</label>
      <input id="token" name="token" type="password" autocomplete="off" spellcheck="false"
             aria-describedby="token-hint" data-testid="token-input">
      <p id="token-hint" class="hint">Paste a bearer token with the <code>admin</code> role
        (locally: <code>npm run token -- --sub alice --roles admin</code>). It stays in this
        browser tab only and is sent in the <code>Authorization</code> header, never in a URL.</p>
      <button type="submit" id="signin" data-testid="signin-button">Sign in</button>
    </form>
  </section>

  <div id="admin-view" hidden>
    <section class="card" aria-labelledby="config-title">
      <div class="section-head">
        <h2 id="config-title">Current config: version <span id="version" data-testid="version"></span></h2>
        <button type="button" id="reload" data-testid="reload">Reload</button>
      </div>
      <p id="dirty" class="dirty" data-testid="dirty" hidden>Unsaved changes</p>

      <div id="stash" class="stash" data-testid="stash" hidden>
        <p>Your unsaved edits were set aside when the config was reloaded. Copy what you need,
          or put them back into the editor and save them over the newer version.</p>
        <label for="stash-text">Your set-aside edits (JSON)</label>
        <textarea id="stash-text" rows="6" readonly spellcheck="false"></textarea>
        <div class="row">
          <button type="button" id="stash-restore" data-testid="stash-restore">Put them back into the editor</button>
          <button type="button" id="stash-discard" data-testid="stash-discard">Discard them</button>
        </div>
      </div>

      <form id="editor" novalidate>
        <fieldset id="form-fields" class="form-fields">
          <legend class="visually-hidden">Common settings</legend>
          <p class="hint" id="form-disabled-hint" hidden>Fix the JSON syntax below to use these fields again.</p>

          <fieldset class="group" id="maintenance-group">
            <legend>Maintenance</legend>
            <p class="field-error" role="alert" data-error-for="/maintenance"></p>
            <div class="field checkbox">
              <input type="checkbox" id="maintenance-enabled" data-testid="maintenance-enabled"
                     aria-describedby="err-maintenance-enabled">
              <label for="maintenance-enabled">Maintenance mode on</label>
              <p class="field-error" role="alert" id="err-maintenance-enabled" data-error-for="/maintenance/enabled"></p>
            </div>
            <div class="field">
              <label for="maintenance-countries">Only in these countries</label>
              <input type="text" id="maintenance-countries" data-testid="maintenance-countries" spellcheck="false"
                     autocomplete="off" aria-describedby="hint-maintenance-countries err-maintenance-countries">
              <p class="hint" id="hint-maintenance-countries">ISO codes separated by commas, e.g. <code>DE, FR</code>; empty means everywhere.</p>
              <p class="field-error" role="alert" id="err-maintenance-countries" data-error-for="/maintenance/countries"></p>
            </div>
            <div class="field">
              <label for="maintenance-retry">Retry-After (seconds)</label>
              <input type="number" id="maintenance-retry" data-testid="maintenance-retry" inputmode="numeric"
                     min="1" max="86400" step="1" aria-describedby="err-maintenance-retry">
              <p class="field-error" role="alert" id="err-maintenance-retry" data-error-for="/maintenance/retryAfterSeconds"></p>
            </div>
            <div class="field">
              <label for="maintenance-message">Message shown to visitors</label>
              <textarea id="maintenance-message" data-testid="maintenance-message" rows="2" maxlength="500"
                        aria-describedby="err-maintenance-message"></textarea>
              <p class="field-error" role="alert" id="err-maintenance-message" data-error-for="/maintenance/message"></p>
            </div>
          </fieldset>

          <fieldset class="group" id="flags-group">
            <legend>Feature flags</legend>
            <p class="field-error" role="alert" data-error-for="/flags"></p>
            <p id="flags-note" class="hint" hidden></p>
            <table id="flags-table" class="flags" data-testid="flags">
              <thead><tr><th scope="col">Flag</th><th scope="col">Enabled</th><th scope="col">Rollout %</th>
                <th scope="col">Countries</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
              <tbody id="flags-body"></tbody>
            </table>
            <div class="field add-flag">
              <label for="new-flag-name">New flag name</label>
              <div class="row">
                <input type="text" id="new-flag-name" data-testid="new-flag-name" spellcheck="false" autocomplete="off"
                       aria-describedby="err-new-flag">
                <button type="button" id="add-flag" data-testid="add-flag">Add flag</button>
              </div>
              <p class="field-error" role="alert" id="err-new-flag" data-error-for="new-flag"></p>
            </div>
          </fieldset>
        </fieldset>

        <div class="field raw">
          <label for="raw">Whole document (JSON) — security, rate limits, CORS, AI and everything else</label>
          <textarea id="raw" data-testid="raw-json" rows="24" spellcheck="false" autocomplete="off"
                    aria-describedby="raw-syntax raw-errors-title"></textarea>
          <p id="raw-syntax" class="field-error" role="alert" data-testid="raw-syntax-error"></p>
          <div id="raw-errors-box" class="raw-errors" hidden>
            <h3 id="raw-errors-title">Problems in the document</h3>
            <ul id="raw-errors" data-testid="raw-errors"></ul>
          </div>
        </div>

        <div class="field">
          <label for="reason">Reason for the change (optional, kept in the history)</label>
          <input type="text" id="reason" data-testid="reason" maxlength="500" autocomplete="off"
                 aria-describedby="hint-reason err-reason">
          <p class="hint" id="hint-reason">Also used for a roll back. Plain ASCII: it travels in an HTTP header.</p>
          <p class="field-error" role="alert" id="err-reason" data-error-for="reason"></p>
        </div>
        <div class="row">
          <button type="submit" id="save" class="primary" data-testid="save" disabled>Save</button>
        </div>
      </form>
    </section>

    <section class="card" aria-labelledby="history-title">
      <div class="section-head">
        <h2 id="history-title">History</h2>
        <button type="button" id="history-reload" data-testid="history-reload">Refresh</button>
      </div>
      <p id="history-empty" class="hint" hidden>No changes yet: this is the built-in default config.</p>
      <ol id="history" class="history" data-testid="history"></ol>
      <button type="button" id="history-more" data-testid="history-more" hidden>Show older versions</button>
    </section>
  </div>
</main>
</body>
</html>
`;
