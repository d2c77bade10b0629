/**
 * The values of rss-parser's items (rss-parser.ts), and the fields RSS items
 * and Atom entries are read alike from: identifier, date of update, author,
 * categories.
 */
import { windows1252Controls } from "./decode";
import type { ParsedItem } from "./rss-parser";

/** An element's text (xml2js gives an element with attributes as {_: text, $: attributes}), trimmed; undefined if empty. */
export function str(value: unknown): string | undefined {
  if (typeof value === "string") return windows1252Controls(value.trim()) || undefined;
  if (value && typeof value === "object" && "_" in value) return str((value as { _: unknown })._);
  return undefined;
}

export const entryId = (item: ParsedItem) => str(item.guid) ?? str(item.id);

export const updatedOf = (item: ParsedItem) =>
  str(Array.isArray(item.updatedXml) ? item.updatedXml.at(-1) : undefined) ?? str(item.modified) ?? str(item.dctermsModified);

export const authorOf = (item: ParsedItem) => authorName(str(item.creator) ?? str(item.author) ?? str(item.dcAuthor) ?? str(item.itunesAuthor));

/** RSS authors are often an address with the name in brackets, or the other way round: the name is what is kept. */
function authorName(author: string | undefined): string | undefined {
  if (!author) return author;
  const named = /^[^\s()@]+@[^\s()]+\s*\(([^()]+)\)$/.exec(author) ?? /^([^()]*[^\s()])\s*\([^\s()@]+@[^\s()]+\)$/.exec(author);
  return named ? named[1]!.trim() : author;
}

/** iTunes categories by their text attribute, a subcategory after the category it is nested in. */
function itunesCategories(elements: unknown): string[] {
  return (Array.isArray(elements) ? elements : []).flatMap((c: unknown) => {
    if (!c || typeof c !== "object") return [];
    const o = c as { $?: { text?: unknown }; "itunes:category"?: unknown };
    return [...(typeof o.$?.text === "string" ? [o.$.text] : []), ...itunesCategories(o["itunes:category"])];
  });
}

export function categoriesOf(item: ParsedItem): string[] {
  const out: string[] = itunesCategories(item.itunesCategories);
  const listed = [item.categoriesXml, item.dcSubject, item.mediaCategories].flatMap((l) => (Array.isArray(l) ? (l as unknown[]) : []));
  for (const c of listed) {
    if (typeof c === "string") out.push(c);
    else if (c && typeof c === "object") {
      const o = c as { _?: unknown; $?: { term?: string; label?: string } };
      const text = str(o._) ?? o.$?.label ?? o.$?.term;
      if (text) out.push(text);
    }
  }
  return out.map((c) => c.trim()).filter(Boolean);
}
