/**
 * rss-parser as feedwerk uses it: the fields it copies from each entry beside
 * its own, what it is kept from doing (dates, snippets), and the source of
 * each entry noted as it parses (entry-sources.ts).
 */
import Parser from "rss-parser";
import { noteEntrySources, withSources, type SaxParser } from "./entry-sources";
import { MEDIA_FIELDS } from "./media";

/** An RSS item or Atom entry as rss-parser hands it over: its own fields and the custom fields below. */
export type ParsedItem = Record<string, unknown> & { categoriesXml?: unknown[] };

const parser = new Parser<Record<string, unknown>, ParsedItem>({
  // <rss> without a version, or with one rss-parser does not know, is read as RSS 2.0, as readers do
  defaultRSS: 2,
  customFields: {
    feed: ["ttl", "sy:updatePeriod", "sy:updateFrequency"],
    item: [
      ["category", "categoriesXml", { keepArray: true }],
      // feedparser keeps the last of several <updated>
      ["updated", "updatedXml", { keepArray: true }],
      ["published", "published"],
      ["dc:date", "dcDate"],
      // Atom 0.3's dates, and Dublin Core's terms for them
      ["issued", "issued"],
      ["modified", "modified"],
      ["dcterms:issued", "dctermsIssued"],
      ["dcterms:modified", "dctermsModified"],
      ["dc:author", "dcAuthor"],
      ["itunes:author", "itunesAuthor"],
      ["guid", "guidXml", { keepArray: true }],
      ["itunes:summary", "itunesSummary"],
      ["itunes:category", "itunesCategories", { keepArray: true }],
      ["media:category", "mediaCategories", { keepArray: true }],
      ["media:title", "mediaTitle"],
      ["description", "descriptionXml", { keepArray: true }],
      ["dc:subject", "dcSubject", { keepArray: true }],
      ...MEDIA_FIELDS,
      // Atom text constructs, for their type attribute (kept as arrays: rss-parser flattens single elements to their text)
      ["title", "titleXml", { keepArray: true }],
      ["summary", "summaryXml", { keepArray: true }],
      ["content", "contentXml", { keepArray: true }],
      // RSS bodies feedparser reads as the content: XHTML inline (<body>, <xhtml:body>) or escaped (<fullitem>)
      ["body", "bodyXml", { keepArray: true }],
      ["xhtml:body", "xhtmlBodyXml", { keepArray: true }],
      ["fullitem", "fullitem"],
    ],
  },
});

export type ParsedFeed = Awaited<ReturnType<typeof parser.parseString>>;

interface Xml2js {
  saxParser: SaxParser;
  once(event: "end" | "error", listener: () => void): void;
  reset(): void;
}

/** rss-parser on a document; its items' entries can be found again (entryExcerpt in entry-sources.ts). */
export function parseFeedXml(xml: string): Promise<ParsedFeed> {
  // xml2js's sax parser for this document (a new one after each)
  const xml2js = (parser as unknown as { xmlParser: Xml2js }).xmlParser;
  // xml2js parses synchronously and answers when the root element closes, or with an error. A document with
  // no element at all (only an XML declaration: a body cut short) gets neither: its answer would stay pending,
  // and its listeners would answer with the next document's feed. Such a document is one xml2js cannot parse.
  let answered = false;
  const answer = () => {
    answered = true;
  };
  xml2js.once("end", answer);
  xml2js.once("error", answer);
  const parsed = noteEntrySources(xml2js.saxParser, xml, () => parser.parseString(xml));
  if (answered) return parsed;
  xml2js.reset();
  return Promise.reject(new Error("Unable to parse XML."));
}

/**
 * rss-parser turns an Atom entry's published or updated date into an ISO
 * string itself, and throws on one it cannot read, refusing the whole feed.
 * Dates are read here (dates.ts; an unreadable one leaves the entry undated),
 * so rss-parser is given the entry without them, and they are added back as
 * the custom fields it would have copied. Its summary goes the same way
 * (rss-parser would write it out again as a string, which nothing reads),
 * and so does content that is text: rss-parser would add a plain-text
 * snippet of it, which nothing reads either; its string is set as
 * rss-parser sets it (rss.ts reads it where a document read as RSS holds
 * Atom entries). Content that holds elements is left to rss-parser, which
 * writes it out with xml2js's builder.
 */
const atomParser = parser as unknown as { parseItemAtom(entry: Record<string, unknown>): ParsedItem };
const parseItemAtom = atomParser.parseItemAtom.bind(parser);
atomParser.parseItemAtom = (entry) => {
  // an entry with no element in it is xml2js's string (its text): given as an object of no fields, as a copy makes it
  if (typeof entry !== "object" || entry === null) return parseItemAtom({ ...(entry as object) });
  const { published, updated, summary, content } = entry;
  const first: unknown = Array.isArray(content) ? content[0] : undefined;
  const text = typeof first === "string" ? first : typeof (first as { _?: unknown } | undefined)?._ === "string" ? (first as { _: string })._ : undefined;
  const hidden = text === undefined ? ATOM_DATES_SUMMARY : ATOM_DATES_SUMMARY_CONTENT;
  const item = withHidden(entry, hidden, () => parseItemAtom(entry));
  if (Array.isArray(published)) item.published = published[0];
  if (Array.isArray(updated)) item.updatedXml = updated;
  // as rss-parser copies the custom fields kept as arrays, and its content
  if (summary !== undefined) item.summaryXml = summary;
  if (text !== undefined) {
    item.contentXml = content;
    item.content = text;
  }
  return item;
};
const ATOM_DATES_SUMMARY = ["published", "updated", "summary"];
const ATOM_DATES_SUMMARY_CONTENT = [...ATOM_DATES_SUMMARY, "content"];

/** `call` with `keys` taken off `object` and put back: xml2js's objects have no prototype, and a copy of one is slow. */
function withHidden<T>(object: Record<string, unknown>, keys: string[], call: () => T): T {
  const values = keys.map((key) => object[key]);
  for (const key of keys) delete object[key];
  try {
    return call();
  } finally {
    for (const [n, key] of keys.entries()) if (values[n] !== undefined) object[key] = values[n];
  }
}

/**
 * Work rss-parser does for every RSS item that nothing here reads, left out: an ISO copy of its
 * date (isoDate; dates.ts reads dates) and a plain-text snippet of its description and of its
 * content:encoded (contentSnippet; to-items makes the text it keeps, once). A description that
 * is text, as nearly every one is, is handed over as rss-parser would: as `content`, and as the
 * custom field above.
 */
type ItemFields = (string | [string, string, { keepArray?: boolean; includeSnippet?: boolean }?])[];
const rssParser = parser as unknown as {
  setISODate(item: ParsedItem): void;
  parseItemRss(xmlItem: Record<string, unknown>, fields: ItemFields): ParsedItem;
};
rssParser.setISODate = () => {};
const parseItemRss = rssParser.parseItemRss.bind(parser);
const withoutSnippets = new WeakMap<ItemFields, ItemFields>();
rssParser.parseItemRss = (xmlItem, fields) => {
  let own = withoutSnippets.get(fields);
  if (!own) {
    own = fields.map((f) => (Array.isArray(f) && f[2]?.includeSnippet ? [f[0], f[1], { ...f[2], includeSnippet: false }] : f));
    withoutSnippets.set(fields, own);
  }
  const description = xmlItem.description;
  if (!Array.isArray(description) || typeof description[0] !== "string") return parseItemRss(xmlItem, own);
  const item = withHidden(xmlItem, ["description"], () => parseItemRss(xmlItem, own));
  item.content = description[0];
  item.descriptionXml = description;
  return item;
};

/** The feeds rss-parser builds, as it builds them, each item tied to the entry it was read from. */
const builder = parser as unknown as {
  buildAtomFeed(xmlObj: unknown): ParsedFeed;
  buildRSS(channel: unknown, items: unknown): ParsedFeed;
};
const buildAtomFeed = builder.buildAtomFeed.bind(parser);
builder.buildAtomFeed = (xmlObj) => withSources(buildAtomFeed(xmlObj));
const buildRSS = builder.buildRSS.bind(parser);
builder.buildRSS = (channel, items) => withSources(buildRSS(channel, items));
