/**
 * The migration source_listing on a database written before it, when every
 * document recorded an observation of each item it showed: each source's
 * listing is what its latest document observed, listed_at that document's
 * fetch time, and an item's last_seen_at its latest observation (for an
 * item no document observes any more, when it last changed). On both
 * storage backends.
 */
import { asc, sql } from "drizzle-orm";
import { expect, it } from "vitest";
import type { Database } from "../src/storage/database";
import { items, sources } from "../src/storage/schema";
import { forEachBackend } from "./support/databases";
import { beforeMigration } from "./support/migrations";

const at = (day: number, hour = 12) => `2026-01-${String(day).padStart(2, "0")}T${String(hour).padStart(2, "0")}:00:00Z`;

/** Rows as the schema before the migration has them, written without the code of today. */
async function writeOldRows(db: Database): Promise<void> {
  await db.execute(sql`insert into sources (id, kind, name, url) values
    (1, 'page', 'portal', null), (2, 'feed', 'news', 'https://news.example.org/feed.xml'), (3, 'feed', 'silent', 'https://silent.example.org/feed.xml')`);
  // portal: two pages ingested newest first; news: two fetches, the later with two documents at the same instant (the higher id is the latest)
  await db.execute(sql`insert into documents (id, source_id, name, sha256, fetched_at, item_count) values
    (1, 1, 'p2.txt', 'p2', ${at(5)}, 2), (2, 1, 'p1.txt', 'p1', ${at(3)}, 2),
    (3, 2, 'f1', 'f1', ${at(2)}, 1), (4, 2, 'f2', 'f2', ${at(9)}, 1), (5, 2, 'f3', 'f3', ${at(9)}, 2)`);
  const story = (id: string, firstSeen: string, updated: string) =>
    sql`(${id}, ${`urn:${id}`}, 'teaser', ${`Meldung ${id}`}, '', 'none', '', ${firstSeen}::timestamptz, ${firstSeen}::timestamptz, ${updated}::timestamptz, ${id})`;
  await db.execute(sql`insert into items (id, guid, kind, title, summary, precision, match_text, feed_at, first_seen_at, updated_at, content_hash) values
    ${sql.join([story("x", at(2), at(2)), story("y", at(3), at(3)), story("z", at(5), at(5)), story("w", at(9), at(9)), story("v", at(1), at(4, 7))], sql`, `)}`);
  const seen = (item: string, document: number, fetched: string) => sql`(${item}, ${document}, ${fetched}::timestamptz, 'teaser', ${item}, 'none')`;
  await db.execute(sql`insert into observations (item_id, document_id, fetched_at, kind, content_hash, precision) values
    ${sql.join([seen("x", 2, at(3)), seen("y", 2, at(3)), seen("y", 1, at(5)), seen("z", 1, at(5)), seen("x", 3, at(2)), seen("x", 4, at(9)), seen("x", 5, at(9)), seen("w", 5, at(9))], sql`, `)}`);
}

forEachBackend("the migration source_listing", (backend) => {
  it("gives each source the listing of its latest document and each item the time it was last seen", async () => {
    await beforeMigration(backend, "source_listing", async (opened) => {
      await writeOldRows(opened.db);
      await opened.migrate();

      const listings = await opened.db
        .select({ name: sources.name, listing: sources.listing, listedAt: sources.listedAt })
        .from(sources)
        .orderBy(asc(sources.id));
      expect(listings.map((s) => ({ ...s, listedAt: s.listedAt?.toISOString() ?? null }))).toEqual([
        // the page fetched last, though ingested first
        { name: "portal", listing: ["y", "z"], listedAt: new Date(at(5)).toISOString() },
        { name: "news", listing: ["w", "x"], listedAt: new Date(at(9)).toISOString() },
        { name: "silent", listing: [], listedAt: null },
      ]);
      const lastSeen = await opened.db.select({ id: items.id, lastSeenAt: items.lastSeenAt }).from(items).orderBy(asc(items.id));
      expect(Object.fromEntries(lastSeen.map((i) => [i.id, i.lastSeenAt?.toISOString()]))).toEqual({
        v: new Date(at(4, 7)).toISOString(), // no observation left: when it last changed
        w: new Date(at(9)).toISOString(),
        x: new Date(at(9)).toISOString(),
        y: new Date(at(5)).toISOString(),
        z: new Date(at(5)).toISOString(),
      });
    });
  }, 120_000);
});
