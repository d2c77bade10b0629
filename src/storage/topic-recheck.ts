/**
 * Re-checks the stored stories against topics that changed (a tag's match
 * and rules, the global rules) and links or unlinks them where the answer
 * changed: what a change of topics (topic-changes.ts) does once it has
 * changed them, in its transaction under the ingestion lock held alone.
 */
import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import { labelNeedsCare } from "../normalise/topic/label-words";
import { TopicBook, type Via } from "../normalise/topic/membership";
import { insertRows } from "./bulk-insert";
import type { Database } from "./database";
import { inJsonList } from "./json-list";
import { items, itemTags, settings } from "./schema";
import { withIngestionsHeld } from "./source-tags";
import { bumpVersions } from "./store-document";
import { factColumns, factsOf, readTopics, SAFE_WORDS_CHECKED, sourceNamesOf } from "./topics";

/** A story a change of topics names: what it now adds to or removes from a tag, drops or restores. */
export interface StoryRef {
  id: string;
  title: string;
}

export interface Reapplied {
  added: Map<number, StoryRef[]>;
  removed: Map<number, StoryRef[]>;
  dropped: StoryRef[];
  restored: StoryRef[];
  /** Items whose tags or visibility changed. */
  touched: Set<string>;
}

const BATCH = 1_000;

/**
 * Checks every stored story against the tags `tagIds` (and, with `drops`,
 * the global rules, which can change every tag of a story) and links or
 * unlinks it where the answer changed. Reads the stories in batches by id.
 */
export async function reapply(tx: Database, book: TopicBook, tagIds: ReadonlySet<number>, drops: boolean, write = true): Promise<Reapplied> {
  const result: Reapplied = { added: new Map(), removed: new Map(), dropped: [], restored: [], touched: new Set() };
  if (!tagIds.size && !drops) return result;
  const note = (map: Map<number, StoryRef[]>, tagId: number, ref: StoryRef) => map.set(tagId, [...(map.get(tagId) ?? []), ref]);
  let after = "";
  for (;;) {
    const rows = await tx
      .select({ ...factColumns(book.readsBeyondText), dropped: items.dropped })
      .from(items)
      .where(gt(items.id, after))
      .orderBy(asc(items.id))
      .limit(BATCH);
    if (!rows.length) break;
    after = rows.at(-1)!.id;
    const ids = rows.map((r) => r.id);
    const shownBy = book.readsSources ? await sourceNamesOf(tx, ids) : new Map<string, string[]>();
    const current = await tx
      .select({ itemId: itemTags.itemId, tagId: itemTags.tagId, via: itemTags.via })
      .from(itemTags)
      .where(drops || !tagIds.size ? inJsonList(itemTags.itemId, ids) : and(inJsonList(itemTags.itemId, ids), inArray(itemTags.tagId, [...tagIds])));
    const linked = new Map<string, Map<number, Via>>();
    for (const l of current) linked.set(l.itemId, (linked.get(l.itemId) ?? new Map()).set(l.tagId, l.via));

    const unlink: { itemId: string; tagId: number }[] = [];
    const link: { itemId: string; tagId: number; via: Via }[] = [];
    const nowDropped: string[] = [];
    const nowShown: string[] = [];
    for (const row of rows) {
      const facts = factsOf(row, (id) => shownBy.get(id) ?? []);
      const ref = { id: row.id, title: row.title };
      const dropped = book.dropped(facts);
      const had = linked.get(row.id) ?? new Map<number, Via>();
      let wanted: Map<number, Via>;
      if (drops && dropped !== row.dropped) {
        (dropped ? nowDropped : nowShown).push(row.id);
        (dropped ? result.dropped : result.restored).push(ref);
        result.touched.add(row.id);
        wanted = new Map(dropped ? [] : book.memberships(facts).map((m) => [m.tagId, m.via]));
      } else if (dropped) {
        wanted = new Map();
      } else {
        // only the tags that changed: the others' links stay as they are
        wanted = new Map([...had].filter(([tagId]) => !tagIds.has(tagId)));
        for (const tagId of tagIds) {
          const via = book.member(tagId, facts);
          if (via) wanted.set(tagId, via);
        }
      }
      for (const [tagId, via] of had) {
        if (wanted.get(tagId) === via) continue;
        unlink.push({ itemId: row.id, tagId });
        if (!wanted.has(tagId)) note(result.removed, tagId, ref);
        result.touched.add(row.id);
      }
      for (const [tagId, via] of wanted) {
        if (had.get(tagId) === via) continue;
        link.push({ itemId: row.id, tagId, via });
        if (!had.has(tagId)) note(result.added, tagId, ref);
        result.touched.add(row.id);
      }
    }
    if (!write) continue;
    if (unlink.length) {
      await tx.execute(sql`delete from ${itemTags} where (${itemTags.itemId}, ${itemTags.tagId}) in
        (select l.item_id, l.tag_id from jsonb_to_recordset(${JSON.stringify(unlink.map((u) => ({ item_id: u.itemId, tag_id: u.tagId })))}::jsonb)
          as l(item_id text, tag_id int))`);
    }
    await insertRows(tx, itemTags, link, { name: "reapply_links" });
    if (nowDropped.length) await tx.update(items).set({ dropped: true }).where(inJsonList(items.id, nowDropped));
    if (nowShown.length) await tx.update(items).set({ dropped: false }).where(inJsonList(items.id, nowShown));
  }
  return result;
}

/** The tags these items belong to: their feeds list the items' tags as categories. */
export async function tagsOfItems(tx: Database, itemIds: string[]): Promise<number[]> {
  if (!itemIds.length) return [];
  const rows = await tx.selectDistinct({ tagId: itemTags.tagId }).from(itemTags).where(inJsonList(itemTags.itemId, itemIds));
  return rows.map((r) => r.tagId);
}

/**
 * Once, after the migration that made matching by words safe (0018): tags
 * that still match by their words (the portal's) and whose label is a stop
 * word or in capitals may hold stories the old rule gave them and the new one
 * does not. Re-checks those tags over every stored story, then records that
 * it did; run with the migrations, on every database.
 */
export async function checkSafeWordsOnce(db: Database): Promise<void> {
  const [done] = await db.select({ key: settings.key }).from(settings).where(eq(settings.key, SAFE_WORDS_CHECKED));
  if (done) return;
  await withIngestionsHeld(db, async (tx) => {
    const [again] = await tx.select({ key: settings.key }).from(settings).where(eq(settings.key, SAFE_WORDS_CHECKED));
    if (again) return;
    const book = new TopicBook(await readTopics(tx));
    const careful = new Set(book.topics.tags.filter((t) => t.match === "words" && labelNeedsCare(t.label)).map((t) => t.id));
    const outcome = await reapply(tx, book, careful, false);
    await bumpVersions(tx, [...(await tagsOfItems(tx, [...outcome.touched])), ...outcome.removed.keys(), ...outcome.added.keys()], outcome.touched.size > 0);
    await tx
      .insert(settings)
      .values({ key: SAFE_WORDS_CHECKED, value: { at: new Date().toISOString() } })
      .onConflictDoNothing();
  });
}
