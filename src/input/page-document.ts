/**
 * A saved or posted page, whichever kind it is: the portal's plain-text
 * page (input/page) or an HTML article page of any site (input/html),
 * told apart by its first markup. What `parse`, `ingest` and the Node
 * server's admin API read pages with (page-reader.ts).
 */
import { NoArticleError, readArticle } from "./html/article";
import { decodeHtml } from "./html/decode";
import { looksLikeHtml } from "./html/sniff";
import { PageFormatError } from "./page/parse";
import { type PageReader, readTextPage } from "./page-reader";

/** The largest HTML page read: a news article with its markup is rarely a tenth of it. */
export const MAX_HTML_BYTES = 5 * 1024 * 1024;

export const readPageDocument: PageReader = (bytes, fetchedAt, context = {}) => {
  if (bytes.length && looksLikeHtml(bytes)) {
    if (bytes.length > MAX_HTML_BYTES) throw new PageFormatError(1, `an HTML page of ${bytes.length} bytes, more than the ${MAX_HTML_BYTES} read`);
    try {
      const { item, extras } = readArticle(decodeHtml(bytes, context.contentType ?? null), context.url ?? null, fetchedAt);
      return { kind: "html", items: [item], extras, site: item.url ? new URL(item.url).hostname : null };
    } catch (error) {
      if (error instanceof NoArticleError) throw new PageFormatError(1, error.message);
      throw error;
    }
  }
  return readTextPage(bytes, fetchedAt);
};
