/**
 * Dates as web pages state them, in machine form (ISO 8601 in meta tags and
 * JSON-LD, RFC 822) and in words (German and English: "19. Oktober 2019,
 * 12:30 Uhr", "19.10.2019", "October 19, 2019", "19 Oct 2019"). A stated
 * date keeps the form the page gave it (`local`: the day and time with the
 * page's own offset where it names one) beside the instant it means: a time
 * without a zone is Berlin time on a German page, else UTC.
 */
import { berlinToUtc } from "../../normalise/berlin-time";
import { MONTHS } from "../../normalise/months";
import { parseFeedDate } from "../feed/dates";

export interface StatedDate {
  /** As the page states it: `2019-10-19T12:30:00+02:00`, `2019-10-19T12:30:00` (no zone given), `2019-10-19`. */
  local: string;
  /** The instant meant; a bare day is its midnight in the page's zone. */
  instant: Date;
  /** Whether the page gave a time of day, not only the day. */
  timed: boolean;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** A plausible calendar date: from 1995 (news on the web) to `latest`. */
function plausible(year: number, month: number, day: number): boolean {
  if (year < 1995 || year > 2100 || month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function fromParts(
  y: number,
  mo: number,
  d: number,
  h: number | null,
  mi: number | null,
  s: number | null,
  offset: string | null,
  berlin: boolean,
): StatedDate | null {
  if (!plausible(y, mo, d) || (h !== null && (h > 23 || (mi ?? 0) > 59 || (s ?? 0) > 59))) return null;
  const day = `${y}-${pad(mo)}-${pad(d)}`;
  if (h === null) {
    const instant = berlin ? berlinToUtc({ year: y, month: mo, day: d, hour: 0, minute: 0 }) : new Date(Date.UTC(y, mo - 1, d));
    return { local: day, instant, timed: false };
  }
  const clock = `${pad(h)}:${pad(mi ?? 0)}:${pad(s ?? 0)}`;
  if (offset !== null) {
    const zone = offset === "Z" || offset === "z" ? "+00:00" : offset.length === 5 ? `${offset.slice(0, 3)}:${offset.slice(3)}` : offset;
    const instant = new Date(`${day}T${clock}${zone}`);
    return Number.isNaN(instant.getTime()) ? null : { local: `${day}T${clock}${zone}`, instant, timed: true };
  }
  const instant = berlin ? berlinToUtc({ year: y, month: mo, day: d, hour: h, minute: mi ?? 0 }) : new Date(Date.UTC(y, mo - 1, d, h, mi ?? 0, s ?? 0));
  return { local: `${day}T${clock}`, instant, timed: true };
}

const ISO = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const COMPACT = /^(\d{4})(\d{2})(\d{2})(?:T?(\d{2})(\d{2})(\d{2})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * A date a page states in machine form (a meta tag's content, JSON-LD, a
 * `<time datetime>`), or in words; null where it states none.
 */
export function readStatedDate(raw: string | null | undefined, berlin: boolean): StatedDate | null {
  const text = raw?.trim().replace(/\s+/g, " ");
  if (!text || text.length > 80) return null;
  const iso = ISO.exec(text) ?? COMPACT.exec(text);
  if (iso) {
    const [, y, mo, d, h, mi, s, zone] = iso;
    return fromParts(Number(y), Number(mo), Number(d), h ? Number(h) : null, mi ? Number(mi) : null, s ? Number(s) : null, zone ?? null, berlin);
  }
  return datesInText(text, berlin)[0] ?? rfc822(text);
}

/** RFC 822 and its kin, through the feed reader's parser: an instant, stated as its UTC day and time. */
function rfc822(text: string): StatedDate | null {
  const instant = parseFeedDate(text);
  if (!instant || instant.getUTCFullYear() < 1995) return null;
  return { local: instant.toISOString().replace(/\.\d{3}Z$/, "+00:00"), instant, timed: true };
}

const MONTH_NAMES = Object.keys(MONTHS)
  .sort((a, b) => b.length - a.length)
  .join("|");
const TIME = String.raw`(?:[,\s]+(?:um\s+|at\s+|-\s+|\|\s+)?(\d{1,2})[:.](\d{2})(?::(\d{2}))?\s*(?:Uhr|h)?\s*([AaPp]\.?[Mm]\.?)?)?`;
// "19. Oktober 2019", "19 Oct. 2019", "19. Okt 2019, 12:30 Uhr"
const DAY_MONTH_YEAR = new RegExp(String.raw`\b(\d{1,2})\.?\s+(${MONTH_NAMES})\.?,?\s+(\d{4})${TIME}`, "giu");
// "October 19, 2019", "Oct 19 2019, 4:30 pm"
const MONTH_DAY_YEAR = new RegExp(String.raw`\b(${MONTH_NAMES})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})${TIME}`, "giu");
// "19.10.2019", "19.10.2019 12:30", "19.10.19"
const NUMERIC_DE = new RegExp(String.raw`\b(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})(?!\d|\.\d)${TIME}`, "gu");
// "2019-10-19", "2019/10/19"
const NUMERIC_ISO = new RegExp(String.raw`\b(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?!\d)${TIME}`, "gu");

function clock(h: string | undefined, mi: string | undefined, s: string | undefined, ampm: string | undefined): [number | null, number | null, number | null] {
  if (!h) return [null, null, null];
  let hour = Number(h);
  const half = ampm?.toLowerCase().replaceAll(".", "");
  if (half === "pm" && hour < 12) hour += 12;
  if (half === "am" && hour === 12) hour = 0;
  return [hour, Number(mi), s ? Number(s) : null];
}

/** Every date a text states in words or digits, in the order it states them. */
export function datesInText(text: string, berlin: boolean): StatedDate[] {
  const found: { at: number; date: StatedDate }[] = [];
  const add = (at: number, date: StatedDate | null) => date && found.push({ at, date });
  for (const m of text.matchAll(DAY_MONTH_YEAR)) {
    const month = MONTHS[m[2]!.toLowerCase()];
    if (month) add(m.index, fromParts(Number(m[3]), month, Number(m[1]), ...clock(m[4], m[5], m[6], m[7]), null, berlin));
  }
  for (const m of text.matchAll(MONTH_DAY_YEAR)) {
    const month = MONTHS[m[1]!.toLowerCase()];
    if (month) add(m.index, fromParts(Number(m[3]), month, Number(m[2]), ...clock(m[4], m[5], m[6], m[7]), null, berlin));
  }
  for (const m of text.matchAll(NUMERIC_DE)) {
    const year = m[3]!.length === 2 ? 2000 + Number(m[3]) : Number(m[3]);
    add(m.index, fromParts(year, Number(m[2]), Number(m[1]), ...clock(m[4], m[5], m[6], m[7]), null, berlin));
  }
  for (const m of text.matchAll(NUMERIC_ISO)) add(m.index, fromParts(Number(m[1]), Number(m[2]), Number(m[3]), ...clock(m[4], m[5], m[6], m[7]), null, berlin));
  return found.sort((a, b) => a.at - b.at).map((f) => f.date);
}

/** The day an address names: /2019/10/19/, /2019-10-19-, /20191019/; null where it names none. */
export function dateInUrl(url: string | null, berlin: boolean): StatedDate | null {
  if (!url) return null;
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return null;
  }
  const m = /(?:^|[/_-])((?:19|20)\d{2})[/_-]?(0[1-9]|1[0-2])[/_-]?(0[1-9]|[12]\d|3[01])(?:[/_.-]|$)/.exec(path);
  return m ? fromParts(Number(m[1]), Number(m[2]), Number(m[3]), null, null, null, null, berlin) : null;
}
