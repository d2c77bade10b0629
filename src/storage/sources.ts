/** The feeds feedwerk follows, and how their fetching went. */
import { and, asc, eq, isNull, lte, or, sql } from "drizzle-orm";
import type { Database } from "./database";
import { documents, items, observations, sources } from "./schema";

export type FeedSource = typeof sources.$inferSelect;

export async function addFeedSource(db: Database, input: { url: string; name?: string | undefined; tags?: string[] }): Promise<FeedSource> {
  const [existing] = await db.select().from(sources).where(or(eq(sources.url, input.url), eq(sources.name, input.name ?? input.url)));
  if (existing) throw new Error(`a source with this ${existing.url === input.url ? "URL" : "name"} exists already: ${existing.name}`);
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

/** Removes the source with its documents and observations; items stay (other sources may show them). */
export async function removeFeedSource(db: Database, urlOrName: string): Promise<FeedSource | null> {
  const source = await findFeedSource(db, urlOrName);
  if (!source) return null;
  await db.delete(sources).where(eq(sources.id, source.id));
  return source;
}

export async function setSourceTags(db: Database, id: number, tags: string[]): Promise<void> {
  // forgetting the body makes the next fetch store the feed again, with the new tags on its items
  await db.update(sources).set({ tags, bodySha256: null }).where(eq(sources.id, id));
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
  change: Partial<Pick<FeedSource, "url" | "etag" | "lastModified" | "bodySha256" | "lastStatus" | "lastError" | "parseWarning" | "nextPollAt" | "lastFetchAt" | "errorCount">>,
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
