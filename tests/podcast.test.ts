/**
 * Podcasts end to end, on both backends: the podcast and Media RSS fixtures
 * polled from a local server, stored, and served by the app as RSS, Atom and
 * JSON Feed, each valid and carrying every enclosure, duration and thumbnail.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Hono } from "hono";
import type { Media } from "../src/normalise/item";
import { createApp } from "../src/publish/app";
import { VersionBook } from "../src/publish/version-book";
import { forEachDatabase } from "./support/databases";
import { expectValidAtom, expectValidJsonFeed, expectValidRss, rssParser, xmlTree } from "./support/feeds";
import { expectedMedia, pollPodcasts, serveFeeds, type FeedServer } from "./support/podcasts";

const BASE = "https://feeds.example.org";
const OCTET = "application/octet-stream";
/** The file RSS's single enclosure must name: the first audio or video, else the first. */
const mainOf = (media: Media) => media.enclosures.find((e) => /^(audio|video)\//.test(e.type ?? "")) ?? media.enclosures[0];
const textOf = (el: unknown) => (typeof el === "object" && el !== null ? String((el as { "#text": unknown })["#text"]) : String(el));

let server: FeedServer;
beforeAll(async () => {
  server = await serveFeeds();
});
afterAll(() => server?.close());

forEachDatabase("podcasts", (db) => {
  let app: Hono;
  let expected: Map<string, Media>;
  const get = async (path: string) => {
    const res = await app.fetch(new Request(`${BASE}${path}`));
    expect(res.status, path).toBe(200);
    return res.text();
  };

  beforeAll(async () => {
    const results = await pollPodcasts(db.db, server);
    expect(results.map((r) => [r.source.url, r.outcome, r.error, r.report?.new]).sort()).toEqual(
      [
        ["mediarss.xml", 3],
        ["podcast-atom.xml", 2],
        ["podcast-jsonfeed.json", 2],
        ["podcast.xml", 4],
      ].map(([f, n]) => [`${server.url}/${f}`, "stored", undefined, n]),
    );
    expected = expectedMedia(server.url);
    expect(expected.size).toBe(8);
    app = createApp({ db: db.db, publicUrl: BASE, versions: new VersionBook(db.db, { maxAgeMs: 0 }) });
  });

  it("serves RSS with one playable enclosure per episode, its duration and the other files as media:content, and nothing of iTunes", async () => {
    const xml = await get("/feeds/podcast.xml");
    await expectValidRss(xml);
    const rss = (xmlTree(xml) as any).rss[0];
    // one iTunes element would put the tag's feed under Apple's channel rules, which it has nothing true to answer
    expect(rss["@xmlns:itunes"]).toBeUndefined();
    expect(xml).not.toContain("itunes");
    expect(rss["@xmlns:media"]).toBe("http://search.yahoo.com/mrss/");
    const items: any[] = rss.channel[0].item;
    expect(items).toHaveLength(11);
    for (const item of items) {
      const title = textOf(item.title[0]);
      const want = expected.get(title);
      if (!want) {
        expect(item.enclosure, title).toBeUndefined();
        continue;
      }
      const main = mainOf(want);
      expect(item.enclosure?.map((e: any) => [e["@url"], e["@length"], e["@type"]]) ?? [], title).toEqual(
        main ? [[main.url, String(main.length ?? 0), main.type ?? OCTET]] : [],
      );
      // the enclosure's file again as media:content where it has a duration to say, then the others
      const others = want.enclosures.filter((e) => e !== main || e.durationSeconds != null);
      expect(
        (item["media:content"] ?? []).map((c: any) => [c["@url"], c["@type"], c["@fileSize"], c["@duration"]]),
        title,
      ).toEqual(others.map((e) => [e.url, e.type ?? undefined, e.length?.toString(), e.durationSeconds?.toString()]));
      const thumbnail = want.thumbnail;
      expect(
        (item["media:thumbnail"] ?? []).map((t: any) => [t["@url"], t["@width"], t["@height"]]),
        title,
      ).toEqual(thumbnail ? [[thumbnail.url, thumbnail.width?.toString(), thumbnail.height?.toString()]] : []);
    }
    // rss-parser, as readers use it, finds the enclosure too
    const parsed = await rssParser.parseString(xml);
    const hafen = parsed.items.find((i) => i.title === "Hafenklang");
    expect(hafen?.enclosure).toEqual({ url: "https://hoeren.example.org/atom/dateien/hafenklang.ogg", length: "2300000", type: "audio/ogg" });
  });

  it('serves Atom with a rel="enclosure" link per file, length left out where unknown', async () => {
    const xml = await get("/feeds/podcast.atom");
    await expectValidAtom(xml);
    const entries: any[] = (xmlTree(xml) as any).feed[0].entry;
    expect(entries).toHaveLength(11);
    for (const entry of entries) {
      const title = textOf(entry.title[0]);
      const want = expected.get(title);
      const links = (entry.link as any[]).filter((l) => l["@rel"] === "enclosure");
      expect(
        links.map((l) => [l["@href"], l["@type"], l["@length"], l["@title"]]),
        title,
      ).toEqual((want?.enclosures ?? []).map((e) => [e.url, e.type ?? OCTET, e.length?.toString(), e.title ?? undefined]));
      expect(
        (entry["media:thumbnail"] ?? []).map((t: any) => t["@url"]),
        title,
      ).toEqual(want?.thumbnail ? [want.thumbnail.url] : []);
    }
  });

  it("serves JSON Feed with every file as an attachment and the thumbnail as the image", async () => {
    const feed = JSON.parse(await get("/feeds/podcast.json")) as { items: Record<string, any>[] };
    expectValidJsonFeed(feed);
    expect(feed.items).toHaveLength(11);
    for (const item of feed.items) {
      const want = expected.get(item.title);
      expect(item.attachments, item.title).toEqual(
        want?.enclosures.length
          ? want.enclosures.map((e) => ({
              url: e.url,
              mime_type: e.type ?? OCTET,
              ...(e.title ? { title: e.title } : {}),
              ...(e.length !== null ? { size_in_bytes: e.length } : {}),
              ...(e.durationSeconds !== null ? { duration_in_seconds: e.durationSeconds } : {}),
            }))
          : undefined,
      );
      expect(item.image, item.title).toBe(want?.thumbnail?.url);
    }
  });

  it("declares the Media RSS namespace only in feeds that use it, and the iTunes namespace in none", async () => {
    const namespaces = async (q: string) => {
      const xml = await get(`/feeds/podcast.xml?q=${q}`);
      await expectValidRss(xml);
      const rss = (xmlTree(xml) as any).rss[0];
      return [rss.channel[0].item.map((i: any) => textOf(i.title[0])), rss["@xmlns:itunes"], rss["@xmlns:media"]];
    };
    expect(await namespaces("Watt")).toEqual([["Bild vom Watt"], undefined, "http://search.yahoo.com/mrss/"]);
    expect(await namespaces("Stille")).toEqual([["Stille"], undefined, undefined]);
    // an episode with a duration: its file as media:content too, which says it
    expect(await namespaces("Relativ")).toEqual([["Folge 2: Relativ gesehen"], undefined, "http://search.yahoo.com/mrss/"]);
  });

  it("escapes what a feed put into an enclosure's URL and title", async () => {
    const atom = await get("/feeds/podcast.atom");
    expect(atom).toContain('title="Gespräch &lt;2&gt; &amp; mehr"');
    expect(await get("/feeds/podcast.xml")).toContain('url="https://cdn.example.com/morgen/folge-3.mp3?x=1&amp;y=2"');
  });

  it("takes a changed enclosure as an update of the episode, and the same enclosure as no change", async () => {
    const episode = (
      length: number,
      channel = "Wechsel",
    ) => `<?xml version="1.0"?><rss version="2.0"><channel><title>${channel}</title><link>https://wechsel.example/</link><description>x</description>
<item><title>Wechselnde Datei</title><link>https://wechsel.example/1</link><guid>https://wechsel.example/1</guid><enclosure url="https://wechsel.example/1.mp3" length="${length}" type="audio/mpeg"/></item></channel></rss>`;
    server.serve("wechsel.xml", episode(100));
    const outcome = async (at: string) => {
      const results = await pollPodcasts(db.db, server, ["wechsel.xml"], new Date(at));
      // the fixtures, served again byte for byte, change nothing
      expect(results.filter((r) => !r.source.url!.endsWith("/wechsel.xml")).map((r) => r.outcome)).toEqual(Array(4).fill("not modified"));
      return results.find((r) => r.source.url === `${server.url}/wechsel.xml`)!.report;
    };
    expect(await outcome("2025-12-10T13:00:00Z")).toMatchObject({ new: 1 });
    server.serve("wechsel.xml", episode(200));
    expect(await outcome("2025-12-10T14:00:00Z")).toMatchObject({ new: 0, updated: 1 });
    // other bytes, the same episode: the stored media read back compare equal
    server.serve("wechsel.xml", episode(200, "Wechsel (neu)"));
    expect(await outcome("2025-12-10T15:00:00Z")).toMatchObject({ new: 0, updated: 0, unchanged: 1 });
    const feed = JSON.parse(await get("/feeds/podcast.json")) as { items: Record<string, any>[] };
    expect(feed.items.find((i) => i.title === "Wechselnde Datei")?.attachments).toEqual([
      { url: "https://wechsel.example/1.mp3", mime_type: "audio/mpeg", size_in_bytes: 200 },
    ]);
  });
});
