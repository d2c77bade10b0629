/**
 * OPML 2.0 as feedwerk writes it, for both lists of feeds it gives out: the
 * followed feeds (`sources export`, src/input/opml.ts) and every tag's feed
 * (/feeds.opml, src/publish/opml-route.ts). One outline per feed, no folders.
 */
import { emptyEl, PROLOG, textEl } from "./writer";

export interface OpmlHead {
  title: string;
  dateModified?: Date | undefined;
  /** The specification the document follows, for whoever opens it. */
  docs?: string | undefined;
}

/** A feed as an outline. */
export interface OpmlOutline {
  /** The outline's text and title. */
  title: string;
  xmlUrl: string;
  /** The feed's page for people. */
  htmlUrl?: string | undefined;
  /** Its tags, comma-separated: what an importer makes folders or tags of. */
  category?: string | undefined;
}

export function opmlDocument(head: OpmlHead, feeds: readonly OpmlOutline[]): string {
  const out = [PROLOG, '<opml version="2.0">\n<head>\n', textEl("title", head.title), "\n"];
  if (head.dateModified) out.push(textEl("dateModified", head.dateModified.toUTCString()), "\n");
  if (head.docs) out.push(textEl("docs", head.docs), "\n");
  out.push("</head>\n<body>\n");
  for (const f of feeds) {
    out.push(emptyEl("outline", { type: "rss", text: f.title, title: f.title, xmlUrl: f.xmlUrl, htmlUrl: f.htmlUrl, category: f.category }), "\n");
  }
  out.push("</body>\n</opml>\n");
  return out.join("");
}
