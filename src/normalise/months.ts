/** Month names to numbers, as pages and feeds write them (lower case, with common abbreviations). */
export const GERMAN_MONTHS: Readonly<Record<string, number>> = {
  januar: 1, jänner: 1, jan: 1,
  februar: 2, feber: 2, feb: 2,
  märz: 3, maerz: 3, mär: 3, mrz: 3,
  april: 4, apr: 4,
  mai: 5,
  juni: 6, jun: 6,
  juli: 7, jul: 7,
  august: 8, aug: 8,
  september: 9, sep: 9, sept: 9,
  oktober: 10, okt: 10,
  november: 11, nov: 11,
  dezember: 12, dez: 12,
};

/** German and English: what feeds in the wild use. */
export const MONTHS: Readonly<Record<string, number>> = {
  ...GERMAN_MONTHS,
  january: 1, february: 2, mar: 3, march: 3, may: 5, june: 6, july: 7, oct: 10, october: 10, dec: 12, december: 12,
};

/** German month names as people write them, January first. */
export const GERMAN_MONTH_NAMES: readonly string[] = [
  "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember",
];
