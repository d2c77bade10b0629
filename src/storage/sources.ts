/** The feeds feedwerk follows, and how their fetching went. */
import { and, asc, eq, isNull, lte, or, sql } from "drizzle-orm";
import { tagsFromLabels } from "../normalise/tag-union";
import type { Database } from "./database";
import { releaseListing } from "./listing";
import { documents, items, observations, sources } from "./schema";
import { retagItems, withIngestionsHeld } from "./source-tags";
import { bumpVersions, createTags, linkNewTags } from "./store-document";

export type FeedSource = typeof sources.$inferSelect;

/** Following a feed twice, or under a name already taken. */
export class SourceExistsError extends Error {
  override name = "SourceExistsError";
}

export async function addFeedSource(db: Database, input: { url: string; name?: string | undefined; tags?: string[] }): Promise<FeedSource> {
  const [existing] = await db.select().from(sources).where(or(eq(sources.url, input.url), eq(sources.name, input.name ?? input.url)));
  if (existing) throw new SourceExistsError(`a source with this ${existing.url === input.url ? "URL" : "name"} exists already: ${existing.name}`);
  const [row] = await db
    .insert(sources)
    .values({ kind: "feed", name: input.name ?? input.url, url: input.url, tags: input.tags ?? [] })
    .returning();
  return row!;
}

export function listFeedSources(db: Database): Promise<FeedSource[]> {
  return db.select().from(sources).where(eq(sources.kind, "feed")).orderBy(asc(sources.name));
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
    const created = await createTags(tx, tagsFromLabels(labels));
    const matched = await linkNewTags(tx, created);
    const retagged = await retagItems(tx, await itemIdsOfSource(tx, id));
    return bumpVersions(tx, [...matched, ...retagged.tagIds], retagged.changed > 0);
  });
}

export function dueFeedSources(db: Database, now: Date): Promise<FeedSource[]> {
  return db
    .select()
    .from(sources)
    .where(and(eq(sources.kind, "feed"), or(isNull(sources.nextPollAt), lte(sources.nextPollAt, now))))
    .orderBy(asc(sources.nextPollAt), asc(sources.id));
}

export async function recordFetch(
  db: Database,
  id: number,
  change: Partial<Pick<FeedSource, "url" | "etag" | "lastModified" | "ttlMinutes" | "maxAgeSeconds" | "bodySha256" | "lastStatus" | "lastError" | "parseWarning" | "nextPollAt" | "lastFetchAt" | "errorCount">>,
): Promise<void> {
  // prepared: a polling pass runs this once per feed, in a handful of shapes
  await db.update(sources).set(change).where(eq(sources.id, id)).prepare("record_fetch").execute();
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
