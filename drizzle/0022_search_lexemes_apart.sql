-- ?q='s lexemes and the match words in columns and indexes of their own (schema.ts itemSearch says why);
-- the stories indexed before are indexed again from their rows, as the indexing does, and the indexes built after, in one go
-- if exists: a database benchmarked without the index (bench:aggregate BENCH_WITHOUT_SEARCH_INDEX) has none
DROP INDEX IF EXISTS "item_search_words";--> statement-breakpoint
TRUNCATE "item_search";--> statement-breakpoint
ALTER TABLE "item_search" ADD COLUMN "lexemes" tsvector NOT NULL;--> statement-breakpoint
INSERT INTO "item_search" ("item_id", "lexemes", "words")
SELECT "id", to_tsvector('german', "title" || ' ' || "summary"), "match_words" FROM "items";--> statement-breakpoint
CREATE INDEX "item_search_lexemes" ON "item_search" USING gin ("lexemes");--> statement-breakpoint
CREATE INDEX "item_search_words" ON "item_search" USING gin ("words") WITH (gin_pending_list_limit=32768);--> statement-breakpoint
ANALYZE "item_search";
