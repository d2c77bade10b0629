/**
 * RSS 2.0 after the RSS Advisory Board's best-practices profile: an
 * atom:link to itself, guid with isPermaLink="false" (our guids are URNs),
 * RFC 822 dates, the HTML in content:encoded, the agency in dc:creator
 * (<author> is for e-mail addresses), tags as category.
 */
import { escapeHtml } from "../normalise/html";
import type { FeedChannel } from "./feed-model";
import { contentHtmlOf, feedDescription, feedTitle, itemUrl, lastUpdate, publishedOf } from "./feed-model";
import { cdataEl, emptyEl, prolog, textEl, xmlText } from "./xml-writer";

export function renderRss(channel: FeedChannel): string {
  const out: string[] = [prolog(channel.stylesheet)];
  out.push(
    '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n',
    textEl("title", feedTitle(channel)), "\n",
    textEl("link", channel.homeUrl), "\n",
    textEl("description", feedDescription(channel)), "\n",
    textEl("language", "de"), "\n",
    textEl("lastBuildDate", lastUpdate(channel).toUTCString()), "\n",
    textEl("docs", "https://www.rssboard.org/rss-specification"), "\n",
    textEl("generator", "feedwerk"), "\n",
    emptyEl("atom:link", { href: channel.selfUrl, rel: "self", type: "application/rss+xml" }), "\n",
  );
  for (const [rel, href] of Object.entries(channel.paging ?? {})) if (href) out.push(emptyEl("atom:link", { href, rel }), "\n");
  if (channel.hub) out.push(emptyEl("atom:link", { href: channel.hub, rel: "hub" }), "\n");

  const domain = xmlText(`${channel.base}/feeds/`);
  for (const item of channel.items) {
    out.push(
      "<item>\n",
      textEl("title", item.title), "\n",
      textEl("link", itemUrl(channel.base, item)), "\n",
      textEl("guid", item.guid, { isPermaLink: "false" }), "\n",
      textEl("pubDate", publishedOf(item).toUTCString()), "\n",
      // description is HTML to every reader: the plain summary goes in escaped
      textEl("description", escapeHtml(item.summary)), "\n",
      cdataEl("content:encoded", contentHtmlOf(item)), "\n",
    );
    if (item.agency) out.push(textEl("dc:creator", item.agency), "\n");
    for (const tag of item.memberOf) out.push(`<category domain="${domain}${xmlText(tag.slug)}">${xmlText(tag.label)}</category>\n`);
    out.push("</item>\n");
  }
  out.push("</channel>\n</rss>\n");
  return out.join("");
}
