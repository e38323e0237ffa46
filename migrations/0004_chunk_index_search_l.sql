-- The chunk vector index, rebuilt with a longer search list (search_l 600 instead of the
-- default 200). Measured with `npm run bench:ai` on 100k chunks: recall@10 against exact
-- vector_distance_cos search 0.88 at search_l 200 (7 ms per query), 0.947 at 500 (40 ms),
-- 0.957 at 600 (57 ms); see BENCHMARKS.md. Lower it for speed where recall matters less.
-- Rebuilding the index reads every chunk once: on a large database run this migration at a
-- quiet time. The statement text matches what `AI_BENCH_INDEX` creates, so the benchmark's
-- built corpora are shared.
DROP INDEX IF EXISTS ai_chunks_embedding_idx;
--> statement-breakpoint
CREATE INDEX ai_chunks_embedding_idx ON ai_chunks (libsql_vector_idx(embedding, 'metric=cosine', 'compress_neighbors=float8', 'max_neighbors=64', 'search_l=600'));
