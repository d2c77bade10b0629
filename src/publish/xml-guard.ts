/**
 * The `feed` package writes XML through xml-js, which escapes only some of
 * what it must: `&` and `<` in attribute values pass through raw, text
 * containing "&amp;" is un-escaped first, and only the first "]]>" in a
 * CDATA section is split. Strings from outside therefore go in guarded:
 * the dangerous characters are swapped for private-use placeholders that
 * xml-js leaves alone, and the rendered document gets the right escapes
 * back in one final pass. Characters XML cannot carry at all are dropped.
 */

import { stripNonXmlChars } from "../normalise/text";

const AMP = "\uE000";
const LT = "\uE001";
const GT = "\uE002";
const CDATA_END = "\uE003";
const PLACEHOLDERS = /[\uE000-\uE00F]/g;

/** For element text and attribute values. */
export function guardText(text: string): string {
  return stripNonXmlChars(text)
    .replace(PLACEHOLDERS, "\uFFFD").replace(/&/g, AMP).replace(/</g, LT).replace(/>/g, GT);
}

/** For strings the `feed` package wraps in CDATA (titles, descriptions, content). */
export function guardCdata(text: string): string {
  return stripNonXmlChars(text)
    .replace(PLACEHOLDERS, "\uFFFD").replace(/\]\]>/g, `]]${CDATA_END}`);
}

export function unguard(xml: string): string {
  return xml
    .replaceAll(AMP, "&amp;")
    .replaceAll(LT, "&lt;")
    .replaceAll(GT, "&gt;")
    .replaceAll(CDATA_END, "]]><![CDATA[>");
}
