/**
 * A fetched feed document to what a polling pass stores of it, in one step:
 * its body's hash, what it says of itself (ttl, why it is broken), and its
 * items. One function of plain values, so that it can run where the pass
 * wants it: in the pass's own thread (readFetchedFeed), or
 * on a thread of a pool, which the Node shell injects (src/entry/node/feed-reading.ts).
 */
import { sha256Hex } from "../../normalise/sha256";
import { isNewsSitemap, otherSitemapReason } from "../sitemap/news-sitemap";
import { feedLinksOf, looksLikeHtml } from "./html-page";
import { readFetchedPage } from "../fetched-page";
import { decodeFeed } from "./decode";
import { readFeedDocument } from "./read-feed";
import { plainText } from "./html";
import { feedEntries } from "./to-items";
import type { FetchedFeed, ReadFeed } from "./fetched-feed";

export type { FetchedFeed, ReadFeed } from "./fetched-feed";

/** A feed's title longer than this is cut: it names the feed in lists, not its news. */
const TITLE_CHARS = 300;

/** Reads a fetched document; a document that cannot be read rejects with the reason (a FeedFormatError). */
export type FeedReader = (document: FetchedFeed) => Promise<ReadFeed>;

/** The reader that runs where it is called. */
export const readFetchedFeed: FeedReader = async (document) => {
  const { bytes, contentType, namespace, url, fetchedAt, knownSha256 } = document;
  const sha256 = sha256Hex(bytes);
  const unchanged = sha256 === knownSha256;
  if (document.readAs === "article" || document.readAs === "page" || readAsPage(bytes, contentType, url)) {
    return readFetchedPage(document.readAs === "article" ? "article" : "page", document, sha256, unchanged);
  }
  const feed = await readFeedDocument(bytes, contentType, url);
  return {
    readAs: "feed",
    sha256,
    ttlMinutes: feed.ttlMinutes,
    bozo: feed.bozo,
    title: feed.title ? plainText(feed.title).slice(0, TITLE_CHARS) || undefined : undefined,
    entries: unchanged ? null : feedEntries(feed, namespace, url, fetchedAt),
  };
};

/**
 * Whether a document followed as a feed is a page of the site's stories: a (news) sitemap, or an HTML page that
 * names no feed (one that names its feed is that feed's page, and the reader says which to follow).
 */
function readAsPage(bytes: Uint8Array, contentType: string | null, url: string): boolean {
  // the start says which: a doctype or an html element (what the feed reader refuses as a web page), or a sitemap's root element
  const head = new TextDecoder()
    .decode(bytes.subarray(0, 4_096))
    .replace(/^\uFEFF/, "")
    .trimStart();
  if (looksLikeHtml(head)) return feedLinksOf(decodeFeed(bytes, contentType), url).length === 0;
  // a sitemap of another kind too: the page reader says what it is, where the feed reader would call it no feed
  return isNewsSitemap(head) || otherSitemapReason(head) !== null;
}
