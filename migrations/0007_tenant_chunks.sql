-- Chunks per tenant and embedding model (issue 17): retrieval reads this one row per query to
-- pick its path (exact scan, IVF, DiskANN) and to check the model, instead of summing the
-- tenant's documents on every query (at 100k documents that sum and its grouping cost about
-- 50 ms, more than the IVF search itself). Kept by triggers on `ai_documents`, so every writer
-- (ingest, the queue's pending rows, deletion) keeps it right; filled from the documents here.
CREATE TABLE `ai_tenant_chunks` (
	`tenant` text NOT NULL,
	`model` text NOT NULL,
	`dimensions` integer NOT NULL,
	`chunks` integer NOT NULL,
	PRIMARY KEY(`tenant`, `model`, `dimensions`)
);
--> statement-breakpoint
INSERT INTO `ai_tenant_chunks` (`tenant`, `model`, `dimensions`, `chunks`)
  SELECT `tenant`, `embedding_model`, `embedding_dimensions`, SUM(`chunk_count`) FROM `ai_documents`
  GROUP BY `tenant`, `embedding_model`, `embedding_dimensions`;
--> statement-breakpoint
CREATE TRIGGER IF NOT EXISTS `ai_documents_chunks_insert` AFTER INSERT ON `ai_documents` BEGIN
  INSERT INTO `ai_tenant_chunks` (`tenant`, `model`, `dimensions`, `chunks`)
    VALUES (new.`tenant`, new.`embedding_model`, new.`embedding_dimensions`, new.`chunk_count`)
    ON CONFLICT (`tenant`, `model`, `dimensions`) DO UPDATE SET `chunks` = `chunks` + excluded.`chunks`;
END;
--> statement-breakpoint
CREATE TRIGGER IF NOT EXISTS `ai_documents_chunks_delete` AFTER DELETE ON `ai_documents` BEGIN
  UPDATE `ai_tenant_chunks` SET `chunks` = `chunks` - old.`chunk_count`
    WHERE `tenant` = old.`tenant` AND `model` = old.`embedding_model` AND `dimensions` = old.`embedding_dimensions`;
END;
--> statement-breakpoint
CREATE TRIGGER IF NOT EXISTS `ai_documents_chunks_update` AFTER UPDATE OF `tenant`, `embedding_model`, `embedding_dimensions`, `chunk_count` ON `ai_documents` BEGIN
  UPDATE `ai_tenant_chunks` SET `chunks` = `chunks` - old.`chunk_count`
    WHERE `tenant` = old.`tenant` AND `model` = old.`embedding_model` AND `dimensions` = old.`embedding_dimensions`;
  INSERT INTO `ai_tenant_chunks` (`tenant`, `model`, `dimensions`, `chunks`)
    VALUES (new.`tenant`, new.`embedding_model`, new.`embedding_dimensions`, new.`chunk_count`)
    ON CONFLICT (`tenant`, `model`, `dimensions`) DO UPDATE SET `chunks` = `chunks` + excluded.`chunks`;
END;
