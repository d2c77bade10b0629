/**
 * A followed page that lists a site's stories, to teaser items: a news
 * sitemap (input/sitemap) or an HTML section or home page (input/html/teasers),
 * told apart by the document itself.
 */
import type { Item } from "../normalise/item";
import { decodeFeedDocument } from "./feed/decode";
import { plainText } from "./feed/html";
import { decodeHtml } from "./html/decode";
import { NoTeasersError, readTeaserList, type TeaserSelectors } from "./html/teasers";
import { isNewsSitemap, otherSitemapReason, readNewsSitemap } from "./sitemap/news-sitemap";

export interface ListPage {
  items: Item[];
  /** The page's own title: what an OPML export names the source by. */
  title: string | undefined;
}

export function readListPage(bytes: Uint8Array, contentType: string | null, url: string, fetchedAt: Date, select?: TeaserSelectors | null): ListPage {
  const xml = decodeFeedDocument(bytes, contentType).text;
  const start = xml.trimStart();
  if (isNewsSitemap(start)) return { items: readNewsSitemap(xml, url), title: undefined };
  const sitemap = otherSitemapReason(start);
  if (sitemap) throw new NoTeasersError(sitemap);
  const html = decodeHtml(bytes, contentType);
  const title = plainText(/<title\b[^>]*>([^<]{1,300})/i.exec(html)?.[1] ?? "");
  return { items: readTeaserList(html, url, fetchedAt, select), title: title || undefined };
}
