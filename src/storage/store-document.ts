/**
 * Writes one ingested document (a page, a feed fetch) in one transaction:
 * its observations, the items derived from them, their tags and tag
 * membership. Either all of it lands or none of it does.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Item } from "../normalise/item";
import { derive, observe, type Observation } from "../normalise/merge";
import type { Database } from "./database";
import { itemRow, rowToItem, type ItemRow } from "./rows";
import { documents, feedState, items, itemTags, observations, sources, tags } from "./schema";
import { labelMatches, likePatternFor } from "./tag-match";

export interface DocumentInput {
  source: { kind: "page" | "feed"; name: string; url?: string | null };
  /** File name or URL, for the operator. */
  name: string;
  sha256: string;
  fetchedAt: Date;
  items: Item[];
}

export type ItemOutcome = "new" | "updated" | "unchanged";

export interface StoreReport {
  new: number;
  updated: number;
  unchanged: number;
  outcomes: { id: string; title: string; outcome: ItemOutcome }[];
  newTags: string[];
  /** Tags whose feeds this document changed (their version was bumped). */
  changedTags: string[];
}

// One ingestion at a time: tag matching must see every item and every tag
// that committed before it, or a tag and an item created by two concurrent
// ingestions would never be linked.
const INGEST_LOCK = 0x66656564;

export async function storeDocument(db: Database, doc: DocumentInput): Promise<StoreReport> {
  return db.transaction(async (txn) => {
    const tx = txn as unknown as Database;
    await tx.execute(sql`select pg_advisory_xact_lock(${INGEST_LOCK})`);
    const sourceId = await upsertSource(tx, doc.source);
    const documentId = await upsertDocument(tx, sourceId, doc);
    const newTags = await createTags(tx, doc.items);

    const ids = doc.items.map((i) => i.id);
    const rows = ids.length ? await tx.select().from(items).where(inArray(items.id, ids)) : [];
    const rowById = new Map(rows.map((r) => [r.id, r]));
    const priorObs = ids.length
      ? await tx.select().from(observations).where(inArray(observations.itemId, ids))
      : [];

    const report: StoreReport = {
      new: 0, updated: 0, unchanged: 0, outcomes: [], newTags: newTags.map((t) => t.slug), changedTags: [],
    };
    const relink: ItemRow[] = [];
    // new rows go in together: a feed's first fetch is fifty stories at once
    const newRows: ItemRow[] = [];
    const newObservations: (typeof observations.$inferInsert)[] = [];
    for (const item of doc.items) {
      const obs = observe(item, doc.fetchedAt);
      const prior = priorObs.filter((o) => o.itemId === item.id);
      const same = prior.find((o) => o.documentId === documentId);
      const all: Observation[] = [...prior.filter((o) => o !== same), obs];
      const derived = derive(all);
      const stored = rowById.get(item.id);
      // The winning content is either this document's or the one already stored.
      const content = !stored || derived.content.contentHash === obs.contentHash ? item : rowToItem(stored);
      const next = itemRow(content, stored && content !== item ? stored.contentHash : obs.contentHash, derived);

      let outcome: ItemOutcome;
      if (!stored) {
        newRows.push(next);
        relink.push(next);
        outcome = "new";
      } else if (stableJson(stored) !== stableJson(next)) {
        const { id, ...changes } = next;
        await tx.update(items).set(changes).where(eq(items.id, id));
        if (stored.matchText !== next.matchText || stableJson(stored.pageTags) !== stableJson(next.pageTags)) relink.push(next);
        outcome = "updated";
      } else {
        outcome = "unchanged";
      }

      const obsRow = { itemId: item.id, documentId, ...obs };
      if (!same) {
        newObservations.push(obsRow);
      } else if (stableJson({ ...same }) !== stableJson(obsRow)) {
        await tx
          .update(observations)
          .set(obs)
          .where(and(eq(observations.itemId, item.id), eq(observations.documentId, documentId)));
      }
      report[outcome]++;
      report.outcomes.push({ id: item.id, title: item.title, outcome });
    }
    for (let i = 0; i < newRows.length; i += 200) await tx.insert(items).values(newRows.slice(i, i + 200));
    for (let i = 0; i < newObservations.length; i += 500) await tx.insert(observations).values(newObservations.slice(i, i + 500));

    const affected = new Set<number>(await linkItems(tx, relink));
    for (const id of await linkNewTags(tx, newTags)) affected.add(id);
    const changedIds = report.outcomes.filter((o) => o.outcome !== "unchanged").map((o) => o.id);
    if (changedIds.length) {
      const links = await tx.select({ tagId: itemTags.tagId }).from(itemTags).where(inArray(itemTags.itemId, changedIds));
      for (const { tagId } of links) affected.add(tagId);
    }
    report.changedTags = await bumpVersions(tx, [...affected], changedIds.length > 0);
    return report;
  });
}

/** Marks the feeds this document changed, so caches of rendered feeds let go of them. */
async function bumpVersions(tx: Database, tagIds: number[], anyItemChanged: boolean): Promise<string[]> {
  if (anyItemChanged) {
    await tx
      .insert(feedState)
      .values({ key: "all", version: 1 })
      .onConflictDoUpdate({ target: feedState.key, set: { version: sql`${feedState.version} + 1`, changedAt: sql`now()` } });
  }
  if (!tagIds.length) return [];
  const bumped = await tx
    .update(tags)
    .set({ version: sql`${tags.version} + 1`, changedAt: sql`now()` })
    .where(inArray(tags.id, tagIds))
    .returning({ slug: tags.slug });
  return bumped.map((t) => t.slug).sort();
}

async function upsertSource(tx: Database, source: DocumentInput["source"]): Promise<number> {
  const [found] = await tx.select({ id: sources.id }).from(sources).where(eq(sources.name, source.name));
  if (found) return found.id;
  const [created] = await tx
    .insert(sources)
    .values({ kind: source.kind, name: source.name, url: source.url ?? null })
    .returning({ id: sources.id });
  return created!.id;
}

async function upsertDocument(tx: Database, sourceId: number, doc: DocumentInput): Promise<number> {
  const [found] = await tx
    .select({ id: documents.id })
    .from(documents)
    .where(and(eq(documents.sha256, doc.sha256), eq(documents.fetchedAt, doc.fetchedAt)));
  if (found) return found.id;
  const [created] = await tx
    .insert(documents)
    .values({ sourceId, name: doc.name, sha256: doc.sha256, fetchedAt: doc.fetchedAt, itemCount: doc.items.length })
    .returning({ id: documents.id });
  return created!.id;
}

async function createTags(tx: Database, docItems: Item[]) {
  const labels = new Map<string, string>();
  for (const item of docItems) for (const tag of item.tags) if (!labels.has(tag.slug)) labels.set(tag.slug, tag.label);
  if (!labels.size) return [];
  return tx
    .insert(tags)
    .values([...labels].map(([slug, label]) => ({ slug, label })))
    .onConflictDoNothing()
    .returning({ id: tags.id, slug: tags.slug, label: tags.label });
}

/** Recomputes the membership of items whose page tags or text changed; returns the tags they left. */
async function linkItems(tx: Database, changed: ItemRow[]): Promise<number[]> {
  if (!changed.length) return [];
  const allTags = await tx.select({ id: tags.id, slug: tags.slug, label: tags.label }).from(tags);
  const idBySlug = new Map(allTags.map((t) => [t.slug, t.id]));
  const removed = await tx
    .delete(itemTags)
    .where(inArray(itemTags.itemId, changed.map((c) => c.id)))
    .returning({ tagId: itemTags.tagId });
  const links: (typeof itemTags.$inferInsert)[] = [];
  for (const item of changed) {
    const linked = new Set<number>();
    for (const { slug } of item.pageTags) {
      const tagId = idBySlug.get(slug);
      if (tagId !== undefined && !linked.has(tagId)) {
        linked.add(tagId);
        links.push({ itemId: item.id, tagId, via: "page" });
      }
    }
    for (const tag of allTags) {
      if (!linked.has(tag.id) && labelMatches(tag.label, item.matchText)) {
        linked.add(tag.id);
        links.push({ itemId: item.id, tagId: tag.id, via: "match" });
      }
    }
  }
  for (let i = 0; i < links.length; i += 1000) await tx.insert(itemTags).values(links.slice(i, i + 1000));
  return removed.map((r) => r.tagId);
}

/** A tag seen for the first time also collects the stories already stored that name it. */
async function linkNewTags(tx: Database, created: { id: number; label: string }[]): Promise<number[]> {
  for (const tag of created) {
    const candidates = await tx
      .select({ id: items.id, matchText: items.matchText })
      .from(items)
      .where(sql`${items.matchText} like ${likePatternFor(tag.label)}`);
    const links = candidates
      .filter((c) => labelMatches(tag.label, c.matchText))
      .map((c) => ({ itemId: c.id, tagId: tag.id, via: "match" as const }));
    if (links.length) await tx.insert(itemTags).values(links).onConflictDoNothing();
  }
  return created.map((t) => t.id);
}

/** JSON with sorted keys and dates as instants: jsonb does not keep key order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}
