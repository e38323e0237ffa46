/** The admin page's stylesheet (served as `/admin/app.css`; the CSP forbids inline styles). */
export const ADMIN_PAGE_STYLE = String.raw`
:root { color-scheme: light dark; --fg: #1d2433; --muted: #5a6578; --bg: #f6f8fb; --card: #fff; --line: #d8dee8;
  --accent: #2456c7; --danger: #b3261e; --danger-bg: #fdecea; --ok: #1f7a45; --ok-bg: #e7f6ec; --code: #eef1f6; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6e9ef; --muted: #a3acbb; --bg: #14171d; --card: #1c2028; --line: #343b48;
    --accent: #7aa2ff; --danger: #ff8a80; --danger-bg: #3a1d1b; --ok: #7bd89b; --ok-bg: #17301f; --code: #262b35; }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
code, textarea, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
code { background: var(--code); padding: 0 .25em; border-radius: 3px; }
.topbar { display: flex; align-items: center; justify-content: space-between; gap: 1rem; flex-wrap: wrap;
  padding: .75rem 1.5rem; background: var(--card); border-bottom: 1px solid var(--line); }
.topbar h1 { font-size: 1.2rem; margin: 0; }
.session { display: flex; align-items: center; gap: .75rem; color: var(--muted); }
main { max-width: 980px; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.25rem; margin: 1rem 0; }
.section-head { display: flex; align-items: center; justify-content: space-between; gap: 1rem; flex-wrap: wrap; }
h2 { font-size: 1.1rem; margin: .25rem 0 .75rem; }
h3 { font-size: 1rem; margin: .5rem 0; }
label { display: block; font-weight: 600; margin-bottom: .2rem; }
.field { margin: .75rem 0; }
.field.checkbox { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; }
.field.checkbox label { margin: 0; }
.field.checkbox .field-error { flex-basis: 100%; }
input[type=text], input[type=password], input[type=number], textarea {
  width: 100%; padding: .4rem .5rem; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); }
input[type=number] { max-width: 12rem; }
textarea { resize: vertical; line-height: 1.45; }
input[aria-invalid=true], textarea[aria-invalid=true] { border-color: var(--danger); outline: 1px solid var(--danger); }
button { font: inherit; padding: .35rem .8rem; border-radius: 4px; border: 1px solid var(--line); background: var(--card); color: var(--fg); cursor: pointer; }
button:hover:not(:disabled) { border-color: var(--accent); }
button:disabled { opacity: .55; cursor: not-allowed; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { border-color: var(--danger); color: var(--danger); }
button.link { border: 0; background: none; padding: 0; color: var(--accent); text-decoration: underline; }
:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
.row { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
.hint { color: var(--muted); font-size: .9em; margin: .25rem 0; }
.alert { margin: 1rem 0 0; padding: .75rem 1rem; border: 1px solid var(--danger);
  border-radius: 6px; background: var(--danger-bg); color: var(--fg); }
.alert:empty { display: none; }
.alert p { margin: .2rem 0; }
.alert button { margin-top: .4rem; }
.status { margin: 1rem 0 0; padding: .5rem 1rem; border-radius: 6px; background: var(--ok-bg); color: var(--ok); }
.status:empty { display: none; }
.field-error { color: var(--danger); margin: .2rem 0 0; font-size: .92em; }
.field-error:empty { display: none; }
.field-error span { display: block; }
.dirty { color: var(--accent); font-weight: 600; margin: 0 0 .5rem; }
fieldset { border: 0; padding: 0; margin: 0; min-width: 0; }
fieldset.group { border: 1px solid var(--line); border-radius: 6px; padding: .5rem 1rem; margin: .75rem 0; }
fieldset.group legend { font-weight: 700; padding: 0 .3rem; }
fieldset:disabled { opacity: .6; }
table.flags { width: 100%; border-collapse: collapse; margin: .5rem 0; }
table.flags th, table.flags td { text-align: left; padding: .3rem .4rem; border-bottom: 1px solid var(--line); vertical-align: top; }
table.flags input[type=number] { width: 6rem; }
.flags-name { font-weight: 600; word-break: break-all; }
.raw textarea { min-height: 18rem; }
.raw-errors { border-left: 3px solid var(--danger); padding: .25rem .75rem; margin-top: .5rem; }
.raw-errors ul { margin: 0; padding-left: 1.1rem; }
.stash { border: 1px dashed var(--accent); border-radius: 6px; padding: .5rem 1rem; margin-bottom: 1rem; }
.history { list-style: none; padding: 0; margin: 0; }
.history > li { border-top: 1px solid var(--line); padding: .6rem 0; }
.history > li:first-child { border-top: 0; }
#history-more { margin-top: .5rem; }
.history .meta { color: var(--muted); }
.history .badge { display: inline-block; font-size: .8em; padding: 0 .4em; border-radius: 3px; background: var(--ok-bg); color: var(--ok); margin-left: .3rem; }
.history .changes { margin: .3rem 0; padding-left: 1.1rem; }
.history .changes li { word-break: break-word; }
.history .from { color: var(--danger); }
.history .to { color: var(--ok); }
.history .confirm { margin-top: .4rem; padding: .4rem .6rem; border: 1px solid var(--line); border-radius: 4px; }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
`;
