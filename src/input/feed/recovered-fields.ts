/**
 * What rss-parser loses of an entry, read again from the entry's own source
 * (entry-sources.ts): markup written inline in its text elements
 * (inline-markup.ts), and the xml:base in scope at its link, content and
 * summary (xml-base.ts).
 */
import { entryBaseExcerpt, entryExcerpt } from "./entry-sources";
import { entryMarkup, hasInlineMarkup, type EntryMarkup } from "./inline-markup";
import type { ParsedItem } from "./rss-parser";
import { entryBases, type EntryBases } from "./xml-base";

export interface RecoveredFields {
  markup: EntryMarkup;
  bases: EntryBases | undefined;
}

/** `withBases`: the document uses xml:base somewhere. */
export function recoveredFields(item: ParsedItem, withBases: boolean): RecoveredFields {
  // only an element with elements inside needs its source read again
  const markupNeeded = hasInlineMarkup([item.titleXml, item.summaryXml, item.descriptionXml, item.contentXml, item.bodyXml, item.xhtmlBodyXml]);
  const excerpt = markupNeeded ? entryExcerpt(item) : undefined;
  const baseExcerpt = withBases ? entryBaseExcerpt(item) : undefined;
  // both or neither: undefined where the entry's source is not known
  if (excerpt === undefined && baseExcerpt === undefined) return { markup: {}, bases: undefined };
  return {
    markup: excerpt !== undefined ? (entryMarkup(excerpt)[0] ?? {}) : {},
    bases: baseExcerpt !== undefined ? entryBases(baseExcerpt)[0] : undefined,
  };
}
