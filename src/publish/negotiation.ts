/** Which representation of /feeds/TAG a client asks for with Accept. */
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

/** The highest-quality acceptable type; HTML when nothing (or only a wildcard) decides. */
export function negotiate(accept: string | null): FeedFormat | "html" {
  if (!accept) return "html";
  let best: { format: FeedFormat | "html"; q: number; order: number } | null = null;
  accept.split(",").forEach((part, order) => {
    const [type, ...params] = part.trim().toLowerCase().split(";").map((p) => p.trim());
    const format = type ? MEDIA[type] : undefined;
    if (!format) return;
    const qParam = params.find((p) => p.startsWith("q="));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!(q > 0)) return;
    if (!best || q > best.q || (q === best.q && order < best.order)) best = { format, q, order };
  });
  return (best as { format: FeedFormat | "html" } | null)?.format ?? "html";
}

/**
 * Browsers show application/rss+xml as text or a download; labelled
 * application/xml, the same bytes get the feed's XSL stylesheet applied. A
 * navigation that prefers HTML is a browser; feed readers ask for feeds.
 */
export function wantsBrowserView(accept: string | null, format: FeedFormat): boolean {
  if (format === "json" || !accept) return false;
  const html = accept.indexOf("text/html");
  return html >= 0 && !/application\/(rss|atom)\+xml/.test(accept.slice(0, html));
}
