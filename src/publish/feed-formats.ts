/**
 * Renders a tag's items as RSS 2.0, Atom 1.0 and JSON Feed 1.1 with the
 * `feed` package, correcting it where it falls short: escaping (see
 * xml-guard), the agency as dc:creator in RSS rather than an <author>
 * that RSS reserves for e-mail addresses, and JSON Feed 1.1 rather than 1.0.
 */
import { Feed, type Item as FeedEntry } from "feed";
import { escapeHtml } from "../normalise/html";
import { isoSeconds } from "../normalise/item";
import { stripNonXmlChars } from "../normalise/text";
import type { FeedItem } from "../storage/queries";
import { guardCdata, guardText, unguard } from "./xml-guard";

export type FeedFormat = "rss" | "atom" | "json";

export const FORMAT_OF_EXTENSION: Record<string, FeedFormat> = { xml: "rss", atom: "atom", json: "json" };
export const EXTENSION_OF_FORMAT: Record<FeedFormat, string> = { rss: "xml", atom: "atom", json: "json" };
export const CONTENT_TYPE: Record<FeedFormat, string> = {
  rss: "application/rss+xml; charset=utf-8",
  atom: "application/atom+xml; charset=utf-8",
  json: "application/feed+json; charset=utf-8",
};

export interface FeedChannel {
  /** Names the feed in its id: a tag slug, "a+b" for a union, "all". */
  key: string;
  /** What the feed is about, for its title: "Ukraine", "Ukraine + Russland". */
  label: string;
  /** Absolute base URL of this deployment, without trailing slash. */
  base: string;
  /** The HTML page of the feed. */
  homeUrl: string;
  /** Absolute URL this feed was requested at. */
  selfUrl: string;
  /** RFC 5005 paging links, absolute. */
  paging?: { first?: string; next?: string; previous?: string };
  items: FeedItem[];
}

export const itemUrl = (base: string, item: Pick<FeedItem, "id" | "url">) => item.url ?? `${base}/items/${item.id}`;
export const feedUrl = (base: string, slug: string, format: FeedFormat) => `${base}/feeds/${slug}.${EXTENSION_OF_FORMAT[format]}`;

/** Feed-level "updated": the newest item change, so the bytes depend on the data alone. */
function lastUpdate(items: FeedItem[]): Date {
  return new Date(Math.max(0, ...items.map((i) => i.updatedAt.getTime())));
}

/** The article's HTML, or the teaser's summary as a paragraph, plus the image credit. */
export function contentHtmlOf(item: FeedItem): string {
  const parts = [item.contentHtml ?? `<p>${escapeHtml(item.summary)}</p>`];
  if (item.image) {
    const { caption, credit } = item.image;
    const text = [caption ? escapeHtml(caption) : null, credit ? `Foto: ${escapeHtml(credit)}` : null].filter(Boolean).join(" ");
    if (text) parts.push(`<p><small>${text}</small></p>`);
  }
  return stripNonXmlChars(parts.join("\n"));
}

export function renderFeed(format: FeedFormat, channel: FeedChannel): string {
  return format === "json" ? renderJson(channel) : renderXml(format, channel);
}

function renderXml(format: "rss" | "atom", channel: FeedChannel): string {
  const { base, key, label, items } = channel;
  const atom = format === "atom";
  const feed = new Feed({
    id: `urn:feedwerk:feed:${key}`,
    title: guardText(`feedwerk · ${label}`),
    description: guardText(`Meldungen zum Thema ${label}`),
    link: channel.homeUrl,
    language: "de",
    updated: lastUpdate(items),
    generator: "feedwerk",
    // RFC 4287 wants an author for every entry; teasers without an agency get the feed's.
    author: { name: "feedwerk" },
    feedLinks: { [format]: channel.selfUrl },
    docs: "https://www.rssboard.org/rss-specification",
  });
  for (const item of items) {
    const entry: FeedEntry = {
      // Atom declares title and summary as type="html", so they carry escaped text.
      title: guardCdata(atom ? escapeHtml(item.title) : item.title),
      id: item.guid,
      guid: item.guid,
      link: itemUrl(base, item),
      date: item.updatedAt,
      published: item.publishedAt ?? item.firstSeenAt,
      description: guardCdata(escapeHtml(item.summary)),
      content: guardCdata(contentHtmlOf(item)),
      category: item.memberOf.map((tag) =>
        atom ? { term: tag.slug, name: guardText(tag.label) } : { name: guardText(tag.label) },
      ),
    };
    if (item.agency) {
      if (atom) entry.author = [{ name: guardText(item.agency) }];
      else entry.extensions = [{ name: "dc:creator", objects: { _text: guardText(item.agency) } }];
    }
    feed.addItem(entry);
  }
  return withPagingLinks(unguard(atom ? feed.atom1() : feed.rss2()), format, channel);
}

/**
 * The `feed` package writes only the self link; RFC 5005's first, next and
 * previous go right after it, as atom:link in RSS and link in Atom.
 */
function withPagingLinks(xml: string, format: "rss" | "atom", channel: FeedChannel): string {
  const links = Object.entries(channel.paging ?? {}).filter((e): e is [string, string] => Boolean(e[1]));
  if (!links.length) return xml;
  const element = format === "atom" ? "link" : "atom:link";
  const self = new RegExp(`(\\n\\s*)<${element} [^>]*rel="self"[^>]*/>`);
  const match = self.exec(xml);
  if (!match) throw new Error("rendered feed has no self link");
  const indent = match[1]!;
  const extra = links.map(([rel, href]) => `${indent}<${element} href="${escapeHtml(href)}" rel="${rel}"/>`).join("");
  return xml.slice(0, match.index + match[0].length) + extra + xml.slice(match.index + match[0].length);
}

function renderJson(channel: FeedChannel): string {
  const { base, label, items } = channel;
  const body = {
    version: "https://jsonfeed.org/version/1.1",
    title: `feedwerk · ${label}`,
    home_page_url: channel.homeUrl,
    feed_url: channel.selfUrl,
    ...(channel.paging?.next ? { next_url: channel.paging.next } : {}),
    description: `Meldungen zum Thema ${label}`,
    language: "de",
    items: items.map((item) => ({
      id: item.guid,
      url: itemUrl(base, item),
      title: item.title,
      content_html: contentHtmlOf(item),
      summary: item.summary,
      date_published: isoSeconds(item.publishedAt ?? item.firstSeenAt),
      date_modified: isoSeconds(item.updatedAt),
      ...(item.agency ? { authors: [{ name: item.agency }] } : {}),
      tags: item.memberOf.map((t) => t.label),
      language: "de",
      _feedwerk: {
        kind: item.kind,
        kicker: item.kicker,
        agency: item.agency,
        dateline: item.dateline,
        comment_count: item.commentCount,
        image: item.image,
        date_precision: item.precision,
      },
    })),
  };
  // the same text in every format: what XML cannot carry is dropped here too
  return JSON.stringify(body, (_key, value: unknown) => (typeof value === "string" ? stripNonXmlChars(value) : value), 2);
}
