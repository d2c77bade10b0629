/**
 * Where each entry rss-parser reads stands in the document. rss-parser hands
 * an entry over as xml2js's object of it, without its source, which the
 * passes that recover what it loses (recovered-fields.ts) read. xml2js
 * builds those objects from the events of a sax parser; seen first by the
 * handlers here, the same events say where each entry element of the
 * container rss-parser reads (an Atom feed, the first channel of an RSS 2.0
 * or 0.9x document, the root of an RSS 1.0 one) starts and ends, in the order
 * xml2js lists those entries and rss-parser its items. Each item is tied to
 * its entry while rss-parser builds the feed, within the one parse; no second
 * pass over the document is matched to rss-parser's entries.
 */

/** The sax parser an xml2js parser reads with: its place in the text, its open elements, and xml2js's handlers. */
export interface SaxParser {
  /** Just past the last character read. */
  position: number;
  /** Just past the last tag's `<`. */
  startTagPosition: number;
  tags: unknown[];
  onopentag: (tag: { name: string }) => void;
  onclosetag: (name: string) => void;
}

/**
 * An entry element's source: [start, end) of `xml`, where its start tag ends and its end tag starts (both `end`
 * for an empty-element tag), and [start, end) of each start tag around it, the root's first.
 */
interface EntrySource {
  xml: string;
  start: number;
  end: number;
  tagEnd: number;
  closeStart: number;
  around: [number, number][];
}

/** An element of the outer three levels (entries are no deeper), open. */
interface OpenElement {
  name: string;
  start: number;
  tagEnd: number;
}

interface Parsing {
  xml: string;
  open: OpenElement[];
  /** The element whose entries rss-parser reads, and their name. */
  container?: { element: OpenElement; entry: string };
  sources: EntrySource[];
}

/** The document being parsed: xml2js parses in one synchronous run, which builds rss-parser's feed at its end. */
let parsing: Parsing | null = null;
const watched = new WeakSet<SaxParser>();
// on the item itself: a WeakMap of every item read would cost the collector more than the reading
const SOURCE = Symbol("entry source");
type WithSource = { [SOURCE]?: EntrySource };

/** `parse` (an rss-parser call on `xml`, reading with `sax`) with the sources of its entries noted. */
export function noteEntrySources<T>(sax: SaxParser, xml: string, parse: () => T): T {
  watch(sax);
  parsing = { xml, open: [], sources: [] };
  try {
    return parse();
  } finally {
    parsing = null;
  }
}

/** Ties each item of the feed rss-parser is building to the source of the entry it was read from. */
export function withSources<T extends { items: object[] }>(feed: T): T {
  const sources = parsing?.sources;
  if (sources?.length === feed.items.length) {
    for (const [n, item] of feed.items.entries()) (item as WithSource)[SOURCE] = sources[n]!;
  }
  return feed;
}

/**
 * The entry an item was read from as it stands in the document: the start
 * tags around it, then the entry element; undefined where it is not known.
 */
export function entryExcerpt(item: object): string | undefined {
  const source = (item as WithSource)[SOURCE];
  if (!source) return undefined;
  const { xml, start, end, around } = source;
  return around.map(([from, to]) => xml.slice(from, to)).join("") + xml.slice(start, end);
}

/**
 * entryExcerpt(item) as the xml:base pass (xml-base.ts) reads it: where nothing in the entry names an xml:base,
 * what is inside it adds none to the chains it records, each of which is then the one around the entry, so the
 * entry's own start and end tags stand for it (the pass over an entry's content, often most of the document, is
 * saved). The document is well-formed XML (sax read it), so the tags left keep their places in the tree.
 */
export function entryBaseExcerpt(item: object): string | undefined {
  const source = (item as WithSource)[SOURCE];
  if (!source) return undefined;
  const { xml, start, end, tagEnd, closeStart, around } = source;
  const inner = xml.slice(start, end);
  if (tagEnd === end || inner.includes("xml:base")) return entryExcerpt(item);
  return around.map(([from, to]) => xml.slice(from, to)).join("") + xml.slice(start, tagEnd) + xml.slice(closeStart, end);
}

/** The sax parser's events seen here before xml2js sees them (once per sax parser: xml2js makes a new one for each document). */
function watch(sax: SaxParser): void {
  if (watched.has(sax)) return;
  watched.add(sax);
  const { onopentag, onclosetag } = sax;
  sax.onopentag = (tag) => {
    // sax.tags: the open elements, this one included
    if (parsing && sax.tags.length <= 3) opened(parsing, tag.name, sax);
    onopentag(tag);
  };
  sax.onclosetag = (name) => {
    // sax.tags: the open elements around this one
    if (parsing && sax.tags.length < 3) closed(parsing, sax);
    onclosetag(name);
  };
}

function opened(state: Parsing, name: string, sax: SaxParser): void {
  const element = { name, start: sax.startTagPosition - 1, tagEnd: sax.position };
  const root = state.open[0];
  state.open.push(element);
  if (state.container) return;
  // as rss-parser reads them: an Atom feed's entries, the items of an RSS 1.0 document or of an RSS document's first channel
  if (!root && (name === "feed" || name === "rdf:RDF")) state.container = { element, entry: name === "feed" ? "entry" : "item" };
  else if (root?.name === "rss" && state.open.length === 2 && name === "channel") state.container = { element, entry: "item" };
}

function closed(state: Parsing, sax: SaxParser): void {
  const element = state.open.pop();
  if (!element || !state.container || state.open.at(-1) !== state.container.element || element.name !== state.container.entry) return;
  const around = state.open.map((e): [number, number] => [e.start, e.tagEnd]);
  // the end tag's "<": the last tag's; an empty-element tag is its start tag
  const end = sax.position;
  const closeStart = element.tagEnd === end ? end : sax.startTagPosition - 1;
  state.sources.push({ xml: state.xml, start: element.start, end, tagEnd: element.tagEnd, closeStart, around });
}
