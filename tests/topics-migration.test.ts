/**
 * The migration topics (0018) on a database written before it, where every
 * tag gained stories by its label's words: tags the portal's pages gave keep
 * matching by words, made safe (a story the old rule gave a capitals label
 * for its lower-case word leaves it); a followed feed's categories and the
 * tags given to a feed match explicitly, and lose the stories they held by
 * words alone; the feeds that changed get new versions. On both backends.
 */
import { asc, sql } from "drizzle-orm";
import { expect, it } from "vitest";
import type { Database } from "../src/storage/database";
import { feedState, itemTags, tags } from "../src/storage/schema";
import { forEachBackend } from "./support/databases";
import { beforeMigration } from "./support/migrations";

const T = "2025-12-09T13:00:00Z";

/** Rows as the schema before the migration has them, written without the code of today. */
async function writeOldRows(db: Database): Promise<void> {
  await db.execute(sql`insert into sources (id, kind, name, url, tags) values
    (1, 'page', 'portal', null, '[]'), (2, 'feed', 'noticias', 'https://noticias.example.pt/rss', '[]'),
    (3, 'feed', 'tech', 'https://tech.example/feed', '["Technik"]')`);
  await db.execute(sql`insert into documents (id, source_id, name, sha256, fetched_at, item_count) values
    (1, 1, 'seed.txt', 's', ${T}::timestamptz, 4), (2, 2, 'pt', 'p', ${T}::timestamptz, 1), (3, 3, 'tech', 't', ${T}::timestamptz, 1)`);
  const named = (labels: string[]) => JSON.stringify(labels.map((label) => ({ slug: label.toLowerCase(), label })));
  const story = (id: string, title: string, labels: string[] = []) =>
    sql`(${id}, ${`urn:${id}`}, 'teaser', ${title}, '', 'none', ${title.toLowerCase()}, ''::tsvector, ${T}::timestamptz, ${T}::timestamptz, ${T}::timestamptz, ${id}, ${named(labels)}::jsonb)`;
  await db.execute(sql`insert into items (id, guid, kind, title, summary, precision, match_text, match_words, feed_at, first_seen_at, updated_at, content_hash, page_tags) values
    ${sql.join(
      [
        story("a", "Ukraine-Verhandlungen in Alaska", ["Ukraine", "USA"]),
        story("b", "USA erheben Zölle"),
        story("c", "Usa und Utsu, zwei Flüsse"),
        story("d", "Studenten in einer Bibliothek (Archiv)"),
        story("e", "Governo aprova orçamento", ["IN"]),
        story("f", "Neue Technik im Auto"),
        story("g", "Chips aus Dresden", ["Technik"]),
      ],
      sql`, `,
    )}`);
  const seen = (item: string, document: number, labels: string[]) =>
    sql`(${item}, ${document}, ${T}::timestamptz, 'teaser', ${item}, 'none', ${named(labels)}::jsonb)`;
  await db.execute(sql`insert into observations (item_id, document_id, fetched_at, kind, content_hash, precision, tags) values
    ${sql.join([seen("a", 1, ["Ukraine", "USA"]), seen("b", 1, []), seen("c", 1, []), seen("d", 1, []), seen("e", 2, ["IN"]), seen("f", 1, []), seen("g", 3, [])], sql`, `)}`);
  // Archiv: a portal topic whose pages are pruned, so that no observation names it any more
  await db.execute(sql`insert into tags (id, slug, label, version) values
    (1, 'ukraine', 'Ukraine', 3), (2, 'usa', 'USA', 3), (3, 'in', 'IN', 3), (4, 'technik', 'Technik', 3), (5, 'archiv', 'Archiv', 3)`);
  await db.execute(sql`insert into feed_state (key, version) values ('all', 5)`);
  // as the old rule linked them: named, or the label's words anywhere in the text
  await db.execute(sql`insert into item_tags (item_id, tag_id, via) values
    ('a', 1, 'page'), ('a', 2, 'page'), ('b', 2, 'match'), ('c', 2, 'match'),
    ('e', 3, 'page'), ('a', 3, 'match'), ('d', 3, 'match'), ('g', 4, 'page'), ('f', 4, 'match'), ('d', 5, 'match')`);
}

forEachBackend("the migration topics", (backend) => {
  it("keeps the portal's tags matching by words, made safe, and makes feed categories and given tags explicit", async () => {
    await beforeMigration(backend, "topics", async (opened) => {
      await writeOldRows(opened.db);
      await opened.migrate();

      const after = await opened.db.select({ slug: tags.slug, match: tags.match, origin: tags.origin, version: tags.version }).from(tags).orderBy(asc(tags.id));
      expect(after).toEqual([
        { slug: "ukraine", match: "words", origin: "portal", version: 3 },
        { slug: "usa", match: "words", origin: "portal", version: 4 },
        { slug: "in", match: "explicit", origin: "feed", version: 4 },
        { slug: "technik", match: "explicit", origin: "person", version: 4 },
        // named by no observation left: it was the portal's, as nothing says otherwise, and keeps its words
        { slug: "archiv", match: "words", origin: "portal", version: 3 },
      ]);
      // "all" lists every story's tags: it changed too, once for the explicit tags and once for USA's re-check
      expect((await opened.db.select({ version: feedState.version }).from(feedState))[0]?.version).toBe(7);
      const links = await opened.db.select({ itemId: itemTags.itemId, tagId: itemTags.tagId, via: itemTags.via }).from(itemTags);
      const members = (tagId: number) =>
        links
          .filter((l) => l.tagId === tagId)
          .map((l) => `${l.itemId}:${l.via}`)
          .sort();
      expect(members(1)).toEqual(["a:page"]);
      // "Usa und Utsu" left USA: a label in capitals matches only its capitals
      expect(members(2)).toEqual(["a:page", "b:match"]);
      // IN keeps the Portuguese entry its feed named, and loses the German stories that say "in"
      expect(members(3)).toEqual(["e:page"]);
      expect(members(4)).toEqual(["g:page"]);
      expect(members(5)).toEqual(["d:match"]);

      // migrating again changes nothing
      await opened.migrate();
      expect(await opened.db.select({ version: tags.version }).from(tags).orderBy(asc(tags.id))).toEqual(after.map((t) => ({ version: t.version })));
    });
  }, 120_000);
});
