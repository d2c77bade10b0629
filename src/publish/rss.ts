/**
 * RSS 2.0 after the RSS Advisory Board's best-practices profile: an
 * atom:link to itself, guid with isPermaLink="false" (our guids are URNs),
 * RFC 822 dates, the HTML in content:encoded, the agency in dc:creator
 * (<author> is for e-mail addresses), tags as category. Media: RSS allows
 * one enclosure per item, so the one a podcast app should play is the
 * enclosure and the others are Media RSS content; an enclosure's duration,
 * which RSS has no attribute for, is said by a media:content of the same
 * file. Not itunes:duration: one iTunes element puts the whole feed under
 * Apple's channel rules (itunes:category from Apple's list, itunes:explicit,
 * an owner's e-mail, Apple's file formats), and a tag's feed, which mixes
 * stories and the episodes of any number of feeds, has nothing true to say
 * to them.
 */
import { escapeHtml } from "../normalise/html";
import type { FeedChannel } from "./feed-model";
import { contentHtmlOf, feedDescription, feedTitle, hasSummary, itemUrl, lastUpdate, mainEnclosure, UNKNOWN_TYPE } from "./feed-model";
import type { Media } from "../normalise/item";
import { cdataEl, emptyEl, PROLOG, textEl, xmlText } from "../xml/writer";

export function renderRss(channel: FeedChannel): string {
  const out: string[] = [PROLOG];
  // declared only by feeds that use it
  const mediaRss = channel.items.some(
    (i) => i.media && (i.media.thumbnail || i.media.enclosures.length > 1 || mainEnclosure(i.media.enclosures)?.durationSeconds != null),
  );
  out.push(
    '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"',
    mediaRss ? ` xmlns:media="${MEDIA_RSS}"` : "",
    ">\n<channel>\n",
    textEl("title", feedTitle(channel)),
    "\n",
    textEl("link", channel.homeUrl),
    "\n",
    textEl("description", feedDescription(channel)),
    "\n",
    textEl("language", "de"),
    "\n",
    textEl("lastBuildDate", lastUpdate(channel).toUTCString()),
    "\n",
    textEl("docs", "https://www.rssboard.org/rss-specification"),
    "\n",
    textEl("generator", "feedwerk"),
    "\n",
    emptyEl("atom:link", { href: channel.selfUrl, rel: "self", type: "application/rss+xml" }),
    "\n",
  );
  for (const [rel, href] of Object.entries(channel.paging ?? {})) if (href) out.push(emptyEl("atom:link", { href, rel }), "\n");
  if (channel.hub) out.push(emptyEl("atom:link", { href: channel.hub, rel: "hub" }), "\n");

  const domain = xmlText(`${channel.base}/feeds/`);
  for (const item of channel.items) {
    out.push(
      "<item>\n",
      textEl("title", item.title),
      "\n",
      textEl("link", itemUrl(channel.base, item)),
      "\n",
      textEl("guid", item.guid, { isPermaLink: "false" }),
      "\n",
    );
    // an undated story (an untimed teaser) claims no time: readers date it when they see it, as feedwerk did
    if (item.publishedAt) out.push(textEl("pubDate", item.publishedAt.toUTCString()), "\n");
    // description is HTML to every reader: the plain summary goes in escaped. An item needs a title or a
    // description, not both: an entry that brought a headline alone gets neither description nor content;
    // content comes after a description, if an empty one (validators warn of content:encoded without it)
    const content = contentHtmlOf(item);
    if (content || hasSummary(item)) out.push(textEl("description", escapeHtml(item.summary)), "\n");
    if (content) out.push(cdataEl("content:encoded", content), "\n");
    if (item.agency) out.push(textEl("dc:creator", item.agency), "\n");
    for (const tag of item.memberOf) out.push(`<category domain="${domain}${xmlText(tag.slug)}">${xmlText(tag.label)}</category>\n`);
    if (item.media) out.push(mediaElements(item.media));
    out.push("</item>\n");
  }
  out.push("</channel>\n</rss>\n");
  return out.join("");
}

const MEDIA_RSS = "http://search.yahoo.com/mrss/";

function mediaElements(media: Media): string {
  const out: string[] = [];
  const main = mainEnclosure(media.enclosures);
  if (main) {
    // length is required: 0 where unknown, as the best-practices profile says
    out.push(emptyEl("enclosure", { url: main.url, length: main.length ?? 0, type: main.type ?? UNKNOWN_TYPE }), "\n");
  }
  for (const e of media.enclosures) {
    // the enclosure's own file only to say its duration
    if (e === main && main.durationSeconds == null) continue;
    out.push(emptyEl("media:content", { url: e.url, type: e.type, fileSize: e.length, duration: e.durationSeconds }), "\n");
  }
  if (media.thumbnail) {
    const { url, width, height } = media.thumbnail;
    out.push(emptyEl("media:thumbnail", { url, width, height }), "\n");
  }
  return out.join("");
}
