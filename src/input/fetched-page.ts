/**
 * A fetched HTML page read as what a followed source or a full-text fetch
 * wants of it: a page of teasers (input/list-page) or one article page
 * (input/html/article).
 */
import { readArticle } from "./html/article";
import { decodeHtml } from "./html/decode";
import { readListPage } from "./list-page";
import { MAX_HTML_BYTES } from "./page-document";
import { FeedFormatError } from "./feed/errors";
import type { FetchedFeed, ReadFeed } from "./feed/fetched-feed";

export function readFetchedPage(as: "page" | "article", document: FetchedFeed, sha256: string, unchanged: boolean): ReadFeed {
  const { bytes, contentType, url, fetchedAt } = document;
  if (bytes.length > MAX_HTML_BYTES) throw new FeedFormatError(`a page of ${bytes.length} bytes, more than the ${MAX_HTML_BYTES} read`);
  const read = { sha256, ttlMinutes: undefined, bozo: undefined } as const;
  if (unchanged) return { ...read, title: undefined, entries: null, readAs: as };
  try {
    if (as === "article") {
      const { item } = readArticle(decodeHtml(bytes, contentType), url, fetchedAt);
      return { ...read, title: undefined, readAs: as, entries: { items: [item], entryKeys: new Map(), retiredIds: [] } };
    }
    const page = readListPage(bytes, contentType, url, fetchedAt, document.select);
    return { ...read, title: page.title, readAs: as, entries: { items: page.items, entryKeys: new Map(), retiredIds: [] } };
  } catch (error) {
    // no article, no teasers: the reason a person can act on, as a feed's is
    if (error instanceof Error && (error.name === "NoArticleError" || error.name === "NoTeasersError")) throw new FeedFormatError(error.message);
    throw error;
  }
}
