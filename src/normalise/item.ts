/**
 * The normalised item: what every input format is turned into, what storage
 * keeps and what the publishers render.
 */

export type ItemKind = "article" | "teaser";

/**
 * How exactly an observation knows when a story was published. When two
 * observations disagree, the more precise one wins: an absolute date beats
 * "vor 3 Minuten" beats "vor 2 Stunden" beats "vor 1 Tag" beats "vor 1 Woche"
 * beats an untimed teaser.
 */
export const PRECISION = { none: 0, week: 1, day: 2, hour: 3, minute: 4, absolute: 5 } as const;
export type Precision = keyof typeof PRECISION;

export interface Tag {
  slug: string;
  label: string;
}

export interface ImageInfo {
  alt: string | null;
  credit: string | null;
  caption: string | null;
}

/** A media file of a story (a podcast episode's audio, a video): what podcast apps play. */
export interface Enclosure {
  /** Absolute http(s) URL. */
  url: string;
  /** MIME type, lower case, or null where the feed did not say. */
  type: string | null;
  /** Size in bytes, or null where unknown. */
  length: number | null;
  durationSeconds: number | null;
  title: string | null;
}

/** A preview image of a story (Media RSS thumbnail, iTunes episode image). */
export interface Thumbnail {
  /** Absolute http(s) URL. */
  url: string;
  width: number | null;
  height: number | null;
}

/** What a feed entry carries besides its text; portal pages have none. */
export interface Media {
  enclosures: Enclosure[];
  thumbnail: Thumbnail | null;
}

export interface Item {
  /** Stable key of the story (hex), also the path of its item page. */
  id: string;
  /** Published identifier: never changes for the same story. */
  guid: string;
  kind: ItemKind;
  title: string;
  kicker: string | null;
  publishedAt: Date | null;
  precision: Precision;
  agency: string | null;
  dateline: string | null;
  tags: Tag[];
  commentCount: number | null;
  image: ImageInfo | null;
  /** Enclosures and thumbnail of a feed entry; null where it has neither. */
  media: Media | null;
  /** Plain text. */
  summary: string;
  /** Escaped HTML built by feedwerk, or null where only a summary is known. */
  contentHtml: string | null;
  /** The story's address at its origin, when the input names one. */
  url: string | null;
}

/** The JSON shape printed by `cli parse` and accepted in tests. */
export function itemToJson(item: Item) {
  return {
    kind: item.kind,
    id: item.id,
    guid: item.guid,
    title: item.title,
    kicker: item.kicker,
    publishedAt: item.publishedAt ? isoSeconds(item.publishedAt) : null,
    precision: item.precision,
    agency: item.agency,
    dateline: item.dateline,
    tags: item.tags,
    commentCount: item.commentCount,
    image: item.image,
    media: item.media,
    summary: item.summary,
    contentHtml: item.contentHtml,
    url: item.url,
  };
}

/** ISO 8601 / RFC 3339 in UTC without milliseconds: 2025-08-10T10:47:00Z. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
