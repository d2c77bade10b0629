/**
 * HTML from other people's feeds: sanitised with an allow-list (no scripts,
 * event handlers, javascript: URLs, forms, iframes or styles), relative URLs
 * made absolute; and titles reduced to plain text.
 */
import sanitize from "sanitize-html";

const ALLOWED_TAGS = [
  "p", "br", "hr", "a", "strong", "b", "em", "i", "u", "s", "sub", "sup", "small", "mark", "abbr", "q", "cite",
  "blockquote", "pre", "code", "ul", "ol", "li", "dl", "dt", "dd", "h2", "h3", "h4", "h5", "h6",
  "img", "figure", "figcaption", "picture", "source", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "time",
];

function absolutise(base: string | null, value: string | undefined): string | undefined {
  if (!value) return value;
  try {
    return new URL(value, base ?? undefined).toString();
  } catch {
    return undefined;
  }
}

export function sanitizeContent(html: string, base: string | null): string {
  return sanitize(html, {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: {
      a: ["href", "title"],
      img: ["src", "alt", "title", "width", "height"],
      source: ["srcset", "type", "media"],
      abbr: ["title"],
      time: ["datetime"],
      th: ["colspan", "rowspan"],
      td: ["colspan", "rowspan"],
    },
    allowedSchemes: ["http", "https", "mailto"],
    allowedSchemesByTag: { img: ["http", "https"] },
    allowProtocolRelative: false,
    disallowedTagsMode: "discard",
    // h1 would compete with the reader's own title
    transformTags: {
      h1: "h2",
      a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, href: absolutise(base, attribs.href) ?? "", rel: "nofollow noopener" } }),
      img: (tagName, attribs) => ({ tagName, attribs: { ...attribs, src: absolutise(base, attribs.src) ?? "" } }),
    },
    allowedSchemesAppliedToAttributes: ["href", "src"],
    exclusiveFilter: (frame) => frame.tag === "img" && !frame.attribs.src,
  }).trim();
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

/**
 * Plain text of an HTML fragment or of entity-encoded text: tags dropped,
 * entities decoded, white space collapsed. The result is only ever used as
 * text (escaped wherever it is written), so dropping tags needs no parser:
 * a "<" that does not open a tag ("Tom & Jerry <3") stays.
 */
export function plainText(html: string): string {
  const text = html
    .replace(/<(script|style|template)\b[\s\S]*?<\/\1\s*>/gi, " ")
    .replace(/<!--[\s\S]*?-->/g, " ")
    .replace(/<\/?[A-Za-z][^>]*>/g, " ");
  return text
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
      if (name[0] === "#") {
        const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : "";
      }
      return ENTITIES[name.toLowerCase()] ?? whole;
    })
    .replace(/\s+/gu, " ")
    .trim();
}
