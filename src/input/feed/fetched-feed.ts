/** A fetched document, as a polling pass hands it to be read, and what reading it gives. */
import type { TeaserSelectors } from "../html/teasers";
import type { FeedEntries } from "./to-items";

export interface FetchedFeed {
  bytes: Uint8Array;
  /** The Content-Type header, for its charset. */
  contentType: string | null;
  /** Scopes the entries' ids: the source's name. */
  namespace: string;
  /** Where the document was fetched from: the base of its relative links. */
  url: string;
  fetchedAt: Date;
  /** The hash (hex SHA-256) of the body stored last: the same body again is not turned into items. */
  knownSha256?: string | null | undefined;
  /**
   * How to read it: as a feed (the default; an HTML page that names no feed is read as a page), as a page of
   * teasers whatever it names, or as one article page (full text).
   */
  readAs?: "feed" | "page" | "article" | undefined;
  /** Where a page's teasers are, where a person said so. */
  select?: TeaserSelectors | null | undefined;
}

export interface ReadFeed {
  /** Hex SHA-256 of the body. */
  sha256: string;
  /** Minutes: RSS ttl, or sy:updatePeriod × sy:updateFrequency. */
  ttlMinutes: number | undefined;
  /** Why the document is broken, if it is (feedparser's bozo). */
  bozo: string | undefined;
  /** The feed's own title, as plain text: what an OPML export names it by. */
  title: string | undefined;
  /** The document's items; null when its body is the one stored last (knownSha256). */
  entries: FeedEntries | null;
  /** How it was read: a page of teasers or an article page gives items of its own kind (input/list-page, input/html/article). */
  readAs: "feed" | "page" | "article";
}
