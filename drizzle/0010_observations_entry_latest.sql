DROP INDEX "observations_entry";--> statement-breakpoint
CREATE INDEX "observations_entry" ON "observations" USING btree ("entry_key","fetched_at" DESC NULLS LAST);