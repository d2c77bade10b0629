-- items.updated_at derived again by the rule of normalise/merge derive(): the
-- publication time (first_seen_at where undated) until a change is seen, then
-- when the current content or comment count was first seen, if that was after
-- the item was first seen. Exact, from the observations each item was derived
-- from: the current content's run is its top-kind observations with the
-- current hash after the last top-kind one with another (in the order
-- fetched_at, content_hash), the current count's likewise (in the order
-- fetched_at, article over teaser, count).
CREATE TEMPORARY TABLE "honest_updated" ON COMMIT DROP AS
SELECT i."id", greatest(
  coalesce(i."published_at", i."first_seen_at"),
  (SELECT CASE WHEN min(o."fetched_at") > i."first_seen_at" THEN min(o."fetched_at") END
     FROM "observations" o
    WHERE o."item_id" = i."id" AND o."kind" = i."kind" AND o."content_hash" = i."content_hash"
      AND NOT EXISTS (
        SELECT 1 FROM "observations" x
         WHERE x."item_id" = i."id" AND x."kind" = i."kind" AND x."content_hash" <> i."content_hash"
           AND (x."fetched_at", x."content_hash" COLLATE "C") > (o."fetched_at", o."content_hash" COLLATE "C"))),
  (SELECT CASE WHEN min(o."fetched_at") > i."first_seen_at" THEN min(o."fetched_at") END
     FROM "observations" o
    WHERE o."item_id" = i."id" AND o."comment_count" = i."comment_count"
      AND NOT EXISTS (
        SELECT 1 FROM "observations" x
         WHERE x."item_id" = i."id" AND x."comment_count" IS NOT NULL AND x."comment_count" <> i."comment_count"
           AND (x."fetched_at", (x."kind" = 'article')::int, x."comment_count")
             > (o."fetched_at", (o."kind" = 'article')::int, o."comment_count")))
) AS "updated_at"
FROM "items" i;--> statement-breakpoint
-- the feeds of every tag of a changed item, and "all", render anew, and say
-- so to readers that revalidate by date (Last-Modified) as ingestions do
UPDATE "tags" SET "version" = "version" + 1, "changed_at" = now()
 WHERE "id" IN (
   SELECT t."tag_id" FROM "item_tags" t
     JOIN "items" i ON i."id" = t."item_id"
     JOIN "honest_updated" h ON h."id" = i."id"
    WHERE h."updated_at" IS DISTINCT FROM i."updated_at");--> statement-breakpoint
UPDATE "feed_state" SET "version" = "version" + 1, "changed_at" = now()
 WHERE "key" = 'all' AND EXISTS (
   SELECT 1 FROM "items" i JOIN "honest_updated" h ON h."id" = i."id" WHERE h."updated_at" IS DISTINCT FROM i."updated_at");--> statement-breakpoint
UPDATE "items" i SET "updated_at" = h."updated_at"
  FROM "honest_updated" h
 WHERE h."id" = i."id" AND h."updated_at" IS DISTINCT FROM i."updated_at";
