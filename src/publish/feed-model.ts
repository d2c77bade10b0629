/** What every feed format renders: a channel of items, and the URLs in it. */
import { escapeHtml } from "../normalise/html";
import type { Enclosure } from "../normalise/item";
import type { FeedItem } from "../storage/queries";

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
  /** When the feed's tags last changed: the feed's date when it has no items (a search that finds nothing). */
  changedAt?: Date | undefined;
  /** RFC 5005 paging links, absolute. */
  paging?: { first?: string | undefined; next?: string | undefined; previous?: string | undefined };
  /** WebSub hub, announced with rel="hub". */
  hub?: string | undefined;
  items: FeedItem[];
}

export const itemUrl = (base: string, item: Pick<FeedItem, "id" | "url">) => item.url ?? `${base}/items/${item.id}`;
export const feedUrl = (base: string, key: string, format: FeedFormat) => `${base}/feeds/${key}.${EXTENSION_OF_FORMAT[format]}`;

export const feedTitle = (channel: FeedChannel) => `feedwerk · ${channel.label}`;
/** "Meldungen zum Thema Ukraine"; the feed of every story is no topic: "Alle Meldungen, die neuesten zuerst". */
export const feedDescription = (channel: FeedChannel) =>
  channel.key === "all" ? `${channel.label}, die neuesten zuerst` : `Meldungen zum Thema ${channel.label}`;
export const feedId = (channel: FeedChannel) => `urn:feedwerk:feed:${channel.key}`;

/** Feed-level "updated": the newest item change, so the bytes depend on the data alone. */
export function lastUpdate(channel: Pick<FeedChannel, "items" | "changedAt">): Date {
  if (!channel.items.length) return channel.changedAt ?? new Date(0);
  return new Date(Math.max(...channel.items.map((i) => i.updatedAt.getTime())));
}

/** Whether the item has a summary to show: an entry that brought a headline alone has none. */
export const hasSummary = (item: Pick<FeedItem, "summary">) => item.summary.trim() !== "";

/**
 * The article's HTML, or the teaser's summary as a paragraph, plus the image credit (writers strip what XML cannot carry);
 * empty for an entry that brought a headline alone, which readers would otherwise show as a blank paragraph.
 */
export function contentHtmlOf(item: FeedItem): string {
  const body = item.contentHtml ?? (hasSummary(item) ? `<p>${escapeHtml(item.summary)}</p>` : null);
  const parts = body ? [body] : [];
  if (item.image) {
    const { caption, credit } = item.image;
    const text = [caption ? escapeHtml(caption) : null, credit ? `Foto: ${escapeHtml(credit)}` : null].filter(Boolean).join(" ");
    if (text) parts.push(`<p><small>${text}</small></p>`);
  }
  return parts.join("\n");
}

/** The type written where a feed gave none: RSS and JSON Feed require one. */
export const UNKNOWN_TYPE = "application/octet-stream";

/** What a podcast app plays: the first audio or video file, else the first file. */
export function mainEnclosure(enclosures: readonly Enclosure[]): Enclosure | undefined {
  return enclosures.find((e) => /^(audio|video)\//.test(e.type ?? "")) ?? enclosures[0];
}
