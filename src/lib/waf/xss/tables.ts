/**
 * Tables of the XSS detector (`../xss.ts`): event handler names, URL-bearing attributes, script
 * schemes, plug-in, legacy and obfuscation-prone tag names, and the prose pattern that tells a
 * sentence from code.
 */

/** Event handler names that also count outside a tag (attribute-breakout payloads). */
export const EVENT_HANDLERS = new Set(
  (
    "abort activate afterprint afterscriptexecute afterupdate animationcancel animationend animationiteration animationstart " +
    "auxclick beforeactivate beforecopy beforecut beforedeactivate beforeeditfocus beforeinput beforepaste beforeprint " +
    "beforescriptexecute beforeunload beforeupdate begin blur bounce cancel canplay canplaythrough cellchange change click " +
    "close contentvisibilityautostatechange contextmenu controlselect copy cuechange cut dataavailable datasetchanged " +
    "datasetcomplete dblclick deactivate drag dragdrop dragend dragenter dragexit dragleave dragover dragstart drop " +
    "durationchange emptied end ended error errorupdate filterchange finish focus focusin focusout formdata " +
    "fullscreenchange fullscreenerror hashchange help input invalid keydown keypress keyup layoutcomplete load " +
    "loadeddata loadedmetadata loadend loadstart losecapture message mousedown mouseenter mouseleave mousemove " +
    "mouseout mouseover mouseup mousewheel move moveend movestart offline online pagehide pageshow paste pause play " +
    "playing pointercancel pointerdown pointerenter pointerleave pointerlockchange pointermove pointerout pointerover " +
    "pointerrawupdate pointerup popstate progress propertychange ratechange readystatechange repeat reset resize " +
    "resizeend resizestart rowenter rowexit rowsdelete rowsinserted scroll scrollend search seek seeked seeking select " +
    "selectionchange selectstart show stalled start stop storage submit suspend timeerror timeupdate toggle touchcancel " +
    "touchend touchmove touchstart transitioncancel transitionend transitionrun transitionstart unhandledrejection " +
    "unload volumechange waiting webkitanimationend webkitanimationiteration webkitanimationstart " +
    "webkitplaybacktargetavailabilitychanged webkittransitionend wheel zoom beforetoggle fscommand mozfullscreenchange"
  )
    .split(" ")
    .map((n) => `on${n}`),
);

// oxfmt-ignore
export const URL_ATTRS = new Set(["href", "src", "action", "formaction", "data", "xlink:href", "background", "poster", "dynsrc", "lowsrc", "code", "codebase", "to", "from", "values", "by", "ping", "manifest", "cite", "longdesc", "usemap", "profile", "classid", "archive", "icon", "srcset", "folder", "datasrc", "xml:base", "xmlns:xlink", "href:xlink", "style"]);
export const SCRIPT_SCHEME =
  /^(?:javascript|vbscript|livescript|mocha|jscript|ecmascript):|^data:(?:text\/html|application\/(?:xhtml|x-javascript|javascript|ecmascript)|text\/(?:javascript|xml|ecmascript|vbscript)|image\/svg)|^data:[^,]{0,40},[\s\S]{0,80}<[a-z!?/]/;
/** Schemes that exist only to run script (no benign use in user input). */
export const DEAD_SCHEME = /^(?:vbscript|livescript|mocha|jscript|ecmascript):/;
/** Tags that load a document or plug-in into the page. */
export const PLUGIN_TAGS = new Set(["object", "embed", "applet"]);
/** Legacy tags that load or bind script (IE data islands, Netscape layers, VML, behaviours). */
export const LEGACY_TAGS = new Set([
  "xml",
  "layer",
  "ilayer",
  "bgsound",
  "vmlframe",
  "import",
  "xss",
  "isindex",
  "xmp",
]);
/** Tag names that are dangerous when spelled with spaces (`<f o r m`) or behind a prefix (`< x: script`). */
// oxfmt-ignore
export const SPACED_TAGS = new Set(["script", "iframe", "frame", "form", "dialog", "svg", "math", "embed", "object", "applet", "style", "link", "meta", "base", "img", "image", "input", "button", "video", "audio", "body", "details", "marquee", "isindex", "textarea", "template", "vmlframe", "xml", "frameset", "handler", "listener", "import"]);

/**
 * At least four words in a row: prose, not code (code mentions in prose count only at PL2). (Tried
 * only where a run of letters starts: from inside one it finds nothing the start would not.)
 */
export const PROSE =
  /(?<![A-Za-z\u00c0-\u024f])[A-Za-z\u00c0-\u024f]{2,}[,.]? [A-Za-z\u00c0-\u024f]{2,}[,.]? [A-Za-z\u00c0-\u024f]{2,}[,.]? [A-Za-z\u00c0-\u024f]{2,}/;
