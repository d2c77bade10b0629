/**
 * Writes one ingested document (a page, a feed fetch) in one transaction:
 * its observations, the items derived from them, their tags and tag
 * membership, and what its source lists now (storage/listing). Either all of
 * it lands or none of it does.
 */
import { and, eq, sql } from "drizzle-orm";
import type { Item, Tag } from "../normalise/item";
import { derive, observe } from "../normalise/merge";
import { tagsFromLabels, unionTags, type SourcedObservation } from "../normalise/tag-union";
import { insertRows } from "./bulk-insert";
import { inJsonList } from "./json-list";
import type { Database } from "./database";
import { keepItems, previousItems, retireItems, type EntryIdentity } from "./entry-identity";
import { dropped, recordListing } from "./listing";
import { itemRow, rowToItem, type ItemRow } from "./rows";
import { documents, feedState, items, itemTags, observations, sources, tags } from "./schema";
import { sourcedObservations, sourceTagsById, type SourcedObservationRow } from "./source-observations";
import { itemsMatching, labelMatches } from "./tag-match";

export interface DocumentInput {
  source: { kind: "page" | "feed"; name: string; url?: string | null };
  /** File name or URL, for the operator. */
  name: string;
  sha256: string;
  fetchedAt: Date;
  items: Item[];
  /** A feed document's entries: which items they were before, which items it retires. */
  identity?: EntryIdentity | undefined;
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
  return db.transaction(async (txn) => {
    const tx = txn as unknown as Database;
    const identity = doc.identity;
    // Statements that do not wait for each other's answers go out together (postgres.js pipelines what a
    // transaction issues at once): the database runs them in the order sent, as if one followed the other.
    const entryKeys = identity ? [...new Set(identity.entryKeys.values())] : [];
    // the source's own tags join the items' tags, so they count as new tags too (read again under the lock)
    // and its listing: the items this document drops from it are written too, so they are locked like the document's own
    const [previous, [named]] = await together([
      previousItems(tx, entryKeys),
      tx
        .select({ tags: sources.tags, ids: sources.listing, listedAt: sources.listedAt })
        .from(sources)
        .where(eq(sources.name, doc.source.name))
        .prepare("source_by_name_for_store")
        .execute(),
    ]);
    const { items: docItems, entryKeyOf } = identity ? keepItems(doc.items, identity, previous) : { items: doc.items, entryKeyOf: new Map<string, string>() };
    const retiredIds = identity?.retiredIds ?? [];
    const ids = [...new Set(docItems.map((i) => i.id))].sort();
    const ownTags = tagsFromLabels(named?.tags ?? []);
    const slugs = [...new Set([...docItems.flatMap((i) => i.tags.map((t) => t.slug)), ...ownTags.map((t) => t.slug)])];
    const letGo = named ? dropped(named, doc.fetchedAt, ids) : [];
    const [alone, sourceId] = await together([takeIngestLock(tx, slugs, [...ids, ...retiredIds, ...letGo]), upsertSource(tx, doc.source)]);
    const [documentId, newTags] = await together([
      upsertDocument(tx, sourceId, doc),
      alone ? createTags(tx, [...docItems.flatMap((i) => i.tags), ...ownTags]) : Promise.resolve([]),
    ]);
    const retired = await retireItems(tx, sourceId, retiredIds);
    const [gone, stored] = await together([
      recordListing(tx, sourceId, doc.fetchedAt, ids),
      ids.length ? tx.select().from(items).where(inJsonList(items.id, ids)).prepare("stored_items").execute() : Promise.resolve([]),
    ]);
    // a document of the same source stored since the read above changed the listing: lock what else this one lets go of. Rare, and
    // out of the global order: it can deadlock with a document holding one of them, and PostgreSQL then fails one of the two.
    // The items read above are the document's own, locked already, so reading them first changes nothing.
    if (!alone)
      await lockStories(
        tx,
        gone.filter((id) => !letGo.includes(id)),
      );

    // last seen is the listing's to keep (listing.ts), not derived from observations like the rest of the row
    const rows = stored.map(({ lastSeenAt: _, ...row }) => row);
    const rowById = new Map(rows.map((r) => [r.id, r]));
    const priorObs = rows.length
      ? await sourcedObservations(
          tx,
          rows.map((r) => r.id),
        )
      : [];
    const priorByItem = new Map<string, (typeof priorObs)[number][]>();
    for (const o of priorObs) priorByItem.set(o.itemId, [...(priorByItem.get(o.itemId) ?? []), o]);
    const sourceTags = await sourceTagsById(tx, [...new Set([sourceId, ...priorObs.map((o) => o.sourceId)])]);

    const report: StoreReport = {
      new: 0,
      updated: 0,
      unchanged: 0,
      retired: retired.changed.length,
      outcomes: [],
      newTags: newTags.map((t) => t.slug),
      changedTags: [],
    };
    // items this document let go of that other sources still show: their tags are those sources' alone now
    const relink: ItemRow[] = [...retired.kept];
    const newRows: ItemRow[] = [];
    const newObservations: (typeof observations.$inferInsert)[] = [];
    for (const item of docItems) {
      const obs = { ...observe(item, doc.fetchedAt), entryKey: entryKeyOf.get(item.id) ?? null };
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

      let outcome: ItemOutcome;
      if (!stored) {
        newRows.push(next);
        relink.push(next);
        outcome = "new";
      } else if (stableJson(stored) !== stableJson(next)) {
        const { id, ...changes } = next;
        await tx.update(items).set(changes).where(eq(items.id, id));
        if (stored.matchText !== next.matchText || stableJson(stored.pageTags) !== stableJson(next.pageTags)) relink.push(next);
        outcome = "updated";
      } else {
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
    // sent together: the links' first statement only reads the tags, and the links follow its answer, after the items
    const [, , linked] = await together([
      insertRows(
        tx,
        items,
        newRows.map((r) => ({ ...r, lastSeenAt: doc.fetchedAt })),
        { name: "insert_items" },
      ),
      insertRows(tx, observations, newObservations, { name: "insert_observations" }),
      linkItems(tx, relink, new Set(newRows.map((r) => r.id))),
    ]);
    const affected = new Set<number>([...retired.tagIds, ...linked]);
    for (const id of await linkNewTags(tx, newTags)) affected.add(id);
    const relinked = new Set(relink.map((r) => r.id));
    const changedIds = report.outcomes.filter((o) => o.outcome !== "unchanged").map((o) => o.id);
    const keptLinks = changedIds.filter((id) => !relinked.has(id));
    if (keptLinks.length) {
      const links = await tx.select({ tagId: itemTags.tagId }).from(itemTags).where(inJsonList(itemTags.itemId, keptLinks)).prepare("kept_links").execute();
      for (const { tagId } of links) affected.add(tagId);
    }
    report.changedTags = await bumpVersions(tx, [...affected], changedIds.length > 0 || retired.changed.length > 0);
    await alongside?.(tx);
    return report;
  });
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
 * known (tags are never deleted, so "all known" stays true once checked),
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
  // one statement: whether every tag is known, and the lock that follows from it
  const known = sql`(select count(*) < jsonb_array_length(${JSON.stringify(slugs)}::jsonb) as alone from ${tags} where ${inJsonList(tags.slug, slugs)}) t`;
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
  // both sent at once, "all" first: the database takes them in that order
  const [, bumped] = await together([
    anyItemChanged
      ? tx
          .insert(feedState)
          .values({ key: "all", version: 1 })
          .onConflictDoUpdate({ target: feedState.key, set: { version: sql`${feedState.version} + 1`, changedAt: sql`now()` } })
          .prepare("bump_all")
          .execute()
      : undefined,
    tagIds.length
      ? tx
          .update(tags)
          .set({ version: sql`${tags.version} + 1`, changedAt: sql`now()` })
          .where(inJsonList(tags.id, tagIds))
          .returning({ slug: tags.slug })
          .prepare("bump_tags")
          .execute()
      : [],
  ]);
  return bumped.map((t) => t.slug).sort();
}

// Both upserts insert after looking: two documents sharing the lock may bring
// the same new source or the same document, and the second insert then waits
// for the first to commit instead of failing on the unique index.
async function upsertSource(tx: Database, source: DocumentInput["source"]): Promise<number> {
  const byName = () => tx.select({ id: sources.id }).from(sources).where(eq(sources.name, source.name)).prepare("source_by_name").execute();
  const [found] = await byName();
  if (found) return found.id;
  const [created] = await tx
    .insert(sources)
    .values({ kind: source.kind, name: source.name, url: source.url ?? null })
    .onConflictDoNothing()
    .returning({ id: sources.id });
  return created?.id ?? (await byName())[0]!.id;
}

async function upsertDocument(tx: Database, sourceId: number, doc: DocumentInput): Promise<number> {
  const [created] = await tx
    .insert(documents)
    .values({ sourceId, name: doc.name, sha256: doc.sha256, fetchedAt: doc.fetchedAt, itemCount: doc.items.length })
    .onConflictDoNothing()
    .returning({ id: documents.id })
    .prepare("insert_document")
    .execute();
  if (created) return created.id;
  const [found] = await tx
    .select({ id: documents.id })
    .from(documents)
    .where(and(eq(documents.sha256, doc.sha256), eq(documents.fetchedAt, doc.fetchedAt)));
  return found!.id;
}

/** Creates the tags not yet known (the first label of a slug wins); returns those created. */
export async function createTags(tx: Database, given: Tag[]) {
  const labels = new Map<string, string>();
  for (const tag of given) if (!labels.has(tag.slug)) labels.set(tag.slug, tag.label);
  if (!labels.size) return [];
  return tx
    .insert(tags)
    .values([...labels].map(([slug, label]) => ({ slug, label })))
    .onConflictDoNothing()
    .returning({ id: tags.id, slug: tags.slug, label: tags.label });
}

/**
 * Recomputes the membership of items whose page tags or text changed (or
 * that are new, and so have none yet); returns the tags they left or joined.
 */
export async function linkItems(tx: Database, changed: ItemRow[], brandNew: Set<string>): Promise<number[]> {
  if (!changed.length) return [];
  const allTags = await tx.select({ id: tags.id, slug: tags.slug, label: tags.label }).from(tags).prepare("all_tags").execute();
  const idBySlug = new Map(allTags.map((t) => [t.slug, t.id]));
  const stale = changed.filter((c) => !brandNew.has(c.id)).map((c) => c.id);
  const removed = stale.length
    ? await tx.delete(itemTags).where(inJsonList(itemTags.itemId, stale)).returning({ tagId: itemTags.tagId }).prepare("unlink_items").execute()
    : [];
  const links: (typeof itemTags.$inferInsert)[] = [];
  for (const item of changed) {
    const linked = new Set<number>();
    for (const { slug } of item.pageTags) {
      const tagId = idBySlug.get(slug);
      if (tagId !== undefined && !linked.has(tagId)) {
        linked.add(tagId);
        links.push({ itemId: item.id, tagId, via: "page" });
      }
    }
    for (const tag of allTags) {
      if (!linked.has(tag.id) && labelMatches(tag.label, item.matchText)) {
        linked.add(tag.id);
        links.push({ itemId: item.id, tagId: tag.id, via: "match" });
      }
    }
  }
  await insertRows(tx, itemTags, links, { name: "insert_links" });
  return [...removed.map((r) => r.tagId), ...links.map((l) => l.tagId)];
}

/** A tag seen for the first time also collects the stories already stored that name it. */
export async function linkNewTags(tx: Database, created: { id: number; label: string }[]): Promise<number[]> {
  for (const tag of created) {
    const links = (await itemsMatching(tx, tag.label)).map((itemId) => ({ itemId, tagId: tag.id, via: "match" as const }));
    await insertRows(tx, itemTags, links, { name: "link_new_tag", onConflictDoNothing: true });
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
