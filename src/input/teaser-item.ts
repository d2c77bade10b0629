/**
 * A teaser of a page that lists a site's stories (input/html/teasers, input/sitemap) as an item: known, as a
 * feed entry's link and an article page's canonical address are (input/feed/to-items, input/html/article), by
 * its canonical link, so that the story met as a teaser, an entry and a page is one item.
 */
import { guidFor } from "../normalise/identity";
import type { Item, Precision, Tag } from "../normalise/item";
import { sha256Hex } from "../normalise/sha256";
import { canonical } from "./feed/to-items";

export interface Teaser {
  /** Absolute and canonical (input/feed/to-items canonical). */
  link: string;
  title: string;
  summary: string;
  time: { publishedAt: Date; precision: Precision } | null;
  image: string | null;
  tags?: Tag[];
}

/** The id of the story a canonical link names. */
export function linkStoryId(link: string): string {
  return sha256Hex(`link\n${link}`).slice(0, 32);
}

export function teaserItem(t: Teaser): Item {
  const id = linkStoryId(t.link);
  return {
    id,
    guid: guidFor(id),
    kind: "teaser",
    title: t.title,
    kicker: null,
    publishedAt: t.time?.publishedAt ?? null,
    precision: t.time?.precision ?? "none",
    agency: null,
    dateline: null,
    tags: t.tags ?? [],
    commentCount: null,
    image: null,
    media: t.image ? { enclosures: [], thumbnail: { url: t.image, width: null, height: null } } : null,
    summary: t.summary,
    contentHtml: null,
    url: t.link,
  };
}

/** An http(s) link made absolute and canonical (no fragment, no tracking parameters); null for anything else. */
export function storyLink(value: string | null, base: string): string | null {
  if (!value?.trim()) return null;
  try {
    const u = new URL(value.trim(), base);
    return u.protocol === "http:" || u.protocol === "https:" ? canonical(u.toString()) : null;
  } catch {
    return null;
  }
}
