/**
 * Which representation a client asks for with Accept: /feeds/TAG chooses
 * among the page and the three feeds; a feed URL (/feeds/TAG.xml) gives the
 * feed to every client but a browser navigating to it, which gets the page.
 */
import type { FeedFormat } from "./feed-model";

const MEDIA: Record<string, FeedFormat | "html"> = {
  "text/html": "html",
  "application/xhtml+xml": "html",
  "application/rss+xml": "rss",
  "application/atom+xml": "atom",
  "application/feed+json": "json",
  "application/json": "json",
  "application/xml": "rss",
  "text/xml": "rss",
};

/** Types a feed can be read as, besides the wildcards: a client naming any of them reads feeds. */
const FEED_TYPES = new Set([
  "application/rss+xml",
  "application/atom+xml",
  "application/rdf+xml",
  "application/feed+json",
  "application/json",
  "application/xml",
  "text/xml",
]);
const WILDCARDS = new Set(["*/*", "*", "application/*", "text/*"]);

interface Range {
  type: string;
  q: number;
  order: number;
}

function ranges(accept: string): Range[] {
  return accept.split(",").map((part, order) => {
    const [type = "", ...params] = part
      .trim()
      .toLowerCase()
      .split(";")
      .map((p) => p.trim());
    const qParam = params.find((p) => p.startsWith("q="));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    return { type, q: Number.isFinite(q) ? q : 0, order };
  });
}

/** The highest-quality acceptable type; HTML when nothing (or only a wildcard) decides. */
export function negotiate(accept: string | null): FeedFormat | "html" {
  if (!accept) return "html";
  let best: { format: FeedFormat | "html"; q: number; order: number } | null = null;
  for (const { type, q, order } of ranges(accept)) {
    const format = MEDIA[type];
    if (!format || !(q > 0)) continue;
    if (!best || q > best.q || (q === best.q && order < best.order)) best = { format, q, order };
  }
  return best?.format ?? "html";
}

/**
 * A browser's navigation: it ranks text/html above every type a feed could
 * be read as (wildcards included) and also takes XHTML, as Chromium, Firefox
 * and Safari all do (`text/html,application/xhtml+xml,application/xml;q=0.9,
 * …`, any type at q=0.8). Feed readers name feed types or nothing. A tie goes
 * to the feed, since the URL names one: Miniflux lists text/html beside the
 * feed types at the same quality. HTTP libraries that merely put text/html
 * first (Java's HttpURLConnection: `text/html, image/gif, image/jpeg`, any
 * type at q=.2) take no XHTML, so pollers built on them keep the feed. Every
 * format gets the same page, so `format` does not decide.
 */
export function wantsBrowserView(accept: string | null, _format?: FeedFormat): boolean {
  if (!accept) return false;
  let html = 0;
  let xhtml = 0;
  let feed = 0;
  for (const { type, q } of ranges(accept)) {
    if (type === "text/html") html = Math.max(html, q);
    else if (type === "application/xhtml+xml") xhtml = Math.max(xhtml, q);
    else if (FEED_TYPES.has(type) || WILDCARDS.has(type)) feed = Math.max(feed, q);
  }
  return html > 0 && xhtml > 0 && html > feed;
}
