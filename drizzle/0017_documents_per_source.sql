DROP INDEX "documents_content_fetch";--> statement-breakpoint
CREATE UNIQUE INDEX "documents_source_content_fetch" ON "documents" USING btree ("source_id","sha256","fetched_at");--> statement-breakpoint
-- A feed whose last body went to another feed's document (the same bytes, fetched in the same millisecond) has no
-- document of its own for it, and its validators would answer every later poll with "not modified": read it in full
-- at its next poll, due now.
UPDATE "sources" SET "etag" = NULL, "last_modified" = NULL, "body_sha256" = NULL, "next_poll_at" = now()
WHERE "kind" = 'feed' AND "body_sha256" IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM "documents" WHERE "documents"."source_id" = "sources"."id" AND "documents"."sha256" = "sources"."body_sha256");
