/**
 * Retention on both backends: feeds polled from a local server over months
 * of simulated time and pages ingested long ago, then pruned. What goes is
 * exactly the items last seen before the cutoff that no source's latest
 * document shows and no kept tag holds, with their observations and the
 * documents left empty; tag feeds served by the app drop them and change
 * their ETag. The command line on its own database: output, exit status,
 * and a wrong FEEDWERK_RETAIN_DAYS.
 */
import { createServer, type Server } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { asc, eq, inArray } from "drizzle-orm";
import type { Hono } from "hono";
import { nodeCompressors } from "../src/entry/node/compressors";
import { decodePage } from "../src/input/page/decode";
import { parsePage } from "../src/input/page/parse";
import { ingestPage } from "../src/pipeline/ingest-page";
import { collectPoll } from "./support/polling";
import { createApp } from "../src/publish/app";
import { VersionBook } from "../src/publish/version-book";
import { cutoffFor, prune } from "../src/storage/retention";
import { documents, items, observations, sources, tags } from "../src/storage/schema";
import { addFeedSource, removeFeedSource } from "../src/storage/sources";
import { cli } from "./support/cli";
import { backends } from "./support/databases";
import { rssParser } from "./support/feeds";
import { forEachPollingDatabase } from "./support/polling";

interface Entry {
  guid: string;
  category?: string;
  /** The story's address; else one of the feed's own. */
  link?: string;
}

/** An RSS 2.0 feed listing these entries; each entry's title is its guid, so tests can name items by it. Feeds linking to the same story share its item. */
function rss(name: string, entries: Entry[]): string {
  const body = entries
    .map(
      (e) =>
        `<item><title>Meldung ${e.guid}</title><link>${e.link ?? `https://${name}.example.org/${e.guid}`}</link><guid isPermaLink="false">${e.guid}</guid>` +
        `<description>Text zu ${e.guid}.</description>${e.category ? `<category>${e.category}</category>` : ""}</item>`,
    )
    .join("\n");
  return `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>${name}</title><link>https://${name}.example.org/</link><description>d</description>\n${body}\n</channel></rss>`;
}

const pages = join(import.meta.dirname, "pages");
const page = (name: string, fetchedAt: string) => ({ name, bytes: new Uint8Array(readFileSync(join(pages, name))), fetchedAt: new Date(fetchedAt) });
const SEED = page("seed-alaska.txt", "2025-12-09T13:00:00Z");
const FOLLOWUP = page("prag-followup.txt", "2025-12-09T15:00:00Z");
const storyIds = (p: typeof SEED) => parsePage(decodePage(p.bytes), p.fetchedAt).map((i) => i.id);

const DAY = 24 * 60 * 60_000;
const T0 = new Date("2026-01-01T12:00:00Z");
const day = (n: number) => new Date(T0.getTime() + n * DAY);

let server: Server;
let base: string;
/** What each feed path serves now. */
const served = new Map<string, string>();
beforeAll(async () => {
  server = createServer((req, res) => {
    const body = served.get(req.url ?? "");
    if (body === undefined) return res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/rss+xml; charset=utf-8" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

forEachPollingDatabase("retention", (db, fetcher) => {
  beforeEach(() => served.clear());

  const poll = (at: Date) => collectPoll(db.db, fetcher, { all: true, now: () => at });
  const serve = (name: string, entries: Entry[]) => served.set(`/${name}.xml`, rss(name, entries));
  const titles = async () => (await db.db.select({ title: items.title }).from(items).orderBy(asc(items.title))).map((r) => r.title);
  const idsOf = async (guids: string[]) =>
    (
      await db.db
        .select({ id: items.id })
        .from(items)
        .where(
          inArray(
            items.title,
            guids.map((g) => `Meldung ${g}`),
          ),
        )
    ).map((r) => r.id);
  const versions = async () => Object.fromEntries((await db.db.select({ slug: tags.slug, version: tags.version }).from(tags)).map((t) => [t.slug, t.version]));

  /**
   * Three feeds and the portal over 100 days:
   * - news lists a and b on day 0, b and c on day 1, c and d on day 100: a and b drop out, last seen on days 0 and 1;
   * - archive (tag Sammlung, kept) lists e on day 0 and f from day 1: e drops out but its tag keeps it;
   * - quiet lists g on day 0 and never changes again: its latest document still shows g;
   * - the portal's pages of 9 December 2025: the seed, then the follow-up, which shows some of the seed's stories again.
   */
  async function history(): Promise<void> {
    await ingestPage(db.db, SEED);
    await ingestPage(db.db, FOLLOWUP);
    for (const name of ["news", "archive", "quiet"])
      await addFeedSource(db.db, { url: `${base}/${name}.xml`, name, tags: name === "archive" ? ["Sammlung"] : [] });
    serve("news", [
      { guid: "a", category: "Wirtschaft" },
      { guid: "b", category: "Wirtschaft" },
    ]);
    serve("archive", [{ guid: "e", category: "Wirtschaft" }]);
    serve("quiet", [{ guid: "g" }]);
    await poll(day(0));
    serve("news", [
      { guid: "b", category: "Wirtschaft" },
      { guid: "c", category: "Sport" },
    ]);
    serve("archive", [{ guid: "f" }]);
    await poll(day(1));
    serve("news", [
      { guid: "c", category: "Sport" },
      { guid: "d", category: "Sport" },
    ]);
    await poll(day(100));
  }

  it("removes exactly the old items no source lists and no kept tag holds, their observations and the documents left empty", async () => {
    await history();
    const seedOnly = storyIds(SEED).filter((id) => !storyIds(FOLLOWUP).includes(id));
    expect(seedOnly.length).toBeGreaterThan(0);
    const goneIds = [...(await idsOf(["a", "b"])), ...seedOnly];
    const keptIds = (await db.db.select({ id: items.id }).from(items)).map((r) => r.id).filter((id) => !goneIds.includes(id));
    const observationsOf = async (ids: string[]) =>
      db.db.select().from(observations).where(inArray(observations.itemId, ids)).orderBy(asc(observations.itemId), asc(observations.documentId));
    const keptObservations = await observationsOf(keptIds);
    const goneObservations = (await observationsOf(goneIds)).length;
    const documentsBefore = await db.db
      .select({ id: documents.id, name: documents.name, source: sources.name })
      .from(documents)
      .innerJoin(sources, eq(sources.id, documents.sourceId));
    const before = await versions();

    const policy = { cutoff: cutoffFor(day(100), 90), keepTags: ["sammlung"] };
    const dry = await prune(db.db, policy, { dryRun: true });
    expect(await db.db.$count(items)).toBe(goneIds.length + keptIds.length);
    // small batches: the work is spread over many transactions, and the result is the same
    const report = await prune(db.db, policy, { batchSize: 2 });
    expect(report).toEqual(dry);
    expect(report).toMatchObject({ items: goneIds.length, observations: goneObservations });

    expect((await db.db.select({ id: items.id }).from(items)).map((r) => r.id).sort()).toEqual([...keptIds].sort());
    expect(await titles()).toEqual(expect.arrayContaining(["Meldung c", "Meldung d", "Meldung e", "Meldung f", "Meldung g"]));
    expect(await observationsOf(goneIds)).toEqual([]);
    expect(await observationsOf(keptIds)).toEqual(keptObservations);

    // news's first document showed only a and b; every other document still has observations, or is its source's latest
    const documentsAfter = await db.db.select({ id: documents.id }).from(documents);
    const removed = documentsBefore.filter((d) => !documentsAfter.some((a) => a.id === d.id));
    expect(removed.map((d) => d.source)).toEqual(["news"]);
    expect(report.documents).toBe(1);

    // the tags of the items that went are the feeds that changed: their versions moved (once per batch that touched them), no others
    expect(report.changedTags).toContain("wirtschaft");
    expect(report.changedTags).not.toContain("sport");
    const after = await versions();
    for (const [slug, version] of Object.entries(after)) {
      if (report.changedTags.includes(slug)) expect(version, slug).toBeGreaterThan(before[slug]!);
      else expect(version, slug).toBe(before[slug]);
    }

    // nothing more to do: a second prune removes nothing and bumps nothing
    expect(await prune(db.db, policy)).toEqual({ items: 0, observations: 0, documents: 0, changedTags: [] });
    expect(await versions()).toEqual(after);
  });

  it("keeps an item a feed still lists, and the item a page still shows, however long ago they were first seen", async () => {
    await history();
    // a year on, nothing was fetched since day 100: everything is old, only what the latest documents show stays
    const report = await prune(db.db, { cutoff: cutoffFor(day(465), 90), keepTags: [] });
    const left = await titles();
    expect(left).toEqual(expect.arrayContaining(["Meldung c", "Meldung d", "Meldung f", "Meldung g"]));
    expect(left).not.toContain("Meldung e");
    const stillShown = (await db.db.select({ id: items.id }).from(items)).map((r) => r.id);
    expect(stillShown.filter((id) => storyIds(FOLLOWUP).includes(id)).sort()).toEqual([...new Set(storyIds(FOLLOWUP))].sort());
    expect(stillShown).toHaveLength(4 + new Set(storyIds(FOLLOWUP)).size);
    expect(report.items).toBeGreaterThan(0);
    // each source keeps its latest document, and any other whose observations of kept items remain: the seed page, whose stories the follow-up shows again
    const docs = await db.db.select({ name: documents.name }).from(documents).orderBy(asc(documents.name));
    // (news's second document too: it holds c's first observation)
    expect(docs.map((d) => d.name)).toEqual([...["archive", "news", "news", "quiet"].map((n) => `${base}/${n}.xml`), FOLLOWUP.name, SEED.name].sort());
  });

  it("keeps what a feed lists every day for 100 days though its unchanged entries are observed once, and prunes what it dropped over 90 days ago", async () => {
    await addFeedSource(db.db, { url: `${base}/daily.xml`, name: "daily" });
    // every day one new entry, in a window of the last 5, below two entries that never change
    const window = (n: number) => Array.from({ length: Math.min(n + 1, 5) }, (_, i) => ({ guid: `d${n - i}` }));
    for (let n = 0; n <= 100; n++) {
      serve("daily", [{ guid: "fixed1" }, { guid: "fixed2" }, ...window(n)]);
      const [polled] = await poll(day(n));
      expect(polled!.outcome, `day ${n}`).not.toBe("failed");
    }
    // the premise: unchanged entries were observed only when first seen while listed, and once more, at the
    // last listing that held them, when the feed let them go (the repeat that listing stood for): d0 to d95
    const [fixed1] = await idsOf(["fixed1"]);
    expect(await db.db.$count(observations, eq(observations.itemId, fixed1!))).toBe(1);
    expect(await db.db.$count(observations)).toBe(2 + 101 + 96);

    const lastSeen = async (guids: string[]) =>
      Object.fromEntries(
        (
          await db.db
            .select({ title: items.title, lastSeenAt: items.lastSeenAt })
            .from(items)
            .where(
              inArray(
                items.title,
                guids.map((g) => `Meldung ${g}`),
              ),
            )
        ).map((r) => [r.title.slice("Meldung ".length), r.lastSeenAt?.toISOString()]),
      );
    // an entry that dropped out was last seen the day before; one still listed keeps its first day until it drops out
    expect(await lastSeen(["d0", "d5", "d6", "d95", "d96", "fixed1"])).toEqual({
      d0: day(4).toISOString(),
      d5: day(9).toISOString(),
      d6: day(10).toISOString(),
      d95: day(99).toISOString(),
      d96: day(96).toISOString(),
      fixed1: day(0).toISOString(),
    });

    const policy = { cutoff: cutoffFor(day(100), 90), keepTags: [] };
    const dry = await prune(db.db, policy, { dryRun: true });
    const report = await prune(db.db, policy, { batchSize: 7 });
    expect(report).toEqual(dry);
    // d0…d5 were last seen on days 4…9, before day 10: gone; d6 was last seen on day 10 itself
    expect(report.items).toBe(6);
    const expected = ["fixed1", "fixed2", ...Array.from({ length: 95 }, (_, i) => `d${i + 6}`)].map((g) => `Meldung ${g}`).sort();
    expect((await titles()).sort()).toEqual(expected);
  });

  it("does not let an older page stored later replace the listing, and counts it as a sighting of what it shows", async () => {
    await ingestPage(db.db, SEED);
    await ingestPage(db.db, FOLLOWUP);
    // the same page fetched at 14:00, stored after the follow-up of 15:00
    await ingestPage(db.db, { ...SEED, fetchedAt: new Date("2025-12-09T14:00:00Z") });
    const [portal] = await db.db.select({ listing: sources.listing, listedAt: sources.listedAt }).from(sources);
    expect(portal!.listedAt).toEqual(FOLLOWUP.fetchedAt);
    expect([...portal!.listing].sort()).toEqual([...new Set(storyIds(FOLLOWUP))].sort());

    const seedOnly = [...new Set(storyIds(SEED).filter((id) => !storyIds(FOLLOWUP).includes(id)))];
    const seen = await db.db.select({ lastSeenAt: items.lastSeenAt }).from(items).where(inArray(items.id, seedOnly));
    expect(seen.map((r) => r.lastSeenAt)).toEqual(seedOnly.map(() => new Date("2025-12-09T14:00:00Z")));
    expect((await prune(db.db, { cutoff: new Date("2025-12-09T14:00:00Z"), keepTags: [] })).items).toBe(0);
    expect((await prune(db.db, { cutoff: new Date("2025-12-09T14:30:00Z"), keepTags: [] })).items).toBe(seedOnly.length);
    expect((await db.db.select({ id: items.id }).from(items)).map((r) => r.id).sort()).toEqual([...new Set(storyIds(FOLLOWUP))].sort());
  });

  it("ages the items a removed feed listed from its last document, keeping those another feed lists", async () => {
    const shared = "https://shared.example.org/story";
    await addFeedSource(db.db, { url: `${base}/news.xml`, name: "news" });
    await addFeedSource(db.db, { url: `${base}/other.xml`, name: "other" });
    serve("news", [{ guid: "a" }, { guid: "s", link: shared }]);
    serve("other", [{ guid: "s", link: shared }]);
    await poll(day(0));
    // a does not change: day 50's document does not observe it again
    serve("news", [{ guid: "a" }, { guid: "s", link: shared }, { guid: "b" }]);
    await poll(day(50));
    expect(await db.db.$count(items)).toBe(3);
    const [a] = await idsOf(["a"]);
    expect(await db.db.$count(observations, eq(observations.itemId, a!))).toBe(1);

    await removeFeedSource(db.db, "news");
    expect(await db.db.$count(documents)).toBe(1);
    // a and b were listed on day 50: a cutoff before it keeps them
    expect((await prune(db.db, { cutoff: day(40), keepTags: [] })).items).toBe(0);
    expect((await prune(db.db, { cutoff: day(60), keepTags: [] })).items).toBe(2);
    // s stays while the other feed lists it
    expect(await titles()).toEqual(["Meldung s"]);
  });

  it("prunes while feeds are stored, and every item a source lists is still there", async () => {
    await history();
    // b comes back while the prune runs, in batches of one item: stored before its batch, it stays; after, it is new again
    serve("news", [
      { guid: "b", category: "Wirtschaft" },
      { guid: "c", category: "Sport" },
      { guid: "d", category: "Sport" },
    ]);
    serve("quiet", [{ guid: "g" }, { guid: "h" }]);
    const [report, polled] = await Promise.all([prune(db.db, { cutoff: cutoffFor(day(100), 90), keepTags: [] }, { batchSize: 1 }), poll(day(101))]);
    expect(polled.filter((r) => r.outcome === "failed")).toEqual([]);
    expect(report.items).toBeGreaterThan(0);
    const left = await titles();
    expect(left).toEqual(expect.arrayContaining(["Meldung b", "Meldung c", "Meldung d", "Meldung f", "Meldung g", "Meldung h"]));
    expect(left).not.toContain("Meldung a");
    // each feed's listing holds exactly the entries it lists now, though its latest document observed only what changed
    // (archive served the same bytes since day 1: no document stored since)
    for (const [name, guids, listedOn] of [
      ["news", ["b", "c", "d"], 101],
      ["quiet", ["g", "h"], 101],
      ["archive", ["f"], 1],
    ] as const) {
      const [source] = await db.db.select({ listing: sources.listing, listedAt: sources.listedAt }).from(sources).where(eq(sources.name, name));
      expect(source!.listedAt, name).toEqual(day(listedOn));
      const listed = await db.db.select({ title: items.title }).from(items).where(inArray(items.id, source!.listing));
      expect(source!.listing, name).toHaveLength(guids.length);
      expect(listed.map((r) => r.title).sort(), name).toEqual(guids.map((g) => `Meldung ${g}`));
    }
  });

  it("drops pruned items from the tag feeds it serves, with a new ETag", async () => {
    await history();
    const app: Hono = createApp({
      db: db.db,
      publicUrl: "https://feeds.example.org",
      versions: new VersionBook(db.db, { maxAgeMs: 0 }),
      compressors: nodeCompressors,
    });
    const get = (path: string, headers: Record<string, string> = {}) => app.fetch(new Request(`https://feeds.example.org${path}`, { headers }));
    const read = async (path: string) => {
      const res = await get(path);
      expect(res.status).toBe(200);
      return { etag: res.headers.get("etag")!, titles: (await rssParser.parseString(await res.text())).items.map((i) => i.title).sort() };
    };
    const wirtschaft = await read("/feeds/wirtschaft.xml");
    expect(wirtschaft.titles).toEqual(["Meldung a", "Meldung b", "Meldung e"]);
    const sport = await read("/feeds/sport.xml");
    const all = await read("/feeds/all.xml");
    expect(all.titles).toContain("Meldung a");
    expect((await get("/feeds/wirtschaft.xml", { "If-None-Match": wirtschaft.etag })).status).toBe(304);

    await prune(db.db, { cutoff: cutoffFor(day(100), 90), keepTags: ["sammlung"] });

    // the copy a reader holds is no longer current: a full answer, without the pruned items
    const revalidated = await get("/feeds/wirtschaft.xml", { "If-None-Match": wirtschaft.etag });
    expect(revalidated.status).toBe(200);
    const now = await read("/feeds/wirtschaft.xml");
    expect(now.titles).toEqual(["Meldung e"]);
    expect(now.etag).not.toBe(wirtschaft.etag);
    const allNow = await read("/feeds/all.xml");
    expect(allNow.titles).not.toContain("Meldung a");
    expect(allNow.etag).not.toBe(all.etag);
    // a feed that lost nothing keeps its ETag
    expect(await read("/feeds/sport.xml")).toEqual(sport);
  });
});

describe("cli prune", () => {
  for (const backend of backends) {
    it.skipIf(backend.unavailable)(
      `prints what it removed, and what it would with --dry-run, on ${backend.name}`,
      async () => {
        const scratch = await backend.scratch();
        try {
          const pagesDir = join(import.meta.dirname, "pages");
          expect((await cli(["ingest", join(pagesDir, SEED.name), "--fetched-at", "2025-01-01T10:00:00Z"], scratch.env)).status).toBe(0);
          expect((await cli(["ingest", join(pagesDir, FOLLOWUP.name), "--fetched-at", "2025-01-02T10:00:00Z"], scratch.env)).status).toBe(0);
          const seedOnly = new Set(storyIds(SEED).filter((id) => !storyIds(FOLLOWUP).includes(id))).size;

          const dry = await cli(["prune", "--dry-run"], scratch.env);
          expect([dry.status, dry.stderr]).toEqual([0, ""]);
          expect(dry.stdout).toMatch(
            new RegExp(
              `^would prune ${seedOnly} items, ${seedOnly} observations, 0 documents \\(last seen before \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z; kept: what sources still list\\)\\n$`,
            ),
          );

          // the pages are nearly two years old: within a retention of 36500 days nothing goes
          const none = await cli(["prune"], { ...scratch.env, FEEDWERK_RETAIN_DAYS: "36500" });
          expect([none.status, none.stdout]).toEqual([0, expect.stringMatching(/^pruned 0 items, 0 observations, 0 documents /)]);
          const off = await cli(["prune"], { ...scratch.env, FEEDWERK_RETAIN_DAYS: "forever" });
          expect([off.status, off.stdout]).toEqual([0, "retention is off (FEEDWERK_RETAIN_DAYS=forever): nothing pruned; --older-than DAYS prunes once\n"]);

          const done = await cli(["prune", "--older-than", "30"], { ...scratch.env, FEEDWERK_RETAIN_DAYS: "forever", FEEDWERK_KEEP_TAGS: "Ukraine, USA" });
          expect(done.status).toBe(0);
          const kept = await scratch.open();
          try {
            // the seed's stories tagged ukraine or usa stayed, the rest of those not on the follow-up went
            const left = (await kept.db.select({ id: items.id }).from(items)).map((r) => r.id);
            const pruned = storyIds(SEED).filter((id) => !left.includes(id)).length;
            expect(pruned).toBeGreaterThan(0);
            expect(pruned).toBeLessThan(seedOnly);
            expect(done.stdout).toBe(
              `pruned ${pruned} items, ${pruned} observations, 0 documents (last seen before ${done.stdout.match(/before (\S+);/)![1]}; kept: what sources still list, tags ukraine, usa)\n`,
            );
          } finally {
            await kept.close();
          }
        } finally {
          await scratch.dispose();
        }
      },
      240_000,
    );
  }

  it("refuses a wrong FEEDWERK_RETAIN_DAYS or --older-than with a clear error and exit status 1", async () => {
    const scratch = await backends[0]!.scratch();
    try {
      for (const [value, shown] of [
        ["0", "0"],
        ["90d", "90d"],
        ["-5", "-5"],
        ["never", "never"],
      ]) {
        const run = await cli(["prune"], { ...scratch.env, FEEDWERK_RETAIN_DAYS: value! });
        expect([run.status, run.stdout, run.stderr]).toEqual([
          1,
          "",
          `error: FEEDWERK_RETAIN_DAYS: must be a number of days from 1 to 36500, or 'forever' to keep every item, got '${shown}'\n`,
        ]);
      }
      const hours = await cli(["prune"], { ...scratch.env, FEEDWERK_PRUNE_EVERY_HOURS: "0" });
      expect([hours.status, hours.stderr]).toEqual([1, "error: FEEDWERK_PRUNE_EVERY_HOURS: must be a number of hours from 1 to 8760, got '0'\n"]);
      const option = await cli(["prune", "--older-than", "soon"], scratch.env);
      expect(option.status).toBe(1);
      expect(option.stderr).toContain("error: option '--older-than <days>' argument 'soon' is invalid. expected a number of days from 1 to 36500");
    } finally {
      await scratch.dispose();
    }
  }, 240_000);
});
