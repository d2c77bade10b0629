/**
 * Reads a feed document, whatever its dialect: RSS 0.9x, RSS 1.0 (RDF),
 * RSS 2.0 and Atom through rss-parser (xml-feed.ts, rss.ts, atom.ts), JSON
 * Feed 1.0 and 1.1 (json-feed.ts). The result is still the feed's own
 * vocabulary; to-items turns it into items.
 */
import { decodeFeedDocument } from "./decode";
import { FeedFormatError } from "./errors";
import { feedLinksOf, looksLikeHtml } from "./html-page";
import { readJsonFeed } from "./json-feed";
import type { RawFeed } from "./raw-feed";
import { readXmlFeed } from "./xml-feed";

export type { RawEntry, RawFeed } from "./raw-feed";

/** Bytes as fetched: decoded (see decode.ts), then read; an encoding that is not the declared one makes the feed broken too. */
export async function readFeedDocument(bytes: Uint8Array, contentType: string | null = null, url?: string): Promise<RawFeed> {
  const { text, warning } = decodeFeedDocument(bytes, contentType);
  const feed = await readFeed(text, url);
  const bozo = [warning, feed.bozo].filter(Boolean).join("; ");
  return bozo ? { ...feed, bozo } : feed;
}

/** `url`, where the document came from, makes the feed addresses a web page names absolute in the error that says so. */
export async function readFeed(text: string, url?: string): Promise<RawFeed> {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{")) return readJsonFeed(trimmed);
  if (!trimmed.startsWith("<")) throw new FeedFormatError("not a feed: neither XML nor JSON");
  if (looksLikeHtml(trimmed)) {
    const feeds = feedLinksOf(trimmed, url);
    throw new FeedFormatError(
      feeds.length
        ? `a web page, not a feed; it names ${feeds.length === 1 ? "its feed" : "these feeds"}: ${feeds.join(", ")}: follow ${feeds.length === 1 ? "that address" : "one of those"} instead, or read the page itself as a page of teasers (\`sources add --page URL\`, or "page": true in a sources file)`
        : 'a web page, not a feed, and it names none (no <link rel="alternate" type="application/rss+xml">)',
    );
  }
  return readXmlFeed(trimmed);
}
