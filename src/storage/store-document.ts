/**
 * Writes ingested documents (a page, feed fetches) in one transaction per
 * group: their observations, the items derived from them, their tags and tag
 * membership, and what their sources list now (storage/listing). Either all
 * of a group lands or none of it does; a group that fails is stored again one
 * document at a time, so that only the failing document fails. Storing a
 * group gives each document the report, and the tables the state, that
 * storing its documents one after another in the same order would.
 */
import { and, eq, sql } from "drizzle-orm";
import type { Item, Tag } from "../normalise/item";
import { derive, observe, untimedPlaces } from "../normalise/merge";
import { tagsFromLabels, unionTags, type SourcedObservation } from "../normalise/tag-union";
import { MATCH_OF_ORIGIN, TopicBook, type TagOrigin } from "../normalise/topic/membership";
import { insertRows } from "./bulk-insert";
import { inJsonList, jsonArray } from "./json-list";
import type { Database } from "./database";
import { keepItems, previousItems, retireItems, type EntryIdentity } from "./entry-identity";
import { dropped, recordListings } from "./listing";
import { itemRow, rowChanges, rowToItem, type ItemRow } from "./rows";
import { matchWordsOf } from "./match-words";
import { documents, feedState, itemColumns, items, itemTags, observations, sources, tagAliases, tags } from "./schema";
import { sourcedObservations, sourceTagsById, type SourcedObservationRow } from "./source-observations";
import { itemsMatching } from "./tag-match";
import { factColumns, factsOf, readTopics, sourceNamesOf } from "./topics";

export interface DocumentInput {
  source: { kind: "page" | "feed"; name: string; url?: string | null };
  /** File name or URL, for the operator. */
  name: string;
  sha256: string;
  fetchedAt: Date;
  items: Item[];
  /** A feed document's entries: which items they were before, which items it retires. */
  identity?: EntryIdentity | undefined;
  /** Where the tags the document brings come from, if not from its kind of source (a web page's keywords: "feed"). */
  tagOrigin?: TagOrigin | undefined;
}

export type ItemOutcome = "new" | "updated" | "unchanged";

export interface StoreReport {
  new: number;
  updated: number;
  unchanged: number;
  /** Items this source no longer shows as one entry (deleted, or derived from other sources alone). */
  retired: number;
  outcomes: { id: string; title: string; outcome: ItemOutcome }[];
  newTags: string[];
  /** Tags whose feeds this document changed (their version was bumped). */
  changedTags: string[];
}

/** A document to store, with what must land with it or not at all. */
export interface Storing {
  doc: DocumentInput;
  /** Runs last in the document's transaction (the feed's fetch state); throwing rolls the document back. */
  alongside?: ((tx: Database) => Promise<void>) | undefined;
}

/** How storing one document of a group went. */
export type Stored = { report: StoreReport } | { error: unknown };

// Tag membership must see every item and every tag that committed before
// it, or a tag and an item created by two concurrent ingestions would never
// be linked. A document that brings a tag not yet known takes this lock
// alone; the others (nearly every feed fetch) share it and run side by side.
// Changing or removing a source takes it alone too (source-tags.ts).
export const INGEST_LOCK = 0x66656564;
// Documents that share the ingestion lock still serialise per story: an
// item is derived from all of its observations, read and written together.
const STORY_LOCKS = 0x73746f72;

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
 * The group cut into runs, in order, whose documents share nothing that entry identity is not needed to see: a source
 * (and with it a document: its content fetched at the same time), an item shown or retired. Storing the runs one after another is
 * storing the documents one after another.
 */
function runsApart(group: readonly Storing[]): Storing[][] {
  const runs: Storing[][] = [];
  let taken = new Set<string>();
  for (const storing of group) {
    const { doc } = storing;
    const marks = [`source ${doc.source.name}`, ...doc.items.map((i) => `item ${i.id}`)];
    for (const id of doc.identity?.retiredIds ?? []) marks.push(`item ${id}`);
    if (!runs.length || marks.some((m) => taken.has(m))) {
      runs.push([]);
      taken = new Set();
    }
    runs.at(-1)!.push(storing);
    for (const m of marks) taken.add(m);
  }
  return runs;
}

function disjoint(sets: readonly (readonly string[])[]): boolean {
  const seen = new Set<string>();
  for (const ids of sets) {
    for (const id of new Set(ids)) {
      if (seen.has(id)) return false;
      seen.add(id);
    }
  }
  return true;
}

/** Documents of a group meet on an item only found once entry identity or the listings were read: the group is stored one by one. */
class SharedItemError extends Error {
  override name = "SharedItemError";
}

/** What one document of a group brings, worked out from what was read before the locks. */
interface Plan {
  doc: DocumentInput;
  items: Item[];
  entryKeyOf: Map<string, string>;
  ids: string[];
  retiredIds: readonly string[];
  ownTags: Tag[];
  letGo: string[];
  /** Every item the document writes: the story locks it needs. */
  touched: string[];
}

async function storeGroup(tx: Database, group: readonly Storing[]): Promise<StoreReport[]> {
  const docs = group.map((s) => s.doc);
  // Statements that do not wait for each other's answers go out together (postgres.js pipelines what a
  // transaction issues at once): the database runs them in the order sent, as if one followed the other.
  const entryKeys = [...new Set(docs.flatMap((d) => (d.identity ? [...d.identity.entryKeys.values()] : [])))];
  // the sources' own tags join the items' tags, so they count as new tags too (read again under the lock),
  // and their listings: the items a document drops from one are written too, so they are locked like the document's own
  const [previous, named] = await together([
    previousItems(tx, entryKeys),
    tx
      .select({ id: sources.id, name: sources.name, tags: sources.tags, ids: sources.listing, listedAt: sources.listedAt })
      .from(sources)
      .where(
        inJsonList(
          sources.name,
          docs.map((d) => d.source.name),
        ),
      )
      .prepare("sources_by_name_for_store")
      .execute(),
  ]);
  const namedBy = new Map(named.map((s) => [s.name, s]));
  const plans = docs.map((doc): Plan => {
    const identity = doc.identity;
    const { items: docItems, entryKeyOf } = identity ? keepItems(doc.items, identity, previous) : { items: doc.items, entryKeyOf: new Map<string, string>() };
    const retiredIds = identity?.retiredIds ?? [];
    const ids = [...new Set(docItems.map((i) => i.id))].sort();
    const source = namedBy.get(doc.source.name);
    const letGo = source ? dropped(source, doc.fetchedAt, ids) : [];
    return {
      doc,
      items: docItems,
      entryKeyOf,
      ids,
      retiredIds,
      ownTags: tagsFromLabels(source?.tags ?? []),
      letGo,
      touched: [...ids, ...retiredIds, ...letGo],
    };
  });
  if (!disjoint(plans.map((p) => p.touched))) throw new SharedItemError("documents of the group share an item");
  const slugs = [...new Set(plans.flatMap((p) => [...p.items.flatMap((i) => i.tags.map((t) => t.slug)), ...p.ownTags.map((t) => t.slug)]))];
  const [alone, sourceIds] = await together([
    takeIngestLock(
      tx,
      slugs,
      plans.flatMap((p) => p.touched),
    ),
    sourceIdsOf(tx, docs, namedBy),
  ]);
  // A tag created by a later document of the group links the stories an earlier one retires only when
  // storing one by one (it links what is stored when it is created): such a group is stored that way.
  if (alone && plans.length > 1 && plans.some((p) => p.retiredIds.length)) throw new SharedItemError("a group creating tags retires items");
  const [documentIds, newTags] = await together([
    insertDocuments(tx, docs, sourceIds),
    alone
      ? createTags(
          tx,
          plans.flatMap((p) => [
            ...p.items.flatMap((i) =>
              i.tags.map((t) => ({ ...t, origin: p.doc.tagOrigin ?? ((p.doc.source.kind === "page" ? "portal" : "feed") as TagOrigin) })),
            ),
            ...p.ownTags.map((t) => ({ ...t, origin: "person" as const })),
          ]),
        )
      : Promise.resolve([]),
  ]);
  const retired: Awaited<ReturnType<typeof retireItems>>[] = [];
  for (const [k, plan] of plans.entries()) retired.push(await retireItems(tx, sourceIds[k]!, plan.retiredIds));
  const allIds = plans.flatMap((p) => p.ids);
  const [gone, stored, topics] = await together([
    recordListings(
      tx,
      plans.map((p, k) => ({ sourceId: sourceIds[k]!, fetchedAt: p.doc.fetchedAt, ids: p.ids })),
    ),
    allIds.length ? tx.select(itemColumns).from(items).where(inJsonList(items.id, allIds)).prepare("stored_items").execute() : Promise.resolve([]),
    // after the tags this group creates, and under the lock that keeps every tag's definition as it is
    readTopics(tx),
  ]);
  const book = new TopicBook(topics);
  // a document of the same source stored since the read above changed a listing: lock what else it lets go of. Rare, and
  // out of the global order: it can deadlock with a document holding one of them, and PostgreSQL then fails one of the two.
  // The items read above are the documents' own, locked already, so reading them first changes nothing.
  const extra = plans.map((p, k) => gone[k]!.filter((id) => !p.letGo.includes(id)));
  if (!disjoint(plans.map((p, k) => [...p.touched, ...extra[k]!]))) throw new SharedItemError("documents of the group share an item they let go of");
  if (!alone) await lockStories(tx, extra.flat());

  // last seen is the listing's to keep (listing.ts), not derived from observations like the rest of the row; dropped is the link's (linkItemTags)
  const rows = stored.map(({ lastSeenAt: _, dropped: __, ...row }) => row);
  const rowById = new Map(rows.map((r) => [r.id, r]));
  const priorObs = rows.length
    ? await sourcedObservations(
        tx,
        rows.map((r) => r.id),
      )
    : [];
  const priorByItem = new Map<string, (typeof priorObs)[number][]>();
  for (const o of priorObs) priorByItem.set(o.itemId, [...(priorByItem.get(o.itemId) ?? []), o]);
  const [sourceTags, shownBy] = await together([
    sourceTagsById(tx, [...new Set([...sourceIds, ...priorObs.map((o) => o.sourceId)])]),
    // only a rule over sources reads them
    book.readsSources ? sourceNamesOf(tx, [...allIds, ...retiredKept(retired)]) : Promise.resolve(new Map<string, string[]>()),
  ]);
  for (const plan of plans) {
    const own = [plan.doc.source.name, ...(plan.doc.source.url && plan.doc.source.url !== plan.doc.source.name ? [plan.doc.source.url] : [])];
    for (const id of plan.ids) shownBy.set(id, [...new Set([...(shownBy.get(id) ?? []), ...own])]);
  }
  const sourcesOf = (id: string) => shownBy.get(id) ?? [];

  // each new tag is the first document's that brings it, as if the documents were stored one by one
  const creatorOf = new Map<number, number>();
  const reports = plans.map((plan, k): StoreReport => {
    const brought = new Set([...plan.items.flatMap((i) => i.tags.map((t) => t.slug)), ...plan.ownTags.map((t) => t.slug)]);
    const mine = newTags.filter((t) => !creatorOf.has(t.id) && brought.has(t.slug));
    for (const t of mine) creatorOf.set(t.id, k);
    return {
      new: 0,
      updated: 0,
      unchanged: 0,
      retired: retired[k]!.changed.length,
      outcomes: [],
      newTags: mine.map((t) => t.slug),
      changedTags: [],
    };
  });
  // items a document let go of that other sources still show: their tags are those sources' alone now
  const relink: ItemRow[] = retired.flatMap((r) => r.kept);
  const droppedChanged = new Set<string>();
  const newRows: (typeof items.$inferInsert)[] = [];
  const newObservations: (typeof observations.$inferInsert)[] = [];
  // which document of the group wrote each item: the tags whose feeds it changed are that document's
  const docOf = new Map<string, number>();
  for (const [k, r] of retired.entries()) for (const row of r.kept) docOf.set(row.id, k);
  for (const [k, plan] of plans.entries()) {
    const { doc, entryKeyOf } = plan;
    const sourceId = sourceIds[k]!;
    const documentId = documentIds[k]!;
    const report = reports[k]!;
    const places = untimedPlaces(plan.items, doc.fetchedAt);
    for (const item of plan.items) {
      docOf.set(item.id, k);
      const obs = { ...observe(item, doc.fetchedAt, places.get(item.id) ?? null), entryKey: entryKeyOf.get(item.id) ?? null };
      const prior = priorByItem.get(item.id) ?? [];
      const same = prior.find((o) => o.documentId === documentId);
      const others = prior.filter((o) => o !== same);
      const repeated = doc.source.kind === "feed" && !same && isRepeat(others, { ...obs, itemId: item.id, sourceId }, previous);
      const all: SourcedObservation[] = repeated ? others : [...others, { ...obs, sourceId }];
      const derived = derive(all);
      const stored = rowById.get(item.id);
      // The winning content is either this document's or the one already stored.
      const content = !stored || derived.content.contentHash === obs.contentHash ? item : rowToItem(stored);
      const next = itemRow(content, stored && content !== item ? stored.contentHash : obs.contentHash, derived, unionTags(all, sourceTags));

      // membership follows what it reads: the words and the sources' tags, and what rules read besides (the
      // content, the byline, the dateline), and the sources that show the story where a rule reads them
      const readChanged =
        stored !== undefined &&
        (stored.matchText !== next.matchText ||
          stableJson(stored.pageTags) !== stableJson(next.pageTags) ||
          (book.readsBeyondText && (stored.contentHtml !== next.contentHtml || stored.agency !== next.agency || stored.dateline !== next.dateline)) ||
          (book.readsSources && !prior.some((o) => o.sourceId === sourceId)));
      let outcome: ItemOutcome;
      if (!stored) {
        newRows.push({ ...next, matchWords: matchWordsOf(next.matchText), lastSeenAt: doc.fetchedAt, dropped: book.dropped(factsOf(next, sourcesOf)) });
        relink.push(next);
        outcome = "new";
      } else if (stableJson(stored) !== stableJson(next)) {
        const { id, ...changes } = next;
        await tx.update(items).set(rowChanges(stored, changes)).where(eq(items.id, id));
        if (readChanged) relink.push(next);
        outcome = "updated";
      } else {
        if (readChanged) relink.push(next);
        outcome = "unchanged";
      }

      const obsRow = { itemId: item.id, documentId, ...obs };
      if (repeated) {
        // nothing to record: see isRepeat
      } else if (!same) {
        newObservations.push(obsRow);
      } else if (stableJson({ ...same, sourceId: undefined }) !== stableJson(obsRow)) {
        await tx
          .update(observations)
          .set(obs)
          .where(and(eq(observations.itemId, item.id), eq(observations.documentId, documentId)));
      }
      report[outcome]++;
      report.outcomes.push({ id: item.id, title: item.title, outcome });
    }
  }
  // sent together: the links' first statement only reads the tags, and the links follow its answer, after the items
  const [, , linked] = await together([
    insertRows(tx, items, newRows, { name: "insert_items" }),
    insertRows(tx, observations, newObservations, { name: "insert_observations" }),
    linkItemTags(tx, relink, new Set(newRows.map((r) => r.id)), book, sourcesOf, droppedOf(stored), droppedChanged),
  ]);
  const created = await linkNewTags(tx, newTags, book);
  const relinked = new Set(relink.map((r) => r.id));

  const changedIds = reports.map((r) => r.outcomes.filter((o) => o.outcome !== "unchanged").map((o) => o.id));
  const keptLinks = changedIds.flat().filter((id) => !relinked.has(id));
  const kept = keptLinks.length
    ? await tx
        .select({ itemId: itemTags.itemId, tagId: itemTags.tagId })
        .from(itemTags)
        .where(inJsonList(itemTags.itemId, keptLinks))
        .prepare("kept_links")
        .execute()
    : [];
  const affected = retired.map((r) => new Set(r.tagIds));
  for (const id of created) affected[creatorOf.get(id)!]!.add(id);
  // a tag a later document of the group creates was not there yet for this one: that document's creating it links it
  for (const { itemId, tagId } of [...linked, ...kept]) {
    const k = docOf.get(itemId)!;
    if ((creatorOf.get(tagId) ?? k) <= k) affected[k]!.add(tagId);
  }
  const bumps = new Map<number, number>();
  for (const ids of affected) for (const id of ids) bumps.set(id, (bumps.get(id) ?? 0) + 1);
  // a story a global rule drops (or shows again) changes "all" though the story itself did not change
  const changing = reports.filter((r, k) => changedIds[k]!.length > 0 || r.retired > 0 || plans[k]!.ids.some((id) => droppedChanged.has(id))).length;
  const slugOf = new Map((await bumpVersionsBy(tx, bumps, changing)).map((t) => [t.id, t.slug]));
  for (const [k, report] of reports.entries()) {
    report.changedTags = [...affected[k]!].flatMap((id) => slugOf.get(id) ?? []).sort();
  }
  await together(group.map((s) => s.alongside?.(tx)));
  return reports;
}

/** Each document's source id: sources not yet known are created (pages' portal, a feed stored without being followed). */
async function sourceIdsOf(tx: Database, docs: readonly DocumentInput[], named: ReadonlyMap<string, { id: number }>): Promise<number[]> {
  const missing = docs.filter((d) => !named.has(d.source.name));
  const ids = new Map([...named].map(([name, s]) => [name, s.id]));
  for (const doc of missing) ids.set(doc.source.name, await upsertSource(tx, doc.source));
  return docs.map((d) => ids.get(d.source.name)!);
}

/**
 * Whether a feed's entry says again exactly what its source's latest
 * observation of the item said, so that recording it would change nothing
 * derived from the item's observations: derive() and unionTags() read a run
 * of equal observations of one source through its first one, as long as no
 * other source observed the item since that one (their order against each
 * other would then matter) and the entry's key still leads to this item (its
 * latest observation is what entry identity follows). A feed document thus
 * adds observations only for entries that are new or changed. News pages
 * record every story they show: their documents are ingested in any order.
 */
function isRepeat(prior: readonly SourcedObservationRow[], now: Omit<SourcedObservationRow, "documentId">, previous: ReadonlyMap<string, string>): boolean {
  let latest: SourcedObservationRow | undefined;
  for (const o of prior) if (o.sourceId === now.sourceId && (!latest || o.fetchedAt > latest.fetchedAt)) latest = o;
  if (!latest || latest.fetchedAt >= now.fetchedAt) return false;
  const since = latest.fetchedAt.getTime();
  if (prior.some((o) => o.sourceId !== now.sourceId && o.fetchedAt.getTime() >= since)) return false;
  if (now.entryKey !== null && previous.get(now.entryKey) !== undefined && previous.get(now.entryKey) !== now.itemId) return false;
  return (
    latest.kind === now.kind &&
    latest.contentHash === now.contentHash &&
    latest.commentCount === now.commentCount &&
    latest.publishedAt?.getTime() === now.publishedAt?.getTime() &&
    latest.precision === now.precision &&
    latest.entryKey === now.entryKey &&
    stableJson(latest.tags) === stableJson(now.tags)
  );
}

/**
 * Takes the ingestion lock: alone when the document brings a tag not yet
 * known (a known slug stays known: a tag removed or merged leaves its slug as
 * an old name, tag_aliases, in the same transaction, so "all known" stays true
 * once checked),
 * otherwise shared, with a lock per story taken in one global order so that
 * two documents never wait for each other's stories. Returns whether it
 * holds the lock alone.
 *
 * The story locks go out with the ingestion lock, without waiting for its
 * answer, and are taken even when it is held alone: then no other document
 * holds one (each takes them under the shared lock, and holds them only
 * until it commits), so they cost a statement but never a wait.
 */
async function takeIngestLock(tx: Database, slugs: string[], ids: string[]): Promise<boolean> {
  // one statement: whether every tag is known (a tag, or the old name of one), and the lock that follows from it
  const known = sql`(select count(*) < jsonb_array_length(${JSON.stringify(slugs)}::jsonb) as alone from (
    select ${tags.slug} from ${tags} where ${inJsonList(tags.slug, slugs)}
    union all select ${tagAliases.slug} from ${tagAliases} where ${inJsonList(tagAliases.slug, slugs)}) k) t`;
  const [[taken]] = await together([
    tx
      .select({
        alone: sql<boolean>`t.alone`,
        lock: sql`case when t.alone then pg_advisory_xact_lock(${INGEST_LOCK}) else pg_advisory_xact_lock_shared(${INGEST_LOCK}) end`,
      })
      .from(known)
      .prepare("ingest_lock")
      .execute(),
    lockStories(tx, ids),
  ]);
  return taken!.alone;
}

/** Story locks, taken in one global order (by key) so that two documents never wait for each other's stories. */
async function lockStories(tx: Database, ids: string[]): Promise<void> {
  const keys = [...new Set(ids.map(storyLockKey))].sort((a, b) => a - b);
  if (keys.length) {
    await tx
      .select({ lock: sql`pg_advisory_xact_lock(${STORY_LOCKS}, k::int)` })
      .from(sql`jsonb_array_elements_text(${JSON.stringify(keys)}::jsonb) k`)
      .prepare("story_locks")
      .execute();
  }
}

/** FNV-1a, as a signed 32-bit key: collisions only make two stories wait for each other. */
function storyLockKey(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return hash | 0;
}

/**
 * Marks the feeds this document changed, so caches of rendered feeds let go
 * of them. Last in the transaction, and "all" before any tag: documents
 * sharing the ingestion lock queue on the "all" row instead of taking tag
 * rows in different orders.
 */
export async function bumpVersions(tx: Database, tagIds: number[], anyItemChanged: boolean): Promise<string[]> {
  const bumped = await bumpVersionsBy(tx, new Map(tagIds.map((id) => [id, 1])), anyItemChanged ? 1 : 0);
  return bumped.map((t) => t.slug).sort();
}

/**
 * bumpVersions for a group: each tag by the number of its documents that
 * changed its feed, "all" by the number that changed any item, so that
 * versions move as far as storing the documents one by one moves them.
 */
async function bumpVersionsBy(tx: Database, tagBumps: ReadonlyMap<number, number>, allBumps: number): Promise<{ id: number; slug: string }[]> {
  const byTag = JSON.stringify(Object.fromEntries(tagBumps));
  // both sent at once, "all" first: the database takes them in that order
  const [, bumped] = await together([
    allBumps > 0
      ? tx
          .insert(feedState)
          .values({ key: "all", version: allBumps })
          .onConflictDoUpdate({ target: feedState.key, set: { version: sql`${feedState.version} + excluded.version`, changedAt: sql`now()` } })
          .prepare("bump_all")
          .execute()
      : undefined,
    tagBumps.size
      ? tx
          .update(tags)
          .set({ version: sql`${tags.version} + (${byTag}::jsonb ->> ${tags.id}::text)::int`, changedAt: sql`now()` })
          .where(sql`${tags.id} = any(array(select jsonb_object_keys(${byTag}::jsonb)::int))`)
          .returning({ id: tags.id, slug: tags.slug })
          .prepare("bump_tags")
          .execute()
      : [],
  ]);
  return bumped;
}

// Both upserts insert after looking: two documents sharing the lock may bring
// the same new source or the same document, and the second insert then waits
// for the first to commit instead of failing on the unique index.
async function upsertSource(tx: Database, source: DocumentInput["source"]): Promise<number> {
  const byName = async () => {
    const [found] = await tx
      .select({ id: sources.id, kind: sources.kind })
      .from(sources)
      .where(eq(sources.name, source.name))
      .prepare("source_by_name")
      .execute();
    // a page of a site whose host a followed feed is named after (`sources add URL --name example.org`) is not that
    // feed's document: it would take the feed's listing
    if (found && found.kind !== source.kind)
      throw new Error(`'${source.name}' is the name of a followed feed: a page of the site by that name cannot be stored under it`);
    return found;
  };
  const found = await byName();
  if (found) return found.id;
  const [created] = await tx
    .insert(sources)
    .values({ kind: source.kind, name: source.name, url: source.url ?? null })
    .onConflictDoNothing()
    .returning({ id: sources.id });
  return created?.id ?? (await byName())!.id;
}

/** Each document's id, in the order given; a document stored before (the same source's content fetched at the same time) keeps its id. */
async function insertDocuments(tx: Database, docs: readonly DocumentInput[], sourceIds: readonly number[]): Promise<number[]> {
  const keyOf = (sourceId: number, sha256: string, fetchedAt: Date) => `${sourceId} ${sha256} ${fetchedAt.getTime()}`;
  // the statement's text changes with the number of documents, at most a group's size: prepared once per count and connection
  const created = await tx
    .insert(documents)
    .values(docs.map((doc, k) => ({ sourceId: sourceIds[k]!, name: doc.name, sha256: doc.sha256, fetchedAt: doc.fetchedAt, itemCount: doc.items.length })))
    .onConflictDoNothing()
    .returning({ id: documents.id, sourceId: documents.sourceId, sha256: documents.sha256, fetchedAt: documents.fetchedAt })
    .prepare(`insert_documents_${docs.length}`)
    .execute();
  const ids = new Map(created.map((d) => [keyOf(d.sourceId, d.sha256, d.fetchedAt), d.id]));
  for (const [k, doc] of docs.entries()) {
    const key = keyOf(sourceIds[k]!, doc.sha256, doc.fetchedAt);
    if (ids.has(key)) continue;
    const [found] = await tx
      .select({ id: documents.id })
      .from(documents)
      .where(and(eq(documents.sourceId, sourceIds[k]!), eq(documents.sha256, doc.sha256), eq(documents.fetchedAt, doc.fetchedAt)));
    ids.set(key, found!.id);
  }
  return docs.map((doc, k) => ids.get(keyOf(sourceIds[k]!, doc.sha256, doc.fetchedAt))!);
}

/** A tag a document or a person brings, and where it comes from: what it gains stories by when it is new. */
export type OriginTag = Tag & { origin: TagOrigin };

/**
 * Creates the tags not yet known (the first label of a slug wins, and its origin decides how it gains stories:
 * MATCH_OF_ORIGIN); returns those created. The old name of a renamed, merged or removed tag is known: it names
 * the tag it leads to, or nothing.
 */
export async function createTags(tx: Database, given: OriginTag[]) {
  const wanted = new Map<string, OriginTag>();
  for (const tag of given) if (!wanted.has(tag.slug)) wanted.set(tag.slug, tag);
  if (!wanted.size) return [];
  const rows = JSON.stringify([...wanted.values()].map(({ slug, label, origin }) => ({ slug, label, origin, match: MATCH_OF_ORIGIN[origin] })));
  const created = await tx.execute(sql`
    insert into ${tags} (slug, label, origin, match)
    select r.slug, r.label, r.origin, r.match from jsonb_to_recordset(${rows}::jsonb) as r(slug text, label text, origin text, match text)
    where not exists (select 1 from ${tagAliases} a where a.slug = r.slug)
    on conflict do nothing
    returning id, slug, label, match`);
  return rowsOf<{ id: number; slug: string; label: string; match: string }>(created).map((r) => ({
    id: Number(r.id),
    slug: r.slug,
    label: r.label,
    match: r.match,
  }));
}

/** postgres.js answers an execute with the rows, PGlite with an object holding them. */
function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;
}

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
function droppedOf(stored: readonly { id: string; dropped: boolean }[]): Map<string, boolean> {
  return new Map(stored.map((r) => [r.id, r.dropped]));
}

const jsonArrayOf = (ids: string[]) => jsonArray(ids, "text");

function retiredKept(retired: readonly { kept: readonly { id: string }[] }[]): string[] {
  return retired.flatMap((r) => r.kept.map((k) => k.id));
}

/**
 * linkItems, saying which item left or joined each tag. Also keeps items.dropped in step with the global
 * rules for the items it links (new rows are inserted with theirs): only while there are such rules, since
 * without any no item is dropped (taking the last one away restores every item, topic-changes.ts).
 */
async function linkItemTags(
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

/** JSON with sorted keys and dates as instants: jsonb does not keep key order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

/**
 * Promise.all for statements sent together in a transaction, but settling
 * them all before failing: a failed one aborts the transaction, and a chain
 * still sending behind it (a statement sent on another's answer) must have
 * sent before the rollback, or it would run outside the transaction.
 */
async function together<T extends readonly unknown[] | []>(statements: T): Promise<{ -readonly [P in keyof T]: Awaited<T[P]> }> {
  const settled = await Promise.allSettled(statements);
  for (const result of settled) if (result.status === "rejected") throw result.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as { -readonly [P in keyof T]: Awaited<T[P]> };
}
