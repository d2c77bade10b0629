/** Records the group's sources and documents: the rows its observations belong to. */
import { and, eq } from "drizzle-orm";
import type { Database } from "../database";
import { documents, sources } from "../schema";
import type { DocumentInput } from "./documents";

/** Each document's source id: sources not yet known are created (pages' portal, a feed stored without being followed). */
export async function sourceIdsOf(tx: Database, docs: readonly DocumentInput[], named: ReadonlyMap<string, { id: number }>): Promise<number[]> {
  const missing = docs.filter((d) => !named.has(d.source.name));
  const ids = new Map([...named].map(([name, s]) => [name, s.id]));
  for (const doc of missing) ids.set(doc.source.name, await upsertSource(tx, doc.source));
  return docs.map((d) => ids.get(d.source.name)!);
}

// Both upserts insert after looking: two documents sharing the lock may bring
// the same new source or the same document, and the second insert then waits
// for the first to commit instead of failing on the unique index.
async function upsertSource(tx: Database, source: DocumentInput["source"]): Promise<number> {
  const byName = async () => {
    const [found] = await tx
      .select({ id: sources.id, kind: sources.kind })
      .from(sources)
      .where(eq(sources.name, source.name))
      .prepare("source_by_name")
      .execute();
    // a page of a site whose host a followed feed is named after (`sources add URL --name example.org`) is not that
    // feed's document: it would take the feed's listing
    if (found && found.kind !== source.kind)
      throw new Error(`'${source.name}' is the name of a followed feed: a page of the site by that name cannot be stored under it`);
    return found;
  };
  const found = await byName();
  if (found) return found.id;
  const [created] = await tx
    .insert(sources)
    .values({ kind: source.kind, name: source.name, url: source.url ?? null })
    .onConflictDoNothing()
    .returning({ id: sources.id });
  return created?.id ?? (await byName())!.id;
}

/** Each document's id, in the order given; a document stored before (the same source's content fetched at the same time) keeps its id. */
export async function insertDocuments(tx: Database, docs: readonly DocumentInput[], sourceIds: readonly number[]): Promise<number[]> {
  const keyOf = (sourceId: number, sha256: string, fetchedAt: Date) => `${sourceId} ${sha256} ${fetchedAt.getTime()}`;
  // the statement's text changes with the number of documents, at most a group's size: prepared once per count and connection
  const created = await tx
    .insert(documents)
    .values(docs.map((doc, k) => ({ sourceId: sourceIds[k]!, name: doc.name, sha256: doc.sha256, fetchedAt: doc.fetchedAt, itemCount: doc.items.length })))
    .onConflictDoNothing()
    .returning({ id: documents.id, sourceId: documents.sourceId, sha256: documents.sha256, fetchedAt: documents.fetchedAt })
    .prepare(`insert_documents_${docs.length}`)
    .execute();
  const ids = new Map(created.map((d) => [keyOf(d.sourceId, d.sha256, d.fetchedAt), d.id]));
  for (const [k, doc] of docs.entries()) {
    const key = keyOf(sourceIds[k]!, doc.sha256, doc.fetchedAt);
    if (ids.has(key)) continue;
    const [found] = await tx
      .select({ id: documents.id })
      .from(documents)
      .where(and(eq(documents.sourceId, sourceIds[k]!), eq(documents.sha256, doc.sha256), eq(documents.fetchedAt, doc.fetchedAt)));
    ids.set(key, found!.id);
  }
  return docs.map((doc, k) => ids.get(keyOf(sourceIds[k]!, doc.sha256, doc.fetchedAt))!);
}
