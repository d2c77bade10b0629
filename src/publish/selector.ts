/**
 * What a feed path names: "ukraine", a union "ukraine+russland", or "all";
 * and the paging positions of RFC 5005 paged feeds (?before=, ?after=).
 */
import type { FeedPosition } from "../storage/queries";

export const MAX_UNION = 10;
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export type Selector = { kind: "all" } | { kind: "tags"; slugs: string[] };

/** Null when the text is not a selector. Slugs are de-duplicated and sorted: one feed, one cache entry. */
export function parseSelector(text: string): Selector | null {
  if (text === "all") return { kind: "all" };
  const slugs = text.split("+");
  if (slugs.length > MAX_UNION || !slugs.every((s) => SLUG.test(s))) return null;
  return { kind: "tags", slugs: [...new Set(slugs)].sort() };
}

export function selectorKey(selector: Selector): string {
  return selector.kind === "all" ? "all" : selector.slugs.join("+");
}

/** "1765285200000.0dc597be399d55621b0d4b1902b0f795": the feed date in ms and the item id. */
export function formatPosition(position: FeedPosition): string {
  return `${position.feedAt.getTime()}.${position.id}`;
}

export function parsePosition(text: string): FeedPosition | null {
  const m = /^(\d{1,15})\.([0-9a-f]{32})$/.exec(text);
  return m ? { feedAt: new Date(Number(m[1])), id: m[2]! } : null;
}
