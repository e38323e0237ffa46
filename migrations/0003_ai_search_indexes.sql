-- Indexes drizzle-kit cannot express (hand-written; safe on a database that already has rows).
--
-- 1. Vector index over cached questions, for the semantic cache when a tenant's partition is
--    too large to scan exactly. Same settings as the chunk index (0001).
CREATE INDEX IF NOT EXISTS `ai_answer_cache_embedding_idx` ON `ai_answer_cache` (libsql_vector_idx(`embedding`, 'metric=cosine', 'compress_neighbors=float8', 'max_neighbors=64'));
--> statement-breakpoint
-- 2. Full-text index over chunk text (FTS5, external content = ai_chunks, so the text is stored
--    once). Porter stemming over unicode61 tokens; kept in sync by the triggers below.
CREATE VIRTUAL TABLE IF NOT EXISTS `ai_chunks_fts` USING fts5(`text`, content='ai_chunks', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2');
--> statement-breakpoint
CREATE TRIGGER IF NOT EXISTS `ai_chunks_fts_insert` AFTER INSERT ON `ai_chunks` BEGIN
  INSERT INTO `ai_chunks_fts` (rowid, `text`) VALUES (new.`id`, new.`text`);
END;
--> statement-breakpoint
CREATE TRIGGER IF NOT EXISTS `ai_chunks_fts_delete` AFTER DELETE ON `ai_chunks` BEGIN
  INSERT INTO `ai_chunks_fts` (`ai_chunks_fts`, rowid, `text`) VALUES ('delete', old.`id`, old.`text`);
END;
--> statement-breakpoint
CREATE TRIGGER IF NOT EXISTS `ai_chunks_fts_update` AFTER UPDATE OF `text` ON `ai_chunks` BEGIN
  INSERT INTO `ai_chunks_fts` (`ai_chunks_fts`, rowid, `text`) VALUES ('delete', old.`id`, old.`text`);
  INSERT INTO `ai_chunks_fts` (rowid, `text`) VALUES (new.`id`, new.`text`);
END;
--> statement-breakpoint
-- Chunks stored before this migration get their full-text entries now.
INSERT INTO `ai_chunks_fts` (`ai_chunks_fts`) VALUES ('rebuild');
