/**
 * The HTTP contract of the publisher, run against any listening server
 * that serves a database holding the contract's data: the Node server on
 * PGlite and PostgreSQL (tests/http.test.ts) and the Worker in workerd
 * (tests/edge.test.ts). Every feed is read back by real parsers.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guidFor, storyKey } from "../../src/normalise/identity";
import type { Item } from "../../src/normalise/item";
import { ingestPage } from "../../src/pipeline/ingest-page";
import type { Database } from "../../src/storage/database";
import { findItem, listTags } from "../../src/storage/queries";
import { indexQueued } from "../../src/storage/search-index";
import { storeDocument } from "../../src/storage/store-document";
import {
  RFC3339,
  RFC822,
  decodeHtmlText,
  expectValidAtom,
  expectValidJsonFeed,
  expectValidRss,
  rssParser,
  walkFeedPages,
  walkJsonFeedPages,
  xmlTree,
} from "./feeds";

/** A stored item, with what feeds sort it by. */
const itemRow = (db: Database, id: string) => findItem(db, id, { dropped: true });

const pages = join(import.meta.dirname, "..", "pages");
const seedBytes = new Uint8Array(readFileSync(join(pages, "seed-alaska.txt")));
const winterBytes = new Uint8Array(readFileSync(join(pages, "winter-no-image.txt")));
export const FETCHED_AT = new Date("2025-12-09T13:00:00Z");
const ARTICLE = "Ukraine-Verhandlungen in Alaska? Trump will Putin empfangen";
const TEASER = "Ukraine soll Korruptionskontrollen ausgehöhlt haben";
const HEADINGS = [
  "Worum geht es?",
  "Wo bleibt bei dem Treffen Selenskyj?",
  "Was kann bei dem Gipfel ohne Kiew überhaupt geklärt werden?",
  "Die Ukraine und Europa werfen Putin vor, kein Interesse an einem Frieden zu haben - ist das so?",
  "Wann war Putin zuletzt in den USA - und wie gut kennt er Trump?",
  "Wollte Trump nicht eigentlich den Druck auf Putin erhöhen?",
  "Warum überhaupt Alaska?",
];
const ARTICLE_TAGS = ["Konflikte", "Krieg", "Regierung", "Gipfel", "Diplomatie", "USA", "Russland", "Ukraine", "Fragen & Antworten"];

/** rss-parser gives a category with a domain as {_: label, $: {domain}}. */
const labels = (categories: unknown[]) => categories.map((c) => (typeof c === "string" ? c : (c as { _: string })._));

/** Every security header any answer carries (see src/publish/security-headers.ts). */
const SECURITY_HEADER_NAMES = [
  "access-control-allow-origin",
  "access-control-expose-headers",
  "content-security-policy",
  "cross-origin-opener-policy",
  "cross-origin-resource-policy",
  "origin-agent-cluster",
  "referrer-policy",
  "strict-transport-security",
  "x-content-type-options",
  "x-dns-prefetch-control",
  "x-download-options",
  "x-frame-options",
  "x-permitted-cross-domain-policies",
  "x-xss-protection",
];

export const HOSTILE: Item = {
  id: storyKey("hostile"),
  guid: guidFor(storyKey("hostile")),
  kind: "teaser",
  title: `<script>alert("x")</script> & AT&amp;T ]]> and ]]> again \u0001`,
  kicker: null,
  publishedAt: new Date("2025-12-09T12:00:00Z"),
  precision: "hour",
  agency: "A&B <Agentur>",
  dateline: null,
  tags: [{ slug: "a-b-x-y", label: `A&B <x> "y"` }],
  commentCount: 0,
  image: null,
  media: null,
  summary: `<img src=x onerror=alert(1)> ]]> & &amp; "quoted"`,
  contentHtml: null,
  url: null,
};

/** The contract's data: the seed page, a winter page (enough items to page through), one hostile item. */
export async function loadContractData(db: Database): Promise<void> {
  await ingestPage(db, { name: "seed", bytes: seedBytes, fetchedAt: FETCHED_AT });
  await ingestPage(db, { name: "winter", bytes: winterBytes, fetchedAt: new Date("2026-01-15T09:00:00Z") });
  await storeDocument(db, {
    source: { kind: "page", name: "portal" },
    name: "hostile",
    sha256: "hostile",
    fetchedAt: FETCHED_AT,
    items: [HOSTILE],
  });
  // indexed for search, as a running server indexes what is stored
  await indexQueued(db);
}

export interface ContractServer {
  /** Where the server listens; feeds carry it as their base URL. */
  url: string;
  /** The database it serves, already migrated and empty. */
  db: Database;
  close(): Promise<void>;
}

export function describeHttpContract(title: string, start: () => Promise<ContractServer>, options: { skip?: boolean } = {}): void {
  describe.skipIf(options.skip ?? false)(title, () => {
    let server: ContractServer;
    const get = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init);

    beforeAll(async () => {
      server = await start();
      await loadContractData(server.db);
    });
    afterAll(async () => {
      await server?.close();
    });

    it("serves RSS 2.0 for tag ukraine with the article and the Ukraine teaser", async () => {
      const res = await get("/feeds/ukraine.xml");
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/rss+xml; charset=utf-8");
      const xml = await res.text();
      await expectValidRss(xml);
      const feed = await rssParser.parseString(xml);
      expect(feed.feedUrl).toBe(`${server.url}/feeds/ukraine.xml`);
      expect(feed.language).toBe("de");
      expect(feed.lastBuildDate).toMatch(RFC822);
      expect(feed.items.map((i) => i.title)).toEqual([TEASER, ARTICLE]); // newest first

      const [teaser, article] = feed.items as Record<string, any>[];
      expect(article!.guid).toBe(guidFor(storyKey(ARTICLE)));
      expect(article!.pubDate).toMatch(RFC822);
      expect(article!.isoDate).toBe("2025-08-10T10:47:00.000Z");
      expect(article!.creator).toBe("dpa");
      expect(labels(article!.categories)).toEqual(ARTICLE_TAGS);
      expect(article!.categories[8].$.domain).toBe(`${server.url}/feeds/fragen-antworten`);
      expect(article!.content).toContain("Es soll ein historisches Treffen werden");
      for (const h of HEADINGS) expect(article!["content:encoded"]).toContain(`<h2>${h}</h2>`);
      expect(article!["content:encoded"]).toContain("Foto: Pavel Bednyakov/AP/AP/dpa");

      // untimed: it claims no time of publication, and sorts after the timed teasers of its page (the oldest, 22:00 the day before)
      expect(teaser!.pubDate).toBeUndefined();
      expect((await itemRow(server.db, storyKey(TEASER)))?.feedAt.toISOString()).toBe("2025-12-08T22:00:00.000Z");
      expect(teaser!.creator).toBeUndefined();
      expect(labels(teaser!.categories)).toEqual(expect.arrayContaining(["Ukraine", "Regierung"]));

      const tree = xmlTree(xml) as any;
      const guid = tree.rss[0].channel[0].item[1].guid[0];
      expect(guid["@isPermaLink"]).toBe("false");
      for (const item of feed.items) {
        const link = new URL(item.link!);
        expect(link.origin).toBe(server.url);
        const page = await fetch(link);
        expect(page.status).toBe(200);
        expect(await page.text()).toContain(item.title!.replace(/"/g, "&quot;"));
      }
    });

    it("serves the same items as Atom 1.0", async () => {
      const res = await get("/feeds/ukraine.atom");
      expect(res.headers.get("content-type")).toBe("application/atom+xml; charset=utf-8");
      const xml = await res.text();
      await expectValidAtom(xml);
      const tree = xmlTree(xml) as any;
      const feedEl = tree.feed[0];
      expect(feedEl["@xmlns"]).toBe("http://www.w3.org/2005/Atom");
      expect(feedEl.id[0]).toBe("urn:feedwerk:feed:ukraine");
      expect(feedEl.updated[0]).toMatch(RFC3339);
      expect(feedEl.author[0].name[0]).toBe("feedwerk");
      const self = feedEl.link.find((l: any) => l["@rel"] === "self");
      expect(self["@href"]).toBe(`${server.url}/feeds/ukraine.atom`);
      expect(feedEl.entry).toHaveLength(2);
      for (const entry of feedEl.entry) {
        expect(entry.updated[0]).toMatch(RFC3339);
        expect(new URL(entry.link[0]["@href"]).origin).toBe(server.url);
      }
      // the untimed teaser has no published, only the time it was first seen as its updated
      expect(feedEl.entry[0].published).toBeUndefined();
      expect(feedEl.entry[0].updated[0]).toBe("2025-12-09T13:00:00Z");
      const article = feedEl.entry[1];
      expect(article.id[0]).toBe(guidFor(storyKey(ARTICLE)));
      expect(article.published[0]).toBe("2025-08-10T10:47:00Z");
      expect(article.author[0].name[0]).toBe("dpa");
      expect(article.category.map((c: any) => c["@label"])).toEqual(ARTICLE_TAGS);
      expect(article.category.map((c: any) => c["@term"])).toContain("fragen-antworten");

      const feed = await rssParser.parseString(xml);
      expect(feed.items.map((i) => i.title)).toEqual([TEASER, ARTICLE]);
      expect(feed.items[1]!.pubDate).toBe("2025-08-10T10:47:00.000Z");
      for (const h of HEADINGS) expect(feed.items[1]!.content).toContain(`<h2>${h}</h2>`);
    });

    it("serves the same items as JSON Feed 1.1", async () => {
      const res = await get("/feeds/ukraine.json");
      expect(res.headers.get("content-type")).toBe("application/feed+json; charset=utf-8");
      const feed = (await res.json()) as any;
      expectValidJsonFeed(feed);
      expect(feed.feed_url).toBe(`${server.url}/feeds/ukraine.json`);
      expect(feed.items.map((i: any) => i.title)).toEqual([TEASER, ARTICLE]);
      const article = feed.items[1];
      expect(article.id).toBe(guidFor(storyKey(ARTICLE)));
      expect(article.date_published).toBe("2025-08-10T10:47:00Z");
      expect(article.authors).toEqual([{ name: "dpa" }]);
      expect(article.tags).toEqual(ARTICLE_TAGS);
      expect(article._feedwerk).toMatchObject({ dateline: "Washington/Moskau/Kiew", comment_count: 6, kicker: "Russisch-amerikanischer Gipfel" });
      expect(article._feedwerk.image.credit).toBe("Pavel Bednyakov/AP/AP/dpa");
    });

    it("serves every tag in three valid formats that read back alike, field by field", async () => {
      const tags = await listTags(server.db);
      expect(tags.length).toBeGreaterThanOrEqual(10);
      for (const tag of tags) {
        const rssXml = await (await get(`/feeds/${tag.slug}.xml`)).text();
        await expectValidRss(rssXml);
        const atomXml = await (await get(`/feeds/${tag.slug}.atom`)).text();
        await expectValidAtom(atomXml);
        const json = (await (await get(`/feeds/${tag.slug}.json`)).json()) as any;
        expectValidJsonFeed(json);

        const rss = (await rssParser.parseString(rssXml)).items as Record<string, any>[];
        const atom = (await rssParser.parseString(atomXml)).items as Record<string, any>[];
        const atomTree = (xmlTree(atomXml) as any).feed[0].entry ?? [];
        expect(rss).toHaveLength(tag.items);
        expect(atom).toHaveLength(tag.items);
        expect(json.items).toHaveLength(tag.items);
        json.items.forEach((j: any, i: number) => {
          const r = rss[i]!;
          const a = atom[i]!;
          const t = atomTree[i];
          expect([r.title, a.title]).toEqual([j.title, j.title]);
          expect([r.link, a.link]).toEqual([j.url, j.url]);
          expect([r.guid, a.id]).toEqual([j.id, j.id]);
          if (j.date_published) {
            expect(new Date(r.isoDate).getTime()).toBe(Date.parse(j.date_published));
            expect(new Date(a.pubDate).getTime()).toBe(Date.parse(j.date_published));
          } else {
            // an undated story claims no time in any format
            expect([r.pubDate, t.published]).toEqual([undefined, undefined]);
          }
          expect(Date.parse(t.updated[0])).toBe(Date.parse(j.date_modified));
          expect([r.creator, a.author]).toEqual([j.authors?.[0]?.name, j.authors?.[0]?.name]);
          expect(labels(r.categories ?? [])).toEqual(j.tags);
          expect((t.category ?? []).map((c: any) => c["@label"])).toEqual(j.tags);
          expect(decodeHtmlText(r.content)).toBe(j.summary);
          expect(t.summary[0]).toBe(j.summary);
          expect(r["content:encoded"]).toBe(j.content_html);
          expect(a.content).toBe(j.content_html);
        });
      }
    });

    it("escapes hostile text in every format and page", async () => {
      const title = HOSTILE.title.replace("\u0001", "");
      const rss = await (await get("/feeds/a-b-x-y.xml")).text();
      await expectValidRss(rss);
      const fromRss = (await rssParser.parseString(rss)).items[0] as Record<string, any>;
      expect(fromRss.title).toBe(title);
      expect(fromRss.creator).toBe(HOSTILE.agency);
      expect(labels(fromRss.categories)).toEqual([HOSTILE.tags[0]!.label]);
      expect(decodeHtmlText(fromRss.content)).toBe(HOSTILE.summary);

      const atom = await (await get("/feeds/a-b-x-y.atom")).text();
      await expectValidAtom(atom);
      const entry = (xmlTree(atom) as any).feed[0].entry[0];
      expect(entry.category[0]["@label"]).toBe(HOSTILE.tags[0]!.label);
      expect(entry.author[0].name[0]).toBe(HOSTILE.agency);
      expect((await rssParser.parseString(atom)).items[0]!.title).toBe(title);
      expect(entry.summary[0]).toBe(HOSTILE.summary);

      const json = (await (await get("/feeds/a-b-x-y.json")).json()) as any;
      expect(json.items[0].title).toBe(title);
      expect(json.items[0].content_html).not.toContain("<img");

      const page = await (await get(`/items/${HOSTILE.id}`)).text();
      expect(page).not.toContain("<script>alert");
      expect(page).not.toContain("<img src=x");
      expect(page).toContain("&lt;script&gt;");
      // the tag's page, as a browser gets it at the feed URL, with hostile text in the search too
      const browser = { headers: { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" } };
      const search = encodeURIComponent(`"><script>alert(2)</script>`);
      for (const path of ["/feeds/a-b-x-y", "/feeds/a-b-x-y.xml", `/feeds/a-b-x-y.atom?q=${search}`]) {
        const tagPage = await (await get(path, browser)).text();
        expect(tagPage, path).not.toMatch(/<script|<img src=x|<x>/);
        expect(tagPage, path).toContain("A&amp;B &lt;x&gt; &quot;y&quot;");
      }
      expect(await (await get(`/feeds/a-b-x-y.atom?q=${search}`, browser)).text()).toContain("&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;");
    });

    it("answers 404 for unknown tags, formats and items and 400 for a bad limit", async () => {
      expect((await get("/feeds/gibt-es-nicht.xml")).status).toBe(404);
      expect((await get("/feeds/ukraine.html")).status).toBe(404);
      expect((await get("/items/not-an-id")).status).toBe(404);
      expect((await get(`/items/${"0".repeat(32)}`)).status).toBe(404);
      expect((await get("/nowhere")).status).toBe(404);
      expect((await get("/feeds/ukraine.xml?limit=abc")).status).toBe(400);
      expect((await get("/feeds/ukraine.xml?limit=0")).status).toBe(400);
      const one = (await (await get("/feeds/ukraine.json?limit=1")).json()) as any;
      expect(one.items.map((i: any) => i.title)).toEqual([TEASER]);
      expect(one.feed_url).toBe(`${server.url}/feeds/ukraine.json?limit=1`);
      const capped = (await (await get("/feeds/ukraine.json?limit=100000")).json()) as any;
      expect(capped.feed_url).toBe(`${server.url}/feeds/ukraine.json?limit=200`);
    });

    it("redirects tag slugs in other cases to the canonical lower-case URL, query and all", async () => {
      for (const [path, canonical] of [
        ["/feeds/UKRAINE.xml", "/feeds/ukraine.xml"],
        ["/feeds/Ukraine.atom?limit=1", "/feeds/ukraine.atom?limit=1"],
        ["/feeds/Krieg+ukraine.json", "/feeds/krieg+ukraine.json"],
        ["/feeds/Ukraine", "/feeds/ukraine"],
        ["/feeds/ALL.xml", "/feeds/all.xml"],
      ]) {
        const res = await get(path!, { redirect: "manual" });
        expect(res.status, path).toBe(301);
        expect(res.headers.get("location"), path).toBe(`${server.url}${canonical}`);
      }
      const followed = await get("/feeds/Ukraine.json");
      expect(followed.status).toBe(200);
      expect(((await followed.json()) as { items: unknown[] }).items).toHaveLength(2);
      expect((await get("/feeds/Gibt-Es-Nicht.xml")).status).toBe(404);
    });

    it("answers a union of more than 10 tags with a 400 that names the limit", async () => {
      const slugs = (await listTags(server.db)).map((t) => t.slug).slice(0, 11);
      expect(slugs).toHaveLength(11);
      expect((await get(`/feeds/${slugs.slice(0, 10).join("+")}.xml`)).status).toBe(200);
      const res = await get(`/feeds/${slugs.join("+")}.xml`);
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(/at most 10 tags/);
    });

    it("answers other methods on a feed URL with 405 and Allow, and OPTIONS with a CORS preflight", async () => {
      for (const path of [
        "/feeds/ukraine.xml",
        "/feeds/ukraine.json",
        "/feeds/ukraine",
        "/feeds/usa+russland.atom",
        "/feeds/gibt-es-nicht.xml",
        "/feeds.opml",
      ]) {
        for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
          const res = await get(path, { method, body: method === "DELETE" ? undefined : "x" });
          expect(res.status, `${method} ${path}`).toBe(405);
          expect(res.headers.get("allow"), `${method} ${path}`).toBe("GET, HEAD, OPTIONS");
          expect(await res.text(), `${method} ${path}`).toContain(`${method} is not allowed`);
        }
        // a browser's preflight before a GET with its own validators
        const preflight = await get(path, {
          method: "OPTIONS",
          headers: { origin: "https://reader.example", "access-control-request-method": "GET", "access-control-request-headers": "if-none-match" },
        });
        expect(preflight.status, path).toBe(204);
        expect(await preflight.text()).toBe("");
        expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
        expect(preflight.headers.get("access-control-allow-methods")).toBe("GET, HEAD");
        expect(
          preflight.headers
            .get("access-control-allow-headers")
            ?.split(/,\s*/)
            .map((h) => h.toLowerCase()),
        ).toEqual(["if-none-match", "if-modified-since"]);
        expect(Number(preflight.headers.get("access-control-max-age"))).toBeGreaterThanOrEqual(3600);
        expect(preflight.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
      }
      // the feed itself lets such a script read the ETag it revalidates with
      const feed = await get("/feeds/ukraine.json");
      expect(feed.headers.get("access-control-expose-headers")).toBe("ETag");
      // GET and HEAD are as they were; elsewhere other methods are still unknown routes
      expect((await get("/feeds/ukraine.xml", { method: "HEAD" })).status).toBe(200);
      expect((await get("/", { method: "POST", body: "x" })).status).toBe(404);
    });

    it("serves the OPML of every tag with the feeds' caching and security headers", async () => {
      const res = await get("/feeds.opml");
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/x-opml; charset=utf-8");
      const etag = res.headers.get("etag")!;
      expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
      expect(res.headers.get("last-modified")).toMatch(RFC822);
      const feed = await get("/feeds/ukraine.xml");
      expect(res.headers.get("cache-control")).toMatch(/^public, max-age=300\b/);
      for (const name of ["cache-control", "x-content-type-options", "content-security-policy", "referrer-policy"]) {
        expect(res.headers.get(name), name).toBe(feed.headers.get(name));
      }
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
      const body = await res.text();
      const outlines = (xmlTree(body) as any).opml[0].body[0].outline as any[];
      expect(outlines.map((o) => o["@xmlUrl"])).toContain(`${server.url}/feeds/ukraine.xml`);
      const current = await get("/feeds.opml", { headers: { "if-none-match": etag } });
      expect(current.status).toBe(304);
      expect(await current.text()).toBe("");
      expect((await get("/feeds.opml", { headers: { "if-modified-since": res.headers.get("last-modified")! } })).status).toBe(304);
      const head = await get("/feeds.opml", { method: "HEAD" });
      expect(head.status).toBe(200);
      expect(head.headers.get("etag")).toBe(etag);
    });

    it("serves an index of tags and a page per tag that link to the feeds", async () => {
      const index = await (await get("/")).text();
      expect(index).toContain(`href="${server.url}/feeds/ukraine.xml"`);
      expect(index).toContain("Fragen &amp; Antworten");
      const res = await get("/feeds/ukraine");
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      const page = await res.text();
      expect(page).toContain(`<link rel="alternate" type="application/atom+xml" title="Ukraine (Atom)" href="${server.url}/feeds/ukraine.atom">`);
      expect(page).toContain(TEASER);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    });

    it("answers 304 to a reader whose copy is current, and HEAD with headers only", async () => {
      for (const path of ["/feeds/ukraine.xml", "/feeds/ukraine.atom", "/feeds/all.json"]) {
        const res = await get(path);
        expect(res.status).toBe(200);
        const etag = res.headers.get("etag")!;
        const lastModified = res.headers.get("last-modified")!;
        expect(etag).toMatch(/^"[0-9a-f]{32}(-br|-gzip)?"$/);
        expect(res.headers.get("cache-control")).toContain("max-age=");
        const body = await res.text();

        const byTag = await get(path, { headers: { "if-none-match": etag } });
        expect(byTag.status).toBe(304);
        expect(byTag.headers.get("etag")).toBe(etag);
        expect(await byTag.text()).toBe("");
        const byDate = await get(path, { headers: { "if-modified-since": lastModified } });
        expect(byDate.status).toBe(304);
        const stale = await get(path, { headers: { "if-none-match": '"0123456789abcdef0123456789abcdef"' } });
        expect(stale.status).toBe(200);
        expect(await stale.text()).toBe(body);

        const head = await get(path, { method: "HEAD" });
        expect(head.status).toBe(200);
        expect(head.headers.get("etag")).toBe(etag);
        expect(await head.text()).toBe("");
      }
    });

    it("gives pages and every other answer the full set of security headers, feed documents theirs, asked for once or again", async () => {
      const PAGE = {
        // no scripts at all; forms submit to this origin only; nothing is framed but by this origin
        "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; base-uri 'none'",
        "cross-origin-opener-policy": "same-origin",
        "cross-origin-resource-policy": "cross-origin",
        "origin-agent-cluster": "?1",
        "referrer-policy": "no-referrer",
        "strict-transport-security": "max-age=15552000; includeSubDomains",
        "x-content-type-options": "nosniff",
        "x-dns-prefetch-control": "off",
        "x-download-options": "noopen",
        "x-frame-options": "SAMEORIGIN",
        "x-permitted-cross-domain-policies": "none",
        "x-xss-protection": "0",
      };
      // a feed is never sniffed, and if a browser renders it after all it runs nothing, loads nothing and is framed by no page;
      // any origin's scripts may read it (no cookies are involved)
      const FEED = {
        "content-security-policy": "default-src 'none'; frame-ancestors 'none'; sandbox",
        "x-content-type-options": "nosniff",
        "strict-transport-security": "max-age=15552000; includeSubDomains",
        "access-control-allow-origin": "*",
        "access-control-expose-headers": "ETag",
      };
      const names = [...new Set([...Object.keys(PAGE), ...Object.keys(FEED)])];
      expect(names.sort()).toEqual(SECURITY_HEADER_NAMES);
      const securityOf = (res: Response) => Object.fromEntries(names.flatMap((name) => (res.headers.has(name) ? [[name, res.headers.get(name)]] : [])));
      const BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
      const cases: [path: string, headers: Record<string, string>, status: number, expected: Record<string, string>][] = [
        ["/", {}, 200, PAGE],
        ["/feeds/ukraine", {}, 200, PAGE],
        ["/feeds/ukraine.xml", { accept: BROWSER }, 200, PAGE],
        ["/items/00000000000000000000000000000000", {}, 404, PAGE],
        ["/feeds/gibt-es-nicht.xml", {}, 404, PAGE],
        ["/feeds/ukraine.xml?limit=x", {}, 400, PAGE],
        ["/healthz", {}, 200, PAGE],
        ["/favicon.svg", {}, 200, PAGE],
        ["/feeds/ukraine.xml", {}, 200, FEED],
        ["/feeds/ukraine.atom", { "accept-encoding": "gzip" }, 200, FEED],
        ["/feeds/all.json", { "accept-encoding": "br, gzip" }, 200, FEED],
        ["/feeds/ukraine+usa.xml?limit=5", {}, 200, FEED],
        ["/feeds/ukraine", { accept: "application/feed+json" }, 200, FEED],
        ["/feeds.opml", {}, 200, FEED],
      ];
      for (const [path, headers, status, expected] of cases) {
        for (let i = 0; i < 3; i++) {
          const res = await get(path, { headers });
          const what = `${path} ${JSON.stringify(headers)} (${i + 1})`;
          expect(res.status, what).toBe(status);
          expect(securityOf(res), what).toEqual(expected);
          await res.arrayBuffer();
        }
      }
    });

    it("answers a 304 with the validators and caching fields alone, leaving the stored copy's headers as they are", async () => {
      for (const [path, headers] of [
        ["/feeds/ukraine.xml", {}],
        ["/feeds/ukraine.atom", { "accept-encoding": "gzip" }],
        ["/feeds/all.json", {}],
        ["/feeds/ukraine+usa.xml?limit=5", {}],
        ["/feeds.opml", {}],
      ] as [string, Record<string, string>][]) {
        const full = await get(path, { headers });
        await full.arrayBuffer();
        for (let i = 0; i < 3; i++) {
          const what = `${path} ${JSON.stringify(headers)} (${i + 1})`;
          const res = await get(path, { headers: { ...headers, "if-none-match": full.headers.get("etag")! } });
          expect(res.status, what).toBe(304);
          for (const name of ["etag", "cache-control", "last-modified", "vary"]) expect(res.headers.get(name), `${what} ${name}`).toBe(full.headers.get(name));
          // a web reader's own revalidation reads the 304 across origins
          expect(res.headers.get("access-control-allow-origin"), what).toBe("*");
          // a security header a 304 brings replaces the client's stored one (RFC 9111, 4.3.4): the server itself sends none
          // (see http.test.ts and feed-serving.test.ts), a shared cache in front (the Worker's) may repeat the stored answer's
          for (const name of SECURITY_HEADER_NAMES) {
            expect([null, full.headers.get(name)], `${what} ${name}`).toContain(res.headers.get(name));
          }
        }
      }
    });

    it("gives a browser navigating to a feed URL the feed's page, also once a reader has had the feed from there", async () => {
      const BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
      for (const path of ["/feeds/ukraine.xml", "/feeds/ukraine.json?limit=5"]) {
        // asked for twice, the feed is known to every cache in front of the route
        for (let i = 0; i < 2; i++) {
          const feed = await get(path);
          expect([feed.status, feed.headers.get("content-type")], path).toEqual([200, expect.stringMatching(/^application\/(rss|feed)\+/)]);
          await feed.arrayBuffer();
        }
        const etag = (await get(path)).headers.get("etag")!;
        for (const headers of [
          { accept: BROWSER },
          { accept: BROWSER, "accept-encoding": "gzip, deflate, br" },
          { accept: BROWSER, "if-none-match": etag },
        ] as Record<string, string>[]) {
          const what = `${path} ${JSON.stringify(headers)}`;
          const res = await get(path, { headers });
          expect([res.status, res.headers.get("content-type")], what).toEqual([200, "text/html; charset=UTF-8"]);
          expect(await res.text(), what).toContain('<textarea id="feed-url"');
        }
        expect((await get(path)).headers.get("content-type"), path).toMatch(/^application\/(rss|feed)\+/);
      }
    });

    it("pages through all items with RFC 5005 links, every item once and in order", async () => {
      const everything = ((await (await get("/feeds/all.json?limit=200")).json()) as { items: { id: string }[] }).items.map((i) => i.id);
      expect(everything.length).toBeGreaterThan(20);
      const sameOrigin = (url: string) => {
        expect(new URL(url).origin).toBe(server.url);
        return fetch(url);
      };
      expect(await walkJsonFeedPages(`${server.url}/feeds/all.json?limit=7`, sameOrigin, everything.length)).toEqual(everything);

      const links = (xml: string) => Object.fromEntries((xmlTree(xml) as any).feed[0].link.map((l: any) => [l["@rel"], l["@href"]]));
      const first = await (await get("/feeds/all.atom?limit=7")).text();
      await expectValidAtom(first);
      const second = await (await fetch(links(first).next)).text();
      const back = await (await fetch(links(second).previous)).text();
      const ids = (xml: string) => (xmlTree(xml) as any).feed[0].entry.map((e: any) => e.id[0]);
      expect(ids(back)).toEqual(ids(first));
      expect((await get("/feeds/all.xml?before=nonsense")).status).toBe(400);
    });

    it("walks every paging chain of every tag in three formats, both ways: no link past either end, no empty page, no 1970", async () => {
      const sameOrigin = (url: string) => {
        expect(new URL(url).origin).toBe(server.url);
        return fetch(url);
      };
      const keys = ["all", ...(await listTags(server.db)).map((t) => t.slug)];
      for (const key of keys) {
        const everything = ((await (await get(`/feeds/${key}.json?limit=200`)).json()) as { items: { id: string }[] }).items;
        const ids = everything.map((i) => i.id);
        // a position is the feed date in ms (an undated story's is where it was placed, not in the feed) and the item id (the guid's last part)
        const sortedAt = new Map<string, number>();
        for (const i of everything) sortedAt.set(i.id, (await itemRow(server.db, i.id.split(":").at(-1)!))!.feedAt.getTime());
        const position = (item: { id: string }) => `${sortedAt.get(item.id)}.${item.id.split(":").at(-1)}`;
        const limit = key === "all" ? 4 : 1;
        for (const [format, ext] of [
          ["rss", "xml"],
          ["atom", "atom"],
          ["json", "json"],
        ] as const) {
          const where = `${key}.${ext}`;
          const forward = await walkFeedPages(format, `${server.url}/feeds/${where}?limit=${limit}`, "next", sameOrigin, ids.length);
          expect(
            forward.flatMap((p) => p.ids),
            where,
          ).toEqual(ids);
          expect(forward[0]!.links.previous, `${where}: the newest page links no previous page`).toBeUndefined();
          expect(forward.at(-1)!.links.next, `${where}: the last page links no next page`).toBeUndefined();
          const backward = await walkFeedPages(format, forward.at(-1)!.url, "previous", sameOrigin, ids.length);
          expect(
            backward.reverse().flatMap((p) => p.ids),
            where,
          ).toEqual(ids);
          expect(backward[0]!.links.previous, `${where}: the walk back ends at a page without previous`).toBeUndefined();
          for (const page of [...forward, ...backward]) {
            expect(page.ids.length, page.url).toBeGreaterThan(0);
            expect(page.ids.length, page.url).toBeLessThanOrEqual(limit);
            if (format !== "json" || page.links.previous) expect(page.links.first, page.url).toBe(`${server.url}/feeds/${where}?limit=${limit}`);
            if (format !== "json") expect(page.updated!.getUTCFullYear(), page.url).toBeGreaterThanOrEqual(2025);
          }
        }
        // positions past either end: nothing there, so no page
        expect((await get(`/feeds/${key}.xml?before=${position(everything.at(-1)!)}`)).status).toBe(404);
        expect((await get(`/feeds/${key}.atom?after=${position(everything[0]!)}`)).status).toBe(404);
        expect((await get(`/feeds/${key}.json?before=${position(everything[0]!)}`)).status).toBe(ids.length > 1 ? 200 : 404);
      }
    }, 240_000);

    it("answers no request with a 500, whatever its query: NUL, control characters, lone surrogates, broken escapes, overlong values", async () => {
      const article = (await (await get("/feeds/ukraine.json")).json()) as { items: { id: string }[] };
      const itemPath = `/items/${article.items.at(-1)!.id.split(":").at(-1)}`;
      const paths = [
        "/",
        "/feeds/all.xml",
        "/feeds/all",
        "/feeds/ukraine.json",
        "/feeds/ukraine.atom",
        "/feeds/ukraine",
        "/feeds/krieg+ukraine.xml",
        "/feeds.opml",
        itemPath,
        "/healthz",
        "/readyz",
        "/favicon.svg",
        "/api/sources",
        "/nowhere",
      ];
      const values = [
        "%00",
        "a%00b",
        "%01",
        "%1F",
        "%7F",
        "%ED%A0%80",
        "%ED%BF%BF",
        "%F0%9F",
        "%C0%AF",
        "%FF",
        "%",
        "%E0%A4%A",
        "%E2%80%AE",
        "%EF%BF%BF",
        "x".repeat(10_000),
        "1".repeat(400),
        "-1",
        "1e9",
        "%2B%2B",
        "0.0",
      ];
      const params = ["q", "limit", "before", "after", "x"];
      const failures: string[] = [];
      for (const path of paths) {
        for (const param of params) {
          for (const value of values) {
            const res = await get(`${path}?${param}=${value}`);
            await res.arrayBuffer();
            if (res.status >= 500) failures.push(`${path}?${param}=${value.slice(0, 20)}: ${res.status}`);
          }
        }
      }
      expect(failures).toEqual([]);
      // a NUL or control character in a search is a bad request, said as other bad values are
      for (const query of ["q=%00", "q=a%00b", "q=%01", "q=%C2%85", "limit=%00", "before=%00"]) {
        for (const path of ["/feeds/all.xml", "/feeds/all", "/feeds/ukraine.json"]) {
          const res = await get(`${path}?${query}`);
          expect([res.status, await res.text()], `${path}?${query}`).toEqual([
            400,
            expect.stringMatching(/^The query parameter \w+ holds a (NUL|control) character\n$/),
          ]);
        }
      }
    }, 240_000);

    it("serves a union of tags with each item once, and German full-text search", async () => {
      const union = (await (await get("/feeds/ukraine+krieg.json")).json()) as { items: { id: string }[]; title: string };
      const one = async (slug: string) => ((await (await get(`/feeds/${slug}.json`)).json()) as { items: { id: string }[] }).items.map((i) => i.id);
      const expected = new Set([...(await one("ukraine")), ...(await one("krieg"))]);
      expect(union.items.map((i) => i.id).sort()).toEqual([...expected].sort());
      const found = (await (await get(`/feeds/all.json?q=${encodeURIComponent("Verhandlung")}`)).json()) as { items: { title: string }[] };
      expect(found.items.map((i) => i.title)).toContain(ARTICLE);
    });
  });
}
