/**
 * The semantic cache's guard against look-alike questions with a different meaning.
 *
 * Embeddings put "how do I enable X" and "how do I disable X" close together: they share
 * almost every word. A similarity threshold alone would answer one with the other. Before a
 * semantic hit is accepted, the two questions are compared on what changes a meaning while
 * barely moving a vector:
 * - negation: a different count of not/no/never/without/…-n't;
 * - antonyms: a word only in one question whose opposite is only in the other (enable/disable,
 *   allow/deny, add/remove, before/after, …, and prefix pairs such as install/uninstall);
 * - numbers: any difference in numerals or number words ("30 days" vs "60 days", v2 vs v3);
 * - named entities and quoted terms: a quoted phrase, an identifier (`config.yaml`, `API_KEY`),
 *   an acronym or a capitalised name in one question that the other does not contain;
 * - the question word (how/why/when/where/who/which/what).
 *
 * It errs on the side of a miss: a false alarm costs one origin call, a false hit answers the
 * wrong question.
 */
import { stem, wordTokens } from "./local-embedder.ts";

// oxfmt-ignore
const NEGATIONS = new Set(["not", "no", "never", "without", "none", "nobody", "nothing", "neither", "nor", "nowhere", "cannot", "unable"]);

const QUESTION_WORDS = new Set(["how", "why", "when", "where", "who", "whom", "whose", "which", "what"]);

/** Opposites, compared after `stem()` (so "enabled"/"disabling" count as enable/disable). */
// oxfmt-ignore
const ANTONYM_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ["enable", "disable"], ["on", "off"], ["allow", "deny"], ["allow", "block"], ["allow", "forbid"], ["allow", "prevent"],
  ["permit", "deny"], ["grant", "revoke"], ["accept", "reject"], ["accept", "decline"], ["approve", "reject"], ["approve", "deny"],
  ["add", "remove"], ["add", "delete"], ["create", "delete"], ["create", "destroy"], ["insert", "delete"], ["attach", "detach"],
  ["start", "stop"], ["start", "end"], ["begin", "end"], ["begin", "finish"], ["open", "close"], ["pause", "resume"],
  ["increase", "decrease"], ["increase", "reduce"], ["increase", "lower"], ["raise", "lower"], ["grow", "shrink"], ["expand", "collapse"],
  ["more", "less"], ["more", "fewer"], ["most", "least"], ["max", "min"], ["maximum", "minimum"], ["maximize", "minimize"],
  ["high", "low"], ["higher", "lower"], ["highest", "lowest"], ["above", "below"], ["over", "under"], ["up", "down"],
  ["before", "after"], ["earlier", "later"], ["early", "late"], ["first", "last"], ["previous", "next"], ["old", "new"],
  ["upload", "download"], ["import", "export"], ["input", "output"], ["inbound", "outbound"], ["incoming", "outgoing"], ["send", "receive"],
  ["push", "pull"], ["read", "write"], ["buy", "sell"], ["credit", "debit"], ["deposit", "withdraw"], ["charge", "refund"],
  ["encrypt", "decrypt"], ["lock", "unlock"], ["show", "hide"], ["visible", "hidden"], ["public", "private"], ["include", "exclude"],
  ["connect", "disconnect"], ["subscribe", "unsubscribe"], ["install", "uninstall"], ["login", "logout"], ["signin", "signout"], ["join", "leave"],
  ["upgrade", "downgrade"], ["activate", "deactivate"], ["mount", "unmount"], ["freeze", "unfreeze"], ["follow", "unfollow"], ["merge", "split"],
  ["true", "false"], ["yes", "no"], ["valid", "invalid"], ["success", "failure"], ["succeed", "fail"], ["pass", "fail"],
  ["win", "lose"], ["gain", "loss"], ["profit", "loss"], ["inside", "outside"], ["internal", "external"], ["left", "right"],
  ["top", "bottom"], ["front", "back"], ["fast", "slow"], ["faster", "slower"], ["hot", "cold"], ["light", "dark"],
  ["include", "omit"], ["always", "never"], ["all", "none"], ["everyone", "nobody"], ["can", "cannot"], ["must", "mustn"],
  ["required", "optional"], ["mandatory", "optional"], ["synchronous", "asynchronous"], ["sync", "async"], ["online", "offline"], ["with", "without"],
  ["daily", "weekly"], ["daily", "monthly"], ["weekly", "monthly"], ["monthly", "yearly"], ["monthly", "annual"], ["today", "tomorrow"],
  ["today", "yesterday"], ["minute", "hour"], ["hour", "day"], ["day", "week"], ["week", "month"], ["month", "year"],
  ["cheap", "expensive"], ["free", "paid"], ["male", "female"], ["import", "export"], ["encode", "decode"], ["compress", "decompress"],
  ["enter", "exit"], ["arrive", "depart"], ["arrival", "departure"], ["ascending", "descending"], ["asc", "desc"], ["allowlist", "blocklist"],
  ["whitelist", "blacklist"], ["include", "ignore"], ["keep", "delete"], ["keep", "remove"], ["save", "discard"], ["store", "delete"],
];

const NEGATING_PREFIXES = ["un", "dis", "de", "non", "in", "im", "ir", "il", "anti"];

// oxfmt-ignore
const NUMBER_WORDS = new Set([
  "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen",
  "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
  "ninety", "hundred", "thousand", "million", "billion", "half", "double", "twice", "once", "thrice", "dozen", "second", "third",
  "fourth", "fifth", "tenth",
]);

const antonyms = new Map<string, Set<string>>();
for (const [a, b] of ANTONYM_PAIRS) {
  for (const [x, y] of [
    [stem(a), stem(b)],
    [stem(b), stem(a)],
  ] as const) {
    let set = antonyms.get(x);
    if (!set) antonyms.set(x, (set = new Set()));
    set.add(y);
  }
}

/** Expands contractions so "can't" and "doesn't" count as negations. */
function expandContractions(text: string): string {
  return text
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/\bcan't\b/gi, "can not")
    .replace(/\bwon't\b/gi, "will not")
    .replace(/\bshan't\b/gi, "shall not")
    .replace(/\b(\w+)n't\b/gi, "$1 not");
}

interface Analysed {
  tokens: string[];
  stems: Set<string>;
  negations: number;
  numbers: string[];
  questionWords: Set<string>;
  /** Lower-cased entities and quoted terms. */
  entities: Set<string>;
  /** The text lower-cased with collapsed whitespace, for containment checks. */
  flat: string;
}

function entitiesOf(original: string): Set<string> {
  const out = new Set<string>();
  // Quoted terms: "…", '…', `…`, “…”, «…».
  for (const m of original.matchAll(
    /"([^"]{1,80})"|`([^`]{1,80})`|\u201c([^\u201d]{1,80})\u201d|\u00ab([^\u00bb]{1,80})\u00bb|(?:^|\s)'([^']{1,80})'(?=\s|[?.!,]|$)/g,
  )) {
    const term = (m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5] ?? "").trim().toLowerCase();
    if (term) out.add(term.replace(/\s+/g, " "));
  }
  // Identifiers: dotted/underscored/slashed names, CamelCase, ALLCAPS acronyms, emails, URLs.
  for (const m of original.matchAll(/[\p{L}\p{N}_\-./:@]+/gu)) {
    const word = m[0].replace(/^[./:-]+|[./:-]+$/g, "");
    if (word.length < 2) continue;
    const identifier = /[\p{L}\p{N}][._/:@][\p{L}\p{N}]/u.test(word) || /_/.test(word);
    const camel = /\p{Ll}\p{Lu}/u.test(word);
    const acronym = /^\p{Lu}[\p{Lu}\p{N}]+$/u.test(word);
    if (identifier || camel || acronym) out.add(word.toLowerCase());
  }
  // Capitalised words that do not start a sentence ("Stripe", "Berlin").
  for (const m of original.matchAll(/(?<![.!?]\s*|^\s*)(?<=\s|\(|,)(\p{Lu}[\p{L}\p{N}'-]*)/gu)) {
    const word = m[1]!;
    if (word === "I" || word === "I'm") continue;
    out.add(word.toLowerCase());
  }
  return out;
}

function analyse(question: string): Analysed {
  const expanded = expandContractions(question.normalize("NFKC"));
  const tokens = wordTokens(expanded);
  const numbers = tokens.filter((t) => /\d/.test(t) || NUMBER_WORDS.has(t)).sort();
  return {
    tokens,
    stems: new Set(tokens.map(stem)),
    negations: tokens.filter((t) => NEGATIONS.has(t)).length,
    numbers,
    questionWords: new Set(tokens.filter((t) => QUESTION_WORDS.has(t))),
    entities: entitiesOf(expanded),
    flat: ` ${tokens.join(" ")} `,
  };
}

function onlyIn(a: Set<string>, b: Set<string>): string[] {
  return [...a].filter((x) => !b.has(x));
}

function prefixOpposite(x: string, y: string): boolean {
  return NEGATING_PREFIXES.some((p) => (x === p + y || y === p + x) && Math.min(x.length, y.length) >= 3);
}

/**
 * Why two questions may differ in meaning despite similar embeddings, or `null` when the
 * guard sees no reason. The reason is short and loggable (`antonym:enable/disable`).
 */
export function lookAlikeConflict(cachedQuestion: string, question: string): string | null {
  const a = analyse(cachedQuestion);
  const b = analyse(question);
  if (a.negations !== b.negations) return "negation";
  const onlyA = onlyIn(a.stems, b.stems);
  const onlyB = onlyIn(b.stems, a.stems);
  for (const x of onlyA) {
    const opposite = antonyms.get(x);
    for (const y of onlyB) {
      if (opposite?.has(y) || prefixOpposite(x, y)) return `antonym:${x}/${y}`;
    }
  }
  if (a.numbers.join(" ") !== b.numbers.join(" ")) return "numbers";
  for (const [from, to] of [
    [a, b],
    [b, a],
  ] as const) {
    for (const entity of from.entities) {
      const words = wordTokens(entity).join(" ");
      if (!words || !to.flat.includes(` ${words} `)) return `entity:${entity}`;
    }
  }
  if (a.questionWords.size !== b.questionWords.size || onlyIn(a.questionWords, b.questionWords).length > 0)
    return "question-word";
  return null;
}
