/**
 * The migration search_lexemes_apart (0022) on a database indexed before it, where one column and one GIN
 * index held both ?q='s German lexemes and the match words: every story stored before, indexed or still
 * queued, is then found by ?q= through the lexemes' index and by a new tag's words through theirs,
 * and the queue is left as it was. On both backends.
 */
import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { matchTextOf } from "../src/normalise/topic/label-words";
import { comparable } from "../src/normalise/text";
import { matchWordsOf, wordQueryOf } from "../src/storage/match-words";
import { holdingWords, matchingQuery } from "../src/storage/search-index";
import { forEachBackend } from "./support/databases";
import { beforeMigration, rowsOf } from "./support/migrations";

const STORIES: [id: string, title: string, summary: string][] = [
  ["a", "Wahlen in Brandenburg", "Die Häuser der Parteien bereiten sich vor."],
  ["b", "Streik bei der Bahn", "Züge fallen aus, auch in New York nicht."],
  ["c", "Neues vom Haushalt", "Der Bundestag berät über die Schuldenbremse."],
];

forEachBackend("the migration search_lexemes_apart", (backend) => {
  it("indexes the stories stored before it in the two columns and keeps the queue", async () => {
    await beforeMigration(backend, "search_lexemes_apart", async (opened) => {
      const db = opened.db;
      const rows = STORIES.map(
        ([id, title, summary]) =>
          sql`(${id}, ${`urn:${id}`}, 'teaser', ${title}, ${summary}, 'none', ${matchTextOf(title, summary)}, ${matchWordsOf(matchTextOf(title, summary))}::tsvector, now(), now(), now(), ${id})`,
      );
      await db.execute(sql`insert into items (id, guid, kind, title, summary, precision, match_text, match_words, feed_at, first_seen_at, updated_at, content_hash)
        values ${sql.join(rows, sql`, `)}`);
      // a and b indexed as 0021 did, c still queued
      await db.execute(sql`insert into item_search (item_id, words)
        select id, to_tsvector('german', title || ' ' || summary) || match_words from items where id in ('a', 'b')`);
      await db.execute(sql`insert into search_queue (item_id) values ('c')`);
      await opened.migrate();

      const ids = async (where: ReturnType<typeof sql>) =>
        rowsOf<{ id: string }>(await db.execute(sql`select id from items where ${where} order by id`)).map((r) => r.id);
      // German lexemes: "Haus" finds "Häuser" and "Haushalt" does not; the words are not searched
      expect(await ids(matchingQuery("Haus"))).toEqual(["a"]);
      expect(await ids(matchingQuery("Schuldenbremse"))).toEqual(["c"]);
      expect(await ids(matchingQuery("die"))).toEqual([]);
      // exact words: "new york" in b only; "häuser" is a word of a, "haus" of none
      expect(await ids(holdingWords(wordQueryOf(comparable("New York"))!))).toEqual(["b"]);
      expect(await ids(holdingWords(wordQueryOf(comparable("Häuser"))!))).toEqual(["a"]);
      expect(await ids(holdingWords(wordQueryOf(comparable("Haus"))!))).toEqual([]);
      const queued = rowsOf<{ id: string }>(await db.execute(sql`select item_id as id from search_queue`)).map((r) => r.id);
      expect(queued).toEqual(["c"]);
      const options = rowsOf<{ name: string; options: string[] | string | null }>(
        await db.execute(
          sql`select relname as name, reloptions as options from pg_class where relname in ('item_search_lexemes', 'item_search_words') order by relname`,
        ),
      );
      expect(options.map((o) => o.name)).toEqual(["item_search_lexemes", "item_search_words"]);
      expect(String(options[1]!.options)).toContain("gin_pending_list_limit=32768");
    });
  });
});
