CREATE TABLE `ai_answer_cache` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant` text NOT NULL,
	`partition` text NOT NULL,
	`exact_key` text NOT NULL,
	`question` text NOT NULL,
	`embedding` F32_BLOB(256) NOT NULL,
	`answer` text NOT NULL,
	`citations` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ai_answer_cache_exact` ON `ai_answer_cache` (`exact_key`);--> statement-breakpoint
CREATE INDEX `ai_answer_cache_partition` ON `ai_answer_cache` (`tenant`,`partition`,`expires_at`);--> statement-breakpoint
CREATE TABLE `ai_answer_cache_documents` (
	`cache_id` integer NOT NULL,
	`tenant` text NOT NULL,
	`document_id` text NOT NULL,
	PRIMARY KEY(`cache_id`, `document_id`)
);
--> statement-breakpoint
CREATE INDEX `ai_answer_cache_documents_document` ON `ai_answer_cache_documents` (`tenant`,`document_id`);--> statement-breakpoint
CREATE TABLE `ai_ingest_jobs` (
	`tenant` text NOT NULL,
	`document_id` text NOT NULL,
	`job_id` text NOT NULL,
	`title` text,
	`metadata` text,
	`text` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	PRIMARY KEY(`tenant`, `document_id`)
);
--> statement-breakpoint
ALTER TABLE `ai_documents` ADD `status` text DEFAULT 'ready' NOT NULL;--> statement-breakpoint
ALTER TABLE `ai_documents` ADD `error` text;