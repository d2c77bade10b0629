/**
 * The migration documents_per_source on a database written before it, when
 * two feeds serving the same bytes in the same millisecond shared one
 * document: the feed left without a document of its own is read in full at
 * its next poll, the others keep their validators; and two sources may now
 * hold documents of the same content and fetch time. On both storage backends.
 */
import { asc, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { documents, sources } from "../src/storage/schema";
import { backends } from "./support/databases";
import { migrateBefore } from "./support/migrations";

const AT = "2026-01-05T12:00:00Z";

for (const backend of backends) {
  describe.skipIf(backend.unavailable)(`the migration documents_per_source on ${backend.name}`, () => {
    it("makes a feed that lost its document to another feed's due, without validators, and keeps the rest as they were", async () => {
      const scratch = await backend.scratch();
      const opened = await scratch.open();
      try {
        await migrateBefore(opened, backend, "documents_per_source");
        const feed = (id: number, name: string, sha: string | null) =>
          sql`(${id}, 'feed', ${name}, ${`https://${name}.example/feed.xml`}, ${sha}, ${'"v1"'}, ${"Mon, 05 Jan 2026 12:00:00 GMT"}, ${"2026-01-05T13:00:00Z"}::timestamptz)`;
        await opened.db.execute(sql`insert into sources (id, kind, name, url, body_sha256, etag, last_modified, next_poll_at) values
          ${sql.join([feed(1, "owner", "same"), feed(2, "bereft", "same"), feed(3, "unread", null)], sql`, `)}`);
        await opened.db.execute(
          sql`insert into documents (source_id, name, sha256, fetched_at, item_count) values (1, 'owner', 'same', ${AT}::timestamptz, 2)`,
        );
        await opened.migrate();

        const rows = await opened.db
          .select({
            name: sources.name,
            etag: sources.etag,
            lastModified: sources.lastModified,
            bodySha256: sources.bodySha256,
            nextPollAt: sources.nextPollAt,
          })
          .from(sources)
          .orderBy(asc(sources.id));
        const due = new Date("2026-01-05T13:00:00Z");
        expect(
          rows.map((r) => ({ ...r, nextPollAt: r.nextPollAt!.getTime() === due.getTime() ? "as before" : r.nextPollAt! <= new Date() ? "now" : "later" })),
        ).toEqual([
          { name: "owner", etag: '"v1"', lastModified: "Mon, 05 Jan 2026 12:00:00 GMT", bodySha256: "same", nextPollAt: "as before" },
          { name: "bereft", etag: null, lastModified: null, bodySha256: null, nextPollAt: "now" },
          { name: "unread", etag: '"v1"', lastModified: "Mon, 05 Jan 2026 12:00:00 GMT", bodySha256: null, nextPollAt: "as before" },
        ]);

        // the same content fetched at the same time is a document of each source now
        await opened.db.insert(documents).values({ sourceId: 2, name: "bereft", sha256: "same", fetchedAt: new Date(AT), itemCount: 2 });
        await expect(
          opened.db.insert(documents).values({ sourceId: 2, name: "bereft", sha256: "same", fetchedAt: new Date(AT), itemCount: 2 }),
        ).rejects.toThrow();
      } finally {
        await opened.close();
        await scratch.dispose();
      }
    });
  });
}
