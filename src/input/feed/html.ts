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

/**
 * The base the transforms resolve against, for the one sanitize call running: sanitize-html is
 * synchronous, so one options object (built once, not for every entry) serves every call.
 */
let linkBase: string | null = null;

const SANITIZE: sanitize.IOptions = {
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
    a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, href: absolutise(linkBase, attribs.href) ?? "", rel: "nofollow noopener" } }),
    img: (tagName, attribs) => ({ tagName, attribs: { ...attribs, src: absolutise(linkBase, attribs.src) ?? "" } }),
  },
  allowedSchemesAppliedToAttributes: ["href", "src"],
  exclusiveFilter: (frame) => frame.tag === "img" && !frame.attribs.src,
};

export function sanitizeContent(html: string, base: string | null): string {
  // text without markup or references, as many feeds write their descriptions: sanitize-html would
  // give it back with ">" escaped, after a tokenizer pass and its options' setup
  if (!html.includes("<") && !html.includes("&")) return html.replaceAll(">", "&gt;").trim();
  linkBase = base;
  try {
    const clean = sanitize(html.includes("</br") ? html.replace(BR_PAIR, "<br$1>") : html, SANITIZE).trim();
    return shows(clean) ? clean : "";
  } finally {
    linkBase = null;
  }
}

/**
 * Whether sanitised HTML shows anything: text or an image. "<p></p>", "<p>&nbsp;</p>" or a lone "<br>" is no
 * content, and a reader given it shows a blank paragraph where the entry's headline should stand alone. Long
 * markup is taken to show something without looking: the check is for the few bytes of an empty wrapper.
 */
function shows(clean: string): boolean {
  if (clean.length > 200 || clean.includes("<img")) return true;
  // sanitize-html's output is well-formed, its attribute values escaped: a tag ends at the first ">"; it gives
  // &nbsp; as U+00A0, which \s matches, and zero-width characters and soft hyphens show nothing either
  return /[^\s\u00ad\u200b-\u200d\u2060\ufeff]/.test(clean.replace(/<[^>]*>/g, ""));
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
  if (!html.includes("<") && !html.includes("&")) return html.replace(SPACE, " ").trim();
  plain.source = html;
  plain.text = "";
  plain.hidden = 0;
  // a parser per call: a reset one keeps the foreign content (<svg>, <math>) a fragment left open
  new Parser(TEXT_HANDLER, { decodeEntities: true }).end(html);
  const text = plain.text;
  plain.source = plain.text = "";
  return text.replace(SPACE, " ").trim();
}

// JavaScript's \s is Unicode white space, no-break and narrow no-break spaces included
const SPACE = /\s+/g;

/** The state of the one plainText call running (plainText is synchronous): the handler is built once, not per call. */
const plain = { source: "", text: "", hidden: 0 };
// only an element that is closed somewhere hides its text: "Wie man <script> einbindet", a title whose
// tag name was written as text, keeps the words after it
const closed = (name: string) => new RegExp(`</${name}\\s*>`, "i").test(plain.source);
const TEXT_HANDLER: ConstructorParameters<typeof Parser>[0] = {
  ontext(data) {
    if (!plain.hidden) plain.text += data;
  },
  onopentagname(name) {
    if (HIDDEN.has(name) && closed(name)) plain.hidden++;
    else if (BREAKING.has(name)) plain.text += " ";
  },
  onclosetag(name) {
    if (HIDDEN.has(name)) plain.hidden = Math.max(0, plain.hidden - (closed(name) ? 1 : 0));
    else if (BREAKING.has(name)) plain.text += " ";
  },
};
