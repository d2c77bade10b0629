/**
 * Reads a feed document, whatever its dialect: RSS 0.9x, RSS 1.0 (RDF),
 * RSS 2.0 and Atom through rss-parser, JSON Feed 1.0 and 1.1 here. The
 * result is still the feed's own vocabulary; to-items turns it into items.
 */
import { feedLinksOf, looksLikeHtml } from "./html-page";
import Parser from "rss-parser";
import { decodeFeedDocument, windows1252Controls } from "./decode";
import { FeedFormatError } from "./errors";
import { entryMarkup, hasInlineMarkup, type EntryMarkup } from "./inline-markup";
import { jsonItemMedia, MEDIA_FIELDS, xmlEntryMedia, type RawMedia } from "./media";
import { mayHideFaults, recoverXml, withChannel } from "./recover";
import { withoutRssPrefix } from "./rss-prefix";
import { entryBases, type EntryBases } from "./xml-base";

export interface RawEntry {
  id?: string | undefined;
  link?: string | undefined;
  title?: string | undefined;
  /** HTML (RSS description, Atom summary, JSON summary escaped). */
  summaryHtml?: string | undefined;
  contentHtml?: string | undefined;
  published?: string | undefined;
  updated?: string | undefined;
  author?: string | undefined;
  categories: string[];
  media?: RawMedia | undefined;
  /** xml:base chains in scope at the entry's link, content and summary, where the document uses xml:base. */
  bases?: EntryBases | undefined;
}

export interface RawFeed {
  format: "rss" | "atom" | "json";
  title?: string | undefined;
  /** The site the feed belongs to: RSS channel link, Atom alternate link, JSON Feed home_page_url. */
  link?: string | undefined;
  /** xml:base of the document, if it names one. */
  base?: string | undefined;
  /** Minutes: RSS ttl, or sy:updatePeriod × sy:updateFrequency. */
  ttlMinutes?: number | undefined;
  /** Why the document is broken, if it is (feedparser's bozo): its entries were read as lenient readers read them. */
  bozo?: string | undefined;
  entries: RawEntry[];
}

type Item = Record<string, unknown> & { categoriesXml?: unknown[] };

const parser = new Parser<Record<string, unknown>, Item>({
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

/**
 * rss-parser turns an Atom entry's published or updated date into an ISO
 * string itself, and throws on one it cannot read, refusing the whole feed.
 * Dates are read here (dates.ts; an unreadable one leaves the entry undated),
 * so rss-parser is given the entry without them, and they are added back as
 * the custom fields it would have copied.
 */
const atomParser = parser as unknown as { parseItemAtom(entry: Record<string, unknown>): Item };
const parseItemAtom = atomParser.parseItemAtom.bind(parser);
atomParser.parseItemAtom = (entry) => {
  const { published, updated, ...rest } = entry;
  const item = parseItemAtom(rest);
  if (Array.isArray(published)) item.published = published[0];
  if (Array.isArray(updated)) item.updatedXml = updated;
  return item;
};

/**
 * Work rss-parser does for every RSS item that nothing here reads, left out: an ISO copy of its
 * date (isoDate; dates.ts reads dates) and a plain-text snippet of its description and of its
 * content:encoded (contentSnippet; to-items makes the text it keeps, once). A description that
 * is text, as nearly every one is, is handed over as rss-parser would: as `content`, and as the
 * custom field above.
 */
type ItemFields = (string | [string, string, { keepArray?: boolean; includeSnippet?: boolean }?])[];
const rssParser = parser as unknown as {
  setISODate(item: Item): void;
  parseItemRss(xmlItem: Record<string, unknown>, fields: ItemFields): Item;
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
  const { description: _, ...rest } = xmlItem;
  const item = parseItemRss(rest, own);
  item.content = description[0];
  item.descriptionXml = description;
  return item;
};

/** Bytes as fetched: decoded (see decode.ts), then read; an encoding that is not the declared one makes the feed broken too. */
export async function readFeedDocument(bytes: Uint8Array, contentType: string | null = null, url?: string): Promise<RawFeed> {
  const { text, warning } = decodeFeedDocument(bytes, contentType);
  const feed = await readFeed(text, url);
  const bozo = [warning, feed.bozo].filter(Boolean).join("; ");
  return bozo ? { ...feed, bozo } : feed;
}

/** `url`, where the document came from, makes the feed addresses a web page names absolute in the error that says so. */
export async function readFeed(text: string, url?: string): Promise<RawFeed> {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{")) return readJsonFeed(trimmed);
  if (!trimmed.startsWith("<")) throw new FeedFormatError("not a feed: neither XML nor JSON");
  if (looksLikeHtml(trimmed)) {
    const feeds = feedLinksOf(trimmed, url);
    throw new FeedFormatError(
      feeds.length
        ? `a web page, not a feed; it names ${feeds.length === 1 ? "its feed" : "these feeds"}: ${feeds.join(", ")}: follow ${feeds.length === 1 ? "that address" : "one of those"} instead, or read the page itself as a page of teasers (\`sources add --page URL\`, or "page": true in a sources file)`
        : 'a web page, not a feed, and it names none (no <link rel="alternate" type="application/rss+xml">)',
    );
  }
  const { feed, xml, bozo } = await parseXml(trimmed);
  // comments spelled so that a run of them can be read one way only: a lazy [\s\S]*? inside the repeat would
  // try every split of forty comments before failing (minutes of a reading thread for one document)
  const atom = /^\s*(?:<\?xml[^>]*>\s*)?(?:<!--(?:[^-]|-(?!->))*-->\s*)*<feed\b/.test(xml);
  const base = /<(?:feed|rss|rdf:RDF|channel)\b[^>]*\sxml:base\s*=\s*["']([^"']+)["']/.exec(xml.slice(0, 4096))?.[1];
  const bases = xml.includes("xml:base") ? entryBases(xml) : [];
  const inline = (item: Item) => [item.titleXml, item.summaryXml, item.descriptionXml, item.contentXml, item.bodyXml, item.xhtmlBodyXml];
  const markup = feed.items.some((item) => hasInlineMarkup(inline(item))) ? entryMarkup(xml) : [];
  return {
    format: atom ? "atom" : "rss",
    title: str(feed.title),
    link: str(feed.link),
    base,
    ttlMinutes: ttlOf(feed),
    bozo,
    entries: feed.items.map((item, n) => {
      // entries are matched to rss-parser's by position: only when both passes saw the same entries
      const own: EntryMarkup = markup.length === feed.items.length ? markup[n]! : {};
      const body = textConstruct(item.bodyXml, own.body, true) ?? textConstruct(item.xhtmlBodyXml, own.body, true) ?? str(item.fullitem);
      return {
        id: str(item.guid) ?? str(item.id),
        link: atom ? (atomLink(item.linksXml) ?? str(item.link)) : (str(item.link) ?? permalinkGuid(first(item.guidXml))),
        title: (atom ? textConstruct(item.titleXml, own.title) : (textConstruct(item.titleXml, own.title, true) ?? str(item.title))) ?? str(item.mediaTitle),
        summaryHtml: atom
          ? textConstruct(item.summaryXml, own.summary)
          : (textConstruct(item.descriptionXml, own.summary, true) ?? str(item.content) ?? escapeText(str(item.itunesSummary))),
        contentHtml: str(item["content:encoded"]) ?? (atom ? textConstruct(item.contentXml, own.content) : body),
        published: str(item.published) ?? (atom ? undefined : str(item.pubDate)) ?? str(item.issued) ?? str(item.dctermsIssued) ?? str(item.dcDate),
        updated: str(Array.isArray(item.updatedXml) ? item.updatedXml.at(-1) : undefined) ?? str(item.modified) ?? str(item.dctermsModified),
        author: authorName(str(item.creator) ?? str(item.author) ?? str(item.dcAuthor) ?? str(item.itunesAuthor)),
        categories: categoriesOf(item),
        media: xmlEntryMedia(item, atom),
        bases: bases.length === feed.items.length ? bases[n] : undefined,
      };
    }),
  };
}

type ParsedXml = Awaited<ReturnType<typeof parser.parseString>>;

/**
 * rss-parser on the document as it is, or, if that is not well-formed XML,
 * on what a lenient reading recovers from it. A broken document that
 * yields no entry is refused with the reason it is broken.
 */
async function parseXml(document: string): Promise<{ feed: ParsedXml; xml: string; bozo?: string | undefined }> {
  const text = withChannel(withoutRssPrefix(document));
  let reason: string | undefined;
  if (!mayHideFaults(text)) {
    try {
      return { feed: await parser.parseString(text), xml: text };
    } catch (error) {
      const described = describeXmlError(error as Error);
      // well-formed, but not a feed: nothing to recover
      if (described === null) throw new FeedFormatError(`not a readable RSS or Atom feed: ${firstLine(error as Error)}`);
      reason = described;
    }
  }
  const recovered = recoverXml(text);
  let bozo = recovered.fault ?? reason;
  let xml = bozo ? recovered.xml : text;
  let feed: ParsedXml;
  try {
    feed = await parser.parseString(xml);
  } catch (error) {
    const described = describeXmlError(error as Error);
    // a fault the tokenizer mended without naming it (an end tag cut short): the XML parser names it
    if (!bozo && described !== null && recovered.xml !== text) {
      bozo = described;
      xml = recovered.xml;
      feed = await parser.parseString(xml).catch((again: Error) => {
        throw new FeedFormatError(`not a readable RSS or Atom feed: ${described} (${firstLine(again)})`);
      });
    } else {
      const why = bozo ? `${bozo} (${firstLine(error as Error)})` : (described ?? firstLine(error as Error));
      throw new FeedFormatError(`not a readable RSS or Atom feed: ${why}`);
    }
  }
  if (bozo && !feed.items.length) throw new FeedFormatError(`not a readable RSS or Atom feed: ${bozo}, and no entry could be recovered`);
  return { feed, xml, bozo };
}

/** The first line of a parser's message; rss-parser's stumbles over shapes it does not expect (a TypeError) are said in words, not in its internals. */
const firstLine = (error: Error) => (error instanceof TypeError ? "its elements are not where RSS or Atom put them" : error.message.split("\n")[0]!);

const first = (value: unknown) => (Array.isArray(value) ? (value[0] as unknown) : undefined);

/** sax's message with its line (counted from 1), or null where the XML is not what failed. */
function describeXmlError(error: Error): string | null {
  // rss-parser's own complaints, and its stumbles over shapes it does not expect (a TypeError), are no XML faults
  if (error instanceof TypeError || /^Feed not recognized|default RSS version/.test(error.message)) return null;
  const line = /\nLine: (\d+)/.exec(error.message)?.[1];
  const what = firstLine(error).replace(/\.$/, "");
  return line === undefined ? what : `${what} at line ${Number(line) + 1}`;
}

const escapeHtml = (t: string) => t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
// itunes:summary is plain text
const escapeText = (t: string | undefined) => (t === undefined ? undefined : escapeHtml(t));

/**
 * A text construct as HTML, from its first element: markup written inline is
 * taken from the document's source (inline-markup.ts); `mode="base64"` is
 * decoded; Atom's type "text" (the default, unless `htmlByDefault`) is text,
 * escaped so that it is decoded once, not read as markup.
 */
function textConstruct(elements: unknown, inline: string | undefined, htmlByDefault = false): string | undefined {
  const first = Array.isArray(elements) ? (elements[0] as unknown) : elements;
  if (first === undefined || first === null) return undefined;
  const attrs = typeof first === "object" ? ((first as { $?: Record<string, unknown> }).$ ?? {}) : {};
  const type = typeof attrs.type === "string" ? attrs.type.trim().toLowerCase() : undefined;
  const mode = typeof attrs.mode === "string" ? attrs.mode.trim().toLowerCase() : undefined;
  // Atom 0.3 says so with mode="base64"; Atom 1.0 base64-encodes content of any media type but text and XML
  const base64 = mode === "base64" || (type?.includes("/") && !/^text\/|[+/]xml$/.test(type));
  const explicitText = type === "text" || type === "text/plain";
  // decoded bytes are read as markup, as feedparser reads them, unless declared text
  const isText = base64 ? explicitText : type === undefined ? !htmlByDefault : explicitText;
  const hasElements = typeof first === "object" && Object.keys(first).some((k) => k !== "_" && k !== "$");
  if (hasElements && inline !== undefined) return inline || undefined;
  const value = str(first);
  if (value === undefined) return undefined;
  const decoded = base64 ? fromBase64(value) : value;
  // what does not decode is shown as the text it is
  return decoded === undefined || isText ? escapeHtml(decoded ?? value) : decoded;
}

/** UTF-8 text from base64; undefined where it is not base64 of UTF-8 text. */
function fromBase64(value: string): string | undefined {
  try {
    const binary = atob(value.replace(/\s+/g, ""));
    return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))).trim();
  } catch {
    return undefined;
  }
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

/** RSS authors are often an address with the name in brackets, or the other way round: the name is what is kept. */
function authorName(author: string | undefined): string | undefined {
  if (!author) return author;
  const named = /^[^\s()@]+@[^\s()]+\s*\(([^()]+)\)$/.exec(author) ?? /^([^()]*[^\s()])\s*\([^\s()@]+@[^\s()]+\)$/.exec(author);
  return named ? named[1]!.trim() : author;
}

function str(value: unknown): string | undefined {
  if (typeof value === "string") return windows1252Controls(value.trim()) || undefined;
  if (value && typeof value === "object" && "_" in value) return str((value as { _: unknown })._);
  return undefined;
}

/** iTunes categories by their text attribute, a subcategory after the category it is nested in. */
function itunesCategories(elements: unknown): string[] {
  return (Array.isArray(elements) ? elements : []).flatMap((c: unknown) => {
    if (!c || typeof c !== "object") return [];
    const o = c as { $?: { text?: unknown }; "itunes:category"?: unknown };
    return [...(typeof o.$?.text === "string" ? [o.$.text] : []), ...itunesCategories(o["itunes:category"])];
  });
}

function categoriesOf(item: Item): string[] {
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

const PERIOD_MINUTES: Record<string, number> = { hourly: 60, daily: 1440, weekly: 10080, monthly: 43200, yearly: 525600 };

function ttlOf(feed: Record<string, unknown>): number | undefined {
  const ttl = Number(str(feed.ttl));
  if (Number.isFinite(ttl) && ttl > 0) return ttl;
  const period = PERIOD_MINUTES[str(feed["sy:updatePeriod"])?.toLowerCase() ?? ""];
  if (!period) return undefined;
  const frequency = Number(str(feed["sy:updateFrequency"]) ?? 1);
  return Math.round(period / (frequency > 0 ? frequency : 1));
}

function readJsonFeed(text: string): RawFeed {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new FeedFormatError(`not valid JSON: ${(error as Error).message}`);
  }
  const version = typeof doc.version === "string" ? doc.version : "";
  if (!/^https?:\/\/jsonfeed\.org\/version\/1(\.1)?$/.test(version)) {
    throw new FeedFormatError(`not a JSON Feed (version '${version || "missing"}')`);
  }
  if (!Array.isArray(doc.items)) throw new FeedFormatError("JSON Feed without an items array");
  return {
    format: "json",
    title: typeof doc.title === "string" ? doc.title : undefined,
    link: typeof doc.home_page_url === "string" ? doc.home_page_url : undefined,
    entries: (doc.items as Record<string, unknown>[])
      .filter((i) => i && typeof i === "object")
      .map((item) => {
        const authors = Array.isArray(item.authors) ? item.authors : item.author ? [item.author] : [];
        const firstAuthor = authors.find((a): a is { name: string } =>
          Boolean(a && typeof a === "object" && typeof (a as { name?: unknown }).name === "string"),
        );
        const text = typeof item.content_text === "string" ? `<p>${escapeHtml(item.content_text)}</p>` : undefined;
        return {
          id: item.id === undefined || item.id === null ? undefined : String(item.id),
          link: typeof item.url === "string" ? item.url : typeof item.external_url === "string" ? item.external_url : undefined,
          title: typeof item.title === "string" ? escapeHtml(item.title) : undefined,
          summaryHtml: typeof item.summary === "string" ? escapeHtml(item.summary) : undefined,
          contentHtml: typeof item.content_html === "string" ? item.content_html : text,
          published: typeof item.date_published === "string" ? item.date_published : undefined,
          updated: typeof item.date_modified === "string" ? item.date_modified : undefined,
          author: firstAuthor?.name,
          categories: Array.isArray(item.tags) ? item.tags.filter((t): t is string => typeof t === "string") : [],
          media: jsonItemMedia(item),
        };
      }),
  };
}
