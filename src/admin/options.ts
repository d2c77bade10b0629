/** What the admin API is given by the shell that mounts it (entry/site.ts). */
import type { LazyPageReader } from "../input/page-reader";
import type { Database } from "../storage/database";
import type { StoreReport } from "../storage/store-document";

export interface AdminOptions {
  db: Database;
  token: string;
  /** Called after an ingestion changed something: feeds are rendered anew, the WebSub hub is told. */
  onChange?: (report: StoreReport) => void;
  maxPageBytes?: number;
  /**
   * Why a feed at this URL may not be followed (a private or local address
   * the configuration does not allow), or null. The Node server passes the
   * address policy's (AddressPolicy.followRefusal); without it, only fetching
   * checks addresses.
   */
  followRefusal?: (url: string) => Promise<string | null>;
  /** How a posted page is read: the portal's text pages alone unless the shell brings the HTML reader (input/page-document). */
  readPage?: LazyPageReader | undefined;
}
