-- Approximate nearest-neighbour index (DiskANN) over chunk embeddings, used by vector_top_k.
-- cosine metric to match the normalised embeddings; neighbours stored as float8 to keep the
-- index small (about 4x smaller than float32) with little recall loss; 64 neighbours per node.
CREATE INDEX `ai_chunks_embedding_idx` ON `ai_chunks` (libsql_vector_idx(`embedding`, 'metric=cosine', 'compress_neighbors=float8', 'max_neighbors=64'));
