/** Bumps the versions of the feeds that storing changed: each tag's, and "all". */
import { sql } from "drizzle-orm";
import type { Database } from "../database";
import { inJsonList } from "../json-list";
import { feedState, itemTags, tags } from "../schema";
import type { Merge, Retired } from "./merge";
import type { Plan } from "./plan";
import type { GroupReports } from "./reports";
import { together } from "./together";

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

/**
 * Works out the tags whose feeds each document of the group changed (those it retired stories from, created,
 * or whose stories it changed, `linked` or kept), bumps their versions and "all", and says so in its report.
 * `created` are the new tags linked to stories already stored.
 */
export async function bumpGroupVersions(
  tx: Database,
  plans: readonly Plan[],
  { reports, creatorOf }: GroupReports,
  retired: readonly Retired[],
  m: Merge,
  linked: readonly { itemId: string; tagId: number }[],
  created: readonly number[],
): Promise<void> {
  const { docOf, droppedChanged } = m;
  const relinked = new Set(m.relink.map((r) => r.id));
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
}
