/**
 * GET /feeds/:selector.:ext: the query's parameters read, then the feed
 * cache's answer (cached-feeds.ts, which holds the whole caching protocol).
 * A URL served before is answered by the cache ahead of routing, and never
 * reaches this route again while its version is current.
 */
import type { Context } from "hono";
// a namespace import lets the bundler keep only the parts used; `import { z }` would put all of zod's locales into the Worker
import * as z from "zod";
import type { CachedFeeds } from "./cached-feeds";
import { DEFAULT_LIMIT, type FeedParams } from "./feed-channel";
import type { FeedFormat } from "./feed-model";
import { parsePosition, type Selector } from "./selector";

const MAX_LIMIT = 200;
const MAX_QUERY = 200;

const position = (name: "before" | "after") =>
  z
    .string()
    .refine((value) => parsePosition(value) !== null, `${name} must be a position taken from a feed's paging links`)
    .optional();

// an empty limit is the default one; a larger one than MAX_LIMIT is MAX_LIMIT
const limit = z
  .string()
  .refine((raw) => raw === "" || (/^\d{1,6}$/.test(raw) && Number(raw) >= 1), `limit must be a whole number from 1 to ${MAX_LIMIT}`)
  .optional()
  .transform((raw) => (raw ? Math.min(Number(raw), MAX_LIMIT) : DEFAULT_LIMIT));

const paging = z
  .object({ limit, before: position("before"), after: position("after") })
  .refine((p) => !(p.before && p.after), "before and after cannot be combined");

// a search of white space alone is no search
const search = z.object({
  q: z
    .string()
    .optional()
    .transform((q) => q?.trim() || undefined)
    .pipe(z.string().max(MAX_QUERY, `q must be at most ${MAX_QUERY} characters`).optional()),
});

// the paging first: its faults, the clash of before and after included, are named before the search's
const feedQuery = paging.and(search);

/**
 * The page of the feed a request asks for, or what is wrong with its query (the first fault, as a sentence).
 * Checked here, not by a validator middleware as the admin API's are: a feed that does not exist, or has
 * moved, is a 404 or a 301 whatever its query says. A query's first value of each name counts.
 */
export function readParams(c: Context): FeedParams | string {
  if (!c.req.url.includes("?")) return { limit: DEFAULT_LIMIT };
  const parsed = feedQuery.safeParse(c.req.query());
  return parsed.success ? parsed.data : parsed.error.issues[0]!.message;
}

export async function serveFeed(
  c: Context,
  feeds: CachedFeeds,
  selector: Selector,
  format: FeedFormat,
  base: string,
  /**
   * The URL names the format (/feeds/TAG.xml), so that the hot path may
   * answer it again; false for /feeds/TAG, whose format Accept chose.
   */
  urlNamesFormat = true,
): Promise<Response> {
  const params = readParams(c);
  if (typeof params === "string") return c.text(`${params}\n`, 400);
  return feeds.answer(c, { selector, format, base, params }, urlNamesFormat);
}
