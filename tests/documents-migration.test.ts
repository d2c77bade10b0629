/**
 * The migration documents_per_source on a database written before it, when
 * two feeds serving the same bytes in the same millisecond shared one
 * document, the first's: the observations that document holds of what only
 * the second lists go, both feeds are read in full at their next poll, the
 * others keep their validators; and two sources may now hold documents of
 * the same content and fetch time. On both storage backends.
 */
import { asc, sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { documents, sources } from "../src/storage/schema";
import { forEachBackend } from "./support/databases";
import { beforeMigration, rowsOf } from "./support/migrations";

const AT = "2026-01-05T12:00:00Z";

forEachBackend("the migration documents_per_source", (backend) => {
  it("takes back what a feed's lost document observed as another's, makes both due without validators, and keeps the rest as they were", async () => {
    await beforeMigration(backend, "documents_per_source", async (opened) => {
      const feed = (id: number, name: string, sha: string | null, listing: string[]) =>
        sql`(${id}, 'feed', ${name}, ${`https://${name}.example/feed.xml`}, ${sha}, ${'"v1"'}, ${"Mon, 05 Jan 2026 12:00:00 GMT"}, ${"2026-01-05T13:00:00Z"}::timestamptz, ${JSON.stringify(listing)}::jsonb)`;
      await opened.db.execute(sql`insert into sources (id, kind, name, url, body_sha256, etag, last_modified, next_poll_at, listing) values
          ${sql.join([feed(1, "owner", "same", ["both", "a-only"]), feed(2, "bereft", "same", ["both", "b-only"]), feed(3, "unread", null, [])], sql`, `)}`);
      await opened.db.execute(sql`insert into documents (source_id, name, sha256, fetched_at, item_count) values (1, 'owner', 'same', ${AT}::timestamptz, 3)`);
      const story = (id: string) =>
        sql`(${id}, ${`urn:${id}`}, 'teaser', ${id}, '', 'none', ${id}, ''::tsvector, ${AT}::timestamptz, ${AT}::timestamptz, ${AT}::timestamptz, ${id})`;
      await opened.db.execute(sql`insert into items (id, guid, kind, title, summary, precision, match_text, match_words, feed_at, first_seen_at, updated_at, content_hash)
          values ${sql.join(["both", "a-only", "b-only"].map(story), sql`, `)}`);
      // the one document observed the second feed's entries too
      await opened.db.execute(sql`insert into observations (item_id, document_id, fetched_at, kind, content_hash, precision)
          select id, (select id from documents), ${AT}::timestamptz, 'teaser', id, 'none' from items`);
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
        { name: "owner", etag: null, lastModified: null, bodySha256: null, nextPollAt: "now" },
        { name: "bereft", etag: null, lastModified: null, bodySha256: null, nextPollAt: "now" },
        { name: "unread", etag: '"v1"', lastModified: "Mon, 05 Jan 2026 12:00:00 GMT", bodySha256: null, nextPollAt: "as before" },
      ]);

      const observed = await opened.db.execute(sql`select item_id from observations order by item_id`);
      const ids = rowsOf<{ item_id: string }>(observed).map((r) => r.item_id);
      expect(ids).toEqual(["a-only", "both"]);

      // the same content fetched at the same time is a document of each source now
      await opened.db.insert(documents).values({ sourceId: 2, name: "bereft", sha256: "same", fetchedAt: new Date(AT), itemCount: 2 });
      await expect(
        opened.db.insert(documents).values({ sourceId: 2, name: "bereft", sha256: "same", fetchedAt: new Date(AT), itemCount: 2 }),
      ).rejects.toThrow();
    });
  });
});
