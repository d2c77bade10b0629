/** A news page in, its stories stored: the page reader and the store joined up. */
import { decodePage } from "../input/page/decode";
import { parsePage } from "../input/page/parse";
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

/** Parses, then stores in one transaction; a page that fails to parse writes nothing. */
export async function ingestPage(db: Database, page: PageDocument): Promise<StoreReport> {
  const items = parsePage(decodePage(page.bytes), page.fetchedAt);
  return storeDocument(db, {
    source: PORTAL_SOURCE,
    name: page.name,
    sha256: sha256Hex(page.bytes),
    fetchedAt: page.fetchedAt,
    items,
  });
}
