/** Instants as German readers read them: Berlin time, the month in words. */
import { utcToBerlin } from "../normalise/berlin-time";
import { GERMAN_MONTH_NAMES } from "../normalise/months";

/** "9. Dezember 2025, 14:00 Uhr". */
export function germanDateTime(instant: Date): string {
  const t = utcToBerlin(instant);
  const hhmm = `${String(t.hour).padStart(2, "0")}:${String(t.minute).padStart(2, "0")}`;
  return `${t.day}. ${GERMAN_MONTH_NAMES[t.month - 1]} ${t.year}, ${hhmm} Uhr`;
}
