ALTER TABLE "items" ADD COLUMN "last_seen_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "sources" ADD COLUMN "listing" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "sources" ADD COLUMN "listed_at" timestamp with time zone;--> statement-breakpoint
-- Until feed documents recorded observations only for what changed, every document had one for each item it showed:
-- a source's listing is what its latest document observed.
UPDATE "sources" SET "listing" = latest."ids", "listed_at" = latest."fetched_at"
FROM (
  SELECT d."source_id", d."fetched_at",
    coalesce((SELECT jsonb_agg(o."item_id" ORDER BY o."item_id") FROM "observations" o WHERE o."document_id" = d."id"), '[]'::jsonb) AS "ids"
  FROM (SELECT DISTINCT ON ("source_id") "id", "source_id", "fetched_at" FROM "documents" ORDER BY "source_id", "fetched_at" DESC, "id" DESC) d
) latest
WHERE latest."source_id" = "sources"."id";--> statement-breakpoint
-- Last seen: the latest document that observed the item; for an item no document observes any more (its feed was
-- removed), when it last changed, which is what retention aged such items by before.
UPDATE "items" SET "last_seen_at" = coalesce((SELECT max(o."fetched_at") FROM "observations" o WHERE o."item_id" = "items"."id"), "items"."updated_at");
