/**
 * An RSS or Atom document parsed by rss-parser (rss-parser.ts) as it is, or,
 * if that is not well-formed XML, as a lenient reading recovers it
 * (recover.ts); the reason it is broken named as feedparser's bozo.
 */
import { FeedFormatError } from "./errors";
import { mayHideFaults, recoverXml, withChannel } from "./recover";
import { parseFeedXml, type ParsedFeed } from "./rss-parser";
import { withoutRssPrefix } from "./rss-prefix";

export interface ParsedDocument {
  feed: ParsedFeed;
  /** The text rss-parser read: the document's own, or the recovered one. */
  xml: string;
  bozo?: string | undefined;
}

/**
 * rss-parser on the document as it is, or, if that is not well-formed XML,
 * on what a lenient reading recovers from it. A broken document that
 * yields no entry is refused with the reason it is broken.
 */
export async function parseXmlDocument(document: string): Promise<ParsedDocument> {
  const text = withChannel(withoutRssPrefix(document));
  let reason: string | undefined;
  if (!mayHideFaults(text)) {
    try {
      return { feed: await parseFeedXml(text), xml: text };
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
  let feed: ParsedFeed;
  try {
    feed = await parseFeedXml(xml);
  } catch (error) {
    const described = describeXmlError(error as Error);
    // a fault the tokenizer mended without naming it (an end tag cut short): the XML parser names it
    if (!bozo && described !== null && recovered.xml !== text) {
      bozo = described;
      xml = recovered.xml;
      feed = await parseFeedXml(xml).catch((again: Error) => {
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

/** sax's message with its line (counted from 1), or null where the XML is not what failed. */
function describeXmlError(error: Error): string | null {
  // rss-parser's own complaints, and its stumbles over shapes it does not expect (a TypeError), are no XML faults
  if (error instanceof TypeError || /^Feed not recognized|default RSS version/.test(error.message)) return null;
  const line = /\nLine: (\d+)/.exec(error.message)?.[1];
  const what = firstLine(error).replace(/\.$/, "");
  return line === undefined ? what : `${what} at line ${Number(line) + 1}`;
}
