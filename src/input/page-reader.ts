/**
 * What reads a saved or posted page into items: the portal's plain-text
 * pages everywhere; HTML article pages where the shell brings their reader
 * (page-document.ts: Readability and the sanitiser, which Node runs and
 * the Worker does not carry). A page reader is handed in by the shells.
 */
import type { Item } from "../normalise/item";
import type { ArticleExtras } from "./html/article";
import { looksLikeHtml } from "./html/sniff";
import { decodePage } from "./page/decode";
import { PageFormatError, parsePage } from "./page/parse";

export type ReadPage =
  | { kind: "text"; items: Item[] }
  | {
      kind: "html";
      items: Item[];
      extras: ArticleExtras;
      /** The site the article is from (its canonical address's host), or null where the page names none. */
      site: string | null;
    };

export interface PageContext {
  /** Where the page was fetched from: the base of its links where it names no canonical address. */
  url?: string | null | undefined;
  /** The HTTP Content-Type, for its charset. */
  contentType?: string | null | undefined;
}

export type PageReader = (bytes: Uint8Array, fetchedAt: Date, context?: PageContext) => ReadPage;
/** A reader the server loads when the first page comes (the HTML reader's modules cost 25 MB of memory). */
export type LazyPageReader = (bytes: Uint8Array, fetchedAt: Date, context?: PageContext) => ReadPage | Promise<ReadPage>;

/** The portal's text pages alone; an HTML page is refused, saying where it is read. */
export const readTextPage: PageReader = (bytes, fetchedAt) => {
  if (bytes.length && looksLikeHtml(bytes)) {
    throw new PageFormatError(1, "an HTML page: HTML pages are read by the Node server and the command line, not here");
  }
  return { kind: "text", items: parsePage(decodePage(bytes), fetchedAt) };
};
