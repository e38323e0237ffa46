/**
 * The IVF index of the chunk vectors (src/lib/ai/ivf.ts), for operators:
 *
 *   npm run ai:train                         # train every embedding model large enough, switch retrieval
 *   npm run ai:train -- --model m --nlist 1500 --nprobe 192 --sample 100000 --iterations 12
 *   npm run ai:train -- --status             # chunks, indexes, unassigned chunks, DiskANN present?
 *   npm run ai:train -- --drop-diskann       # after the switch: drop the old DiskANN index
 *
 * Against `npm run dev`'s libSQL by default (http://127.0.0.1:8790); for Turso set LIBSQL_URL
 * and LIBSQL_AUTH_TOKEN. k-means runs here, in this process (about 8 minutes for 1,500
 * clusters on 100k vectors); the database only serves pages of vectors and takes the results.
 */
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { dropDiskannIndex, ivfStatus, trainIvfIndex } from "../src/lib/ai/ivf-train.ts";
import { createDatabase } from "../src/lib/db/client.ts";

const USAGE =
  "usage: npm run ai:train -- [--model <name>] [--nlist N] [--nprobe N] [--sample N] [--iterations N] [--min-chunks N] | --status | --drop-diskann";

function usage(message: string): never {
  console.error(`ai:train: ${message}\n${USAGE}`);
  process.exit(2);
}

const positive = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) usage(`--${name} takes a positive integer, got ${JSON.stringify(v)}`);
  return n;
};

async function main() {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        model: { type: "string" },
        nlist: { type: "string" },
        nprobe: { type: "string" },
        sample: { type: "string" },
        iterations: { type: "string" },
        "min-chunks": { type: "string" },
        status: { type: "boolean" },
        "drop-diskann": { type: "boolean" },
      },
      strict: true,
    }));
  } catch (err) {
    usage(err instanceof Error ? err.message : String(err));
  }
  const str = (k: string) => values[k] as string | undefined;
  const url = process.env.LIBSQL_URL || "http://127.0.0.1:8790";
  const db = createDatabase({ url, authToken: process.env.LIBSQL_AUTH_TOKEN });
  const minChunks = positive("min-chunks", str("min-chunks"));

  if (values.status) {
    const { models, diskann } = await ivfStatus(db);
    for (const m of models) {
      const ix = m.index
        ? `IVF v${m.index.version} ${m.index.state}, nlist ${m.index.nlist}, nprobe ${m.index.nprobe}, trained on ${m.index.trainedChunks} chunks`
        : "no IVF index";
      console.log(`${m.model}: ${m.chunks} chunks, ${m.unassigned} without a current cluster; ${ix}`);
    }
    if (models.length === 0) console.log("no chunks");
    console.log(`DiskANN index ai_chunks_embedding_idx: ${diskann ? "present" : "dropped"}`);
    return;
  }
  if (values["drop-diskann"]) {
    const refused = await dropDiskannIndex(db, minChunks);
    if (refused) {
      console.error(`ai:train: not dropped: ${refused}`);
      process.exit(1);
    }
    console.log(
      "ai:train: DiskANN indexes ai_chunks_embedding_idx and ai_answer_cache_embedding_idx dropped (or already absent)",
    );
    return;
  }

  const model = str("model");
  const models = model ? [model] : (await ivfStatus(db)).models.map((m) => m.model);
  if (models.length === 0) console.log("ai:train: no chunks, nothing to train");
  for (const m of models) {
    const nlist = positive("nlist", str("nlist"));
    const nprobe = positive("nprobe", str("nprobe"));
    const sample = positive("sample", str("sample"));
    const iterations = positive("iterations", str("iterations"));
    const result = await trainIvfIndex(db, {
      model: m,
      ...(nlist ? { nlist } : {}),
      ...(nprobe ? { nprobe } : {}),
      ...(sample ? { sample } : {}),
      ...(iterations ? { iterations } : {}),
      ...(minChunks ? { minChunks } : {}),
      log: (line) => console.log(line),
    });
    if (result.skipped) console.log(`ai:train: ${m}: skipped: ${result.skipped}`);
    else
      console.log(
        `ai:train: ${m}: done in ${result.totalSeconds!.toFixed(1)} s (k-means ${result.trainSeconds!.toFixed(1)} s): ` +
          `${result.chunks} chunks, ${result.nlist} clusters, nprobe ${result.nprobe}, version ${result.version}`,
      );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    // The message only: a URL with credentials never reaches it (the token travels in a header).
    console.error(`ai:train failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
