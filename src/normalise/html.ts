/**
 * Markup escapes: one table, two escapers named by what they escape for. They differ in the apostrophe
 * alone, and on purpose: escapeHtml's output is stored (a page item's paragraphs, and with them its
 * content hash), escapeXml's is every feed's bytes and ETag; changing either would make every story
 * with an apostrophe look changed.
 */
const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

const escaped = (ch: string) => ESCAPES[ch]!;

/** Escapes text for HTML element content and quoted attribute values, in either quote. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, escaped);
}

const XML_SPECIAL = /[&<>"]/;

/**
 * Escapes text for XML character data and double-quoted attribute values, all the XML feedwerk writes
 * (src/xml/writer.ts, which also drops what XML cannot carry). One test when there is nothing to escape.
 */
export function escapeXml(text: string): string {
  return XML_SPECIAL.test(text) ? text.replace(/[&<>"]/g, escaped) : text;
}

const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

/**
 * The text of HTML that feedwerk itself stored (sanitised content, whose text
 * holds only these entities and numeric ones): what rules over an item's
 * content read. Elements separate words; no browser's layout is imitated.
 */
export function htmlText(html: string): string {
  return html
    .replace(/<[^>]*>/g, " ")
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, name: string) => {
      if (name[0] !== "#") return NAMED[name.toLowerCase()] ?? entity;
      const code = name[1] === "x" || name[1] === "X" ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
    })
    .replace(/\s+/gu, " ")
    .trim();
}
