/**
 * Reading feeds back the way readers do: rss-parser for RSS and Atom,
 * libxml2 (xmllint-wasm) for well-formedness and the RELAX NG grammar of Atom,
 * fast-xml-parser to read the elements rss-parser does
 * not expose, and the JSON Feed 1.1 specification's rules for JSON.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Parser from "rss-parser";
import { XMLParser } from "fast-xml-parser";
import { validateXML } from "xmllint-wasm";
import { expect } from "vitest";

export const rssParser = new Parser({ customFields: { item: [["category", "categoryXml", { keepArray: true }]] } });

/** Well-formed XML 1.0 by libxml2's parser (xmllint compiled to WebAssembly). */
export async function expectWellFormedXml(xml: string): Promise<void> {
  const result = await validateXML({ xml: [{ fileName: "feed.xml", contents: xml }], normalization: "format" });
  expect(result.errors.map((e) => e.rawMessage)).toEqual([]);
  expect(result.valid).toBe(true);
}

const atomSchema = readFileSync(join(import.meta.dirname, "atom.rng"), "utf8");

/**
 * Atom 1.0: the RELAX NG grammar of RFC 4287 (tests/support/atom.rng), then
 * the rules RFC 4287 states in prose.
 */
export async function expectValidAtom(xml: string): Promise<void> {
  const result = await validateXML({
    xml: [{ fileName: "feed.atom", contents: xml }],
    schema: [{ fileName: "atom.rng", contents: atomSchema }],
    extension: "relaxng",
  });
  expect(result.errors.map((e) => e.rawMessage)).toEqual([]);
  const feed = (xmlTree(xml) as any).feed[0];
  const links = (el: any) => (el.link ?? []).map((l: any) => ({ rel: l["@rel"] ?? "alternate", type: l["@type"], href: l["@href"], hreflang: l["@hreflang"] }));
  const oneAlternatePerType = (el: any) => {
    const keys = links(el)
      .filter((l: any) => l.rel === "alternate")
      .map((l: any) => `${l.type}|${l.hreflang}`);
    expect(new Set(keys).size).toBe(keys.length);
  };
  expect(links(feed).filter((l: any) => l.rel === "self")).toHaveLength(1); // RFC 4287 4.1.1: SHOULD
  oneAlternatePerType(feed);
  const ids = new Set<string>();
  for (const entry of feed.entry ?? []) {
    oneAlternatePerType(entry);
    // 4.1.1: entries without an author need one on the feed
    expect(Boolean(entry.author?.length || feed.author?.length)).toBe(true);
    // 4.1.2: an entry without content needs an alternate link
    if (!entry.content) expect(links(entry).some((l: any) => l.rel === "alternate")).toBe(true);
    for (const l of links(entry)) expect(new URL(l.href).protocol).toMatch(/^https?:$/);
    expectValidMediaRss(entry, feed, "entry");
    const id = String(entry.id[0]);
    expect(ids.has(id)).toBe(false);
    ids.add(id);
    expect(entry.updated[0]).toMatch(RFC3339);
  }
  for (const l of links(feed)) expect(new URL(l.href).protocol).toMatch(/^https?:$/);
}

/** RSS 2.0 and the RSS Advisory Board's best-practices profile, for the elements feedwerk writes. */
export async function expectValidRss(xml: string): Promise<void> {
  await expectWellFormedXml(xml);
  const tree = xmlTree(xml) as any;
  const rss = tree.rss[0];
  expect(rss["@version"]).toBe("2.0");
  expect(rss["@xmlns:atom"]).toBe("http://www.w3.org/2005/Atom");
  expect(rss["@xmlns:content"]).toBe("http://purl.org/rss/1.0/modules/content/");
  expect(rss["@xmlns:dc"]).toBe("http://purl.org/dc/elements/1.1/");
  const channel = rss.channel[0];
  for (const name of ["title", "link", "description"]) expect(channel[name], `channel ${name}`).toHaveLength(1);
  expect(new URL(channel.link[0]).protocol).toMatch(/^https?:$/);
  if (channel.language) expect(channel.language[0]).toMatch(/^[a-z]{2,3}(-[A-Za-z]{2,8})?$/);
  if (channel.lastBuildDate) expect(channel.lastBuildDate[0]).toMatch(RFC822);
  const self = (channel["atom:link"] ?? []).filter((l: any) => l["@rel"] === "self");
  expect(self).toHaveLength(1);
  expect(self[0]["@type"]).toBe("application/rss+xml");
  const guids = new Set<string>();
  for (const item of channel.item ?? []) {
    expect(Boolean(item.title || item.description), "item needs a title or a description").toBe(true);
    expect(new URL(item.link[0]).protocol).toMatch(/^https?:$/);
    const guid = item.guid[0];
    const text = typeof guid === "string" ? guid : guid["#text"];
    const permalink = typeof guid === "string" ? "true" : (guid["@isPermaLink"] ?? "true");
    if (permalink === "true") expect(new URL(text).protocol).toMatch(/^https?:$/);
    expect(guids.has(text)).toBe(false);
    guids.add(text);
    // optional: an undated story (an untimed teaser) claims no time
    expect((item.pubDate ?? []).length).toBeLessThanOrEqual(1);
    for (const date of item.pubDate ?? []) expect(date).toMatch(RFC822);
    expect(item.author, "<author> is for e-mail addresses; the profile names dc:creator").toBeUndefined();
    for (const c of item.category ?? []) expect(typeof c === "string" ? c : c["#text"]).toBeTruthy();
    // one enclosure per item, with url, length (bytes, 0 where unknown) and type all present
    expect((item.enclosure ?? []).length, "RSS allows one enclosure per item").toBeLessThanOrEqual(1);
    for (const e of item.enclosure ?? []) {
      expect(new URL(e["@url"]).protocol).toMatch(/^https?:$/);
      expect(e["@length"], "enclosure length").toMatch(/^\d+$/);
      expect(e["@type"], "enclosure type").toMatch(MIME_TYPE);
    }
    for (const d of item["itunes:duration"] ?? []) {
      expect(rss["@xmlns:itunes"]).toBe("http://www.itunes.com/dtds/podcast-1.0.dtd");
      expect(String(d), "itunes:duration").toMatch(/^(\d+|\d+:[0-5]\d|\d+:[0-5]\d:[0-5]\d)$/);
    }
    expectValidMediaRss(item, rss, "item");
  }
}

const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;

/** Media RSS (https://www.rssboard.org/media-rss) content and thumbnails: namespace, absolute http(s) URLs, counts. */
function expectValidMediaRss(el: any, root: any, what: string): void {
  const contents = el["media:content"] ?? [];
  const thumbnails = el["media:thumbnail"] ?? [];
  if (!contents.length && !thumbnails.length) return;
  expect(root["@xmlns:media"], `${what} uses media: without its namespace`).toBe("http://search.yahoo.com/mrss/");
  for (const c of contents) {
    expect(new URL(c["@url"]).protocol).toMatch(/^https?:$/);
    if (c["@type"] !== undefined) expect(c["@type"]).toMatch(MIME_TYPE);
    for (const n of ["fileSize", "duration", "width", "height"]) if (c[`@${n}`] !== undefined) expect(c[`@${n}`], `media:content ${n}`).toMatch(/^\d+$/);
  }
  expect(thumbnails.length, `${what} with more than one media:thumbnail`).toBeLessThanOrEqual(1);
  for (const t of thumbnails) {
    expect(new URL(t["@url"]).protocol).toMatch(/^https?:$/);
    for (const n of ["width", "height"]) if (t[`@${n}`] !== undefined) expect(t[`@${n}`], `media:thumbnail ${n}`).toMatch(/^\d+$/);
  }
}

/** The XML as a plain object, attributes prefixed "@", every element an array. */
export function xmlTree(xml: string): Record<string, unknown> {
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "@",
    isArray: (_name: string, _path: unknown, _leaf: boolean, isAttribute: boolean) => !isAttribute,
    processEntities: true,
    htmlEntities: false,
  }).parse(xml) as Record<string, unknown>;
}

export const RFC822 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} (GMT|[+-]\d{4})$/;
export const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The rules of https://jsonfeed.org/version/1.1 for the fields feedwerk writes. */
export function expectValidJsonFeed(feed: Record<string, unknown>): void {
  expect(feed.version).toBe("https://jsonfeed.org/version/1.1");
  expect(typeof feed.title).toBe("string");
  for (const key of ["home_page_url", "feed_url"]) {
    if (feed[key] !== undefined) expect(new URL(feed[key] as string).protocol).toMatch(/^https?:$/);
  }
  expect(Array.isArray(feed.items)).toBe(true);
  const ids = new Set<string>();
  for (const item of feed.items as Record<string, unknown>[]) {
    expect(typeof item.id).toBe("string");
    ids.add(item.id as string);
    expect(typeof item.content_html === "string" || typeof item.content_text === "string").toBe(true);
    if (item.url !== undefined) expect(new URL(item.url as string).protocol).toMatch(/^https?:$/);
    for (const key of ["date_published", "date_modified"]) {
      if (item[key] !== undefined) expect(item[key]).toMatch(RFC3339);
    }
    if (item.authors !== undefined) {
      expect(Array.isArray(item.authors)).toBe(true);
      for (const author of item.authors as Record<string, unknown>[]) expect(typeof author.name).toBe("string");
    }
    if (item.tags !== undefined) expect((item.tags as unknown[]).every((t) => typeof t === "string")).toBe(true);
    if (item.image !== undefined) expect(new URL(item.image as string).protocol).toMatch(/^https?:$/);
    if (item.attachments !== undefined) {
      expect(Array.isArray(item.attachments)).toBe(true);
      for (const a of item.attachments as Record<string, unknown>[]) {
        expect(new URL(a.url as string).protocol).toMatch(/^https?:$/);
        expect(a.mime_type, "attachment mime_type (required)").toMatch(MIME_TYPE);
        if (a.title !== undefined) expect(typeof a.title).toBe("string");
        if (a.size_in_bytes !== undefined) expect(Number.isSafeInteger(a.size_in_bytes) && (a.size_in_bytes as number) >= 0, "size_in_bytes").toBe(true);
        if (a.duration_in_seconds !== undefined)
          expect(typeof a.duration_in_seconds === "number" && a.duration_in_seconds >= 0, "duration_in_seconds").toBe(true);
        for (const key of Object.keys(a))
          expect(["url", "mime_type", "title", "size_in_bytes", "duration_in_seconds"].includes(key), `unknown attachment field ${key}`).toBe(true);
      }
    }
    for (const key of Object.keys(item)) {
      const known = [
        "id",
        "url",
        "external_url",
        "title",
        "content_html",
        "content_text",
        "summary",
        "image",
        "banner_image",
        "date_published",
        "date_modified",
        "authors",
        "tags",
        "language",
        "attachments",
      ];
      expect(known.includes(key) || key.startsWith("_"), `unknown item field ${key}`).toBe(true);
    }
  }
  expect(ids.size).toBe((feed.items as unknown[]).length);
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" };
/**
 * Follows a JSON Feed's next_url links from `start` to the last page, each
 * page valid, and returns the item ids in the order met. `most` bounds the
 * walk, so links that go round in circles fail instead of running forever.
 */
export async function walkJsonFeedPages(start: string, fetchPage: (url: string) => Promise<Response>, most: number): Promise<string[]> {
  const seen: string[] = [];
  let next: string | undefined = start;
  while (next) {
    const res = await fetchPage(next);
    expect(res.status).toBe(200);
    const feed = (await res.json()) as { items: { id: string }[]; next_url?: string };
    expectValidJsonFeed(feed as unknown as Record<string, unknown>);
    seen.push(...feed.items.map((i) => i.id));
    next = feed.next_url;
    expect(seen.length).toBeLessThanOrEqual(most);
  }
  return seen;
}

/** Decodes the entities escapeHtml writes: what a reader shows for an Atom type="html" title. */
export function decodeHtmlText(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_, name: string) => ENTITIES[name]!);
}

/** One page of a paged feed as a reader sees it: its items, its RFC 5005 links and its feed-level date. */
export interface FeedPage {
  ids: string[];
  links: { first?: string; next?: string; previous?: string };
  /** RSS lastBuildDate, Atom updated; JSON Feed has no feed-level date. */
  updated: Date | null;
}

/** Reads a page of any of the three formats, checking it against its format's rules first. */
export async function readFeedPage(format: "rss" | "atom" | "json", body: string): Promise<FeedPage> {
  if (format === "json") {
    const feed = JSON.parse(body) as { items: { id: string }[]; next_url?: string; _feedwerk?: { first_url?: string; previous_url?: string } };
    expectValidJsonFeed(feed as unknown as Record<string, unknown>);
    const links = { first: feed._feedwerk?.first_url, next: feed.next_url, previous: feed._feedwerk?.previous_url };
    return { ids: feed.items.map((i) => i.id), links: definedOnly(links), updated: null };
  }
  const pagingOf = (linkEls: any[]) =>
    definedOnly(Object.fromEntries(linkEls.filter((l) => ["first", "next", "previous"].includes(l["@rel"])).map((l) => [l["@rel"], l["@href"]])));
  if (format === "atom") {
    await expectValidAtom(body);
    const feed = (xmlTree(body) as any).feed[0];
    return { ids: (feed.entry ?? []).map((e: any) => String(e.id[0])), links: pagingOf(feed.link ?? []), updated: new Date(feed.updated[0]) };
  }
  await expectValidRss(body);
  const channel = (xmlTree(body) as any).rss[0].channel[0];
  const guid = (g: any) => (typeof g === "string" ? g : g["#text"]);
  return {
    ids: (channel.item ?? []).map((i: any) => guid(i.guid[0])),
    links: pagingOf(channel["atom:link"] ?? []),
    updated: channel.lastBuildDate ? new Date(channel.lastBuildDate[0]) : null,
  };
}

function definedOnly<T extends Record<string, string | undefined>>(links: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(links).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: string };
}

/**
 * Follows one kind of paging link (`next` or `previous`) from `start` until a
 * page has none, and returns the pages met, in order. `most` bounds the walk,
 * so links that go round in circles fail instead of running forever.
 */
export async function walkFeedPages(
  format: "rss" | "atom" | "json",
  start: string,
  rel: "next" | "previous",
  fetchPage: (url: string) => Promise<Response>,
  most: number,
): Promise<(FeedPage & { url: string })[]> {
  const pages: (FeedPage & { url: string })[] = [];
  let url: string | undefined = start;
  while (url) {
    const res = await fetchPage(url);
    expect(res.status, url).toBe(200);
    pages.push({ ...(await readFeedPage(format, await res.text())), url });
    expect(pages.length, `more than ${most} pages from ${start}`).toBeLessThanOrEqual(most);
    url = pages.at(-1)!.links[rel];
  }
  return pages;
}
