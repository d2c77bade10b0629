/**
 * Pages that list a site's stories, read into teasers: tests/teasers/NAME
 * with NAME.expected.json (the page's address, the fetch time, the
 * selectors a person gave, and each teaser's title, link, text, time,
 * image and tags, in the page's order), or the error a page that lists
 * nothing gives. Sections with repeated blocks, a JSON-LD ItemList, a
 * table read by selectors (windows-1252), an English blog, a news sitemap.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readFetchedFeed } from "../src/input/feed/reader";
import { readListPage } from "../src/input/list-page";
import type { TeaserSelectors } from "../src/normalise/teaser-selectors";

const dir = join(import.meta.dirname, "teasers");

interface Expected {
  page: string;
  url: string;
  fetchedAt: string;
  select?: TeaserSelectors;
  error?: string;
  items?: { title: string; url: string; summary: string; publishedAt: string | null; precision: string; image: string | null; tags?: string[] }[];
}

for (const file of readdirSync(dir).filter((f) => f.endsWith(".expected.json"))) {
  const want = JSON.parse(readFileSync(join(dir, file), "utf8")) as Expected;
  describe(`list page ${want.page}`, () => {
    const read = () => readListPage(new Uint8Array(readFileSync(join(dir, want.page))), null, want.url, new Date(want.fetchedAt), want.select);
    if (want.error) {
      it("lists nothing", () => expect(read).toThrow(want.error));
      return;
    }
    it("gives its teasers, each a story of the site", () => {
      const items = read().items;
      expect(
        items.map((i) => ({
          title: i.title,
          url: i.url,
          summary: i.summary,
          publishedAt: i.publishedAt?.toISOString() ?? null,
          precision: i.precision,
          image: i.media?.thumbnail?.url ?? null,
          ...(i.tags.length ? { tags: i.tags.map((t) => t.label) } : {}),
        })),
      ).toEqual(want.items);
      for (const item of items) {
        expect(item.kind).toBe("teaser");
        expect(item.contentHtml).toBeNull();
      }
    });
  });
}

describe("a sitemap followed as a feed", () => {
  it("is read as a page, which says what kind of sitemap it is, not that it is no feed", async () => {
    const bytes = new Uint8Array(readFileSync(join(dir, "sitemap-index.xml")));
    const fetched = { bytes, contentType: "application/xml", namespace: "zeitung", url: "https://www.zeitung.example/sitemap.xml", fetchedAt: new Date() };
    await expect(readFetchedFeed(fetched)).rejects.toThrow(/^a sitemap index, not a news sitemap: follow the news sitemap it lists \(https:/);
  });

  it("is told by its root element: a feed whose text shows a sitemap's tags is still a feed", async () => {
    const rss = `<?xml version="1.0"?><rss version="2.0"><channel><title>SEO</title><link>https://seo.example/</link><description>d</description>
      <item><title><![CDATA[Was <urlset> und <sitemapindex> tun]]></title><link>https://seo.example/a</link><guid>a</guid></item></channel></rss>`;
    const fetched = {
      bytes: new TextEncoder().encode(rss),
      contentType: "application/rss+xml",
      namespace: "seo",
      url: "https://seo.example/feed",
      fetchedAt: new Date(),
    };
    const read = await readFetchedFeed(fetched);
    expect([read.readAs, read.entries?.items.length]).toEqual(["feed", 1]);
  });

  it("names no sitemap as the news one where every address says news (a news site's host)", () => {
    const index = `<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>https://www.news.example/sitemap-2026-12.xml</loc></sitemap><sitemap><loc>https://www.news.example/newsletter.xml</loc></sitemap></sitemapindex>`;
    expect(() => readListPage(new TextEncoder().encode(index), null, "https://www.news.example/sitemap.xml", new Date())).toThrow(
      "none of the 2 sitemaps it lists is named as one (the first: https://www.news.example/sitemap-2026-12.xml)",
    );
  });
});

describe("selectors a person gives", () => {
  const page = new TextEncoder().encode("<!DOCTYPE html><html><body><ul><li><a href='/a/1'>Eins</a></li></ul></body></html>");
  it("name the key of one that is no CSS selector", () => {
    expect(() => readListPage(page, null, "https://x.example/", new Date(), { item: "li", title: "a[" })).toThrow(/^select\.title: "a\[" is no CSS selector/);
  });
  it("that find nothing say so, naming the item selector", () => {
    expect(() => readListPage(page, null, "https://x.example/", new Date(), { item: ".teaser" })).toThrow(
      'no teasers found: the selector ".teaser" finds no teaser',
    );
  });
  it("find a single teaser too", () => {
    expect(readListPage(page, null, "https://x.example/", new Date(), { item: "li" }).items.map((i) => [i.title, i.url])).toEqual([
      ["Eins", "https://x.example/a/1"],
    ]);
  });
});
