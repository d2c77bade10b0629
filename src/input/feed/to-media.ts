/**
 * A feed entry's media as the item keeps them: absolute http(s) URLs
 * (resolved against the document's base, any other scheme refused), one
 * enclosure per URL, MIME types checked, numbers that are counts, and
 * bounded, so a hostile feed cannot make one item carry thousands of files.
 */
import type { Enclosure, Media, Thumbnail } from "../../normalise/item";
import { collapseSpace, stripNonXmlChars } from "../../normalise/text";
import type { RawEnclosure, RawMedia } from "./media";

export const ENCLOSURES_PER_ITEM = 10;
/** The candidates looked at, a bound on the work for feeds that list thousands. */
const CANDIDATES = 100;
const URL_CHARS = 2048;
const TITLE_CHARS = 200;
/** Pixels; larger is a typo or a trick. */
const IMAGE_SIDE = 100_000;
const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

export function toMedia(raw: RawMedia | undefined, base: string): Media | null {
  if (!raw) return null;
  const byUrl = new Map<string, Enclosure>();
  for (const candidate of raw.enclosures.slice(0, CANDIDATES)) {
    const enclosure = toEnclosure(candidate, base);
    if (!enclosure) continue;
    const known = byUrl.get(enclosure.url);
    // the same file named twice (enclosure and media:content): what one says, the other may add
    if (known) {
      for (const key of ["type", "length", "durationSeconds", "title"] as const) {
        if (known[key] === null) (known as unknown as Record<string, unknown>)[key] = enclosure[key];
      }
    } else if (byUrl.size < ENCLOSURES_PER_ITEM) {
      byUrl.set(enclosure.url, enclosure);
    }
  }
  let thumbnail: Thumbnail | null = null;
  for (const candidate of raw.thumbnails.slice(0, CANDIDATES)) {
    const url = absoluteHttpUrl(candidate.url, base);
    if (!url) continue;
    thumbnail = { url, width: side(candidate.width), height: side(candidate.height) };
    break;
  }
  const enclosures = [...byUrl.values()];
  return enclosures.length || thumbnail ? { enclosures, thumbnail } : null;
}

function toEnclosure(raw: RawEnclosure, base: string): Enclosure | null {
  const url = absoluteHttpUrl(raw.url, base);
  if (!url) return null;
  const title = raw.title ? collapseSpace(stripNonXmlChars(raw.title)).slice(0, TITLE_CHARS) : "";
  return {
    url,
    type: mimeType(raw.type),
    // 0 is how RSS says "unknown"
    length: raw.length ? raw.length : null,
    durationSeconds: raw.durationSeconds ?? null,
    title: title || null,
  };
}

function mimeType(value: string | undefined): string | null {
  const type = value?.split(";", 1)[0]?.trim().toLowerCase();
  return type && MIME.test(type) ? type : null;
}

function side(value: number | undefined): number | null {
  return value && value <= IMAGE_SIDE ? value : null;
}

/** http(s) only, no credentials in it, at most URL_CHARS long; else null. */
export function absoluteHttpUrl(value: string, base: string): string | null {
  let url: URL;
  try {
    url = new URL(value.trim(), base);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  if (url.username || url.password) return null;
  const href = url.toString();
  return href.length <= URL_CHARS ? href : null;
}
