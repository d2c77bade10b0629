CREATE TABLE "item_search" (
	"item_id" text PRIMARY KEY NOT NULL,
	"words" tsvector NOT NULL
);
--> statement-breakpoint
CREATE TABLE "search_queue" (
	"item_id" text PRIMARY KEY NOT NULL,
	"queued_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- the stories stored before, indexed as storage/search-index.ts indexes a queued one; the index is built after, in one go
INSERT INTO "item_search" ("item_id", "words")
SELECT "id", to_tsvector('german', "title" || ' ' || "summary") || "match_words" FROM "items";--> statement-breakpoint
DROP INDEX "items_search";--> statement-breakpoint
CREATE INDEX "item_search_words" ON "item_search" USING gin ("words");--> statement-breakpoint
-- a story deleted takes its index row along (no foreign key: indexing would lock the stories it reads)
CREATE FUNCTION "item_search_forget"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "item_search" WHERE "item_id" = OLD."id";
  RETURN OLD;
END $$;--> statement-breakpoint
CREATE TRIGGER "items_forget_search" AFTER DELETE ON "items" FOR EACH ROW EXECUTE FUNCTION "item_search_forget"();--> statement-breakpoint
ANALYZE "item_search";
