/**
 * Tag matching by text on both backends: a tag finds the stories that name
 * it through the words the full-text index holds (storage/match-words),
 * with the same result as a story that arrives after its tag, for labels
 * with LIKE's own characters, umlauts, one or two letters, and letters the
 * words are not made of. tests/tag-match/cases.json holds the stories and
 * which of them each label must find. Also: the indexes serve the queries
 * they were made for, a database's owner creates pg_trgm (which the earlier
 * migrations need) without being a superuser, and an operator whose pg_trgm
 * the migrations cannot use is told what to do.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storyKey } from "../src/normalise/identity";
import { tagsFromLabels } from "../src/normalise/tag-union";
import { openDatabase, type OpenDatabase } from "../src/storage/open";
import { tagItemIds } from "../src/storage/queries";
import { changeTopics } from "../src/storage/topic-changes";
import { storeDocument } from "../src/storage/store-document";
import { comparable } from "../src/normalise/text";
import { wordQueryOf } from "../src/storage/match-words";
import { holdingWords, indexQueued, matchingQuery } from "../src/storage/search-index";
import { itemsMatching } from "../src/storage/tag-match";
import { cli } from "./support/cli";
import { teaser } from "./support/stories";
import { forEachDatabase } from "./support/databases";

const cases = JSON.parse(readFileSync(join(import.meta.dirname, "tag-match", "cases.json"), "utf8")) as {
  stories: Record<string, { title: string; summary: string }>;
  labels: Record<string, string[]>;
};
const labels = Object.keys(cases.labels);
const tagOf = new Map(tagsFromLabels(labels).map((t) => [t.label, t.slug]));
const idOf = (key: string) => storyKey(cases.stories[key]!.title);

const story = (title: string, summary: string) => teaser(title, summary);

const storeStories = (db: OpenDatabase, list: { title: string; summary: string }[], n = 0) =>
  storeDocument(db.db, {
    source: { kind: "page", name: "stories" },
    name: `stories-${n}.txt`,
    sha256: `${n}`.padStart(64, "0"),
    fetchedAt: new Date(Date.UTC(2025, 11, 9, 13, n)),
    items: list.map((s) => story(s.title, s.summary)),
  });

/** The story that brings the labels as a portal page's topics: it names them all, and is left out of what they find. */
const TOPICS_STORY = "Alle Themen des Tages";

/**
 * The labels as tags that gain stories by their words, made two ways: as the topics of a portal page, which
 * the index finds their stories for (store-document linkNewTags), and as topics in the sources file, which
 * re-checks every story (topic-changes reapply). Both must find the same stories.
 */
const MADE = {
  "a portal page": async (db: OpenDatabase) => {
    const page = story(TOPICS_STORY, "");
    await storeDocument(db.db, {
      source: { kind: "page", name: "topics" },
      name: "topics.txt",
      sha256: "f".repeat(64),
      fetchedAt: new Date(Date.UTC(2025, 11, 9, 12)),
      items: [{ ...page, tags: tagsFromLabels(labels) }],
    });
  },
  "the sources file": async (db: OpenDatabase) => {
    await changeTopics(db.db, { tags: Object.fromEntries(labels.map((label) => [label, { match: "words" as const }])) });
  },
};
type Made = keyof typeof MADE;
const giveTags = (db: OpenDatabase, made: Made) => MADE[made](db);
/** The members of a label's tag, without the story that brought the labels. */
const membersOf = async (db: OpenDatabase, label: string) => (await tagItemIds(db.db, tagOf.get(label)!)).filter((id) => id !== storyKey(TOPICS_STORY));

/** postgres.js answers with the rows, PGlite with an object holding them. */
const rowsOf = <T>(result: unknown): T[] => (Array.isArray(result) ? result : (result as { rows: T[] }).rows);

async function explain(db: OpenDatabase, query: ReturnType<typeof sql>): Promise<string> {
  return db.db.transaction(async (tx) => {
    // only whether the index can serve the query: with so few rows the planner would rightly read the table
    await tx.execute(sql`set local enable_seqscan = off`);
    return rowsOf<Record<string, string>>(await tx.execute(sql`explain ${query}`))
      .map((r) => Object.values(r)[0])
      .join("\n");
  });
}

it("gives every label of the cases a tag of its own", () => {
  expect(new Set(tagOf.values()).size).toBe(labels.length);
});

forEachDatabase(
  "tag matching",
  (db) => {
    for (const made of Object.keys(MADE) as Made[]) {
      it.each(labels)(`a new tag %j from ${made} finds the stored stories that name it`, async (label) => {
        await storeStories(db, Object.values(cases.stories));
        await giveTags(db, made);
        expect(await membersOf(db, label)).toEqual(cases.labels[label]!.map(idOf).sort());
      });

      it(`links a story stored after its tags from ${made} to the same tags`, async () => {
        await giveTags(db, made);
        await storeStories(db, Object.values(cases.stories));
        for (const label of labels) expect(await membersOf(db, label), label).toEqual(cases.labels[label]!.map(idOf).sort());
      });
    }

    it("finds a label among many stories that share its letters but not the word", async () => {
      // stories holding the label's word among others, that the whole-word check must turn away, next to the one match
      const near = Array.from({ length: 300 }, (_, i) => ({
        title: `Bürgergeldempfänger ${i}`,
        summary: `Vorbürgergeld-Zeit und neubürgergeld ${i} Bürgergeld-Reform`,
      }));
      await storeStories(db, [...near, { title: "Das Bürgergeld steigt", summary: "Um zwölf Euro." }]);
      expect(await itemsMatching(db.db, "BÜRGERGELD ist")).toEqual([]);
      expect((await itemsMatching(db.db, "BÜRGERGELD")).length).toBe(301);
      expect(await itemsMatching(db.db, "bürgergeldempfänger 7")).toEqual([storyKey("Bürgergeldempfänger 7")]);
    });

    it("finds stories by labels the words cannot narrow, or only in part, by reading them", async () => {
      const stories = [
        { title: "Handel mit 中国 wächst", summary: "Exporte steigen." },
        { title: "Ёлка на площади", summary: "Москва готовится." },
        { title: "Ёлкин дом", summary: "Ничего." },
        { title: "Note ++ für Rust", summary: "Vergleich mit C++." },
      ];
      await storeStories(db, stories);
      expect(await itemsMatching(db.db, "中国")).toEqual([storyKey(stories[0]!.title)]);
      expect(await itemsMatching(db.db, "ЁЛКА")).toEqual([storyKey(stories[1]!.title)]);
      expect(await itemsMatching(db.db, "++")).toEqual([storyKey(stories[3]!.title)]);
    });

    it.each(["Bürgergeld", "100%", "snake_case", "C:\\Windows", "New York", "EU", "X"])("serves the candidates of %j from item_search_words", async (label) => {
      const plan = await explain(db, sql`select id, match_text from items where ${holdingWords(wordQueryOf(comparable(label))!)}`);
      expect(plan).toContain("item_search_words");
    });

    it("serves ?q= from the lexemes' own index, never from the words", async () => {
      const plan = await explain(db, sql`select id from items where ${matchingQuery("Bürgergeld")}`);
      expect(plan).toContain("item_search_lexemes");
      expect(plan).not.toContain("item_search_words");
      await storeStories(db, [{ title: "Die Wahl", summary: "Wahlen und Häuser" }]);
      const found = async (q: string) => rowsOf<{ n: number }>(await db.db.execute(sql`select count(*)::int as n from items where ${matchingQuery(q)}`))[0]!.n;
      // found once indexed, after the storing transaction
      expect(await found("Haus")).toBe(0);
      expect(await indexQueued(db.db)).toBeGreaterThan(0);
      expect(await found("Haus")).toBe(1);
      expect(await found("wahl")).toBe(1);
      expect(await found("Hund")).toBe(0);
      // a word of the text is stored as " und" too; a query for the stop word finds nothing, as German search always did
      expect(await found("und")).toBe(0);
    });

    it("finds a source's documents through an index that begins with the source (documents_source_latest or documents_source_content_fetch)", async () => {
      const plan = await explain(db, sql`select id from documents where source_id = ${1}`);
      expect(plan).toMatch(/documents_source_(latest|content_fetch)/);
    });
  },
  { emptyBeforeEach: true },
);

const testUrl = process.env.TEST_DATABASE_URL;
describe.skipIf(!testUrl)("pg_trgm on a PostgreSQL server", () => {
  const suffix = `${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const role = `feedwerk_owner_${suffix}`;
  const owned = `feedwerk_test_owned_${suffix}`;
  const elsewhere = `feedwerk_test_elsewhere_${suffix}`;
  let admin: postgres.Sql;
  const urlOf = (database: string, user?: string) => {
    const url = new URL(testUrl!);
    url.pathname = `/${database}`;
    if (user) url.username = user;
    return url.toString();
  };

  beforeAll(async () => {
    admin = postgres(testUrl!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create role ${role} login`);
    await admin.unsafe(`create database ${owned} owner ${role}`);
    await admin.unsafe(`create database ${elsewhere}`);
  });
  afterAll(async () => {
    for (const database of [owned, elsewhere]) await admin?.unsafe(`drop database if exists ${database} with (force)`);
    await admin?.unsafe(`drop role if exists ${role}`);
    await admin?.end();
  });

  it("is created by a role that owns its database without being a superuser", async () => {
    const opened = await openDatabase({ url: urlOf(owned, role) });
    try {
      const [who] = rowsOf<{ rolsuper: boolean }>(await opened.db.execute(sql`select rolsuper from pg_roles where rolname = current_user`));
      expect(who?.rolsuper).toBe(false);
      await opened.migrate();
      await storeStories(opened, [cases.stories["eu-gipfel"]!, cases.stories.europa!]);
      expect(await itemsMatching(opened.db, "EU")).toEqual([idOf("eu-gipfel")]);
    } finally {
      await opened.close();
    }
  });

  describe("created beforehand in a schema outside the search_path", () => {
    let inDatabase: postgres.Sql;
    beforeAll(async () => {
      inDatabase = postgres(urlOf(elsewhere), { max: 1, onnotice: () => {} });
      await inDatabase.unsafe("create schema extensions; create extension pg_trgm schema extensions");
    });
    afterAll(async () => {
      await inDatabase?.end();
    });

    it("fails to migrate, says what to do and leaves no table behind", async () => {
      const opened = await openDatabase({ url: urlOf(elsewhere) });
      try {
        await expect(opened.migrate()).rejects.toThrow(
          /pg_trgm extension.*operator class "gin_trgm_ops" does not exist.*ALTER EXTENSION pg_trgm SET SCHEMA public;/,
        );
      } finally {
        await opened.close();
      }
      expect(await inDatabase`select table_name from information_schema.tables where table_schema = 'public'`).toEqual([]);
    });

    it("says so through the command line, with a non-zero exit", async () => {
      const run = await cli(["migrate"], { DATABASE_URL: urlOf(elsewhere) });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/cannot prepare the database PostgreSQL.*: the schema needs PostgreSQL's pg_trgm extension/);
      expect(run.stderr).toContain("ALTER EXTENSION pg_trgm SET SCHEMA public;");
    });

    it("migrates once the extension is moved where the role finds it", async () => {
      await inDatabase.unsafe("alter extension pg_trgm set schema public");
      const opened = await openDatabase({ url: urlOf(elsewhere) });
      try {
        await opened.migrate();
        await storeStories(opened, [cases.stories.oel!, cases.stories.heizoel!]);
        expect(await itemsMatching(opened.db, "öl")).toEqual([idOf("oel")]);
      } finally {
        await opened.close();
      }
    });
  });
});
