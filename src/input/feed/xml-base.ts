/**
 * xml:base in scope where an entry's link, content and summary stand.
 * rss-parser drops attributes of these elements, so a light pass over the
 * entry (with the start tags around it, recovered-fields.ts) records the
 * chain of xml:base values around each of them (outermost first, the
 * root's included); to-items resolves the chain against the document's URL.
 */
import { Parser } from "htmlparser2";

export interface EntryBases {
  link: string[];
  content: string[];
  summary: string[];
}

const ENTRY = new Set(["entry", "item"]);
const CONTENT = new Set(["content", "content:encoded"]);
const SUMMARY = new Set(["summary", "description"]);

/** One record per entry of `xml`: Atom entries of the feed, RSS items of the channel (or, in RSS 1.0, of the root), in document order. */
export function entryBases(xml: string): EntryBases[] {
  const found: EntryBases[] = [];
  const names: string[] = [];
  const bases: (string | null)[] = [];
  let entryDepth = -1;
  let current: (Partial<EntryBases> & { alternate: boolean }) | null = null;
  const chain = () => bases.filter((b): b is string => b !== null);

  new Parser(
    {
      onopentag(name, attribs) {
        const parent = names.at(-1);
        names.push(name);
        bases.push(attribs["xml:base"] ?? null);
        if (current === null) {
          if (ENTRY.has(name) && (names.length === 2 || (names.length === 3 && parent === "channel"))) {
            current = { alternate: false };
            entryDepth = names.length;
          }
          return;
        }
        if (names.length !== entryDepth + 1) return;
        if (name === "link") {
          // rss-parser takes the first rel="alternate" link, else the first link
          const alternate = attribs.rel === "alternate";
          if (!current.link || (alternate && !current.alternate)) {
            current.link = chain();
            current.alternate = alternate;
          }
        } else if (CONTENT.has(name)) current.content ??= chain();
        else if (SUMMARY.has(name)) current.summary ??= chain();
      },
      onclosetag() {
        if (current && names.length === entryDepth) {
          const outer = chain();
          found.push({ link: current.link ?? outer, content: current.content ?? outer, summary: current.summary ?? outer });
          current = null;
        }
        names.pop();
        bases.pop();
      },
    },
    { xmlMode: true, decodeEntities: true },
  ).end(xml);
  return found;
}
