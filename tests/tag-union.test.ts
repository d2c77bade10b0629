/**
 * Tags of stories that several sources show, and what a poll learns, on
 * both backends: an item's tags are the union over its sources whatever the
 * order of fetching; a source's new tags reach its stored items (and the
 * served feeds) at once, even when the feed answers 304; a removed source's
 * tags leave; ttl and max-age survive 304s and unchanged bodies.
 * tests/tag-union/ holds the two feeds and what is expected of them.
 */
import { createServer, type Server } from "node:http";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Hono } from "hono";
import { nodeCompressors } from "../src/entry/node/compressors";
import { decodePage } from "../src/input/page/decode";
import { parsePage } from "../src/input/page/parse";
import { ingestPage } from "../src/pipeline/ingest-page";
import { createApp } from "../src/publish/app";
import { VersionBook } from "../src/publish/version-book";
import { sql } from "drizzle-orm";
import { MIGRATIONS } from "../src/storage/open";
import { findItem, tagItemIds } from "../src/storage/queries";
import { items, observations } from "../src/storage/schema";
import type { Tag } from "../src/normalise/item";
import { unionTags, type SourcedObservation } from "../src/normalise/tag-union";
import { addFeedSource, findFeedSource, removeFeedSource, setSourceTags } from "../src/storage/sources";
import { storeDocument } from "../src/storage/store-document";
import { cli } from "./support/cli";
import { backends, truncateAll } from "./support/databases";
import { collectPoll, forEachPollingDatabase } from "./support/polling";
import { startHubStub } from "./support/websub-hub";
import { rssParser } from "./support/feeds";

const dir = join(import.meta.dirname, "tag-union");
const expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as {
  sources: Record<string, { file: string; tags: string[] }>;
  items: Record<string, string[]>;
  feeds: Record<string, string[]>;
};
const T0 = new Date("2025-12-10T12:00:00Z");
const T1 = new Date("2025-12-10T13:00:00Z");

/** What the local server answers per path; tests change it between polls. */
let served: Record<string, { body: string; headers?: Record<string, string>; etag?: string; notModifiedHeaders?: Record<string, string> }> = {};
let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    const answer = served[req.url ?? "/"];
    if (!answer) return res.writeHead(404).end();
    if (answer.etag && req.headers["if-none-match"] === answer.etag) return res.writeHead(304, answer.notModifiedHeaders).end();
    res
      .writeHead(200, { "content-type": "application/rss+xml; charset=utf-8", ...(answer.etag ? { etag: answer.etag } : {}), ...answer.headers })
      .end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const feedText = (name: string) => readFileSync(join(dir, expected.sources[name]!.file), "utf8");

describe("the union of tags over sources", () => {
  const tag = (label: string): Tag => ({ slug: label.toLowerCase(), label });
  const obs = (sourceId: number, fetchedAt: string, kind: "article" | "teaser", labels: string[]): SourcedObservation => ({
    sourceId,
    fetchedAt: new Date(fetchedAt),
    kind,
    contentHash: `${sourceId}-${fetchedAt}-${kind}-${labels.join()}`,
    commentCount: null,
    publishedAt: null,
    precision: "none",
    tags: labels.map(tag),
    untimedAt: null,
  });
  const own = new Map([
    [1, [tag("Nachrichten")]],
    [2, [tag("Region")]],
  ]);
  const permutations = <T>(list: T[]): T[][] =>
    list.length <= 1 ? [list] : list.flatMap((x, i) => permutations([...list.slice(0, i), ...list.slice(i + 1)]).map((rest) => [x, ...rest]));

  it.each([
    {
      case: "each source's newest document counts: a category dropped later is gone, another source's stays",
      observations: [
        obs(1, "2025-12-10T10:00:00Z", "teaser", ["Verkehr", "Bauen"]),
        obs(1, "2025-12-10T11:00:00Z", "teaser", ["Verkehr"]),
        obs(2, "2025-12-10T09:00:00Z", "teaser", ["Bauen"]),
      ],
      want: ["verkehr", "nachrichten", "bauen", "region"],
    },
    {
      case: "a later teaser of the same source does not erase its article's tags",
      observations: [
        obs(3, "2025-12-10T10:00:00Z", "article", ["Politik", "Ukraine"]),
        obs(3, "2025-12-10T12:00:00Z", "teaser", []),
        obs(2, "2025-12-10T13:00:00Z", "teaser", ["Europa"]),
      ],
      want: ["politik", "ukraine", "europa", "region"],
    },
    {
      case: "two documents of one source at the same instant both count",
      observations: [obs(1, "2025-12-10T10:00:00Z", "teaser", ["Sport"]), obs(1, "2025-12-10T10:00:00Z", "teaser", ["Fussball"])],
      want: expect.arrayContaining(["sport", "fussball", "nachrichten"]),
    },
  ])("$case, in every order", ({ observations, want }) => {
    const results = permutations(observations).map((order) => unionTags(order, own).map((t) => t.slug));
    expect(results[0]).toEqual(want);
    for (const result of results) expect(result).toEqual(results[0]);
  });
});

forEachPollingDatabase("tags of merged items", (db, fetcher, backend) => {
  beforeEach(() => {
    served = {};
    for (const name of Object.keys(expected.sources)) served[`/${name}.xml`] = { body: feedText(name), etag: `"${name}-1"` };
  });

  const follow = (name: string, tags = expected.sources[name]!.tags) => addFeedSource(db.db, { url: `${base}/${name}.xml`, name, tags });
  const poll = (at: Date) => collectPoll(db.db, fetcher, { all: true, now: () => at, concurrency: 1 });
  /** A pass of the due feeds at `at`, where `name` is new and so due; what it did with `name`. */
  const pollOnly = async (name: string, at: Date) => {
    const source = (await findFeedSource(db.db, name))!;
    const results = await collectPoll(db.db, fetcher, { now: () => at, concurrency: 1 });
    return results.filter((r) => r.source.id === source.id);
  };

  /** Every item's tags (by link) and every tag's members (by link), as stored. */
  async function state() {
    const rows = await db.db.select({ id: items.id, url: items.url, pageTags: items.pageTags }).from(items);
    const urlOf = new Map(rows.map((r) => [r.id, r.url!]));
    const tagsByUrl = Object.fromEntries(rows.map((r) => [r.url!, r.pageTags.map((t) => t.slug)]).sort());
    const feeds: Record<string, string[]> = {};
    for (const slug of Object.keys(expected.feeds)) feeds[slug] = (await tagItemIds(db.db, slug)).map((id) => urlOf.get(id)!).sort();
    return { items: tagsByUrl, feeds };
  }

  it("gives a story in two feeds the tags of both, whichever feed is fetched first", async () => {
    // A then B: the Stadtblatt at T0, the Landeszeitung at T1
    await follow("stadtblatt");
    await poll(T0);
    await follow("landeszeitung");
    expect((await pollOnly("landeszeitung", T1)).map((r) => r.outcome)).toEqual(["stored"]);
    const aThenB = await state();

    // B then A: the same documents, ingested the other way round
    await truncateAll(db);
    await follow("landeszeitung");
    await poll(T1);
    await follow("stadtblatt");
    expect((await pollOnly("stadtblatt", T0)).map((r) => r.outcome)).toEqual(["stored"]);
    const bThenA = await state();

    expect(bThenA).toEqual(aThenB);
    expect(aThenB.items).toEqual(expected.items);
    expect(aThenB.feeds).toEqual(expected.feeds);
  });

  it("drops exactly a feed's tags when it stops giving them or is no longer followed", async () => {
    await follow("stadtblatt");
    await follow("landeszeitung");
    await poll(T0);
    expect((await state()).items).toEqual(expected.items);

    // the Landeszeitung's next document no longer files the bridge under "Bauen"
    served["/landeszeitung.xml"] = { body: feedText("landeszeitung").replace("<category>Bauen</category>", ""), etag: '"landeszeitung-2"' };
    await poll(T1);
    const bridge = "https://story.example/bruecke";
    expect((await state()).items[bridge]).toEqual(["region", "nachrichten", "verkehr"]);
    expect(await tagItemIds(db.db, "bauen")).toEqual([]);

    // no longer following it: the bridge keeps only the Stadtblatt's tags
    const removed = await removeFeedSource(db.db, "landeszeitung");
    expect(removed?.changedTags).toEqual(["nachrichten", "region", "verkehr"]);
    const after = await state();
    expect(after.items[bridge]).toEqual(["verkehr", "nachrichten"]);
    expect(after.feeds.region).toEqual(["https://story.example/schule"]);
    // the school story, shown by no followed feed now, stays as it was
    expect(after.items["https://story.example/schule"]).toEqual(["bildung", "region"]);
  });

  it("gives a story on a portal page and in a feed the tags of both, in either order", async () => {
    const seed = { name: "seed", bytes: new Uint8Array(readFileSync(join(import.meta.dirname, "pages", "seed-alaska.txt"))), fetchedAt: T0 };
    const article = parsePage(decodePage(seed.bytes), T0).find((i) => i.kind === "article")!;
    expect(article.tags.length).toBeGreaterThan(0);
    // the article again, as a teaser of a followed feed with its own category
    const mirrored = { ...article, kind: "teaser" as const, contentHtml: null, summary: "Kurz.", tags: [{ slug: "weltpolitik", label: "Weltpolitik" }] };
    const feedDoc = {
      source: { kind: "feed" as const, name: "mirror", url: `${base}/mirror.xml` },
      name: `${base}/mirror.xml`,
      sha256: "m".repeat(64),
      fetchedAt: T1,
      items: [mirrored],
    };
    const want = [...article.tags.map((t) => t.slug), "region", "weltpolitik"];

    const results: string[][] = [];
    for (const order of ["page first", "feed first"]) {
      await truncateAll(db);
      await addFeedSource(db.db, { url: `${base}/mirror.xml`, name: "mirror", tags: ["Region"] });
      if (order === "page first") {
        await ingestPage(db.db, seed);
        expect((await storeDocument(db.db, feedDoc)).changedTags).toEqual(expect.arrayContaining(["region", "weltpolitik"]));
      } else {
        await storeDocument(db.db, feedDoc);
        await ingestPage(db.db, seed);
      }
      const item = (await findItem(db.db, article.id))!;
      // the page's article is the richer text: its tags lead, the feed's follow
      expect(item.tags.map((t) => t.slug)).toEqual(want);
      for (const slug of want) expect(await tagItemIds(db.db, slug)).toContain(article.id);
      results.push(item.memberOf.map((t) => t.slug));
    }
    expect(results[1]).toEqual(results[0]);
  });

  it("repairs the tags stored before: a document's own on its observations, every source's own on the items", async () => {
    // a database as it was before item tags were the union over sources
    const scratch = await backend.scratch();
    const opened = await scratch.open();
    const folder = mkdtempSync(join(tmpdir(), "feedwerk-migrations-"));
    try {
      cpSync(MIGRATIONS, folder, { recursive: true });
      const journalFile = join(folder, "meta", "_journal.json");
      const journal = JSON.parse(readFileSync(journalFile, "utf8")) as { entries: { tag: string }[] };
      journal.entries = journal.entries.slice(
        0,
        journal.entries.findIndex((e) => e.tag.endsWith("_source_tag_union")),
      );
      writeFileSync(journalFile, JSON.stringify(journal));
      const { migrate } = backend.name === "pglite" ? await import("drizzle-orm/pglite/migrator") : await import("drizzle-orm/postgres-js/migrator");
      await migrate(opened.db as never, { migrationsFolder: folder });
      for (const statement of [
        `insert into sources (kind, name, url, tags) values ('feed', 'lz', 'https://lz.example/feed', '["Region"]'), ('feed', 'sb', 'https://sb.example/feed', '["Nachrichten"]')`,
        `insert into documents (source_id, name, sha256, fetched_at, item_count) values (1, 'lz', 'a', '2025-12-10T12:00:00Z', 1), (2, 'sb', 'b', '2025-12-10T11:00:00Z', 1)`,
        `insert into tags (slug, label) values ('verkehr', 'Verkehr'), ('region', 'Region'), ('nachrichten', 'Nachrichten')`,
        // the Landeszeitung's text won: its category and its own tag, the Stadtblatt's own tag lost
        `insert into items (id, guid, kind, title, summary, precision, page_tags, match_text, feed_at, first_seen_at, updated_at, content_hash)
           values ('i1', 'urn:feedwerk:item:i1', 'teaser', 'Brücke', 'Zu.', 'none', '[{"slug":"verkehr","label":"Verkehr"},{"slug":"region","label":"Region"}]',
                   'brücke zu.', '2025-12-10T12:00:00Z', '2025-12-10T11:00:00Z', '2025-12-10T12:00:00Z', 'lz-text')`,
        `insert into observations (item_id, document_id, fetched_at, kind, content_hash, precision)
           values ('i1', 1, '2025-12-10T12:00:00Z', 'teaser', 'lz-text', 'none'), ('i1', 2, '2025-12-10T11:00:00Z', 'teaser', 'sb-text', 'none')`,
        `insert into item_tags (item_id, tag_id, via) values ('i1', 1, 'page'), ('i1', 2, 'page')`,
      ]) {
        await opened.db.execute(sql.raw(statement));
      }
      await opened.migrate();

      const stored = await opened.db
        .select({ documentId: observations.documentId, tags: observations.tags })
        .from(observations)
        .orderBy(observations.documentId);
      expect(stored).toEqual([
        { documentId: 1, tags: [{ slug: "verkehr", label: "Verkehr" }] },
        { documentId: 2, tags: [] },
      ]);
      expect((await findItem(opened.db, "i1"))!.tags.map((t) => t.slug)).toEqual(["verkehr", "region", "nachrichten"]);
      expect(await tagItemIds(opened.db, "nachrichten")).toEqual(["i1"]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
      await opened.close();
      await scratch.dispose();
    }
  });

  it("re-tags stored items when a source's tags change, though the feed then answers 304", async () => {
    const versions = new VersionBook(db.db, { maxAgeMs: 60_000 });
    const app: Hono = createApp({ db: db.db, publicUrl: "https://feeds.example.org", versions, compressors: nodeCompressors });
    const get = (path: string, headers: Record<string, string> = {}) => app.fetch(new Request(`https://feeds.example.org${path}`, { headers }));
    const links = async (res: Response) => (await rssParser.parseString(await res.text())).items.map((i) => i.link).sort();

    const source = await follow("stadtblatt");
    await poll(T0);
    versions.invalidate();
    const before = await get("/feeds/nachrichten.xml");
    expect(before.status).toBe(200);
    const etag = before.headers.get("etag")!;
    expect(await links(before)).toEqual(["https://story.example/bruecke", "https://story.example/buergermeister"]);
    expect((await get("/feeds/region.xml")).status).toBe(404);

    // what `sources apply` does when the config file gives the feed another tag
    // every feed the items are in changes: their categories are listed in it
    expect(await setSourceTags(db.db, source.id, ["Region"])).toEqual(["nachrichten", "politik", "region", "verkehr"]);
    const [again] = await poll(T1);
    expect(again!.outcome).toBe("not modified");
    versions.invalidate();

    const region = await get("/feeds/region.xml");
    expect(region.status).toBe(200);
    expect(await links(region)).toEqual(["https://story.example/bruecke", "https://story.example/buergermeister"]);
    // the rendered copy of the old tag's feed is not served again
    const old = await get("/feeds/nachrichten.xml", { "If-None-Match": etag });
    expect(old.status).toBe(200);
    expect(await links(old)).toEqual([]);
    const item = await get(`/feeds/all.json`);
    const tagsOf = ((await item.json()) as { items: { url: string; tags: string[] }[] }).items.map((i) => [i.url, i.tags]).sort();
    expect(tagsOf).toEqual([
      ["https://story.example/bruecke", ["Verkehr", "Region"]],
      ["https://story.example/buergermeister", ["Politik", "Region"]],
    ]);
  });
});

forEachPollingDatabase("what a poll learns, kept across 304s,", (db, fetcher) => {
  beforeEach(() => {
    served = {};
  });
  const nextPolls = async (_path: string, times: Date[]) => {
    const out: string[] = [];
    for (const at of times) {
      const [result] = await collectPoll(db.db, fetcher, { all: true, now: () => at });
      out.push(`${result!.outcome} ${result!.nextPollAt.toISOString()}`);
    }
    return out;
  };

  it.each([
    ["a 304", { etag: '"v1"' }],
    ["the same body again, without validators", {}],
  ])("polls a feed with <ttl>30</ttl> every 30 minutes after %s", async (_, validators) => {
    served["/ttl.xml"] = { body: feedText("stadtblatt"), ...validators };
    await addFeedSource(db.db, { url: `${base}/ttl.xml` });
    expect(await nextPolls("/ttl.xml", [T0, new Date("2025-12-10T12:30:00Z"), new Date("2025-12-10T13:00:00Z")])).toEqual([
      "stored 2025-12-10T12:30:00.000Z",
      "not modified 2025-12-10T13:00:00.000Z",
      "not modified 2025-12-10T13:30:00.000Z",
    ]);
    expect(await findFeedSource(db.db, `${base}/ttl.xml`)).toMatchObject({ ttlMinutes: 30 });
  });

  it("keeps the max-age of a 200 across 304s that send none, and takes a new one from a 304 that does", async () => {
    served["/aged.xml"] = { body: feedText("landeszeitung"), etag: '"a1"', headers: { "cache-control": "max-age=7200" } };
    await addFeedSource(db.db, { url: `${base}/aged.xml` });
    expect(await nextPolls("/aged.xml", [T0, new Date("2025-12-10T14:00:00Z")])).toEqual([
      "stored 2025-12-10T14:00:00.000Z",
      "not modified 2025-12-10T16:00:00.000Z",
    ]);
    served["/aged.xml"]!.notModifiedHeaders = { "cache-control": "max-age=1800" };
    expect(await nextPolls("/aged.xml", [new Date("2025-12-10T16:00:00Z"), new Date("2025-12-10T16:30:00Z")])).toEqual([
      "not modified 2025-12-10T16:30:00.000Z",
      "not modified 2025-12-10T17:00:00.000Z",
    ]);
  });
});

describe("the command line", () => {
  it("re-tags a feed's stored items on `sources apply`, though `fetch --all` then gets 304", async () => {
    const scratch = await backends[0]!.scratch();
    const dirOfConfig = mkdtempSync(join(tmpdir(), "feedwerk-apply-"));
    const env = { ...scratch.env, FEEDWERK_ALLOWED_HOSTS: "127.0.0.1" };
    served = { "/stadtblatt.xml": { body: feedText("stadtblatt"), etag: '"s1"' } };
    const config = (tags: string[]) => {
      const file = join(dirOfConfig, "sources.json");
      writeFileSync(file, JSON.stringify({ sources: [{ url: `${base}/stadtblatt.xml`, tags }] }));
      return file;
    };
    try {
      expect((await cli(["sources", "apply", config(["Nachrichten"])], env)).status).toBe(0);
      expect((await cli(["fetch", "--all"], env)).stdout).toMatch(/stored\s+2\s+0\s+0/);
      const hub = await startHubStub();
      const applied = await cli(["sources", "apply", config(["Region"])], {
        ...env,
        FEEDWERK_HUB_URL: hub.url,
        FEEDWERK_PUBLIC_URL: "https://feeds.example.org",
      }).finally(() => hub.close());
      expect(applied.stdout).toContain(`new tags for ${base}/stadtblatt.xml: Region`);
      // the hub hears of the feeds whose items changed tags
      expect(hub.pings).toEqual(
        expect.arrayContaining([
          "https://feeds.example.org/feeds/region.xml",
          "https://feeds.example.org/feeds/nachrichten.atom",
          "https://feeds.example.org/feeds/all.json",
        ]),
      );
      const fetched = await cli(["fetch", "--all"], env);
      expect([fetched.status, fetched.stdout]).toEqual([0, expect.stringMatching(/not modified/)]);

      const opened = await scratch.open();
      try {
        const app = createApp({ db: opened.db, publicUrl: "https://feeds.example.org", compressors: nodeCompressors });
        const get = (path: string) => app.fetch(new Request(`https://feeds.example.org${path}`));
        const region = await get("/feeds/region.xml");
        expect(region.status).toBe(200);
        expect((await rssParser.parseString(await region.text())).items.map((i) => i.link).sort()).toEqual([
          "https://story.example/bruecke",
          "https://story.example/buergermeister",
        ]);
        expect((await rssParser.parseString(await (await get("/feeds/nachrichten.xml")).text())).items).toEqual([]);
      } finally {
        await opened.close();
      }

      // importing an OPML file again adds its folder to the feed's tags; with --replace-tags the folder is its tag now
      const opml = join(dirOfConfig, "feeds.opml");
      writeFileSync(
        opml,
        `<?xml version="1.0"?><opml version="2.0"><head/><body><outline text="Stadt"><outline type="rss" text="Stadtblatt" xmlUrl="${base}/stadtblatt.xml"/></outline></body></opml>`,
      );
      const imported = await cli(["sources", "import", opml, "--replace-tags"], env);
      expect(imported.stdout).toContain(`tags for ${base}/stadtblatt.xml: added Stadt; replaced Region`);
      const items = JSON.parse((await cli(["items", "--source", `${base}/stadtblatt.xml`, "--json"], env)).stdout) as { items: { tags: Tag[] }[] };
      expect(items.items.map((i) => i.tags.map((t) => t.slug))).toEqual([
        ["verkehr", "stadt"],
        ["politik", "stadt"],
      ]);
    } finally {
      rmSync(dirOfConfig, { recursive: true, force: true });
      await scratch.dispose();
    }
  }, 180_000);
});
