/**
 * A web page given where a feed was expected, the commonest mistake when
 * following a site: the feeds it names in its head (RSS autodiscovery,
 * `<link rel="alternate" type="application/rss+xml" href="…">`), to tell
 * the operator which address to follow instead.
 */
import { Parser } from "htmlparser2";

const FEED_TYPES = new Set(["application/rss+xml", "application/atom+xml", "application/feed+json", "application/json"]);

/**
 * Whether a document's start says it is HTML: a doctype or an html element, after an XML declaration (XHTML)
 * and comments, each comment readable one way only, so that a run of them cannot make the test backtrack.
 */
export function looksLikeHtml(text: string): boolean {
  return /^(?:<\?xml[^>]*>\s*)?(?:<!--(?:[^-]|-(?!->))*-->\s*)*<(?:!doctype\s+html\b|html\b)/i.test(text.trimStart());
}

/** The feeds a page names, as absolute addresses where `base` allows (the page's own address), each once. */
export function feedLinksOf(html: string, base: string | undefined): string[] {
  const found: string[] = [];
  const parser = new Parser({
    onopentag(name, attributes) {
      if (name !== "link" || !attributes.href) return;
      const rel = (attributes.rel ?? "").toLowerCase().split(/\s+/);
      if (!rel.includes("alternate") || !FEED_TYPES.has((attributes.type ?? "").toLowerCase().trim())) return;
      let href = attributes.href.trim();
      try {
        href = new URL(href, base).toString();
      } catch {
        // no base and a relative address: said as the page wrote it
      }
      if (!found.includes(href)) found.push(href);
    },
  });
  parser.end(html);
  return found;
}
