/**
 * Merges each document's items with what is stored: an item is derived from
 * all of its observations, those stored and the document's, and its row is
 * written where that changes it. New rows and observations are collected, to
 * be inserted together after the group's last item.
 */
import { and, eq } from "drizzle-orm";
import type { Tag } from "../../normalise/item";
import { derive, observe, untimedPlaces } from "../../normalise/merge";
import { unionTags, type SourcedObservation } from "../../normalise/tag-union";
import type { TopicBook } from "../../normalise/topic/membership";
import type { Database } from "../database";
import type { retireItems } from "../entry-identity";
import type { Listing } from "../listing";
import { matchWordsOf } from "../match-words";
import { itemRow, rowChanges, rowToItem, type ItemRow } from "../rows";
import { items, observations } from "../schema";
import { sourcedObservations, sourceTagsById, type SourcedObservationRow } from "../source-observations";
import type { ItemOutcome, StoreReport } from "./documents";
import { factsOf, sourceNamesOf } from "../topics";
import type { GroupPlan, Plan } from "./plan";
import { together } from "./together";

/** What retiring a document's items did: the items it changed, the tags they left, the items other sources still show. */
export type Retired = Awaited<ReturnType<typeof retireItems>>;

/** An item's row as read before merging: all but its words, which are never read (itemColumns). */
export type StoredItemRow = Omit<typeof items.$inferSelect, "matchWords">;

/** A group's merge: what it reads of what is stored, once, and what it collects to write after its last item. */
export interface Merge {
  tx: Database;
  book: TopicBook;
  /** For each entry key, the item of its latest observation before the group (isRepeat). */
  previous: ReadonlyMap<string, string>;
  rowById: Map<string, ItemRow>;
  priorByItem: Map<string, SourcedObservationRow[]>;
  sourceTags: Map<number, Tag[]>;
  sourcesOf: (id: string) => readonly string[];
  /** Items to link again: the new ones, those whose membership may have changed, and those a document retired that others still show. */
  relink: ItemRow[];
  droppedChanged: Set<string>;
  newRows: (typeof items.$inferInsert)[];
  newObservations: (typeof observations.$inferInsert)[];
  /** Stories whose searchable text is new or changed: queued for the full-text index (search-index.ts). */
  toIndex: string[];
  /** Which document of the group wrote each item: the tags whose feeds it changed are that document's. */
  docOf: Map<string, number>;
}

/** Reads what merging the group's items needs of what is stored: their rows, their observations, the sources' tags and names. */
export async function startMerge(
  tx: Database,
  book: TopicBook,
  planned: GroupPlan,
  stored: readonly StoredItemRow[],
  allIds: string[],
  sourceIds: readonly number[],
  retired: readonly Retired[],
  /** The listings of the group's sources before its documents replaced them. */
  before: ReadonlyMap<number, Listing>,
): Promise<Merge> {
  // last seen is the listing's to keep (listing.ts), not derived from observations like the rest of the row; dropped is the link's (linkItemTags)
  const rows = stored.map(({ lastSeenAt: _, dropped: __, ...row }) => row);
  const rowById = new Map(rows.map((r) => [r.id, r]));
  const priorObs = rows.length
    ? await sourcedObservations(
        tx,
        rows.map((r) => r.id),
        before,
      )
    : [];
  const priorByItem = new Map<string, (typeof priorObs)[number][]>();
  for (const o of priorObs) priorByItem.set(o.itemId, [...(priorByItem.get(o.itemId) ?? []), o]);
  const [sourceTags, shownBy] = await together([
    sourceTagsById(tx, [...new Set([...sourceIds, ...priorObs.map((o) => o.sourceId)])]),
    // only a rule over sources reads them
    book.readsSources ? sourceNamesOf(tx, [...allIds, ...retiredKept(retired)]) : Promise.resolve(new Map<string, string[]>()),
  ]);
  for (const plan of planned.plans) {
    const own = [plan.doc.source.name, ...(plan.doc.source.url && plan.doc.source.url !== plan.doc.source.name ? [plan.doc.source.url] : [])];
    for (const id of plan.ids) shownBy.set(id, [...new Set([...(shownBy.get(id) ?? []), ...own])]);
  }
  const sourcesOf = (id: string) => shownBy.get(id) ?? [];
  // items a document let go of that other sources still show: their tags are those sources' alone now
  const relink: ItemRow[] = retired.flatMap((r) => r.kept);
  const docOf = new Map<string, number>();
  for (const [k, r] of retired.entries()) for (const row of r.kept) docOf.set(row.id, k);
  const merge: Merge = {
    tx,
    book,
    previous: planned.previous,
    rowById,
    priorByItem,
    sourceTags,
    sourcesOf,
    relink,
    droppedChanged: new Set<string>(),
    newRows: [],
    newObservations: [],
    toIndex: [],
    docOf,
  };
  return merge;
}

function retiredKept(retired: readonly { kept: readonly { id: string }[] }[]): string[] {
  return retired.flatMap((r) => r.kept.map((k) => k.id));
}

/** Merges each document's items, in order: rows changed are updated at once, new ones collected; each outcome goes to its document's report. */
export async function mergeItems(
  m: Merge,
  plans: readonly Plan[],
  sourceIds: readonly number[],
  documentIds: readonly number[],
  reports: readonly StoreReport[],
): Promise<void> {
  const { tx, book, previous, rowById, priorByItem, sourceTags, sourcesOf, relink, newRows, newObservations, docOf } = m;
  for (const [k, plan] of plans.entries()) {
    const { doc, entryKeyOf } = plan;
    const sourceId = sourceIds[k]!;
    const documentId = documentIds[k]!;
    const report = reports[k]!;
    const places = untimedPlaces(plan.items, doc.fetchedAt);
    for (const item of plan.items) {
      docOf.set(item.id, k);
      const obs = { ...observe(item, doc.fetchedAt, places.get(item.id) ?? null), entryKey: entryKeyOf.get(item.id) ?? null };
      const prior = priorByItem.get(item.id) ?? [];
      const same = prior.find((o) => o.documentId === documentId);
      const others = prior.filter((o) => o !== same);
      const repeated = doc.source.kind === "feed" && !same && isRepeat(others, { ...obs, itemId: item.id, sourceId }, previous);
      const all: SourcedObservation[] = repeated ? others : [...others, { ...obs, sourceId }];
      const derived = derive(all);
      const stored = rowById.get(item.id);
      // The winning content is either this document's or the one already stored.
      const content = !stored || derived.content.contentHash === obs.contentHash ? item : rowToItem(stored);
      const next = itemRow(content, stored && content !== item ? stored.contentHash : obs.contentHash, derived, unionTags(all, sourceTags));

      const readChanged = stored !== undefined && membershipReadChanged(book, stored, next, prior, sourceId);
      let outcome: ItemOutcome;
      if (!stored) {
        newRows.push({ ...next, matchWords: matchWordsOf(next.matchText), lastSeenAt: doc.fetchedAt, dropped: book.dropped(factsOf(next, sourcesOf)) });
        relink.push(next);
        m.toIndex.push(next.id);
        outcome = "new";
      } else if (stableJson(stored) !== stableJson(next)) {
        const { id, ...changes } = next;
        if (stored.title !== next.title || stored.summary !== next.summary || stored.matchText !== next.matchText) m.toIndex.push(id);
        await tx.update(items).set(rowChanges(stored, changes)).where(eq(items.id, id));
        if (readChanged) relink.push(next);
        outcome = "updated";
      } else {
        if (readChanged) relink.push(next);
        outcome = "unchanged";
      }

      const obsRow = { itemId: item.id, documentId, ...obs };
      if (repeated) {
        // nothing to record: see isRepeat
      } else if (!same) {
        newObservations.push(obsRow);
      } else if (stableJson({ ...same, sourceId: undefined }) !== stableJson(obsRow)) {
        await tx
          .update(observations)
          .set(obs)
          .where(and(eq(observations.itemId, item.id), eq(observations.documentId, documentId)));
      }
      report[outcome]++;
      report.outcomes.push({ id: item.id, title: item.title, outcome });
    }
  }
}

/**
 * Whether what membership reads of a stored item changed. Membership follows what it reads: the words and
 * the sources' tags, and what rules read besides (the content, the byline, the dateline), and the sources
 * that show the story where a rule reads them.
 */
function membershipReadChanged(book: TopicBook, stored: ItemRow, next: ItemRow, prior: readonly SourcedObservationRow[], sourceId: number): boolean {
  return (
    stored.matchText !== next.matchText ||
    stableJson(stored.pageTags) !== stableJson(next.pageTags) ||
    (book.readsBeyondText && (stored.contentHtml !== next.contentHtml || stored.agency !== next.agency || stored.dateline !== next.dateline)) ||
    (book.readsSources && !prior.some((o) => o.sourceId === sourceId))
  );
}

/**
 * Whether a feed's entry says again exactly what its source's latest
 * observation of the item said, so that recording it would change nothing
 * derived from the item's observations: derive() and unionTags() read a run
 * of equal observations of one source through its first one, as long as no
 * other source observed the item since that one (their order against each
 * other would then matter) and the entry's key still leads to this item (its
 * latest observation is what entry identity follows). A feed document thus
 * adds observations only for entries that are new or changed. News pages
 * record every story they show: their documents are ingested in any order.
 */
function isRepeat(prior: readonly SourcedObservationRow[], now: Omit<SourcedObservationRow, "documentId">, previous: ReadonlyMap<string, string>): boolean {
  let latest: SourcedObservationRow | undefined;
  for (const o of prior) if (o.sourceId === now.sourceId && (!latest || o.fetchedAt > latest.fetchedAt)) latest = o;
  if (!latest || latest.fetchedAt >= now.fetchedAt) return false;
  const since = latest.fetchedAt.getTime();
  if (prior.some((o) => o.sourceId !== now.sourceId && o.fetchedAt.getTime() >= since)) return false;
  if (now.entryKey !== null && previous.get(now.entryKey) !== undefined && previous.get(now.entryKey) !== now.itemId) return false;
  return (
    latest.kind === now.kind &&
    latest.contentHash === now.contentHash &&
    latest.commentCount === now.commentCount &&
    latest.publishedAt?.getTime() === now.publishedAt?.getTime() &&
    latest.precision === now.precision &&
    latest.entryKey === now.entryKey &&
    stableJson(latest.tags) === stableJson(now.tags)
  );
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
