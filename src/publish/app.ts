/**
 * The publishing app: plain Hono over an injected database, with nothing in
 * it that ties it to Node, so the Node server and the Worker serve the same
 * bytes.
 */
import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { Database } from "../storage/database";
import { findItem, findTag, itemsOfTag, listTags } from "../storage/queries";
import { FeedCache, type Compressors } from "./feed-cache";
import { FORMAT_OF_EXTENSION } from "./feed-formats";
import { DEFAULT_LIMIT, serveFeed } from "./feed-route";
import { indexPage, itemPage, tagPage } from "./pages";
import { parseSelector } from "./selector";
import { VersionBook } from "./version-book";

export interface AppOptions {
  db: Database;
  /** Feed versions; pass one to invalidate it after ingesting in this process. */
  versions?: VersionBook;
  /** Compressors the runtime offers (Node: gzip and brotli); none on an edge that compresses itself. */
  compressors?: Compressors;
  /** Byte budget of the rendered-feed cache. */
  cacheBytes?: number;
  /**
   * The public base URL (https://feeds.example.org). Feeds must carry
   * absolute URLs; without this they are built from the request's own URL,
   * which behind a proxy may not be the address readers use.
   */
  publicUrl?: string | undefined;
}

const ITEM_ID = /^[0-9a-f]{32}$/;

export function createApp({ db, publicUrl, versions, compressors, cacheBytes }: AppOptions): Hono {
  const app = new Hono();
  const feedDeps = {
    db,
    versions: versions ?? new VersionBook(db),
    cache: new FeedCache(cacheBytes),
    compressors: compressors ?? {},
  };
  const baseOf = (url: string) => (publicUrl ?? new URL(url).origin).replace(/\/+$/, "");

  app.use(
    "*",
    secureHeaders({
      contentSecurityPolicy: { defaultSrc: ["'none'"], styleSrc: ["'unsafe-inline'"], imgSrc: ["'self'"] },
      crossOriginResourcePolicy: "cross-origin",
    }),
  );

  app.get("/", async (c) => c.html(indexPage(baseOf(c.req.url), await listTags(db))));

  app.get("/healthz", (c) => c.text("ok"));

  app.get("/feeds/:file", async (c) => {
    const file = c.req.param("file");
    const dot = file.lastIndexOf(".");
    const selector = parseSelector(dot < 0 ? file : file.slice(0, dot));
    const format = dot < 0 ? null : FORMAT_OF_EXTENSION[file.slice(dot + 1)];
    if (!selector || format === undefined) return c.text("Not found\n", 404);
    const base = baseOf(c.req.url);
    if (format !== null) return serveFeed(c, feedDeps, selector, format, base);

    if (selector.kind !== "tags" || selector.slugs.length !== 1) return c.text("Not found\n", 404);
    const tag = await findTag(db, selector.slugs[0]!);
    if (!tag) return c.text(`No feed for tag '${selector.slugs[0]}'\n`, 404);
    return c.html(tagPage(base, tag.slug, tag.label, await itemsOfTag(db, tag.id, DEFAULT_LIMIT)));
  });

  app.get("/items/:id", async (c) => {
    const id = c.req.param("id");
    const item = ITEM_ID.test(id) ? await findItem(db, id) : null;
    if (!item) return c.text("Not found\n", 404);
    return c.html(itemPage(baseOf(c.req.url), item));
  });

  app.notFound((c) => c.text("Not found\n", 404));
  app.onError((error, c) => {
    console.error(`${c.req.method} ${c.req.url}:`, error);
    return c.text("Internal server error\n", 500);
  });
  return app;
}
