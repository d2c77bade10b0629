ALTER TABLE "items" ADD COLUMN "media" jsonb;--> statement-breakpoint
-- Feeds read before media were kept are read in full again at their next poll (no validators, no
-- body hash to match), so their entries gain their enclosures instead of waiting for a change.
UPDATE "sources" SET "etag" = NULL, "last_modified" = NULL, "body_sha256" = NULL WHERE "kind" = 'feed';
