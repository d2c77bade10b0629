/**
 * What each source lists now, and when an item was last seen: what
 * retention decides by.
 *
 * Feed documents record observations only for entries that are new or
 * changed (store-document isRepeat), so neither "the latest document
 * observed it" nor "its latest observation" says whether a feed still lists
 * an item or when it last did. Instead each source keeps the ids its latest
 * document shows (sources.listing, from sources.listed_at), and an item's
 * last_seen_at is moved when a listing lets go of it: to the time of the
 * listing that still held it, the last time it is known to have been shown.
 * While some listing holds an item its last_seen_at is not kept current
 * (that would be a write per item per fetch); the listing itself says the
 * item is seen now.
 */
import { asc, sql } from "drizzle-orm";
import type { Database } from "./database";
import { inJsonList } from "./json-list";
import { items, sources } from "./schema";

/** A source's listing as read before a document is stored: which items it may let go of. */
export interface Listing {
  ids: readonly string[];
  listedAt: Date | null;
}

/** The listing of a source that has shown nothing yet. */
export const NO_LISTING: Listing = { ids: [], listedAt: null };

/** Whether a document fetched at `fetchedAt` replaces the listing: pages can be ingested out of order, and an older one must not. */
export function replaces(listing: Listing, fetchedAt: Date): boolean {
  return listing.listedAt === null || listing.listedAt.getTime() <= fetchedAt.getTime();
}

/** The items a document showing `ids` makes its source let go of. */
export function dropped(listing: Listing, fetchedAt: Date, ids: readonly string[]): string[] {
  if (!replaces(listing, fetchedAt)) return [];
  const shown = new Set(ids);
  return listing.ids.filter((id) => !shown.has(id));
}

/** A document's listing to record: its source, when it was fetched, and the items it shows. */
export interface Shown {
  sourceId: number;
  fetchedAt: Date;
  ids: readonly string[];
}

/**
 * Records that each source's document fetched at `fetchedAt` shows `ids`,
 * in the storing transaction; the sources are distinct. Reads the listings
 * again under row locks (a document of the same source stored meanwhile may
 * have changed one), taken in the order of the sources' ids, and returns for
 * each document the items it let go of, whose last_seen_at moved.
 *
 * An older document (fetched before the listing's) leaves the listing as it
 * is; the items it shows that the listing does not hold were still seen at
 * its fetch time, later perhaps than their last_seen_at says. Also returns
 * each source's listing as it was before (`before`), which merging reads.
 */
export async function recordListings(tx: Database, shown: readonly Shown[]): Promise<{ gone: string[][]; before: Map<number, Listing> }> {
  const rows = await tx
    .select({ id: sources.id, ids: sources.listing, listedAt: sources.listedAt })
    .from(sources)
    .where(
      inJsonList(
        sources.id,
        shown.map((s) => s.sourceId),
      ),
    )
    .orderBy(asc(sources.id))
    .for("update")
    .prepare("listings_for_update")
    .execute();
  const byId = new Map<number, Listing>(rows.map((r) => [r.id, r]));
  const listings: { id: number; ids: readonly string[]; at: string }[] = [];
  const seen: { id: string; at: string | null }[] = [];
  const gone = shown.map(({ sourceId, fetchedAt, ids }) => {
    const listing = byId.get(sourceId) ?? NO_LISTING;
    const at = fetchedAt.toISOString();
    if (!replaces(listing, fetchedAt)) {
      const listed = new Set(listing.ids);
      for (const id of ids) if (!listed.has(id)) seen.push({ id, at });
      return [];
    }
    const letGo = dropped(listing, fetchedAt, ids);
    listings.push({ id: sourceId, ids, at });
    // the last sighting of what the listing no longer holds
    for (const id of letGo) seen.push({ id, at: listing.listedAt?.toISOString() ?? null });
    return letGo;
  });
  if (!listings.length && !seen.length) return { gone, before: byId };
  // one statement: the new listings, and the last sightings; an item seen twice keeps the later
  await tx.execute(sql`
    with listed as (
      update ${sources} set listing = l.ids, listed_at = l.at
      from jsonb_to_recordset(${JSON.stringify(listings)}::jsonb) as l(id int, ids jsonb, at timestamptz)
      where ${sources.id} = l.id
    )
    update ${items} set last_seen_at = greatest(coalesce(${items.lastSeenAt}, '-infinity'::timestamptz), seen.at)
    from (select id, max(at) as at from jsonb_to_recordset(${JSON.stringify(seen)}::jsonb) as s(id text, at timestamptz) group by id) seen
    where ${items.id} = seen.id`);
  return { gone, before: byId };
}

/**
 * Before a source goes (its documents and observations with it), the items
 * its listing held were seen at that listing's time: no listing pins them
 * any more, so from then on they age like any other.
 */
export async function releaseListing(tx: Database, sourceId: number): Promise<void> {
  await tx.execute(sql`
    update ${items} set last_seen_at = greatest(coalesce(${items.lastSeenAt}, '-infinity'::timestamptz), s.listed_at)
    from ${sources} s
    where s.id = ${sourceId} and s.listed_at is not null and ${items.id} in (select jsonb_array_elements_text(s.listing))`);
}
