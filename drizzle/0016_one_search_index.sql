DROP INDEX "items_match_text";--> statement-breakpoint
DROP INDEX "items_search";--> statement-breakpoint
ALTER TABLE "items" ADD COLUMN "match_words" tsvector;--> statement-breakpoint
-- the words make a story's row about 2.5 KB, past the 2 KB at which PostgreSQL tries to compress its texts one by one
-- on every insert, mostly in vain for texts of a few hundred bytes; a row up to 4 KB (two to a page) is stored as it is
ALTER TABLE "items" SET (toast_tuple_target = 4080);--> statement-breakpoint
-- the stories stored before: their words split as storage/match-words.ts splits them, at the same code point ranges
UPDATE "items" SET "match_words" = array_to_tsvector(array(
  SELECT DISTINCT ' ' || w FROM regexp_split_to_table("match_text", '[^0-9a-z\u00DF-\u00F6\u00F8-\u024F\u03B1-\u03C9\u0430-\u044F]+') AS w
  WHERE w <> '' AND length(w) < 500
));--> statement-breakpoint
ALTER TABLE "items" ALTER COLUMN "match_words" SET NOT NULL;--> statement-breakpoint
CREATE INDEX "items_search" ON "items" USING gin ((to_tsvector('german', "title" || ' ' || "summary") || "match_words"));--> statement-breakpoint
-- the planner's figures for the new index expression now, not when autovacuum comes round
ANALYZE "items";
