/**
 * HTML from other people's feeds: sanitised with an allow-list (no scripts,
 * event handlers, javascript: URLs, forms, iframes or styles), relative URLs
 * made absolute; and titles reduced to plain text.
 */
import { Parser } from "htmlparser2";
import sanitize from "sanitize-html";

const ALLOWED_TAGS = [
  "p",
  "br",
  "hr",
  "a",
  "strong",
  "b",
  "em",
  "i",
  "u",
  "s",
  "sub",
  "sup",
  "small",
  "mark",
  "abbr",
  "q",
  "cite",
  "blockquote",
  "pre",
  "code",
  "ul",
  "ol",
  "li",
  "dl",
  "dt",
  "dd",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "img",
  "figure",
  "figcaption",
  "picture",
  "source",
  "table",
  "thead",
  "tbody",
  "tfoot",
  "tr",
  "th",
  "td",
  "caption",
  "time",
];

function absolutise(base: string | null, value: string | undefined): string | undefined {
  if (!value) return value;
  try {
    return new URL(value, base ?? undefined).toString();
  } catch {
    return undefined;
  }
}

// "<br></br>" is one line break in XHTML; an HTML parser reads the end tag as a second <br>
const BR_PAIR = /<br(\s[^<>]*)?>\s*<\/br\s*>/gi;

export function sanitizeContent(html: string, base: string | null): string {
  return sanitize(html.includes("</br") ? html.replace(BR_PAIR, "<br$1>") : html, {
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

// elements that break a line where a browser renders them; every other element (b, sup, a, span, …) joins its text to its neighbours
const BREAKING = new Set([
  "address",
  "article",
  "aside",
  "blockquote",
  "br",
  "caption",
  "dd",
  "details",
  "dialog",
  "div",
  "dl",
  "dt",
  "fieldset",
  "figcaption",
  "figure",
  "footer",
  "form",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "header",
  "hr",
  "li",
  "main",
  "nav",
  "ol",
  "p",
  "pre",
  "section",
  "summary",
  "table",
  "tbody",
  "td",
  "tfoot",
  "th",
  "thead",
  "tr",
  "ul",
]);
// their text is not text a reader sees
const HIDDEN = new Set(["script", "style", "template", "noscript"]);

/**
 * Plain text of an HTML fragment or of entity-encoded text, as a browser
 * shows it: tags dropped (an inline element adds no space, `1930ft<sup>2</sup>`
 * is `1930ft2`; a block element or `<br>` separates words), entities decoded
 * once, white space collapsed. One tokenizer pass (htmlparser2), no tree:
 * a "<" that does not open a tag ("Tom & Jerry <3") stays text.
 */
export function plainText(html: string): string {
  if (!html.includes("<") && !html.includes("&")) return html.replace(/\s+/gu, " ").trim();
  let text = "";
  let hidden = 0;
  // only an element that is closed somewhere hides its text: "Wie man <script> einbindet", a title whose
  // tag name was written as text, keeps the words after it
  const closed = (name: string) => new RegExp(`</${name}\\s*>`, "i").test(html);
  new Parser(
    {
      ontext(data) {
        if (!hidden) text += data;
      },
      onopentagname(name) {
        if (HIDDEN.has(name) && closed(name)) hidden++;
        else if (BREAKING.has(name)) text += " ";
      },
      onclosetag(name) {
        if (HIDDEN.has(name)) hidden = Math.max(0, hidden - (closed(name) ? 1 : 0));
        else if (BREAKING.has(name)) text += " ";
      },
    },
    { decodeEntities: true },
  ).end(html);
  return text.replace(/\s+/gu, " ").trim();
}
