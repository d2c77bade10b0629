/**
 * What an item is derived from: its observations with their sources, those sources' own tags, and the
 * repeats their listings stand for.
 *
 * A feed that says again what it said before records no observation (store/merge isRepeat); its listing
 * (sources.listing, listed_at) says it still showed the story then. Read back, such a repeat is an
 * observation like the source's latest one, fetched at the listing's time: so the newest fetch's words
 * win even when another source's older fetch commits after the repeat was skipped. When the listing lets
 * the story go, the repeat is recorded for good (recordLetGoRepeats), since nothing would recall it then.
 */
import { eq, getTableColumns, sql } from "drizzle-orm";
import type { Tag } from "../normalise/item";
import { tagsFromLabels } from "../normalise/tag-union";
import type { Database } from "./database";
import { documents, observations, sources } from "./schema";
import { inJsonList } from "./json-list";
import type { Listing } from "./listing";

export type SourcedObservationRow = typeof observations.$inferSelect & { sourceId: number };

/** The document id of a repeat read from a listing: no document has it (serial ids start at 1). */
export const LISTED_REPEAT = 0;

/**
 * Every observation of these items, each with the source of its document, and for each source whose
 * listing holds an item since after its latest observation of it, that observation again at the
 * listing's time (documentId LISTED_REPEAT). `before` gives the listings to read for some sources in
 * place of their stored ones: those a storing group has just replaced with its own documents'.
 */
export async function sourcedObservations(tx: Database, itemIds: string[], before?: ReadonlyMap<number, Listing>): Promise<SourcedObservationRow[]> {
  const rows = await tx
    .select({
      ...getTableColumns(observations),
      sourceId: documents.sourceId,
      listedAt: sql<Date | null>`case when ${sources.listing} @> jsonb_build_array(${observations.itemId}) then ${sources.listedAt} end`.mapWith(
        sources.listedAt,
      ),
    })
    .from(observations)
    .innerJoin(documents, eq(documents.id, observations.documentId))
    .innerJoin(sources, eq(sources.id, documents.sourceId))
    .where(inJsonList(observations.itemId, itemIds))
    .prepare("sourced_observations")
    .execute();
  return withListedRepeats(rows, before);
}

type ListedRow = SourcedObservationRow & { listedAt: Date | null };

function withListedRepeats(rows: readonly ListedRow[], before: ReadonlyMap<number, Listing> | undefined): SourcedObservationRow[] {
  const latest = new Map<string, ListedRow>();
  const out: SourcedObservationRow[] = [];
  for (const { listedAt: _, ...row } of rows) out.push(row);
  for (const row of rows) {
    const key = `${row.sourceId} ${row.itemId}`;
    const seen = latest.get(key);
    if (!seen || row.fetchedAt > seen.fetchedAt) latest.set(key, row);
  }
  const held = new Map<number, Set<string>>();
  const holds = (sourceId: number, listing: Listing, id: string) => {
    let ids = held.get(sourceId);
    if (!ids) {
      ids = new Set(listing.ids);
      held.set(sourceId, ids);
    }
    return ids.has(id);
  };
  for (const { listedAt, ...row } of latest.values()) {
    const listing = before?.get(row.sourceId);
    const at = listing ? (holds(row.sourceId, listing, row.itemId) ? listing.listedAt : null) : listedAt;
    if (at && at > row.fetchedAt) out.push({ ...row, fetchedAt: at, documentId: LISTED_REPEAT });
  }
  return out;
}

/**
 * Records the repeats that listings stood for, of the items they let go of: `letGo` holds, for each
 * source, the listing it had and the items the new one no longer holds. The source's latest observation
 * of each is copied to the listing's document, where that document recorded none.
 */
export async function recordLetGoRepeats(tx: Database, letGo: readonly { sourceId: number; listing: Listing; ids: readonly string[] }[]): Promise<void> {
  const wanted = letGo.flatMap(({ sourceId, listing, ids }) => (listing.listedAt ? ids.map((id) => ({ s: sourceId, i: id, at: listing.listedAt })) : []));
  if (!wanted.length) return;
  await tx.execute(sql`
    insert into ${observations} (item_id, document_id, fetched_at, kind, content_hash, comment_count, published_at, precision, entry_key, tags, untimed_at)
    select distinct on (w.s, w.i) w.i, ld.id, ld.fetched_at, o.kind, o.content_hash, o.comment_count, o.published_at, o.precision, o.entry_key, o.tags, o.untimed_at
    from jsonb_to_recordset(${JSON.stringify(wanted)}::jsonb) as w(s int, i text, at timestamptz)
    join ${documents} ld on ld.source_id = w.s and ld.fetched_at = w.at
    join ${observations} o on o.item_id = w.i
    join ${documents} d on d.id = o.document_id and d.source_id = w.s
    where o.fetched_at < w.at
      -- none where the source observed it at the listing's time already (another of its documents of that time, say)
      and not exists (
        select 1 from ${observations} o2 join ${documents} d2 on d2.id = o2.document_id
        where o2.item_id = w.i and d2.source_id = w.s and o2.fetched_at >= w.at)
    order by w.s, w.i, o.fetched_at desc, ld.id desc
    on conflict do nothing`);
}

/** The tags each of these sources was given, as tags. */
export async function sourceTagsById(tx: Database, sourceIds: number[]): Promise<Map<number, Tag[]>> {
  const rows = await tx
    .select({ id: sources.id, tags: sources.tags })
    .from(sources)
    .where(inJsonList(sources.id, sourceIds))
    .prepare("source_tags_by_id")
    .execute();
  return new Map(rows.map((r) => [r.id, tagsFromLabels(r.tags)]));
}
