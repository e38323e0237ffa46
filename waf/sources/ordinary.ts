/**
 * Ordinary traffic for the false-positive side of the evaluation: templates and word lists
 * written for this corpus, expanded with a seeded PRNG into realistic requests (REST calls,
 * searches with quotes and apostrophes, names like O'Brien, forms, JSON with prose and code
 * snippets, markdown, GraphQL, analytics beacons, e-commerce filters, URLs in parameters,
 * unicode, files, dates, emails). Deterministic: the same seed gives the same corpus.
 */
import type { CorpusRequest } from "../corpus.ts";

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const USER_AGENTS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
  "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36 Edg/123.0.2420.81",
  "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
  "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
  "curl/8.5.0",
  "python-requests/2.31.0",
  "okhttp/4.12.0",
  "Go-http-client/2.0",
  "axios/1.6.8",
  "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
  "PostmanRuntime/7.37.3",
  "Dalvik/2.1.0 (Linux; U; Android 13; SM-S918B Build/TP1A.220624.014)",
  "MyShopApp/5.2.1 (iOS 17.4; iPhone15,2; Scale/3.00)",
  "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
  "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
  "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko",
  "Wget/1.21.4",
  "Java/17.0.10",
  "Apache-HttpClient/4.5.14 (Java/17.0.10)",
  "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36",
  "UptimeRobot/2.0 (http://www.uptimerobot.com/)",
  "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
  "GitHub-Hookshot/a1b2c3d",
];

const FIRST = [
  "Anna",
  "Liam",
  "Sofía",
  "Noah",
  "Chloé",
  "Mateo",
  "Zoë",
  "Oliver",
  "Aoife",
  "Siobhán",
  "Ethan",
  "Mia",
  "Jürgen",
  "Björn",
  "Łukasz",
  "Ines",
  "Kwame",
  "Priya",
  "Hiroshi",
  "Mei",
  "Ahmed",
  "Fatima",
  "José",
  "François",
  "Nguyễn",
  "Ólafur",
  "Renée",
  "D'Arcy",
  "Jean-Luc",
  "Mary-Kate",
  "Dae-jung",
  "Thandiwe",
  "Raphaël",
  "Søren",
  "Ana Lucía",
];
const LAST = [
  "O'Brien",
  "D'Angelo",
  "O'Neil",
  "McDonald",
  "van der Berg",
  "Smith-Jones",
  "Müller",
  "García Márquez",
  "Dell'Acqua",
  "N'Diaye",
  "L'Estrange",
  "O'Connor",
  "D'Souza",
  "Østergaard",
  "Nakamura",
  "Kowalski",
  "Nguyen",
  "St. James",
  "de la Cruz",
  "Al-Farsi",
  "Ó Súilleabháin",
  "Brown",
  "Lee",
  "Patel",
  "Rossi",
  "Dubois",
  "Yılmaz",
  "Ivanova",
  "Li",
  "Kim",
];
const DOMAINS = ["example.com", "example.org", "mail.example.net", "acme.co.uk", "startup.io", "uni.example.edu"];
const CITIES = [
  "São Paulo",
  "Zürich",
  "Kraków",
  "Reykjavík",
  "Côte d'Azur",
  "L'Aquila",
  "Coeur d'Alene",
  "Dún Laoghaire",
  "New York",
  "Köln",
  "Málaga",
  "Tōkyō",
  "Québec",
  "Saint-Étienne",
  "Washington, D.C.",
  "Winston-Salem",
  "Martha's Vineyard",
  "Hawai'i",
];

/** Search queries people type, including quotes, apostrophes, operators and SQL-ish words. */
const SEARCHES = [
  "rock and roll",
  "rock 'n' roll",
  '"rock and roll" hall of fame',
  "o'brien",
  "D'Angelo Russell stats",
  "mcdonald's near me",
  "don't stop believin'",
  "it's a wonderful life",
  "select committee report 2024",
  "union station chicago",
  "credit union select savings",
  "drop shipping suppliers",
  "table tennis and badminton",
  "where is my order",
  "or and and in boolean logic",
  "1 or 2 bedroom apartments",
  "best laptop under $1000",
  "50% off shoes",
  "C++ vs C#",
  "node.js tutorial",
  "how to use --force flag in git",
  "what's 7*7",
  "100% cotton t-shirt",
  "5'10\" height in cm",
  '"exact phrase" -exclude',
  'title:"annual report" filetype:pdf',
  "cats & dogs",
  "salt & pepper shakers",
  "Q&A session",
  "AT&T support",
  "Tom's & Jerry's",
  "beyoncé",
  "crème brûlée recipe",
  "naïve bayes",
  "straße",
  "東京 ラーメン",
  "서울 맛집",
  "москва погода",
  "مرحبا",
  "😀 emoji meaning",
  "select all that apply",
  "insert coin",
  "delete my account",
  "update shipping address",
  "create new playlist",
  "drop the mic",
  "alter ego",
  "truncate text css",
  "grant application deadline",
  "exec summary template",
  "sleep 8 hours",
  "benchmark gpu",
  "shell beach",
  "python vs java",
  "php developer jobs",
  "java coffee beans",
  "ruby ring",
  "perl jam",
  "bash birthday party",
  "curl hair tutorial",
  "cat food",
  "id card renewal",
  "whoami song",
  "ping pong table",
  "net worth",
  "type 2 diabetes",
  "dir en grey",
  "echo dot",
  "<3 love",
  "a < b < c",
  "x > 5 and y < 3",
  "price >= 10 and price <= 20",
  "size=M&color=blue",
  "#hashtag trends",
  "@mention help",
  "$HOME directory",
  "${variable} syntax",
  "{{mustache}} templates",
  "template literals in js",
  "what does ../ mean",
  "/etc/hosts file windows equivalent",
  "C:\\Program Files (x86)",
  "~/.bashrc aliases",
  "rm vs rmdir",
  "semi;colon usage",
  "pipe | character",
  "back`tick",
  "double \"quotes\" and 'single' quotes",
  "it's; not; a; list",
  "OR 2024",
  "and/or",
  "1=1 meaning",
  "why is 0.1+0.2 != 0.3",
  "jquery $(document).ready",
  "react useEffect",
  "java.util.List example",
  "spring boot @Autowired",
  "{{ }} angular binding",
  "<div> vs <span>",
  "<br> tag",
  "html <script> tag explained",
  "javascript: void(0)",
  "onclick vs addEventListener",
  "SELECT * FROM table",
  "left join vs inner join",
  "sql union vs union all",
  "how to drop a column in postgres",
  "admin login page",
  "passwd command linux",
  "what is /proc",
  "file:// urls in chrome",
  "localhost:3000 not working",
  "127.0.0.1 vs localhost",
  "192.168.1.1 router login",
  "https://example.com",
  "www.example.org/page",
  "ftp server setup",
  "ldap vs active directory",
  "jndi explained",
  "log4j vulnerability fix",
  "dear sir/madam",
  "90's music",
  "rock'n'roll",
  "ain't no mountain high enough",
  "'til death do us part",
  "'80s fashion",
  "Dave's Killer Bread",
  "the king's speech",
  "children's books",
  "women's shoes size 8",
  "men's watches",
  "St. Patrick's Day",
  "New Year's Eve",
  "Valentine's Day gifts",
];

const PROSE = [
  "Great product! I'd buy it again. Shipping was fast and the packaging was nice.",
  "Please select the union option in the drop-down and then click Save.",
  "I'd like to drop the reservation for Friday and book Saturday instead, if that's OK?",
  "The union of sets A and B contains every element that is in A or in B (or both).",
  "Can you update my address? It's 12 O'Connell St., Apt. #4B, Dublin 1.",
  "We met at Ben & Jerry's; the cat café next door was closed.",
  "Select all that apply: red, green, or blue. Then press Enter; you're done!",
  "My name's Siobhán O'Neill and I'm writing about order #10423 — it hasn't arrived.",
  "He said \"it'll be fine\" and left; she wasn't so sure.",
  "Use the --force flag only if you know what you're doing -- it overwrites history.",
  "Rock 'n' roll never dies. Neither does the '80s synth-pop I grew up with.",
  "The table is 5' 10\" long and 3' wide; does that fit a 6' x 4' room?",
  "Dinner at 8; movie at 10 — or should we skip the movie and just grab drinks?",
  "Price went from $50 to $45 (10% off) & shipping is free over $35.",
  "Ich hätte gern eine Rückerstattung für die Bestellung vom 3. März. Danke!",
  "Merci pour votre aide ! L'article est arrivé aujourd'hui, en parfait état.",
  "¿Dónde está mi pedido? Lo compré hace dos semanas y aún no llega.",
  "配送はいつになりますか？よろしくお願いします。",
  "The exec summary is attached; please review the 'risks' section before Monday.",
  "Our system (v2.3) will be down for maintenance between 2:00 and 3:00 UTC.",
  "Where 1 + 1 = 2 in arithmetic, in boolean logic 1 OR 1 is still 1.",
  "If x < 10 and y > 20, the point lies outside the rectangle; otherwise it's inside.",
  "Quick question: is the 'Pro' plan billed monthly or annually? Thanks :)",
  "Loved the hike near Coeur d'Alene! Trail was muddy but worth it <3",
  "I can't log in — it says my password is wrong, but I just reset it.",
  "See the attached file (report_final_v2.pdf) for Q3 numbers & commentary.",
  "Hi team, we're moving the stand-up to 9:30; agenda: 1) releases 2) incidents 3) AOB.",
  "The word 'select' appears in the title, and so does 'union' — coincidence?",
  "Is it possible to order by phone? My card keeps getting declined online.",
  "Kindly delete my account and all associated data per GDPR Art. 17.",
  "First, cd into the project folder; then run the install script and wait.",
  "Note: C:\\Users\\Public\\Documents is shared by all users on this PC.",
  "See ../docs/setup.md for details, or the FAQ at https://example.com/faq#install.",
  "I paid with PayPal (transaction ID 9XY12345AB6789012) — can you check?",
  "Email me at jane.o'hara@example.com or call +1 (555) 010-9999 ext. 42.",
  "The 'drop table' in the conference room needs fixing; it wobbles.",
  "Java, PHP, Python and Ruby are all fine for the backend; we picked TypeScript.",
  "Tip: wrap the variable in ${} when you use template literals in JavaScript.",
  "In Handlebars you write {{name}}; in Jinja it's {{ name }} and {% for x in y %}.",
  "The <b>bold</b> text and <i>italic</i> text look fine, but <br> breaks the layout.",
  "Results: 7 * 7 = 49 and 12 / 4 = 3; the kids loved the quiz.",
  "Mom's recipe: 2 cups flour, 1/2 cup sugar, a pinch of salt; bake at 180°C for 25'.",
  "Our office is at 1600 Amphitheatre Pkwy; visitors check in at the front desk.",
  "I think the bug is in the 'or' branch: when both flags are false it still returns true.",
  "Ship to: Ms. D'Arcy L'Estrange, c/o Acme Ltd., 221B Baker St, London NW1 6XE",
  "Pls cancel my subscription; I'm moving abroad & won't need it anymore.",
  "We're hiring! Senior engineer (Go/Rust), remote-friendly; apply at careers@startup.io.",
  "Meeting notes — decisions: keep pricing; drop feature X; revisit in Q2.",
  "Hey! Are you going to the concert on Saturday? Tickets are €45 each.",
  "It's 72°F and sunny in San Diego; perfect beach weather if you ask me.",
];

const CODE_SNIPPETS = [
  "SELECT id, name, email FROM users WHERE created_at > '2024-01-01' ORDER BY created_at DESC LIMIT 20;",
  "SELECT * FROM orders WHERE status = 'shipped' AND total > 100",
  "INSERT INTO products (sku, name, price) VALUES ('SKU-1', 'T-shirt', 19.99);",
  "UPDATE accounts SET balance = balance - 10 WHERE id = 42;",
  "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, created_at TEXT DEFAULT CURRENT_TIMESTAMP);",
  "SELECT c.name, COUNT(o.id) AS orders FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.name HAVING COUNT(o.id) > 5;",
  "SELECT name FROM staff UNION SELECT name FROM contractors ORDER BY name;",
  "WITH recent AS (SELECT * FROM events WHERE ts > now() - interval '1 day') SELECT type, count(*) FROM recent GROUP BY type;",
  "const total = items.reduce((sum, item) => sum + item.price * item.qty, 0);",
  "fetch('/api/users?page=2').then((r) => r.json()).then(console.log);",
  "if (a < b && c > d) { return a; } else { return b || c; }",
  'export function Card({ title }) { return <div className="card"><h2>{title}</h2></div>; }',
  "<button onClick={() => setCount(count + 1)}>Clicked {count} times</button>",
  "def add(a, b):\n    return a + b\n\nprint(add(2, 3))",
  "import os\nfrom pathlib import Path\n\nroot = Path(os.getcwd())\nprint(sorted(p.name for p in root.iterdir()))",
  "for (let i = 0; i < 10; i++) {\n  console.log(`row ${i}`);\n}",
  "const greeting = `Hello, ${user.firstName}! You have ${count} new messages.`;",
  "git checkout -b feature/login && git push -u origin feature/login",
  "npm install && npm run build",
  "docker run --rm -p 8080:80 nginx:alpine",
  "kubectl get pods -n production | grep api",
  "ls -la ~/projects",
  ".card { display: flex; gap: 1rem; } .card:hover { box-shadow: 0 2px 8px rgba(0,0,0,.2); }",
  '<ul class="menu"><li><a href="/home">Home</a></li><li><a href="https://example.com/about">About</a></li></ul>',
  '<img src="/img/logo.png" alt="Logo" width="120">',
  'func main() {\n\tfmt.Println("hello, world")\n}',
  "public static void main(String[] args) {\n    List<String> names = new ArrayList<>();\n    System.out.println(names.size());\n}",
  "SELECT ARRAY_AGG(tag ORDER BY tag) FROM post_tags WHERE post_id = $1",
  "{% for item in items %}<li>{{ item.name }}</li>{% endfor %}",
  "Hello {{ user.name }}, your order {{ order.id }} has shipped.",
  "<%= link_to 'Profile', user_path(@user) %>",
  "$ curl -H 'Accept: application/json' https://api.example.com/v1/items",
  "awk -F, '{ print $2 }' data.csv",
  "let re = /^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$/i;",
  "SELECT * FROM users WHERE email LIKE '%@example.com';",
  "rows.filter(r => r.status !== 'archived' && r.owner === me).map(r => r.id)",
  "x = [i ** 2 for i in range(10) if i % 2 == 0]",
  'fn main() { let v: Vec<i32> = (1..=5).collect(); println!("{:?}", v); }',
];

const MARKDOWN = [
  "# Getting started\n\nInstall the CLI and log in:\n\n```bash\nnpm install -g example-cli\nexample login\nexample deploy --prod\n```\n\nThen open the dashboard. See [the docs](https://docs.example.com/start) for more.",
  "## Release notes\n\n- Fixed a bug where `select` inputs lost focus\n- Added **union** types to the schema\n- Dropped support for Node 16\n\n> Upgrade with `npm i example@latest`.",
  "| Field | Type | Notes |\n|---|---|---|\n| id | uuid | primary key |\n| name | text | required |\n| email | text | unique |",
  "### FAQ\n\n**Q: Can I use it offline?**\nA: Yes — run `example serve` and open http://localhost:3000.\n\n**Q: Where are logs?**\nA: In `~/.example/logs` (or `%APPDATA%\\example\\logs` on Windows).",
  'Steps to reproduce:\n1. Go to Settings → Billing\n2. Click "Update card"\n3. Enter 4242 4242 4242 4242, exp 12/34, CVC 123\n\nExpected: saved. Actual: spinner forever.',
  "## Query example\n\n```sql\nSELECT id, title\nFROM posts\nWHERE published = true\nORDER BY created_at DESC;\n```\n\nUse `LIMIT` to paginate.",
  "Meeting notes (2024-03-12)\n\n* Attendees: Priya, Tom, D'Arcy\n* Decision: keep the `v1` API; deprecate `/legacy/*` in Q3\n* Action: Tom to update the runbook",
  "```js\nconst res = await fetch(`/api/items?cursor=${cursor}`);\nif (!res.ok) throw new Error(`HTTP ${res.status}`);\n```",
  "Shopping list:\n- milk & eggs\n- bread (sourdough, if they've got it)\n- coffee — the 'good' one\n- 2 lbs apples",
  "To reset your password, click the link in the email. If it doesn't arrive within 5 minutes, check spam or contact support@example.com.",
];

const PRODUCTS = [
  "Men's Trail Running Shoe",
  "Women's Rain Jacket (Navy)",
  "Kids' Lego Set #42115",
  '4K TV 55"',
  "Coffee Grinder - Burr",
  "Levi's 501 Jeans",
  "L'Oréal Shampoo 250ml",
  "Dr. Martens 1460 Boots",
  "Ben & Jerry's Cookie Dough",
  "Crème de la Mer",
  "USB-C Cable 2m (3-pack)",
  "O'Neill Wetsuit 4/3mm",
];
const CATEGORIES = [
  "shoes",
  "jackets",
  "toys",
  "electronics",
  "kitchen",
  "beauty",
  "home-garden",
  "books",
  "sports-outdoors",
  "women's-clothing",
];
const FILES = [
  "report-2024 (final).pdf",
  "résumé_Jane Doe.docx",
  "IMG_20240312_101530.jpg",
  "budget Q3 & Q4.xlsx",
  "notes.md",
  "O'Brien - contract v2.pdf",
  "screenshot 2024-05-01 at 10.42.11.png",
  "data.csv",
  "backup.tar.gz",
  "презентация.pptx",
];
const PASSWORDS = [
  "S3cure!Pass#2024",
  "hunter2",
  "correct horse battery staple",
  "Tr0ub4dor&3",
  "P@ssw0rd!",
  "Summer2024!",
  "p@$$w0rd;",
  "ilovemydog",
  "Zx9!mQ2#",
  "Ünïcødé-Pässwörd",
  "my password is long and has spaces",
  "12345678",
];
const REFERERS = [
  "https://www.google.com/",
  "https://www.google.com/search?q=rock+%27n%27+roll+shoes",
  "https://www.bing.com/search?q=o%27brien+pub",
  "https://shop.example.com/cart",
  "https://t.co/AbCdEf123",
  "https://news.ycombinator.com/item?id=39000000",
  "https://www.example.org/blog/2024/03/why-we-moved?utm_source=newsletter&utm_medium=email",
  "android-app://com.google.android.gm/",
];

export type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const enc = encodeURIComponent;
const qs = (pairs: Array<[string, string]>) =>
  pairs.map(([k, v]) => `${enc(k)}=${enc(v).replace(/%20/g, "+")}`).join("&");

function date(r: Rand): string {
  return `2024-${String(int(r, 1, 12)).padStart(2, "0")}-${String(int(r, 1, 28)).padStart(2, "0")}`;
}
function person(r: Rand) {
  const first = pick(r, FIRST);
  const last = pick(r, LAST);
  const local = `${first}.${last}`
    .toLowerCase()
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^a-z.'+-]/g, "");
  return { first, last, name: `${first} ${last}`, email: `${local}${r() < 0.3 ? "+news" : ""}@${pick(r, DOMAINS)}` };
}
function headers(r: Rand, extra: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = {
    "user-agent": pick(r, USER_AGENTS),
    accept: pick(r, ["application/json", "*/*", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"]),
  };
  if (r() < 0.5)
    h["accept-language"] = pick(r, [
      "en-US,en;q=0.9",
      "de-DE,de;q=0.9,en;q=0.8",
      "fr-FR,fr;q=0.9",
      "ja,en-US;q=0.7",
      "pt-BR,pt;q=0.9,en-US;q=0.8",
    ]);
  if (r() < 0.4) h.referer = pick(r, REFERERS);
  if (r() < 0.5) {
    const cookies = [
      `session=${Math.floor(r() * 1e16).toString(36)}${Math.floor(r() * 1e16).toString(36)}`,
      `_ga=GA1.2.${int(r, 1e8, 9e8)}.${int(r, 1.6e9, 1.7e9)}`,
    ];
    if (r() < 0.4) cookies.push(`consent=${enc(JSON.stringify({ ads: r() < 0.5, analytics: true, v: 2 }))}`);
    if (r() < 0.3)
      cookies.push(`cart=${enc(JSON.stringify({ items: [{ sku: `SKU-${int(r, 100, 999)}`, qty: int(r, 1, 3) }] }))}`);
    if (r() < 0.3) cookies.push(`last_search=${enc(pick(r, SEARCHES))}`);
    if (r() < 0.2) cookies.push(`theme=dark; lang=${pick(r, ["en", "de", "fr-CA", "pt_BR"])}`);
    h.cookie = cookies.join("; ");
  }
  if (r() < 0.3)
    h.authorization = `Bearer eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLSR7aW50fSIsInJvbGVzIjpbInVzZXIiXX0.${Math.floor(r() * 1e18).toString(36)}_-x`;
  return { ...h, ...extra };
}

type Template = (r: Rand) => CorpusRequest;

const templates: Template[] = [
  // REST reads
  (r) => ({ method: "GET", path: `/v1/products/${int(r, 1, 99999)}`, headers: headers(r) }),
  (r) => ({
    method: "GET",
    path: "/v1/products",
    query: qs([
      ["category", pick(r, CATEGORIES)],
      ["size", String(int(r, 36, 46))],
      ["sort", pick(r, ["price_asc", "-created_at", "relevance", "rating desc"])],
      ["page", String(int(r, 1, 20))],
    ]),
    headers: headers(r),
  }),
  (r) => ({
    method: "GET",
    path: "/v1/products",
    query: `filter%5Bprice%5D%5Bgte%5D=${int(r, 5, 50)}&filter%5Bprice%5D%5Blte%5D=${int(r, 60, 500)}&filter%5Bbrand%5D=${enc(pick(r, ["Levi's", "Dr. Martens", "L'Oréal", "Ben & Jerry's", "H&M", "Marks & Spencer"]))}&include=variants,images`,
    headers: headers(r),
  }),
  (r) => ({
    method: "GET",
    path: "/v1/search",
    query: qs([
      ["q", pick(r, SEARCHES)],
      ["lang", pick(r, ["en", "de", "fr", "ja"])],
    ]),
    headers: headers(r),
  }),
  (r) => ({
    method: "GET",
    path: "/search",
    query: `q=${enc(pick(r, SEARCHES))}&page=${int(r, 1, 5)}`,
    headers: headers(r),
  }),
  (r) => ({
    method: "GET",
    path: "/v1/users",
    query: qs([
      ["name", person(r).name],
      ["city", pick(r, CITIES)],
    ]),
    headers: headers(r),
  }),
  (r) => ({
    method: "GET",
    path: "/v1/orders",
    query: qs([
      ["status", pick(r, ["shipped", "pending", "cancelled", "returned"])],
      ["from", `${date(r)}T00:00:00Z`],
      ["to", `${date(r)}T23:59:59+01:00`],
      ["limit", "50"],
    ]),
    headers: headers(r),
  }),
  (r) => ({
    method: "GET",
    path: `/v1/content/${pick(r, ["home", "about-us", "pricing", "blog-2024-03-why-we-moved", "faq", "terms-of-service", "o-briens-story"])}`,
    headers: headers(r),
  }),
  (r) => ({ method: "GET", path: "/v1/geo", headers: headers(r) }),
  (r) => ({
    method: "GET",
    path: "/healthz",
    headers: {
      "user-agent": pick(r, ["UptimeRobot/2.0 (http://www.uptimerobot.com/)", "kube-probe/1.29", "curl/8.5.0"]),
    },
  }),
  (r) => ({
    method: "GET",
    path: `/v1/rooms/${pick(r, ["lobby", "support-42", "team_alpha", "general"])}/messages`,
    query: `after=${int(r, 0, 9999)}&limit=${int(r, 10, 100)}`,
    headers: headers(r),
  }),
  (r) => ({
    method: "GET",
    path: "/login",
    query: qs([
      [
        "next",
        pick(r, [
          "/dashboard",
          "/account/orders?page=2",
          "/checkout",
          "https://shop.example.com/cart",
          "/settings#billing",
        ]),
      ],
    ]),
    headers: headers(r),
  }),
  (r) => ({
    method: "GET",
    path: "/oauth/callback",
    query: qs([
      ["code", Math.floor(r() * 1e16).toString(36)],
      ["state", Math.floor(r() * 1e16).toString(36)],
      ["redirect_uri", pick(r, ["https://app.example.com/callback", "https://example.org/auth/done", "myapp://oauth"])],
    ]),
    headers: headers(r),
  }),
  (r) => ({
    method: "GET",
    path: "/v1/share",
    query: qs([
      [
        "url",
        pick(r, [
          "https://example.com/x",
          "https://www.example.org/blog/2024/03/why-we-moved?utm_source=tw",
          "https://shop.example.com/products/sku-123?color=red&size=M",
          "https://news.example.net/a/b/c.html#section-2",
        ]),
      ],
      ["title", pick(r, PRODUCTS)],
    ]),
    headers: headers(r),
  }),
  (r) => ({
    method: "GET",
    path: "/",
    query: qs([
      ["utm_source", pick(r, ["google", "newsletter", "facebook", "t.co"])],
      ["utm_medium", pick(r, ["cpc", "email", "social"])],
      ["utm_campaign", pick(r, ["spring_sale_2024", "black-friday", "o'brien-promo", "launch (beta)"])],
      ["gclid", Math.floor(r() * 1e16).toString(36)],
    ]),
    headers: headers(r),
  }),
  (r) => ({ method: "GET", path: `/files/${enc(pick(r, FILES))}`, headers: headers(r) }),
  (r) => ({
    method: "GET",
    path: "/v1/download",
    query: qs([
      ["file", pick(r, FILES)],
      ["disposition", "attachment"],
    ]),
    headers: headers(r),
  }),
  (r) => ({
    method: "GET",
    path: "/v1/calendar",
    query: qs([
      ["date", date(r)],
      ["tz", pick(r, ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "America/Sao_Paulo"])],
      ["view", "week"],
    ]),
    headers: headers(r),
  }),
  (r) => ({
    method: "GET",
    path: "/v1/newsletter/unsubscribe",
    query: qs([
      ["email", person(r).email],
      ["token", Math.floor(r() * 1e16).toString(16)],
    ]),
    headers: headers(r),
  }),
  (r) => ({
    method: "GET",
    path: "/img/resize",
    query: qs([
      [
        "src",
        pick(r, [
          "https://cdn.example.com/img/hero.jpg",
          "/uploads/2024/03/photo.png",
          "https://images.example.org/a/b.webp",
        ]),
      ],
      ["w", String(int(r, 100, 1200))],
      ["q", "80"],
    ]),
    headers: headers(r),
  }),
  (r) => ({ method: "HEAD", path: `/v1/content/${pick(r, ["home", "pricing"])}`, headers: headers(r) }),
  (r) => ({
    method: "OPTIONS",
    path: "/v1/search",
    headers: {
      origin: "https://app.example.com",
      "access-control-request-method": "POST",
      "access-control-request-headers": "content-type, authorization",
      "user-agent": pick(r, USER_AGENTS),
    },
  }),
  (r) => ({ method: "DELETE", path: `/v1/ai/documents/${Math.floor(r() * 1e12).toString(36)}`, headers: headers(r) }),
  // JSON writes
  (r) => {
    const p = person(r);
    return {
      method: "PUT",
      path: "/v1/profile",
      contentType: "application/json",
      body: JSON.stringify({
        firstName: p.first,
        lastName: p.last,
        email: p.email,
        city: pick(r, CITIES),
        bio: pick(r, PROSE),
        website: pick(r, ["https://example.com", "https://jane.dev/blog", ""]),
      }),
      headers: headers(r),
    };
  },
  (r) => ({
    method: "POST",
    path: `/v1/products/${int(r, 1, 999)}/reviews`,
    contentType: "application/json",
    body: JSON.stringify({
      rating: int(r, 1, 5),
      title: pick(r, [
        "Love it!",
        "Meh...",
        "Don't buy",
        "5 stars & then some",
        "Not what I expected :(",
        "Fits true to size",
      ]),
      body: pick(r, PROSE),
      author: person(r).name,
    }),
    headers: headers(r),
  }),
  (r) => ({
    method: "POST",
    path: `/v1/rooms/${pick(r, ["lobby", "support-42", "general"])}/messages`,
    contentType: "application/json",
    body: JSON.stringify({
      event: "chat",
      data: { text: pick(r, [...PROSE, ...SEARCHES]) },
      clientMsgId: Math.floor(r() * 1e12).toString(36),
    }),
    headers: headers(r),
  }),
  (r) => ({
    method: "POST",
    path: "/v1/ai/ask",
    contentType: "application/json",
    body: JSON.stringify({
      question: pick(r, [
        "How do I reset my password?",
        "What's the difference between UNION and UNION ALL?",
        "Can I select multiple items and delete them at once?",
        "Why does `npm install` fail with EACCES?",
        "How do I write a SQL query that returns users who ordered more than 3 times?",
        "Where's the /etc/hosts file on a Mac?",
        "What does ${HOME} mean in bash?",
        "How do I escape a single quote (') in SQL?",
        "Explain the <script> tag's defer attribute.",
        "What is SSRF and how do I prevent it?",
      ]),
      stream: r() < 0.3,
    }),
    headers: headers(r),
  }),
  (r) => ({
    method: "POST",
    path: "/v1/ai/documents",
    contentType: "application/json",
    body: JSON.stringify({
      title: pick(r, ["Onboarding guide", "API reference", "Runbook: incidents", "Release notes 2.4"]),
      text: pick(r, MARKDOWN),
      metadata: { tags: ["docs", pick(r, ["sql", "ops", "frontend"])], author: person(r).name },
    }),
    headers: headers(r),
  }),
  (r) => ({
    method: "PUT",
    path: `/v1/content/${pick(r, ["home", "faq", "pricing", "blog-post-7"])}`,
    contentType: "application/json",
    body: JSON.stringify({
      title: pick(r, PRODUCTS),
      body: pick(r, MARKDOWN),
      variants: { DE: { title: "Willkommen", body: pick(r, PROSE) } },
    }),
    headers: headers(r),
  }),
  (r) => ({
    method: "POST",
    path: "/v1/snippets",
    contentType: "application/json",
    body: JSON.stringify({
      language: pick(r, ["sql", "javascript", "python", "bash", "css", "html", "go", "java", "rust"]),
      title: pick(r, ["Top customers", "Sum of cart", "List files", "Card component", "Hello world"]),
      code: pick(r, CODE_SNIPPETS),
    }),
    headers: headers(r),
  }),
  (r) => ({
    method: "POST",
    path: "/v1/cart/items",
    contentType: "application/json",
    body: JSON.stringify({
      sku: `SKU-${int(r, 1000, 9999)}`,
      qty: int(r, 1, 4),
      options: {
        size: pick(r, ["S", "M", "L", "XL", "10.5", "32/34"]),
        color: pick(r, ["navy", "off-white", "red & black", "Levi's blue"]),
      },
      note: pick(r, ["gift wrap please", "", "It's a present — no invoice in the box!", "leave at door; ring twice"]),
    }),
    headers: headers(r),
  }),
  (r) => {
    const p = person(r);
    return {
      method: "POST",
      path: "/v1/checkout",
      contentType: "application/json",
      body: JSON.stringify({
        shipping: {
          name: p.name,
          line1: `${int(r, 1, 999)} ${pick(r, ["O'Connell St.", "Rue de l'Église", "Main St, Apt #4B", "Baker Street", "Königsallee 12/3"])}`,
          city: pick(r, CITIES),
          postcode: pick(r, ["10115", "SW1A 1AA", "75001", "02134-1234", "100-0001"]),
          country: pick(r, ["DE", "GB", "FR", "US", "JP"]),
        },
        email: p.email,
        phone: pick(r, ["+1 (555) 010-9999", "+49 30 1234567", "+44 20 7946 0958", "03-1234-5678"]),
      }),
      headers: headers(r),
    };
  },
  (r) => ({
    method: "POST",
    path: "/graphql",
    contentType: "application/json",
    body: JSON.stringify({
      query: pick(r, [
        "query GetUser($id: ID!) { user(id: $id) { id name email posts(first: 10) { edges { node { title } } } } }",
        "mutation AddComment($input: CommentInput!) { addComment(input: $input) { id body createdAt } }",
        "query Search($q: String!) { search(query: $q, first: 20) { ... on Product { id name price } ... on Article { id title } } }",
        "{ viewer { login repositories(orderBy: {field: UPDATED_AT, direction: DESC}, first: 5) { nodes { name } } } }",
      ]),
      variables: {
        id: String(int(r, 1, 9999)),
        q: pick(r, SEARCHES),
        input: { postId: String(int(r, 1, 999)), body: pick(r, PROSE) },
      },
      operationName: pick(r, ["GetUser", "AddComment", "Search"]),
    }),
    headers: headers(r),
  }),
  (r) => ({
    method: "POST",
    path: "/v1/events",
    contentType: pick(r, ["text/plain;charset=UTF-8", "application/json"]),
    body: JSON.stringify({
      event: pick(r, ["page_view", "add_to_cart", "search", "click"]),
      url: pick(r, [
        "https://shop.example.com/products/sku-123?color=red",
        "https://example.com/search?q=rock+%27n%27+roll",
        "https://example.com/blog/o-briens-story#comments",
      ]),
      referrer: pick(r, REFERERS),
      ua: pick(r, USER_AGENTS),
      screen: pick(r, ["1920x1080", "390x844", "2560x1440"]),
      ts: 1_700_000_000_000 + int(r, 0, 1e9),
      props: { query: pick(r, SEARCHES), value: int(r, 0, 500) },
    }),
    headers: headers(r),
  }),
  (r) => ({
    method: "POST",
    path: "/csp-report",
    contentType: "application/csp-report",
    body: JSON.stringify({
      "csp-report": {
        "document-uri": "https://example.com/checkout",
        "violated-directive": "script-src-elem",
        "blocked-uri": pick(r, ["https://cdn.tracker.example/x.js", "inline", "eval"]),
        "source-file": "https://example.com/static/app.js",
        "line-number": int(r, 1, 900),
      },
    }),
    headers: headers(r),
  }),
  (r) => ({
    method: "POST",
    path: "/v1/webhooks/stripe",
    contentType: "application/json",
    body: JSON.stringify({
      id: `evt_${Math.floor(r() * 1e16).toString(36)}`,
      type: pick(r, ["payment_intent.succeeded", "customer.updated", "invoice.paid"]),
      data: {
        object: {
          id: `pi_${Math.floor(r() * 1e12).toString(36)}`,
          amount: int(r, 100, 99999),
          currency: "eur",
          description: pick(r, PRODUCTS),
          metadata: { order: String(int(r, 1000, 9999)), note: pick(r, ["", "O'Brien order", "gift; no receipt"]) },
        },
      },
    }),
    headers: {
      ...headers(r),
      "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
      "stripe-signature": `t=${int(r, 1.7e9, 1.71e9)},v1=${Math.floor(r() * 1e16).toString(16)}`,
    },
  }),
  (r) => ({
    method: "PATCH",
    path: `/v1/tasks/${int(r, 1, 9999)}`,
    contentType: "application/merge-patch+json",
    body: JSON.stringify({
      title: pick(r, [
        "Fix the 'or' branch",
        "Drop legacy table after migration",
        "Select vendor",
        "Update docs for ../ paths",
        "Review PR #123 & merge",
      ]),
      done: r() < 0.5,
      due: date(r),
    }),
    headers: headers(r),
  }),
  (r) => ({
    method: "PUT",
    path: "/v1/admin/config",
    contentType: "application/json",
    body: JSON.stringify({
      security: {
        mode: "block",
        blockedCountries: [],
        blockedIps: ["198.51.100.0/24"],
        allowedIps: [],
        blockedAsns: [],
        blockedUserAgents: ["BadBot"],
        maxBodyBytes: 1048576,
        rules: [{ id: "custom-1", action: "block", match: { pathPrefix: "/wp-admin" } }],
      },
      rateLimits: [{ id: "api", match: { pathPrefix: "/v1/" }, limit: 100, windowSeconds: 60, by: "ip" }],
    }),
    headers: headers(r, { "if-match": `"${int(r, 1, 99)}"`, "x-change-reason": "block noisy subnet" }),
  }),
  // forms
  (r) => ({
    method: "POST",
    path: "/login",
    contentType: "application/x-www-form-urlencoded",
    body: qs([
      ["email", person(r).email],
      ["password", pick(r, PASSWORDS)],
      ["remember", "on"],
    ]),
    headers: headers(r),
  }),
  (r) => {
    const p = person(r);
    return {
      method: "POST",
      path: "/contact",
      contentType: "application/x-www-form-urlencoded",
      body: qs([
        ["name", p.name],
        ["email", p.email],
        ["subject", pick(r, ["Order question", "Refund?", "Partnership & press", "Bug: can't select size"])],
        ["message", pick(r, PROSE)],
      ]),
      headers: headers(r),
    };
  },
  (r) => ({
    method: "POST",
    path: "/newsletter",
    contentType: "application/x-www-form-urlencoded; charset=UTF-8",
    body: qs([
      ["email", person(r).email],
      ["topics[]", "deals"],
      ["topics[]", pick(r, ["news", "tips & tricks"])],
    ]),
    headers: headers(r),
  }),
  (r) => ({
    method: "POST",
    path: "/signup",
    contentType: "application/x-www-form-urlencoded",
    body: qs([
      ["username", pick(r, ["jane_doe", "o.brien", "d'angelo88", "zoë", "mary-kate", "x_Æ_a-12"])],
      ["password", pick(r, PASSWORDS)],
      ["password_confirm", pick(r, PASSWORDS)],
      ["city", pick(r, CITIES)],
      ["terms", "1"],
    ]),
    headers: headers(r),
  }),
  (r) => ({
    method: "POST",
    path: "/comments",
    contentType: "application/x-www-form-urlencoded",
    body: qs([
      ["post_id", String(int(r, 1, 999))],
      ["author", person(r).name],
      ["comment", pick(r, [...PROSE, ...MARKDOWN])],
    ]),
    headers: headers(r),
  }),
  // multipart
  (r) => {
    const b = `----WebKitFormBoundary${Math.floor(r() * 1e16).toString(36)}`;
    const file = pick(r, FILES);
    const body = `--${b}\r\nContent-Disposition: form-data; name="title"\r\n\r\n${pick(r, PRODUCTS)}\r\n--${b}\r\nContent-Disposition: form-data; name="description"\r\n\r\n${pick(r, PROSE)}\r\n--${b}\r\nContent-Disposition: form-data; name="file"; filename="${file}"\r\nContent-Type: ${file.endsWith(".csv") ? "text/csv" : file.endsWith(".md") ? "text/markdown" : "application/octet-stream"}\r\n\r\n${file.endsWith(".csv") ? "id,name,city\n1,Anna O'Brien,Dublin\n2,José García,Málaga\n" : file.endsWith(".md") ? pick(r, MARKDOWN) : "\u0089PNG\r\n\u001a\n...binary..."}\r\n--${b}--\r\n`;
    return {
      method: "POST",
      path: "/v1/uploads",
      contentType: `multipart/form-data; boundary=${b}`,
      body,
      headers: headers(r),
    };
  },
  // XML
  (r) => ({
    method: "POST",
    path: "/soap/orders",
    contentType: "text/xml; charset=utf-8",
    body: `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetOrder xmlns="https://example.com/orders"><OrderId>${int(r, 1000, 9999)}</OrderId><Customer>${person(r).name.replaceAll("&", "&amp;").replaceAll("'", "&apos;")}</Customer><Note>${pick(r, PROSE).replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")}</Note></GetOrder></soap:Body></soap:Envelope>`,
    headers: headers(r),
  }),
  (r) => ({
    method: "POST",
    path: "/v1/feeds/import",
    contentType: "application/rss+xml",
    body: `<?xml version="1.0"?><rss version="2.0"><channel><title>${pick(r, ["Tom's Blog", "News &amp; Views", "Rock 'n' Roll Daily"])}</title><link>https://example.com/</link><item><title>${pick(r, ["Why we moved to the edge", "Select, union and other SQL words", "5 tips for O'Brien fans"])}</title><link>https://example.com/p/${int(r, 1, 99)}</link><description><![CDATA[<p>${pick(r, PROSE)}</p>]]></description><pubDate>Tue, 12 Mar 2024 10:00:00 GMT</pubDate></item></channel></rss>`,
    headers: headers(r),
  }),
  (r) => ({
    method: "POST",
    path: "/v1/uploads/svg",
    contentType: "image/svg+xml",
    body: `<svg xmlns="http://www.w3.org/2000/svg" width="${int(r, 16, 512)}" height="${int(r, 16, 512)}" viewBox="0 0 24 24"><title>${pick(r, ["Logo", "Icon: cart & bag", "O'Brien's mark"])}</title><path d="M12 2L2 7l10 5 10-5-10-5z" fill="#${Math.floor(
      r() * 0xffffff,
    )
      .toString(16)
      .padStart(6, "0")}"/></svg>`,
    headers: headers(r),
  }),
  // text
  (r) => ({
    method: "POST",
    path: "/v1/notes",
    contentType: "text/plain; charset=utf-8",
    body: pick(r, [...PROSE, ...MARKDOWN, ...CODE_SNIPPETS]),
    headers: headers(r),
  }),
  (r) => ({
    method: "POST",
    path: "/v1/import/csv",
    contentType: "text/csv",
    body: `name,email,city,notes\n${Array.from({ length: int(r, 2, 6) }, () => {
      const p = person(r);
      return `"${p.name}",${p.email},"${pick(r, CITIES)}","${pick(r, ["VIP", "prefers email; no calls", 'said ""thanks!""', "order #123 & #124"])}"`;
    }).join("\n")}\n`,
    headers: headers(r),
  }),
];

/** `count` ordinary requests from the templates, deterministic for `seed`. */
export function ordinaryRequests(count: number, seed: number): CorpusRequest[] {
  const r = rng(seed);
  const out: CorpusRequest[] = [];
  for (let i = 0; i < count; i++) out.push(templates[i % templates.length]!(r));
  return out;
}
