/**
 * Tag membership of stored items: links each item written to the tags it
 * belongs to, and each tag seen for the first time to the stories already
 * stored that name it.
 */
import { sql } from "drizzle-orm";
import { TopicBook } from "../../normalise/topic/membership";
import { insertRows } from "../bulk-insert";
import type { Database } from "../database";
import { inJsonList, jsonArray } from "../json-list";
import type { ItemRow } from "../rows";
import { items, itemTags } from "../schema";
import { itemsMatching } from "../tag-match";
import { factColumns, factsOf, readTopics, sourceNamesOf } from "../topics";

/**
 * Recomputes the membership of items whose page tags or text changed (or
 * that are new, and so have none yet); returns the tags they left or joined.
 */
export async function linkItems(tx: Database, changed: (ItemRow & { dropped?: boolean })[], brandNew: Set<string>): Promise<number[]> {
  const book = new TopicBook(await readTopics(tx));
  const shownBy = book.readsSources
    ? await sourceNamesOf(
        tx,
        changed.map((c) => c.id),
      )
    : new Map<string, string[]>();
  const known = changed.flatMap((c) => (c.dropped === undefined ? [] : [{ id: c.id, dropped: c.dropped }]));
  return (await linkItemTags(tx, changed, brandNew, book, (id) => shownBy.get(id) ?? [], droppedOf(known))).map((l) => l.tagId);
}

/** Whether each of these stored rows was dropped by a global rule. */
export function droppedOf(stored: readonly { id: string; dropped: boolean }[]): Map<string, boolean> {
  return new Map(stored.map((r) => [r.id, r.dropped]));
}

const jsonArrayOf = (ids: string[]) => jsonArray(ids, "text");

/**
 * linkItems, saying which item left or joined each tag. Also keeps items.dropped in step with the global
 * rules for the items it links (new rows are inserted with theirs): only while there are such rules, since
 * without any no item is dropped (taking the last one away restores every item, topic-changes.ts).
 */
export async function linkItemTags(
  tx: Database,
  changed: ItemRow[],
  brandNew: Set<string>,
  book: TopicBook,
  sourcesOf: (id: string) => readonly string[],
  droppedBefore: ReadonlyMap<string, boolean> = new Map(),
  droppedChanged?: Set<string>,
): Promise<{ itemId: string; tagId: number }[]> {
  if (!changed.length) return [];
  const stale = changed.filter((c) => !brandNew.has(c.id)).map((c) => c.id);
  if (book.topics.drop.length && stale.length) {
    const nowDropped = changed.filter((c) => !brandNew.has(c.id) && book.dropped(factsOf(c, sourcesOf))).map((c) => c.id);
    const differ = stale.filter((id) => droppedBefore.get(id) !== nowDropped.includes(id));
    // written where not known (a retired story's), counted as a change where known to be one
    for (const id of differ) if (droppedBefore.has(id)) droppedChanged?.add(id);
    if (differ.length) {
      await tx
        .update(items)
        .set({ dropped: sql`${items.id} = any(${jsonArrayOf(nowDropped)})` })
        .where(inJsonList(items.id, differ));
    }
  }
  const removed = stale.length
    ? await tx
        .delete(itemTags)
        .where(inJsonList(itemTags.itemId, stale))
        .returning({ itemId: itemTags.itemId, tagId: itemTags.tagId })
        .prepare("unlink_items")
        .execute()
    : [];
  const links: (typeof itemTags.$inferInsert)[] = [];
  for (const item of changed) {
    for (const { tagId, via } of book.memberships(factsOf(item, sourcesOf))) links.push({ itemId: item.id, tagId, via });
  }
  await insertRows(tx, itemTags, links, { name: "insert_links" });
  return [...removed, ...links];
}

/**
 * A tag seen for the first time that gains stories by its words also collects the stories already stored that
 * name it: those the index finds, as membership judges them (made safe, and not dropped).
 */
export async function linkNewTags(tx: Database, created: { id: number; label: string; match: string }[], book?: TopicBook): Promise<number[]> {
  const byWords = created.filter((t) => t.match === "words");
  if (byWords.length) {
    const topics = book ?? new TopicBook(await readTopics(tx));
    for (const tag of byWords) {
      const ids = await itemsMatching(tx, tag.label);
      if (!ids.length) continue;
      // a common word finds thousands of stories: what membership reads of them alone
      const rows = await tx.select(factColumns(topics.readsBeyondText)).from(items).where(inJsonList(items.id, ids));
      const shownBy = topics.readsSources ? await sourceNamesOf(tx, ids) : new Map<string, string[]>();
      const links = rows.flatMap((row) => {
        const via = topics.member(
          tag.id,
          factsOf(row, (id) => shownBy.get(id) ?? []),
        );
        return via ? [{ itemId: row.id, tagId: tag.id, via }] : [];
      });
      await insertRows(tx, itemTags, links, { name: "link_new_tag", onConflictDoNothing: true });
    }
  }
  return created.map((t) => t.id);
}
