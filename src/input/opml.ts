/**
 * OPML, as every feed reader imports and exports subscriptions: the feeds
 * are the outlines with an xmlUrl; folders around them and an outline's
 * category attribute become tags.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { slugify } from "../normalise/slug";
import { opmlDocument } from "../xml/opml";

export interface OpmlFeed {
  url: string;
  title: string | null;
  tags: string[];
}

type Outline = Record<string, unknown> & { outline?: Outline[] };

export function readOpml(text: string): OpmlFeed[] {
  let doc: { opml?: { body?: ({ outline?: Outline[] } | string)[] }[] };
  // the parser itself stumbles over some broken documents with a message of its internals: the validator names the line
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    // the validator lists elements left open as a JSON array: say it as a person would
    const open = /^Invalid '(\[[^']*\])' found/.exec(valid.err.msg)?.[1];
    const reason = open ? `the document ends inside ${(JSON.parse(open) as string[]).map((name) => `<${name}>`).join(", ")} (truncated?)` : valid.err.msg;
    throw new Error(`not readable OPML: line ${valid.err.line}: ${reason}`);
  }
  try {
    doc = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: "",
      isArray: (name) => ["opml", "body", "outline"].includes(name),
      processEntities: true,
      htmlEntities: true,
    }).parse(text);
  } catch (error) {
    throw new Error(`not readable OPML: ${(error as Error).message.split("\n")[0]}`);
  }
  const body = doc.opml?.[0]?.body?.[0];
  if (body === undefined) throw new Error("not OPML: no <opml><body>");
  // an empty <body/> (a reader that follows nothing, feedwerk's own export then) is read as text, not as an element
  if (typeof body !== "object") return [];
  const feeds: OpmlFeed[] = [];
  const walk = (outlines: Outline[], folders: string[]) => {
    for (const o of outlines) {
      const title = typeof o.title === "string" ? o.title : typeof o.text === "string" ? o.text : null;
      if (typeof o.xmlUrl === "string" && o.xmlUrl.trim()) {
        // a category without a letter or digit names no tag (tags are known by their slugs)
        const categories =
          typeof o.category === "string"
            ? o.category
                .split(/[,/]/)
                .map((c) => c.trim())
                .filter((c) => slugify(c) !== "")
            : [];
        feeds.push({ url: o.xmlUrl.trim(), title, tags: [...new Set([...folders, ...categories])] });
      }
      if (o.outline) walk(o.outline, title && typeof o.xmlUrl !== "string" ? [...folders, title] : folders);
    }
  };
  walk(body.outline ?? [], []);
  return feeds;
}

/** The followed feeds as OPML: a feed's tags in its category attribute, which readOpml takes back as tags. */
export function writeOpml(title: string, feeds: { name: string; url: string; tags: string[] }[]): string {
  return opmlDocument(
    { title },
    feeds.map((f) => ({ title: f.name, xmlUrl: f.url, category: f.tags.length ? f.tags.join(",") : undefined })),
  );
}
