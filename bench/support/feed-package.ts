/**
 * The same channel rendered with the npm package `feed`, extended through
 * its own options as far as they reach: the comparison the design notes
 * (docs/design.md) measure feedwerk's writers against (see "Why feedwerk writes its
 * own feeds"). Where the package has no option (Atom paging links, Atom
 * thumbnails, an enclosure's type in Atom), nothing is written.
 */
import { Feed, type Extension, type Item } from "feed";
import { escapeHtml } from "../../src/normalise/html";
import type { FeedItem } from "../../src/storage/queries";
import {
  contentHtmlOf,
  feedDescription,
  feedId,
  feedTitle,
  itemUrl,
  lastUpdate,
  mainEnclosure,
  UNKNOWN_TYPE,
  type FeedChannel,
  type FeedFormat,
} from "../../src/publish/feed-model";

// xml-js writes attributes of extensions as given, escaping only quotes: "&" as the package escapes its own URLs
const url = (href: string) => href.replace(/&/g, "&amp;");
const MEDIA_RSS = "http://search.yahoo.com/mrss/";

export function renderWithFeedPackage(format: FeedFormat, channel: FeedChannel): string {
  const feed = new Feed({
    id: feedId(channel),
    title: feedTitle(channel),
    description: feedDescription(channel),
    link: channel.homeUrl,
    language: "de",
    updated: lastUpdate(channel),
    generator: "feedwerk",
    docs: "https://www.rssboard.org/rss-specification",
    feedLinks: { [format]: channel.selfUrl },
    hub: channel.hub,
    author: { name: "feedwerk" },
  });
  const paging = Object.entries(channel.paging ?? {}).filter((e): e is [string, string] => Boolean(e[1]));
  if (format === "rss" && paging.length) {
    // a channel extension replaces the package's own atom:link elements: self and hub written again beside the pages
    const links = [{ href: channel.selfUrl, rel: "self", type: "application/rss+xml" }, ...paging.map(([rel, href]) => ({ href, rel }))].map((l) => ({
      ...l,
      href: url(l.href),
    }));
    if (channel.hub) links.push({ href: url(channel.hub), rel: "hub" } as (typeof links)[number]);
    feed.addExtension({ name: "atom:link", objects: links.map((a) => ({ _attributes: a })) as unknown as Record<string, unknown> });
  }
  if (format === "json") {
    // JSON Feed 1.1 fields the package does not write, as top-level extensions (the last one wins over its version 1)
    feed.addExtension({ name: "version", objects: "https://jsonfeed.org/version/1.1" as unknown as Record<string, unknown> });
    feed.addExtension({ name: "language", objects: "de" as unknown as Record<string, unknown> });
    if (channel.paging?.next) feed.addExtension({ name: "next_url", objects: channel.paging.next as unknown as Record<string, unknown> });
    if (channel.hub) feed.addExtension({ name: "hubs", objects: [{ type: "WebSub", url: channel.hub }] as unknown as Record<string, unknown> });
  }
  for (const item of channel.items) feed.addItem(toPackageItem(format, channel, item));
  return format === "rss" ? feed.rss2() : format === "atom" ? feed.atom1() : feed.json1();
}

function toPackageItem(format: FeedFormat, channel: FeedChannel, item: FeedItem): Item {
  const main = item.media ? mainEnclosure(item.media.enclosures) : undefined;
  const extensions: Extension[] = [];
  const asObjects = (value: unknown) => value as Record<string, unknown>;
  if (format === "rss") {
    // the profile wants dc:creator, not <author> (e-mail addresses); namespaces declared on the element, the package has no option for the root
    if (item.agency) extensions.push({ name: "dc:creator", objects: asObjects({ _text: item.agency }) });
    // as feedwerk's RSS: the enclosure's file again as media:content where that says its duration, then the other files
    const others = item.media?.enclosures.filter((e) => e !== main || e.durationSeconds != null) ?? [];
    if (others.length) {
      const content = others.map((e) => ({
        _attributes: {
          "xmlns:media": MEDIA_RSS,
          url: url(e.url),
          type: e.type ?? undefined,
          fileSize: e.length ?? undefined,
          duration: e.durationSeconds ?? undefined,
        },
      }));
      extensions.push({ name: "media:content", objects: asObjects(content) });
    }
    const thumbnail = item.media?.thumbnail;
    if (thumbnail) {
      extensions.push({
        name: "media:thumbnail",
        objects: asObjects({
          _attributes: { "xmlns:media": MEDIA_RSS, url: url(thumbnail.url), width: thumbnail.width ?? undefined, height: thumbnail.height ?? undefined },
        }),
      });
    }
  }
  if (format === "json") {
    extensions.push({ name: "language", objects: asObjects("de") });
    if (item.agency) extensions.push({ name: "authors", objects: asObjects([{ name: item.agency }]) });
    if (item.media?.enclosures.length) {
      const attachments = item.media.enclosures.map((e) => ({
        url: e.url,
        mime_type: e.type ?? UNKNOWN_TYPE,
        ...(e.title ? { title: e.title } : {}),
        ...(e.length !== null ? { size_in_bytes: e.length } : {}),
        ...(e.durationSeconds !== null ? { duration_in_seconds: e.durationSeconds } : {}),
      }));
      extensions.push({ name: "attachments", objects: asObjects(attachments) });
    }
    extensions.push({
      name: "_feedwerk",
      objects: {
        kind: item.kind,
        kicker: item.kicker,
        agency: item.agency,
        dateline: item.dateline,
        comment_count: item.commentCount,
        image: item.image,
        date_precision: item.precision,
      },
    });
  }
  return {
    // Atom's title and summary are written as type="html": plain text must be escaped first
    title: format === "atom" ? escapeHtml(item.title) : item.title,
    id: item.guid,
    guid: item.guid,
    link: itemUrl(channel.base, item),
    date: item.updatedAt,
    published: item.publishedAt ?? undefined,
    description: format === "json" ? item.summary : escapeHtml(item.summary),
    content: contentHtmlOf(item),
    // RSS writes authors as <author>: dc:creator above instead; JSON's singular author is JSON Feed 1.0's
    author: format === "atom" && item.agency ? [{ name: item.agency }] : undefined,
    category: item.memberOf.map((t) => ({ name: t.label, term: t.slug, domain: `${channel.base}/feeds/${t.slug}`, scheme: `${channel.base}/feeds/` })),
    image: format === "json" ? item.media?.thumbnail?.url : undefined,
    enclosure: main && format !== "json" ? { url: main.url, type: main.type ?? UNKNOWN_TYPE, length: main.length ?? 0 } : undefined,
    extensions,
  };
}
