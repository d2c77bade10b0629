/** Read queries the publishers and the CLI need. */
import { asc, count, desc, eq, inArray, sql } from "drizzle-orm";
import { rowToItem, type StoredItem } from "./rows";
import type { Tag } from "../normalise/item";
import type { Database } from "./database";

import { items, itemTags, tags } from "./schema";

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

/** Newest first by feed date (publishedAt, else first seen), ties by id for a stable order. */
export async function itemsOfTag(db: Database, tagId: number, limit: number): Promise<FeedItem[]> {
  const rows = await db
    .select({ item: items })
    .from(itemTags)
    .innerJoin(items, eq(items.id, itemTags.itemId))
    .where(eq(itemTags.tagId, tagId))
    .orderBy(desc(items.feedAt), desc(items.id))
    .limit(limit);
  return withMembership(db, rows.map((r) => rowToItem(r.item)));
}

export async function findItem(db: Database, id: string): Promise<FeedItem | null> {
  const [row] = await db.select().from(items).where(eq(items.id, id));
  if (!row) return null;
  const [item] = await withMembership(db, [rowToItem(row)]);
  return item ?? null;
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
}

export async function listTags(db: Database): Promise<TagSummary[]> {
  const rows = await db
    .select({ id: tags.id, slug: tags.slug, label: tags.label, items: count(itemTags.itemId) })
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

async function withMembership(db: Database, stored: StoredItem[]): Promise<FeedItem[]> {
  if (!stored.length) return [];
  const links = await db
    .select({ itemId: itemTags.itemId, slug: tags.slug, label: tags.label, via: itemTags.via })
    .from(itemTags)
    .innerJoin(tags, eq(tags.id, itemTags.tagId))
    .where(inArray(itemTags.itemId, stored.map((s) => s.id)));
  return stored.map((item) => {
    const order = new Map(item.tags.map((t, i) => [t.slug, i]));
    const memberOf = links
      .filter((l) => l.itemId === item.id)
      // the page's own order first, matched tags after, alphabetically
      .sort((a, b) => (order.get(a.slug) ?? 1e6) - (order.get(b.slug) ?? 1e6) || a.slug.localeCompare(b.slug))
      .map(({ slug, label }) => ({ slug, label }));
    return { ...item, memberOf };
  });
}
