/**
 * Dates as feeds write them: RFC 822 and its variants (no weekday, no time,
 * two-digit years, zone names, no zone, stray commas), W3C-DTF and ISO 8601
 * (with or without zone, down to the year alone), asctime, Perforce's
 * YYYY/MM/DD, and German or English month names. A date without a zone is
 * read as UTC, except the German forms, which are Berlin time. Null when
 * nothing fits. feedparser's date vectors (tests/conformance) pin these down.
 */
import { berlinToUtc } from "../../normalise/berlin-time";
import { MONTHS } from "../../normalise/months";
import { collapseSpace } from "../../normalise/text";

// RFC 822 names and a few that real feeds use; AT, ET, CT, MT, PT as US feeds write the standard times
const ZONES: Record<string, number> = {
  ut: 0,
  utc: 0,
  gmt: 0,
  z: 0,
  wet: 0,
  "etc/gmt": 0,
  est: -5,
  edt: -4,
  cst: -6,
  cdt: -5,
  mst: -7,
  mdt: -6,
  pst: -8,
  pdt: -7,
  at: -4,
  et: -5,
  ct: -6,
  mt: -7,
  pt: -8,
  cet: 1,
  cest: 2,
  met: 1,
  mest: 2,
  mez: 1,
  mesz: 2,
  eet: 2,
  eest: 3,
  bst: 1,
};

const ZONE = String.raw`(?:GMT|UTC)?[+-]\d{2}:?\d{2}|Etc/GMT|[A-Za-z]{1,5}`;
// W3C-DTF down to the year alone; a three-digit month "012" is a known generator's bug
const ISO = /^(\d{4})(?:-(\d{2}|0\d{2})(?:-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const RFC822 = new RegExp(
  String.raw`^(?:[A-Za-z]{2,9}\.?(?:,\s*|\s+))?(\d{1,2})\.?\s+([A-Za-zÄäÖöÜü]{3,9})\.?,?\s+(\d{2}|\d{4})` +
    String.raw`(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*Uhr)?)?\s*(${ZONE})?$`,
);
const ENGLISH =
  /^(?:[A-Za-z]+,?\s+)?([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?\s*([A-Za-z]{1,5}|[+-]\d{4})?$/;
// asctime, and the form with the zone before the year ("Sun Jul 15 01:16:00 +0000 2012")
const ASCTIME = new RegExp(String.raw`^(?:[A-Za-z]{3,9},?\s+)?([A-Za-z]{3,9})\s+(\d{1,2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s+(?:(${ZONE})\s+)?(\d{4})$`);
// Perforce: "Fri, 2006/09/15 08:19:53 EDT"
const SLASHED = new RegExp(String.raw`^(?:[A-Za-z]{3,9},?\s+)?(\d{4})/(\d{2})/(\d{2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(${ZONE})?$`);
const GERMAN_NUMERIC = /^(\d{1,2})\.(\d{1,2})\.(\d{4}),?\s+(\d{1,2}):(\d{2})(?:\s*Uhr)?$/;

export function parseFeedDate(raw: string | undefined | null): Date | null {
  const text = raw ? collapseSpace(raw) : "";
  if (!text) return null;
  return iso(text) ?? rfc822(text) ?? english(text) ?? asctime(text) ?? slashed(text) ?? germanNumeric(text);
}

function iso(text: string): Date | null {
  const m = ISO.exec(text);
  if (!m) return null;
  const [, y, mo = "1", d = "1", h = "0", mi = "0", s = "0", frac = "0", zone] = m;
  const ms = Number(`0.${frac}`) * 1000;
  return build(+y!, +mo!, +d!, +h, +mi, +s, Math.round(ms), zoneOffset(zone ?? "Z"));
}

function rfc822(text: string): Date | null {
  const m = RFC822.exec(text);
  if (!m) return null;
  const month = MONTHS[m[2]!.toLowerCase()];
  if (!month) return null;
  const year = m[3]!.length === 2 ? 2000 + Number(m[3]) - (Number(m[3]) > 50 ? 100 : 0) : Number(m[3]);
  const zone = m[7];
  const [hour, minute, second] = [+(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0)];
  // German month names with no zone: the portal's world, Berlin time
  if (!zone && /[äöü]|^(januar|februar|märz|mai|juni|juli|oktober|dezember)$/i.test(m[2]!)) {
    return berlinToUtc({ year, month, day: +m[1]!, hour, minute });
  }
  return build(year, month, +m[1]!, hour, minute, second, 0, zoneOffset(zone ?? "GMT"));
}

function english(text: string): Date | null {
  const m = ENGLISH.exec(text);
  if (!m) return null;
  const month = MONTHS[m[1]!.toLowerCase()];
  if (!month) return null;
  let hour = Number(m[4] ?? 0);
  if (m[7]) hour = (hour % 12) + (m[7].toLowerCase() === "pm" ? 12 : 0);
  const offset = zoneOffset(m[8] ?? "GMT");
  if (offset === null) return null;
  return build(+m[3]!, month, +m[2]!, hour, +(m[5] ?? 0), +(m[6] ?? 0), 0, offset);
}

function asctime(text: string): Date | null {
  const m = ASCTIME.exec(text);
  const month = m ? MONTHS[m[1]!.toLowerCase()] : undefined;
  if (!m || !month) return null;
  return build(+m[7]!, month, +m[2]!, +m[3]!, +m[4]!, +(m[5] ?? 0), 0, zoneOffset(m[6] ?? "GMT"));
}

function slashed(text: string): Date | null {
  const m = SLASHED.exec(text);
  if (!m) return null;
  return build(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0), 0, zoneOffset(m[7] ?? "GMT"));
}

function germanNumeric(text: string): Date | null {
  const m = GERMAN_NUMERIC.exec(text);
  if (!m) return null;
  return berlinToUtc({ year: +m[3]!, month: +m[2]!, day: +m[1]!, hour: +m[4]!, minute: +m[5]! });
}

/** Minutes east of UTC, or null for an unknown zone name. */
function zoneOffset(zone: string): number | null {
  const z = zone.trim();
  const numeric = /^(?:GMT|UTC)?([+-])(\d{2}):?(\d{2})$/i.exec(z);
  if (numeric) {
    const [hours, minutes] = [Number(numeric[2]), Number(numeric[3])];
    if (hours > 23 || minutes > 59) return null;
    return (numeric[1] === "-" ? -1 : 1) * (hours * 60 + minutes);
  }
  const named = ZONES[z.toLowerCase()];
  if (named !== undefined) return named * 60;
  // RFC 822 military zones are unreliable in the wild (RFC 1123 says treat them as 0)
  if (/^[A-IK-Za-ik-z]$/.test(z)) return 0;
  return null;
}

function build(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number, offsetMinutes: number | null): Date | null {
  if (offsetMinutes === null || mo < 1 || mo > 12 || d < 1 || h > 24 || mi > 59 || s > 60) return null;
  if (d > daysInMonth(y, mo)) return null;
  // a leap second is read as the last second of its minute
  const date = new Date(Date.UTC(2000, mo - 1, d, h, mi, Math.min(s, 59), ms));
  // setUTCFullYear, since Date.UTC reads the years 0 to 99 as 1900 to 1999
  date.setUTCFullYear(y, mo - 1, d);
  const t = date.getTime() - offsetMinutes * 60_000;
  date.setTime(t);
  const year = date.getUTCFullYear();
  return Number.isNaN(t) || year < 1 || year > 9999 ? null : date;
}

function daysInMonth(y: number, mo: number): number {
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return mo === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(mo) ? 30 : 31;
}
