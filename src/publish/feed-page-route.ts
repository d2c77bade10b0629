/**
 * A feed's page for people: /feeds/TAG, and every feed URL a browser
 * navigates to (/feeds/TAG.xml, unions, all; with ?q=, ?limit= and the
 * paging positions), the same page with the feed's address to subscribe to.
 * Search and paging links stay on the address the page was asked at.
 */
import type { Context } from "hono";
import type { Database } from "../storage/database";
import { feedPage as queryFeedPage, findTag, type TagRow } from "../storage/queries";
import { withinDeadline } from "./database-outage";
import { feedUrl, type FeedFormat } from "./feed-model";
import { DEFAULT_LIMIT } from "./feed-channel";
import { readParams } from "./feed-route";
import { feedPage } from "./pages";
import { formatPosition, parsePosition, selectorKey, type Selector } from "./selector";

/** Feed URLs are exempt from the app's request deadline; their page keeps to the same. */
const PAGE_DEADLINE_MS = 4_000;

export async function serveFeedPage(c: Context, db: Database, selector: Selector, format: FeedFormat, base: string): Promise<Response> {
  // a feed URL answers browsers with this page and readers with the feed: shared caches must keep them apart,
  // and "private" keeps the page out of caches that ignore Vary
  c.header("Vary", "Accept");
  c.header("Cache-Control", "private, no-cache");
  const params = readParams(c);
  if (typeof params === "string") return c.text(`${params}\n`, 400);
  const answer = await withinDeadline(
    (async () => {
      const tags = selector.kind === "tags" ? await Promise.all(selector.slugs.map((slug) => findTag(db, slug))) : null;
      if (tags?.some((t) => !t)) return null;
      const page = await queryFeedPage(db, {
        tagIds: tags ? (tags as TagRow[]).map((t) => t.id) : null,
        limit: params.limit,
        before: params.before ? parsePosition(params.before)! : undefined,
        after: params.after ? parsePosition(params.after)! : undefined,
        q: params.q,
      });
      return { tags: tags as TagRow[] | null, page };
    })(),
    PAGE_DEADLINE_MS,
  );
  if (!answer) return c.text("No such feed\n", 404);
  const { tags, page } = answer;
  if (!page.items.length && (params.before || params.after)) return c.text("No items beyond this position\n", 404);

  const key = selectorKey(selector);
  const here = `${base}${new URL(c.req.url).pathname}`;
  const limit = params.limit === DEFAULT_LIMIT ? undefined : params.limit;
  const link = (extra: Record<string, string>, address = here) => {
    const url = new URL(address);
    for (const [k, v] of Object.entries({ limit: limit === undefined ? undefined : String(limit), q: params.q, ...extra })) {
      if (v !== undefined) url.searchParams.set(k, v);
    }
    return url.toString();
  };
  const position = (item: (typeof page.items)[number]) => formatPosition({ feedAt: item.feedAt, id: item.id });
  const oldest = page.items.at(-1);
  const newest = page.items[0];
  const html = await feedPage({
    base,
    key,
    label: tags ? tags.map((t) => t.label).join(" + ") : "Alle Meldungen",
    subscribeUrl: link({}, feedUrl(base, key, format)),
    q: params.q,
    limit,
    items: page.items,
    newer: newest && page.newer ? link({ after: position(newest) }) : undefined,
    older: oldest && page.older ? link({ before: position(oldest) }) : undefined,
    first: params.before || params.after ? link({}) : undefined,
  });
  return c.html(html);
}
