/**
 * The publishing app: plain Hono over an injected database, with nothing in
 * it that ties it to Node, so the Node server and the Worker serve the same
 * bytes.
 */
import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { Database } from "../storage/database";
import { findItem, findTag, itemsOfTag, listTags } from "../storage/queries";
import { CONTENT_TYPE, FORMAT_OF_EXTENSION, renderFeed } from "./feed-formats";
import { indexPage, itemPage, tagPage } from "./pages";

export interface AppOptions {
  db: Database;
  /**
   * The public base URL (https://feeds.example.org). Feeds must carry
   * absolute URLs; without this they are built from the request's own URL,
   * which behind a proxy may not be the address readers use.
   */
  publicUrl?: string | undefined;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const ITEM_ID = /^[0-9a-f]{32}$/;

export function createApp({ db, publicUrl }: AppOptions): Hono {
  const app = new Hono();
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
    const slug = dot < 0 ? file : file.slice(0, dot);
    const format = dot < 0 ? null : FORMAT_OF_EXTENSION[file.slice(dot + 1)];
    if (!SLUG.test(slug) || format === undefined) return c.text("Not found\n", 404);

    const limit = parseLimit(c.req.query("limit"));
    if (limit === null) return c.text(`limit must be a whole number from 1 to ${MAX_LIMIT}\n`, 400);
    const tag = await findTag(db, slug);
    if (!tag) return c.text(`No feed for tag '${slug}'\n`, 404);
    const items = await itemsOfTag(db, tag.id, limit);
    const base = baseOf(c.req.url);
    if (format === null) return c.html(tagPage(base, tag.slug, tag.label, items));

    const self = new URL(`${base}/feeds/${file}`);
    if (c.req.query("limit") !== undefined) self.searchParams.set("limit", String(limit));
    const body = renderFeed(format, { slug: tag.slug, label: tag.label, base, selfUrl: self.toString(), items });
    return c.body(body, 200, { "Content-Type": CONTENT_TYPE[format] });
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

/** The ?limit= value: default when absent, capped at MAX_LIMIT, null when not a positive integer. */
function parseLimit(raw: string | undefined): number | null {
  if (raw === undefined || raw === "") return DEFAULT_LIMIT;
  if (!/^\d{1,6}$/.test(raw)) return null;
  const n = Number(raw);
  return n < 1 ? null : Math.min(n, MAX_LIMIT);
}
