CREATE TABLE "settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tag_aliases" (
	"slug" text PRIMARY KEY NOT NULL,
	"tag_id" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "items" ADD COLUMN "dropped" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "observations" ADD COLUMN "untimed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "sources" ADD COLUMN "title" text;--> statement-breakpoint
ALTER TABLE "tags" ADD COLUMN "match" text DEFAULT 'words' NOT NULL;--> statement-breakpoint
ALTER TABLE "tags" ADD COLUMN "origin" text DEFAULT 'portal' NOT NULL;--> statement-breakpoint
ALTER TABLE "tags" ADD COLUMN "include" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "tags" ADD COLUMN "exclude" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "tag_aliases" ADD CONSTRAINT "tag_aliases_tag_id_tags_id_fk" FOREIGN KEY ("tag_id") REFERENCES "public"."tags"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
-- Where each tag came from. A tag the portal's pages gave a story keeps gaining stories by its words; so does a tag
-- no remaining observation names (its stories pruned): before, every tag did. Every other tag (a followed feed's
-- categories, a tag given to a followed feed) gains only the stories a source names it for. Tags given to feeds are
-- known by their labels, compared without case. Which slugs each kind of source names is worked out once, joined.
WITH "named" AS (
  SELECT DISTINCT e.value->>'slug' AS "slug", s."kind"
  FROM "observations" o JOIN "documents" d ON d."id" = o."document_id" JOIN "sources" s ON s."id" = d."source_id"
  CROSS JOIN LATERAL jsonb_array_elements(o."tags") e
), "given" AS (
  SELECT DISTINCT lower(l) AS "label" FROM "sources" s, jsonb_array_elements_text(s."tags") l
), "origins" AS (
  SELECT t."id", CASE
    WHEN bool_or(n."kind" = 'page') THEN 'portal'
    WHEN bool_or(g."label" IS NOT NULL) THEN 'person'
    WHEN bool_or(n."kind" = 'feed') THEN 'feed'
    ELSE 'portal'
  END AS "origin"
  FROM "tags" t LEFT JOIN "named" n ON n."slug" = t."slug" LEFT JOIN "given" g ON g."label" = lower(t."label")
  GROUP BY t."id"
)
UPDATE "tags" t SET "origin" = o."origin" FROM "origins" o WHERE o."id" = t."id";--> statement-breakpoint
UPDATE "tags" SET "match" = 'explicit' WHERE "origin" <> 'portal';--> statement-breakpoint
-- their feeds, and "all" (whose stories list their tags), lose the stories they held by words alone: new versions, so
-- no cache keeps serving them
UPDATE "feed_state" SET "version" = "version" + 1, "changed_at" = now()
WHERE "key" = 'all' AND EXISTS (SELECT 1 FROM "item_tags" it JOIN "tags" t ON t."id" = it."tag_id" WHERE t."match" = 'explicit' AND it."via" = 'match');--> statement-breakpoint
UPDATE "tags" t SET "version" = t."version" + 1, "changed_at" = now()
WHERE t."match" = 'explicit' AND EXISTS (SELECT 1 FROM "item_tags" it WHERE it."tag_id" = t."id" AND it."via" = 'match');--> statement-breakpoint
DELETE FROM "item_tags" it USING "tags" t WHERE t."id" = it."tag_id" AND t."match" = 'explicit' AND it."via" = 'match';
