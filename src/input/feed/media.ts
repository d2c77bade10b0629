/**
 * The media a feed entry names, in the feed's own words: RSS enclosures,
 * Atom rel="enclosure" links, JSON Feed attachments, iTunes duration and
 * image, Media RSS content (alone or in media:group) and thumbnails. Values
 * are read, not yet trusted: to-media resolves, checks and bounds them.
 */

export interface RawEnclosure {
  url: string;
  type?: string | undefined;
  length?: number | undefined;
  durationSeconds?: number | undefined;
  title?: string | undefined;
  /** Media RSS medium: image, audio, video, document, executable. */
  medium?: string | undefined;
  width?: number | undefined;
  height?: number | undefined;
}

export interface RawThumbnail {
  url: string;
  width?: number | undefined;
  height?: number | undefined;
}

export interface RawMedia {
  enclosures: RawEnclosure[];
  /** Candidates in order of preference. */
  thumbnails: RawThumbnail[];
}

/** The rss-parser item fields media are read from (see the customFields in rss-parser.ts). */
export const MEDIA_FIELDS: (string | { keepArray: boolean })[][] = [
  ["enclosure", "enclosuresXml", { keepArray: true }],
  ["link", "linksXml", { keepArray: true }],
  ["itunes:duration", "itunesDuration", { keepArray: false }],
  ["itunes:image", "itunesImage", { keepArray: false }],
  ["media:content", "mediaContent", { keepArray: true }],
  ["media:group", "mediaGroup", { keepArray: true }],
  ["media:thumbnail", "mediaThumbnail", { keepArray: true }],
];

type Attrs = Record<string, string | undefined>;

/** Attributes of an element as xml2js gives it ({$: {…}}), or none. */
function attrsOf(element: unknown): Attrs {
  if (element && typeof element === "object" && "$" in element) {
    const attrs = (element as { $: unknown }).$;
    if (attrs && typeof attrs === "object") return attrs as Attrs;
  }
  return {};
}

function elements(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

function text(value: unknown): string | undefined {
  if (typeof value === "string") return value.trim() || undefined;
  if (value && typeof value === "object" && "_" in value) return text((value as { _: unknown })._);
  return undefined;
}

function count(value: unknown): number | undefined {
  const s = typeof value === "number" ? String(value) : typeof value === "string" ? value.trim() : "";
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Seconds from itunes:duration's forms (HH:MM:SS, MM:SS, plain seconds,
 * each with optional fractions) or a number; undefined if it is none of these.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  const s = text(value);
  if (!s) return undefined;
  const m = /^(?:(?:(\d{1,4}):)?(\d{1,4}):)?(\d+(?:\.\d+)?)$/.exec(s);
  if (!m) return undefined;
  const [hours, minutes, seconds] = [Number(m[1] ?? 0), Number(m[2] ?? 0), Number(m[3])];
  // with minutes given, seconds stay below 60; with hours given, minutes too
  if ((m[2] !== undefined && seconds >= 60) || (m[1] !== undefined && minutes >= 60)) return undefined;
  const total = Math.round(hours * 3600 + minutes * 60 + seconds);
  return Number.isSafeInteger(total) ? total : undefined;
}

function mediaContent(element: unknown): RawEnclosure | undefined {
  const a = attrsOf(element);
  if (!a.url?.trim()) return undefined;
  return {
    url: a.url,
    type: a.type,
    length: count(a.fileSize),
    durationSeconds: parseDuration(a.duration),
    medium: a.medium,
    width: count(a.width),
    height: count(a.height),
  };
}

function thumbnail(element: unknown): RawThumbnail | undefined {
  const a = attrsOf(element);
  return a.url?.trim() ? { url: a.url, width: count(a.width), height: count(a.height) } : undefined;
}

const defined = <T>(value: T | undefined): value is T => value !== undefined;

/** Media of an RSS item or Atom entry, from the fields MEDIA_FIELDS names. */
export function xmlEntryMedia(item: Record<string, unknown>, atom: boolean): RawMedia {
  const rssEnclosures: RawEnclosure[] = atom
    ? []
    : elements(item.enclosuresXml).flatMap((e) => {
        const a = attrsOf(e);
        return a.url?.trim() ? [{ url: a.url, type: a.type, length: count(a.length) }] : [];
      });
  const atomEnclosures: RawEnclosure[] = atom
    ? elements(item.linksXml).flatMap((l) => {
        const a = attrsOf(l);
        return a.rel?.trim() === "enclosure" && a.href?.trim() ? [{ url: a.href, type: a.type, length: count(a.length), title: a.title }] : [];
      })
    : [];
  // itunes:duration is the duration of the episode's file: the first enclosure
  const duration = parseDuration(item.itunesDuration);
  const first = rssEnclosures[0] ?? atomEnclosures[0];
  if (first && duration !== undefined) first.durationSeconds = duration;

  const groups = elements(item.mediaGroup).map((g) => (g && typeof g === "object" ? (g as Record<string, unknown>) : {}));
  const contents = [...elements(item.mediaContent), ...groups.flatMap((g) => elements(g["media:content"]))];
  const mediaEnclosures = contents.map(mediaContent).filter(defined);

  const itunesImage = attrsOf(item.itunesImage).href?.trim();
  const images = mediaEnclosures.filter((e) => e.medium === "image" || e.type?.trim().toLowerCase().startsWith("image/"));
  const thumbnails = [
    ...elements(item.mediaThumbnail).map(thumbnail),
    ...groups.flatMap((g) => elements(g["media:thumbnail"]).map(thumbnail)),
    ...contents.flatMap((c) => elements((c as Record<string, unknown> | null)?.["media:thumbnail"]).map(thumbnail)),
    itunesImage ? { url: itunesImage } : undefined,
    ...images.map((e) => ({ url: e.url, width: e.width, height: e.height })),
  ].filter(defined);
  return { enclosures: [...rssEnclosures, ...atomEnclosures, ...mediaEnclosures], thumbnails };
}

/** Media of a JSON Feed item: its attachments, and its image as the thumbnail. */
export function jsonItemMedia(item: Record<string, unknown>): RawMedia {
  const attachments = Array.isArray(item.attachments) ? item.attachments : [];
  const enclosures = attachments.flatMap((a: unknown): RawEnclosure[] => {
    if (!a || typeof a !== "object") return [];
    const o = a as Record<string, unknown>;
    if (typeof o.url !== "string" || !o.url.trim()) return [];
    return [
      {
        url: o.url,
        type: typeof o.mime_type === "string" ? o.mime_type : undefined,
        length: count(o.size_in_bytes),
        durationSeconds: parseDuration(o.duration_in_seconds),
        title: typeof o.title === "string" ? o.title : undefined,
      },
    ];
  });
  const thumbnails = typeof item.image === "string" && item.image.trim() ? [{ url: item.image }] : [];
  return { enclosures, thumbnails };
}
