ALTER TABLE "sources" ADD COLUMN "ttl_minutes" integer;--> statement-breakpoint
ALTER TABLE "sources" ADD COLUMN "max_age_seconds" integer;