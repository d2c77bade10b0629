/**
 * Which entries of followed feeds are one item: each entry once, known by
 * its own id within its feed; one story linked from two feeds once; never
 * two entries merged by a link they share or by a home page. The reader's
 * rule on single documents, then polling passes against a local server on
 * both backends, across documents whose links change, and the upgrade of a
 * database whose items were stored under the rule that keyed entries by
 * their link.
 */
import { createServer, type Server } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { asc, eq, inArray, sql } from "drizzle-orm";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { decodeFeed } from "../src/input/feed/decode";
import { readFeed } from "../src/input/feed/read-feed";
import { canonical, feedEntries } from "../src/input/feed/to-items";
import { guidFor } from "../src/normalise/identity";
import type { Item } from "../src/normalise/item";
import { derive, mergeObservations, observe } from "../src/normalise/merge";
import { createApp } from "../src/publish/app";
import type { Database } from "../src/storage/database";
import { findItem, tagItemIds } from "../src/storage/queries";
import { itemRow } from "../src/storage/rows";
import { documents, items, observations, sources } from "../src/storage/schema";
import { addFeedSource, itemIdsOfSource, recordFetch } from "../src/storage/sources";
import { forEachBackend, truncateAll } from "./support/databases";
import { collectPoll, localFetcher, forEachPollingDatabase } from "./support/polling";
import { migrateBefore } from "./support/migrations";

const feedsDir = join(import.meta.dirname, "feeds");
const PODCAST = readFileSync(join(feedsDir, "podcast-shared-link.xml"), "utf8");
const podcastExpected = JSON.parse(readFileSync(join(feedsDir, "podcast-shared-link.expected.json"), "utf8")) as {
  items: { title: string; publishedAt: string }[];
};

async function entriesOf(xml: string, url: string, fetchedAt = new Date("2025-12-10T12:00:00Z")) {
  return feedEntries(await readFeed(decodeFeed(new TextEncoder().encode(xml))), url, url, fetchedAt);
}

function rss(channelLink: string, entries: { guid?: string; link?: string; title: string; date?: string; text?: string }[]): string {
  const body = entries
    .map((e) =>
      [
        "<item>",
        `<title>${e.title}</title>`,
        e.link ? `<link>${e.link.replace(/&/g, "&amp;")}</link>` : "",
        e.guid ? `<guid isPermaLink="false">${e.guid}</guid>` : "",
        e.date ? `<pubDate>${e.date}</pubDate>` : "",
        `<description>${e.text ?? e.title}</description>`,
        "</item>",
      ].join(""),
    )
    .join("\n");
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>${channelLink}</link><description>d</description>\n${body}\n</channel></rss>`;
}

describe("entry identity in one document", () => {
  it("reads the site's home page of RSS, Atom and JSON Feed", async () => {
    const read = async (text: string) => (await readFeed(text)).link;
    expect(await read(rss("https://site.example/blog", []))).toBe("https://site.example/blog");
    const atom = `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>a</title><id>urn:a</id><updated>2025-12-09T10:00:00Z</updated>
      <link rel="self" href="https://site.example/feed.atom"/><link rel="alternate" type="text/html" href="https://site.example/atom-home"/></feed>`;
    expect(await read(atom)).toBe("https://site.example/atom-home");
    const json = JSON.stringify({ version: "https://jsonfeed.org/version/1.1", title: "j", home_page_url: "https://site.example/json-home", items: [] });
    expect(await read(json)).toBe("https://site.example/json-home");
  });

  it("keys one story linked from two feeds alike, but neither a home page, a feed's own address, a site's root nor a shared link", async () => {
    const story = "https://news.example.com/story/42";
    const idOf = async (channelLink: string, link: string, feedUrl = "https://feeds.example/x.xml", others: string[] = []) => {
      const doc = rss(channelLink, [{ guid: "g", link, title: "Eintrag" }, ...others.map((l, n) => ({ guid: `o${n}`, link: l, title: `Andere ${n}` }))]);
      return (await entriesOf(doc, feedUrl)).items[0]!.id;
    };
    // a story link: two feeds, two guids, one item
    expect(await idOf("https://a.example/", `${story}?utm_source=a`, "https://a.example/feed")).toBe(
      await idOf("https://b.example/", `${story}#kommentare`, "https://b.example/feed"),
    );
    const storyId = await idOf("https://a.example/", "https://a.example/blog/page", "https://feeds.example/x.xml");
    expect(await idOf("https://b.example/", "https://a.example/blog/page", "https://feeds.example/y.xml")).toBe(storyId);
    // the same address as the feed's home page, its own address, shared in the document, or a site's root
    expect(await idOf("https://a.example/blog/page", "https://a.example/blog/page")).not.toBe(storyId);
    expect(await idOf("https://b.example/", "https://a.example/blog/page", "https://a.example/blog/page")).not.toBe(storyId);
    expect(await idOf("https://b.example/", "https://a.example/blog/page", "https://feeds.example/x.xml", ["https://a.example/blog/page"])).not.toBe(storyId);
    const root = await idOf("https://b.example/", "https://a.example/", "https://feeds.example/x.xml");
    expect(root).not.toBe(await idOf("https://c.example/", "https://a.example/", "https://feeds.example/y.xml"));
  });

  it("folds only what is one entry: the same id, or the same title, date and text without an id", async () => {
    const doc = rss("https://s.example/", [
      { guid: "a", link: "https://s.example/1", title: "Eins", date: "Tue, 09 Dec 2025 10:00:00 +0000" },
      { guid: "a", link: "https://s.example/1?utm_medium=rss", title: "Eins", date: "Tue, 09 Dec 2025 10:00:00 +0000", text: "Noch einmal" },
      { guid: "b", link: "https://s.example/2", title: "Zwei (erste Adresse)", date: "Tue, 09 Dec 2025 11:00:00 +0000" },
      { guid: "b", link: "https://s.example/2-neu", title: "Zwei", date: "Tue, 09 Dec 2025 11:00:00 +0000" },
      { link: "https://s.example/3", title: "Drei", date: "Tue, 09 Dec 2025 12:00:00 +0000" },
      { link: "https://s.example/3", title: "Drei", date: "Tue, 09 Dec 2025 12:00:00 +0000" },
      { title: "Vier", date: "Tue, 09 Dec 2025 13:00:00 +0000" },
      { title: "Vier", date: "Wed, 10 Dec 2025 08:00:00 +0000" },
    ]);
    const { items } = await entriesOf(doc, "https://feeds.example/s.xml");
    expect(items.map((i) => [i.title, i.publishedAt?.toISOString()])).toEqual([
      ["Eins", "2025-12-09T10:00:00.000Z"],
      ["Zwei (erste Adresse)", "2025-12-09T11:00:00.000Z"],
      ["Drei", "2025-12-09T12:00:00.000Z"],
      ["Vier", "2025-12-09T13:00:00.000Z"],
      ["Vier", "2025-12-10T08:00:00.000Z"],
    ]);
    // an empty id is no id
    const json = JSON.stringify({
      version: "https://jsonfeed.org/version/1.1",
      title: "j",
      items: [
        { id: "", title: "Ohne Kennung 1", content_text: "eins" },
        { id: "", title: "Ohne Kennung 2", content_text: "zwei" },
        { id: " ", title: "Ohne Kennung 3", content_text: "drei" },
        { id: " ", title: "Ohne Kennung 4", content_text: "vier" },
      ],
    });
    expect((await entriesOf(json, "https://feeds.example/j.json")).items.map((i) => i.title)).toEqual([
      "Ohne Kennung 1",
      "Ohne Kennung 2",
      "Ohne Kennung 3",
      "Ohne Kennung 4",
    ]);
    // an entry given twice with two links is keyed by its first
    const [, zwei] = items;
    expect(zwei!.id).toBe(
      (await entriesOf(rss("https://t.example/", [{ guid: "z", link: "https://s.example/2", title: "x" }]), "https://feeds.example/t.xml")).items[0]!.id,
    );
  });

  it("names the entry behind each item and the link items this document retires", async () => {
    const one = await entriesOf(rss("https://s.example/", [{ guid: "a", link: "https://s.example/geteilt", title: "A" }]), "https://feeds.example/s.xml");
    const linkItem = one.items[0]!.id;
    const two = await entriesOf(
      rss("https://s.example/", [
        { guid: "a", link: "https://s.example/geteilt", title: "A" },
        { guid: "b", link: "https://s.example/geteilt", title: "B" },
      ]),
      "https://feeds.example/s.xml",
    );
    expect(two.items.map((i) => i.id)).not.toContain(linkItem);
    expect(two.retiredIds).toEqual([linkItem]);
    // the entry's own id, the same whichever item its link makes it
    expect(two.entryKeys.get(two.items[0]!.id)).toBe(one.entryKeys.get(linkItem));
    expect(new Set(two.entryKeys.values()).size).toBe(2);
    // an entry without an id that gained a date leaves the item of its title and text
    const undated = await entriesOf(rss("https://s.example/", [{ title: "Ohne alles" }]), "https://feeds.example/s.xml");
    const dated = await entriesOf(rss("https://s.example/", [{ title: "Ohne alles", date: "Tue, 09 Dec 2025 10:00:00 +0000" }]), "https://feeds.example/s.xml");
    expect(dated.items[0]!.id).not.toBe(undated.items[0]!.id);
    expect(dated.retiredIds).toEqual([undated.items[0]!.id]);
    // a document of story links retires nothing
    expect((await entriesOf(readFileSync(join(feedsDir, "rss2.xml"), "utf8"), "https://feeds.example/rss2.xml")).retiredIds).toEqual([]);
  });
});

let server: Server;
let base: string;
/** What each path answers: a body, and an ETag that a matching If-None-Match gets a 304 for. */
let served: Record<string, { body: string; etag?: string }> = {};
beforeAll(async () => {
  server = createServer((req, res) => {
    const route = served[req.url ?? "/"];
    if (!route) return res.writeHead(404).end();
    if (route.etag && req.headers["if-none-match"] === route.etag) return res.writeHead(304).end();
    res.writeHead(200, { "content-type": "application/rss+xml; charset=utf-8", ...(route.etag ? { etag: route.etag } : {}) }).end(route.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function itemsOf(db: Database, sourceName: string) {
  const [source] = await db.select({ id: sources.id }).from(sources).where(eq(sources.name, sourceName));
  const ids = await itemIdsOfSource(db, source!.id);
  return Promise.all(ids.map(async (id) => (await findItem(db, id))!));
}
/** The same, narrowed to what the schema before the identity rule had. */
async function oldItemsOf(db: Database, sourceName: string) {
  const [source] = await db.select({ id: sources.id }).from(sources).where(eq(sources.name, sourceName));
  const ids = await itemIdsOfSource(db, source!.id);
  return db.select({ id: items.id, guid: items.guid, publishedAt: items.publishedAt }).from(items).where(inArray(items.id, ids));
}
const datesByTitle = (found: { title: string; publishedAt: Date | null }[]) =>
  Object.fromEntries(found.map((i) => [i.title, i.publishedAt?.toISOString() ?? null]));
const expectedPodcastDates = Object.fromEntries(podcastExpected.items.map((i) => [i.title, new Date(i.publishedAt).toISOString()]));

forEachPollingDatabase("entries of followed feeds", (db, http) => {
  beforeEach(() => {
    served = {};
  });
  const poll = (at: string) => collectPoll(db.db, http, { all: true, now: () => new Date(at) });
  const allItems = () => db.db.select().from(items).orderBy(asc(items.id));

  it("stores a podcast whose episodes all link to the show's page as one item per episode, each with its date; a second read changes nothing", async () => {
    served["/podcast.xml"] = { body: PODCAST };
    await addFeedSource(db.db, { url: `${base}/podcast.xml`, name: "podcast" });
    const [first] = await poll("2025-12-10T12:00:00Z");
    expect(first!.report).toMatchObject({ new: 32, updated: 0, unchanged: 0, retired: 0 });
    expect(datesByTitle(await itemsOf(db.db, "podcast"))).toEqual(expectedPodcastDates);
    expect(await tagItemIds(db.db, "gespraech")).toHaveLength(32);

    const before = await allItems();
    served["/podcast.xml"] = { body: PODCAST.replace("<language>", "<lastBuildDate>Wed, 10 Dec 2025 13:00:00 +0000</lastBuildDate><language>") };
    const [second] = await poll("2025-12-10T14:00:00Z");
    expect([second!.outcome, second!.report]).toEqual(["stored", expect.objectContaining({ new: 0, updated: 0, unchanged: 32, retired: 0, changedTags: [] })]);
    expect(await allItems()).toEqual(before);
    // every episode said again what it said before: nothing more to record
    expect(await db.db.$count(observations)).toBe(32);
  });

  it("makes the same story in two feeds, each with its own link to it, one item that remembers both, in either order, and keeps their other entries apart", async () => {
    served["/a.xml"] = {
      body: rss("https://a.example/start", [
        { guid: "a-1", link: "https://news.example.com/story/42?utm_source=a", title: "Die Geschichte (A)", date: "Tue, 09 Dec 2025 10:00:00 +0000" },
        { guid: "a-2", link: "https://a.example/start", title: "Hausmitteilung 1", date: "Tue, 09 Dec 2025 11:00:00 +0000" },
        { guid: "a-3", link: "https://a.example/start", title: "Hausmitteilung 2", date: "Tue, 09 Dec 2025 12:00:00 +0000" },
      ]),
    };
    served["/b.xml"] = {
      body: rss("https://b.example/", [
        { guid: "b-1", link: "https://news.example.com/story/42#kommentare", title: "Die Geschichte (B)", date: "Tue, 09 Dec 2025 10:30:00 +0000" },
        // A's home page, which for B is one story: an item of its own, whichever feed comes first
        { guid: "b-2", link: "https://a.example/start", title: "Was A zu Hause schreibt", date: "Tue, 09 Dec 2025 13:00:00 +0000" },
      ]),
    };
    const state = async () => ({
      ids: (await allItems()).map((i) => i.id),
      a: (await itemsOf(db.db, "a")).map((i) => i.id).sort(),
      b: (await itemsOf(db.db, "b")).map((i) => i.id).sort(),
    });
    await addFeedSource(db.db, { url: `${base}/a.xml`, name: "a" });
    await addFeedSource(db.db, { url: `${base}/b.xml`, name: "b" });
    await collectPoll(db.db, http, { all: true, concurrency: 1, now: () => new Date("2025-12-10T12:00:00Z") });
    const forward = await state();
    expect(forward.ids).toHaveLength(4);
    const shared = forward.a.filter((id) => forward.b.includes(id));
    expect(shared).toHaveLength(1);
    expect((await findItem(db.db, shared[0]!))!.publishedAt?.toISOString()).toBe("2025-12-09T10:00:00.000Z");

    await truncateAll(db);
    await addFeedSource(db.db, { url: `${base}/b.xml`, name: "b" });
    await addFeedSource(db.db, { url: `${base}/a.xml`, name: "a" });
    await collectPoll(db.db, http, { all: true, concurrency: 1, now: () => new Date("2025-12-10T12:00:00Z") });
    expect(await state()).toEqual(forward);
  });

  it("keeps an entry on its item, and its guid, when its link changes", async () => {
    await addFeedSource(db.db, { url: `${base}/c.xml`, name: "c" });
    const date = "Tue, 09 Dec 2025 10:00:00 +0000";
    served["/c.xml"] = { body: rss("https://c.example/", [{ guid: "c-1", link: "https://c.example/news/1", title: "Erste Fassung", date }]) };
    await poll("2025-12-10T12:00:00Z");
    const [item] = await itemsOf(db.db, "c");
    served["/c.xml"] = { body: rss("https://c.example/", [{ guid: "c-1", link: "https://c.example/news/1-korrigiert", title: "Zweite Fassung", date }]) };
    const [moved] = await poll("2025-12-10T13:00:00Z");
    expect(moved!.report).toMatchObject({ new: 0, updated: 1 });
    const after = await itemsOf(db.db, "c");
    expect(after.map((i) => [i.id, i.guid, i.title, i.url])).toEqual([[item!.id, item!.guid, "Zweite Fassung", "https://c.example/news/1-korrigiert"]]);
  });

  it("splits the item of a link that becomes shared into one item per entry, and does not merge them again when it is one entry's again", async () => {
    await addFeedSource(db.db, { url: `${base}/d.xml`, name: "d" });
    const one = { guid: "d-1", link: "https://d.example/thema", title: "Erster Beitrag zum Thema", date: "Mon, 08 Dec 2025 10:00:00 +0000" };
    const two = { guid: "d-2", link: "https://d.example/thema", title: "Zweiter Beitrag zum Thema", date: "Tue, 09 Dec 2025 10:00:00 +0000" };
    served["/d.xml"] = { body: rss("https://d.example/", [one]) };
    await poll("2025-12-10T12:00:00Z");
    const [linkItem] = await itemsOf(db.db, "d");

    served["/d.xml"] = { body: rss("https://d.example/", [two, one]) };
    const [split] = await poll("2025-12-10T13:00:00Z");
    expect(split!.report).toMatchObject({ new: 2, retired: 1 });
    expect(await findItem(db.db, linkItem!.id)).toBeNull();
    const parts = await itemsOf(db.db, "d");
    expect(datesByTitle(parts)).toEqual({ "Erster Beitrag zum Thema": "2025-12-08T10:00:00.000Z", "Zweiter Beitrag zum Thema": "2025-12-09T10:00:00.000Z" });

    served["/d.xml"] = { body: rss("https://d.example/", [one]) };
    const [alone] = await poll("2025-12-10T14:00:00Z");
    expect(alone!.report).toMatchObject({ new: 0, retired: 0 });
    expect((await itemsOf(db.db, "d")).map((i) => i.id).sort()).toEqual(parts.map((i) => i.id).sort());
  });

  it("takes back only its own observations from an item another feed shows, when the link it is keyed by becomes shared", async () => {
    const link = "https://news.example.com/story/7";
    await addFeedSource(db.db, { url: `${base}/e.xml`, name: "e" });
    await addFeedSource(db.db, { url: `${base}/f.xml`, name: "f" });
    served["/e.xml"] = { body: rss("https://e.example/", [{ guid: "e-1", link, title: "Meldung bei E", date: "Mon, 08 Dec 2025 08:00:00 +0000" }]) };
    served["/f.xml"] = { body: rss("https://f.example/", [{ guid: "f-1", link, title: "Meldung bei F", date: "Mon, 08 Dec 2025 09:00:00 +0000" }]) };
    await collectPoll(db.db, http, { all: true, concurrency: 1, now: () => new Date("2025-12-10T12:00:00Z") });
    const [both] = await itemsOf(db.db, "f");
    expect(both!.publishedAt?.toISOString()).toBe("2025-12-08T08:00:00.000Z"); // E's date, the earlier

    served["/e.xml"] = {
      body: rss("https://e.example/", [
        { guid: "e-1", link, title: "Meldung bei E", date: "Mon, 08 Dec 2025 08:00:00 +0000" },
        { guid: "e-2", link, title: "Nachtrag bei E", date: "Mon, 08 Dec 2025 18:00:00 +0000" },
      ]),
    };
    const [e] = await collectPoll(db.db, http, { all: true, now: () => new Date("2025-12-10T13:00:00Z") }).then((rs) =>
      rs.filter((r) => r.source.name === "e"),
    );
    expect(e!.report).toMatchObject({ new: 2, retired: 1 });
    const kept = await findItem(db.db, both!.id);
    expect(kept?.publishedAt?.toISOString()).toBe("2025-12-08T09:00:00.000Z"); // F's own date now
    expect((await itemsOf(db.db, "e")).map((i) => i.id)).not.toContain(both!.id);
    expect((await itemsOf(db.db, "f")).map((i) => i.id)).toEqual([both!.id]);
    // retired is let go of: E's listing holds its two entries' items, F's still the shared one, last seen by E at 12:00
    const listings = Object.fromEntries((await db.db.select({ name: sources.name, listing: sources.listing }).from(sources)).map((r) => [r.name, r.listing]));
    expect([...listings.e!].sort()).toEqual((await itemsOf(db.db, "e")).map((i) => i.id).sort());
    expect(listings.e).toHaveLength(2);
    expect(listings.f).toEqual([both!.id]);
    const [shared] = await db.db.select({ lastSeenAt: items.lastSeenAt }).from(items).where(eq(items.id, both!.id));
    expect(shared!.lastSeenAt).toEqual(new Date("2025-12-10T12:00:00Z"));
  });
});

forEachBackend("upgrading a database stored under the link rule", (backend) => {
  it("reads every feed in full at the next poll and leaves each entry its own item with its own date, guids of the rest unchanged", async () => {
    const scratch = await backend.scratch();
    const opened = await scratch.open();
    const http = localFetcher();
    try {
      await migrateBefore(opened, backend, "entry_identity");
      const rss2 = readFileSync(join(feedsDir, "rss2.xml"), "utf8");
      served = { "/podcast.xml": { body: PODCAST, etag: '"p1"' }, "/rss2.xml": { body: rss2, etag: '"r1"' } };
      const fetchedAt = new Date("2025-12-09T12:00:00Z");
      // the next poll as the last one left it, in real time: the migration spreads polls from the clock
      const tomorrow = new Date(Date.now() + 86_400_000);
      const inAnHour = new Date(Date.now() + 3_600_000 + 60_000);
      for (const [path, body] of [
        ["/podcast.xml", PODCAST],
        ["/rss2.xml", rss2],
      ] as const) {
        const source = await addSourceAsOfOld(opened.db, `${base}${path}`);
        const entries = await entriesOf(body, `${base}${path}`, fetchedAt);
        await storeUnderLinkRule(opened.db, source.id, path, fetchedAt, entries.items);
        // as the last poll left it: validators and body known, next poll tomorrow
        await recordFetch(opened.db, source.id, {
          etag: served[path]!.etag!,
          bodySha256: bytesToHex(sha256(utf8ToBytes(body))),
          lastStatus: "ok",
          nextPollAt: tomorrow,
        });
      }
      const merged = await oldItemsOf(opened.db, `${base}/podcast.xml`);
      expect(merged).toHaveLength(1); // the defect: 32 episodes, one item, the oldest episode's date
      expect(merged[0]!.publishedAt?.toISOString()).toBe("2011-07-27T18:00:00.000Z");
      const rss2Guids = (await oldItemsOf(opened.db, `${base}/rss2.xml`)).map((i) => i.guid).sort();

      await opened.migrate();
      // the migration makes every feed due within the hour
      const results = await collectPoll(opened.db, http, { now: () => inAnHour });
      expect(results.map((r) => r.outcome)).toEqual(["stored", "stored"]);
      const podcast = results.find((r) => r.source.url === `${base}/podcast.xml`)!;
      expect(podcast.report).toMatchObject({ new: 32, retired: 1 });

      expect(await findItem(opened.db, merged[0]!.id)).toBeNull();
      expect(datesByTitle(await itemsOf(opened.db, `${base}/podcast.xml`))).toEqual(expectedPodcastDates);
      expect((await itemsOf(opened.db, `${base}/rss2.xml`)).map((i) => i.guid).sort()).toEqual(rss2Guids);

      // what readers get: the tag feed holds every episode once, with its date, and not the merged item
      const app = createApp({ db: opened.db, publicUrl: "https://feeds.example.org" });
      const feed = (await (await app.fetch(new Request("https://feeds.example.org/feeds/gespraech.json?limit=200"))).json()) as {
        items: { id: string; title: string; date_published?: string }[];
      };
      expect(feed.items.map((i) => i.id)).not.toContain(merged[0]!.guid);
      expect(Object.fromEntries(feed.items.map((i) => [i.title, new Date(i.date_published!).toISOString()]))).toEqual(expectedPodcastDates);

      // and the next poll is an ordinary one again
      const again = await collectPoll(opened.db, http, { all: true, now: () => new Date(inAnHour.getTime() + 3_600_000) });
      expect(again.map((r) => r.outcome)).toEqual(["not modified", "not modified"]);
    } finally {
      await http.close();
      await opened.close();
      await scratch.dispose();
    }
  });
});

/**
 * Stores a document as the link rule did: every entry keyed by its canonical
 * link, so entries sharing one fold into one item. Rows are written column
 * by column as that schema had them.
 */
/** A followed feed as the schema before the identity rule stored it. */
async function addSourceAsOfOld(db: Database, url: string): Promise<{ id: number }> {
  await db.execute(sql`insert into sources (kind, name, url) values ('feed', ${url}, ${url})`);
  const [row] = await db.select({ id: sources.id }).from(sources).where(eq(sources.url, url));
  return row!;
}

async function storeUnderLinkRule(db: Database, sourceId: number, name: string, fetchedAt: Date, found: Item[]): Promise<void> {
  const keyed = found.map((item) => {
    const id = item.url ? bytesToHex(sha256(utf8ToBytes(`link\n${canonical(item.url)}`))).slice(0, 32) : item.id;
    return { ...item, id, guid: guidFor(id) };
  });
  // raw SQL and narrow selects throughout: the schema of this code is newer than the database's
  await db.execute(sql`insert into documents (source_id, name, sha256, fetched_at, item_count)
    values (${sourceId}, ${name}, ${name}, ${fetchedAt.toISOString()}::timestamptz, ${keyed.length})`);
  const [doc] = await db.select({ id: documents.id }).from(documents).where(eq(documents.sha256, name));
  for (const item of mergeObservations(keyed)) {
    const obs = observe(item, fetchedAt);
    const row = itemRow(item, obs.contentHash, derive([obs]), item.tags);
    await db.execute(sql`insert into items (id, guid, kind, title, kicker, summary, content_html, url, published_at, precision, agency, dateline,
      comment_count, image, page_tags, match_text, feed_at, first_seen_at, updated_at, content_hash)
      values (${row.id}, ${row.guid}, ${row.kind}, ${row.title}, ${row.kicker}, ${row.summary}, ${row.contentHtml}, ${row.url},
      ${row.publishedAt?.toISOString() ?? null}::timestamptz, ${row.precision}, ${row.agency}, ${row.dateline}, ${row.commentCount},
      ${row.image ? JSON.stringify(row.image) : null}::jsonb, ${JSON.stringify(row.pageTags)}::jsonb, ${row.matchText}, ${row.feedAt.toISOString()}::timestamptz,
      ${row.firstSeenAt.toISOString()}::timestamptz, ${row.updatedAt.toISOString()}::timestamptz, ${row.contentHash})`);
    await db.execute(sql`insert into observations (item_id, document_id, fetched_at, kind, content_hash, comment_count, published_at, precision)
      values (${item.id}, ${doc!.id}, ${fetchedAt.toISOString()}::timestamptz, ${obs.kind}, ${obs.contentHash}, ${obs.commentCount},
      ${obs.publishedAt?.toISOString() ?? null}::timestamptz, ${obs.precision})`);
    for (const tag of item.tags) {
      await db.execute(sql`insert into tags (slug, label) values (${tag.slug}, ${tag.label}) on conflict do nothing`);
      await db.execute(sql`insert into item_tags (item_id, tag_id, via) select ${item.id}, id, 'page' from tags where slug = ${tag.slug}`);
    }
  }
}
