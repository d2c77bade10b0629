/**
 * The full-text index of the stories (schema itemSearch), kept up to date after the storing
 * transactions rather than in them. Storing a document queues its new and changed stories
 * (searchQueue, in its own transaction: a crash between storing and indexing loses nothing); indexing
 * takes the queue in bulk, a few thousand stories a statement, and writes their lexemes. Any number of
 * indexers may run at once, on one database: each takes the queued stories no other has locked.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Database } from "./database";
import { items, itemSearch, searchQueue } from "./schema";

/** Stories indexed by one statement at most: large enough to be bulk, small enough to be a short transaction. */
export const INDEX_BATCH = 2_000;

/** Queues these stories for indexing, in the storing transaction. */
export async function queueForSearch(tx: Database, ids: readonly string[]): Promise<void> {
  if (!ids.length) return;
  await tx
    .insert(searchQueue)
    // each once: an upsert may not touch one row twice in a statement
    .select(sql`select id, now() from jsonb_array_elements_text(${JSON.stringify([...new Set(ids)])}::jsonb) as q(id)`)
    // an update, not nothing: it locks a row queued already, so that an indexer cannot take it with the text before
    // this transaction's (it skips the row until this commits, or this waits until its taking commits and queues anew)
    .onConflictDoUpdate({ target: searchQueue.itemId, set: { queuedAt: sql`now()` } })
    .prepare("queue_for_search")
    .execute();
}

/**
 * Indexes up to `limit` queued stories in one statement: takes them off the queue and writes their
 * lexemes, from the stories as they are now (a story queued again meanwhile waits for the next call, and
 * one deleted is dropped). Returns how many it took off the queue.
 */
export async function indexBatch(db: Database, limit = INDEX_BATCH): Promise<number> {
  const rows = await db.execute<{ taken: number }>(sql`
    with taken as (
      delete from ${searchQueue}
      where ${searchQueue.itemId} in (select item_id from ${searchQueue} limit ${limit} for update skip locked)
      returning item_id
    ), written as (
      insert into ${itemSearch} (item_id, lexemes, words)
      select ${items.id}, to_tsvector('german', ${items.title} || ' ' || ${items.summary}), ${items.matchWords}
      from ${items} join taken on taken.item_id = ${items.id}
      -- in the order of the stories' ids, as prune locks them: two that wait for each other's rows never do so crosswise
      order by ${items.id}
      on conflict (item_id) do update set lexemes = excluded.lexemes, words = excluded.words
    )
    select count(*)::int as taken from taken`);
  const list = (rows as unknown as { rows?: { taken: number }[] }).rows ?? (rows as unknown as { taken: number }[]);
  return list[0]?.taken ?? 0;
}

/** Indexes every queued story, batch after batch, until none is left that no other indexer holds; returns how many. */
export async function indexQueued(db: Database): Promise<number> {
  let total = 0;
  for (let taken = await indexBatch(db); taken > 0; taken = await indexBatch(db)) total += taken;
  return total;
}

/** How many stories wait to be indexed. */
export async function searchBacklog(db: Database): Promise<number> {
  return db.$count(searchQueue);
}

/** The stories whose title and summary hold the words of a reader's query (websearch syntax, German lexemes): ?q=. */
export function matchingQuery(q: string): SQL {
  return sql`${items.id} in (select ${itemSearch.itemId} from ${itemSearch} where ${itemSearch.lexemes} @@ websearch_to_tsquery('german', ${q}))`;
}

/**
 * The stories holding every word of a tsquery of exact words (match-words.ts wordQueryOf): those indexed,
 * through the index, and those still queued, read one by one (the queue is short).
 */
export function holdingWords(query: string): SQL {
  return sql`(${items.id} in (select ${itemSearch.itemId} from ${itemSearch} where ${itemSearch.words} @@ ${query}::tsquery)
    or (${items.id} in (select ${searchQueue.itemId} from ${searchQueue}) and ${items.matchWords} @@ ${query}::tsquery))`;
}

/** Removes the index rows of stories that are gone (deleted while being indexed, or by paths that do not say): for prune. */
export async function dropOrphanedSearchRows(db: Database): Promise<number> {
  const gone = await db
    .delete(itemSearch)
    .where(sql`not exists (select 1 from ${items} where ${items.id} = ${itemSearch.itemId})`)
    .returning({ id: itemSearch.itemId });
  return gone.length;
}
