/**
 * The large benign side of the corpus: everyday requests of a shop / SaaS backend, generated
 * from the hand-written text in `benign-text.ts` with a seeded PRNG (same seed, same corpus).
 * Each request is tagged with the template that made it (`placement`, e.g. `query:search`,
 * `json:review`, `form:checkout`, `headers:page`) so false positives can be grouped.
 *
 * Two groups:
 * - `benignRequests(count, seed)`: everyday traffic (class `ordinary`): prose in many languages,
 *   search queries, names, addresses, URLs and e-mail addresses in parameters, base64, JWTs,
 *   GraphQL with variables, CSV, e-commerce / SaaS JSON, form posts, multipart uploads,
 *   browser headers and cookies, markdown without risky code.
 * - `codeRequests(seed)`: code posted in bodies (class `ordinary-code`), each snippet of
 *   `benign-code.ts` in several request shapes; `placement` starts with `code-jc:` for the
 *   judgment calls (see that file) and `code:` for the rest.
 */
import type { CorpusRequest } from "../corpus.ts";
import { CODE_JUDGMENT, CODE_PLAIN, type Snippet } from "./benign-code.ts";
import {
  ADDRESSES,
  COMPANIES,
  EMAIL_DOMAINS,
  FAMILY_NAMES,
  GIVEN_NAMES,
  PRODUCT_TITLES,
  PROSE_BY_LANG,
  REVIEWS,
  SEARCH_QUERIES,
  SUBJECTS,
  TAGS,
} from "./benign-text.ts";
import { rng } from "./ordinary.ts";

export type Rand = () => number;
export interface TaggedRequest extends CorpusRequest {
  placement: string;
}

// ---------------------------------------------------------------------------------------------
// small helpers

const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const chance = (r: Rand, p: number) => r() < p;
const enc = encodeURIComponent;
/** `application/x-www-form-urlencoded` as a browser form sends it (space as `+`, `*-._` kept). */
const formEnc = (s: string) =>
  enc(s)
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, "+");
const form = (pairs: Array<[string, string]>) => pairs.map(([k, v]) => `${formEnc(k)}=${formEnc(v)}`).join("&");
/** A query string built by JavaScript (`encodeURIComponent`: leaves `'()*!~` raw). */
const jsQuery = (pairs: Array<[string, string]>) => pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join("&");

function bytes(r: Rand, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(r() * 256);
  return out;
}
const b64 = (u: Uint8Array | string) => Buffer.from(u).toString("base64");
const b64url = (u: Uint8Array | string) => Buffer.from(u).toString("base64url");
const hex = (r: Rand, n: number) => Array.from(bytes(r, n), (b) => b.toString(16).padStart(2, "0")).join("");
function uuid(r: Rand): string {
  const h = hex(r, 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${"89ab"[int(r, 0, 3)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
const alnum = (r: Rand, n: number) =>
  Array.from({ length: n }, () =>
    pick(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".split("")),
  ).join("");
const date = (r: Rand) => `2024-${String(int(r, 1, 12)).padStart(2, "0")}-${String(int(r, 1, 28)).padStart(2, "0")}`;
const isoTime = (r: Rand) =>
  `${date(r)}T${String(int(r, 0, 23)).padStart(2, "0")}:${String(int(r, 0, 59)).padStart(2, "0")}:${String(int(r, 0, 59)).padStart(2, "0")}${pick(r, ["Z", ".000Z", "+01:00", "-05:00", "+09:00", "+05:30"])}`;
const epochMs = (r: Rand) => 1_704_067_200_000 + int(r, 0, 31_000_000_000);
const money = (r: Rand) => (int(r, 100, 99_999) / 100).toFixed(2);

const LANGS = Object.keys(PROSE_BY_LANG);
/** One to three sentences of one language. */
function prose(r: Rand, lang = pick(r, LANGS)): string {
  const xs = PROSE_BY_LANG[lang]!;
  const n = chance(r, 0.6) ? 1 : int(r, 2, 3);
  return Array.from({ length: n }, () => pick(r, xs)).join(" ");
}
/** A multi-paragraph message (support ticket, e-mail, comment). */
function letter(r: Rand): string {
  const lang = pick(r, LANGS);
  const greet: Record<string, string> = {
    en: "Hi there,",
    de: "Hallo zusammen,",
    fr: "Bonjour,",
    es: "Hola:",
    pt: "Olá,",
    it: "Buongiorno,",
    nl: "Beste,",
    pl: "Dzień dobry,",
    tr: "Merhaba,",
    ru: "Здравствуйте!",
    el: "Καλημέρα,",
    ja: "お世話になっております。",
    zh: "您好，",
    ar: "مرحباً،",
    hi: "नमस्ते,",
  };
  const bye: Record<string, string> = {
    en: "Thanks,\n",
    de: "Viele Grüße\n",
    fr: "Cordialement,\n",
    es: "Un saludo,\n",
    pt: "Abraço,\n",
    it: "Grazie,\n",
    nl: "Met vriendelijke groet,\n",
    pl: "Pozdrawiam,\n",
    tr: "Teşekkürler,\n",
    ru: "С уважением,\n",
  };
  const name = person(r).name;
  return `${greet[lang] ?? "Hello,"}\n\n${prose(r, lang)}\n\n${prose(r, lang)}\n\n${bye[lang] ?? "— "}${name}`;
}
function person(r: Rand) {
  const first = pick(r, GIVEN_NAMES);
  const last = pick(r, FAMILY_NAMES);
  const ascii = (s: string) =>
    s
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/ł/g, "l")
      .replace(/ø/g, "o")
      .replace(/ı/g, "i")
      .replace(/[^a-z'-]/g, "");
  let local = `${ascii(first)}${pick(r, [".", "_", "", "."])}${ascii(last)}`.replace(/^[.'_-]+|[.'_-]+$/g, "");
  if (local.length < 3) local = `user${int(r, 100, 9999)}`;
  if (chance(r, 0.2)) local += `+${pick(r, ["news", "shop", "2024", "work"])}`;
  if (chance(r, 0.1)) local += String(int(r, 1, 99));
  return {
    first,
    last,
    name: `${first} ${last}`,
    email: `${local}@${pick(r, EMAIL_DOMAINS)}`,
    phone: pick(r, [
      "+1 (555) 010-9999",
      "+49 30 1234567",
      "+44 20 7946 0958",
      "03-1234-5678",
      "+33 1 23 45 67 89",
      "+55 11 91234-5678",
      "(02) 9876 5432",
      "+90 212 555 01 01",
      "+7 495 123-45-67",
      "+91 98765 43210",
    ]),
  };
}
const address = (r: Rand) => pick(r, ADDRESSES);

function jwt(r: Rand, claims: Record<string, unknown> = {}): string {
  const p = person(r);
  const header = {
    alg: pick(r, ["RS256", "HS256", "ES256"]),
    typ: "JWT",
    ...(chance(r, 0.5) ? { kid: alnum(r, 16) } : {}),
  };
  const iat = Math.floor(epochMs(r) / 1000);
  const payload = {
    sub: uuid(r),
    name: p.name,
    email: p.email,
    iss: pick(r, [
      "https://auth.example.com/",
      "https://accounts.example.org",
      "https://login.example.net/tenant/v2.0",
    ]),
    aud: pick(r, ["api", "https://api.example.com", ["web", "mobile"]]),
    iat,
    exp: iat + 3600,
    roles: pick(r, [["user"], ["admin", "billing"], []]),
    ...claims,
  };
  return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.${b64url(bytes(r, pick(r, [32, 32, 64, 64, 256])))}`;
}

// ---------------------------------------------------------------------------------------------
// headers, user agents, cookies

const UA = {
  chromeWin: (r: Rand) =>
    `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${int(r, 118, 125)}.0.0.0 Safari/537.36`,
  chromeMac: (r: Rand) =>
    `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${int(r, 118, 125)}.0.0.0 Safari/537.36`,
  chromeLinux: (r: Rand) =>
    `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${int(r, 118, 125)}.0.0.0 Safari/537.36`,
  edge: (r: Rand) =>
    `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${int(r, 120, 125)}.0.0.0 Safari/537.36 Edg/${int(r, 120, 125)}.0.${int(r, 1000, 2500)}.${int(r, 10, 99)}`,
  opera: (r: Rand) =>
    `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${int(r, 118, 124)}.0.0.0 Safari/537.36 OPR/${int(r, 104, 110)}.0.0.0`,
  firefox: (r: Rand) =>
    pick(r, [
      `Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:${int(r, 115, 126)}.0) Gecko/20100101 Firefox/${int(r, 115, 126)}.0`,
      `Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:${int(r, 115, 126)}.0) Gecko/20100101 Firefox/${int(r, 115, 126)}.0`,
      `Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:${int(r, 115, 126)}.0) Gecko/20100101 Firefox/${int(r, 115, 126)}.0`,
    ]),
  safari: (r: Rand) =>
    `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.${int(r, 0, 5)} Safari/605.1.15`,
  iphone: (r: Rand) =>
    `Mozilla/5.0 (iPhone; CPU iPhone OS 17_${int(r, 0, 5)} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.${int(r, 0, 5)} Mobile/15E148 Safari/604.1`,
  ipad: () =>
    "Mozilla/5.0 (iPad; CPU OS 16_7_8 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1",
  android: (r: Rand) =>
    `Mozilla/5.0 (Linux; Android ${int(r, 11, 14)}; ${pick(r, ["Pixel 8", "SM-S918B", "SM-A546B", "M2101K6G", "CPH2451", "moto g(60)"])}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${int(r, 118, 125)}.0.0.0 Mobile Safari/537.36`,
  samsung: () =>
    "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
  webview: () =>
    "Mozilla/5.0 (Linux; Android 13; SM-G991B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/123.0.6312.118 Mobile Safari/537.36",
  facebookApp: () =>
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/459.0.0.45.105;FBBV/578012345;FBDV/iPhone14,2;FBMD/iPhone;FBSN/iOS;FBSV/17.4.1;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/0]",
  instagramApp: () =>
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 320.0.0.34.109 (iPhone14,5; iOS 17_3; en_US; en-US; scale=3.00; 1170x2532; 565393433)",
  iosApp: (r: Rand) =>
    `ShopApp/${int(r, 4, 6)}.${int(r, 0, 12)}.${int(r, 0, 9)} (com.example.shop; build:${int(r, 1000, 9999)}; iOS 17.4.1) Alamofire/5.9.1`,
  iosCfNetwork: () => "ShopApp/5812 CFNetwork/1494.0.7 Darwin/23.4.0",
  androidApp: (r: Rand) => `okhttp/4.12.0 ShopApp-Android/${int(r, 4, 6)}.${int(r, 0, 12)}.${int(r, 0, 9)}`,
  dalvik: () => "Dalvik/2.1.0 (Linux; U; Android 13; SM-S918B Build/TP1A.220624.014)",
  tv: () =>
    "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36",
  googlebot: () =>
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.91 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
  bots: (r: Rand) =>
    pick(r, [
      "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
      "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
      "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
      "Twitterbot/1.0",
      "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
      "WhatsApp/2.23.20.0",
      "TelegramBot (like TwitterBot)",
      "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
      "Pinterestbot/1.0 (+http://www.pinterest.com/bot.html)",
    ]),
  libs: (r: Rand) =>
    pick(r, [
      "curl/8.6.0",
      "python-requests/2.31.0",
      "python-httpx/0.27.0",
      "aiohttp/3.9.5",
      "axios/1.6.8",
      "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
      "undici",
      "Go-http-client/2.0",
      "okhttp/4.12.0",
      "Java/17.0.10",
      "Apache-HttpClient/4.5.14 (Java/17.0.10)",
      "Ruby",
      "Faraday v2.9.0",
      "GuzzleHttp/7",
      "PostmanRuntime/7.37.3",
      "insomnia/8.6.1",
      "Wget/1.21.4",
      "HTTPie/3.2.2",
      "Zapier",
      "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
      "GitHub-Hookshot/2e4f1a7",
      "Slackbot 1.0 (+https://api.slack.com/robots)",
    ]),
};
type Browser = keyof typeof UA;
const DESKTOP: Browser[] = [
  "chromeWin",
  "chromeWin",
  "chromeWin",
  "chromeMac",
  "chromeLinux",
  "edge",
  "opera",
  "firefox",
  "firefox",
  "safari",
];
const MOBILE: Browser[] = [
  "iphone",
  "iphone",
  "android",
  "android",
  "samsung",
  "ipad",
  "webview",
  "facebookApp",
  "instagramApp",
  "tv",
];
const APPS: Browser[] = ["iosApp", "iosCfNetwork", "androidApp", "dalvik"];

const ACCEPT_LANGUAGE = [
  "en-US,en;q=0.9",
  "en-GB,en;q=0.9",
  "de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7",
  "fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7",
  "es-ES,es;q=0.9",
  "pt-BR,pt;q=0.9,en-US;q=0.8,en;q=0.7",
  "it-IT,it;q=0.9,en;q=0.8",
  "nl-NL,nl;q=0.9,en-US;q=0.8,en;q=0.7",
  "pl-PL,pl;q=0.9,en-US;q=0.8,en;q=0.7",
  "tr-TR,tr;q=0.9,en-US;q=0.8,en;q=0.7",
  "ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7",
  "el-GR,el;q=0.9,en;q=0.8",
  "ja,en-US;q=0.9,en;q=0.8",
  "zh-CN,zh;q=0.9,en;q=0.8",
  "zh-TW,zh;q=0.9",
  "ar,en-US;q=0.7,en;q=0.3",
  "hi-IN,hi;q=0.9,en-IN;q=0.8,en;q=0.7",
  "ko-KR,ko;q=0.9",
  "en",
  "*",
];
const REFERERS = [
  "https://www.google.com/",
  "https://www.google.de/",
  "https://www.bing.com/",
  "https://duckduckgo.com/",
  "https://t.co/",
  "https://l.facebook.com/",
  "https://www.instagram.com/",
  "https://news.ycombinator.com/",
  "https://www.reddit.com/r/BuyItForLife/comments/1b2c3d/whats_your_favourite_oreilly_book/",
  "https://shop.example.com/cart",
  "https://shop.example.com/products/levis-501?color=indigo&size=32%2F34",
  "https://www.example.org/blog/2024/03/why-we-moved?utm_source=newsletter&utm_medium=email",
  "https://app.example.com/settings/billing#invoices",
  "android-app://com.google.android.gm/",
  "https://mail.google.com/",
];

function chromeHints(r: Rand, ua: string): Record<string, string> {
  const m = /Chrome\/(\d+)/.exec(ua);
  if (m === null || ua.includes("Firefox")) return {};
  const v = m[1]!;
  const brand = ua.includes("Edg/")
    ? `"Microsoft Edge";v="${v}"`
    : ua.includes("OPR/")
      ? `"Opera";v="${int(r, 104, 110)}"`
      : `"Google Chrome";v="${v}"`;
  const platform = ua.includes("Windows")
    ? "Windows"
    : ua.includes("Mac OS")
      ? "macOS"
      : ua.includes("Android")
        ? "Android"
        : "Linux";
  return {
    "sec-ch-ua": `"Chromium";v="${v}", ${brand}, "Not-A.Brand";v="99"`,
    "sec-ch-ua-mobile": ua.includes("Mobile") ? "?1" : "?0",
    "sec-ch-ua-platform": `"${platform}"`,
  };
}

/** Cookies a real site accumulates: a session, CSRF, consent banners, analytics and ads tags. */
function cookies(r: Rand): string {
  const c: string[] = [];
  // Most requests carry a lean jar (session + Google Analytics); some carry a full one.
  const rich = chance(r, 0.15);
  const t = Math.floor(epochMs(r) / 1000);
  c.push(
    pick(r, [
      `session=${alnum(r, 32)}`,
      `sid=${hex(r, 16)}`,
      `connect.sid=${enc(`s:${alnum(r, 32)}.${b64(bytes(r, 32)).replace(/=+$/, "")}`)}`,
      `PHPSESSID=${alnum(r, 26).toLowerCase()}`,
      `JSESSIONID=${hex(r, 16).toUpperCase()}.node${int(r, 1, 4)}`,
      `ASP.NET_SessionId=${alnum(r, 24).toLowerCase()}`,
      `_app_session=${b64(bytes(r, 96))}--${hex(r, 20)}`,
      `__Host-session=${b64url(bytes(r, 32))}`,
      `laravel_session=${b64(JSON.stringify({ iv: b64(bytes(r, 16)), value: b64(bytes(r, 48)), mac: hex(r, 32), tag: "" }))}`,
      `sessionid=${alnum(r, 32).toLowerCase()}`,
    ]),
  );
  if (chance(r, 0.7))
    c.push(
      `_ga=GA1.${int(r, 1, 3)}.${int(r, 100_000_000, 2_147_483_647)}.${t}`,
      `_ga_${alnum(r, 10).toUpperCase()}=GS1.1.${t}.${int(r, 1, 40)}.${int(r, 0, 1)}.${t + int(r, 0, 900)}.0.0.0`,
    );
  if (!rich) {
    if (chance(r, 0.3))
      c.push(
        pick(r, [
          `theme=dark`,
          `cart_currency=EUR`,
          `_fbp=fb.1.${epochMs(r)}.${int(r, 100_000_000, 2_000_000_000)}`,
          `csrftoken=${alnum(r, 32)}`,
          `lang=${pick(r, ["en", "de", "pt_BR"])}`,
        ]),
      );
    return c.join("; ");
  }
  if (chance(r, 0.4)) c.push(`_gid=GA1.2.${int(r, 100_000_000, 999_999_999)}.${t}`);
  if (chance(r, 0.4)) c.push(`_gcl_au=1.1.${int(r, 100_000_000, 2_000_000_000)}.${t}`);
  if (chance(r, 0.35)) c.push(`_fbp=fb.1.${epochMs(r)}.${int(r, 100_000_000, 2_000_000_000)}`);
  if (chance(r, 0.2)) c.push(`_fbc=fb.1.${epochMs(r)}.IwAR${alnum(r, 40)}`);
  if (chance(r, 0.3)) c.push(`__stripe_mid=${uuid(r)}${hex(r, 3)}`, `__stripe_sid=${uuid(r)}${hex(r, 3)}`);
  if (chance(r, 0.25))
    c.push(
      `_hjSessionUser_${int(r, 100000, 3999999)}=${b64(JSON.stringify({ id: hex(r, 8), created: epochMs(r), existing: true }))}`,
    );
  if (chance(r, 0.25)) c.push(`ajs_anonymous_id=${enc(`"${uuid(r)}"`)}`, `ajs_user_id=${enc(`"${int(r, 1, 99999)}"`)}`);
  if (chance(r, 0.2))
    c.push(
      `mp_${hex(r, 16)}_mixpanel=${enc(JSON.stringify({ distinct_id: uuid(r), $device_id: hex(r, 12), $initial_referrer: "$direct", $initial_referring_domain: "$direct" }))}`,
    );
  if (chance(r, 0.2))
    c.push(
      `amplitude_id_${hex(r, 16)}example.com=${b64(JSON.stringify({ deviceId: uuid(r), userId: null, optOut: false, sessionId: epochMs(r), lastEventTime: epochMs(r), eventId: int(r, 1, 99), sequenceNumber: int(r, 1, 200) }))}`,
    );
  if (chance(r, 0.3))
    c.push(
      `OptanonConsent=${form([
        ["isGpcEnabled", "0"],
        ["datestamp", "Tue Mar 12 2024 10:15:42 GMT+0100 (Central European Standard Time)"],
        ["version", "202401.1.0"],
        ["isIABGlobal", "false"],
        ["hosts", ""],
        ["landingPath", "NotLandingPage"],
        ["groups", "C0001:1,C0002:1,C0003:0,C0004:0"],
      ])
        .replace(/&/g, "%26")
        .replace(/=/g, "%3D")}`,
      `OptanonAlertBoxClosed=${isoTime(r)}`,
    );
  if (chance(r, 0.15)) c.push(`euconsent-v2=CP${alnum(r, 60)}.${alnum(r, 20)}`);
  if (chance(r, 0.25))
    c.push(
      `cookie_consent=${enc(JSON.stringify({ necessary: true, analytics: chance(r, 0.5), marketing: false, v: 3 }))}`,
    );
  if (chance(r, 0.3)) c.push(`csrftoken=${alnum(r, 32)}`);
  if (chance(r, 0.2))
    c.push(`XSRF-TOKEN=${enc(b64(JSON.stringify({ iv: b64(bytes(r, 12)), value: b64(bytes(r, 30)) })))}`);
  if (chance(r, 0.2)) c.push(`__cf_bm=${b64url(bytes(r, 32))}-${t}-1.0.1.1-${b64url(bytes(r, 60))}`);
  if (chance(r, 0.1))
    c.push(`cf_clearance=${b64url(bytes(r, 30))}-${t}-0-1-${hex(r, 4)}.${hex(r, 4)}.${hex(r, 4)}-0.2.${t}`);
  if (chance(r, 0.2))
    c.push(`cart_currency=${pick(r, ["EUR", "USD", "GBP", "JPY"])}`, `_shopify_y=${uuid(r)}`, `_shopify_s=${uuid(r)}`);
  if (chance(r, 0.15))
    c.push(
      `wp-settings-1=${enc("libraryContent=browse&editor=tinymce&posts_list_mode=list")}`,
      `wp-settings-time-1=${t}`,
    );
  if (chance(r, 0.15)) c.push(`intercom-session-${alnum(r, 8).toLowerCase()}=${b64(bytes(r, 60))}--${hex(r, 20)}`);
  if (chance(r, 0.2))
    c.push(`recently_viewed=${enc(JSON.stringify(Array.from({ length: int(r, 1, 4) }, () => int(r, 1000, 99999))))}`);
  if (chance(r, 0.15)) c.push(`last_search=${enc(pick(r, SEARCH_QUERIES))}`);
  if (chance(r, 0.2))
    c.push(
      `theme=${pick(r, ["dark", "light", "system"])}`,
      `lang=${pick(r, ["en", "de", "fr-CA", "pt_BR", "ja", "zh-Hans"])}`,
    );
  if (chance(r, 0.1))
    c.push(`tz=${enc(pick(r, ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "America/Sao_Paulo"]))}`);
  if (chance(r, 0.1))
    c.push(
      `remember_user_token=${b64(JSON.stringify([[int(r, 1, 99999)], `$2a$11$${alnum(r, 22)}`, String(t)]))}--${hex(r, 20)}`,
    );
  return c.join("; ");
}

/** Headers of a browser page load or fetch, the way Cloudflare hands them to the worker. */
function browserHeaders(
  r: Rand,
  kind: "page" | "fetch" | "app" | "any" = "any",
  extra: Record<string, string> = {},
): Record<string, string> {
  const k = kind === "any" ? pick(r, ["page", "fetch", "fetch", "app"] as const) : kind;
  const family = k === "app" ? pick(r, APPS) : chance(r, 0.6) ? pick(r, DESKTOP) : pick(r, MOBILE);
  const ua = UA[family](r);
  const h: Record<string, string> = { "user-agent": ua };
  if (k === "page") {
    h.accept = ua.includes("Firefox")
      ? "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
      : "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";
    h["upgrade-insecure-requests"] = "1";
    h["sec-fetch-site"] = pick(r, ["none", "same-origin", "cross-site"]);
    h["sec-fetch-mode"] = "navigate";
    h["sec-fetch-user"] = "?1";
    h["sec-fetch-dest"] = "document";
    if (chance(r, 0.3)) h["cache-control"] = "max-age=0";
    if (chance(r, 0.2)) h.priority = "u=0, i";
  } else if (k === "fetch") {
    h.accept = pick(r, ["application/json", "application/json, text/plain, */*", "*/*"]);
    h.origin = pick(r, ["https://shop.example.com", "https://app.example.com", "https://www.example.org"]);
    h["sec-fetch-site"] = "same-site";
    h["sec-fetch-mode"] = "cors";
    h["sec-fetch-dest"] = "empty";
    if (chance(r, 0.3)) h["x-requested-with"] = "XMLHttpRequest";
    if (chance(r, 0.4)) h["x-csrf-token"] = b64(bytes(r, 32));
    if (chance(r, 0.25)) h.authorization = `Bearer ${jwt(r)}`;
    if (chance(r, 0.2)) h.traceparent = `00-${hex(r, 16)}-${hex(r, 8)}-01`;
    if (chance(r, 0.05)) {
      h["sentry-trace"] = `${hex(r, 16)}-${hex(r, 8)}-1`;
      h.baggage = `sentry-environment=production,sentry-release=web%40${int(r, 1, 9)}.${int(r, 0, 40)}.0,sentry-public_key=${hex(r, 16)},sentry-trace_id=${hex(r, 16)},sentry-sample_rate=0.1`;
    }
  } else {
    h.accept = "application/json";
    h["x-app-version"] = `${int(r, 4, 6)}.${int(r, 0, 12)}.${int(r, 0, 9)}`;
    h["x-device-id"] = uuid(r).toUpperCase();
    h["x-platform"] = ua.includes("iOS") || ua.includes("Darwin") ? "ios" : "android";
    if (chance(r, 0.5)) h.authorization = `Bearer ${jwt(r)}`;
    if (chance(r, 0.3)) h["x-api-key"] = `pk_live_${alnum(r, 24)}`;
  }
  h["accept-encoding"] = pick(r, [
    "gzip, deflate, br, zstd",
    "gzip, deflate, br",
    "gzip",
    "br;q=1.0, gzip;q=0.8, *;q=0.1",
  ]);
  if (chance(r, 0.85)) h["accept-language"] = pick(r, ACCEPT_LANGUAGE);
  Object.assign(h, chromeHints(r, ua));
  if (k !== "app" && chance(r, 0.6)) h.cookie = cookies(r);
  if (k !== "app" && chance(r, 0.5)) h.referer = pick(r, REFERERS);
  if (chance(r, 0.1)) h.dnt = "1";
  if (chance(r, 0.08)) h["sec-gpc"] = "1";
  if (chance(r, 0.1)) h["if-none-match"] = `W/"${int(r, 16, 4096).toString(16)}-${b64url(bytes(r, 18))}"`;
  if (chance(r, 0.05)) h["if-modified-since"] = "Tue, 12 Mar 2024 10:00:00 GMT";
  // What Cloudflare adds in front of the worker.
  if (chance(r, 0.2)) {
    h["cf-connecting-ip"] = `203.0.113.${int(r, 1, 254)}`;
    h["cf-ipcountry"] = pick(r, ["DE", "US", "GB", "FR", "JP", "BR", "TR", "IN"]);
    h["cf-ray"] = `${hex(r, 8)}-${pick(r, ["FRA", "AMS", "LHR", "IAD", "NRT", "GRU", "IST", "BOM"])}`;
    h["cf-visitor"] = '{"scheme":"https"}';
    h["x-forwarded-proto"] = "https";
    h["x-forwarded-for"] = chance(r, 0.3)
      ? `198.51.100.${int(r, 1, 254)}, 203.0.113.${int(r, 1, 254)}`
      : `203.0.113.${int(r, 1, 254)}`;
    h["cdn-loop"] = "cloudflare";
  }
  return { ...h, ...extra };
}

// ---------------------------------------------------------------------------------------------
// values people send

const URLS = [
  "https://example.com/",
  "https://www.example.org/blog/2024/03/why-we-moved?utm_source=tw&utm_medium=social",
  "https://shop.example.com/products/levis-501?color=indigo&size=32/34",
  "https://en.wikipedia.org/wiki/Rock_'n'_roll",
  "https://en.wikipedia.org/wiki/O'Brien_(surname)",
  "https://de.wikipedia.org/wiki/Köln",
  "https://fr.wikipedia.org/wiki/L'Étranger",
  "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s",
  "https://youtu.be/dQw4w9WgXcQ?si=AbC_dEf-123",
  "https://maps.google.com/?q=221B+Baker+Street,+London",
  "https://www.google.com/maps/place/Caf%C3%A9+de+l'Union/@48.8566,2.3522,17z",
  "https://docs.example.com/api/v2/select-a-plan#union-types",
  "https://github.com/example/repo/issues/123#issuecomment-456",
  "https://www.amazon.de/dp/B0C1234567/ref=sr_1_3?keywords=kaffeem%C3%BChle&qid=1710230000",
  "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC?si=1a2b3c4d",
  "https://calendly.com/jane-obrien/30min",
  "https://linkedin.com/in/siobhan-o-neill-12345",
  "https://twitter.com/example/status/1767000000000000000",
  "https://example.com/path/with%20space/and'quote",
  "http://example.net/old-page.html",
  "https://cdn.example.com/img/products/sku-1234_800x800.jpg?v=1710230000",
  "https://drive.google.com/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz/view?usp=sharing",
  "https://zoom.us/j/91234567890?pwd=QWxhZGRpbjpvcGVuIHNlc2FtZQ",
  "https://www.booking.com/hotel/it/dell-orso.html?checkin=2024-06-01&checkout=2024-06-05&group_adults=2",
  "mailto:jane.o'hara@example.com?subject=Hello%20there",
  "tel:+15550109999",
  "https://example.com/search?q=select+union+drop",
  "https://example.com/?ref=o'brien",
  "https://xn--mller-kva.example/produkte",
  "https://例え.テスト/パス",
];
const REDIRECT_TARGETS = [
  "/dashboard",
  "/account/orders?page=2",
  "/checkout?step=payment",
  "/settings#billing",
  "/cart",
  "/",
  "/p/o-briens-story",
  "https://app.example.com/projects/42?tab=members",
  "/search?q=union%20square",
];

const MARKDOWN_DOCS = [
  (r: Rand) =>
    `# ${pick(r, PRODUCT_TITLES)}\n\n${prose(r, "en")}\n\n## Features\n\n- ${pick(r, REVIEWS)}\n- Works with *any* ${pick(r, ["phone", "laptop", "TV"])}\n- **Free** returns within 30 days\n\n> "${pick(r, PROSE_BY_LANG.en!)}" — ${person(r).name}\n\n[Read more](https://example.com/p/${int(r, 1, 999)})`,
  (r: Rand) =>
    `## Release notes ${int(r, 1, 4)}.${int(r, 0, 20)}.${int(r, 0, 9)}\n\n### Fixed\n- The *Select all* checkbox didn't select hidden rows\n- Orders sorted by date now show the newest first\n- Sleep mode no longer drops the Wi-Fi connection\n\n### Changed\n- Dropped support for iOS 15\n- The \`union\` filter is now called **Any of**\n\nThanks to @${pick(r, ["jdoe", "obrien", "dangelo", "mkowalski"])} for the report!`,
  (r: Rand) =>
    `| Name | City | Plan |\n|------|------|------|\n${Array.from({ length: int(r, 2, 5) }, () => `| ${person(r).name} | ${address(r).city} | ${pick(r, ["Free", "Pro", "Business"])} |`).join("\n")}\n\n_Updated ${date(r)}_`,
  (r: Rand) =>
    `**Steps to reproduce**\n\n1. Go to *Settings → Billing*\n2. Click "Update card"\n3. Select the country "Côte d'Ivoire"\n4. Press **Save**\n\n**Expected:** saved\n**Actual:** an alert says "Something went wrong" and nothing happens.\n\nBrowser: ${pick(r, ["Chrome 124", "Firefox 125", "Safari 17.4"])} on ${pick(r, ["Windows 11", "macOS 14", "iOS 17"])}`,
  (r: Rand) =>
    `### ${pick(r, ["Rezept", "Recette", "Receta", "Recipe"])}: ${pick(r, ["Crêpes", "Apfelstrudel", "Paella", "Mom's Apple Pie", "Pão de queijo"])}\n\n* 250 g ${pick(r, ["Mehl", "farine", "harina", "flour"])}\n* 3 eggs / Eier / œufs\n* ½ l milk\n* a pinch of salt\n\n1. Mix everything; let it rest 30'.\n2. Heat the pan (don't skip this!).\n3. Bake 2' per side.\n\n> ${prose(r)}`,
  (r: Rand) =>
    `Hi @${pick(r, ["team", "support", "anna"])} 👋\n\n${prose(r, "en")}\n\n- [x] ${pick(r, ["checked the FAQ", "cleared cookies", "tried another browser"])}\n- [ ] ${pick(r, ["contacted the bank", "updated the app", "rebooted"])}\n\nScreenshot: ![error](https://i.example.com/${alnum(r, 7)}.png)`,
];

const GRAPHQL = [
  {
    q: "query Product($id: ID!, $locale: String) { product(id: $id, locale: $locale) { id title description price { amount currency } images(first: 5) { url alt } } }",
    v: (r: Rand) => ({ id: `gid://shop/Product/${int(r, 1000, 99999)}`, locale: pick(r, ["en", "de", "fr", "ja"]) }),
    op: "Product",
  },
  {
    q: "query Search($query: String!, $first: Int = 20, $after: String) { search(query: $query, first: $first, after: $after) { totalCount edges { cursor node { ... on Product { id title } ... on Article { id headline } } } } }",
    v: (r: Rand) => ({
      query: pick(r, SEARCH_QUERIES),
      first: 20,
      after: chance(r, 0.5) ? b64(`cursor:${int(r, 1, 500)}`) : null,
    }),
    op: "Search",
  },
  {
    q: "mutation CreateReview($input: ReviewInput!) { createReview(input: $input) { review { id rating body author { name } } errors { field message } } }",
    v: (r: Rand) => ({
      input: {
        productId: String(int(r, 1, 9999)),
        rating: int(r, 1, 5),
        title: pick(r, REVIEWS),
        body: prose(r),
        author: person(r).name,
      },
    }),
    op: "CreateReview",
  },
  {
    q: "mutation UpdateAddress($id: ID!, $address: AddressInput!) { customerAddressUpdate(id: $id, address: $address) { customerAddress { id formatted } userErrors { field message } } }",
    v: (r: Rand) => {
      const a = address(r);
      const p = person(r);
      return {
        id: uuid(r),
        address: {
          firstName: p.first,
          lastName: p.last,
          address1: a.line1,
          address2: a.line2 ?? null,
          city: a.city,
          zip: a.postcode,
          province: a.region ?? null,
          country: a.country,
          phone: p.phone,
        },
      };
    },
    op: "UpdateAddress",
  },
  {
    q: "query Me { viewer { id name email avatarUrl(size: 64) organizations(first: 10) { nodes { id name role } } } }",
    v: () => ({}),
    op: "Me",
  },
  {
    q: "mutation SendMessage($channel: ID!, $text: String!, $mentions: [ID!]) { sendMessage(channel: $channel, text: $text, mentions: $mentions) { id createdAt } }",
    v: (r: Rand) => ({
      channel: `C${alnum(r, 10).toUpperCase()}`,
      text: prose(r),
      mentions: chance(r, 0.3) ? [`U${alnum(r, 8).toUpperCase()}`] : [],
    }),
    op: "SendMessage",
  },
  {
    q: "query Orders($filter: OrderFilter, $orderBy: OrderOrder = {field: CREATED_AT, direction: DESC}) { orders(filter: $filter, orderBy: $orderBy, first: 25) { nodes { id number total status customer { name email } } } }",
    v: (r: Rand) => ({
      filter: {
        status: pick(r, ["PAID", "SHIPPED", "REFUNDED"]),
        createdAfter: isoTime(r),
        customerName: person(r).name,
      },
    }),
    op: "Orders",
  },
  {
    q: "fragment Price on Money { amount currencyCode }\nquery Cart($id: ID!) { cart(id: $id) { lines(first: 50) { nodes { quantity merchandise { ... on ProductVariant { title price { ...Price } } } } } cost { totalAmount { ...Price } } } }",
    v: (r: Rand) => ({ id: `gid://shop/Cart/${alnum(r, 26)}` }),
    op: "Cart",
  },
];

const CSV_HEADERS = [
  "name,email,city,notes",
  "sku,title,price,qty",
  "date,description,amount,category",
  "first_name;last_name;company;phone",
];
function csvRows(r: Rand, header: string, n: number): string {
  const q = (s: string) => (/[",;\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  const rows = Array.from({ length: n }, () => {
    const p = person(r);
    switch (header) {
      case "name,email,city,notes":
        return [
          q(p.name),
          p.email,
          q(address(r).city),
          q(
            pick(r, [
              "VIP",
              "prefers email; no calls",
              'said "thanks!"',
              "order #123 & #124",
              "",
              "drop-off at the back door",
              "union member discount",
            ]),
          ),
        ].join(",");
      case "sku,title,price,qty":
        return [`SKU-${int(r, 1000, 9999)}`, q(pick(r, PRODUCT_TITLES)), money(r), String(int(r, 0, 500))].join(",");
      case "date,description,amount,category":
        return [
          date(r),
          q(
            pick(r, [
              "Coffee @ Joe's",
              "Uber - airport",
              "AWS invoice (March)",
              "Lunch w/ O'Brien & D'Angelo",
              "Office chairs x2",
              "Refund: order #4412",
            ]),
          ),
          `-${money(r)}`,
          pick(r, ["food", "travel", "it", "office"]),
        ].join(",");
      default:
        return [q(p.first), q(p.last), q(pick(r, COMPANIES)), q(p.phone)].join(";");
    }
  });
  return `${header}\n${rows.join("\n")}\n`;
}

function multipart(
  r: Rand,
  fields: Array<{ name: string; value: string; filename?: string; type?: string }>,
): { contentType: string; body: string } {
  const b = pick(r, [
    `----WebKitFormBoundary${alnum(r, 16)}`,
    `---------------------------${int(r, 1e9, 2e9)}${int(r, 1e9, 2e9)}`,
    `----formdata-undici-0${int(r, 1e10, 9e10)}`,
    `dart-http-boundary-${alnum(r, 50)}`,
  ]);
  const parts = fields.map(
    (f) =>
      `--${b}\r\nContent-Disposition: form-data; name="${f.name}"${f.filename !== undefined ? `; filename="${f.filename}"` : ""}\r\n${f.type !== undefined ? `Content-Type: ${f.type}\r\n` : ""}\r\n${f.value}\r\n`,
  );
  return { contentType: `multipart/form-data; boundary=${b}`, body: `${parts.join("")}--${b}--\r\n` };
}
/** Bytes of a binary file as the text the middleware would see (Latin-1). */
const binary = (r: Rand, magic: number[], n: number) => String.fromCharCode(...magic, ...bytes(r, n));

// ---------------------------------------------------------------------------------------------
// templates

type Template = [name: string, make: (r: Rand) => CorpusRequest];

const T: Template[] = [
  // ---- query strings
  [
    "query:search-form",
    (r) => ({
      method: "GET",
      path: pick(r, ["/search", "/suche", "/recherche", "/buscar", "/s"]),
      query: form([
        ["q", pick(r, SEARCH_QUERIES)],
        ...(chance(r, 0.5) ? [["page", String(int(r, 2, 9))] as [string, string]] : []),
      ]),
      headers: browserHeaders(r, "page"),
    }),
  ],
  [
    "query:search-api",
    (r) => ({
      method: "GET",
      path: "/v1/search",
      query: jsQuery([
        ["q", chance(r, 0.8) ? pick(r, SEARCH_QUERIES) : prose(r)],
        ["limit", String(pick(r, [10, 20, 50]))],
        ["lang", pick(r, LANGS)],
      ]),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "query:autocomplete",
    (r) => {
      const s = pick(r, SEARCH_QUERIES);
      return {
        method: "GET",
        path: "/v1/suggest",
        query: jsQuery([
          ["prefix", s.slice(0, int(r, 1, s.length))],
          ["types", "product,category,brand"],
        ]),
        headers: browserHeaders(r, "fetch"),
      };
    },
  ],
  [
    "query:catalog-filter",
    (r) => ({
      method: "GET",
      path: `/v1/products`,
      query: jsQuery([
        [
          "filter[brand]",
          pick(r, [
            "Levi's",
            "Dr. Martens",
            "L'Oréal",
            "Ben & Jerry's",
            "H&M",
            "Marks & Spencer",
            "O'Neill",
            "Dell'Anno",
          ]),
        ],
        ["filter[price][gte]", String(int(r, 0, 50))],
        ["filter[price][lte]", String(int(r, 60, 500))],
        ["sort", pick(r, ["price:asc", "-created_at", "relevance", "rating desc", "name,asc", "popularity"])],
        ["tags[]", pick(r, TAGS)],
        ["tags[]", pick(r, TAGS)],
        ["include", "variants,images"],
      ]),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "query:name-lookup",
    (r) => {
      const p = person(r);
      return {
        method: "GET",
        path: pick(r, ["/v1/customers", "/v1/users", "/admin/members"]),
        query: jsQuery([
          ["name", chance(r, 0.5) ? p.name : p.last],
          ["email", p.email],
          ["company", pick(r, COMPANIES)],
        ]),
        headers: browserHeaders(r, "fetch"),
      };
    },
  ],
  [
    "query:address",
    (r) => {
      const a = address(r);
      return {
        method: "GET",
        path: "/v1/geocode",
        query: form([
          ["address", `${a.line1}${a.line2 ? `, ${a.line2}` : ""}, ${a.postcode} ${a.city}`],
          ["country", a.country],
        ]),
        headers: browserHeaders(r, "fetch"),
      };
    },
  ],
  [
    "query:url-param",
    (r) => ({
      method: "GET",
      path: pick(r, ["/v1/share", "/v1/unfurl", "/bookmarks/add", "/v1/link-preview"]),
      query: jsQuery([
        ["url", pick(r, URLS)],
        ["title", pick(r, [...PRODUCT_TITLES, ...REVIEWS])],
      ]),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "query:redirect",
    (r) => ({
      method: "GET",
      path: pick(r, ["/login", "/auth/sso", "/logout", "/signup"]),
      query: jsQuery([
        [pick(r, ["next", "return_to", "redirect", "continue", "returnUrl"]), pick(r, REDIRECT_TARGETS)],
      ]),
      headers: browserHeaders(r, "page"),
    }),
  ],
  [
    "query:email",
    (r) => ({
      method: "GET",
      path: pick(r, ["/v1/newsletter/unsubscribe", "/invite/accept", "/v1/users/exists"]),
      query: jsQuery([
        ["email", person(r).email],
        ["token", b64url(bytes(r, 24))],
      ]),
      headers: browserHeaders(r, "page"),
    }),
  ],
  [
    "query:utm",
    (r) => ({
      method: "GET",
      path: pick(r, ["/", "/landing/spring-sale", "/p/o-briens-story"]),
      query: jsQuery([
        ["utm_source", pick(r, ["google", "newsletter", "facebook", "t.co", "linkedin"])],
        ["utm_medium", pick(r, ["cpc", "email", "social", "referral"])],
        [
          "utm_campaign",
          pick(r, ["spring_sale_2024", "black-friday", "o'brien-promo", "launch (beta)", "union-day", "drop #3"]),
        ],
        ["utm_content", pick(r, ["hero", "footer link", "20% off"])],
        [pick(r, ["gclid", "fbclid", "msclkid"]), alnum(r, 40)],
      ]),
      headers: browserHeaders(r, "page"),
    }),
  ],
  [
    "query:ga4-collect",
    (r) => ({
      method: "POST",
      path: "/g/collect",
      query: jsQuery([
        ["v", "2"],
        ["tid", `G-${alnum(r, 10).toUpperCase()}`],
        ["gtm", `45je4${alnum(r, 4)}v9`],
        ["_p", String(epochMs(r))],
        ["cid", `${int(r, 100_000_000, 2_000_000_000)}.${Math.floor(epochMs(r) / 1000)}`],
        ["ul", pick(r, ["en-us", "de-de", "fr-fr", "ja"])],
        ["sr", pick(r, ["1920x1080", "390x844", "2560x1440", "1366x768"])],
        ["dl", pick(r, URLS)],
        ["dr", pick(r, REFERERS)],
        ["dt", pick(r, [...PRODUCT_TITLES, 'Search results for "union square" | Example'])],
        ["en", pick(r, ["page_view", "view_item", "search", "add_to_cart"])],
        ["ep.search_term", pick(r, SEARCH_QUERIES)],
        ["_et", String(int(r, 1, 9000))],
      ]),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "query:cursor",
    (r) => ({
      method: "GET",
      path: pick(r, ["/v1/orders", "/v1/events", "/v1/messages"]),
      query: jsQuery([
        ["cursor", b64(JSON.stringify({ id: int(r, 1, 1e6), ts: isoTime(r) }))],
        ["limit", "50"],
        ["fields", "id,total,status,customer(name,email)"],
      ]),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "query:oauth",
    (r) => ({
      method: "GET",
      path: "/oauth/callback",
      query: jsQuery([
        ["code", b64url(bytes(r, 32))],
        ["state", b64url(JSON.stringify({ returnTo: pick(r, REDIRECT_TARGETS), nonce: hex(r, 8) }))],
        ["scope", "openid email profile"],
        ["session_state", `${uuid(r)}.${alnum(r, 8)}`],
      ]),
      headers: browserHeaders(r, "page"),
    }),
  ],
  [
    "query:dates",
    (r) => ({
      method: "GET",
      path: pick(r, ["/v1/calendar", "/v1/reports/sales", "/v1/bookings/availability"]),
      query: jsQuery([
        ["from", isoTime(r)],
        ["to", isoTime(r)],
        ["tz", pick(r, ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "America/Sao_Paulo"])],
        ["group_by", pick(r, ["day", "week", "month"])],
        ["order_by", pick(r, ["date desc", "total", "-count"])],
      ]),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "query:graphql-get",
    (r) => {
      const g = pick(r, GRAPHQL);
      return {
        method: "GET",
        path: "/graphql",
        query: jsQuery([
          ["operationName", g.op],
          ["variables", JSON.stringify(g.v(r))],
          ["extensions", JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hex(r, 32) } })],
        ]),
        headers: browserHeaders(r, "fetch"),
      };
    },
  ],
  [
    "query:pixel",
    (r) => ({
      method: "GET",
      path: pick(r, ["/t.gif", "/pixel", "/e"]),
      query: jsQuery([
        ["e", pick(r, ["open", "click", "view"])],
        ["uid", uuid(r)],
        ["mid", `<${alnum(r, 20)}@mail.example.com>`],
        ["u", pick(r, URLS)],
        ["ts", String(epochMs(r))],
      ]),
      headers: browserHeaders(r, "page"),
    }),
  ],
  [
    "query:prose",
    (r) => ({
      method: "GET",
      path: pick(r, ["/v1/translate", "/v1/spellcheck", "/v1/sentiment"]),
      query: jsQuery([
        ["text", prose(r)],
        ["target", pick(r, ["en", "de", "fr", "ja"])],
      ]),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  // ---- paths
  [
    "path:slug",
    (r) => ({
      method: "GET",
      path: pick(r, [
        `/wiki/${enc("Rock_'n'_roll")}`.replace(/%27/g, "'"),
        "/wiki/O'Brien",
        "/wiki/L%27%C3%89tranger",
        `/p/${enc(pick(r, ["o-briens-story", "the-union-of-two-teams", "select-the-right-size", "drop-shipping-101", "sleep-better"]))}`,
        `/products/${enc(pick(r, ["levis-501", "dr-martens-1460", "cafe-au-lait-mug"]))}`,
        `/u/${enc(pick(r, ["d'angelo", "o.brien", "zoë", "mary-kate"]))}`,
        `/tag/${enc(pick(r, TAGS))}`,
        `/search/${enc(pick(r, SEARCH_QUERIES))}`,
        `/files/${enc(pick(r, ["report 2024 (final).pdf", "O'Brien – contract v2.pdf", "résumé.docx", "презентация.pptx"]))}`,
        `/${pick(r, ["de", "fr", "ja"])}/${enc(pick(r, ["kategorie/herren-schuhe", "catégorie/l'été", "カテゴリ/靴"]))}`,
      ]),
      headers: browserHeaders(r, "page"),
    }),
  ],
  [
    "path:rest",
    (r) => ({
      method: pick(r, ["GET", "GET", "DELETE", "HEAD"]),
      path: `/v1/${pick(r, ["orders", "users", "projects", "invoices"])}/${pick(r, [String(int(r, 1, 99999)), uuid(r), `ord_${alnum(r, 14)}`])}${pick(r, ["", "/items", "/events", "/pdf"])}`,
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  // ---- form bodies
  [
    "form:login",
    (r) => ({
      method: "POST",
      path: "/login",
      contentType: "application/x-www-form-urlencoded",
      body: form([
        ["authenticity_token", b64(bytes(r, 64))],
        ["user[email]", person(r).email],
        [
          "user[password]",
          pick(r, [
            "S3cure!Pass#2024",
            "hunter2",
            "correct horse battery staple",
            "Tr0ub4dor&3",
            "P@ssw0rd!",
            "p@$$w0rd;",
            "Ünïcødé-Pässwörd",
            "it's-my-dog's-name",
            '"quoted"pass',
            "1 or 2 words",
          ]),
        ],
        ["user[remember_me]", "1"],
        ["commit", "Log in"],
      ]),
      headers: browserHeaders(r, "page", { origin: "https://shop.example.com" }),
    }),
  ],
  [
    "form:signup",
    (r) => {
      const p = person(r);
      return {
        method: "POST",
        path: "/signup",
        contentType: "application/x-www-form-urlencoded",
        body: form([
          ["first_name", p.first],
          ["last_name", p.last],
          ["email", p.email],
          [
            "username",
            pick(r, ["jane_doe", "o.brien", "d'angelo88", "zoë", "mary-kate", "x_Æ_a-12", "select", "admin_anna"]),
          ],
          ["password", `${alnum(r, 10)}!`],
          ["password_confirmation", `${alnum(r, 10)}!`],
          ["phone", p.phone],
          ["birthday", date(r).replace("2024", String(int(r, 1950, 2005)))],
          ["country", address(r).country],
          ["newsletter", pick(r, ["on", "0"])],
          ["terms", "1"],
          ["g-recaptcha-response", `03A${b64url(bytes(r, 300))}`],
        ]),
        headers: browserHeaders(r, "page"),
      };
    },
  ],
  [
    "form:contact",
    (r) => {
      const p = person(r);
      return {
        method: "POST",
        path: pick(r, ["/contact", "/kontakt", "/support/new"]),
        contentType: "application/x-www-form-urlencoded",
        body: form([
          ["_token", alnum(r, 40)],
          ["name", p.name],
          ["email", p.email],
          ["company", pick(r, COMPANIES)],
          ["subject", pick(r, SUBJECTS)],
          ["message", chance(r, 0.5) ? letter(r) : prose(r)],
          ["consent", "yes"],
        ]),
        headers: browserHeaders(r, "page"),
      };
    },
  ],
  [
    "form:checkout",
    (r) => {
      const p = person(r);
      const a = address(r);
      return {
        method: "POST",
        path: "/?wc-ajax=checkout",
        contentType: "application/x-www-form-urlencoded; charset=UTF-8",
        body: form([
          ["billing_first_name", p.first],
          ["billing_last_name", p.last],
          ["billing_company", chance(r, 0.3) ? pick(r, COMPANIES) : ""],
          ["billing_country", a.country],
          ["billing_address_1", a.line1],
          ["billing_address_2", a.line2 ?? ""],
          ["billing_city", a.city],
          ["billing_state", a.region ?? ""],
          ["billing_postcode", a.postcode],
          ["billing_phone", p.phone],
          ["billing_email", p.email],
          [
            "order_comments",
            pick(r, [
              "",
              "Please leave it with the neighbour at no. 14 if I'm out.",
              "Gift — no invoice in the box, please!",
              "Ring twice; the bell's broken.",
              prose(r),
            ]),
          ],
          ["payment_method", pick(r, ["stripe", "paypal", "bacs"])],
          ["terms", "on"],
          ["woocommerce-process-checkout-nonce", hex(r, 5)],
          ["_wp_http_referer", "/?wc-ajax=update_order_review"],
        ]),
        headers: browserHeaders(r, "fetch"),
      };
    },
  ],
  [
    "form:comment",
    (r) => {
      const p = person(r);
      return {
        method: "POST",
        path: "/wp-comments-post.php",
        contentType: "application/x-www-form-urlencoded",
        body: form([
          ["comment", chance(r, 0.7) ? prose(r) : pick(r, REVIEWS)],
          ["author", p.name],
          ["email", p.email],
          ["url", chance(r, 0.4) ? pick(r, URLS) : ""],
          ["wp-comment-cookies-consent", "yes"],
          ["submit", "Post Comment"],
          ["comment_post_ID", String(int(r, 1, 5000))],
          ["comment_parent", "0"],
        ]),
        headers: browserHeaders(r, "page"),
      };
    },
  ],
  [
    "form:newsletter",
    (r) => ({
      method: "POST",
      path: "/newsletter",
      contentType: "application/x-www-form-urlencoded",
      body: form([
        ["EMAIL", person(r).email],
        ["FNAME", person(r).first],
        ["interests[]", pick(r, ["deals", "news", "tips & tricks"])],
        ["b_" + hex(r, 12), ""],
      ]),
      headers: browserHeaders(r, "page"),
    }),
  ],
  [
    "form:profile",
    (r) => {
      const p = person(r);
      return {
        method: "POST",
        path: "/account/profile",
        contentType: "application/x-www-form-urlencoded",
        body: form([
          ["_method", "patch"],
          ["profile[display_name]", p.name],
          ["profile[bio]", prose(r)],
          ["profile[website]", pick(r, URLS)],
          ["profile[location]", address(r).city],
          ["profile[pronouns]", pick(r, ["she/her", "he/him", "they/them", ""])],
        ]),
        headers: browserHeaders(r, "page"),
      };
    },
  ],
  [
    "form:job-application",
    (r) => {
      const p = person(r);
      return {
        method: "POST",
        path: "/careers/apply",
        contentType: "application/x-www-form-urlencoded",
        body: form([
          ["job_id", String(int(r, 100, 999))],
          ["full_name", p.name],
          ["email", p.email],
          ["phone", p.phone],
          [
            "linkedin",
            `https://www.linkedin.com/in/${p.last.toLowerCase().replace(/[^a-z]/g, "")}-${alnum(r, 6).toLowerCase()}`,
          ],
          ["portfolio", pick(r, URLS)],
          ["salary", pick(r, ["€60k–70k", "$120,000 + equity", "negotiable", "55.000 € brutto/Jahr"])],
          ["cover_letter", letter(r)],
          ["source", pick(r, ["LinkedIn", "a friend's blog", "Google", "Stack Overflow"])],
        ]),
        headers: browserHeaders(r, "page"),
      };
    },
  ],
  [
    "form:oauth-token",
    (r) => ({
      method: "POST",
      path: "/oauth/token",
      contentType: "application/x-www-form-urlencoded",
      body: form([
        ["grant_type", pick(r, ["authorization_code", "refresh_token"])],
        ["code", b64url(bytes(r, 32))],
        ["redirect_uri", "https://app.example.com/auth/callback"],
        ["client_id", alnum(r, 20)],
        ["code_verifier", b64url(bytes(r, 48))],
        ["refresh_token", jwt(r)],
      ]),
      headers: {
        "user-agent": UA.libs(r),
        accept: "application/json",
        authorization: `Basic ${b64(`${alnum(r, 20)}:${alnum(r, 40)}`)}`,
      },
    }),
  ],
  [
    "form:search-post",
    (r) => ({
      method: "POST",
      path: "/search",
      contentType: "application/x-www-form-urlencoded",
      body: form([
        ["s", pick(r, SEARCH_QUERIES)],
        ["post_type", "product"],
        ["orderby", pick(r, ["price", "price-desc", "date", "popularity"])],
      ]),
      headers: browserHeaders(r, "page"),
    }),
  ],
  [
    "form:payment",
    (r) => ({
      method: "POST",
      path: "/v1/payment_methods",
      contentType: "application/x-www-form-urlencoded",
      body: form([
        ["type", "card"],
        ["card[number]", "4242424242424242"],
        ["card[cvc]", String(int(r, 100, 999))],
        ["card[exp_month]", String(int(r, 1, 12))],
        ["card[exp_year]", String(int(r, 25, 32))],
        ["billing_details[name]", person(r).name],
        ["billing_details[address][line1]", address(r).line1],
        ["billing_details[address][postal_code]", address(r).postcode],
        ["guid", uuid(r)],
        ["muid", uuid(r)],
        ["payment_user_agent", "stripe.js/2f0b8f8a; stripe-js-v3/2f0b8f8a; card-element"],
        ["time_on_page", String(int(r, 1000, 99999))],
      ]),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  // ---- JSON bodies
  [
    "json:review",
    (r) => ({
      method: "POST",
      path: `/v1/products/${int(r, 1, 9999)}/reviews`,
      contentType: "application/json",
      body: JSON.stringify({
        rating: int(r, 1, 5),
        title: pick(r, REVIEWS),
        body: prose(r),
        author: { name: person(r).name, verified: chance(r, 0.7) },
        locale: pick(r, LANGS),
        photos: chance(r, 0.2) ? [`https://cdn.example.com/ugc/${uuid(r)}.jpg`] : [],
      }),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "json:ticket",
    (r) => {
      const p = person(r);
      return {
        method: "POST",
        path: "/v1/tickets",
        contentType: "application/json",
        body: JSON.stringify({
          subject: pick(r, SUBJECTS),
          description: letter(r),
          priority: pick(r, ["low", "normal", "high", "urgent"]),
          requester: { name: p.name, email: p.email },
          tags: [pick(r, TAGS), pick(r, TAGS)],
          custom_fields: [{ id: int(r, 1e6, 9e6), value: `ORD-${int(r, 10000, 99999)}` }],
          via: { channel: "web" },
        }),
        headers: browserHeaders(r, "fetch"),
      };
    },
  ],
  [
    "json:chat",
    (r) => ({
      method: "POST",
      path: `/v1/conversations/${uuid(r)}/messages`,
      contentType: "application/json",
      body: JSON.stringify({
        type: "text",
        text: chance(r, 0.8) ? prose(r) : pick(r, REVIEWS),
        client_msg_id: uuid(r),
        reply_to: chance(r, 0.2) ? uuid(r) : null,
        sent_at: isoTime(r),
      }),
      headers: browserHeaders(r, "any"),
    }),
  ],
  [
    "json:cart",
    (r) => ({
      method: "POST",
      path: "/v1/cart/items",
      contentType: "application/json",
      body: JSON.stringify({
        items: Array.from({ length: int(r, 1, 4) }, () => ({
          sku: `SKU-${int(r, 1000, 9999)}-${pick(r, ["S", "M", "L", "XL", "42", "32/34"])}`,
          quantity: int(r, 1, 3),
          title: pick(r, PRODUCT_TITLES),
          properties: chance(r, 0.3)
            ? { engraving: pick(r, ["To my D'Arcy ♥", "J & M 2024", "Love, Mum", "Semper Fi"]) }
            : {},
        })),
        coupon: chance(r, 0.3) ? pick(r, ["SPRING20", "WELCOME-10", "O'BRIEN5", "FREESHIP"]) : null,
        gift_message: chance(r, 0.3) ? prose(r) : "",
      }),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "json:checkout",
    (r) => {
      const p = person(r);
      const a = address(r);
      return {
        method: "POST",
        path: "/v1/checkout",
        contentType: "application/json",
        body: JSON.stringify({
          email: p.email,
          shipping_address: {
            first_name: p.first,
            last_name: p.last,
            company: chance(r, 0.2) ? pick(r, COMPANIES) : null,
            address1: a.line1,
            address2: a.line2 ?? "",
            city: a.city,
            province: a.region ?? "",
            zip: a.postcode,
            country_code: a.country,
            phone: p.phone,
          },
          billing_same_as_shipping: chance(r, 0.8),
          shipping_rate: pick(r, ["standard", "express", "pickup"]),
          note: chance(r, 0.3) ? prose(r) : "",
          accepts_marketing: chance(r, 0.4),
          payment: { provider: "stripe", token: `tok_${alnum(r, 24)}` },
        }),
        headers: browserHeaders(r, "fetch"),
      };
    },
  ],
  [
    "json:order-webhook",
    (r) => ({
      method: "POST",
      path: "/v1/webhooks/orders",
      contentType: "application/json",
      body: JSON.stringify({
        id: int(r, 1e9, 9e9),
        name: `#${int(r, 1000, 9999)}`,
        created_at: isoTime(r),
        currency: pick(r, ["EUR", "USD", "GBP"]),
        total_price: money(r),
        customer: { first_name: person(r).first, last_name: person(r).last, email: person(r).email },
        line_items: Array.from({ length: int(r, 1, 3) }, () => ({
          title: pick(r, PRODUCT_TITLES),
          quantity: int(r, 1, 3),
          price: money(r),
          vendor: pick(r, COMPANIES),
        })),
        note_attributes: [{ name: "gift_note", value: pick(r, REVIEWS) }],
        tags: `${pick(r, TAGS)}, ${pick(r, TAGS)}`,
      }),
      headers: {
        "user-agent": "Shopify-Captain-Hook",
        accept: "*/*",
        "x-shopify-hmac-sha256": b64(bytes(r, 32)),
        "x-shopify-topic": "orders/create",
        "x-shopify-shop-domain": "example.myshopify.com",
      },
    }),
  ],
  [
    "json:stripe-webhook",
    (r) => ({
      method: "POST",
      path: "/v1/webhooks/stripe",
      contentType: "application/json; charset=utf-8",
      body: JSON.stringify({
        id: `evt_${alnum(r, 24)}`,
        object: "event",
        type: pick(r, ["payment_intent.succeeded", "customer.updated", "invoice.paid", "charge.refunded"]),
        data: {
          object: {
            id: `pi_${alnum(r, 24)}`,
            amount: int(r, 100, 99999),
            currency: "eur",
            description: pick(r, PRODUCT_TITLES),
            receipt_email: person(r).email,
            shipping: { name: person(r).name, address: { line1: address(r).line1, city: address(r).city } },
            metadata: {
              order_id: String(int(r, 1000, 9999)),
              note: pick(r, ["", "O'Brien order", "gift; no receipt", "select + union bundle"]),
            },
          },
        },
      }),
      headers: {
        "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        accept: "*/*; q=0.5, application/xml",
        "stripe-signature": `t=${Math.floor(epochMs(r) / 1000)},v1=${hex(r, 32)},v0=${hex(r, 32)}`,
      },
    }),
  ],
  [
    "json:crm-contact",
    (r) => {
      const p = person(r);
      const a = address(r);
      return {
        method: "POST",
        path: "/v1/contacts",
        contentType: "application/json",
        body: JSON.stringify({
          properties: {
            firstname: p.first,
            lastname: p.last,
            email: p.email,
            phone: p.phone,
            company: pick(r, COMPANIES),
            jobtitle: pick(r, [
              "Head of Ops",
              "VP, Sales & Marketing",
              "Exec Assistant",
              "CTO / co-founder",
              "Union liaison",
              "Sys admin",
            ]),
            address: a.line1,
            city: a.city,
            zip: a.postcode,
            country: a.country,
            website: pick(r, URLS),
            notes: prose(r),
          },
          associations: [
            {
              to: { id: int(r, 1, 99999) },
              types: [{ associationCategory: "HUBSPOT_DEFINED", associationTypeId: 279 }],
            },
          ],
        }),
        headers: browserHeaders(r, "fetch"),
      };
    },
  ],
  [
    "json:invite",
    (r) => ({
      method: "POST",
      path: `/v1/workspaces/${alnum(r, 10)}/invitations`,
      contentType: "application/json",
      body: JSON.stringify({
        invitations: Array.from({ length: int(r, 1, 5) }, () => ({
          email: person(r).email,
          role: pick(r, ["admin", "member", "viewer", "billing"]),
        })),
        message: chance(r, 0.5) ? prose(r) : "",
        redirect_url: "https://app.example.com/welcome?source=invite",
      }),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "json:settings",
    (r) => ({
      method: "PATCH",
      path: "/v1/me/settings",
      contentType: "application/merge-patch+json",
      body: JSON.stringify({
        display_name: person(r).name,
        locale: pick(r, ["en-US", "de-DE", "pt-BR", "ja-JP", "ar-SA"]),
        timezone: pick(r, ["Europe/Istanbul", "Asia/Kolkata", "America/Argentina/Buenos_Aires"]),
        notifications: {
          email: { digest: pick(r, ["daily", "weekly", "never"]), mentions: true },
          push: { enabled: chance(r, 0.5), quiet_hours: { from: "22:00", to: "07:00" } },
        },
        signature: `${person(r).name}\n${pick(r, COMPANIES)}\n${person(r).phone}`,
        date_format: pick(r, ["DD.MM.YYYY", "MM/DD/YYYY", "YYYY-MM-DD"]),
        theme: pick(r, ["dark", "light", "system"]),
      }),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "json:webhook-config",
    (r) => ({
      method: "POST",
      path: "/v1/webhooks",
      contentType: "application/json",
      body: JSON.stringify({
        url: pick(r, [
          "https://hooks.example.com/incoming/abc123",
          "https://api.example.org/v2/events?source=shop",
          "https://hooks.slack.com/services/T0000/B0000/XXXXXXXX",
          "https://example.com/webhook.php?key=abc",
        ]),
        events: [
          pick(r, ["order.created", "order.paid", "customer.deleted", "subscription.updated"]),
          "order.refunded",
        ],
        secret: `whsec_${alnum(r, 32)}`,
        description: pick(r, [
          "Sync to ERP",
          "Notify #sales channel",
          "Select events for the union dashboard",
          "Zapier → Google Sheets",
        ]),
        active: true,
      }),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "json:project",
    (r) => ({
      method: "POST",
      path: "/v1/projects",
      contentType: "application/json",
      body: JSON.stringify({
        name: pick(r, [
          "Website relaunch",
          "Q3 roadmap",
          "O'Brien account",
          "Union Station kiosk",
          "Drop 3 — summer",
          "Select & Save campaign",
        ]),
        description: prose(r),
        visibility: pick(r, ["private", "team", "public"]),
        members: [uuid(r), uuid(r)],
        due_date: date(r),
        labels: [pick(r, TAGS), pick(r, TAGS)],
        budget: { amount: int(r, 1000, 90000), currency: "EUR" },
      }),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "json:task",
    (r) => ({
      method: "PATCH",
      path: `/v1/tasks/${int(r, 1, 99999)}`,
      contentType: "application/json",
      body: JSON.stringify({
        title: pick(r, [
          "Fix the 'or' branch in the pricing rule",
          "Drop legacy table after migration",
          "Select vendor for the union event",
          "Update docs",
          "Review PR #123 & merge",
          "Call Mrs. O'Connor re: invoice",
          "Order by Friday!",
        ]),
        status: pick(r, ["todo", "in_progress", "done"]),
        assignee: person(r).email,
        comment: chance(r, 0.5) ? prose(r) : null,
        due: isoTime(r),
      }),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "json:graphql",
    (r) => {
      const g = pick(r, GRAPHQL);
      return {
        method: "POST",
        path: "/graphql",
        contentType: "application/json",
        body: JSON.stringify({ operationName: g.op, query: g.q, variables: g.v(r) }),
        headers: browserHeaders(r, "fetch"),
      };
    },
  ],
  [
    "json:graphql-batch",
    (r) => ({
      method: "POST",
      path: "/graphql",
      contentType: "application/json",
      body: JSON.stringify(
        [pick(r, GRAPHQL), pick(r, GRAPHQL)].map((g) => ({ operationName: g.op, query: g.q, variables: g.v(r) })),
      ),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "json:analytics-batch",
    (r) => ({
      method: "POST",
      path: "/v1/batch",
      contentType: pick(r, ["application/json", "text/plain;charset=UTF-8"]),
      body: JSON.stringify({
        batch: Array.from({ length: int(r, 1, 4) }, () => ({
          type: pick(r, ["track", "page", "identify"]),
          event: pick(r, ["Product Searched", "Product Viewed", "Order Completed", "Signed Up"]),
          anonymousId: uuid(r),
          userId: chance(r, 0.5) ? String(int(r, 1, 99999)) : null,
          properties: {
            query: pick(r, SEARCH_QUERIES),
            product: pick(r, PRODUCT_TITLES),
            revenue: Number(money(r)),
            url: pick(r, URLS),
            referrer: pick(r, REFERERS),
            title: pick(r, PRODUCT_TITLES),
          },
          context: {
            userAgent: UA[pick(r, DESKTOP)](r),
            locale: pick(r, ["en-US", "de-DE", "tr-TR"]),
            page: { path: "/search", search: `?q=${enc(pick(r, SEARCH_QUERIES))}` },
          },
          timestamp: isoTime(r),
          messageId: `ajs-next-${hex(r, 16)}`,
        })),
        sentAt: isoTime(r),
        writeKey: alnum(r, 32),
      }),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "json:cms-markdown",
    (r) => ({
      method: "PUT",
      path: `/v1/content/${pick(r, ["home", "faq", "about", "blog-post-7", "release-notes"])}`,
      contentType: "application/json",
      body: JSON.stringify({
        title: pick(r, PRODUCT_TITLES),
        slug: pick(r, ["rock-n-roll", "o-briens-story", "select-your-plan"]),
        body: pick(r, MARKDOWN_DOCS)(r),
        seo: { title: pick(r, PRODUCT_TITLES), description: prose(r, "en") },
        published_at: isoTime(r),
        locale: pick(r, LANGS),
      }),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "json:ai-question",
    (r) => ({
      method: "POST",
      path: "/v1/ai/ask",
      contentType: "application/json",
      body: JSON.stringify({
        messages: [
          { role: "system", content: "You are a friendly shopping assistant. Answer in the user's language." },
          {
            role: "user",
            content: pick(r, [
              prose(r),
              `${pick(r, ["What's the difference between", "Can you compare"])} ${pick(r, PRODUCT_TITLES)} and ${pick(r, PRODUCT_TITLES)}?`,
              `Translate into ${pick(r, ["German", "Turkish", "Japanese"])}: "${pick(r, PROSE_BY_LANG.en!)}"`,
              "How do I select the union of two lists in Excel, or is there a formula for that?",
              "Is it bad to sleep 5 hours a night? Asking for a friend :)",
              "Where's the order history? I can't find it from the menu.",
            ]),
          },
        ],
        temperature: 0.3,
        stream: chance(r, 0.5),
      }),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "json:jwt",
    (r) => ({
      method: "POST",
      path: pick(r, ["/v1/auth/session", "/v1/auth/google", "/v1/auth/refresh"]),
      contentType: "application/json",
      body: JSON.stringify({
        id_token: jwt(r),
        refresh_token: chance(r, 0.5) ? jwt(r, { typ: "refresh" }) : `rt_${b64url(bytes(r, 48))}`,
        device: { id: uuid(r), name: pick(r, ["Anna's iPhone", "D'Arcy's MacBook Pro", "Pixel 8", "LIVING-ROOM-TV"]) },
      }),
      headers: browserHeaders(r, "app"),
    }),
  ],
  [
    "json:upload-base64",
    (r) => ({
      method: "POST",
      path: pick(r, ["/v1/me/avatar", "/v1/receipts", "/v1/attachments"]),
      contentType: "application/json",
      body: JSON.stringify({
        filename: pick(r, ["avatar.jpg", "Receipt – Café de l'Union.png", "scan 12.03.2024.pdf", "IMG_4412.HEIC"]),
        content_type: pick(r, ["image/jpeg", "image/png", "application/pdf"]),
        data: chance(r, 0.5)
          ? `data:image/jpeg;base64,${b64(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...bytes(r, int(r, 90, 600))]))}`
          : b64(new Uint8Array([0x25, 0x50, 0x44, 0x46, ...bytes(r, int(r, 90, 600))])),
        caption: chance(r, 0.4) ? prose(r) : "",
      }),
      headers: browserHeaders(r, "app"),
    }),
  ],
  [
    "json:push-register",
    (r) => ({
      method: "POST",
      path: "/v1/devices",
      contentType: "application/json",
      body: JSON.stringify({
        platform: pick(r, ["ios", "android", "web"]),
        token: chance(r, 0.5) ? hex(r, 32) : `${alnum(r, 11)}:APA91b${b64url(bytes(r, 105))}`,
        subscription: {
          endpoint: `https://fcm.googleapis.com/fcm/send/${alnum(r, 11)}:${b64url(bytes(r, 100))}`,
          keys: { p256dh: b64url(bytes(r, 65)), auth: b64url(bytes(r, 16)) },
        },
        app_version: `${int(r, 4, 6)}.${int(r, 0, 9)}.${int(r, 0, 9)}`,
      }),
      headers: browserHeaders(r, "app"),
    }),
  ],
  [
    "json:csv-import",
    (r) => {
      const h = pick(r, CSV_HEADERS);
      return {
        method: "POST",
        path: "/v1/imports",
        contentType: "application/json",
        body: JSON.stringify({
          format: "csv",
          delimiter: h.includes(";") ? ";" : ",",
          has_header: true,
          content: csvRows(r, h, int(r, 2, 8)),
        }),
        headers: browserHeaders(r, "fetch"),
      };
    },
  ],
  [
    "json:calendar-event",
    (r) => {
      const a = address(r);
      return {
        method: "POST",
        path: "/v1/calendars/primary/events",
        contentType: "application/json",
        body: JSON.stringify({
          summary: pick(r, [
            "Exec sync",
            "Union meeting",
            "1:1 w/ O'Brien",
            "Drop-in hours",
            "Sleep study appointment",
            "Dinner @ Dell'Orso",
          ]),
          location: `${a.line1}, ${a.postcode} ${a.city}`,
          description: prose(r),
          start: { dateTime: isoTime(r), timeZone: "Europe/Berlin" },
          end: { dateTime: isoTime(r), timeZone: "Europe/Berlin" },
          attendees: [{ email: person(r).email }, { email: person(r).email, optional: true }],
          conferenceData: { entryPoints: [{ uri: "https://meet.example.com/abc-defg-hij", entryPointType: "video" }] },
          reminders: { useDefault: false, overrides: [{ method: "popup", minutes: 10 }] },
        }),
        headers: browserHeaders(r, "fetch"),
      };
    },
  ],
  [
    "json:survey",
    (r) => ({
      method: "POST",
      path: `/v1/forms/${alnum(r, 8)}/responses`,
      contentType: "application/json",
      body: JSON.stringify({
        answers: [
          {
            question: "How did you hear about us?",
            answer: pick(r, [
              "From a friend's blog",
              "Google",
              "A union newsletter",
              'Podcast ("The Daily Drop")',
              "Can't remember",
            ]),
          },
          { question: "What could we do better?", answer: prose(r) },
          {
            question: "Select all that apply",
            answer: [pick(r, ["price", "delivery", "quality"]), pick(r, ["support", "app", "website"])],
          },
          { question: "On a scale of 1-10?", answer: int(r, 1, 10) },
        ],
        submitted_at: isoTime(r),
        hidden: { utm_source: pick(r, ["email", "sms"]), customer_id: String(int(r, 1, 99999)) },
      }),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "json:i18n",
    (r) => ({
      method: "PUT",
      path: `/v1/translations/${pick(r, ["de", "fr", "es", "pt-BR", "it", "nl", "pl", "tr", "ru", "el", "ja", "zh-CN", "ar", "hi"])}`,
      contentType: "application/json",
      body: JSON.stringify({
        "cart.title": pick(r, [
          "Warenkorb",
          "Panier",
          "Carrito",
          "Carrinho",
          "Sepet",
          "Корзина",
          "カート",
          "购物车",
          "سلة التسوق",
        ]),
        "cart.items": "{count, plural, one {# item} other {# items}}",
        "checkout.greeting": "Hello, {{name}}!",
        "orders.empty": pick(r, [
          "You haven't ordered anything yet.",
          "Du hast noch nichts bestellt.",
          "Vous n'avez encore rien commandé.",
          "Henüz sipariş vermediniz.",
        ]),
        "search.placeholder": pick(r, ["Search products…", "Produkte suchen …", "Rechercher…", "検索…"]),
        "errors.payment": "Payment failed (%s). Please try again or select another method.",
        "footer.copyright": "© 2024 %{company}. All rights reserved.",
      }),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "json:error-report",
    (r) => ({
      method: "POST",
      path: "/api/1234567/envelope/",
      contentType: "text/plain;charset=UTF-8",
      body: `${JSON.stringify({ event_id: hex(r, 16), sent_at: isoTime(r), sdk: { name: "sentry.javascript.browser", version: "7.109.0" } })}\n${JSON.stringify({ type: "event" })}\n${JSON.stringify(
        {
          exception: {
            values: [
              {
                type: pick(r, ["TypeError", "ChunkLoadError", "Error"]),
                value: pick(r, [
                  "Cannot read properties of undefined (reading 'select')",
                  "Loading chunk 412 failed.\n(error: https://shop.example.com/_next/static/chunks/412.js)",
                  "Failed to fetch",
                  "null is not an object (evaluating 'e.items.length')",
                  "Request failed with status code 422",
                ]),
                stacktrace: {
                  frames: [
                    {
                      filename: "https://shop.example.com/_next/static/chunks/pages/_app-1a2b3c.js",
                      function: "onSelect",
                      lineno: 1,
                      colno: int(r, 1000, 90000),
                      in_app: true,
                    },
                    { filename: "<anonymous>", function: "Array.map", lineno: 1, colno: 1 },
                  ],
                },
              },
            ],
          },
          request: { url: pick(r, URLS), headers: { "User-Agent": UA[pick(r, DESKTOP)](r) } },
          breadcrumbs: {
            values: [
              { category: "ui.click", message: 'body > div#__next > main > form > button.checkout[type="submit"]' },
              { category: "navigation", data: { from: "/cart", to: "/checkout?step=shipping" } },
            ],
          },
          environment: "production",
          release: `web@${int(r, 1, 9)}.${int(r, 0, 40)}.0`,
        },
      )}`,
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "json:csp-report",
    (r) => ({
      method: "POST",
      path: "/csp-report",
      contentType: "application/csp-report",
      body: JSON.stringify({
        "csp-report": {
          "document-uri": pick(r, URLS),
          referrer: pick(r, REFERERS),
          "violated-directive": pick(r, ["script-src-elem", "img-src", "style-src-attr", "connect-src"]),
          "effective-directive": "script-src-elem",
          "original-policy":
            "default-src 'self'; script-src 'self' 'nonce-abc123' https://js.stripe.com; img-src 'self' data: https:; report-uri /csp-report",
          disposition: "enforce",
          "blocked-uri": pick(r, ["inline", "eval", "https://cdn.tracker.example/x.js", "data", "chrome-extension"]),
          "line-number": int(r, 1, 900),
          "source-file": "https://shop.example.com/static/app.js",
          "status-code": 200,
          "script-sample": "",
        },
      }),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "json:nested-prose",
    (r) => ({
      method: "POST",
      path: "/v1/notes",
      contentType: "application/json",
      body: JSON.stringify({
        title: pick(r, SUBJECTS),
        blocks: Array.from({ length: int(r, 1, 4) }, () =>
          pick(r, [
            { type: "paragraph", text: prose(r) },
            { type: "quote", text: `“${pick(r, PROSE_BY_LANG.en!)}”`, cite: person(r).name },
            { type: "list", items: [pick(r, REVIEWS), pick(r, SEARCH_QUERIES)] },
            { type: "link", href: pick(r, URLS), label: pick(r, PRODUCT_TITLES) },
          ]),
        ),
        pinned: chance(r, 0.2),
        shared_with: [person(r).email],
      }),
      headers: browserHeaders(r, "any"),
    }),
  ],
  // ---- multipart
  [
    "multipart:avatar",
    (r) => {
      const p = person(r);
      const m = multipart(r, [
        { name: "name", value: p.name },
        { name: "bio", value: prose(r) },
        {
          name: "avatar",
          filename: pick(r, ["me.jpg", "IMG_2024-03-12 10.42.png", "profilbild (1).jpg"]),
          type: "image/jpeg",
          value: binary(r, [0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46], int(r, 40, 160)),
        },
      ]);
      return { method: "POST", path: "/account/avatar", ...m, headers: browserHeaders(r, "page") };
    },
  ],
  [
    "multipart:document",
    (r) => {
      const h = pick(r, CSV_HEADERS);
      const kind = pick(r, ["csv", "md", "txt", "pdf"]);
      const m = multipart(r, [
        { name: "title", value: pick(r, [...SUBJECTS, ...PRODUCT_TITLES]) },
        { name: "description", value: prose(r) },
        {
          name: "file",
          filename: pick(
            r,
            {
              csv: ["customers.csv", "Export 2024-03 (Müller & Söhne).csv"],
              md: ["README.md", "notes – O'Brien.md"],
              txt: ["letter.txt", "Brief an Frau D'Angelo.txt"],
              pdf: ["invoice #4412.pdf", "contract (signed).pdf"],
            }[kind]!,
          ),
          type: { csv: "text/csv", md: "text/markdown", txt: "text/plain", pdf: "application/pdf" }[kind]!,
          value:
            kind === "csv"
              ? csvRows(r, h, int(r, 2, 6))
              : kind === "md"
                ? pick(r, MARKDOWN_DOCS)(r)
                : kind === "txt"
                  ? letter(r)
                  : binary(r, [0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x37], int(r, 40, 160)),
        },
      ]);
      return { method: "POST", path: "/v1/documents", ...m, headers: browserHeaders(r, "page") };
    },
  ],
  [
    "multipart:form",
    (r) => {
      const p = person(r);
      const m = multipart(r, [
        { name: "full_name", value: p.name },
        { name: "email", value: p.email },
        { name: "order_number", value: `#${int(r, 1000, 99999)}` },
        { name: "reason", value: pick(r, ["Wrong size", "Damaged", "Changed my mind", "Doesn't match the photo"]) },
        { name: "message", value: letter(r) },
        { name: "photos[]", filename: "", type: "application/octet-stream", value: "" },
      ]);
      return { method: "POST", path: "/returns/new", ...m, headers: browserHeaders(r, "page") };
    },
  ],
  [
    "multipart:app-upload",
    (r) => {
      const m = multipart(r, [
        {
          name: "metadata",
          type: "application/json",
          value: JSON.stringify({
            caption: prose(r),
            location: address(r).city,
            taken_at: isoTime(r),
            tags: [pick(r, TAGS)],
          }),
        },
        {
          name: "image",
          filename: "upload.heic",
          type: "image/heic",
          value: binary(r, [0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70], int(r, 40, 160)),
        },
      ]);
      return { method: "POST", path: "/v1/posts", ...m, headers: browserHeaders(r, "app") };
    },
  ],
  // ---- text bodies
  [
    "text:csv",
    (r) => ({
      method: "POST",
      path: "/v1/import/csv",
      contentType: "text/csv; charset=utf-8",
      body: csvRows(r, pick(r, CSV_HEADERS), int(r, 3, 12)),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "text:note",
    (r) => ({
      method: "POST",
      path: "/v1/notes/raw",
      contentType: "text/plain; charset=utf-8",
      body: chance(r, 0.5) ? letter(r) : pick(r, MARKDOWN_DOCS)(r),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "text:beacon",
    (r) => ({
      method: "POST",
      path: "/v1/rum",
      contentType: "text/plain;charset=UTF-8",
      body: JSON.stringify({
        name: pick(r, ["LCP", "CLS", "INP", "FCP", "TTFB"]),
        value: r() * 3000,
        rating: pick(r, ["good", "needs-improvement", "poor"]),
        id: `v3-${epochMs(r)}-${int(r, 1e12, 9e12)}`,
        navigationType: pick(r, ["navigate", "reload", "back-forward"]),
        page: pick(r, URLS),
        attribution: {
          element: pick(r, [
            "#main>div.hero>img",
            "body>div#root>header>nav>ul>li:nth-child(2)>a",
            'form.search>input[name="q"]',
          ]),
        },
      }),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "xml:soap",
    (r) => {
      const x = (s: string) =>
        s
          .replaceAll("&", "&amp;")
          .replaceAll("<", "&lt;")
          .replaceAll(">", "&gt;")
          .replaceAll("'", "&apos;")
          .replaceAll('"', "&quot;");
      const p = person(r);
      const a = address(r);
      return {
        method: "POST",
        path: "/soap/customers",
        contentType: "text/xml; charset=utf-8",
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header><Auth><Token>${jwt(r)}</Token></Auth></soap:Header><soap:Body><UpdateCustomer xmlns="https://example.com/crm"><Name>${x(p.name)}</Name><Email>${x(p.email)}</Email><Street>${x(a.line1)}</Street><City>${x(a.city)}</City><Note>${x(prose(r))}</Note></UpdateCustomer></soap:Body></soap:Envelope>`,
        headers: {
          "user-agent": UA.libs(r),
          accept: "text/xml",
          soapaction: '"https://example.com/crm/UpdateCustomer"',
        },
      };
    },
  ],
  // ---- headers and cookies only
  [
    "headers:page",
    (r) => ({
      method: "GET",
      path: pick(r, ["/", "/products", "/p/o-briens-story", "/cart", "/account", "/blog", "/de/", "/fr/", "/ja/"]),
      headers: browserHeaders(r, "page"),
    }),
  ],
  [
    "headers:asset",
    (r) => ({
      method: "GET",
      path: pick(r, [
        "/static/js/main.4f3a2b.js",
        "/static/css/app.9c8d7e.css",
        "/img/logo.svg",
        "/favicon.ico",
        "/fonts/Inter-roman.var.woff2?v=3.19",
        "/_next/static/chunks/pages/_app-1a2b3c.js",
      ]),
      headers: {
        ...browserHeaders(r, "fetch"),
        accept: pick(r, [
          "*/*",
          "text/css,*/*;q=0.1",
          "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
          "font/woff2",
        ]),
      },
    }),
  ],
  [
    "headers:api",
    (r) => ({
      method: "GET",
      path: pick(r, ["/v1/me", "/v1/orders?status=open", "/v1/notifications?unread=true", "/v1/feature-flags"]).split(
        "?",
      )[0]!,
      query: chance(r, 0.5)
        ? jsQuery([
            ["fields", "id,name,email"],
            ["expand[]", "customer"],
          ])
        : undefined,
      headers: browserHeaders(r, "app"),
    }),
  ],
  [
    "headers:bot",
    (r) => ({
      method: "GET",
      path: pick(r, ["/", "/robots.txt", "/sitemap.xml", "/p/o-briens-story", "/products/levis-501"]),
      headers: {
        "user-agent": chance(r, 0.3) ? UA.googlebot() : UA.bots(r),
        accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "accept-encoding": "gzip, deflate, br",
        from: chance(r, 0.3) ? "googlebot(at)googlebot.com" : "bingbot(at)microsoft.com",
      },
    }),
  ],
  [
    "headers:lib",
    (r) => ({
      method: pick(r, ["GET", "POST"]),
      path: pick(r, ["/v1/items", "/v1/health", "/v1/status"]),
      headers: {
        "user-agent": UA.libs(r),
        accept: "application/json",
        authorization: pick(r, [
          `Bearer ${jwt(r)}`,
          `Basic ${b64(`${person(r).email}:${alnum(r, 16)}`)}`,
          `Token token="${alnum(r, 32)}"`,
          `ApiKey ${alnum(r, 40)}`,
        ]),
        "x-request-id": uuid(r),
        "idempotency-key": uuid(r),
      },
    }),
  ],
  [
    "headers:cors-preflight",
    (r) => ({
      method: "OPTIONS",
      path: pick(r, ["/v1/search", "/graphql", "/v1/cart/items"]),
      headers: {
        "user-agent": UA[pick(r, DESKTOP)](r),
        accept: "*/*",
        origin: pick(r, ["https://app.example.com", "https://shop.example.com", "http://localhost:5173"]),
        "access-control-request-method": pick(r, ["POST", "PUT", "PATCH", "DELETE"]),
        "access-control-request-headers": pick(r, [
          "content-type, authorization",
          "content-type,x-csrf-token,x-requested-with",
          "authorization,sentry-trace,baggage",
        ]),
        "sec-fetch-mode": "cors",
      },
    }),
  ],
];

/** `count` everyday requests, deterministic for `seed`, each tagged with its template. */
export function benignRequests(count: number, seed: number): TaggedRequest[] {
  const r = rng(seed);
  const out: TaggedRequest[] = [];
  for (let i = 0; i < count; i++) {
    const [name, make] = T[i % T.length]!;
    const req = make(r);
    if (req.query === undefined) delete req.query;
    out.push({ ...req, placement: name });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// code group

const FENCE: Record<string, string> = {
  javascript: "js",
  typescript: "ts",
  python: "python",
  bash: "bash",
  sql: "sql",
  html: "html",
  css: "css",
  php: "php",
  go: "go",
  rust: "rust",
  java: "java",
  csharp: "csharp",
  yaml: "yaml",
};
const FILE_EXT: Record<string, string> = {
  javascript: "js",
  typescript: "ts",
  python: "py",
  bash: "sh",
  sql: "sql",
  html: "html",
  css: "css",
  php: "php",
  go: "go",
  rust: "rs",
  java: "java",
  csharp: "cs",
  yaml: "yml",
  json: "json",
  markdown: "md",
  powershell: "ps1",
  dockerfile: "Dockerfile",
  nginx: "conf",
};

const CODE_SHAPES: Array<[name: string, make: (r: Rand, s: Snippet) => CorpusRequest]> = [
  [
    "snippet-json",
    (r, s) => ({
      method: "POST",
      path: "/v1/snippets",
      contentType: "application/json",
      body: JSON.stringify({
        title: pick(r, ["Untitled", "Top customers", "Helper", "Quick fix", "from the docs", "Why does this fail?"]),
        language: s.lang,
        code: s.code,
        visibility: pick(r, ["private", "team", "public"]),
      }),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "ai-question",
    (r, s) => ({
      method: "POST",
      path: "/v1/ai/ask",
      contentType: "application/json",
      body: JSON.stringify({
        messages: [
          {
            role: "user",
            content: `${pick(r, ["Why does this not work?", "Can you explain this code?", "How do I make this faster?", "Was macht dieser Code?", "Pourquoi ce code ne marche pas ?", "このコードの意味は？"])}\n\n\`\`\`${FENCE[s.lang] ?? s.lang}\n${s.code}\n\`\`\``,
          },
        ],
        stream: true,
      }),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "issue-comment",
    (r, s) => ({
      method: "POST",
      path: `/v1/repos/example/app/issues/${int(r, 1, 999)}/comments`,
      contentType: "application/json",
      body: JSON.stringify({
        body: `${prose(r, "en")}\n\n\`\`\`${FENCE[s.lang] ?? ""}\n${s.code}\n\`\`\`\n\n${pick(r, ["Any idea?", "Works on my machine 🤷", "cc @obrien", "Fixed in #1234."])}`,
      }),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "notebook-cell",
    (r, s) => ({
      method: "PUT",
      path: `/v1/notebooks/${uuid(r)}`,
      contentType: "application/json",
      body: JSON.stringify({
        cells: [
          { cell_type: "markdown", source: [`## ${pick(r, SUBJECTS)}`] },
          {
            cell_type: "code",
            execution_count: int(r, 1, 40),
            metadata: { language: s.lang },
            source: s.code.split("\n").map((l, i, a) => (i < a.length - 1 ? `${l}\n` : l)),
            outputs: [],
          },
        ],
        metadata: { kernelspec: { name: s.lang === "python" ? "python3" : s.lang } },
      }),
      headers: browserHeaders(r, "fetch"),
    }),
  ],
  [
    "forum-form",
    (r, s) => ({
      method: "POST",
      path: "/forum/posts",
      contentType: "application/x-www-form-urlencoded",
      body: form([
        ["topic_id", String(int(r, 1, 9999))],
        ["raw", `${prose(r, "en")}\n\n\`\`\`\n${s.code}\n\`\`\``],
        ["category", pick(r, ["help", "dev", "show-and-tell"])],
      ]),
      headers: browserHeaders(r, "page"),
    }),
  ],
  [
    "file-upload",
    (r, s) => {
      const m = multipart(r, [
        { name: "description", value: pick(r, ["my script", "see attached", "config from prod (redacted)"]) },
        { name: "file", filename: `snippet.${FILE_EXT[s.lang] ?? "txt"}`, type: "text/plain", value: s.code },
      ]);
      return { method: "POST", path: "/v1/gists", ...m, headers: browserHeaders(r, "page") };
    },
  ],
];

/** Every code snippet in every request shape (class `ordinary-code`). */
export function codeRequests(seed: number): TaggedRequest[] {
  const r = rng(seed);
  const out: TaggedRequest[] = [];
  for (const [group, list] of [
    ["code", CODE_PLAIN],
    ["code-jc", CODE_JUDGMENT],
  ] as const) {
    for (const s of list) {
      for (const [name, make] of CODE_SHAPES) {
        const req = make(r, s);
        // Only the code itself is under test here: drop the cookie that carries a search query.
        if (req.headers?.cookie !== undefined)
          req.headers.cookie = req.headers.cookie
            .split("; ")
            .filter((c) => !c.startsWith("last_search="))
            .join("; ");
        out.push({ ...req, placement: `${group}:${name}` });
      }
    }
  }
  return out;
}
