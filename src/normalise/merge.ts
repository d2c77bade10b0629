/**
 * How observations of one story combine. The same story is seen as an
 * article, as a timed teaser and as an untimed teaser, on many pages fetched
 * at different times and ingested in any order. The rules are chosen so that
 * the result does not depend on that order:
 *
 * - publishedAt comes from the most precise observation (absolute date >
 *   minutes > hours > days > weeks > none); at equal precision the earlier
 *   instant wins, since a relative time is truncated and so only ever an
 *   upper bound of the real time.
 * - the descriptive fields (title, texts, tags, image, dateline) come from the
 *   richest observation (an article beats a teaser), the newest of those.
 * - the comment count comes from the newest observation that shows one.
 * - firstSeenAt is the earliest fetch time.
 */
import { PRECISION, type Item, type ItemKind } from "./item";

export interface StoredItem extends Item {
  firstSeenAt: Date;
  updatedAt: Date;
  /** Fetch time of the observation the descriptive fields come from. */
  contentFetchedAt: Date;
  /** Fetch time of the observation the comment count comes from. */
  commentsFetchedAt: Date | null;
}

const KIND_RANK: Record<ItemKind, number> = { teaser: 0, article: 1 };

export function fromObservation(item: Item, fetchedAt: Date): StoredItem {
  const published = item.publishedAt?.getTime() ?? 0;
  return {
    ...item,
    firstSeenAt: fetchedAt,
    updatedAt: new Date(Math.max(fetchedAt.getTime(), published)),
    contentFetchedAt: fetchedAt,
    commentsFetchedAt: item.commentCount === null ? null : fetchedAt,
  };
}

export interface MergeResult {
  item: StoredItem;
  /** The story as readers see it changed: its updatedAt moves. */
  changed: boolean;
  /** Something must be written, if only which observation is newest. */
  dirty: boolean;
}

export function mergeObservation(stored: StoredItem, obs: Item, fetchedAt: Date): MergeResult {
  const next: StoredItem = { ...stored };
  const t = fetchedAt.getTime();

  const ours = PRECISION[obs.precision];
  const theirs = PRECISION[stored.precision];
  if (
    obs.publishedAt &&
    (ours > theirs || (ours === theirs && stored.publishedAt && obs.publishedAt.getTime() < stored.publishedAt.getTime()))
  ) {
    next.publishedAt = obs.publishedAt;
    next.precision = obs.precision;
  }

  const richer = KIND_RANK[obs.kind] - KIND_RANK[stored.kind];
  if (richer > 0 || (richer === 0 && t >= stored.contentFetchedAt.getTime())) {
    Object.assign(next, {
      kind: obs.kind,
      title: obs.title,
      kicker: obs.kicker,
      agency: obs.agency,
      dateline: obs.dateline,
      tags: obs.tags,
      image: obs.image,
      summary: obs.summary,
      contentHtml: obs.contentHtml,
      url: obs.url ?? stored.url,
      contentFetchedAt: fetchedAt,
    });
  }

  // At the same fetch time (one page showing the story twice) the article's
  // own count is taken over a teaser's.
  const commentsAt = stored.commentsFetchedAt?.getTime();
  if (
    obs.commentCount !== null &&
    (commentsAt === undefined || t > commentsAt || (t === commentsAt && KIND_RANK[obs.kind] >= KIND_RANK[stored.kind]))
  ) {
    next.commentCount = obs.commentCount;
    next.commentsFetchedAt = fetchedAt;
  }

  if (t < stored.firstSeenAt.getTime()) next.firstSeenAt = fetchedAt;

  const changed = canonical(stored, VISIBLE) !== canonical(next, VISIBLE);
  if (changed && t > stored.updatedAt.getTime()) next.updatedAt = fetchedAt;
  return { item: next, changed, dirty: changed || canonical(stored) !== canonical(next) };
}

/** One page may show the same story twice (article and teaser): fold those. */
export function mergeObservations(items: Item[]): Item[] {
  const byId = new Map<string, Item>();
  const epoch = new Date(0);
  for (const item of items) {
    const seen = byId.get(item.id);
    if (!seen) {
      byId.set(item.id, item);
      continue;
    }
    const { item: merged } = mergeObservation(fromObservation(seen, epoch), item, epoch);
    const { firstSeenAt, updatedAt, contentFetchedAt, commentsFetchedAt, ...plain } = merged;
    byId.set(item.id, plain);
  }
  return [...byId.values()];
}

const BOOKKEEPING = new Set(["contentFetchedAt", "commentsFetchedAt", "updatedAt"]);
const VISIBLE = (key: string) => !BOOKKEEPING.has(key);

function canonical(item: StoredItem, keep: (key: string) => boolean = () => true): string {
  const keys = Object.keys(item).filter(keep).sort();
  return JSON.stringify(keys.map((k) => [k, (item as unknown as Record<string, unknown>)[k]]));
}
