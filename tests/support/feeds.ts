/**
 * Reading feeds back the way readers do: rss-parser for RSS and Atom,
 * fast-xml-parser for well-formedness and for the elements rss-parser does
 * not expose, and the JSON Feed 1.1 specification's rules for JSON.
 */
import Parser from "rss-parser";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { expect } from "vitest";

export const rssParser = new Parser({ customFields: { item: [["category", "categoryXml", { keepArray: true }]] } });

// Characters outside XML 1.0's Char production; the validator below does not check them.
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

export function expectWellFormedXml(xml: string): void {
  expect(xml).not.toMatch(NOT_XML_CHAR);
  const result = XMLValidator.validate(xml);
  expect(result, JSON.stringify(result)).toBe(true);
}

/** The XML as a plain object, attributes prefixed "@", every element an array. */
export function xmlTree(xml: string): Record<string, unknown> {
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "@",
    isArray: (_name: string, _path: unknown, _leaf: boolean, isAttribute: boolean) => !isAttribute,
    processEntities: true,
    htmlEntities: false,
  }).parse(xml) as Record<string, unknown>;
}

export const RFC822 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} (GMT|[+-]\d{4})$/;
export const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The rules of https://jsonfeed.org/version/1.1 for the fields feedwerk writes. */
export function expectValidJsonFeed(feed: Record<string, unknown>): void {
  expect(feed.version).toBe("https://jsonfeed.org/version/1.1");
  expect(typeof feed.title).toBe("string");
  for (const key of ["home_page_url", "feed_url"]) {
    if (feed[key] !== undefined) expect(new URL(feed[key] as string).protocol).toMatch(/^https?:$/);
  }
  expect(Array.isArray(feed.items)).toBe(true);
  const ids = new Set<string>();
  for (const item of feed.items as Record<string, unknown>[]) {
    expect(typeof item.id).toBe("string");
    ids.add(item.id as string);
    expect(typeof item.content_html === "string" || typeof item.content_text === "string").toBe(true);
    if (item.url !== undefined) expect(new URL(item.url as string).protocol).toMatch(/^https?:$/);
    for (const key of ["date_published", "date_modified"]) {
      if (item[key] !== undefined) expect(item[key]).toMatch(RFC3339);
    }
    if (item.authors !== undefined) {
      expect(Array.isArray(item.authors)).toBe(true);
      for (const author of item.authors as Record<string, unknown>[]) expect(typeof author.name).toBe("string");
    }
    if (item.tags !== undefined) expect((item.tags as unknown[]).every((t) => typeof t === "string")).toBe(true);
    for (const key of Object.keys(item)) {
      const known = ["id", "url", "external_url", "title", "content_html", "content_text", "summary", "image", "banner_image",
        "date_published", "date_modified", "authors", "tags", "language", "attachments"];
      expect(known.includes(key) || key.startsWith("_"), `unknown item field ${key}`).toBe(true);
    }
  }
  expect(ids.size).toBe((feed.items as unknown[]).length);
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" };
/** Decodes the entities escapeHtml writes: what a reader shows for an Atom type="html" title. */
export function decodeHtmlText(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_, name: string) => ENTITIES[name]!);
}
