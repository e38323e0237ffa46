/**
 * Code as developers post it in JSON bodies (snippet stores, issue comments, AI assistants,
 * notebooks, CMS code blocks), written for this corpus. These become the `ordinary-code` class,
 * reported apart from everyday traffic.
 *
 * - `CODE_PLAIN`: code a filter at paranoia level 1 should pass: no injection shape (no
 *   breakout, no event handler, no pipe into a shell, no sensitive path).
 * - `CODE_JUDGMENT`: judgment calls. Each is legitimate developer content, but it has the shape
 *   of an attack (a `<script>` tag, an event handler, a pipe into `sh`, `/etc/passwd`, a SQL
 *   tautology, `eval`, `<?php`, `SLEEP(`, …). A WAF may fairly block these; an endpoint that
 *   takes code would get a custom `allow` rule. The comment on each line says why it is here.
 */

export interface Snippet {
  lang: string;
  code: string;
}

export const CODE_PLAIN: Snippet[] = [
  // SQL: complete statements
  {
    lang: "sql",
    code: "SELECT id, name, email FROM users WHERE created_at >= '2024-01-01' ORDER BY created_at DESC LIMIT 50;",
  },
  {
    lang: "sql",
    code: "SELECT o.id, o.total, c.name\nFROM orders o\nJOIN customers c ON c.id = o.customer_id\nWHERE o.status IN ('paid', 'shipped')\nORDER BY o.total DESC;",
  },
  {
    lang: "sql",
    code: "SELECT country, COUNT(*) AS n\nFROM visits\nGROUP BY country\nHAVING COUNT(*) > 100\nORDER BY n DESC;",
  },
  { lang: "sql", code: "INSERT INTO tags (name, slug) VALUES ('Women''s', 'womens'), ('Kids', 'kids');" },
  { lang: "sql", code: "UPDATE products SET price = price * 0.9 WHERE category = 'summer' AND stock > 0;" },
  { lang: "sql", code: "DELETE FROM sessions WHERE expires_at < now();" },
  { lang: "sql", code: "ALTER TABLE users ADD COLUMN last_login TIMESTAMPTZ;" },
  { lang: "sql", code: "CREATE INDEX CONCURRENTLY idx_orders_customer ON orders (customer_id, created_at DESC);" },
  { lang: "sql", code: "SELECT name FROM employees\nUNION\nSELECT name FROM contractors\nORDER BY name;" },
  {
    lang: "sql",
    code: "WITH monthly AS (\n  SELECT date_trunc('month', created_at) AS m, sum(total) AS revenue\n  FROM orders GROUP BY 1\n)\nSELECT m, revenue, revenue - lag(revenue) OVER (ORDER BY m) AS delta FROM monthly;",
  },
  { lang: "sql", code: "SELECT * FROM products WHERE name ILIKE '%o''brien%';" },
  {
    lang: "sql",
    code: "SELECT u.id, COALESCE(p.display_name, u.email) AS label FROM users u LEFT JOIN profiles p USING (id);",
  },
  { lang: "sql", code: "DROP TABLE IF EXISTS tmp_import;\nCREATE TABLE tmp_import (LIKE products INCLUDING ALL);" },
  {
    lang: "sql",
    code: "SELECT id FROM posts WHERE author_id = $1 AND published = true ORDER BY id DESC LIMIT $2 OFFSET $3",
  },
  {
    lang: "sql",
    code: "BEGIN;\nUPDATE accounts SET balance = balance - 100 WHERE id = 1;\nUPDATE accounts SET balance = balance + 100 WHERE id = 2;\nCOMMIT;",
  },
  // JavaScript / TypeScript
  {
    lang: "javascript",
    code: "const total = cart.items.reduce((sum, it) => sum + it.price * it.qty, 0);\nconsole.log(`Total: ${total.toFixed(2)}`);",
  },
  {
    lang: "javascript",
    code: "export async function getUser(id) {\n  const res = await fetch(`/api/users/${id}`);\n  if (!res.ok) throw new Error(`HTTP ${res.status}`);\n  return res.json();\n}",
  },
  {
    lang: "typescript",
    code: "interface Order { id: string; total: number; status: 'paid' | 'shipped' | 'cancelled' }\nconst open = (o: Order[]) => o.filter((x) => x.status !== 'cancelled');",
  },
  {
    lang: "javascript",
    code: "const debounce = (fn, ms = 300) => {\n  let t;\n  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };\n};",
  },
  { lang: "javascript", code: "app.get('/health', (req, res) => res.json({ ok: true, uptime: process.uptime() }));" },
  {
    lang: "javascript",
    code: "const [count, setCount] = useState(0);\nuseEffect(() => { document.title = `Clicked ${count} times`; }, [count]);",
  },
  { lang: "javascript", code: "items.sort((a, b) => a.name.localeCompare(b.name, 'de', { sensitivity: 'base' }));" },
  {
    lang: "javascript",
    code: "const params = new URLSearchParams(location.search);\nconst page = Number(params.get('page') ?? 1);",
  },
  // Python
  {
    lang: "python",
    code: "def slugify(s: str) -> str:\n    return '-'.join(w.lower() for w in s.split() if w.isalnum())\n\nprint(slugify(\"Rock 'n' Roll\"))",
  },
  {
    lang: "python",
    code: "import csv\n\nwith open('orders.csv', newline='') as f:\n    for row in csv.DictReader(f):\n        print(row['id'], row['total'])",
  },
  {
    lang: "python",
    code: "from dataclasses import dataclass\n\n@dataclass\nclass Point:\n    x: float\n    y: float\n\n    def norm(self) -> float:\n        return (self.x ** 2 + self.y ** 2) ** 0.5",
  },
  { lang: "python", code: "squares = {n: n * n for n in range(10) if n % 2 == 0}\nprint(sorted(squares.items()))" },
  {
    lang: "python",
    code: "df = pd.read_csv('sales.csv')\ndf.groupby('region')['revenue'].sum().sort_values(ascending=False).head(10)",
  },
  {
    lang: "python",
    code: "@app.route('/items/<int:item_id>')\ndef item(item_id):\n    return jsonify(Item.query.get_or_404(item_id).to_dict())",
  },
  // Shell: single commands
  { lang: "bash", code: "npm install --save-dev typescript @types/node" },
  { lang: "bash", code: "git checkout -b fix/login-redirect" },
  { lang: "bash", code: "docker compose up -d --build" },
  { lang: "bash", code: "python3 -m venv .venv\nsource .venv/bin/activate\npip install -r requirements.txt" },
  { lang: "bash", code: "ls -la ~/projects/website" },
  { lang: "bash", code: "kubectl rollout restart deployment/api -n staging" },
  { lang: "bash", code: "export NODE_ENV=production\nnpm run build" },
  { lang: "bash", code: 'for f in *.png; do convert "$f" -resize 50% "small-$f"; done' },
  // HTML / CSS without handlers or scripts
  {
    lang: "html",
    code: '<nav class="main"><a href="/">Home</a> | <a href="/pricing">Pricing</a> | <a href="/blog">Blog</a></nav>',
  },
  {
    lang: "html",
    code: '<form action="/subscribe" method="post">\n  <label for="email">E-mail</label>\n  <input id="email" name="email" type="email" required>\n  <button type="submit">Subscribe</button>\n</form>',
  },
  {
    lang: "html",
    code: "<table>\n  <tr><th>Plan</th><th>Price</th></tr>\n  <tr><td>Basic</td><td>$9</td></tr>\n  <tr><td>Pro</td><td>$29</td></tr>\n</table>",
  },
  {
    lang: "html",
    code: '<picture>\n  <source srcset="/img/hero.avif" type="image/avif">\n  <img src="/img/hero.jpg" alt="Team photo, summer \'23" loading="lazy">\n</picture>',
  },
  {
    lang: "html",
    code: '<select name="size"><option value="s">S</option><option value="m" selected>M</option><option value="l">L</option></select>',
  },
  {
    lang: "css",
    code: ".btn { padding: .5rem 1rem; border-radius: 6px; }\n.btn:hover { background: #0057b8; }\n@media (max-width: 600px) { .btn { width: 100%; } }",
  },
  { lang: "css", code: ".quote::before { content: '\\201C'; }\n.quote::after { content: '\\201D'; }" },
  // Others
  {
    lang: "go",
    code: 'func handler(w http.ResponseWriter, r *http.Request) {\n\tname := r.URL.Query().Get("name")\n\tfmt.Fprintf(w, "Hello, %s!", html.EscapeString(name))\n}',
  },
  {
    lang: "rust",
    code: 'fn main() {\n    let words: Vec<&str> = "select from where".split(\' \').collect();\n    println!("{:?}", words);\n}',
  },
  {
    lang: "java",
    code: "List<String> names = users.stream()\n    .filter(u -> u.isActive())\n    .map(User::getName)\n    .sorted()\n    .collect(Collectors.toList());",
  },
  { lang: "csharp", code: "var adults = people.Where(p => p.Age >= 18).Select(p => p.Name).OrderBy(n => n).ToList();" },
  {
    lang: "yaml",
    code: 'services:\n  web:\n    image: nginx:1.25-alpine\n    ports:\n      - "8080:80"\n    volumes:\n      - ./site:/usr/share/nginx/html:ro',
  },
  {
    lang: "yaml",
    code: "on:\n  push:\n    branches: [main]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: npm ci\n      - run: npm test",
  },
  {
    lang: "json",
    code: '{\n  "compilerOptions": { "target": "ES2022", "module": "ESNext", "strict": true },\n  "include": ["src/**/*"]\n}',
  },
  {
    lang: "markdown",
    code: "## Install\n\n```bash\nnpm install example-sdk\n```\n\n## Usage\n\n```js\nimport { Client } from 'example-sdk';\nconst client = new Client({ apiKey: process.env.EXAMPLE_KEY });\n```",
  },
  { lang: "regex", code: "^(?:\\+?1[-. ]?)?\\(?([0-9]{3})\\)?[-. ]?([0-9]{3})[-. ]?([0-9]{4})$" },
  {
    lang: "graphql",
    code: "query Orders($first: Int = 10, $after: String) {\n  orders(first: $first, after: $after, orderBy: {field: CREATED_AT, direction: DESC}) {\n    pageInfo { hasNextPage endCursor }\n    nodes { id total status }\n  }\n}",
  },
  { lang: "handlebars", code: "<ul>{{#each items}}<li>{{this.name}} — {{currency this.price}}</li>{{/each}}</ul>" },
  {
    lang: "jinja",
    code: "{% for post in posts %}\n  <h2>{{ post.title | e }}</h2>\n  <p>{{ post.summary | truncate(120) }}</p>\n{% endfor %}",
  },
];

export const CODE_JUDGMENT: Snippet[] = [
  // JC: SQL with a tautology, shown in an article explaining SQL injection.
  {
    lang: "sql",
    code: "-- vulnerable: the input ' OR '1'='1 turns this into\nSELECT * FROM users WHERE name = '' OR '1'='1';",
  },
  // JC: UNION SELECT inside a full statement, but with NULL padding that looks like probing.
  { lang: "sql", code: "SELECT id, title, NULL AS author FROM posts UNION ALL SELECT id, NULL, name FROM authors;" },
  // JC: a time function that attacks use for blind injection.
  { lang: "sql", code: "SELECT pg_sleep(2); -- simulate a slow query in the staging db" },
  // JC: MySQL SLEEP in a benchmark.
  { lang: "sql", code: "SELECT SLEEP(1), NOW();" },
  // JC: reads from information_schema, like an enumeration.
  { lang: "sql", code: "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public';" },
  // JC: stacked statements with DROP.
  { lang: "sql", code: "DROP TABLE users; -- don't run this on prod, obviously" },
  // JC: an inline <script> block in an HTML tutorial.
  {
    lang: "html",
    code: "<script>\n  document.getElementById('year').textContent = new Date().getFullYear();\n</script>",
  },
  // JC: the classic first JS lesson.
  { lang: "html", code: "<script>alert('Hello, world!');</script>" },
  // JC: an inline event handler.
  { lang: "html", code: '<button onclick="toggleMenu()">Menu</button>' },
  // JC: an image with onerror fallback, a real pattern in templates.
  { lang: "html", code: '<img src="/avatars/42.png" onerror="this.src=\'/avatars/default.png\'" alt="">' },
  // JC: a third-party embed (iframe + script src).
  {
    lang: "html",
    code: '<iframe width="560" height="315" src="https://www.youtube.com/embed/dQw4w9WgXcQ" allowfullscreen></iframe>\n<script async src="https://platform.example.com/widgets.js"></script>',
  },
  // JC: a javascript: bookmarklet.
  { lang: "javascript", code: "javascript:(function(){document.body.style.filter='invert(1)';})();" },
  // JC: eval, document.cookie.
  { lang: "javascript", code: "const cfg = eval('(' + text + ')'); // legacy, replace with JSON.parse" },
  { lang: "javascript", code: "document.cookie = `theme=${theme}; path=/; max-age=31536000; SameSite=Lax`;" },
  // JC: child_process in Node.
  {
    lang: "javascript",
    code: "const { execSync } = require('child_process');\nconst sha = execSync('git rev-parse HEAD').toString().trim();",
  },
  // JC: prototype in a JS lesson.
  {
    lang: "javascript",
    code: 'const o = JSON.parse(\'{"__proto__": {"x": 1}}\');\nconsole.log(({}).x); // undefined: JSON.parse makes an own property',
  },
  // JC: os.system / subprocess with shell.
  { lang: "python", code: "import os\nos.system('ls -la /var/log')" },
  {
    lang: "python",
    code: "import subprocess\nout = subprocess.run(['cat', '/etc/hostname'], capture_output=True, text=True).stdout",
  },
  // JC: eval/exec in Python.
  { lang: "python", code: "expr = input('> ')\nprint(eval(expr))  # only for the REPL exercise" },
  // JC: pickle.loads is deserialisation.
  { lang: "python", code: "import pickle\nwith open('model.pkl', 'rb') as f:\n    model = pickle.load(f)" },
  // JC: PHP open tag, superglobals.
  {
    lang: "php",
    code: "<?php\n$name = htmlspecialchars($_GET['name'] ?? 'world', ENT_QUOTES);\necho \"Hello, $name!\";\n?>",
  },
  {
    lang: "php",
    code: "<?php\n$pdo = new PDO($dsn, $user, $pass);\n$stmt = $pdo->prepare('SELECT * FROM users WHERE email = ?');\n$stmt->execute([$email]);",
  },
  // JC: PHP shell functions.
  { lang: "php", code: "<?php echo shell_exec('git log -1 --format=%H'); ?>" },
  // JC: pipe into a shell (installer one-liners).
  { lang: "bash", code: "curl -fsSL https://get.example.com/install.sh | sh" },
  { lang: "bash", code: "wget -qO- https://deb.example.org/key.gpg | sudo apt-key add -" },
  // JC: system files.
  { lang: "bash", code: "cat /etc/passwd | cut -d: -f1 | sort" },
  { lang: "bash", code: "sudo tail -f /var/log/nginx/error.log" },
  // JC: destructive chain.
  { lang: "bash", code: "rm -rf node_modules package-lock.json && npm install" },
  // JC: a reverse-shell-looking netcat test.
  { lang: "bash", code: "nc -zv db.internal 5432 && echo 'db reachable'" },
  // JC: command substitution.
  { lang: "bash", code: 'echo "Deployed $(git rev-parse --short HEAD) at $(date -u +%FT%TZ)" >> deploy.log' },
  // JC: PowerShell.
  {
    lang: "powershell",
    code: "Get-ChildItem -Path C:\\Users\\Public -Recurse | Where-Object { $_.Length -gt 1MB } | Select-Object FullName, Length",
  },
  // JC: Windows paths with ..
  { lang: "bat", code: "copy ..\\..\\config\\app.config.example ..\\..\\config\\app.config" },
  // JC: Java reflection / Runtime.
  {
    lang: "java",
    code: 'Process p = Runtime.getRuntime().exec(new String[]{"git", "status"});\nint code = p.waitFor();',
  },
  // JC: Java deserialisation.
  {
    lang: "java",
    code: 'try (ObjectInputStream in = new ObjectInputStream(new FileInputStream("cache.bin"))) {\n    Object o = in.readObject();\n}',
  },
  // JC: template expressions that evaluate.
  { lang: "jinja", code: "{{ config.SITE_NAME }} — {{ request.path }}" },
  { lang: "el", code: '<c:out value="${param.q}"/> ${pageContext.request.contextPath}' },
  // JC: nginx config with internal addresses.
  { lang: "nginx", code: "location /api/ {\n  proxy_pass http://127.0.0.1:8080/;\n  proxy_set_header Host $host;\n}" },
  // JC: Dockerfile with curl | bash.
  {
    lang: "dockerfile",
    code: 'FROM node:20-alpine\nRUN apk add --no-cache curl && curl -fsSL https://example.com/setup.sh | sh\nCOPY . /app\nCMD ["node", "server.js"]',
  },
  // JC: .htaccess with rewrite rules that mention ../ and php.
  {
    lang: "apache",
    code: "RewriteEngine On\nRewriteCond %{REQUEST_FILENAME} !-f\nRewriteRule ^(.*)$ index.php?path=$1 [QSA,L]",
  },
  // JC: SSI directive in legacy HTML.
  { lang: "html", code: '<!--#include virtual="/includes/header.html" -->\n<h1>Welcome</h1>' },
  // JC: LDAP filter in docs.
  { lang: "ldap", code: "(&(objectClass=user)(|(mail=*@example.com)(department=Sales)))" },
  // JC: MongoDB query operators.
  {
    lang: "javascript",
    code: "db.orders.find({ total: { $gt: 100 }, status: { $ne: 'cancelled' } }).sort({ createdAt: -1 })",
  },
  // JC: an HTTP request with headers written out (CRLF in a code block).
  { lang: "http", code: "GET /v1/items HTTP/1.1\r\nHost: api.example.com\r\nAuthorization: Bearer <token>\r\n\r\n" },
  // JC: a Log4j config line with ${} lookups.
  {
    lang: "properties",
    code: "appender.file.fileName = ${sys:catalina.home}/logs/app.log\nappender.file.layout.pattern = %d{ISO8601} %-5p %c - %m%n",
  },
];
