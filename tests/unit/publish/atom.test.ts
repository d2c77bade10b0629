/**
 * renderAtom alone: a channel of two items rendered as Atom, checked against
 * the RELAX NG schema of RFC 4287 and parsed back with fast-xml-parser: the
 * feed's and entries' ids, dates in RFC 3339 (UTC, whole seconds), the self,
 * alternate and paging links, text that needs escaping, content in CDATA,
 * and what an entry without date, author, summary or content is given.
 */
import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { renderAtom } from "../../../src/publish/atom";
import type { FeedChannel } from "../../../src/publish/feed-model";
import type { FeedItem } from "../../../src/storage/queries";
import { expectValidAtom, RFC3339 } from "../../support/feeds";

const BASE = "https://feeds.example.org";

/** An article with everything: markup and ampersands in its text, a date with milliseconds, a file and a thumbnail. */
const article: FeedItem = {
  id: "0dc597be399d55621b0d4b1902b0f795",
  guid: "urn:feedwerk:item:0dc597be399d55621b0d4b1902b0f795",
  kind: "article",
  title: 'Tom & Jerry: <b>"Frieden"</b> in Sicht',
  kicker: null,
  publishedAt: new Date("2025-08-10T10:47:00.123Z"),
  precision: "absolute",
  agency: "dpa & AFP",
  dateline: null,
  tags: [],
  commentCount: null,
  image: null,
  media: {
    enclosures: [{ url: "https://cdn.example/a.mp3?x=1&y=2", type: "audio/mpeg", length: 1234, durationSeconds: 60, title: "Folge 1" }],
    thumbnail: { url: "https://cdn.example/a.jpg", width: 640, height: null },
  },
  summary: "Wenn a < b & c > d",
  contentHtml: "<p>Text mit ]]> mittendrin</p>",
  url: "https://news.example/artikel?id=1&src=rss",
  firstSeenAt: new Date("2025-08-10T10:50:00Z"),
  updatedAt: new Date("2025-08-10T12:00:00.999Z"),
  feedAt: new Date("2025-08-10T10:47:00Z"),
  memberOf: [{ slug: "ukraine", label: "Ukraine & Krieg" }],
};

/** An untimed teaser that brought a headline alone: no date, agency, summary, content, address or file. */
const teaser: FeedItem = {
  ...article,
  id: "9a0364b9e99bb480dd25e1f0284c8555",
  guid: "urn:feedwerk:item:9a0364b9e99bb480dd25e1f0284c8555",
  kind: "teaser",
  title: "Nur\u0001 eine Schlagzeile",
  publishedAt: null,
  precision: "none",
  agency: null,
  media: null,
  summary: "  ",
  contentHtml: null,
  url: null,
  updatedAt: new Date("2025-08-09T08:00:00Z"),
  memberOf: [],
};

const channel: FeedChannel = {
  key: "ukraine",
  label: "Ukraine & Krieg",
  base: BASE,
  homeUrl: `${BASE}/feeds/ukraine`,
  selfUrl: `${BASE}/feeds/ukraine.atom?limit=2`,
  paging: { first: `${BASE}/feeds/ukraine.atom?limit=2`, next: `${BASE}/feeds/ukraine.atom?limit=2&before=1.a`, previous: undefined },
  hub: "https://hub.example/",
  items: [article, teaser],
};

const LISTS = new Set(["entry", "link", "category", "author"]);
const parse = (xml: string) =>
  new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "@",
    parseTagValue: false,
    parseAttributeValue: false,
    isArray: (name) => LISTS.has(name),
  }).parse(xml) as { feed: any };
const text = (el: any) => (typeof el === "object" ? el["#text"] : el);
const links = (el: any) => Object.fromEntries((el.link as any[]).map((l) => [l["@rel"], l["@href"]]));

describe("renderAtom", () => {
  const xml = renderAtom(channel);
  const { feed } = parse(xml);
  const [first, second] = feed.entry as any[];

  it("writes a feed the Atom schema accepts", async () => {
    expect(xml.startsWith('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"')).toBe(true);
    await expectValidAtom(xml);
  });

  it("names the feed by its key, with its label escaped in the title, and dates it by its newest entry in whole seconds", () => {
    expect(feed.id).toBe("urn:feedwerk:feed:ukraine");
    expect(feed.title).toBe("feedwerk · Ukraine & Krieg");
    expect(feed.subtitle).toBe("Meldungen zum Thema Ukraine & Krieg");
    expect(feed.updated).toBe("2025-08-10T12:00:00Z");
    expect(feed.author.map((a: any) => a.name)).toEqual(["feedwerk"]);
    expect(xml).toContain("<title>feedwerk · Ukraine &amp; Krieg</title>");
  });

  it("describes the feed of every story as no topic", () => {
    const all = parse(renderAtom({ ...channel, key: "all", label: "Alle Meldungen" })).feed;
    expect([all.title, all.subtitle]).toEqual(["feedwerk · Alle Meldungen", "Alle Meldungen, die neuesten zuerst"]);
  });

  it("links itself, its page, its paging and its hub, and leaves out the paging it has not", () => {
    expect(links(feed)).toEqual({
      self: `${BASE}/feeds/ukraine.atom?limit=2`,
      alternate: `${BASE}/feeds/ukraine`,
      first: `${BASE}/feeds/ukraine.atom?limit=2`,
      next: `${BASE}/feeds/ukraine.atom?limit=2&before=1.a`,
      hub: "https://hub.example/",
    });
    expect(feed.link.find((l: any) => l["@rel"] === "self")["@type"]).toBe("application/atom+xml");
    expect(xml).toContain('href="https://feeds.example.org/feeds/ukraine.atom?limit=2&amp;before=1.a"');
  });

  it("writes the entries in the channel's order, each with its guid as id and RFC 3339 dates", () => {
    expect((feed.entry as any[]).map((e) => e.id)).toEqual([article.guid, teaser.guid]);
    expect([first.published, first.updated]).toEqual(["2025-08-10T10:47:00Z", "2025-08-10T12:00:00Z"]);
    for (const date of [feed.updated, first.published, first.updated, second.updated]) expect(date).toMatch(RFC3339);
  });

  it("escapes the text it writes and gives it back unchanged", () => {
    expect(first.title).toBe(article.title);
    expect(xml).toContain("<title>Tom &amp; Jerry: &lt;b&gt;&quot;Frieden&quot;&lt;/b&gt; in Sicht</title>");
    expect(first.summary).toBe("Wenn a < b & c > d");
    expect(first.author.map((a: any) => a.name)).toEqual(["dpa & AFP"]);
    expect(links(first).alternate).toBe("https://news.example/artikel?id=1&src=rss");
    expect(first.category).toEqual([{ "@term": "ukraine", "@label": "Ukraine & Krieg", "@scheme": `${BASE}/feeds/` }]);
  });

  it("keeps HTML content in CDATA, split where it holds ]]>", () => {
    expect(first.content["@type"]).toBe("html");
    expect(text(first.content)).toBe("<p>Text mit ]]> mittendrin</p>");
    expect(xml).toContain("<![CDATA[<p>Text mit ]]]]><![CDATA[> mittendrin</p>]]>");
  });

  it("writes a file as a link rel=enclosure and the thumbnail as media:thumbnail", () => {
    const enclosure = (first.link as any[]).find((l) => l["@rel"] === "enclosure");
    expect(enclosure).toEqual({
      "@rel": "enclosure",
      "@href": "https://cdn.example/a.mp3?x=1&y=2",
      "@type": "audio/mpeg",
      "@length": "1234",
      "@title": "Folge 1",
    });
    expect(first["media:thumbnail"]).toEqual({ "@url": "https://cdn.example/a.jpg", "@width": "640" });
    expect(xml).toContain('xmlns:media="http://search.yahoo.com/mrss/"');
  });

  it("gives an entry without date, agency, summary or address no published, author or summary, its item page and an empty paragraph", () => {
    expect(second.title).toBe("Nur eine Schlagzeile");
    expect(second.updated).toBe("2025-08-09T08:00:00Z");
    expect(second).not.toHaveProperty("published");
    expect(second).not.toHaveProperty("author");
    expect(second).not.toHaveProperty("summary");
    expect(second).not.toHaveProperty("category");
    expect(links(second)).toEqual({ alternate: `${BASE}/items/${teaser.id}` });
    expect(text(second.content)).toBe("<p></p>");
  });

  it("dates a feed without entries by when its tags changed, and declares no media namespace", async () => {
    const empty = renderAtom({ ...channel, items: [], paging: {}, hub: undefined, changedAt: new Date("2025-12-01T09:30:15.500Z") });
    await expectValidAtom(empty);
    const parsed = parse(empty).feed;
    expect(parsed.updated).toBe("2025-12-01T09:30:15Z");
    expect(parsed).not.toHaveProperty("entry");
    expect(Object.keys(links(parsed))).toEqual(["self", "alternate"]);
    expect(empty).not.toContain("xmlns:media");
  });
});
