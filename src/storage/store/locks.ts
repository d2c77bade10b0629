/**
 * The locks storing a group takes in its transaction: the ingestion lock,
 * shared or alone, and a lock per story, taken in one global order.
 */
import { sql } from "drizzle-orm";
import type { Database } from "../database";
import { inJsonList } from "../json-list";
import { tagAliases, tags } from "../schema";
import { disjoint, SharedItemError, type Plan } from "./plan";
import { together } from "./together";

// Tag membership must see every item and every tag that committed before
// it, or a tag and an item created by two concurrent ingestions would never
// be linked. A document that brings a tag not yet known takes this lock
// alone; the others (nearly every feed fetch) share it and run side by side.
// Changing or removing a source takes it alone too (source-tags.ts).
export const INGEST_LOCK = 0x66656564;
// Documents that share the ingestion lock still serialise per story: an
// item is derived from all of its observations, read and written together.
const STORY_LOCKS = 0x73746f72;

/**
 * Takes the ingestion lock: alone when the document brings a tag not yet
 * known (a known slug stays known: a tag removed or merged leaves its slug as
 * an old name, tag_aliases, in the same transaction, so "all known" stays true
 * once checked),
 * otherwise shared, with a lock per story taken in one global order so that
 * two documents never wait for each other's stories. Returns whether it
 * holds the lock alone.
 *
 * The story locks go out with the ingestion lock, without waiting for its
 * answer, and are taken even when it is held alone: then no other document
 * holds one (each takes them under the shared lock, and holds them only
 * until it commits), so they cost a statement but never a wait.
 */
export async function takeIngestLock(tx: Database, slugs: string[], ids: string[]): Promise<boolean> {
  // one statement: whether every tag is known (a tag, or the old name of one), and the lock that follows from it
  const known = sql`(select count(*) < jsonb_array_length(${JSON.stringify(slugs)}::jsonb) as alone from (
    select ${tags.slug} from ${tags} where ${inJsonList(tags.slug, slugs)}
    union all select ${tagAliases.slug} from ${tagAliases} where ${inJsonList(tagAliases.slug, slugs)}) k) t`;
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

/** Locks what each document lets go of beyond what its plan says (`gone`: what recording the listings returned). */
export async function lockLetGo(tx: Database, plans: readonly Plan[], gone: readonly string[][], alone: boolean): Promise<void> {
  // a document of the same source stored since the listings were read changed a listing: lock what else it lets go of. Rare, and
  // out of the global order: it can deadlock with a document holding one of them, and PostgreSQL then fails one of the two.
  const extra = plans.map((p, k) => gone[k]!.filter((id) => !p.letGo.includes(id)));
  if (!disjoint(plans.map((p, k) => [...p.touched, ...extra[k]!]))) throw new SharedItemError("documents of the group share an item they let go of");
  if (!alone) await lockStories(tx, extra.flat());
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
