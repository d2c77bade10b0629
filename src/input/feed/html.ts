/**
 * HTML from other people's feeds: sanitised with an allow-list (no scripts,
 * event handlers, javascript: URLs, forms, iframes or styles), relative URLs
 * made absolute; and titles reduced to plain text.
 */
import { Parser } from "htmlparser2";
import { collapseSpace } from "../../normalise/text";
import { sanitizeFragment } from "./sanitizer";

// "<br></br>" is one line break in XHTML; an HTML parser reads the end tag as a second <br>
const BR_PAIR = /<br(\s[^<>]*)?>\s*<\/br\s*>/gi;

export function sanitizeContent(html: string, base: string | null): string {
  // text without markup or references, as many feeds write their descriptions: sanitize-html would
  // give it back with ">" escaped, after a tokenizer pass and its options' setup
  if (!html.includes("<") && !html.includes("&")) return html.replaceAll(">", "&gt;").trim();
  const clean = sanitizeFragment(html.includes("</br") ? html.replace(BR_PAIR, "<br$1>") : html, base).trim();
  return shows(clean) ? clean : "";
}

/**
 * sanitizeContent(html, base) and plainText(html) at once: both read the same tokenizer events, so one pass
 * serves both where the fragment is what each reads (no XHTML "</br>" pair, which sanitising rewrites first).
 */
export function sanitizeWithText(html: string, base: string | null): { html: string; text: string } {
  if ((!html.includes("<") && !html.includes("&")) || html.includes("</br")) return { html: sanitizeContent(html, base), text: plainText(html) };
  startPlain(html);
  const clean = sanitizeFragment(html, base, TEXT_HANDLER).trim();
  return { html: shows(clean) ? clean : "", text: endPlain() };
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
  if (!html.includes("<") && !html.includes("&")) return collapseSpace(html);
  startPlain(html);
  // a parser per call: a reset one keeps the foreign content (<svg>, <math>) a fragment left open
  new Parser(TEXT_HANDLER, { decodeEntities: true }).end(html);
  return endPlain();
}

function startPlain(html: string): void {
  plain.source = html;
  plain.text = "";
  plain.hidden = 0;
}

function endPlain(): string {
  const text = plain.text;
  plain.source = plain.text = "";
  return collapseSpace(text);
}

/** The state of the one plainText call running (plainText is synchronous): the handler is built once, not per call. */
const plain = { source: "", text: "", hidden: 0 };
// only an element that is closed somewhere hides its text: "Wie man <script> einbindet", a title whose
// tag name was written as text, keeps the words after it
const CLOSING = new Map([...HIDDEN].map((name) => [name, new RegExp(`</${name}\\s*>`, "i")]));
const closed = (name: string) => CLOSING.get(name)!.test(plain.source);
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
