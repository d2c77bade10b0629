/**
 * Following feeds end to end, on both backends: sources, a polling pass
 * against a local HTTP server, merging with the portal's stories, tag
 * membership, conditional re-fetching, moved feeds and failing ones.
 */
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { ingestPage } from "../src/pipeline/ingest-page";
import { tagItemIds } from "../src/storage/queries";
import { documents, items, observations } from "../src/storage/schema";
import { addFeedSource, findFeedSource, setSourceTags } from "../src/storage/sources";
import { createApp } from "../src/publish/app";
import { cli } from "./support/cli";
import { expectValidAtom, expectValidJsonFeed, expectValidRss, rssParser } from "./support/feeds";
import { backends } from "./support/databases";
import { collectPoll, forEachPollingDatabase } from "./support/polling";

const root = join(import.meta.dirname, "..");
const fixture = (name: string) => readFileSync(join(import.meta.dirname, "feeds", name));
// the same story as rss2.xml's first entry (same link, tracking parameters aside), from another feed
const MIRROR = `<?xml version="1.0"?><rss version="2.0"><channel><title>Spiegel</title><link>https://mirror.example/</link><description>m</description>
<item><title>Premiere in Köln</title><link>https://news.example.com/artikel/1?id=7&amp;utm_campaign=x</link><description>Auch hier.</description></item></channel></rss>`;

/** A feed of `count` entries, the newest first; entry 0 is the oldest. */
const growing = (count: number, edited = -1) =>
  `<?xml version="1.0"?><rss version="2.0"><channel><title>Wachsend</title><link>https://grow.example/</link><description>g</description>` +
  Array.from({ length: count }, (_, k) => count - 1 - k)
    .map(
      (n) =>
        `<item><title>Meldung ${n}${n === edited ? " (berichtigt)" : ""}</title><link>https://grow.example/${n}</link><guid isPermaLink="false">grow-${n}</guid>` +
        `<pubDate>${new Date(Date.UTC(2025, 11, 1) + n * 3_600_000).toUTCString()}</pubDate><category>Wachstum</category><description>Text ${n}.</description></item>`,
    )
    .join("") +
  `</channel></rss>`;
// entry 0 of the growing feed as another feed tells it
const ECHO = `<?xml version="1.0"?><rss version="2.0"><channel><title>Echo</title><link>https://echo.example/</link><description>e</description>
<item><title>Meldung 0, nacherzählt</title><link>https://grow.example/0</link><description>Anders erzählt.</description></item></channel></rss>`;
let growingFeed = growing(50);
// entries that bring a headline alone, one with a link and one without
const BARE = `<?xml version="1.0"?><rss version="2.0"><channel><title>Knapp</title><link>https://bare.example/</link><description>k</description>
<item><title>Nur eine Schlagzeile</title><link>https://bare.example/1</link><category>Knapp</category></item>
<item><title>Schlagzeile ohne Link</title><guid isPermaLink="false">bare-2</guid><category>Knapp</category></item></channel></rss>`;

let server: Server;
let base: string;
let hits: Record<string, number> = {};
beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? "/";
    hits[path] = (hits[path] ?? 0) + 1;
    if (path === "/rss2.xml") {
      if (req.headers["if-none-match"] === '"r1"') return res.writeHead(304).end();
      return res.writeHead(200, { "content-type": "application/rss+xml; charset=utf-8", etag: '"r1"' }).end(fixture("rss2.xml"));
    }
    if (path === "/atom.xml") return res.writeHead(200, { "content-type": "application/atom+xml", "cache-control": "max-age=7200" }).end(fixture("atom.xml"));
    if (path === "/feed.json") return res.writeHead(200, { "content-type": "application/feed+json" }).end(fixture("jsonfeed-1.1.json"));
    if (path === "/latin1.xml") return res.writeHead(200, { "content-type": "application/rss+xml" }).end(fixture("latin1.xml"));
    if (path === "/mirror.xml") return res.writeHead(200).end(MIRROR);
    if (path === "/growing.xml") return res.writeHead(200).end(growingFeed);
    if (path === "/echo.xml") return res.writeHead(200).end(ECHO);
    if (path === "/bare.xml") return res.writeHead(200).end(BARE);
    if (path === "/old-address.xml") return res.writeHead(301, { location: "/atom.xml" }).end();
    return res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

forEachPollingDatabase("following feeds", (db, fetcher) => {
  beforeEach(() => {
    hits = {};
  });

  it("reads every followed feed once per pass and merges them with the portal's stories", async () => {
    await ingestPage(db.db, {
      name: "seed",
      bytes: new Uint8Array(readFileSync(join(root, "seeds/000_fd0f4cb902b02a9c.txt"))),
      fetchedAt: new Date("2025-12-09T13:00:00Z"),
    });
    for (const path of ["/rss2.xml", "/atom.xml", "/feed.json", "/latin1.xml", "/mirror.xml", "/gone.xml"])
      await addFeedSource(db.db, { url: `${base}${path}` });
    const now = new Date("2025-12-10T12:00:00Z");
    const results = await collectPoll(db.db, fetcher, { now: () => now, random: () => 0.5 });
    const by = (path: string) => results.find((r) => r.source.url === `${base}${path}`)!;
    expect(results).toHaveLength(6);
    // rss2.xml and mirror.xml tell one story (one link): the pass stores feeds in any order, and whichever
    // of the two comes first brings it as new; together they bring rss2.xml's two stories, no more
    expect(by("/rss2.xml").report!.new + by("/mirror.xml").report!.new).toBe(2);
    expect(by("/atom.xml").report).toMatchObject({ new: 2 });
    expect(by("/feed.json").report).toMatchObject({ new: 2 });
    expect(by("/gone.xml")).toMatchObject({ outcome: "failed", error: expect.stringContaining("HTTP 404") });
    // failures back off: 15 minutes (the minimum) at the first, with jitter ±20 % (here 0)
    expect(by("/gone.xml").nextPollAt.toISOString()).toBe("2025-12-10T12:15:00.000Z");
    // ttl 30 minutes; Cache-Control max-age 2 hours; default an hour
    expect(by("/rss2.xml").nextPollAt.toISOString()).toBe("2025-12-10T12:30:00.000Z");
    expect(by("/atom.xml").nextPollAt.toISOString()).toBe("2025-12-10T14:00:00.000Z");
    expect(by("/feed.json").nextPollAt.toISOString()).toBe("2025-12-10T13:00:00.000Z");

    // a feed's category "Ukraine" makes its entry a member of the portal's tag
    const ukraine = await tagItemIds(db.db, "ukraine");
    expect(ukraine).toHaveLength(3);

    // one story from two feeds (one link) is one item that remembers both sources
    const mirrored = by("/mirror.xml").report!.outcomes[0]!;
    const told = [by("/rss2.xml"), by("/mirror.xml")].map((r) => r.report!.outcomes.find((o) => o.id === mirrored.id)?.outcome);
    expect(told.filter((outcome) => outcome === "new")).toHaveLength(1);
    expect(told).not.toContain(undefined);
    const sourcesOf = await db.db
      .selectDistinct({ sourceId: documents.sourceId })
      .from(observations)
      .innerJoin(documents, eq(documents.id, observations.documentId))
      .where(eq(observations.itemId, mirrored.id));
    expect(sourcesOf).toHaveLength(2);

    const gone = await findFeedSource(db.db, `${base}/gone.xml`);
    expect([gone?.errorCount, gone?.lastError]).toEqual([1, expect.stringContaining("HTTP 404")]);
  });

  it("asks again with validators, polls only what is due, and follows a feed that moved", async () => {
    await addFeedSource(db.db, { url: `${base}/rss2.xml`, tags: ["Kultur-Tipp"] });
    await addFeedSource(db.db, { url: `${base}/old-address.xml`, name: "blog" });
    const t0 = new Date("2025-12-10T12:00:00Z");
    await collectPoll(db.db, fetcher, { now: () => t0 });
    expect((await findFeedSource(db.db, "blog"))?.url).toBe(`${base}/atom.xml`);
    expect(await tagItemIds(db.db, "kultur-tipp")).toHaveLength(2);

    const soon = await collectPoll(db.db, fetcher, { now: () => new Date("2025-12-10T12:10:00Z") });
    expect(soon).toHaveLength(0);
    const later = await collectPoll(db.db, fetcher, { now: () => new Date("2025-12-10T12:31:00Z") });
    expect(later.map((r) => [r.source.name, r.outcome])).toEqual([[`${base}/rss2.xml`, "not modified"]]);
    expect(hits["/rss2.xml"]).toBe(2);
  });

  it("keeps a feed that moved to another followed feed's address where it was, failing with what to do", async () => {
    await addFeedSource(db.db, { url: `${base}/atom.xml`, name: "atom" });
    await addFeedSource(db.db, { url: `${base}/old-address.xml`, name: "blog" });
    const results = await collectPoll(db.db, fetcher, { now: () => new Date("2025-12-10T12:00:00Z") });
    const said = `moved permanently to ${base}/atom.xml, which is followed already as 'atom': stop following this one (\`sources remove 'blog'\`), after giving its tags to 'atom' if they differ`;
    expect(results.map((r) => [r.source.name, r.outcome, r.error ?? null]).sort()).toEqual([
      ["atom", "stored", null],
      ["blog", "failed", said],
    ]);
    const blog = await findFeedSource(db.db, "blog");
    expect([blog?.url, blog?.lastError, blog?.errorCount]).toEqual([`${base}/old-address.xml`, said, 1]);
  });

  it("records observations only for the entries a feed adds or changes, and again where another feed spoke since", async () => {
    const grow = await addFeedSource(db.db, { url: `${base}/growing.xml` });
    const poll = async (at: string, source = grow) =>
      (await collectPoll(db.db, fetcher, { all: true, now: () => new Date(at) })).find((r) => r.source.id === source.id)!;
    const count = () => db.db.$count(observations);
    const item0 = async () => (await db.db.select().from(items).where(eq(items.url, "https://grow.example/0")))[0]!;

    growingFeed = growing(50);
    expect((await poll("2025-12-10T12:00:00Z")).report).toMatchObject({ new: 50 });
    expect(await count()).toBe(50);
    const first = await item0();

    // one entry more: one observation more, and the other fifty items exactly as they were
    growingFeed = growing(51);
    expect((await poll("2025-12-10T13:00:00Z")).report).toMatchObject({ new: 1, updated: 0, unchanged: 50 });
    expect(await count()).toBe(51);
    expect(await item0()).toEqual(first);

    // an edited entry: its new text is recorded, nothing else
    growingFeed = growing(51, 7);
    expect((await poll("2025-12-10T14:00:00Z")).report).toMatchObject({ new: 0, updated: 1, unchanged: 50 });
    expect(await count()).toBe(52);

    // another feed tells entry 0's story in its own words, newer: the item shows them
    const echoed = await addFeedSource(db.db, { url: `${base}/echo.xml` });
    await poll("2025-12-10T15:00:00Z", echoed);
    expect(await count()).toBe(53);
    expect((await item0()).title).toBe("Meldung 0, nacherzählt");
    // the growing feed says entry 0 again, newer still: recorded, or the echo's words would stay the newest
    growingFeed = growing(52, 7);
    const again = await poll("2025-12-10T16:00:00Z");
    expect(again.report).toMatchObject({ new: 1 });
    expect(again.report!.outcomes.find((o) => o.title === "Meldung 0")?.outcome).toBe("updated");
    expect(await count()).toBe(55); // entry 51 and entry 0
    expect((await item0()).title).toBe("Meldung 0");
    expect((await item0()).updatedAt).toEqual(new Date("2025-12-10T16:00:00Z"));
  });

  it("publishes entries that brought a headline alone with neither description nor content in RSS, and empty content_html in JSON Feed", async () => {
    await addFeedSource(db.db, { url: `${base}/bare.xml` });
    await collectPoll(db.db, fetcher, { now: () => new Date("2025-12-10T12:00:00Z") });
    const app = createApp({ db: db.db, publicUrl: "https://feeds.example.org" });
    const body = async (path: string) => {
      const response = await app.fetch(new Request(`https://feeds.example.org${path}`));
      expect(response.status).toBe(200);
      return response.text();
    };
    const rss = await body("/feeds/knapp.xml");
    await expectValidRss(rss);
    const read = await rssParser.parseString(rss);
    expect(read.items.map((i) => [i.title, i.content ?? null, (i as unknown as Record<string, unknown>)["content:encoded"] ?? null]).sort()).toEqual([
      ["Nur eine Schlagzeile", null, null],
      ["Schlagzeile ohne Link", null, null],
    ]);
    expect(rss).not.toContain("<description></description>");
    const atom = await body("/feeds/knapp.atom");
    await expectValidAtom(atom);
    // Atom keeps an empty paragraph: the W3C validator wants textual content in every entry (tests/w3c-feeds.test.ts)
    expect(atom).not.toContain("<summary");
    expect(atom.match(/<content[^>]*>.*?<\/content>/g)).toEqual(Array(2).fill('<content type="html"><![CDATA[<p></p>]]></content>'));
    const json = JSON.parse(await body("/feeds/knapp.json")) as { items: { title: string; content_html: string; summary?: string }[] };
    expectValidJsonFeed(json);
    // JSON Feed requires content_html or content_text: present, and empty; a summary is optional, and left out
    expect(json.items.map((i) => [i.title, i.content_html, i.summary ?? null]).sort()).toEqual([
      ["Nur eine Schlagzeile", "", null],
      ["Schlagzeile ohne Link", "", null],
    ]);
  });

  it("does not store a feed served again byte for byte without validators, not even when its tags change", async () => {
    const source = await addFeedSource(db.db, { url: `${base}/atom.xml` });
    const poll = async (at: string) => (await collectPoll(db.db, fetcher, { all: true, now: () => new Date(at) }))[0]!;
    expect((await poll("2025-12-10T12:00:00Z")).report).toMatchObject({ new: 2 });
    const stored = { documents: await db.db.$count(documents), observations: await db.db.$count(observations) };
    expect(stored).toEqual({ documents: 1, observations: 2 });

    const again = await poll("2025-12-10T14:00:00Z");
    expect([again.outcome, again.nextPollAt.toISOString()]).toEqual(["not modified", "2025-12-10T16:00:00.000Z"]);
    expect({ documents: await db.db.$count(documents), observations: await db.db.$count(observations) }).toEqual(stored);
    expect(await findFeedSource(db.db, source.name)).toMatchObject({ lastStatus: "not modified", lastFetchAt: new Date("2025-12-10T14:00:00Z") });
    expect(hits["/atom.xml"]).toBe(2);

    // new tags reach the stored items at once: nothing to store again
    await setSourceTags(db.db, source.id, ["Extra"]);
    expect(await tagItemIds(db.db, "extra")).toHaveLength(2);
    expect((await poll("2025-12-10T16:00:00Z")).outcome).toBe("not modified");
    expect(await db.db.$count(documents)).toBe(1);
  });
});

describe("the command line for feeds", () => {
  it("adds, lists, fetches, shows and removes sources, refusing private addresses unless allowed", async () => {
    const scratch = await backends[0]!.scratch();
    const env = { ...scratch.env, FEEDWERK_ALLOWED_HOSTS: "" };
    try {
      // refused when added, naming the URL and the setting that allows it
      const hint = (host: string) =>
        `; feeds are not followed from private or local addresses unless FEEDWERK_ALLOWED_HOSTS allows them (FEEDWERK_ALLOWED_HOSTS=${host})`;
      const loopback = await cli(["sources", "add", `${base}/rss2.xml`, "--tag", "Kultur"], env);
      expect([loopback.status, loopback.stderr]).toEqual([1, `error: ${base}/rss2.xml: 127.0.0.1 is a loopback address${hint("127.0.0.1")}\n`]);
      const named = await cli(["sources", "add", `${base.replace("127.0.0.1", "localhost")}/rss2.xml`], env);
      expect([named.status, named.stderr]).toEqual([
        1,
        expect.stringMatching(
          /^error: http:\/\/localhost:\d+\/rss2\.xml: localhost resolves to \S+, a loopback address; .*\(FEEDWERK_ALLOWED_HOSTS=localhost\)\n$/,
        ),
      ]);
      const privateNet = await cli(["sources", "add", "http://10.0.0.1/feed.xml"], env);
      expect([privateNet.status, privateNet.stderr]).toEqual([1, `error: http://10.0.0.1/feed.xml: 10.0.0.1 is a private address${hint("10.0.0.1")}\n`]);
      expect((await cli(["sources", "list"], env)).stdout).toContain("no feeds followed yet");
      expect((await cli(["fetch"], env)).stdout).toBe("no feed is followed: add one with `sources add URL`, or a list with `sources import FILE.opml`\n");

      const allowed = { ...env, FEEDWERK_ALLOWED_HOSTS: "127.0.0.1" };
      expect((await cli(["sources", "add", `${base}/rss2.xml`, "--tag", "Kultur"], allowed)).status).toBe(0);
      expect((await cli(["sources", "add", `${base}/feed.json`, "--name", "json"], allowed)).status).toBe(0);
      const dup = await cli(["sources", "add", `${base}/rss2.xml`], allowed);
      expect([dup.status, dup.stderr]).toEqual([1, `error: ${base}/rss2.xml: followed already\n`]);
      const sameName = await cli(["sources", "add", `${base}/atom.xml`, "--name", "json"], allowed);
      expect([sameName.status, sameName.stderr]).toEqual([1, `error: json: the name of a feed followed already (${base}/feed.json)\n`]);
      expect((await cli(["items", "--source", "json"], allowed)).stdout).toBe("no items stored for json: not fetched yet (`fetch`)\n");
      const unknown = await cli(["items", "--source", "nosuch"], allowed);
      expect([unknown.status, unknown.stderr]).toEqual([1, "error: nosuch: no followed feed has this name or address\n"]);
      expect((await cli(["sources", "add", "file:///etc/passwd"], env)).stderr).toContain("only http and https");
      // a password given in the URL is not shown back
      expect((await cli(["sources", "add", "http://u:secret@feeds.example.org/rss"], env)).stderr.trim()).toBe(
        "error: http://u:***@feeds.example.org/rss: feed URLs with credentials in them are not followed",
      );

      // allowed then, not now: fetching checks again
      const refused = await cli(["fetch"], env);
      expect(refused.status).toBe(1);
      const refusal = refused.stderr.split("\n").find((line) => line.includes("rss2.xml"))!;
      expect(refusal).toMatch(/^error: http:\/\/127\.0\.0\.1:\d+\/rss2\.xml: refused to fetch: 127\.0\.0\.1 is a loopback address/);
      expect(refusal.split(`${base}/rss2.xml`)).toHaveLength(2); // the URL once
      // a feed followed under a name is named by its URL too, as the README says
      expect(refused.stderr).toContain(`error: ${base}/feed.json: refused to fetch: 127.0.0.1 is a loopback address`);
      expect(refused.stdout).toContain("0 of 2 feeds read; 2 failed");
      // the table cuts long cells; the list shows each last error whole
      const failing = await cli(["sources", "list"], env);
      expect(failing.stdout.split("\n")).toContain(`  ${refusal.slice("error: ".length)}`);
      expect(failing.stdout).toMatch(/\s+failed\s+1\s+/);

      const fetched = await cli(["fetch", "--all"], allowed);
      expect(fetched.status).toBe(0);
      expect(fetched.stdout).toMatch(/json\s+stored\s+2\s+0\s+0/);
      expect(fetched.stdout).toContain("2 of 2 feeds read");
      // nothing due now: says when something will be, and how to poll at once
      const idle = await cli(["fetch"], allowed);
      expect([idle.status, idle.stdout]).toEqual([
        0,
        expect.stringMatching(/^no feed is due: 2 feeds followed; the next is due at \S+Z \(`fetch --all` polls every feed now\)\n$/),
      ]);

      const list = await cli(["sources", "list"], allowed);
      expect(list.stdout).toMatch(/^name\s+url\s+read as\s+last fetch\s+status\s+errors\s+next poll\s+article failures\s+broken feed\n/);
      expect(list.stdout).toMatch(/json\s+http:\/\/127\.0\.0\.1:\d+\/feed\.json\s+feed\s+\S+\s+ok\s+0\s+\S+\s+-/);

      const items = JSON.parse((await cli(["items", "--source", `${base}/rss2.xml`, "--json"], allowed)).stdout);
      expect(items.items.map((i: { title: string }) => i.title).sort()).toEqual(["Ohne Datum", "Tom & Jerry <3 – Premiere in Köln"]);
      expect(items.items[0].tags.map((t: { label: string }) => t.label)).toContain("Kultur");

      expect((await cli(["sources", "remove", "json"], allowed)).stdout).toContain("no longer following");
      expect((await cli(["sources", "list"], allowed)).stdout).not.toContain("feed.json");
    } finally {
      await scratch.dispose();
    }
  }, 120_000);

  it("refuses private addresses in sources apply (nothing changes) and sources import (the rest goes in)", async () => {
    const scratch = await backends[0]!.scratch();
    const dir = mkdtempSync(join(tmpdir(), "feedwerk-sources-"));
    const env = { ...scratch.env, FEEDWERK_ALLOWED_HOSTS: "" };
    try {
      const config = join(dir, "sources.json");
      writeFileSync(config, JSON.stringify({ sources: [{ url: "https://a.example/feed" }, { url: "http://192.168.0.10/rss" }, { url: `${base}/rss2.xml` }] }));
      const applied = await cli(["sources", "apply", config], env);
      expect(applied.status).toBe(1);
      expect(applied.stderr.trim().split("\n")).toEqual([
        `error: ${config}: sources[1].url: http://192.168.0.10/rss: 192.168.0.10 is a private address; feeds are not followed from private or local addresses unless FEEDWERK_ALLOWED_HOSTS allows them (FEEDWERK_ALLOWED_HOSTS=192.168.0.10)`,
        `error: ${config}: sources[2].url: ${base}/rss2.xml: 127.0.0.1 is a loopback address; feeds are not followed from private or local addresses unless FEEDWERK_ALLOWED_HOSTS allows them (FEEDWERK_ALLOWED_HOSTS=127.0.0.1)`,
      ]);
      expect((await cli(["sources", "list"], env)).stdout).toContain("no feeds followed yet");
      const appliedAllowed = await cli(["sources", "apply", config], { ...env, FEEDWERK_ALLOWED_HOSTS: "127.0.0.1,192.168.0.0/16" });
      expect([appliedAllowed.status, appliedAllowed.stdout]).toEqual([0, expect.stringContaining("3 added")]);
      // feeds followed already are not judged again: the same file applies where they are not allowed any more
      const again = await cli(["sources", "apply", config], env);
      expect([again.status, again.stdout, again.stderr]).toEqual([0, expect.stringContaining("0 added, 0 updated, 3 unchanged"), ""]);

      const opml = join(dir, "feeds.opml");
      writeFileSync(
        opml,
        `<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head><body>` +
          `<outline type="rss" text="Eins" xmlUrl="https://b.example/feed"/>` +
          `<outline type="rss" text="Intranet" xmlUrl="http://10.1.2.3/feed.xml"/>` +
          `<outline type="rss" text="Hier" xmlUrl="http://localhost:8080/feed.xml"/>` +
          `<outline type="rss" text="Schon da" xmlUrl="http://192.168.0.10/rss"/>` +
          `</body></opml>`,
      );
      const imported = await cli(["sources", "import", opml], env);
      expect(imported.status).toBe(1);
      expect(imported.stdout).toContain("imported 1 of 4 feeds");
      expect(imported.stdout).toContain("already followed: http://192.168.0.10/rss");
      expect(imported.stderr).not.toContain("192.168.0.10");
      expect(imported.stderr).toContain(`error: ${opml}: skipped 'http://10.1.2.3/feed.xml': 10.1.2.3 is a private address; feeds are not followed`);
      expect(imported.stderr).toMatch(
        /skipped 'http:\/\/localhost:8080\/feed\.xml': localhost resolves to \S+, a loopback address; .*FEEDWERK_ALLOWED_HOSTS=localhost\)/,
      );
      expect((await cli(["sources", "list"], env)).stdout).toContain("https://b.example/feed");
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await scratch.dispose();
    }
  }, 120_000);

  it("polls in the background of the server with serve --poll, counting a feed that fails apart from those read", async () => {
    const scratch = await backends[0]!.scratch();
    const env = { ...scratch.env, FEEDWERK_ALLOWED_HOSTS: "127.0.0.1" };
    try {
      expect((await cli(["sources", "add", `${base}/atom.xml`], env)).status).toBe(0);
      expect((await cli(["sources", "add", `${base}/no-such-feed.xml`], env)).status).toBe(0);
      const child = spawn(process.execPath, ["--import", "tsx", join(root, "src/entry/cli/main.ts"), "serve", "--poll", "--port", "0"], {
        cwd: root,
        env: { ...process.env, ...env },
      });
      let out = "";
      child.stderr.on("data", (d) => (out += d));
      const polled = new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no poll line in time:\n${out}`)), 30_000);
        child.stdout.on("data", (d) => {
          out += d;
          const url = /at (http:\/\/[^\s"]+)/.exec(out)?.[1];
          if (url && /poll: 1 of 2 feeds read, 1 with news; 1 failed/.test(out)) {
            clearTimeout(timer);
            resolve(url);
          }
        });
      });
      const url = await polled;
      const feed = (await (await fetch(`${url}/feeds/berlin.json`)).json()) as { items: { title: string }[] };
      expect(feed.items.map((i) => i.title)).toEqual(["Erster Beitrag"]);
      // pruning is scheduled beside polling, and stopping the server cancels it
      expect(out).toContain("pruning items last seen over 90 days ago every 24 h");
      const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      await scratch.dispose();
    }
  });
});
