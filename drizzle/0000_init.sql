CREATE TABLE "documents" (
	"id" serial PRIMARY KEY NOT NULL,
	"source_id" integer NOT NULL,
	"name" text NOT NULL,
	"sha256" text NOT NULL,
	"fetched_at" timestamp with time zone NOT NULL,
	"ingested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"item_count" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "item_tags" (
	"item_id" text NOT NULL,
	"tag_id" integer NOT NULL,
	"via" text NOT NULL,
	CONSTRAINT "item_tags_tag_id_item_id_pk" PRIMARY KEY("tag_id","item_id")
);
--> statement-breakpoint
CREATE TABLE "items" (
	"id" text PRIMARY KEY NOT NULL,
	"guid" text NOT NULL,
	"kind" text NOT NULL,
	"title" text NOT NULL,
	"kicker" text,
	"summary" text NOT NULL,
	"content_html" text,
	"url" text,
	"published_at" timestamp with time zone,
	"precision" text NOT NULL,
	"agency" text,
	"dateline" text,
	"comment_count" integer,
	"image" jsonb,
	"page_tags" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"match_text" text NOT NULL,
	"feed_at" timestamp with time zone NOT NULL,
	"first_seen_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"content_hash" text NOT NULL,
	CONSTRAINT "items_guid_unique" UNIQUE("guid")
);
--> statement-breakpoint
CREATE TABLE "observations" (
	"item_id" text NOT NULL,
	"document_id" integer NOT NULL,
	"fetched_at" timestamp with time zone NOT NULL,
	"kind" text NOT NULL,
	"content_hash" text NOT NULL,
	"comment_count" integer,
	"published_at" timestamp with time zone,
	"precision" text NOT NULL,
	CONSTRAINT "observations_item_id_document_id_pk" PRIMARY KEY("item_id","document_id")
);
--> statement-breakpoint
CREATE TABLE "sources" (
	"id" serial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"url" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sources_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "tags" (
	"id" serial PRIMARY KEY NOT NULL,
	"slug" text NOT NULL,
	"label" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tags_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
ALTER TABLE "documents" ADD CONSTRAINT "documents_source_id_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."sources"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "item_tags" ADD CONSTRAINT "item_tags_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "item_tags" ADD CONSTRAINT "item_tags_tag_id_tags_id_fk" FOREIGN KEY ("tag_id") REFERENCES "public"."tags"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "observations" ADD CONSTRAINT "observations_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "observations" ADD CONSTRAINT "observations_document_id_documents_id_fk" FOREIGN KEY ("document_id") REFERENCES "public"."documents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "documents_content_fetch" ON "documents" USING btree ("sha256","fetched_at");--> statement-breakpoint
CREATE INDEX "item_tags_item" ON "item_tags" USING btree ("item_id");--> statement-breakpoint
CREATE INDEX "items_feed_order" ON "items" USING btree ("feed_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "observations_document" ON "observations" USING btree ("document_id");