/** JSON Feed 1.1, with what the other formats cannot carry under "_feedwerk". */
import { isoSeconds } from "../normalise/item";
import { stripNonXmlChars } from "../normalise/text";
import type { FeedChannel } from "./feed-model";
import type { Media } from "../normalise/item";
import { contentHtmlOf, feedDescription, feedTitle, hasSummary, itemUrl, UNKNOWN_TYPE } from "./feed-model";

export function renderJsonFeed(channel: FeedChannel): string {
  const body = {
    version: "https://jsonfeed.org/version/1.1",
    title: feedTitle(channel),
    home_page_url: channel.homeUrl,
    feed_url: channel.selfUrl,
    ...(channel.paging?.next ? { next_url: channel.paging.next } : {}),
    description: feedDescription(channel),
    // JSON Feed knows no first or previous page; readers ignore "_" extensions
    ...(channel.paging?.previous ? { _feedwerk: { first_url: channel.paging.first, previous_url: channel.paging.previous } } : {}),
    language: "de",
    ...(channel.hub ? { hubs: [{ type: "WebSub", url: channel.hub }] } : {}),
    items: channel.items.map((item) => ({
      id: item.guid,
      url: itemUrl(channel.base, item),
      // the same text in every format: what XML cannot carry is dropped here too
      title: stripNonXmlChars(item.title),
      content_html: stripNonXmlChars(contentHtmlOf(item)),
      // optional in JSON Feed: an entry that brought a headline alone has none
      ...(hasSummary(item) ? { summary: stripNonXmlChars(item.summary) } : {}),
      // optional in JSON Feed: an undated story (an untimed teaser) claims no time of publication
      ...(item.publishedAt ? { date_published: isoSeconds(item.publishedAt) } : {}),
      date_modified: isoSeconds(item.updatedAt),
      ...(item.agency ? { authors: [{ name: stripNonXmlChars(item.agency) }] } : {}),
      tags: item.memberOf.map((t) => stripNonXmlChars(t.label)),
      language: "de",
      ...(item.media ? mediaFields(item.media) : {}),
      _feedwerk: {
        kind: item.kind,
        kicker: item.kicker,
        agency: item.agency,
        dateline: item.dateline,
        comment_count: item.commentCount,
        image: item.image,
        date_precision: item.precision,
      },
    })),
  };
  return JSON.stringify(body, null, 2);
}

function mediaFields(media: Media) {
  return {
    ...(media.thumbnail ? { image: media.thumbnail.url } : {}),
    ...(media.enclosures.length
      ? {
          attachments: media.enclosures.map((e) => ({
            url: e.url,
            mime_type: e.type ?? UNKNOWN_TYPE,
            ...(e.title ? { title: stripNonXmlChars(e.title) } : {}),
            ...(e.length !== null ? { size_in_bytes: e.length } : {}),
            ...(e.durationSeconds !== null ? { duration_in_seconds: e.durationSeconds } : {}),
          })),
        }
      : {}),
  };
}
