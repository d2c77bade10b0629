/** Conversion between the items table and the item model. */
import type { Item, Tag } from "../normalise/item";
import type { Derived } from "../normalise/merge";
import type { items } from "./schema";
import { matchWordsOf } from "./match-words";
import { matchTextOf } from "../normalise/topic/label-words";

/**
 * An item's row as derived from its observations: last_seen_at is kept apart (storage/listing),
 * match_words is written from matchText where the row is written (match-words.ts) and read only by the
 * search index (search-index.ts), and
 * dropped is the global rules' verdict, kept where tags are linked (store/link-tags linkItemTags).
 */
export type ItemRow = Omit<typeof items.$inferSelect, "lastSeenAt" | "matchWords" | "dropped">;

/** An item as stored: the model plus what was derived from its observations. */
export interface StoredItem extends Item {
  firstSeenAt: Date;
  updatedAt: Date;
  /** What feeds sort by (normalise/merge): publishedAt, else where the undated story was first seen. */
  feedAt: Date;
}

export function rowToItem(row: ItemRow): StoredItem {
  return {
    id: row.id,
    guid: row.guid,
    kind: row.kind,
    title: row.title,
    kicker: row.kicker,
    publishedAt: row.publishedAt,
    precision: row.precision,
    agency: row.agency,
    dateline: row.dateline,
    tags: row.pageTags,
    commentCount: row.commentCount,
    image: row.image ?? null,
    media: row.media ?? null,
    summary: row.summary,
    contentHtml: row.contentHtml,
    url: row.url,
    firstSeenAt: row.firstSeenAt,
    updatedAt: row.updatedAt,
    feedAt: row.feedAt,
  };
}

/**
 * The row for an item whose descriptive fields come from `content`, its
 * tags from every source that shows it (normalise/tag-union), and the rest
 * from `derived`.
 */
export function itemRow(content: Item, contentHash: string, derived: Derived, tags: Tag[]): ItemRow {
  return {
    id: content.id,
    guid: content.guid,
    kind: content.kind,
    title: content.title,
    kicker: content.kicker,
    summary: content.summary,
    contentHtml: content.contentHtml,
    url: content.url,
    publishedAt: derived.publishedAt,
    precision: derived.precision,
    agency: content.agency,
    dateline: content.dateline,
    commentCount: derived.commentCount,
    image: content.image,
    media: content.media,
    pageTags: tags,
    matchText: matchTextOf(content.title, content.summary),
    feedAt: derived.feedAt,
    firstSeenAt: derived.firstSeenAt,
    updatedAt: derived.updatedAt,
    contentHash,
  };
}

/** What to set on a stored item's row: its words too where its match text changed, the one place they are written again. */
export function rowChanges<T extends { matchText: string }>(stored: { matchText: string }, next: T): T & { matchWords?: string } {
  return stored.matchText === next.matchText ? next : { ...next, matchWords: matchWordsOf(next.matchText) };
}
