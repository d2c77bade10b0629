ALTER TABLE "sources" ADD COLUMN "lease_owner" text;--> statement-breakpoint
ALTER TABLE "sources" ADD COLUMN "lease_token" text;--> statement-breakpoint
ALTER TABLE "sources" ADD COLUMN "lease_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "sources" ADD COLUMN "leased_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "sources_due" ON "sources" USING btree ("next_poll_at","id");--> statement-breakpoint
CREATE INDEX "sources_leased" ON "sources" USING btree ("leased_at" NULLS FIRST,"id");