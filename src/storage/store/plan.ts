/**
 * Plans storing a group: cuts it into runs stored one after another, and
 * works out, from what is read before the locks, what each document of a run
 * brings and which items it writes.
 */
import type { Item, Tag } from "../../normalise/item";
import { tagsFromLabels } from "../../normalise/tag-union";
import type { Database } from "../database";
import { keepItems, previousItems } from "../entry-identity";
import { inJsonList } from "../json-list";
import { dropped, type Listing } from "../listing";
import { sources } from "../schema";
import type { DocumentInput, Storing } from "./documents";
import { together } from "./together";

/**
 * The group cut into runs, in order, whose documents share nothing that entry identity is not needed to see: a source
 * (and with it a document: its content fetched at the same time), an item shown or retired. Storing the runs one after another is
 * storing the documents one after another.
 */
export function runsApart(group: readonly Storing[]): Storing[][] {
  const runs: Storing[][] = [];
  let taken = new Set<string>();
  for (const storing of group) {
    const { doc } = storing;
    const marks = [`source ${doc.source.name}`, ...doc.items.map((i) => `item ${i.id}`)];
    for (const id of doc.identity?.retiredIds ?? []) marks.push(`item ${id}`);
    if (!runs.length || marks.some((m) => taken.has(m))) {
      runs.push([]);
      taken = new Set();
    }
    runs.at(-1)!.push(storing);
    for (const m of marks) taken.add(m);
  }
  return runs;
}

export function disjoint(sets: readonly (readonly string[])[]): boolean {
  const seen = new Set<string>();
  for (const ids of sets) {
    for (const id of new Set(ids)) {
      if (seen.has(id)) return false;
      seen.add(id);
    }
  }
  return true;
}

/** Documents of a group meet on an item only found once entry identity or the listings were read: the group is stored one by one. */
export class SharedItemError extends Error {
  override name = "SharedItemError";
}

/** What one document of a group brings, worked out from what was read before the locks. */
export interface Plan {
  doc: DocumentInput;
  items: Item[];
  entryKeyOf: Map<string, string>;
  ids: string[];
  retiredIds: readonly string[];
  ownTags: Tag[];
  letGo: string[];
  /** Every item the document writes: the story locks it needs. */
  touched: string[];
}

/** A document's source as read before the locks: its own tags, and its listing. */
export type NamedSource = Listing & { id: number; name: string; tags: string[] };

/** What storing a group works from, read before the locks. */
export interface GroupPlan {
  /** For each entry key the documents bring, the item of its latest observation (entry identity). */
  previous: Map<string, string>;
  /** The documents' sources known already, by name. */
  namedBy: Map<string, NamedSource>;
  plans: Plan[];
  /** Every tag the documents bring, their sources' own included: whether one is new decides the ingestion lock. */
  slugs: string[];
}

/** Reads what the documents' items and sources were before, and plans each document; throws SharedItemError where two meet on an item. */
export async function planGroup(tx: Database, docs: readonly DocumentInput[]): Promise<GroupPlan> {
  const entryKeys = [...new Set(docs.flatMap((d) => (d.identity ? [...d.identity.entryKeys.values()] : [])))];
  // the sources' own tags join the items' tags, so they count as new tags too (read again under the lock),
  // and their listings: the items a document drops from one are written too, so they are locked like the document's own
  const [previous, named] = await together([
    previousItems(tx, entryKeys),
    tx
      .select({ id: sources.id, name: sources.name, tags: sources.tags, ids: sources.listing, listedAt: sources.listedAt })
      .from(sources)
      .where(
        inJsonList(
          sources.name,
          docs.map((d) => d.source.name),
        ),
      )
      .prepare("sources_by_name_for_store")
      .execute(),
  ]);
  const namedBy = new Map<string, NamedSource>(named.map((s) => [s.name, s]));
  const plans = docs.map((doc): Plan => {
    const identity = doc.identity;
    const { items: docItems, entryKeyOf } = identity ? keepItems(doc.items, identity, previous) : { items: doc.items, entryKeyOf: new Map<string, string>() };
    const retiredIds = identity?.retiredIds ?? [];
    const ids = [...new Set(docItems.map((i) => i.id))].sort();
    const source = namedBy.get(doc.source.name);
    const letGo = source ? dropped(source, doc.fetchedAt, ids) : [];
    return {
      doc,
      items: docItems,
      entryKeyOf,
      ids,
      retiredIds,
      ownTags: tagsFromLabels(source?.tags ?? []),
      letGo,
      touched: [...ids, ...retiredIds, ...letGo],
    };
  });
  if (!disjoint(plans.map((p) => p.touched))) throw new SharedItemError("documents of the group share an item");
  const slugs = [...new Set(plans.flatMap((p) => [...p.items.flatMap((i) => i.tags.map((t) => t.slug)), ...p.ownTags.map((t) => t.slug)]))];
  return { previous, namedBy, plans, slugs };
}
