/**
 * Storage and merge rules, on every backend (PGlite and PostgreSQL).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { asc, getTableColumns, sql } from "drizzle-orm";
import { ingestPage } from "../src/pipeline/ingest-page";
import { storyKey } from "../src/normalise/identity";
import { parsePage } from "../src/input/page/parse";
import type { OpenDatabase } from "../src/storage/open";
import { countItems, findItem, tagItemIds } from "../src/storage/queries";
import { documents, items, itemTags, observations, tags } from "../src/storage/schema";
import { storeDocument } from "../src/storage/store-document";
import { forEachDatabase, truncateAll } from "./support/databases";

const pages = join(import.meta.dirname, "pages");
const bytes = (name: string) => new Uint8Array(readFileSync(join(pages, name)));
const SEED = { name: "seed-alaska.txt", fetchedAt: new Date("2025-12-09T13:00:00Z") };
const FOLLOWUP = { name: "prag-followup.txt", fetchedAt: new Date("2025-12-09T15:00:00Z") };
const ingest = (db: OpenDatabase, page: { name: string; fetchedAt: Date }) =>
  ingestPage(db.db, { name: page.name, bytes: bytes(page.name), fetchedAt: page.fetchedAt });
const id = (title: string) => storyKey(title);

/**
 * Every item, with last_seen_at as far as the database knows it: while a source's listing holds an item its
 * last_seen_at is not kept current (storage/listing), and the listing's time says when it was seen.
 */
async function allItems(db: OpenDatabase) {
  // spelled out: a column in a select of one table is not qualified, and "id" would be the sources' own
  const lastSeen = sql<Date>`greatest(items.last_seen_at, (select max(s.listed_at) from sources s where s.listing @> jsonb_build_array(items.id)))`;
  return db.db
    .select({ ...getTableColumns(items), lastSeenAt: lastSeen.mapWith(items.lastSeenAt) })
    .from(items)
    .orderBy(asc(items.id));
}
async function allLinks(db: OpenDatabase) {
  return db.db.select().from(itemTags).orderBy(asc(itemTags.itemId), asc(itemTags.tagId));
}

forEachDatabase(
  "storage",
  (db) => {
    it("stores every story of the seed once", async () => {
      const report = await ingest(db, SEED);
      expect(report).toMatchObject({ new: 17, updated: 0, unchanged: 0 });
      expect(await countItems(db.db)).toBe(17);
      const article = await findItem(db.db, id("Ukraine-Verhandlungen in Alaska? Trump will Putin empfangen"));
      expect(article?.publishedAt?.toISOString()).toBe("2025-08-10T10:47:00.000Z");
      expect(article?.memberOf.map((t) => t.slug)).toEqual([
        "konflikte",
        "krieg",
        "regierung",
        "gipfel",
        "diplomatie",
        "usa",
        "russland",
        "ukraine",
        "fragen-antworten",
      ]);
    });

    it("puts the article and the Ukraine teaser, and nothing else, in tag ukraine", async () => {
      await ingest(db, SEED);
      expect(await tagItemIds(db.db, "ukraine")).toEqual(
        [id("Ukraine-Verhandlungen in Alaska? Trump will Putin empfangen"), id("Ukraine soll Korruptionskontrollen ausgehöhlt haben")].sort(),
      );
    });

    it("is idempotent: the same page twice changes nothing", async () => {
      await ingest(db, SEED);
      const before = { items: await allItems(db), links: await allLinks(db) };
      const again = await ingest(db, SEED);
      expect(again).toMatchObject({ new: 0, updated: 0, unchanged: 17 });
      expect(await allItems(db)).toEqual(before.items);
      expect(await allLinks(db)).toEqual(before.links);
      expect(await db.db.$count(documents)).toBe(1);
      expect(again.changedTags).toEqual([]);
    });

    it("bumps the version of exactly the tags whose feeds changed", async () => {
      await ingest(db, SEED);
      const versions = async () =>
        Object.fromEntries((await db.db.select({ slug: tags.slug, version: tags.version }).from(tags)).map((t) => [t.slug, t.version]));
      const before = await versions();
      const report = await ingest(db, FOLLOWUP);
      // new article: babis, europa, regierung, tschechien; the Ukraine teaser got a date: ukraine, regierung
      expect(report.changedTags).toEqual(["babis", "europa", "regierung", "tschechien", "ukraine"]);
      const after = await versions();
      for (const [slug, version] of Object.entries(after)) {
        if (report.changedTags.includes(slug)) expect(version, slug).toBe((before[slug] ?? 0) + 1);
        else expect(version, slug).toBe(before[slug]);
      }
    });

    it("merges a teaser seen again on another page, keeping the most precise date", async () => {
      await ingest(db, SEED);
      const report = await ingest(db, FOLLOWUP);
      // article and "Weihnachtsmärkte" are new; Ernennung (comments 0 → 5) and the
      // Ukraine teaser (untimed → "vor 20 Minuten") changed; Corenswet did not.
      expect(report).toMatchObject({ new: 2, updated: 2, unchanged: 1 });
      expect(await countItems(db.db)).toBe(19);

      const ernennung = await findItem(db.db, id("Ernennung des neuen tschechischen Ministerpräsidenten"));
      expect(ernennung?.publishedAt?.toISOString()).toBe("2025-12-09T12:57:00.000Z"); // minutes beat hours
      expect(ernennung?.commentCount).toBe(5);
      expect(ernennung?.updatedAt.toISOString()).toBe("2025-12-09T15:00:00.000Z");

      const ukraine = await findItem(db.db, id("Ukraine soll Korruptionskontrollen ausgehöhlt haben"));
      expect(ukraine?.publishedAt?.toISOString()).toBe("2025-12-09T14:40:00.000Z"); // a time beats none
      expect(ukraine?.firstSeenAt.toISOString()).toBe("2025-12-09T13:00:00.000Z");
      // a date arriving for the undated teaser is no change to it: updated is that date
      expect(ukraine?.updatedAt.toISOString()).toBe("2025-12-09T14:40:00.000Z");

      const corenswet = await findItem(db.db, id("David Corenswet"));
      expect(corenswet?.updatedAt.toISOString()).toBe("2025-12-09T13:00:00.000Z");
    });

    it("ends in the same state whatever the order the pages were ingested in", async () => {
      await ingest(db, SEED);
      await ingest(db, FOLLOWUP);
      const forward = { items: await allItems(db), links: await allLinks(db) };
      await truncateAll(db);
      await ingest(db, FOLLOWUP);
      await ingest(db, SEED);
      const backward = { items: await allItems(db), links: await allLinks(db) };
      const withoutTagIds = (links: typeof forward.links) => links.map(({ itemId, via }) => `${itemId}:${via}`).sort();
      expect(backward.items).toEqual(forward.items);
      expect(withoutTagIds(backward.links)).toEqual(withoutTagIds(forward.links));
    });

    it("links a tag to stories that name it, whether the tag or the story came first", async () => {
      const prague = id("Ernennung des neuen tschechischen Ministerpräsidenten");
      const followup = id("Babis vereidigt: Was der Machtwechsel für Europa bedeutet");
      // "Babis" is a tag of the follow-up article and a word in the seed's Prague teaser.
      await ingest(db, SEED);
      await ingest(db, FOLLOWUP);
      expect(await tagItemIds(db.db, "babis")).toEqual([prague, followup].sort());
      await truncateAll(db);
      await ingest(db, FOLLOWUP);
      await ingest(db, SEED);
      expect(await tagItemIds(db.db, "babis")).toEqual([prague, followup].sort());
      // whole words only: the Prague teaser says "Regierungschef", the Ukraine teaser "Regierung"
      const regierung = await tagItemIds(db.db, "regierung");
      expect(regierung).toContain(id("Ukraine soll Korruptionskontrollen ausgehöhlt haben"));
      expect(regierung).not.toContain(prague);
    });

    it("takes the text of a later observation and re-matches its tags", async () => {
      const seed = parsePage(readFileSync(join(pages, "seed-alaska.txt"), "utf8"), SEED.fetchedAt);
      await storeDocument(db.db, { source: { kind: "page", name: "portal" }, name: "a", sha256: "a", fetchedAt: SEED.fetchedAt, items: seed });
      const teaser = seed.find((i) => i.title === "Jane Seymour")!;
      const corrected = { ...teaser, summary: "(BANG) - Jane Seymour spricht über ihre Zeit in der Ukraine" };
      const later = new Date("2025-12-10T08:00:00Z");
      const report = await storeDocument(db.db, {
        source: { kind: "page", name: "portal" },
        name: "b",
        sha256: "b",
        fetchedAt: later,
        items: [corrected],
      });
      expect(report).toMatchObject({ updated: 1 });
      const stored = await findItem(db.db, teaser.id);
      expect(stored?.summary).toBe(corrected.summary);
      expect(stored?.updatedAt.toISOString()).toBe(later.toISOString());
      expect(await tagItemIds(db.db, "ukraine")).toContain(teaser.id);
      // an older observation ingested afterwards does not undo the correction
      await storeDocument(db.db, { source: { kind: "page", name: "portal" }, name: "a", sha256: "a", fetchedAt: SEED.fetchedAt, items: [teaser] });
      expect((await findItem(db.db, teaser.id))?.summary).toBe(corrected.summary);
    });

    it("gives the same result when pages are ingested concurrently", async () => {
      await ingest(db, SEED);
      await ingest(db, FOLLOWUP);
      const sequential = { items: await allItems(db), links: (await allLinks(db)).length };
      await truncateAll(db);
      await Promise.all([ingest(db, FOLLOWUP), ingest(db, SEED), ingest(db, SEED)]);
      expect(await allItems(db)).toEqual(sequential.items);
      expect((await allLinks(db)).length).toBe(sequential.links);
    });

    it("stores documents that share stories and tags side by side, as if one after another", async () => {
      const seed = parsePage(readFileSync(join(pages, "seed-alaska.txt"), "utf8"), SEED.fetchedAt);
      // Every tag exists once the seed is in, so these documents share the ingestion lock and
      // meet on the same stories: later fetches with new comment counts and corrected summaries,
      // two sources that do not exist yet, and one document delivered twice.
      const docs = Array.from({ length: 24 }, (_, k) => ({
        source: { kind: "feed" as const, name: `mirror-${k % 2}` },
        name: `mirror ${k}`,
        sha256: `mirror-${k}`,
        fetchedAt: new Date(SEED.fetchedAt.getTime() + (k + 1) * 3_600_000),
        items: seed.map((item, i) => ({
          ...item,
          commentCount: k * 10 + i,
          summary: i % 3 === k % 3 ? `${item.summary} (korrigiert ${k})` : item.summary,
        })),
      }));
      docs.push({ ...docs[5]! });
      const prime = () =>
        storeDocument(db.db, { source: { kind: "page", name: "portal" }, name: "seed", sha256: "seed", fetchedAt: SEED.fetchedAt, items: seed });
      const state = async () => ({
        items: await allItems(db),
        links: await allLinks(db),
        observations: await db.db.$count(observations),
        documents: await db.db.$count(documents),
      });

      await prime();
      for (const doc of docs) await storeDocument(db.db, doc);
      const sequential = await state();
      expect(sequential.documents).toBe(25);

      await truncateAll(db);
      await prime();
      await Promise.all([...docs].reverse().map((doc) => storeDocument(db.db, doc)));
      expect(await state()).toEqual(sequential);
    });

    it("writes nothing of a document that fails half-way", async () => {
      const seed = parsePage(readFileSync(join(pages, "seed-alaska.txt"), "utf8"), SEED.fetchedAt);
      const broken = { ...seed[3]!, title: null as unknown as string };
      await expect(
        storeDocument(db.db, {
          source: { kind: "page", name: "portal" },
          name: "broken",
          sha256: "x",
          fetchedAt: SEED.fetchedAt,
          items: [seed[0]!, seed[1]!, broken],
        }),
      ).rejects.toThrow();
      expect(await countItems(db.db)).toBe(0);
      expect(await db.db.$count(documents)).toBe(0);
    });
  },
  { emptyBeforeEach: true },
);
