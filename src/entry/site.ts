/**
 * What both shells serve: the publishing app, and with an admin token the
 * admin API at /api beside it. Composed here, in the shells' layer, so that
 * publishing (which only reads storage) and administration (which ingests)
 * stay side by side and neither imports the other. No Node built-ins: the
 * Worker imports it.
 */
import { adminApi, type AdminOptions } from "../admin/api";
import { createPublisher, type AppOptions, type Publisher } from "../publish/app";

export interface SiteOptions extends AppOptions {
  /** Mounts the admin API at /api, guarded by this bearer token; absent, there is no /api. */
  adminToken?: string | undefined;
  /** The admin API's check of a feed URL to follow (AdminOptions.followRefusal). */
  followRefusal?: AdminOptions["followRefusal"];
  /** How the admin API reads a posted page (AdminOptions.readPage): the Node server brings the HTML reader. */
  readPage?: AdminOptions["readPage"];
}

export function createSite({ adminToken, followRefusal, readPage, ...options }: SiteOptions): Publisher {
  const publisher = createPublisher(options);
  if (adminToken) publisher.app.route("/api", adminApi({ db: options.db, token: adminToken, onChange: publisher.changed, followRefusal, readPage }));
  return publisher;
}
