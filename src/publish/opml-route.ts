/**
 * GET /feeds.opml with the feeds' caching: rendered once per version of the
 * set of tags, a strong ETag and Last-Modified, 304 when the copy is current;
 * a feed document's security headers (security-headers.ts).
 */
import type { Context } from "hono";
import type { Database } from "../storage/database";
import { listTags, type TagSummary } from "../storage/queries";
import { opmlDocument } from "../xml/opml";
import { etagFor, notModified, strongTag } from "./conditional";
import { CACHE_CONTROL } from "./cached-feeds";
import { feedUrl } from "./feed-model";
import { FEED_CORS_HEADERS, FEED_SECURITY_HEADERS } from "./security-headers";
import type { VersionBook } from "./version-book";

interface RenderedOpml {
  key: string;
  body: Uint8Array;
  etag: string;
  lastModified: Date;
}

/** OPML 2.0 listing every tag's feed, for importing them all into a feed reader at once. */
function everyTagsFeed(base: string, tags: TagSummary[], dateModified: Date): string {
  return opmlDocument(
    { title: "feedwerk: alle Themen", dateModified, docs: "http://opml.org/spec2.opml" },
    tags.map((tag) => ({ title: tag.label, xmlUrl: feedUrl(base, tag.slug, "rss"), htmlUrl: `${base}/feeds/${tag.slug}` })),
  );
}

export function opmlRoute(db: Database, versions: VersionBook): (c: Context, base: string) => Promise<Response> {
  let last: RenderedOpml | null = null;
  return async (c, base) => {
    const snapshot = await versions.current();
    // a new tag always comes with a changed item, so the "all" version covers the list
    const key = `${base}|${snapshot.all.version}|${snapshot.tags.size}`;
    if (last?.key !== key) {
      const lastModified = new Date(Math.max(snapshot.all.changedAt.getTime(), ...[...snapshot.tags.values()].map((t) => t.changedAt.getTime())));
      const body = new TextEncoder().encode(everyTagsFeed(base, await listTags(db), lastModified));
      last = { key, body, etag: await strongTag(body), lastModified };
    }
    const headers: Record<string, string> = {
      "Cache-Control": CACHE_CONTROL,
      "Last-Modified": last.lastModified.toUTCString(),
      ETag: etagFor(last.etag, null),
      ...FEED_CORS_HEADERS,
    };
    if (notModified(c.req.raw.headers, last.etag, last.lastModified)) return c.body(null, 304, headers);
    return c.body(last.body as Uint8Array<ArrayBuffer>, 200, { ...headers, "Content-Type": "text/x-opml; charset=utf-8", ...FEED_SECURITY_HEADERS });
  };
}
