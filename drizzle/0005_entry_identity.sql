ALTER TABLE "observations" ADD COLUMN "entry_key" text;--> statement-breakpoint
CREATE INDEX "observations_entry" ON "observations" USING btree ("entry_key");--> statement-breakpoint
-- Feed entries were keyed by their link, so entries sharing one (a podcast's episodes all linking to
-- the show's page) were merged into one item. Observations keep no texts, so those items cannot be
-- split here: every followed feed is read in full at its next poll instead, and storing it retires
-- the merged items (src/storage/entry-identity.ts). The reads are spread over the next hour, so that
-- thousands of feeds do not all fall due in one pass.
UPDATE "sources" SET "etag" = NULL, "last_modified" = NULL, "body_sha256" = NULL,
  "next_poll_at" = least(coalesce("next_poll_at", now()), now() + random() * interval '1 hour') WHERE "kind" = 'feed';
