/**
 * The tags of a story shown by several sources (two feeds, a feed and the
 * portal's pages): the union of what each source says, so no source's tags
 * are lost to another's richer or newer text. Like normalise/merge, a
 * function of the set of observations, so the order of ingestion cannot
 * matter:
 *
 * - each source contributes the tags of its own best observation of the
 *   story (the richest, then the newest, as merge.ts's content order; ties
 *   add up), so a feed that drops a category in a later document takes it
 *   back, and a teaser on a later page does not erase its article's tags;
 * - and the tags the source itself was given (a followed feed's tags).
 *
 * Order: the tags of the observation whose content the item shows, then its
 * source's own tags, then the rest by slug. A slug keeps the first label met.
 */
import type { Tag } from "./item";
import { contentOrder, derive, type Observation } from "./merge";
import { slugify } from "./slug";

/** An observation with the source whose document made it. */
export interface SourcedObservation extends Observation {
  sourceId: number;
}

export function unionTags(observations: readonly SourcedObservation[], sourceTags: ReadonlyMap<number, readonly Tag[]>): Tag[] {
  if (!observations.length) return [];
  const bySource = new Map<number, SourcedObservation[]>();
  for (const o of observations) bySource.set(o.sourceId, [...(bySource.get(o.sourceId) ?? []), o]);

  const rest: Tag[] = [];
  for (const [sourceId, group] of bySource) {
    const best = group.reduce((a, b) => (rankOrder(a, b) >= 0 ? a : b));
    for (const o of group) if (rankOrder(o, best) === 0) rest.push(...o.tags);
    rest.push(...(sourceTags.get(sourceId) ?? []));
  }
  const lead = derive(observations).content as SourcedObservation;
  const first = [...lead.tags, ...(sourceTags.get(lead.sourceId) ?? [])];
  rest.sort((a, b) => compare(a.slug, b.slug) || compare(a.label, b.label));

  const seen = new Set<string>();
  const union: Tag[] = [];
  for (const tag of [...first, ...rest]) {
    if (seen.has(tag.slug)) continue;
    seen.add(tag.slug);
    union.push({ slug: tag.slug, label: tag.label });
  }
  return union;
}

/** The tags a source was given by label (`sources add --tag`, OPML folders, config files), as tags. */
export function tagsFromLabels(labels: readonly string[]): Tag[] {
  const seen = new Set<string>();
  const out: Tag[] = [];
  for (const label of labels) {
    const slug = slugify(label);
    if (!slug || seen.has(slug)) continue;
    seen.add(slug);
    out.push({ slug, label });
  }
  return out;
}

/** Content order without the hash tie-break: observations equal here all count. */
function rankOrder(a: Observation, b: Observation): number {
  return contentOrder({ ...a, contentHash: "" }, { ...b, contentHash: "" });
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
