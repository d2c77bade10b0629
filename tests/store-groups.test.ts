/**
 * Documents stored as groups, one transaction each (storage/store-document
 * storeDocuments), on both backends: every fixture feed, read as a polling
 * pass reads it, stored in groups gives the reports and the tables that
 * storing the documents one after another gives; documents that share an
 * item, before or after entry identity, are kept apart; a document whose
 * lease was taken over, or that the database refuses, fails alone and the
 * rest of its group is stored.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { asc, eq, sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { readFetchedFeed } from "../src/input/feed/reader";
import { ingestPage } from "../src/pipeline/ingest-page";
import type { Database } from "../src/storage/database";
import { documents, feedState, items, itemTags, observations, sources, tags } from "../src/storage/schema";
import { addFeedSource, claimFeedSources, findFeedSource, recordFetch, type Lease } from "../src/storage/sources";
import { storeDocument, storeDocuments, type DocumentInput, type Stored } from "../src/storage/store-document";
import { forEachDatabase, truncateAll } from "./support/databases";

const feedsDir = join(import.meta.dirname, "feeds");
const SEED = join(import.meta.dirname, "..", "seeds/000_fd0f4cb902b02a9c.txt");
const FIRST = new Date("2025-12-10T12:00:00Z");
const SECOND = new Date("2025-12-10T14:00:00Z");
// the same story as rss2.xml's first entry (same link, tracking parameters aside), from another feed
const MIRROR = `<?xml version="1.0"?><rss version="2.0"><channel><title>Spiegel</title><link>https://mirror.example/</link><description>m</description>
<item><title>Premiere in Köln</title><link>https://news.example.com/artikel/1?id=7&amp;utm_campaign=x</link><description>Auch hier.</description></item></channel></rss>`;

/** A fetched document as a polling pass reads it, to store for the source `name`. */
async function feedDoc(name: string, text: string | Uint8Array, fetchedAt: Date): Promise<DocumentInput> {
  const url = `https://feeds.example/${name}`;
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  const read = await readFetchedFeed({ bytes, contentType: null, namespace: name, url, fetchedAt });
  const { items: found, entryKeys, retiredIds } = read.entries!;
  return { source: { kind: "feed", name, url }, name: url, sha256: read.sha256, fetchedAt, items: found, identity: { entryKeys, retiredIds } };
}

/** Every fixture feed, and the mirror of rss2.xml's first story; then each again two hours later, its first entry's title changed. */
async function fixtureRounds(): Promise<DocumentInput[][]> {
  const files = readdirSync(feedsDir).filter((f) => /\.(xml|json)$/.test(f) && !f.endsWith(".expected.json"));
  const fixtures = [...files.map((f) => [f, readFileSync(join(feedsDir, f))] as const), ["mirror.xml", Buffer.from(MIRROR)] as const];
  const first: DocumentInput[] = [];
  const second: DocumentInput[] = [];
  for (const [name, bytes] of fixtures) {
    const doc = await feedDoc(name, new Uint8Array(bytes), FIRST).catch(() => null);
    if (!doc) continue; // a fixture no reader can read (plain text) has nothing to store
    first.push(doc);
    // latin1 both ways keeps every byte as it was, whatever the document's encoding
    const edited = Buffer.from(bytes.toString("latin1").replace(/(<(?:item|entry)\b[\s\S]*?<title[^>]*>)/, "$1Neu: "), "latin1");
    second.push(await feedDoc(name, new Uint8Array(edited), SECOND));
  }
  return [first, second];
}

/** The tables as storing leaves them, without the serial ids and times of day that differ from one run to another. */
async function tables(db: Database) {
  const rows = <T>(result: unknown) => ((result as { rows?: T[] }).rows ?? (result as T[])) as T[];
  return {
    items: await db.select().from(items).orderBy(asc(items.id)),
    observations: rows(
      await db.execute(sql`select o.item_id, d.name as document, d.fetched_at as document_fetched_at, o.fetched_at, o.kind, o.content_hash,
        o.comment_count, o.published_at, o.precision, o.entry_key, o.tags
        from ${observations} o join ${documents} d on d.id = o.document_id order by o.item_id, d.name`),
    ),
    documents: rows(
      await db.execute(sql`select s.name as source, d.name, d.sha256, d.fetched_at, d.item_count from ${documents} d join ${sources} s on s.id = d.source_id
        order by d.name, d.fetched_at`),
    ),
    itemTags: rows(await db.execute(sql`select it.item_id, t.slug, it.via from ${itemTags} it join ${tags} t on t.id = it.tag_id order by it.item_id, t.slug`)),
    tags: await db.select({ slug: tags.slug, label: tags.label, version: tags.version }).from(tags).orderBy(asc(tags.slug)),
    all: await db.select({ key: feedState.key, version: feedState.version }).from(feedState),
    sources: await db
      .select({ name: sources.name, kind: sources.kind, tags: sources.tags, listing: sources.listing, listedAt: sources.listedAt })
      .from(sources)
      .orderBy(asc(sources.name)),
  };
}

const reportsOf = (stored: Stored[]) => stored.map((s) => ("report" in s ? s.report : { error: String(s.error) }));

function chunks<T>(list: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(list.length / size) }, (_, k) => list.slice(k * size, (k + 1) * size));
}

forEachDatabase(
  "documents stored in groups",
  (db) => {
    // the portal's stories and tags first: feeds' entries then join tags that exist, and bring new ones
    const prime = () => ingestPage(db.db, { name: "seed", bytes: new Uint8Array(readFileSync(SEED)), fetchedAt: new Date("2025-12-09T13:00:00Z") });

    it("stores every fixture feed in groups with the reports and tables of storing them one by one", async () => {
      const rounds = await fixtureRounds();
      expect(rounds[0]!.length).toBeGreaterThan(30);
      await prime();
      const oneByOne: unknown[] = [];
      for (const round of rounds) for (const doc of round) oneByOne.push((await storeDocuments(db.db, [{ doc }]))[0]);
      const expected = await tables(db.db);
      // rss2.xml and mirror.xml tell one story: one item, observed by both
      const of = (o: unknown) => o as { item_id: string; document: string };
      const mirrored = of(expected.observations.find((o) => of(o).document === "https://feeds.example/mirror.xml")).item_id;
      const observers = new Set(expected.observations.filter((o) => of(o).item_id === mirrored).map((o) => of(o).document));
      expect(observers).toEqual(new Set(["https://feeds.example/rss2.xml", "https://feeds.example/mirror.xml"]));

      for (const size of [3, 8, rounds[0]!.length]) {
        await truncateAll(db);
        await prime();
        const grouped: unknown[] = [];
        for (const round of rounds)
          for (const group of chunks(round, size))
            grouped.push(
              ...(await storeDocuments(
                db.db,
                group.map((doc) => ({ doc })),
              )),
            );
        expect(reportsOf(grouped as Stored[]), `groups of ${size}`).toEqual(reportsOf(oneByOne as Stored[]));
        expect(await tables(db.db), `groups of ${size}`).toEqual(expected);
      }
    });

    it("credits a tag that a later document of the group brings to that document, not to an earlier one whose story names it", async () => {
      const rss = (channel: string, entries: string) =>
        `<?xml version="1.0"?><rss version="2.0"><channel><title>${channel}</title><link>https://${channel}.example/</link><description>d</description>${entries}</channel></rss>`;
      // the first feed's story names "Wasserstoff" without the tag; the second document brings the tag as a portal
      // page's topic, which gains stories by its words (a feed's category would gain only its own stories)
      const naming = await feedDoc(
        "e",
        rss("e", `<item><title>Neue Leitung für Wasserstoff</title><link>https://e.example/1</link><description>Ein Netz.</description></item>`),
        FIRST,
      );
      const tagging = {
        ...(await feedDoc(
          "f",
          rss(
            "f",
            `<item><title>Ein Kraftwerk</title><link>https://f.example/1</link><category>Wasserstoff</category><description>Strom.</description></item>`,
          ),
          FIRST,
        )),
        source: { kind: "page" as const, name: "f-page" },
      };
      await prime();
      const grouped = reportsOf(await storeDocuments(db.db, [{ doc: naming }, { doc: tagging }]));
      const state = await tables(db.db);
      expect(state.itemTags.filter((l) => (l as { slug: string }).slug === "wasserstoff")).toHaveLength(2);

      await truncateAll(db);
      await prime();
      const oneByOne = [await storeDocument(db.db, naming), await storeDocument(db.db, tagging)];
      expect(oneByOne.map((r) => [r.newTags, r.changedTags.includes("wasserstoff")])).toEqual([
        [[], false],
        [["wasserstoff"], true],
      ]);
      expect(grouped).toEqual(oneByOne);
      expect(await tables(db.db)).toEqual(state);
    });

    it("keeps apart two documents that meet on an item only through entry identity", async () => {
      const rss = (channel: string, entries: string) =>
        `<?xml version="1.0"?><rss version="2.0"><channel><title>${channel}</title><link>https://${channel}.example/</link><description>d</description>${entries}</channel></rss>`;
      const entry = (guid: string | null, link: string, title: string) =>
        `<item><title>${title}</title><link>${link}</link>${guid ? `<guid isPermaLink="false">${guid}</guid>` : ""}<description>${title}</description></item>`;
      const before = await feedDoc("c", rss("c", entry("c-1", "https://news.example/alt", "Die Meldung")), FIRST);
      // c's entry moves to a new link and stays on its item (the old link's); d links to the old link: the same item
      const moved = await feedDoc("c", rss("c", entry("c-1", "https://news.example/neu", "Die Meldung, neu verlinkt")), SECOND);
      const other = await feedDoc("d", rss("d", entry(null, "https://news.example/alt", "Dieselbe Meldung bei d")), SECOND);
      expect(moved.items[0]!.id).not.toBe(other.items[0]!.id);

      await storeDocument(db.db, before);
      const grouped = reportsOf(await storeDocuments(db.db, [{ doc: moved }, { doc: other }]));
      const state = await tables(db.db);
      expect(state.items).toHaveLength(1);
      expect(grouped.map((r) => (r as { outcomes: { id: string }[] }).outcomes.map((o) => o.id))).toEqual([[before.items[0]!.id], [before.items[0]!.id]]);

      await truncateAll(db);
      await storeDocument(db.db, before);
      const oneByOne = [await storeDocument(db.db, moved), await storeDocument(db.db, other)];
      expect(grouped).toEqual(oneByOne);
      expect(await tables(db.db)).toEqual(state);
    });

    it("gives two feeds that serve the same bytes, fetched in the same millisecond, a document and observations each", async () => {
      const bytes = readFileSync(join(feedsDir, "rss2.xml"));
      const first = await feedDoc("copy-1", new Uint8Array(bytes), FIRST);
      const second = await feedDoc("copy-2", new Uint8Array(bytes), FIRST);
      expect(second.sha256).toBe(first.sha256);
      // in one group, as a pass stores them, and one by one
      const grouped = async () => (await storeDocuments(db.db, [{ doc: first }, { doc: second }])).map((r) => ("report" in r ? r.report : r));
      for (const store of [grouped, async () => [await storeDocument(db.db, first), await storeDocument(db.db, second)]]) {
        await truncateAll(db);
        const reports = await store();
        // the same stories (the same links): new to the first, shown again by the second, which observes them all the same
        expect(reports.map((r) => ("new" in r ? [r.new, r.unchanged] : r))).toEqual([
          [first.items.length, 0],
          [0, second.items.length],
        ]);
        const perSource = await db.db
          .select({
            name: sources.name,
            documents: sql<number>`count(distinct ${documents.id})::int`,
            observed: sql<number>`count(${observations.itemId})::int`,
          })
          .from(sources)
          .innerJoin(documents, eq(documents.sourceId, sources.id))
          .leftJoin(observations, eq(observations.documentId, documents.id))
          .groupBy(sources.name)
          .orderBy(asc(sources.name));
        expect(perSource).toEqual([
          { name: "copy-1", documents: 1, observed: first.items.length },
          { name: "copy-2", documents: 1, observed: second.items.length },
        ]);
      }
      // the same document stored again is still the one document
      await storeDocument(db.db, second);
      expect((await db.db.select({ id: documents.id }).from(documents)).length).toBe(2);
    });

    it("stores the rest of a group when one document's lease was taken over, and nothing of that one", async () => {
      const names = ["rss2.xml", "atom.xml", "rdf.xml"];
      for (const name of names) await addFeedSource(db.db, { url: `https://feeds.example/${name}`, name });
      const stale: Lease = { owner: "stale", token: "stale-claim" };
      expect(await claimFeedSources(db.db, { lease: stale, limit: 3, leaseSeconds: 300, dueAt: FIRST })).toHaveLength(3);
      // another poller takes atom.xml over once the stale lease has run out
      await db.db.update(sources).set({ leaseUntil: sql`now() - interval '1 second'` }).where(eq(sources.name, "atom.xml"));
      const taken = await claimFeedSources(db.db, { lease: { owner: "new", token: "new-claim" }, limit: 3, leaseSeconds: 300, dueAt: FIRST });
      expect(taken.map((s) => s.name)).toEqual(["atom.xml"]);

      const group = await Promise.all(
        names.map(async (name) => {
          const doc = await feedDoc(name, new Uint8Array(readFileSync(join(feedsDir, name))), FIRST);
          const id = (await findFeedSource(db.db, name))!.id;
          return {
            doc,
            alongside: async (tx: Database) => {
              if (!(await recordFetch(tx, id, { lastStatus: "ok", lastFetchAt: FIRST }, stale))) throw new Error(`lease lost: ${name}`);
            },
          };
        }),
      );
      const results = await storeDocuments(db.db, group);
      expect(results.map((r) => ("error" in r ? String(r.error) : "stored"))).toEqual(["stored", "Error: lease lost: atom.xml", "stored"]);
      const stored = await tables(db.db);
      expect(stored.documents.map((d) => (d as { source: string }).source).sort()).toEqual(["rdf.xml", "rss2.xml"]);
      expect(stored.items).toHaveLength(group[0]!.doc.items.length + group[2]!.doc.items.length);
      const byName = Object.fromEntries((await db.db.select().from(sources)).map((s) => [s.name, s]));
      expect([byName["rss2.xml"]!.lastStatus, byName["atom.xml"]!.lastStatus, byName["rdf.xml"]!.lastStatus]).toEqual(["ok", null, "ok"]);
      expect(byName["atom.xml"]!.leaseToken).toBe("new-claim");
    });

    it("stores the rest of a group when the database refuses a value of one document, which fails with the database's error", async () => {
      const [rss2, atom, rdf] = await Promise.all(
        ["rss2.xml", "atom.xml", "rdf.xml"].map((n) => feedDoc(n, new Uint8Array(readFileSync(join(feedsDir, n))), FIRST)),
      );
      // more comments than an integer column holds: PostgreSQL refuses the row
      const refused = { ...atom!, items: atom!.items.map((item, k) => (k === 0 ? { ...item, commentCount: 2 ** 40 } : item)) };
      const results = await storeDocuments(db.db, [{ doc: rss2! }, { doc: refused }, { doc: rdf! }]);
      expect(results.map((r) => ("error" in r ? "failed" : "stored"))).toEqual(["stored", "failed", "stored"]);
      // the driver's error, which names the statement, has the database's as its cause
      expect(String(((results[1] as { error: Error }).error.cause as Error).message)).toMatch(/out of range/);
      const stored = await tables(db.db);
      expect(stored.documents.map((d) => (d as { source: string }).source).sort()).toEqual(["rdf.xml", "rss2.xml"]);
      expect(stored.items).toHaveLength(rss2!.items.length + rdf!.items.length);

      // and alone, as the group's documents were stored, the same
      await truncateAll(db);
      await storeDocument(db.db, rss2!);
      await expect(storeDocument(db.db, refused)).rejects.toMatchObject({ cause: { message: expect.stringMatching(/out of range/) } });
      await storeDocument(db.db, rdf!);
      expect(await tables(db.db)).toEqual(stored);
    });
  },
  { emptyBeforeEach: true },
);
