/** Read queries the publishers and the CLI need. */
import { and, asc, count, desc, eq, inArray, sql, type SQL } from "drizzle-orm";
import { rowToItem, type StoredItem } from "./rows";
import type { Tag } from "../normalise/item";
import type { Database } from "./database";

import { itemColumns, items, itemTags, tags } from "./schema";
import { matchingQuery } from "./search-index";

export interface TagRow {
  id: number;
  slug: string;
  label: string;
}

/** A stored item with every tag it belongs to (page-given and matched). */
export interface FeedItem extends StoredItem {
  memberOf: Tag[];
}

export async function findTag(db: Database, slug: string): Promise<TagRow | null> {
  const [row] = await db.select({ id: tags.id, slug: tags.slug, label: tags.label }).from(tags).where(eq(tags.slug, slug));
  return row ?? null;
}

/** A position in a feed's order: (feed date, id), newest first. */
export interface FeedPosition {
  feedAt: Date;
  id: string;
}

export interface FeedQuery {
  /** The tags whose union the feed is; null for every item. */
  tagIds: number[] | null;
  limit: number;
  /** Items strictly older than this position (the next page). */
  before?: FeedPosition | undefined;
  /** Items strictly newer than this position (the previous page). */
  after?: FeedPosition | undefined;
  /** Full-text filter over title and summary (PostgreSQL's German configuration). */
  q?: string | undefined;
}

/** Newest first by feed date (publishedAt, else first seen), ties by id for a stable order. */
export async function feedItems(db: Database, query: FeedQuery): Promise<FeedItem[]> {
  return (await feedPage(db, query)).items;
}

/** One page of a feed, and whether items lie beyond it on either side: what its paging links may promise. */
export interface FeedPage {
  items: FeedItem[];
  /** Items older than the oldest on this page exist (a next page). */
  older: boolean;
  /** Items newer than the newest on this page exist (a previous page). */
  newer: boolean;
}

export async function feedPage(db: Database, query: FeedQuery): Promise<FeedPage> {
  const conditions = scopeConditions(db, query);
  // raw SQL gets no column mapping: instants go in as ISO text, cast
  if (query.before) conditions.push(sql`(${items.feedAt}, ${items.id}) < (${query.before.feedAt.toISOString()}::timestamptz, ${query.before.id})`);
  if (query.after) conditions.push(sql`(${items.feedAt}, ${items.id}) > (${query.after.feedAt.toISOString()}::timestamptz, ${query.after.id})`);
  const ascending = Boolean(query.after && !query.before);
  // items and their tags in one round trip: a feed miss is dominated by round trips, not rows;
  // one row more than the page tells whether another page follows in this direction
  const rows = await db
    .select({ item: itemColumns, memberOf: memberOfColumn })
    .from(items)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(...(ascending ? [asc(items.feedAt), asc(items.id)] : [desc(items.feedAt), desc(items.id)]))
    .limit(query.limit + 1);
  const beyond = rows.length > query.limit;
  if (beyond) rows.pop();
  if (ascending) rows.reverse();
  const found = rows.map((r) => withTags(rowToItem(r.item), r.memberOf));
  const behind =
    (query.before || query.after) && found.length ? await anyBeyond(db, query, ascending ? found.at(-1)! : found[0]!, ascending ? "<" : ">") : false;
  return ascending ? { items: found, older: behind, newer: beyond } : { items: found, older: beyond, newer: behind };
}

/** The tag and search conditions of a feed, without its position. */
function scopeConditions(db: Database, query: FeedQuery): SQL[] {
  const conditions: SQL[] = [];
  if (query.tagIds) {
    conditions.push(inArray(items.id, db.selectDistinct({ id: itemTags.itemId }).from(itemTags).where(inArray(itemTags.tagId, query.tagIds))));
  } else {
    // a story a global rule drops is in no feed; tags never link one
    conditions.push(eq(items.dropped, false));
  }
  if (query.q) conditions.push(matchingQuery(query.q));
  return conditions;
}

/** Whether the feed has an item older ("<") or newer (">") than `edge`. */
async function anyBeyond(db: Database, query: FeedQuery, edge: FeedItem, side: "<" | ">"): Promise<boolean> {
  const at = edge.feedAt.toISOString();
  const conditions = [...scopeConditions(db, query), sql`(${items.feedAt}, ${items.id}) ${sql.raw(side)} (${at}::timestamptz, ${edge.id})`];
  const rows = await db
    .select({ id: items.id })
    .from(items)
    .where(and(...conditions))
    .limit(1);
  return rows.length > 0;
}

// Spelled out with table names: inside a select of items, drizzle would leave the columns unqualified.
const memberOfColumn = sql<Tag[] | string>`coalesce((
  select json_agg(json_build_object('slug', "t"."slug", 'label', "t"."label") order by "t"."slug")
  from "item_tags" "it" join "tags" "t" on "t"."id" = "it"."tag_id"
  where "it"."item_id" = "items"."id"), '[]')`;

/** The page's own tag order first, matched tags after, alphabetically. */
function withTags(item: StoredItem, memberOf: Tag[] | string): FeedItem {
  const tagsOf: Tag[] = typeof memberOf === "string" ? JSON.parse(memberOf) : memberOf;
  const order = new Map(item.tags.map((t, i) => [t.slug, i]));
  const sorted = [...tagsOf].sort((a, b) => (order.get(a.slug) ?? 1e6) - (order.get(b.slug) ?? 1e6) || (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0));
  return { ...item, memberOf: sorted.map(({ slug, label }) => ({ slug, label })) };
}

/** A stored item; one a global rule drops only with `dropped`, as the command line lists a source's items. */
export async function findItem(db: Database, id: string, options: { dropped?: boolean } = {}): Promise<FeedItem | null> {
  const [row] = await db
    .select({ item: itemColumns, memberOf: memberOfColumn })
    .from(items)
    .where(options.dropped ? eq(items.id, id) : and(eq(items.id, id), eq(items.dropped, false)));
  return row ? withTags(rowToItem(row.item), row.memberOf) : null;
}

export async function tagItemIds(db: Database, slug: string): Promise<string[]> {
  const rows = await db
    .select({ id: itemTags.itemId })
    .from(itemTags)
    .innerJoin(tags, eq(tags.id, itemTags.tagId))
    .where(eq(tags.slug, slug))
    .orderBy(asc(itemTags.itemId));
  return rows.map((r) => r.id);
}

export interface TagSummary extends TagRow {
  items: number;
  /** Where the tag came from: the portal's pages, a followed feed's categories, a person. */
  origin: "portal" | "feed" | "person";
}

export async function listTags(db: Database): Promise<TagSummary[]> {
  const rows = await db
    .select({ id: tags.id, slug: tags.slug, label: tags.label, origin: tags.origin, items: count(itemTags.itemId) })
    .from(tags)
    .leftJoin(itemTags, eq(itemTags.tagId, tags.id))
    .groupBy(tags.id)
    .orderBy(desc(count(itemTags.itemId)), asc(tags.slug));
  return rows.map((r) => ({ ...r, items: Number(r.items) }));
}

export async function countItems(db: Database): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)` }).from(items);
  return Number(row?.n ?? 0);
}
