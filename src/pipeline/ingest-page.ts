/** A news page in, its stories stored: the page reader and the store joined up. */
import { type LazyPageReader, readTextPage } from "../input/page-reader";
import { sha256Hex } from "../normalise/sha256";
import type { Database } from "../storage/database";
import { storeDocument, type StoreReport } from "../storage/store-document";

/** Pages saved from the portal are all stored under this one source. */
export const PORTAL_SOURCE = { kind: "page" as const, name: "portal" };

export interface PageDocument {
  /** File name (or URL), for messages and the documents table. */
  name: string;
  bytes: Uint8Array;
  fetchedAt: Date;
}

/** Web pages saved without a canonical address are stored under this source. */
const UNNAMED_SITE = "web pages";

/**
 * Parses (with `readPage`: the portal's text pages alone unless the shell brings the HTML reader,
 * input/page-document), then stores in one transaction; a page that fails to parse writes nothing. The portal's text pages
 * are the portal's; an HTML article page is its site's (by host), and the keywords it is tagged with are
 * that site's categories (explicit tags, as a followed feed's), not topics that gain every story by their words.
 */
export async function ingestPage(db: Database, page: PageDocument, readPage: LazyPageReader = readTextPage): Promise<StoreReport> {
  const read = await readPage(page.bytes, page.fetchedAt);
  return storeDocument(db, {
    source: read.kind === "text" ? PORTAL_SOURCE : { kind: "page", name: read.site ?? UNNAMED_SITE },
    name: page.name,
    sha256: sha256Hex(page.bytes),
    fetchedAt: page.fetchedAt,
    items: read.items,
    tagOrigin: read.kind === "html" ? "feed" : undefined,
  });
}
