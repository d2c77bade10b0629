/**
 * How observations of one story combine into one item. The same story is
 * seen as an article, as a timed teaser and as an untimed teaser, on many
 * pages fetched at different times and ingested in any order. The item is a
 * function of the set of its observations, so the order of ingestion cannot
 * matter:
 *
 * - publishedAt comes from the most precise observation (absolute date >
 *   minutes > hours > days > weeks > none); at equal precision the earlier
 *   instant wins, since a relative time is truncated and so only ever an
 *   upper bound of the real time.
 * - the descriptive content (title, texts, tags, image, media, dateline) comes from
 *   the richest observation (an article beats a teaser), the newest of those.
 * - the comment count comes from the newest observation that shows one.
 * - firstSeenAt is the earliest fetch time.
 * - feedAt, what feeds sort by, is publishedAt; for a story no observation
 *   dates, where the document that first showed it placed it: after the
 *   stories of its list that it dates (untimedAt), else when it was first
 *   seen. An untimed teaser is not news of the moment its page was fetched.
 * - updatedAt is the publication time (firstSeenAt for an undated story)
 *   until a change is seen, then when the current state was first seen: a
 *   change is current content or a current comment count first seen after
 *   the story was (a teaser then the article, an edited text, new comments).
 *   A more precise date arriving later is no change: it says more exactly
 *   when the same story appeared, and updatedAt follows it. So the stories
 *   of one page share an updatedAt only where they changed together.
 */
import { PRECISION, type Item, type ItemKind, type Precision, type Tag } from "./item";
import { sha256Hex } from "./sha256";

/** What one document said about one story, without the texts themselves. */
export interface Observation {
  fetchedAt: Date;
  kind: ItemKind;
  /** contentHash() of the descriptive fields. */
  contentHash: string;
  commentCount: number | null;
  publishedAt: Date | null;
  precision: Precision;
  /** The tags the document gave the story; the item's tags are their union over sources (normalise/tag-union). */
  tags: Tag[];
  /** An undated story's place in its document's list: see untimedPlaces. Null for a dated one, and where not known. */
  untimedAt: Date | null;
}

export interface Derived {
  /** The observation whose descriptive content the item shows. */
  content: Observation;
  publishedAt: Date | null;
  precision: Precision;
  commentCount: number | null;
  firstSeenAt: Date;
  updatedAt: Date;
  /** What feeds sort by: publishedAt, else the untimed story's place when first seen (untimedAt), else firstSeenAt. */
  feedAt: Date;
}

const KIND_RANK: Record<ItemKind, number> = { teaser: 0, article: 1 };

export function contentHash(item: Item): string {
  const { kind, title, kicker, agency, dateline, tags, image, media, summary, contentHtml, url } = item;
  const fields: unknown[] = [kind, title, kicker, agency, dateline, tags, image, summary, contentHtml, url];
  // appended only when present, so the hashes of items without media, stored before media were kept, stay as they were
  if (media) fields.push(media);
  const canonical = JSON.stringify(fields);
  return sha256Hex(canonical).slice(0, 32);
}

export function observe(item: Item, fetchedAt: Date, untimedAt: Date | null = null): Observation {
  return {
    fetchedAt,
    kind: item.kind,
    contentHash: contentHash(item),
    commentCount: item.commentCount,
    publishedAt: item.publishedAt,
    precision: item.precision,
    tags: item.tags,
    untimedAt: item.publishedAt ? null : untimedAt,
  };
}

/**
 * Where a document places the stories it gives no time: after the stories of the same kind it dates, at the
 * oldest of their times (a teaser list's last timed teaser), but never after it was fetched; at its fetch time
 * where it dates none. Keyed by item id, for the undated items alone.
 */
export function untimedPlaces(items: readonly Item[], fetchedAt: Date): Map<string, Date> {
  const oldest = new Map<ItemKind, number>();
  for (const item of items) {
    if (!item.publishedAt) continue;
    const t = Math.min(item.publishedAt.getTime(), fetchedAt.getTime());
    oldest.set(item.kind, Math.min(oldest.get(item.kind) ?? t, t));
  }
  const places = new Map<string, Date>();
  for (const item of items) if (!item.publishedAt) places.set(item.id, new Date(oldest.get(item.kind) ?? fetchedAt.getTime()));
  return places;
}

const time = (d: Date | null) => d?.getTime() ?? 0;

/** Content order: richer kind, then newer, then (a tie between two documents of the same instant) by hash. */
export function contentOrder(a: Observation, b: Observation): number {
  return (
    KIND_RANK[a.kind] - KIND_RANK[b.kind] ||
    time(a.fetchedAt) - time(b.fetchedAt) ||
    (a.contentHash < b.contentHash ? -1 : a.contentHash > b.contentHash ? 1 : 0)
  );
}

/** Comment order: newer, then the richer kind (an article's own count over a teaser's), then the larger count. */
function commentOrder(a: Observation, b: Observation): number {
  return time(a.fetchedAt) - time(b.fetchedAt) || KIND_RANK[a.kind] - KIND_RANK[b.kind] || (a.commentCount ?? 0) - (b.commentCount ?? 0);
}

export function derive(observations: readonly Observation[]): Derived {
  if (!observations.length) throw new Error("derive() needs at least one observation");

  const byContent = [...observations].sort(contentOrder);
  const content = byContent[byContent.length - 1]!;
  // first seen of the current content: the start of its final unbroken run
  // among observations of the same richness
  let contentSince = content.fetchedAt;
  for (let i = byContent.length - 1; i >= 0; i--) {
    const o = byContent[i]!;
    if (KIND_RANK[o.kind] !== KIND_RANK[content.kind] || o.contentHash !== content.contentHash) break;
    contentSince = o.fetchedAt;
  }

  const withComments = observations.filter((o) => o.commentCount !== null).sort(commentOrder);
  const comments = withComments[withComments.length - 1];
  let commentsSince: Date | null = comments?.fetchedAt ?? null;
  for (let i = withComments.length - 1; i >= 0; i--) {
    if (withComments[i]!.commentCount !== comments!.commentCount) break;
    commentsSince = withComments[i]!.fetchedAt;
  }

  let dated: Observation | null = null;
  for (const o of observations) {
    if (!o.publishedAt) continue;
    if (
      !dated ||
      PRECISION[o.precision] > PRECISION[dated.precision] ||
      (PRECISION[o.precision] === PRECISION[dated.precision] &&
        (time(o.publishedAt) < time(dated.publishedAt) || (time(o.publishedAt) === time(dated.publishedAt) && time(o.fetchedAt) < time(dated.fetchedAt))))
    ) {
      dated = o;
    }
  }

  const firstSeenAt = new Date(Math.min(...observations.map((o) => time(o.fetchedAt))));
  let placed: number | null = null;
  for (const o of observations) {
    if (time(o.fetchedAt) === time(firstSeenAt) && o.untimedAt && (placed === null || time(o.untimedAt) < placed)) placed = time(o.untimedAt);
  }
  // what the first observations showed is the story as published, no change
  const changedAt = (since: Date | null) => (since && time(since) > time(firstSeenAt) ? time(since) : 0);
  const updatedAt = new Date(Math.max(time(dated?.publishedAt ?? firstSeenAt), changedAt(contentSince), changedAt(commentsSince)));
  return {
    content,
    publishedAt: dated?.publishedAt ?? null,
    precision: dated?.precision ?? "none",
    commentCount: comments?.commentCount ?? null,
    firstSeenAt,
    updatedAt,
    feedAt: dated?.publishedAt ?? (placed !== null ? new Date(placed) : firstSeenAt),
  };
}

/**
 * One page may show the same story twice (the article again as a teaser, a
 * teaser in both lists): fold those into one item, by the same rules, the
 * first occurrence winning a tie.
 */
export function mergeObservations(items: Item[]): Item[] {
  const groups = new Map<string, Item[]>();
  for (const item of items) {
    const group = groups.get(item.id);
    if (group) group.push(item);
    else groups.set(item.id, [item]);
  }
  const at = new Date(0);
  return [...groups.values()].map((group) => {
    if (group.length === 1) return group[0]!;
    const richest = group.reduce((best, item) => (KIND_RANK[item.kind] > KIND_RANK[best.kind] ? item : best));
    const derived = derive(group.map((item) => observe(item, at)));
    return {
      ...richest,
      publishedAt: derived.publishedAt,
      precision: derived.precision,
      commentCount: derived.commentCount,
    };
  });
}
