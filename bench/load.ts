/**
 * Load generator, run as its own process so it does not share an event loop with workerd's
 * host: `node bench/load.ts [<json options>]` (or the options on stdin) prints one JSON result line.
 */
import autocannon from "autocannon";

interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const opts = JSON.parse(process.argv[2] ?? (await readStdin())) as LoadOptions;
const result = await autocannon({
  url: opts.url,
  connections: opts.connections,
  duration: opts.durationSeconds,
  method: (opts.method ?? "GET") as "GET",
  headers: opts.headers ?? {},
  ...(opts.body ? { body: opts.body } : {}),
});
const statusCounts = {
  "2xx": result["2xx"],
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  byStatus: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count])),
};
console.log(
  JSON.stringify({
    requests: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    statusCounts,
  }),
);
