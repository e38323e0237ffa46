-- The IVF (cluster) layout of the chunk vectors and of the semantic cache's question vectors
-- (issue 17; src/lib/ai/ivf.ts). Additive only: on a populated database every chunk and cached
-- answer gets `cluster` NULL and lookups keep their previous path (DiskANN index or exact scan)
-- until `npm run ai:train` has trained an embedding model's centroids, assigned its chunks and
-- marked its `ai_vector_indexes` row ready. The DiskANN indexes are not touched here:
-- `npm run ai:train -- --drop-diskann` drops them after the switch. Building the two
-- `*_cluster8` indexes reads every row once (about 0.3 KiB of index per row): on a large
-- database run this migration at a quiet time; reads go on meanwhile.
CREATE TABLE `ai_centroids` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`model` text NOT NULL,
	`version` integer NOT NULL,
	`centroid` F32_BLOB(256) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `ai_centroids_model` ON `ai_centroids` (`model`,`version`);--> statement-breakpoint
CREATE TABLE `ai_vector_indexes` (
	`model` text PRIMARY KEY NOT NULL,
	`dimensions` integer NOT NULL,
	`version` integer NOT NULL,
	`nlist` integer NOT NULL,
	`nprobe` integer NOT NULL,
	`chunks` integer NOT NULL,
	`state` text NOT NULL,
	`trained_at` integer NOT NULL,
	`ready_at` integer
);
--> statement-breakpoint
ALTER TABLE `ai_answer_cache` ADD `cluster` integer;--> statement-breakpoint
CREATE INDEX `ai_answer_cache_cluster8` ON `ai_answer_cache` (`cluster`,`tenant`,`partition`,vector8("embedding"));--> statement-breakpoint
ALTER TABLE `ai_chunks` ADD `cluster` integer;--> statement-breakpoint
CREATE INDEX `ai_chunks_cluster8` ON `ai_chunks` (`cluster`,`tenant`,vector8("embedding"));