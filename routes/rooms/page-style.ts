/** The room page's stylesheet (served as `/rooms/app.css`; the CSP forbids inline styles). */
export const ROOMS_PAGE_STYLE = String.raw`
:root { color-scheme: light dark; --fg: #1d2433; --muted: #5a6578; --bg: #f6f8fb; --card: #fff; --line: #d8dee8;
  --accent: #2456c7; --danger: #b3261e; --danger-bg: #fdecea; --ok: #1f7a45; --ok-bg: #e7f6ec; --warn: #8a5a00; --code: #eef1f6; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6e9ef; --muted: #a3acbb; --bg: #14171d; --card: #1c2028; --line: #343b48;
    --accent: #7aa2ff; --danger: #ff8a80; --danger-bg: #3a1d1b; --ok: #7bd89b; --ok-bg: #17301f; --warn: #ffc766; --code: #262b35; }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
code { background: var(--code); padding: 0 .25em; border-radius: 3px; }
.topbar { display: flex; align-items: center; justify-content: space-between; gap: 1rem; flex-wrap: wrap;
  padding: .75rem 1.5rem; background: var(--card); border-bottom: 1px solid var(--line); }
.topbar h1 { font-size: 1.2rem; margin: 0; }
.topbar h1 .mono { font-size: 1.1rem; }
.session { display: flex; align-items: center; gap: .75rem; color: var(--muted); }
.conn { padding: 0 .5em; border-radius: 999px; border: 1px solid var(--line); font-size: .9em; }
.conn[data-state=live] { color: var(--ok); border-color: var(--ok); }
.conn[data-state=reconnecting], .conn[data-state=connecting] { color: var(--warn); border-color: var(--warn); }
.conn[data-state=failed] { color: var(--danger); border-color: var(--danger); }
main { max-width: 1080px; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.25rem; margin: 1rem 0; }
h2 { font-size: 1.1rem; margin: .25rem 0 .75rem; }
label { display: block; font-weight: 600; margin-bottom: .2rem; }
input[type=text], input[type=password] {
  width: 100%; padding: .4rem .5rem; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); font: inherit; }
button { font: inherit; padding: .35rem .8rem; border-radius: 4px; border: 1px solid var(--line); background: var(--card); color: var(--fg); cursor: pointer; }
button:hover:not(:disabled) { border-color: var(--accent); }
button:disabled { opacity: .55; cursor: not-allowed; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
.row { display: flex; gap: .5rem; align-items: center; }
.hint { color: var(--muted); font-size: .9em; margin: .25rem 0 .75rem; }
.goto { margin-top: 1.25rem; border-top: 1px solid var(--line); padding-top: 1rem; }
.goto input { max-width: 20rem; }
.alert { margin: 1rem 0 0; padding: .75rem 1rem; border: 1px solid var(--danger); border-radius: 6px; background: var(--danger-bg); }
.alert:empty { display: none; }
.alert p { margin: .2rem 0; }
.notice { margin: 1rem 0 0; padding: .5rem 1rem; border-radius: 6px; border: 1px dashed var(--warn); color: var(--warn); }
.notice:empty { display: none; }
.room { display: grid; grid-template-columns: minmax(0, 1fr) 15rem; gap: 1rem; align-items: start; }
@media (max-width: 760px) { .room { grid-template-columns: minmax(0, 1fr); } }
.messages { list-style: none; margin: 0; padding: 0; height: 60vh; overflow-y: auto; display: flex; flex-direction: column; gap: .35rem; }
.messages li { padding: .3rem .5rem; border-radius: 6px; background: var(--bg); word-break: break-word; }
.messages li.mine { border-left: 3px solid var(--accent); }
.messages li.pending { opacity: .6; font-style: italic; }
.messages li.failed { border-left: 3px solid var(--danger); }
.messages .meta { color: var(--muted); font-size: .85em; margin-right: .5rem; }
.messages .author { font-weight: 600; margin-right: .4rem; }
.messages .event { font-size: .8em; padding: 0 .35em; border-radius: 3px; background: var(--code); margin-right: .4rem; }
.typing { color: var(--muted); font-size: .9em; min-height: 1.5em; margin: .35rem 0; }
.send { display: flex; gap: .5rem; }
.presence { list-style: none; margin: 0; padding: 0; }
.presence li { padding: .2rem 0; word-break: break-all; }
.presence li::before { content: "●"; color: var(--ok); margin-right: .4rem; }
.presence .you { color: var(--muted); margin-left: .3rem; }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
`;
