/** What an item's tags are derived from: its observations with their sources, and those sources' own tags. */
import { eq, getTableColumns } from "drizzle-orm";
import type { Tag } from "../normalise/item";
import { tagsFromLabels } from "../normalise/tag-union";
import type { Database } from "./database";
import { documents, observations, sources } from "./schema";
import { inJsonList } from "./json-list";

export type SourcedObservationRow = typeof observations.$inferSelect & { sourceId: number };

/** Every observation of these items, each with the source of its document. */
export function sourcedObservations(tx: Database, itemIds: string[]): Promise<SourcedObservationRow[]> {
  return tx
    .select({ ...getTableColumns(observations), sourceId: documents.sourceId })
    .from(observations)
    .innerJoin(documents, eq(documents.id, observations.documentId))
    .where(inJsonList(observations.itemId, itemIds))
    .prepare("sourced_observations")
    .execute();
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
