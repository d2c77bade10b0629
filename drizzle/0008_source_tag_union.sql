ALTER TABLE "observations" ADD COLUMN "tags" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "sources" ADD COLUMN "ttl_minutes" integer;--> statement-breakpoint
ALTER TABLE "sources" ADD COLUMN "max_age_seconds" integer;--> statement-breakpoint
-- What each document gave a story was only kept on the item, with the source's own tags mixed in:
-- the observations that show the item's current content get the item's tags, less their source's own.
UPDATE "observations" o SET "tags" = coalesce((
  SELECT jsonb_agg(e.tag ORDER BY e.n)
  FROM "items" i, jsonb_array_elements(i."page_tags") WITH ORDINALITY AS e(tag, n)
  WHERE i."id" = o."item_id"
    AND NOT EXISTS (
      SELECT 1 FROM "documents" d JOIN "sources" s ON s."id" = d."source_id"
      WHERE d."id" = o."document_id" AND s."tags" ? (e.tag->>'label'))
), '[]'::jsonb)
FROM "items" c
WHERE c."id" = o."item_id" AND c."content_hash" = o."content_hash";
--> statement-breakpoint
-- An item's tags become the union over its sources: add the own tags of every source that shows it
-- (found by label, as the tag was created from it).
UPDATE "items" i SET "page_tags" = i."page_tags" || m."added"
FROM (
  SELECT g."item_id", jsonb_agg(jsonb_build_object('slug', g."slug", 'label', g."label") ORDER BY g."slug") AS "added"
  FROM (
    SELECT DISTINCT o."item_id", t."slug", t."label"
    FROM "observations" o
    JOIN "documents" d ON d."id" = o."document_id"
    JOIN "sources" s ON s."id" = d."source_id"
    CROSS JOIN LATERAL jsonb_array_elements_text(s."tags") AS l("label")
    JOIN "tags" t ON lower(t."label") = lower(l."label")
  ) g
  JOIN "items" gi ON gi."id" = g."item_id"
  WHERE NOT gi."page_tags" @> jsonb_build_array(jsonb_build_object('slug', g."slug"))
  GROUP BY g."item_id"
) m
WHERE i."id" = m."item_id";
--> statement-breakpoint
INSERT INTO "item_tags" ("item_id", "tag_id", "via")
SELECT i."id", t."id", 'page'
FROM "items" i
CROSS JOIN LATERAL jsonb_array_elements(i."page_tags") AS e(tag)
JOIN "tags" t ON t."slug" = e.tag->>'slug'
ON CONFLICT ("tag_id", "item_id") DO UPDATE SET "via" = 'page';
--> statement-breakpoint
-- feeds rendered before show the old tags
UPDATE "tags" SET "version" = "version" + 1, "changed_at" = now();
--> statement-breakpoint
UPDATE "feed_state" SET "version" = "version" + 1, "changed_at" = now();
