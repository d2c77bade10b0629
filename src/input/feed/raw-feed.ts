/**
 * A feed as read, still in the feed's own vocabulary (rss.ts, atom.ts,
 * json-feed.ts read it; to-items turns it into items).
 */
import type { RawMedia } from "./media";
import type { EntryBases } from "./xml-base";

export interface RawEntry {
  id?: string | undefined;
  link?: string | undefined;
  title?: string | undefined;
  /** HTML (RSS description, Atom summary, JSON summary escaped). */
  summaryHtml?: string | undefined;
  contentHtml?: string | undefined;
  published?: string | undefined;
  updated?: string | undefined;
  author?: string | undefined;
  categories: string[];
  media?: RawMedia | undefined;
  /** xml:base chains in scope at the entry's link, content and summary, where the document uses xml:base. */
  bases?: EntryBases | undefined;
}

export interface RawFeed {
  format: "rss" | "atom" | "json";
  title?: string | undefined;
  /** The site the feed belongs to: RSS channel link, Atom alternate link, JSON Feed home_page_url. */
  link?: string | undefined;
  /** xml:base of the document, if it names one. */
  base?: string | undefined;
  /** Minutes: RSS ttl, or sy:updatePeriod × sy:updateFrequency. */
  ttlMinutes?: number | undefined;
  /** Why the document is broken, if it is (feedparser's bozo): its entries were read as lenient readers read them. */
  bozo?: string | undefined;
  entries: RawEntry[];
}

/**
 * Text as the HTML fields above hold it: only what HTML needs in element content, not quotes
 * (normalise/html's escapeHtml escapes them too). Items hash their content: escaping quotes here would
 * make every stored entry with a quote look changed on its next fetch.
 */
export const textAsHtml = (t: string) => t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
