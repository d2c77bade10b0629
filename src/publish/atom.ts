/**
 * Atom 1.0 (RFC 4287): id, title, updated and author on the feed (teasers
 * may have no agency, and every entry needs an author), self, alternate and
 * paging links, and per entry id, published, updated, summary and HTML content,
 * a rel="enclosure" link per media file and a Media RSS thumbnail.
 */
import { isoSeconds } from "../normalise/item";
import type { FeedChannel } from "./feed-model";
import { contentHtmlOf, feedDescription, feedId, feedTitle, hasSummary, itemUrl, lastUpdate, UNKNOWN_TYPE } from "./feed-model";
import { cdataEl, emptyEl, PROLOG, textEl, xmlText } from "../xml/writer";

export function renderAtom(channel: FeedChannel): string {
  const out: string[] = [PROLOG];
  const thumbnails = channel.items.some((i) => i.media?.thumbnail);
  out.push(
    `<feed xmlns="http://www.w3.org/2005/Atom"${thumbnails ? ' xmlns:media="http://search.yahoo.com/mrss/"' : ""} xml:lang="de">\n`,
    textEl("id", feedId(channel)),
    "\n",
    textEl("title", feedTitle(channel)),
    "\n",
    textEl("subtitle", feedDescription(channel)),
    "\n",
    textEl("updated", isoSeconds(lastUpdate(channel))),
    "\n",
    "<author>",
    textEl("name", "feedwerk"),
    "</author>\n",
    textEl("generator", "feedwerk"),
    "\n",
    emptyEl("link", { rel: "self", type: "application/atom+xml", href: channel.selfUrl }),
    "\n",
    emptyEl("link", { rel: "alternate", type: "text/html", href: channel.homeUrl }),
    "\n",
  );
  for (const [rel, href] of Object.entries(channel.paging ?? {})) if (href) out.push(emptyEl("link", { rel, href }), "\n");
  if (channel.hub) out.push(emptyEl("link", { rel: "hub", href: channel.hub }), "\n");

  const scheme = xmlText(`${channel.base}/feeds/`);
  for (const item of channel.items) {
    out.push(
      "<entry>\n",
      textEl("id", item.guid),
      "\n",
      textEl("title", item.title),
      "\n",
      emptyEl("link", { rel: "alternate", type: "text/html", href: itemUrl(channel.base, item) }),
      "\n",
      textEl("updated", isoSeconds(item.updatedAt)),
      "\n",
    );
    // optional in Atom: an undated story (an untimed teaser) claims no time of publication
    if (item.publishedAt) out.push(textEl("published", isoSeconds(item.publishedAt)), "\n");
    for (const e of item.media?.enclosures ?? []) {
      // length is optional in Atom: left out where unknown rather than written as 0; a type is
      // written always, since readers take a link without one for a web page (feedparser: text/html)
      out.push(emptyEl("link", { rel: "enclosure", href: e.url, type: e.type ?? UNKNOWN_TYPE, length: e.length, title: e.title }), "\n");
    }
    const thumbnail = item.media?.thumbnail;
    if (thumbnail) out.push(emptyEl("media:thumbnail", { url: thumbnail.url, width: thumbnail.width, height: thumbnail.height }), "\n");
    if (item.agency) out.push("<author>", textEl("name", item.agency), "</author>\n");
    for (const tag of item.memberOf) out.push(`<category term="${xmlText(tag.slug)}" label="${xmlText(tag.label)}" scheme="${scheme}"/>\n`);
    // a summary is optional beside content; an empty one says nothing (and readers show it as blank)
    if (hasSummary(item)) out.push(textEl("summary", item.summary), "\n");
    // an entry that brought a headline alone still gets content: the W3C validator asks every entry for textual
    // content that is not blank (MissingTextualContent, NotBlank), and an empty paragraph is the least readers show
    out.push(cdataEl("content", contentHtmlOf(item) || "<p></p>", { type: "html" }), "\n", "</entry>\n");
  }
  out.push("</feed>\n");
  return out.join("");
}
