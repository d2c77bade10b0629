/**
 * Changes of a source that reach its stored items at once: new tags for a
 * followed feed, or the feed no longer followed. Items' tags are the union
 * over their sources (normalise/tag-union); these re-derive it for every
 * item the source has shown, relink tag membership and bump the versions of
 * the feeds that changed, in the caller's transaction.
 */
import { eq, sql } from "drizzle-orm";
import type { Tag } from "../normalise/item";
import { unionTags } from "../normalise/tag-union";
import type { Database } from "./database";
import type { ItemRow } from "./rows";
import { itemColumns, items } from "./schema";
import { sourcedObservations, sourceTagsById, type SourcedObservationRow } from "./source-observations";
import { inJsonList } from "./json-list";
import { INGEST_LOCK, linkItems } from "./store-document";

/**
 * Runs `change` in a transaction that holds the ingestion lock alone: no
 * document is being stored meanwhile, so none derives tags from the
 * source's old state after the change commits.
 */
export function withIngestionsHeld<T>(db: Database, change: (tx: Database) => Promise<T>): Promise<T> {
  return db.transaction(async (txn) => {
    const tx = txn as unknown as Database;
    await tx.execute(sql`select pg_advisory_xact_lock(${INGEST_LOCK})`);
    return change(tx);
  });
}

/**
 * Runs `read` in a transaction that holds the ingestion lock shared: documents are stored meanwhile, but no
 * change of a source or of the topics commits until it is done. For a dry run, which writes nothing.
 */
export function withIngestionsShared<T>(db: Database, read: (tx: Database) => Promise<T>): Promise<T> {
  return db.transaction(async (txn) => {
    const tx = txn as unknown as Database;
    await tx.execute(sql`select pg_advisory_xact_lock_shared(${INGEST_LOCK})`);
    return read(tx);
  });
}

/**
 * Derives the tags of these items again from their observations and their
 * sources' current tags; items no source shows any more keep theirs.
 * Returns the tags whose membership changed and how many items changed.
 */
export async function retagItems(tx: Database, itemIds: string[]): Promise<{ tagIds: number[]; changed: number }> {
  if (!itemIds.length) return { tagIds: [], changed: 0 };
  const rows = await tx.select(itemColumns).from(items).where(inJsonList(items.id, itemIds));
  const observed = await sourcedObservations(tx, itemIds);
  const sourceTags = await sourceTagsById(tx, [...new Set(observed.map((o) => o.sourceId))]);
  const byItem = new Map<string, SourcedObservationRow[]>();
  for (const o of observed) byItem.set(o.itemId, [...(byItem.get(o.itemId) ?? []), o]);

  const changed: ItemRow[] = [];
  for (const row of rows) {
    const group = byItem.get(row.id);
    if (!group) continue;
    const tags = unionTags(group, sourceTags);
    if (sameTags(tags, row.pageTags)) continue;
    await tx.update(items).set({ pageTags: tags }).where(eq(items.id, row.id));
    changed.push({ ...row, pageTags: tags });
  }
  return { tagIds: await linkItems(tx, changed, new Set()), changed: changed.length };
}

function sameTags(a: Tag[], b: Tag[]): boolean {
  const key = (tags: Tag[]) => JSON.stringify(tags.map((t) => [t.slug, t.label]));
  return key(a) === key(b);
}
