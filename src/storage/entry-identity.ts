/**
 * Keeps a feed's entries on stable items from one document to the next (the
 * rule itself is in input/feed/to-items). Two things the reader cannot know
 * from one document alone:
 *
 * - An entry with an id of its own stays on the item it was stored as
 *   before, when its link changes or a link it shared becomes its own: its
 *   guid does not change under readers, and no second item appears. It keeps
 *   the item's id even though a new story link would key it otherwise, so
 *   another feed linking to the new address is a separate item.
 * - An item keyed by a link that the document shows to name no single story
 *   (shared by several entries, the home page) is this feed's no longer: its
 *   observations by this feed are removed. An item no other source shows is
 *   deleted, with its tag links; one that others show too is derived again
 *   from their observations (its texts stay until one of them brings new
 *   ones, since observations keep none). That is how items that merged
 *   several entries by a shared link split into one item per entry.
 */
import { and, desc, eq, inArray } from "drizzle-orm";
import { guidFor } from "../normalise/identity";
import type { Item } from "../normalise/item";
import { derive } from "../normalise/merge";
import { unionTags } from "../normalise/tag-union";
import type { Database } from "./database";
import { inJsonList } from "./json-list";
import { itemRow, rowChanges, rowToItem, type ItemRow } from "./rows";
import { LISTED_REPEAT, sourcedObservations, sourceTagsById } from "./source-observations";
import { itemColumns, items, itemTags, observations } from "./schema";

export interface EntryIdentity {
  /** Item id → key of the entry's own id within its feed, for entries that have one. */
  entryKeys: ReadonlyMap<string, string>;
  /** Items this document shows to be no single entry of its feed. */
  retiredIds: readonly string[];
}

/**
 * For each entry key (it names the feed too), the item of the entry's latest observation.
 * Not a prepared statement, so planned for the table as it is now: a prepared one keeps the
 * plan made for the few observations of a new database (read them all) long after the
 * table has grown, and every feed's first document read every observation stored.
 */
export async function previousItems(tx: Database, keys: string[]): Promise<Map<string, string>> {
  if (!keys.length) return new Map();
  const rows = await tx
    .selectDistinctOn([observations.entryKey], { entryKey: observations.entryKey, itemId: observations.itemId })
    .from(observations)
    .where(inJsonList(observations.entryKey, keys))
    .orderBy(observations.entryKey, desc(observations.fetchedAt));
  return new Map(rows.map((r) => [r.entryKey!, r.itemId]));
}

/**
 * Puts each entry back on its previous item, unless that item is retired,
 * is some other item of this document, or is claimed by two entries.
 * Returns the items and each one's entry key, by final id.
 */
export function keepItems(found: Item[], identity: EntryIdentity, previous: Map<string, string>): { items: Item[]; entryKeyOf: Map<string, string> } {
  const taken = new Set([...found.map((i) => i.id), ...identity.retiredIds]);
  const claims = new Map<string, number>();
  for (const item of found) {
    const before = previous.get(identity.entryKeys.get(item.id) ?? "");
    if (before) claims.set(before, (claims.get(before) ?? 0) + 1);
  }
  const entryKeyOf = new Map<string, string>();
  const kept = found.map((item) => {
    const key = identity.entryKeys.get(item.id);
    const before = key ? previous.get(key) : undefined;
    const moved = before && before !== item.id && !taken.has(before) && claims.get(before) === 1 ? { ...item, id: before, guid: guidFor(before) } : item;
    if (key) entryKeyOf.set(moved.id, key);
    return moved;
  });
  return { items: kept, entryKeyOf };
}

/**
 * Removes the source's observations of the retired items (see the module
 * comment). Returns the items deleted or derived again, and the tags whose
 * feeds that changed.
 */
export async function retireItems(tx: Database, sourceId: number, ids: readonly string[]): Promise<{ changed: string[]; tagIds: number[]; kept: ItemRow[] }> {
  if (!ids.length) return { changed: [], tagIds: [], kept: [] };
  // with the repeats other sources' listings stand for: what those sources show of the item now
  const seen = await sourcedObservations(tx, [...ids]);
  const byItem = new Map<string, typeof seen>();
  for (const row of seen) byItem.set(row.itemId, [...(byItem.get(row.itemId) ?? []), row]);
  const affected = [...byItem].filter(([, rows]) => rows.some((r) => r.sourceId === sourceId));
  if (!affected.length) return { changed: [], tagIds: [], kept: [] };

  const changed = affected.map(([id]) => id);
  const links = await tx.select({ tagId: itemTags.tagId }).from(itemTags).where(inArray(itemTags.itemId, changed));
  const kept: ItemRow[] = [];
  const sourceTags = await sourceTagsById(tx, [...new Set(seen.map((r) => r.sourceId))]);
  for (const [id, rows] of affected) {
    const others = rows.filter((r) => r.sourceId !== sourceId);
    if (!others.length) {
      await tx.delete(items).where(eq(items.id, id));
      continue;
    }
    const ours = rows.filter((r) => r.sourceId === sourceId && r.documentId !== LISTED_REPEAT).map((r) => r.documentId);
    await tx.delete(observations).where(and(eq(observations.itemId, id), inArray(observations.documentId, ours)));
    const [stored] = await tx.select(itemColumns).from(items).where(eq(items.id, id));
    const row = itemRow(rowToItem(stored!), stored!.contentHash, derive(others), unionTags(others, sourceTags));
    const { id: _, ...next } = row;
    // the text is the stored one, but comparable() of another Node (other Unicode tables) may spell it otherwise
    await tx.update(items).set(rowChanges(stored!, next)).where(eq(items.id, id));
    kept.push(row);
  }
  return { changed, tagIds: [...new Set(links.map((l) => l.tagId))], kept };
}
