/**
 * Writes ingested documents (a page, feed fetches) in one transaction per
 * group: their observations, the items derived from them, their tags and tag
 * membership, and what their sources list now (storage/listing). Either all
 * of a group lands or none of it does; a group that fails is stored again one
 * document at a time, so that only the failing document fails. Storing a
 * group gives each document the report, and the tables the state, that
 * storing its documents one after another in the same order would.
 */
import { TopicBook } from "../normalise/topic/membership";
import { insertRows } from "./bulk-insert";
import type { Database } from "./database";
import { retireItems } from "./entry-identity";
import { inJsonList } from "./json-list";
import { NO_LISTING, recordListings } from "./listing";
import { queueForSearch } from "./search-index";
import { recordLetGoRepeats } from "./source-observations";
import { itemColumns, items, observations } from "./schema";
import { bumpGroupVersions } from "./store/bump-versions";
import { createTags, tagsBrought } from "./store/create-tags";
import { droppedOf, linkItemTags, linkNewTags } from "./store/link-tags";
import { lockLetGo, takeIngestLock } from "./store/locks";
import { mergeItems, startMerge, type Retired } from "./store/merge";
import { planGroup, runsApart, SharedItemError } from "./store/plan";
import { insertDocuments, sourceIdsOf } from "./store/record-documents";
import { startReports } from "./store/reports";
import { together } from "./store/together";
import type { DocumentInput, Stored, StoreReport, Storing } from "./store/documents";
import { readTopics } from "./topics";

// what other modules use of storing, kept importable from here
export { bumpVersions } from "./store/bump-versions";
export { createTags, type OriginTag } from "./store/create-tags";
export { linkItems, linkNewTags } from "./store/link-tags";
export { INGEST_LOCK } from "./store/locks";
export type { DocumentInput, ItemOutcome, Stored, StoreReport, Storing } from "./store/documents";

/** `alongside` runs last in the same transaction: what else must land with the document, or not at all (the feed's fetch state). */
export async function storeDocument(db: Database, doc: DocumentInput, alongside?: (tx: Database) => Promise<void>): Promise<StoreReport> {
  const [stored] = await storeDocuments(db, [{ doc, alongside }]);
  if ("error" in stored!) throw stored.error;
  return stored!.report;
}

/**
 * Stores the documents as one group: one transaction, each statement serving
 * all of them. A document that shares a source (and so perhaps a document: its
 * content fetched at the same time) or an item with one before it in the group starts a group of
 * its own, stored after the one before: an item's observations are read and
 * derived per document. When documents meet on an item only through entry
 * identity or their sources' listings (found once those are read), or a group
 * that creates tags also retires items, the whole group is stored one
 * document at a time: rare, and only slower. If the group's
 * transaction fails (a lease lost, a deadlock, a value the database
 * refuses), each document is stored again alone, and only those that fail
 * alone fail, each with its own error. Results are in the order given.
 */
export async function storeDocuments(db: Database, group: readonly Storing[]): Promise<Stored[]> {
  const runs = runsApart(group);
  if (runs.length > 1) {
    const results: Stored[] = [];
    for (const run of runs) results.push(...(await storeDocuments(db, run)));
    return results;
  }
  try {
    const reports = await db.transaction((txn) => storeGroup(txn as unknown as Database, group));
    return reports.map((report) => ({ report }));
  } catch (error) {
    if (group.length === 1) return [{ error }];
    return oneByOne(db, group);
  }
}

async function oneByOne(db: Database, group: readonly Storing[]): Promise<Stored[]> {
  const results: Stored[] = [];
  for (const storing of group) results.push(...(await storeDocuments(db, [storing])));
  return results;
}

/**
 * Stores a group whose documents share no source and no item, in its phases (store/): plan each document,
 * take the locks, record the documents and create the tags, retire, record the listings, merge the items,
 * link them to their tags, and bump the versions of the feeds that changed.
 */
async function storeGroup(tx: Database, group: readonly Storing[]): Promise<StoreReport[]> {
  const docs = group.map((s) => s.doc);
  // Statements that do not wait for each other's answers go out together (postgres.js pipelines what a
  // transaction issues at once): the database runs them in the order sent, as if one followed the other.
  const planned = await planGroup(tx, docs);
  const { plans } = planned;
  const [alone, sourceIds] = await together([
    takeIngestLock(
      tx,
      planned.slugs,
      plans.flatMap((p) => p.touched),
    ),
    sourceIdsOf(tx, docs, planned.namedBy),
  ]);
  // A tag created by a later document of the group links the stories an earlier one retires only when
  // storing one by one (it links what is stored when it is created): such a group is stored that way.
  if (alone && plans.length > 1 && plans.some((p) => p.retiredIds.length)) throw new SharedItemError("a group creating tags retires items");
  const [documentIds, newTags] = await together([insertDocuments(tx, docs, sourceIds), alone ? createTags(tx, tagsBrought(plans)) : Promise.resolve([])]);
  const retired: Retired[] = [];
  for (const [k, plan] of plans.entries()) retired.push(await retireItems(tx, sourceIds[k]!, plan.retiredIds));
  const allIds = plans.flatMap((p) => p.ids);
  const [{ gone, before }, stored, topics] = await together([
    recordListings(
      tx,
      plans.map((p, k) => ({ sourceId: sourceIds[k]!, fetchedAt: p.doc.fetchedAt, ids: p.ids })),
    ),
    allIds.length ? tx.select(itemColumns).from(items).where(inJsonList(items.id, allIds)).prepare("stored_items").execute() : Promise.resolve([]),
    // after the tags this group creates, and under the lock that keeps every tag's definition as it is
    readTopics(tx),
  ]);
  const book = new TopicBook(topics);
  // The items read above are the documents' own, locked already, so reading them first changes nothing.
  await lockLetGo(tx, plans, gone, alone);
  // the repeats the old listings stood for, of what the new ones let go of (retired items have no observations of theirs left)
  await recordLetGoRepeats(
    tx,
    plans.map((_, k) => ({ sourceId: sourceIds[k]!, listing: before.get(sourceIds[k]!) ?? NO_LISTING, ids: gone[k]! })),
  );

  const merge = await startMerge(tx, book, planned, stored, allIds, sourceIds, retired, before);
  const started = startReports(plans, retired, newTags);
  await mergeItems(merge, plans, sourceIds, documentIds, started.reports);
  // sent together: the links' first statement only reads the tags, and the links follow its answer, after the items
  const [, , , linked] = await together([
    insertRows(tx, items, merge.newRows, { name: "insert_items" }),
    insertRows(tx, observations, merge.newObservations, { name: "insert_observations" }),
    queueForSearch(tx, merge.toIndex),
    linkItemTags(tx, merge.relink, new Set(merge.newRows.map((r) => r.id)), book, merge.sourcesOf, droppedOf(stored), merge.droppedChanged),
  ]);
  const created = await linkNewTags(tx, newTags, book);
  await bumpGroupVersions(tx, plans, started, retired, merge, linked, created);
  await together(group.map((s) => s.alongside?.(tx)));
  return started.reports;
}
