/**
 * Markup written inline in an entry's text elements: Atom text constructs
 * of type "xhtml" (or with elements inside whatever their type), RSS
 * `<body>` / `<xhtml:body>`, and RSS descriptions with unescaped HTML. rss-parser hands these over as a tree of
 * objects that loses the order of text and elements, so a tokenizer pass
 * (htmlparser2 in XML mode, no tree) over the entry (recovered-fields.ts)
 * takes their source instead: the inner
 * XML of each, namespace prefixes of element names dropped, the wrapping
 * `<div>` of Atom's xhtml type removed (it is a container, not content).
 */
import { Parser } from "htmlparser2";

export type MarkupField = "title" | "summary" | "content" | "body";

export type EntryMarkup = Partial<Record<MarkupField, string>>;

const ENTRY = new Set(["entry", "item"]);
// RSS's description is the entry's summary, as Atom's summary is
const FIELDS: Record<string, MarkupField> = { title: "title", summary: "summary", description: "summary", content: "content", body: "body" };
// a start or end tag's name with a prefix, e.g. <xhtml:b> or </xh:div>
const PREFIXED_TAG = /<(\/?)[A-Za-z_][\w.-]*:(?=[A-Za-z_])/g;
// feedparser keeps a CDATA section inside inline markup as text
const CDATA = /<!\[CDATA\[([\s\S]*?)\]\]>/g;

/**
 * Whether any of rss-parser's values for these fields is an element with
 * elements inside (an object with more than its text and attributes): only
 * then is the markup pass needed.
 */
export function hasInlineMarkup(values: unknown[]): boolean {
  return values.some((v) => {
    const first = Array.isArray(v) ? v[0] : v;
    return first !== null && typeof first === "object" && Object.keys(first).some((k) => k !== "_" && k !== "$");
  });
}

/** One record per entry of `xml` (the root's entries or items, a channel's items), in document order. */
export function entryMarkup(xml: string): EntryMarkup[] {
  const found: EntryMarkup[] = [];
  const names: string[] = [];
  let entryDepth = -1;
  let current: EntryMarkup | null = null;
  let open: { field: MarkupField; depth: number; start: number; xhtml: boolean } | null = null;

  const parser = new Parser(
    {
      onopentag(name, attribs) {
        const parent = names.at(-1);
        names.push(name);
        if (current === null) {
          if (ENTRY.has(name) && (names.length === 2 || (names.length === 3 && parent === "channel"))) {
            current = {};
            entryDepth = names.length;
          }
          return;
        }
        // another vocabulary's element of the same local name (media:title, dc:description) is not the entry's
        const local = name === "xhtml:body" ? "body" : name;
        const field = Object.hasOwn(FIELDS, local) ? FIELDS[local] : undefined;
        if (open === null && names.length === entryDepth + 1 && field && current[field] === undefined) {
          const type = attribs.type?.trim().toLowerCase();
          open = { field, depth: names.length, start: parser.endIndex + 1, xhtml: type === "xhtml" };
        }
      },
      onclosetag() {
        if (open && names.length === open.depth && current) {
          current[open.field] = cleanMarkup(xml.slice(open.start, parser.startIndex), open.xhtml);
          open = null;
        }
        if (current && names.length === entryDepth) {
          found.push(current);
          current = null;
        }
        names.pop();
      },
    },
    { xmlMode: true, decodeEntities: false },
  );
  parser.end(xml);
  return found;
}

function cleanMarkup(inner: string, xhtml: boolean): string {
  let html = inner.replace(CDATA, (_, text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"));
  html = html.replace(PREFIXED_TAG, "<$1");
  return (xhtml ? withoutWrappingDiv(html.trim()) : html).trim();
}

/** The content of a `<div>` that wraps all of the markup; the markup itself where it is not one div. */
function withoutWrappingDiv(html: string): string {
  const open = /^<div\b[^>]*>/.exec(html);
  if (!open || open[0].endsWith("/>")) return html;
  let depth = 0;
  for (const tag of html.matchAll(/<(\/?)div\b[^>]*?(\/?)>/g)) {
    if (tag[2]) continue;
    depth += tag[1] ? -1 : 1;
    if (depth === 0) return tag.index + tag[0].length === html.length ? html.slice(open[0].length, tag.index) : html;
  }
  return html;
}
