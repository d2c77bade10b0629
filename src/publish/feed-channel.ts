/**
 * One page of a feed, rendered: its items queried, the channel assembled
 * with the feed's canonical address and its RFC 5005 paging links, written
 * in the format asked for. What the feed cache keeps (cached-feeds.ts).
 */
import type { Database } from "../storage/database";
import { feedPage } from "../storage/queries";
import { renderFeed, type FeedFormat } from "./feed-formats";
import { feedUrl } from "./feed-model";
import { formatPosition, parsePosition, selectorKey, type Selector } from "./selector";

export const DEFAULT_LIMIT = 50;

/** Which page of a feed: its size, a position to page from, a search (as feed-route.ts reads them). */
export interface FeedParams {
  limit: number;
  before?: string | undefined;
  after?: string | undefined;
  q?: string | undefined;
}

/** A feed request as the route read it. */
export interface FeedRequest {
  selector: Selector;
  format: FeedFormat;
  /** Absolute base URL of this deployment, without trailing slash. */
  base: string;
  params: FeedParams;
}

/** What the versions of the feed's tags say of it. */
export interface FeedScope {
  /** null: every item. */
  tagIds: number[] | null;
  label: string;
  lastModified: Date;
}

const encoder = new TextEncoder();

/** The page's bytes, or "no page" for a position past either end of the feed. */
export async function renderFeedPage(db: Database, feed: FeedRequest, scope: FeedScope, hubUrl: string | undefined): Promise<Uint8Array | "no page"> {
  const { selector, format, base, params } = feed;
  const page = await feedPage(db, {
    tagIds: scope.tagIds,
    limit: params.limit,
    before: params.before ? parsePosition(params.before)! : undefined,
    after: params.after ? parsePosition(params.after)! : undefined,
    q: params.q,
  });
  const { items } = page;
  if (!items.length && (params.before || params.after)) return "no page";

  // the canonical address: sorted union, explicit extension, whatever the request said
  const canonical = feedUrl(base, selectorKey(selector), format);
  const url = (extra: Record<string, string | undefined>) => {
    const u = new URL(canonical);
    const all = { limit: params.limit === DEFAULT_LIMIT ? undefined : String(params.limit), q: params.q, ...extra };
    for (const [k, v] of Object.entries(all)) if (v !== undefined) u.searchParams.set(k, v);
    return u.toString();
  };
  const first = url({});
  const position = (item: (typeof items)[number]) => formatPosition({ feedAt: item.feedAt, id: item.id });
  const oldest = items[items.length - 1];
  const newest = items[0];
  const body = renderFeed(format, {
    key: selectorKey(selector),
    label: scope.label,
    base,
    homeUrl: selector.kind === "all" ? `${base}/` : `${base}/feeds/${selectorKey(selector)}`,
    selfUrl: url({ before: params.before, after: params.after }),
    hub: hubUrl,
    changedAt: scope.lastModified,
    paging: {
      first,
      next: oldest && page.older ? url({ before: position(oldest) }) : undefined,
      previous: newest && page.newer ? url({ after: position(newest) }) : undefined,
    },
    items,
  });
  return encoder.encode(body);
}
