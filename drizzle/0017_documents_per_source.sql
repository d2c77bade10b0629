DROP INDEX "documents_content_fetch";--> statement-breakpoint
CREATE UNIQUE INDEX "documents_source_content_fetch" ON "documents" USING btree ("source_id","sha256","fetched_at");--> statement-breakpoint
-- Before, two feeds serving the same bytes, fetched by one pass in the same millisecond, shared one document: the
-- first's. The second (its last body hash is not that of its own latest document) had its entries observed by that
-- document, as the first's. What the second lists and the first does not is the second's: those observations go.
DELETE FROM "observations" o USING "documents" d, "sources" a, "sources" b
WHERE o."document_id" = d."id" AND a."id" = d."source_id" AND a."kind" = 'feed'
  AND b."kind" = 'feed' AND b."id" <> a."id" AND b."body_sha256" = d."sha256"
  AND b."body_sha256" IS DISTINCT FROM (
    SELECT l."sha256" FROM "documents" l WHERE l."source_id" = b."id" ORDER BY l."fetched_at" DESC, l."id" DESC LIMIT 1
  )
  AND b."listing" ? o."item_id" AND NOT (a."listing" ? o."item_id");--> statement-breakpoint
-- Both are read in full at their next poll, due now: the second stores what it shows with its own tags, and the first
-- its entries' own keys again. Without this their validators would answer every later poll with "not modified".
UPDATE "sources" s SET "etag" = NULL, "last_modified" = NULL, "body_sha256" = NULL, "next_poll_at" = now()
WHERE s."kind" = 'feed' AND s."body_sha256" IS NOT NULL AND (
  s."body_sha256" IS DISTINCT FROM (
    SELECT l."sha256" FROM "documents" l WHERE l."source_id" = s."id" ORDER BY l."fetched_at" DESC, l."id" DESC LIMIT 1
  )
  OR s."id" IN (
    SELECT d."source_id" FROM "documents" d JOIN "sources" b ON b."body_sha256" = d."sha256" AND b."id" <> d."source_id" AND b."kind" = 'feed'
    WHERE b."body_sha256" IS DISTINCT FROM (
      SELECT l."sha256" FROM "documents" l WHERE l."source_id" = b."id" ORDER BY l."fetched_at" DESC, l."id" DESC LIMIT 1
    )
  )
);
