/**
 * `node bench/ai-bits.ts`: does a 1-bit first pass find the true neighbours? (issue 17, stage 1c)
 *
 * JavaScript only, over the vectors of `bench/ai-ivf.ts`'s cached base corpora (same corpora,
 * seeds and queries). For each query: the true top 10 by float32 cosine over all chunks; then the
 * share of it that lies within the top M chunks ranked by the Hamming distance of sign bits, for
 * M = AI_BITS_M, over the whole corpus and over the rows of the `nprobe` nearest IVF clusters
 * (centroids from `.data/bench-ai/`, trained and cached if missing). Bits are taken of the raw
 * vectors (what `vector1bit(embedding)` stores) and of mean-centred ones (`x - mean`, the mean of
 * a stride sample of AI_BITS_MEAN_SAMPLE chunks; the query is centred the same way).
 * Hamming distances tie a lot (0–256): a neighbour tied with others at the cut-off counts for the
 * share of its tie group that fits (the expectation under an arbitrary tie order).
 *
 * AI_BITS_PROJECT adds sign bits of random projections of the centred vectors (SimHash: that many
 * Gaussian hyperplanes, e.g. an F1BIT_BLOB(1024)), which spread the information over all bits.
 *
 * The `asym` rows rank by the dot product of the centred float query with the rows' ±1 bits
 * (what a first pass could do if the query were not binarised too; libSQL cannot).
 *
 * Options (env): AI_BITS_SIZES ("10000,100000"), AI_BITS_CORPUS ("topical,mixed"),
 * AI_BITS_QUERIES (200), AI_BITS_M ("50,100,200,500,1000,2000"), AI_BITS_NLIST (per size,
 * "100000:1000/1500"; none: whole corpus only), AI_BITS_NPROBE ("128,160,192,256"),
 * AI_BITS_SAMPLE / AI_BITS_ITERS (k-means sample and iterations of the centroids: 100000 / 12),
 * AI_BITS_MEAN_SAMPLE (16000), AI_BITS_PROJECT ("256,1024"; "0" for none).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CorpusKind } from "./ai-corpus.ts";
import {
  baseCorpus,
  centred,
  dims,
  hyperplanes,
  load,
  nearest,
  readVectors,
  sampleMean,
  trainedCentroids,
  numberList,
  corpusList,
} from "./ai-ivf-lib.ts";

const sizes = numberList(process.env.AI_BITS_SIZES, "10000,100000");
const corpora = corpusList(process.env.AI_BITS_CORPUS);
const queries = Number(process.env.AI_BITS_QUERIES ?? 200);
const Ms = numberList(process.env.AI_BITS_M, "50,100,200,500,1000,2000");
const nprobes = numberList(process.env.AI_BITS_NPROBE, "128,160,192,256");
const sampleSize = Number(process.env.AI_BITS_SAMPLE ?? 100_000);
const iterations = Number(process.env.AI_BITS_ITERS ?? 12);
const meanSample = Number(process.env.AI_BITS_MEAN_SAMPLE ?? 16_000);
const bitsProjections = numberList(process.env.AI_BITS_PROJECT, "256,1024");
const nlistsFor = (n: number): number[] => {
  const spec = (process.env.AI_BITS_NLIST ?? "")
    .split(",")
    .map((s) => s.split(":"))
    .find(([size]) => Number(size) === n);
  return spec?.[1] ? spec[1].split("/").map(Number) : [];
};

/** Sign bits (x > 0 → 1, as libSQL's vector1bit), packed 32 to a word. */
function signBits(v: Float32Array, out: Uint32Array, at: number, bits: number) {
  for (let w = 0; w < bits / 32; w++) {
    let word = 0;
    for (let b = 0; b < 32; b++) if (v[w * 32 + b]! > 0) word |= 1 << b;
    out[at + w] = word >>> 0;
  }
}
const popcount = (x: number) => {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) as number;
};

/**
 * Expected number of `targets` within the first M of the rows `rows` ranked by `score` (lower is
 * better; ties split evenly). `score` is integer-valued for Hamming; for `asym` it is bucketed.
 */
function withinTopM(scores: Float64Array, rows: ArrayLike<number>, targets: number[], M: number[]): number[] {
  const sorted = Float64Array.from(rows, (r) => scores[r]!).sort();
  const lowerBound = (x: number) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const upperBound = (x: number) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return M.map((m) => {
    let got = 0;
    for (const t of targets) {
      const less = lowerBound(scores[t]!);
      const equal = upperBound(scores[t]!) - less;
      if (less >= m) continue;
      got += less + equal <= m ? 1 : (m - less) / equal;
    }
    return got;
  });
}

async function run(n: number, kind: CorpusKind): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "ai-bits-"));
  const out: string[] = [];
  try {
    const { db, globalQueries } = await baseCorpus(n, kind, join(dir, "base.db"), queries);
    const { data } = readVectors(db, n);
    db.close();
    const qs = globalQueries.map((b) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));
    const t0 = performance.now();
    // Truth: top 10 by float32 cosine (the vectors are unit length; norms kept anyway).
    const norms = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let d = 0; d < dims; d++) s += data[i * dims + d]! ** 2;
      norms[i] = Math.sqrt(s) || 1;
    }
    const truth = qs.map((q) => {
      const best: Array<[number, number]> = [];
      for (let i = 0; i < n; i++) {
        let dot = 0;
        for (let d = 0; d < dims; d++) dot += q[d]! * data[i * dims + d]!;
        const sim = dot / norms[i]!;
        if (best.length < 10 || sim > best[9]![1]) {
          best.push([i, sim]);
          best.sort((a, b) => b[1] - a[1]);
          if (best.length > 10) best.pop();
        }
      }
      return best.map(([i]) => i);
    });
    const centre = sampleMean(data, n, meanSample);
    let centreNorm = 0;
    for (const x of centre) centreNorm += x * x;
    console.log(
      `bits: ${kind} ${n}: truth in ${((performance.now() - t0) / 1000).toFixed(1)} s; mean vector norm ${Math.sqrt(centreNorm).toFixed(3)} (load ${load()})`,
    );
    // A first pass: a score per row for a query (lower is nearer).
    const variants: Array<{ name: string; scores: (q: Float32Array) => Float64Array }> = [];
    // Sign bits of a transform of the vector: the raw vector (what vector1bit(embedding) stores),
    // the centred one, or random projections of the centred one (SimHash, `bits` hyperplanes).
    const transforms: Array<{ name: string; bits: number; t: (v: Float32Array) => Float32Array }> = [
      { name: "raw", bits: dims, t: (v) => v },
      { name: "centred", bits: dims, t: (v) => centred(v, centre) },
      ...bitsProjections.map((b) => ({
        name: `centred, ${b} random hyperplanes`,
        bits: b,
        t: hyperplanes(b, 777 + b, centre),
      })),
    ];
    for (const { name, bits: nbits, t } of transforms) {
      const words = nbits / 32;
      const bits = new Uint32Array(n * words);
      for (let i = 0; i < n; i++) signBits(t(data.subarray(i * dims, (i + 1) * dims)), bits, i * words, nbits);
      // Share of 1 bits per bit position: a bit that is the same for most rows tells them apart poorly.
      let ones = 0;
      let balanced = 0;
      for (let d = 0; d < nbits; d++) {
        let k = 0;
        for (let i = 0; i < n; i++) if (bits[i * words + (d >> 5)]! & (1 << (d & 31))) k++;
        ones += k / n;
        if (k / n > 0.2 && k / n < 0.8) balanced++;
      }
      console.log(
        `bits: ${kind} ${n}: ${name}: mean share of 1 bits ${(ones / nbits).toFixed(3)}, bits with 20–80% ones ${balanced}/${nbits}`,
      );
      const qb = new Uint32Array(words);
      variants.push({
        name,
        scores: (q) => {
          signBits(t(q), qb, 0, nbits);
          const s = new Float64Array(n);
          for (let i = 0; i < n; i++) {
            let h = 0;
            for (let w = 0; w < words; w++) h += popcount((bits[i * words + w]! ^ qb[w]!) >>> 0);
            s[i] = h;
          }
          return s;
        },
      });
      if (name === "centred")
        variants.push({
          name: "centred, float query (asym)",
          scores: (q) => {
            const qc = centred(q, centre);
            const s = new Float64Array(n);
            for (let i = 0; i < n; i++) {
              let dot = 0;
              for (let d = 0; d < dims; d++) dot += bits[i * words + (d >> 5)]! & (1 << (d & 31)) ? qc[d]! : -qc[d]!;
              s[i] = Math.round(-dot * 1e6);
            }
            return s;
          },
        });
    }
    // IVF: centroids (cached), assignment, and each query's clusters by centroid distance.
    const ivfs = nlistsFor(n).map((nlist) => {
      const t1 = performance.now();
      const centroids = trainedCentroids(kind, data, n, nlist, sampleSize, iterations);
      const assign = new Int32Array(n);
      for (let i = 0; i < n; i++) assign[i] = nearest(data, i, centroids, nlist)[0];
      console.log(
        `bits: ${kind} ${n}: nlist ${nlist}: centroids and assignment in ${((performance.now() - t1) / 1000).toFixed(0)} s (load ${load()})`,
      );
      const members: number[][] = Array.from({ length: nlist }, () => []);
      for (let i = 0; i < n; i++) members[assign[i]!]!.push(i);
      const order = qs.map((q) => {
        const ds = new Float64Array(nlist);
        for (let c = 0; c < nlist; c++) {
          let dot = 0;
          for (let d = 0; d < dims; d++) dot += q[d]! * centroids[c * dims + d]!;
          ds[c] = -dot;
        }
        return Array.from({ length: nlist }, (_, c) => c).sort((a, b) => ds[a]! - ds[b]!);
      });
      return { nlist, assign, members, order };
    });
    type Scope = { label: string; rowsRead: number; inProbed: number; got: number[][] };
    const scopes: Scope[] = [{ label: "all rows", rowsRead: 0, inProbed: 0, got: variants.map(() => Ms.map(() => 0)) }];
    for (const { nlist } of ivfs)
      for (const nprobe of nprobes)
        if (nprobe <= nlist)
          scopes.push({
            label: `nlist ${nlist}, nprobe ${nprobe}`,
            rowsRead: 0,
            inProbed: 0,
            got: variants.map(() => Ms.map(() => 0)),
          });
    const all = Array.from({ length: n }, (_, i) => i);
    const z = variants.map(() => 0);
    qs.forEach((q, qi) => {
      const scores = variants.map((v) => v.scores(q));
      // How far the true top 10 stand out from all rows, in standard deviations of the score.
      scores.forEach((s, vi) => {
        let sum = 0;
        let sq = 0;
        for (const x of s) {
          sum += x;
          sq += x * x;
        }
        const m = sum / n;
        const sd = Math.sqrt(Math.max(sq / n - m * m, 1e-12));
        for (const t of truth[qi]!) z[vi]! += (m - s[t]!) / sd / (qs.length * 10);
      });
      const probes: Array<{ rows: ArrayLike<number>; targets: number[] }> = [{ rows: all, targets: truth[qi]! }];
      for (const { nlist, assign, members, order } of ivfs)
        for (const nprobe of nprobes) {
          if (nprobe > nlist) continue;
          const probed = new Set(order[qi]!.slice(0, nprobe));
          probes.push({
            rows: order[qi]!.slice(0, nprobe).flatMap((c) => members[c]!),
            targets: truth[qi]!.filter((i) => probed.has(assign[i]!)),
          });
        }
      probes.forEach(({ rows, targets }, si) => {
        const scope = scopes[si]!;
        scope.rowsRead += rows.length;
        scope.inProbed += targets.length;
        scores.forEach((s, vi) => withinTopM(s, rows, targets, Ms).forEach((g, j) => (scope.got[vi]![j]! += g)));
      });
    });
    const share = (x: number) => (x / (qs.length * 10)).toFixed(3);
    variants.forEach((v, vi) =>
      console.log(
        `bits: ${kind} ${n}: ${v.name}: the true top 10 score ${z[vi]!.toFixed(2)} SD better than the mean row`,
      ),
    );
    for (const scope of scopes)
      variants.forEach((v, vi) => {
        const row = `| ${kind} | ${n} | ${v.name} | ${scope.label} | ${((scope.rowsRead / qs.length / n) * 100).toFixed(1)}% | ${share(scope.inProbed)} | ${scope.got[vi]!.map(share).join(" | ")} |`;
        console.log(row);
        out.push(row);
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

const rows: string[] = [];
for (const kind of corpora) for (const n of sizes) rows.push(...(await run(n, kind)));
console.log(
  [
    "",
    `Share of the true top 10 (float32 cosine) within the top M by the first pass, ${queries} queries; "in probed" is the IVF ceiling`,
    "",
    `| corpus | chunks | bits | scope | rows read | in probed | ${Ms.map((m) => `M ${m}`).join(" | ")} |`,
    `|---|---:|---|---|---:|---:|${Ms.map(() => "---:|").join("")}`,
    ...rows,
  ].join("\n"),
);
