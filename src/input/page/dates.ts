import { berlinToUtc } from "../../normalise/berlin-time";
import { GERMAN_MONTHS } from "../../normalise/months";
import type { Precision } from "../../normalise/item";

export interface DateSourceLine {
  publishedAt: Date;
  source: string | null;
}

// "10. August 2025, 12:47 Uhr · Quelle: dpa". White space may be any Unicode
// space; the source part is optional.
const DATE_SOURCE = /^(\d{1,2})\.\s*([A-Za-zÄÖÜäöü]+)\.?\s+(\d{4}),?\s+(\d{1,2})[:.](\d{2})(?:\s*Uhr)?\s*(?:[·•|]\s*(?:Quelle:\s*(.*?))?)?$/u;

/** Reads the article's date line, or returns null if the line is not one. */
export function parseDateSourceLine(line: string): DateSourceLine | null {
  const m = DATE_SOURCE.exec(line.trim());
  if (!m) return null;
  const month = GERMAN_MONTHS[m[2]!.toLowerCase()];
  if (!month) return null;
  const at = wallTime(+m[3]!, month, +m[1]!, +m[4]!, +m[5]!);
  if (!at) return null;
  const source = m[6]?.trim();
  return { publishedAt: at, source: source ? source : null };
}

// "10.08.2025 · 12:47 Uhr", closing the article.
const NUMERIC_DATE = /^(\d{1,2})\.(\d{1,2})\.(\d{4})\s*[·•|,]?\s*(\d{1,2})[:.](\d{2})(?:\s*Uhr)?$/u;

export function parseNumericDateLine(line: string): Date | null {
  const m = NUMERIC_DATE.exec(line.trim());
  if (!m) return null;
  return wallTime(+m[3]!, +m[2]!, +m[1]!, +m[4]!, +m[5]!);
}

function wallTime(year: number, month: number, day: number, hour: number, minute: number): Date | null {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59) return null;
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return null;
  return berlinToUtc({ year, month, day, hour, minute });
}

// Keyed by the first three letters of the unit, which tell singular and
// plural apart from nothing else.
const UNIT: Record<string, { ms: number; precision: Precision }> = {
  sek: { ms: 1_000, precision: "minute" },
  min: { ms: 60_000, precision: "minute" },
  stu: { ms: 3_600_000, precision: "hour" },
  tag: { ms: 86_400_000, precision: "day" },
  woc: { ms: 7 * 86_400_000, precision: "week" },
};

// "vor 3 Minuten", "vor 1 Stunde", "vor einem Tag", "vor 2 Wochen".
const RELATIVE = /^vor\s+(\d+|einer|einem|eine)\s+(Sekunden?|Minuten?|Stunden?|Tag(?:en)?|Wochen?)$/iu;

export interface RelativeTime {
  publishedAt: Date;
  precision: Precision;
}

/** The fetch time minus exactly the stated amount, or null if not a relative time. */
export function parseRelativeTime(line: string, fetchedAt: Date): RelativeTime | null {
  const m = RELATIVE.exec(line.trim());
  if (!m) return null;
  const count = /^\d+$/.test(m[1]!) ? Number(m[1]) : 1;
  const unit = UNIT[m[2]!.toLowerCase().slice(0, 3)];
  if (!unit) return null;
  return { publishedAt: new Date(fetchedAt.getTime() - count * unit.ms), precision: unit.precision };
}

export function isRelativeTime(line: string): boolean {
  return RELATIVE.test(line.trim());
}
