/**
 * Atom entries (1.0 and 0.3), as rss-parser hands them over (rss-parser.ts),
 * read into entries.
 */
import { xmlEntryMedia } from "./media";
import type { RawEntry } from "./raw-feed";
import type { RecoveredFields } from "./recovered-fields";
import type { ParsedItem } from "./rss-parser";
import { textConstruct } from "./text-construct";
import { authorOf, categoriesOf, entryId, str, updatedOf } from "./xml-entry";

export function atomEntry(item: ParsedItem, { markup, bases }: RecoveredFields): RawEntry {
  return {
    id: entryId(item),
    link: atomLink(item.linksXml) ?? str(item.link),
    title: textConstruct(item.titleXml, markup.title) ?? str(item.mediaTitle),
    summaryHtml: textConstruct(item.summaryXml, markup.summary),
    contentHtml: str(item["content:encoded"]) ?? textConstruct(item.contentXml, markup.content),
    published: str(item.published) ?? str(item.issued) ?? str(item.dctermsIssued) ?? str(item.dcDate),
    updated: updatedOf(item),
    author: authorOf(item),
    categories: categoriesOf(item),
    media: xmlEntryMedia(item, true),
    bases,
  };
}

/** The entry's page among Atom links: the first alternate (a link's rel defaults to it), its href or, lacking one, its text. */
function atomLink(links: unknown): string | undefined {
  for (const link of Array.isArray(links) ? links : []) {
    const attrs = (link && typeof link === "object" ? (link as { $?: Record<string, unknown> }).$ : undefined) ?? {};
    const rel = typeof attrs.rel === "string" ? attrs.rel.trim() : "alternate";
    if (rel !== "alternate") continue;
    const href = (typeof attrs.href === "string" ? attrs.href.trim() : "") || str(link);
    if (href) return href;
  }
  return undefined;
}
