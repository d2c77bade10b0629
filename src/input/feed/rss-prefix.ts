/**
 * RSS written with a prefix for its own namespace and no default namespace
 * (`<r:rss xmlns:r="http://backend.userland.com/rss2">`, `<rss:item>` in
 * RSS 1.0): the same feed as without it, as feedparser reads it. rss-parser
 * knows elements by their written names only, so the prefix is removed
 * from element names before it reads them. Another namespace's element of
 * the same local name (`dc:description`) keeps its prefix and is not
 * mistaken for RSS's.
 */
const RSS_NAMESPACES = new Set([
  "http://purl.org/rss/1.0/",
  "http://backend.userland.com/rss2",
  "http://backend.userland.com/rss",
  "http://blogs.law.harvard.edu/tech/rss",
  "http://my.netscape.com/rdf/simple/0.9/",
]);
const PREFIX_DECLARATION = /\sxmlns:([A-Za-z_][\w.-]*)\s*=\s*["']([^"']*)["']/g;

export function withoutRssPrefix(text: string): string {
  if (!text.includes("xmlns:")) return text;
  const head = text.slice(0, 4096);
  const prefixes: string[] = [];
  for (const [, prefix, uri] of head.matchAll(PREFIX_DECLARATION)) if (RSS_NAMESPACES.has(uri!.trim())) prefixes.push(prefix!);
  if (!prefixes.length) return text;
  const tag = new RegExp(`<(/?)(?:${prefixes.join("|")}):(?=[A-Za-z_])`, "g");
  return text.replace(tag, "<$1");
}
