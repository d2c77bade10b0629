CREATE TABLE "article_pages" (
	"url" text PRIMARY KEY NOT NULL,
	"source_id" integer NOT NULL,
	"status" text NOT NULL,
	"sha256" text,
	"etag" text,
	"last_modified" text,
	"fetched_at" timestamp with time zone NOT NULL,
	"attempts" integer DEFAULT 1 NOT NULL,
	"error" text
);
--> statement-breakpoint
ALTER TABLE "sources" ADD COLUMN "read_as" text;--> statement-breakpoint
ALTER TABLE "sources" ADD COLUMN "last_read_as" text;--> statement-breakpoint
ALTER TABLE "sources" ADD COLUMN "select" jsonb;--> statement-breakpoint
ALTER TABLE "sources" ADD COLUMN "full_text" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "sources" ADD COLUMN "extract_failures" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "sources" ADD COLUMN "last_extract_error" text;--> statement-breakpoint
ALTER TABLE "article_pages" ADD CONSTRAINT "article_pages_source_id_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."sources"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "article_pages_source" ON "article_pages" USING btree ("source_id");