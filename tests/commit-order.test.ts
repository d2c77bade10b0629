/**
 * The newest fetch's words win, whatever order the documents commit in. A feed that says again what
 * it said before records no observation (store/merge isRepeat); its listing says it still shows the
 * story. When another source's older fetch of the same story commits after that repeat (two pollers,
 * or two groups of one pass), the story must still show the words of the newest fetch: the skipped
 * repeat counts as observed at the listing's time. Each order of commits is checked against the
 * order of the fetches, on both backends.
 */
import { asc, eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { readFetchedFeed } from "../src/input/feed/reader";
import type { Database } from "../src/storage/database";
import { items, observations } from "../src/storage/schema";
import { storeDocument, type DocumentInput } from "../src/storage/store-document";
import { forEachDatabase, truncateAll } from "./support/databases";

const LINK = "https://news.example.com/artikel/42";
const T1 = new Date("2026-03-01T08:00:00Z");
const T2 = new Date("2026-03-01T09:00:00Z");
const T3 = new Date("2026-03-01T10:00:00Z");
const T4 = new Date("2026-03-01T11:00:00Z");

/** A feed of one story, with its own words for it. */
function feed(name: string, title: string, summary: string): string {
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>${name}</title>
<link>https://${name}.example/</link><description>${name}</description>
<item><title>${title}</title><link>${LINK}</link><guid isPermaLink="false">${name}-42</guid><description>${summary}</description></item>
</channel></rss>`;
}

async function doc(name: string, text: string, fetchedAt: Date): Promise<DocumentInput> {
  const url = `https://feeds.example/${name}`;
  const read = await readFetchedFeed({ bytes: new TextEncoder().encode(text), contentType: null, namespace: name, url, fetchedAt });
  const { items: found, entryKeys, retiredIds } = read.entries!;
  return { source: { kind: "feed", name, url }, name: url, sha256: read.sha256, fetchedAt, items: found, identity: { entryKeys, retiredIds } };
}

/** The stored story as a reader sees it: what merging derives, without when a listing last let go of it. */
async function story(db: Database) {
  const rows = await db.select().from(items).orderBy(asc(items.id));
  expect(rows).toHaveLength(1);
  const { lastSeenAt: _, ...row } = rows[0]!;
  return row;
}

async function storeAll(db: Database, docs: readonly DocumentInput[]): Promise<void> {
  for (const d of docs) await storeDocument(db, d);
}

forEachDatabase(
  "commit order against fetch order",
  (db) => {
    it("shows the newest fetch's words when an older fetch of another source commits after a repeat", async () => {
      const a1 = await doc("alpha", feed("alpha", "Alpha sagt zuerst", "Die Fassung von Alpha."), T1);
      const b2 = await doc("beta", feed("beta", "Beta sagt später", "Die Fassung von Beta."), T2);
      const a3 = await doc("alpha", feed("alpha", "Alpha sagt zuerst", "Die Fassung von Alpha."), T3);

      // the fetches in their own order: alpha's second fetch follows beta's, so it is recorded and its words win
      await storeAll(db.db, [a1, b2, a3]);
      const expected = await story(db.db);
      expect(expected.title).toBe("Alpha sagt zuerst");

      // alpha's second fetch commits before beta's older one: it is a repeat then, and records nothing
      await truncateAll(db);
      await storeAll(db.db, [a1, a3]);
      expect(await db.db.select().from(observations)).toHaveLength(1);
      await storeDocument(db.db, b2);
      expect(await story(db.db)).toEqual(expected);
    });

    it("keeps counting a repeat from its listing's time until a later document of its source lets the story go", async () => {
      const a1 = await doc("alpha", feed("alpha", "Alpha", "Alpha schreibt."), T1);
      const a3 = await doc("alpha", feed("alpha", "Alpha", "Alpha schreibt."), T3);
      const b2 = await doc("beta", feed("beta", "Beta", "Beta schreibt."), T2);
      const b4 = await doc("beta", feed("beta", "Beta", "Beta schreibt."), T4);

      await storeAll(db.db, [a1, b2, a3, b4]);
      const expected = await story(db.db);

      for (const order of [
        [a1, a3, b2, b4],
        [b2, b4, a1, a3],
        [a3, b4, a1, b2],
        [b4, a1, a3, b2],
      ]) {
        await truncateAll(db);
        await storeAll(db.db, order);
        const got = await story(db.db);
        expect({ title: got.title, summary: got.summary }).toEqual({ title: expected.title, summary: expected.summary });
        expect(got).toEqual(expected);
      }
      // beta's fetch at T4 is the newest: its words
      expect(expected.title).toBe("Beta");
    });

    it("records a skipped repeat when its source's listing lets the story go, so that it still counts after", async () => {
      const a1 = await doc("alpha", feed("alpha", "Alpha", "Alpha schreibt."), T1);
      const b2 = await doc("beta", feed("beta", "Beta", "Beta schreibt."), T2);
      const a3 = await doc("alpha", feed("alpha", "Alpha", "Alpha schreibt."), T3);
      const empty = `<?xml version="1.0"?><rss version="2.0"><channel><title>alpha</title><link>https://alpha.example/</link><description>alpha</description></channel></rss>`;
      const a4 = await doc("alpha", empty, T4);
      await storeAll(db.db, [a1, b2, a3, a4]);
      const expected = await story(db.db);
      // alpha said its words last (at T3), though it no longer lists the story
      expect(expected.title).toBe("Alpha");
      for (const order of [
        [a1, a3, a4, b2],
        [a1, a3, b2, a4],
        [b2, a1, a3, a4],
      ]) {
        await truncateAll(db);
        await storeAll(db.db, order);
        const got = await story(db.db);
        expect(got).toEqual(expected);
        // the repeat at T3 is an observation now, recorded once
        const times = (await db.db.select().from(observations).where(eq(observations.itemId, got.id))).map((o) => o.fetchedAt.toISOString()).sort();
        expect(times).toEqual([T1, T2, T3].map((t) => t.toISOString()));
      }
    });
  },
  { emptyBeforeEach: true },
);
