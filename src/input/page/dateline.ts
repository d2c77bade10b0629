/**
 * Datelines open agency copy: "Prag (dpa) - ", "(BANG) - ", "Wiesbaden - ",
 * "Marchtrenk, 09.12.2025 (PresseBox) - ". A dash inside ordinary prose
 * ("Was das Treffen bringen kann - dazu ...") must not be taken for one, so
 * the part before the dash has to look like a place name and/or an agency.
 */

export interface Dateline {
  place: string | null;
  agency: string | null;
}

// The dash that ends a dateline: hyphen-minus or en/em dash between spaces.
const SEPARATOR = /\s[-–—]\s/u;
const MAX_HEAD = 100;
const AGENCY_AT_END = /\(([^()]{1,40})\)$/u;
const DATE_AT_END = /,\s*\d{1,2}\.\d{1,2}\.(?:\d{4}|\d{2})$/u;
const PROSE_PUNCTUATION = /[,:;!?"«»“”„‚‘’…]/u;
// Lower-case words that occur inside place names (Frankfurt am Main,
// Bad Homburg vor der Höhe, Stratford-upon-Avon, Rio de Janeiro).
const PLACE_CONNECTORS = new Set([
  "am",
  "an",
  "auf",
  "bei",
  "d.",
  "de",
  "del",
  "der",
  "des",
  "di",
  "do",
  "dos",
  "du",
  "el",
  "en",
  "i.",
  "im",
  "in",
  "la",
  "le",
  "les",
  "ob",
  "on",
  "sur",
  "unter",
  "upon",
  "van",
  "vom",
  "von",
  "vor",
  "zu",
]);

export function readDateline(text: string): Dateline | null {
  const sep = SEPARATOR.exec(text.slice(0, MAX_HEAD + 3));
  if (!sep) return null;
  let head = text.slice(0, sep.index).trim();

  let agency: string | null = null;
  const agencyMatch = AGENCY_AT_END.exec(head);
  if (agencyMatch) {
    agency = agencyMatch[1]!.trim();
    if (!agency || PROSE_PUNCTUATION.test(agency)) return null;
    head = head.slice(0, agencyMatch.index).trim();
  }
  head = head.replace(DATE_AT_END, "").trim();

  const place = head === "" ? null : head;
  if (place !== null && !looksLikePlace(place)) return null;
  if (place === null && agency === null) return null;
  return { place, agency };
}

function looksLikePlace(text: string): boolean {
  if (text.length > 60 || PROSE_PUNCTUATION.test(text)) return false;
  const words = text.split(/\s+/u);
  if (words.length > 6) return false;
  if (!/^\p{Lu}/u.test(words[0]!)) return false;
  return words.every((w) => /^\p{Lu}/u.test(w) || /^\(\p{Lu}[^()]*\)$/u.test(w) || PLACE_CONNECTORS.has(w));
}
