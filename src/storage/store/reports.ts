/** Each document's report, begun before its items are merged: what it retired, and the tags it created. */
import type { StoreReport } from "./documents";
import type { Plan } from "./plan";

/** The group's reports, in the order of its documents, and which document created each new tag (by the tag's id). */
export interface GroupReports {
  reports: StoreReport[];
  creatorOf: Map<number, number>;
}

export function startReports(
  plans: readonly Plan[],
  retired: readonly { changed: readonly string[] }[],
  newTags: readonly { id: number; slug: string }[],
): GroupReports {
  // each new tag is the first document's that brings it, as if the documents were stored one by one
  const creatorOf = new Map<number, number>();
  const reports = plans.map((plan, k): StoreReport => {
    const brought = new Set([...plan.items.flatMap((i) => i.tags.map((t) => t.slug)), ...plan.ownTags.map((t) => t.slug)]);
    const mine = newTags.filter((t) => !creatorOf.has(t.id) && brought.has(t.slug));
    for (const t of mine) creatorOf.set(t.id, k);
    return {
      new: 0,
      updated: 0,
      unchanged: 0,
      retired: retired[k]!.changed.length,
      outcomes: [],
      newTags: mine.map((t) => t.slug),
      changedTags: [],
    };
  });
  return { reports, creatorOf };
}
