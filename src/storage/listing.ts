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
import { eq, sql } from "drizzle-orm";
import type { Database } from "./database";
import { inJsonList } from "./json-list";
import { items, sources } from "./schema";

/** A source's listing as read before a document is stored: which items it may let go of. */
export interface Listing {
  ids: readonly string[];
  listedAt: Date | null;
}

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

/**
 * Records that the source's document fetched at `fetchedAt` shows `ids`,
 * in the storing transaction. Reads the listing again under a row lock (a
 * document of the same source stored meanwhile may have changed it) and
 * returns the items it let go of, whose last_seen_at moved.
 *
 * An older document (fetched before the listing's) leaves the listing as it
 * is; the items it shows that the listing does not hold were still seen at
 * its fetch time, later perhaps than their last_seen_at says.
 */
export async function recordListing(tx: Database, sourceId: number, fetchedAt: Date, ids: readonly string[]): Promise<string[]> {
  const [row] = await tx
    .select({ ids: sources.listing, listedAt: sources.listedAt })
    .from(sources)
    .where(eq(sources.id, sourceId))
    .for("update")
    .prepare("listing_for_update")
    .execute();
  const listing: Listing = row ?? { ids: [], listedAt: null };
  const at = fetchedAt.toISOString();
  if (!replaces(listing, fetchedAt)) {
    const listed = new Set(listing.ids);
    const unlisted = ids.filter((id) => !listed.has(id));
    if (unlisted.length) await seenAt(tx, unlisted, at);
    return [];
  }
  const gone = dropped(listing, fetchedAt, ids);
  // one statement: the new listing, and the last sighting of what it no longer holds
  await tx.execute(sql`
    with listed as (
      update ${sources} set listing = ${JSON.stringify(ids)}::jsonb, listed_at = ${at}::timestamptz where ${sources.id} = ${sourceId}
    )
    update ${items} set last_seen_at = greatest(coalesce(${items.lastSeenAt}, '-infinity'::timestamptz), ${listing.listedAt?.toISOString() ?? null}::timestamptz)
    where ${inJsonList(items.id, gone)}`);
  return gone;
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

async function seenAt(tx: Database, ids: string[], at: string): Promise<void> {
  await tx.execute(sql`
    update ${items} set last_seen_at = greatest(coalesce(${items.lastSeenAt}, '-infinity'::timestamptz), ${at}::timestamptz)
    where ${inJsonList(items.id, ids)}`);
}
