/**
 * RSS items (0.9x, 1.0 and 2.0), as rss-parser hands them over
 * (rss-parser.ts), read into entries.
 */
import { xmlEntryMedia } from "./media";
import { textAsHtml, type RawEntry } from "./raw-feed";
import type { RecoveredFields } from "./recovered-fields";
import type { ParsedItem } from "./rss-parser";
import { textConstruct } from "./text-construct";
import { authorOf, categoriesOf, entryId, str, updatedOf } from "./xml-entry";

export function rssEntry(item: ParsedItem, { markup, bases }: RecoveredFields): RawEntry {
  const body = textConstruct(item.bodyXml, markup.body, true) ?? textConstruct(item.xhtmlBodyXml, markup.body, true) ?? str(item.fullitem);
  return {
    id: entryId(item),
    link: str(item.link) ?? permalinkGuid(first(item.guidXml)),
    title: textConstruct(item.titleXml, markup.title, true) ?? str(item.title) ?? str(item.mediaTitle),
    summaryHtml: textConstruct(item.descriptionXml, markup.summary, true) ?? str(item.content) ?? escapeText(str(item.itunesSummary)),
    contentHtml: str(item["content:encoded"]) ?? body,
    published: str(item.published) ?? str(item.pubDate) ?? str(item.issued) ?? str(item.dctermsIssued) ?? str(item.dcDate),
    updated: updatedOf(item),
    author: authorOf(item),
    categories: categoriesOf(item),
    media: xmlEntryMedia(item, false),
    bases,
  };
}

const first = (value: unknown) => (Array.isArray(value) ? (value[0] as unknown) : undefined);

// itunes:summary is plain text
const escapeText = (t: string | undefined) => (t === undefined ? undefined : textAsHtml(t));

/** An RSS guid that is a web address and not marked isPermaLink="false" is the item's link where it has no other. */
function permalinkGuid(guid: unknown): string | undefined {
  const value = str(guid);
  const attrs = guid && typeof guid === "object" ? ((guid as { $?: Record<string, unknown> }).$ ?? {}) : {};
  if (
    !value ||
    String(attrs.isPermaLink ?? "")
      .trim()
      .toLowerCase() === "false"
  )
    return undefined;
  return /^https?:\/\/[^\s]+$/i.test(value) ? value : undefined;
}
