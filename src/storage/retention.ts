/**
 * Retention: what is old enough to go, and taking it out without stopping
 * ingestion for long.
 *
 * An item goes when it was last seen before the cutoff: the fetch time of
 * the last document known to show it (storage/listing; for an item whose
 * feed was removed, that feed's latest document). Publication time would be
 * the wrong clock: undated stories have none, and a story a page or feed
 * still lists is still news to its readers however old it is. So an item is
 * kept, however old, while some source's listing (what its latest document
 * shows) holds it, and while it belongs to one of the tags the operator
 * keeps (giving a feed such a tag keeps everything it brings). Its
 * observations and tag links go with it.
 *
 * Documents left without observations go too, except each source's latest
 * (the record of what it served last). Tags are never pruned: the
 * ingestion lock relies on a known slug staying known (store-document
 * takeIngestLock); only a person removes or merges a tag, and its slug stays
 * known as an old name (tag_aliases).
 *
 * Work is done in batches, each its own transaction holding the ingestion
 * lock alone, so a prune never holds a long lock or a large transaction and
 * pollers storing meanwhile wait for one batch at most. Candidates are
 * chosen outside the lock and checked again under it: a document stored in
 * between may have shown one of them again.
 */
import { and, asc, count, eq, gt, sql, type SQL } from "drizzle-orm";
import type { Database } from "./database";
import { articlePages, documents, items, itemSearch, itemTags, observations, tags } from "./schema";
import { dropOrphanedSearchRows } from "./search-index";
import { withIngestionsHeld } from "./source-tags";
import { inJsonList } from "./json-list";
import { bumpVersions } from "./store-document";

export interface RetentionPolicy {
  /** Items last seen before this instant are pruned, unless kept. */
  cutoff: Date;
  /** Slugs of the tags whose items are kept whatever their age. */
  keepTags: readonly string[];
}

export interface PruneOptions {
  /** Count what would go, change nothing. */
  dryRun?: boolean;
  /** Items per transaction (documents: twice as many). */
  batchSize?: number;
}

export interface PruneReport {
  items: number;
  observations: number;
  documents: number;
  /** Tags whose feeds lost items (their versions were bumped). */
  changedTags: string[];
}

const DEFAULT_BATCH = 500;

/** The instant `days` days before `now`. */
export function cutoffFor(now: Date, days: number): Date {
  return new Date(now.getTime() - days * 24 * 60 * 60_000);
}

export async function prune(db: Database, policy: RetentionPolicy, options: PruneOptions = {}): Promise<PruneReport> {
  if (options.dryRun) return countPrunable(db, policy);
  const batch = options.batchSize ?? DEFAULT_BATCH;
  const report: PruneReport = { items: 0, observations: 0, documents: 0, changedTags: [] };
  const changed = new Set<string>();

  // items, in id order: each batch starts where the last one stopped, so the table is read once
  for (let after = ""; ; ) {
    const chosen = await db
      .select({ id: items.id })
      .from(items)
      .where(and(gt(items.id, after), prunable(policy)))
      .orderBy(asc(items.id))
      .limit(batch);
    if (!chosen.length) break;
    after = chosen.at(-1)!.id;
    const done = await withIngestionsHeld(db, async (tx) => {
      const ids = chosen.map((c) => c.id);
      const sure = (
        await tx
          .select({ id: items.id })
          .from(items)
          .where(and(inJsonList(items.id, ids), prunable(policy)))
      ).map((r) => r.id);
      if (!sure.length) return { items: 0, observations: 0, tags: [] as string[] };
      const links = await tx.selectDistinct({ tagId: itemTags.tagId }).from(itemTags).where(inJsonList(itemTags.itemId, sure));
      // observations and tag links would go by cascade; deleted first, to count them
      const gone = await tx.delete(observations).where(inJsonList(observations.itemId, sure)).returning({ documentId: observations.documentId });
      // their search rows first, in the order of the ids, as indexing writes them (search-index.ts): never crosswise
      await tx.execute(
        sql`delete from ${itemSearch} where ${itemSearch.itemId} in (select ${itemSearch.itemId} from ${itemSearch} where ${inJsonList(itemSearch.itemId, sure)} order by ${itemSearch.itemId} for update)`,
      );
      await tx.delete(items).where(inJsonList(items.id, sure));
      const tags = await bumpVersions(
        tx,
        links.map((l) => l.tagId),
        true,
      );
      return { items: sure.length, observations: gone.length, tags };
    });
    report.items += done.items;
    report.observations += done.observations;
    for (const slug of done.tags) changed.add(slug);
  }

  // documents, in id order likewise: those emptied above and any emptied before
  for (let after = 0; ; ) {
    const chosen = await db
      .select({ id: documents.id })
      .from(documents)
      .where(and(gt(documents.id, after), emptyDocument()))
      .orderBy(asc(documents.id))
      .limit(batch * 2);
    if (!chosen.length) break;
    after = chosen.at(-1)!.id;
    const deleted = await withIngestionsHeld(db, (tx) =>
      tx
        .delete(documents)
        .where(
          and(
            inJsonList(
              documents.id,
              chosen.map((c) => c.id),
            ),
            emptyDocument(),
          ),
        )
        .returning({ id: documents.id }),
    );
    report.documents += deleted.length;
  }
  // the record of an article page whose story is gone (full text): fetched again, should the story come back
  if (report.items) await db.delete(articlePages).where(sql`not exists (select 1 from ${items} where ${items.url} = ${articlePages.url})`);
  // index rows of stories deleted while they were being indexed (search-index.ts): the trigger could not see them
  await dropOrphanedSearchRows(db);
  report.changedTags = [...changed].sort();
  if (report.items || report.documents) await reclaim(db);
  return report;
}

/**
 * Makes the space of the deleted rows reusable now, before the next day's
 * documents arrive: the embedded database has no autovacuum, and
 * PostgreSQL's comes when a table's dead rows pass a share of it, after a
 * prune of one day out of many perhaps never. Plain VACUUM, which does not
 * block reading or writing.
 */
async function reclaim(db: Database): Promise<void> {
  await db.execute(sql`vacuum (analyze) items, item_search, search_queue, observations, item_tags, documents`);
}

/** What prune would remove now, from one read of the database; no lock taken, nothing changed. */
async function countPrunable(db: Database, policy: RetentionPolicy): Promise<PruneReport> {
  const doomed = db.select({ id: items.id }).from(items).where(prunable(policy));
  const [itemCount] = await db.select({ n: count() }).from(items).where(prunable(policy));
  const [observationCount] = await db.select({ n: count() }).from(observations).where(sql`${observations.itemId} in ${doomed}`);
  // a document is emptied when every observation it has belongs to an item that goes
  const [documentCount] = await db
    .select({ n: count() })
    .from(documents)
    .where(and(notLatest(), sql`not exists (select 1 from ${observations} o where o.document_id = ${documents.id} and o.item_id not in ${doomed})`));
  const tagged = await db
    .selectDistinct({ slug: tags.slug })
    .from(itemTags)
    .innerJoin(tags, eq(tags.id, itemTags.tagId))
    .where(sql`${itemTags.itemId} in ${doomed}`);
  return { items: itemCount!.n, observations: observationCount!.n, documents: documentCount!.n, changedTags: tagged.map((t) => t.slug).sort() };
}

/**
 * The condition on `items` of the policy: last seen before the cutoff, held
 * by no source's listing and in no kept tag.
 *
 * Both come from storage/listing: last_seen_at, or, for a row that a
 * process of an earlier release wrote after the migration had filled the
 * column, its latest observation. The conditions this replaces are implied
 * by them: an item first seen, or observed, after the cutoff was last seen
 * after it too (last_seen_at starts at the first document's fetch time and
 * only moves forward), an item a source's latest document shows is in its
 * listing, and an item whose source was removed got that source's listing
 * time as last seen. The listing anti-join is written over the set of all
 * listed ids, which PostgreSQL joins as a set (a hash or merge anti-join,
 * per EXPLAIN), not by reading the sources again for every item.
 */
function prunable(policy: RetentionPolicy): SQL {
  const cutoff = policy.cutoff.toISOString();
  const keep = JSON.stringify([...policy.keepTags]);
  // raw SQL gets no column mapping: the instant goes in as ISO text, cast
  return sql`(
    coalesce(${items.lastSeenAt}, (select max(o.fetched_at) from observations o where o.item_id = ${items.id})) < ${cutoff}::timestamptz
    and not exists (select 1 from sources s cross join lateral jsonb_array_elements_text(s.listing) listed(id) where listed.id = ${items.id})
    and not exists (
      select 1 from item_tags it join tags t on t.id = it.tag_id
      where it.item_id = ${items.id} and t.slug in (select jsonb_array_elements_text(${keep}::jsonb))
    )
  )`;
}

/** A document some later document of its source supersedes. */
function notLatest(): SQL {
  return sql`exists (select 1 from documents n where n.source_id = ${documents.sourceId} and (n.fetched_at, n.id) > (${documents.fetchedAt}, ${documents.id}))`;
}

/** A superseded document no observation refers to any more. */
function emptyDocument(): SQL {
  return and(notLatest(), sql`not exists (select 1 from observations o where o.document_id = ${documents.id})`)!;
}
