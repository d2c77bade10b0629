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
-- Where each tag came from. A tag the portal's pages gave a story keeps gaining stories by its words; every other
-- tag (a followed feed's categories, a tag given to a followed feed) gains only the stories a source names it for.
-- Tags given to feeds are known by their labels: compared without case, as the slug would mostly compare them.
UPDATE "tags" t SET "origin" = CASE
  WHEN EXISTS (
    SELECT 1 FROM "sources" s JOIN "documents" d ON d."source_id" = s."id" JOIN "observations" o ON o."document_id" = d."id"
    WHERE s."kind" = 'page' AND o."tags" @> jsonb_build_array(jsonb_build_object('slug', t."slug"))
  ) THEN 'portal'
  WHEN EXISTS (SELECT 1 FROM "sources" s, jsonb_array_elements_text(s."tags") l WHERE lower(l) = lower(t."label")) THEN 'person'
  ELSE 'feed'
END;--> statement-breakpoint
UPDATE "tags" SET "match" = 'explicit' WHERE "origin" <> 'portal';--> statement-breakpoint
-- their feeds lose the stories they held by words alone: a new version, so no cache keeps serving them
UPDATE "tags" t SET "version" = t."version" + 1, "changed_at" = now()
WHERE t."match" = 'explicit' AND EXISTS (SELECT 1 FROM "item_tags" it WHERE it."tag_id" = t."id" AND it."via" = 'match');--> statement-breakpoint
DELETE FROM "item_tags" it USING "tags" t WHERE t."id" = it."tag_id" AND t."match" = 'explicit' AND it."via" = 'match';
