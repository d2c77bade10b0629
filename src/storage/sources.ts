/** The feeds feedwerk follows, and how their fetching went. */
import { and, asc, eq, inArray, isNull, lt, lte, notInArray, or, sql } from "drizzle-orm";
import type { TeaserSelectors } from "../normalise/teaser-selectors";
import { tagsFromLabels } from "../normalise/tag-union";
import type { Database } from "./database";
import { releaseListing } from "./listing";
import { documents, items, observations, sources } from "./schema";
import { retagItems, withIngestionsHeld } from "./source-tags";
import { linkNamed, reviveTags } from "./topics";
import { bumpVersions, createTags, linkNewTags } from "./store-document";

export type FeedSource = typeof sources.$inferSelect;

/** Following a feed twice, or under a name already taken. */
export class SourceExistsError extends Error {
  override name = "SourceExistsError";
}

/**
 * Follows a feed. The tags given to it are created at once (explicit topics of a person's, listed before
 * the feed is first fetched), in one transaction with the source, under the ingestion lock.
 */
export function addFeedSource(db: Database, input: FollowInput): Promise<FeedSource> {
  return withIngestionsHeld(db, (tx) => addFeedSourceIn(tx, input));
}

/** What following an address says: its name and tags, and how its documents are read (SourceReading). */
export interface FollowInput extends Partial<SourceReading> {
  url: string;
  name?: string | undefined;
  tags?: string[];
}

/** How a followed address is read: as a page of teasers (where its teasers are), and with its articles' full text. */
export interface SourceReading {
  readAs: "page" | null;
  select: TeaserSelectors | null;
  fullText: boolean;
}

/** The reading a source entry asks for: selectors make the address a page. */
export function readingOf(entry: { page?: boolean | undefined; select?: TeaserSelectors | undefined; fullText?: boolean | undefined }): SourceReading {
  return { readAs: entry.page || entry.select ? "page" : null, select: entry.select ?? null, fullText: entry.fullText ?? false };
}

/** Whether a followed source is read as `wanted` says already. */
export function readsAs(source: FeedSource, wanted: SourceReading): boolean {
  // selectors compared key by key: jsonb gives an object's keys back in its own order, not the file's
  const same = (a: TeaserSelectors | null, b: TeaserSelectors | null) =>
    a === null || b === null ? a === b : (Object.keys({ ...a, ...b }) as (keyof TeaserSelectors)[]).every((k) => a[k] === b[k]);
  return source.readAs === wanted.readAs && source.fullText === wanted.fullText && same(source.select, wanted.select);
}

/** Reads a followed source as `reading` says from its next fetch on; a new selection is read at once (the page is not "unchanged"). */
export async function setSourceReading(db: Database, id: number, reading: SourceReading): Promise<void> {
  await db
    .update(sources)
    .set({ ...reading, bodySha256: null, etag: null, lastModified: null })
    .where(eq(sources.id, id));
}

async function addFeedSourceIn(db: Database, input: FollowInput): Promise<FeedSource> {
  const [existing] = await db
    .select()
    .from(sources)
    .where(or(eq(sources.url, input.url), eq(sources.name, input.name ?? input.url)))
    // the address taken is said first, where one feed has the address and another the name
    .orderBy(sql`${sources.url} is not distinct from ${input.url} desc`);
  // in the `what: reason` form of every error: the address, or the name, that is taken
  if (existing?.url === input.url) {
    throw new SourceExistsError(`${input.url}: followed already${existing.name === input.url ? "" : ` as '${existing.name}'`}`);
  }
  if (existing) throw new SourceExistsError(`${input.name ?? input.url}: the name of a feed followed already (${existing.url ?? existing.kind})`);
  const [row] = await db
    .insert(sources)
    .values({
      kind: "feed",
      name: input.name ?? input.url,
      url: input.url,
      tags: input.tags ?? [],
      readAs: input.readAs ?? null,
      select: input.select ?? null,
      fullText: input.fullText ?? false,
    })
    .returning();
  const revived = await givePersonTags(db, input.tags ?? []);
  if (revived.length) await bumpVersions(db, revived, false);
  return row!;
}

/**
 * The tags a person gives a followed feed, created where they do not exist yet (explicit, a person's). A
 * tag removed before comes back, and the stored stories whose sources name it rejoin it. Returns the tags
 * that came back with stories.
 */
async function givePersonTags(tx: Database, labels: readonly string[]): Promise<number[]> {
  const given = tagsFromLabels(labels);
  const revived = await reviveTags(
    tx,
    given.map((t) => t.slug),
  );
  const created = await createTags(
    tx,
    given.map((t) => ({ ...t, origin: "person" as const })),
  );
  await linkNewTags(tx, created);
  return linkNamed(
    tx,
    created.filter((t) => revived.has(t.slug)),
  );
}

export function listFeedSources(db: Database): Promise<FeedSource[]> {
  return db.select().from(sources).where(eq(sources.kind, "feed")).orderBy(asc(sources.name));
}

/** The feed followed at exactly this URL, if any. */
export async function feedSourceAt(db: Database, url: string): Promise<FeedSource | null> {
  const [found] = await db
    .select()
    .from(sources)
    .where(and(eq(sources.kind, "feed"), eq(sources.url, url)));
  return found ?? null;
}

export async function findFeedSource(db: Database, urlOrName: string): Promise<FeedSource | null> {
  const [row] = await db
    .select()
    .from(sources)
    .where(and(eq(sources.kind, "feed"), or(eq(sources.url, urlOrName), eq(sources.name, urlOrName))));
  return row ?? null;
}

/**
 * Removes the source with its documents and observations. Its items stay
 * (other sources may show them); those other sources still show lose the
 * tags this one gave them. Those it still listed were last seen at its
 * latest document, and age from then (retention).
 */
export async function removeFeedSource(db: Database, urlOrName: string): Promise<(FeedSource & { changedTags: string[] }) | null> {
  return withIngestionsHeld(db, async (tx) => {
    const source = await findFeedSource(tx, urlOrName);
    if (!source) return null;
    const shown = await itemIdsOfSource(tx, source.id);
    await releaseListing(tx, source.id);
    await tx.delete(sources).where(eq(sources.id, source.id));
    const retagged = await retagItems(tx, shown);
    return { ...source, changedTags: await bumpVersions(tx, retagged.tagIds, retagged.changed > 0) };
  });
}

/**
 * Gives a source new tags, and its stored items with them, in one
 * transaction: the items no longer wait for the feed's next new document.
 * Returns the tags whose feeds changed.
 */
export async function setSourceTags(db: Database, id: number, labels: string[]): Promise<string[]> {
  return withIngestionsHeld(db, async (tx) => {
    await tx.update(sources).set({ tags: labels }).where(eq(sources.id, id));
    const revived = await givePersonTags(tx, labels);
    const retagged = await retagItems(tx, await itemIdsOfSource(tx, id));
    return bumpVersions(tx, [...revived, ...retagged.tagIds], retagged.changed > 0);
  });
}

/** Who holds a claimed feed: the poller (for the operator) and the claim itself (for the fetch that records its result). */
export interface Lease {
  owner: string;
  token: string;
}

export interface Claim {
  lease: Lease;
  /** How many feeds at most. */
  limit: number;
  /** How long the lease holds, by the database's clock. */
  leaseSeconds: number;
  /**
   * Which feeds: those due at this time; or, with `since` (a `fetch --all`),
   * every feed not claimed since that instant (databaseClock()), due or not.
   */
  dueAt: Date;
  since?: string | undefined;
  /** Origins (sources.origin) whose feeds are left alone: the poller's fetches of them at once are all under way. */
  busyOrigins?: readonly string[] | undefined;
}

/**
 * Takes a lease on up to `limit` feeds that no live lease holds: the most
 * overdue first. Rows another poller is claiming at this moment are skipped
 * (SKIP LOCKED), never waited for, so any number of pollers can claim side
 * by side and each feed goes to one of them. The feeds of `busyOrigins` are
 * skipped, so that a slow host's backlog does not take the claim's places.
 */
export function claimFeedSources(db: Database, claim: Claim): Promise<FeedSource[]> {
  const free = or(isNull(sources.leaseUntil), lte(sources.leaseUntil, sql`now()`));
  const which = claim.since
    ? and(eq(sources.kind, "feed"), free, or(isNull(sources.leasedAt), lt(sources.leasedAt, sql`${claim.since}::timestamptz`)))
    : and(eq(sources.kind, "feed"), free, or(isNull(sources.nextPollAt), lte(sources.nextPollAt, claim.dueAt)));
  // a filter on the rows the index gives in order: a busy origin's feeds are passed over, not sorted out of the whole table
  const busy = claim.busyOrigins?.length ? or(isNull(sources.origin), notInArray(sources.origin, [...claim.busyOrigins])) : undefined;
  const order = claim.since ? [sql`${sources.leasedAt} asc nulls first`, asc(sources.id)] : [asc(sources.nextPollAt), asc(sources.id)];
  const claimable = db
    .select({ id: sources.id })
    .from(sources)
    .where(and(which, busy))
    .orderBy(...order)
    .limit(claim.limit)
    .for("update", { skipLocked: true });
  return db
    .update(sources)
    .set({
      leaseOwner: claim.lease.owner,
      leaseToken: claim.lease.token,
      leaseUntil: sql`now() + make_interval(secs => ${claim.leaseSeconds})`,
      leasedAt: sql`clock_timestamp()`,
    })
    .where(inArray(sources.id, claimable))
    .returning();
}

/**
 * Extends, by `leaseSeconds` from now, the leases of these claimed feeds that are still their claim's (a pass's
 * feeds waiting to be handed out). Returns the ids renewed: a feed left out has been taken by another poller since
 * its lease ran out, or recorded or given back by its own pass meanwhile.
 */
export async function renewLeases(db: Database, held: readonly { id: number; token: string }[], leaseSeconds: number): Promise<number[]> {
  if (!held.length) return [];
  // ids and tokens matched apart, not as pairs: a token is a claim's own random id, so a row holding one is the pass's
  const renewed = await db
    .update(sources)
    .set({ leaseUntil: sql`now() + make_interval(secs => ${leaseSeconds})` })
    .where(
      and(
        inArray(
          sources.id,
          held.map((h) => h.id),
        ),
        inArray(sources.leaseToken, [...new Set(held.map((h) => h.token))]),
      ),
    )
    .returning({ id: sources.id });
  return renewed.map((r) => r.id);
}

/** What a pass that found nothing to poll tells the operator: feeds followed, those another poller holds, and when the next of the rest is due. */
export async function feedSchedule(db: Database): Promise<{ followed: number; held: number; nextDueAt: Date | null }> {
  const held = sql`${sources.leaseUntil} > now()`;
  const [row] = await db
    .select({
      followed: sql<number>`count(*)::int`,
      held: sql<number>`(count(*) filter (where ${held}))::int`,
      // as text, cast: an aggregate over raw SQL gets no column mapping
      next: sql<string | null>`(min(${sources.nextPollAt}) filter (where not coalesce(${held}, false)))::text`,
    })
    .from(sources)
    .where(eq(sources.kind, "feed"));
  return { followed: row!.followed, held: row!.held, nextDueAt: row!.next ? new Date(row!.next) : null };
}

/**
 * The polling load now, for /metrics: feeds followed, those due and free to claim, and those a poller holds.
 * One aggregate over the followed feeds, as cheap as feedSchedule's.
 */
export async function pollingLoad(db: Database): Promise<{ followed: number; due: number; leased: number }> {
  const held = sql`${sources.leaseUntil} > now()`;
  const [row] = await db
    .select({
      followed: sql<number>`count(*)::int`,
      due: sql<number>`(count(*) filter (where not coalesce(${held}, false) and (${sources.nextPollAt} is null or ${sources.nextPollAt} <= now())))::int`,
      leased: sql<number>`(count(*) filter (where ${held}))::int`,
    })
    .from(sources)
    .where(eq(sources.kind, "feed"));
  return { followed: row!.followed, due: row!.due, leased: row!.leased };
}

/**
 * Now by the database's clock, as the database writes it: where a `fetch
 * --all` begins, compared in SQL with when feeds were claimed (to the
 * microsecond, which a JavaScript Date would cut to the millisecond).
 */
export async function databaseClock(db: Database): Promise<string> {
  const [row] = await db.select({ now: sql<string>`now()::text` }).from(sql`(select 1) as one`);
  return row!.now;
}

/**
 * Records how a fetch went. With the fetch's lease, only while that lease is
 * still the feed's, and the lease is given back in the same statement;
 * returns whether the row was written.
 */
export async function recordFetch(
  db: Database,
  id: number,
  change: Partial<
    Pick<
      FeedSource,
      | "url"
      | "etag"
      | "lastModified"
      | "ttlMinutes"
      | "maxAgeSeconds"
      | "bodySha256"
      | "lastReadAs"
      | "lastStatus"
      | "lastError"
      | "parseWarning"
      | "nextPollAt"
      | "lastFetchAt"
      | "errorCount"
      | "title"
    >
  >,
  lease?: Lease,
): Promise<boolean> {
  if (!lease) {
    // prepared: a polling pass runs this once per feed, in a handful of shapes
    const done = await db.update(sources).set(change).where(eq(sources.id, id)).returning({ id: sources.id }).prepare("record_fetch").execute();
    return done.length > 0;
  }
  const done = await db
    .update(sources)
    .set({ ...change, leaseOwner: null, leaseToken: null, leaseUntil: null })
    .where(and(eq(sources.id, id), eq(sources.leaseToken, lease.token)))
    .returning({ id: sources.id })
    .prepare("record_leased_fetch")
    .execute();
  return done.length > 0;
}

/**
 * Gives back the leases still held under these claims (a poller stopping
 * before it fetched them): the feeds are free for any poller at once, as due
 * as they were, instead of waiting for their leases to run out. Returns how
 * many were given back.
 */
export async function releaseLeases(db: Database, tokens: string[]): Promise<number> {
  if (!tokens.length) return 0;
  const released = await db
    .update(sources)
    .set({ leaseOwner: null, leaseToken: null, leaseUntil: null })
    .where(inArray(sources.leaseToken, tokens))
    .returning({ id: sources.id });
  return released.length;
}

/** The ids of the items a source has shown, newest first. */
export async function itemIdsOfSource(db: Database, sourceId: number): Promise<string[]> {
  const rows = await db
    .selectDistinct({ id: observations.itemId, feedAt: items.feedAt })
    .from(observations)
    .innerJoin(documents, eq(documents.id, observations.documentId))
    .innerJoin(items, eq(items.id, observations.itemId))
    .where(eq(documents.sourceId, sourceId))
    .orderBy(sql`${items.feedAt} desc`, sql`${observations.itemId} desc`);
  return rows.map((r) => r.id);
}
