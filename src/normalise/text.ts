/**
 * Text hygiene shared by every input format. Pages and feeds arrive with
 * no-break spaces, narrow no-break spaces and stray control characters; the
 * stored text keeps the page's characters, but anything that cannot appear in
 * an XML 1.0 document is removed here, once, so no publisher has to care.
 */

// Characters outside the XML 1.0 Char production, and the non-characters
// U+FFFE/U+FFFF. Tab, LF and CR are allowed.
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
// One scan that finds anything the slow path might have to mend (any surrogate included).
const SUSPECT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/;

/** Drops control characters XML cannot carry; a lone surrogate becomes U+FFFD. One scan when there is nothing to do. */
export function stripNonXmlChars(text: string): string {
  if (!SUSPECT.test(text)) return text;
  const wellFormed = text.isWellFormed() ? text : text.toWellFormed();
  return wellFormed.replace(NOT_XML_CHAR, "");
}

/** Trims every kind of Unicode white space, which String#trim also covers. */
export function clean(text: string): string {
  return stripNonXmlChars(text).trim();
}

// a run of two or more, or one character that is not a space already: a single space between two words,
// most of them, is left alone rather than rewritten
const SPACE_RUN = /\s{2,}|[^\S ]/g;

/** Any run of Unicode white space (incl. U+00A0, U+202F) becomes one space, and the ends are trimmed. */
export function collapseSpace(text: string): string {
  return text.replace(SPACE_RUN, " ").trim();
}

/**
 * The form used to compare texts: NFKC folds compatibility characters (a
 * narrow no-break space becomes a space), case is folded, white space
 * collapsed. Used for identity (guids) and for tag matching, never shown.
 */
export function comparable(text: string): string {
  return collapseSpace(text.normalize("NFKC").toLowerCase());
}

// C0 controls but tab, LF and CR, DEL, C1 controls, and any surrogate (a well-formed string's pairs are checked apart)
const FAULTY = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uD800-\uDFFF]/;

/**
 * What makes text from outside unfit to store or search, or null: a NUL
 * (PostgreSQL's text and jsonb cannot hold one), another control character,
 * or a lone surrogate (no UTF-8 spells one). Request values with one are
 * refused before any query sees them.
 */
export function textFault(text: string): string | null {
  if (!FAULTY.test(text)) return null;
  if (text.includes("\u0000")) return "holds a NUL character";
  if (!text.isWellFormed()) return "holds a lone surrogate (not Unicode text)";
  return /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/.test(text) ? "holds a control character" : null;
}

/** A message fit for a log line: one line, control characters written as \u escapes, at most `max` characters. */
export function logLine(text: string, max = 500): string {
  const line = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
