/**
 * Feeds that are not well-formed XML, read the way lenient feed readers
 * read them. rss-parser's XML parser stops at the first fault, and lets
 * some faults through silently; here a tolerant tokenizer (htmlparser2 in
 * XML mode) re-serialises the document into well-formed XML: unclosed
 * elements closed (an element that lost its end tag loses its unfinished
 * text, as in feedparser), a truncated document ended, anything after the
 * root element dropped, unescaped HTML inside titles and descriptions kept
 * as escaped HTML, bare `&` escaped, HTML entities (`&nbsp;`) turned into
 * characters, characters XML forbids removed. The first fault found is
 * named, with its line, as the reason the feed is broken.
 */
import { Parser } from "htmlparser2";

export interface Recovered {
  xml: string;
  /** The first fault, e.g. "undefined entity &nbsp; at line 4"; undefined if the document was well-formed. */
  fault: string | undefined;
}

// C0 controls but tab, LF and CR, and the two non-characters XML excludes
const FORBIDDEN = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
const FORBIDDEN_ALL = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/g;
const SUSPICIOUS_AMPERSAND = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[\da-fA-F]+);)/;
// an ampersand outside CDATA sections and comments that is not one of XML's own references
const AMPERSAND_IN_MARKUP = /<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->|&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[\da-fA-F]+);)/g;
// after the root element's end tag, only comments, processing instructions and white space
// comments and processing instructions spelled so that a run of them reads one way only (no backtracking over splits)
const PROPER_END = /<\/[\w.:-]+\s*>\s*(?:(?:<!--(?:[^-]|-(?!->))*-->|<\?(?:[^?]|\?(?!>))*\?>)\s*)*$/;
const NAME = /^[A-Za-z_][\w.:-]*$/;
const XML_ENTITIES = new Set(["amp", "lt", "gt", "quot", "apos"]);
const REFERENCE = /&(?:(#\d+|#x[\da-fA-F]+|[A-Za-z][A-Za-z\d]*);)?/g;

/**
 * Cheap checks for the faults rss-parser's XML parser lets through (it
 * decodes HTML entities, keeps control characters and ignores text after
 * the root): false means the document needs no recovery pass for them.
 */
export function mayHideFaults(text: string): boolean {
  if (FORBIDDEN.test(text)) return true;
  if (!PROPER_END.test(text.slice(-1024))) return true;
  if (mayUseUndeclaredPrefix(text)) return true;
  if (!SUSPICIOUS_AMPERSAND.test(text)) return false;
  for (const m of text.matchAll(AMPERSAND_IN_MARKUP)) if (m[0] === "&") return true;
  return false;
}

const RSS_START = /^(?:\s*(?:<\?(?:[^?]|\?(?!>))*\?>|<!--(?:[^-]|-(?!->))*-->|<!DOCTYPE[^>[]*(?:\[[^\]]*\])?\s*>))*\s*<rss\b[^>]*>/;

/**
 * `<rss>` with its title and items straight inside, without a `<channel>`:
 * feedparser and readers read it, rss-parser needs the channel, so it gets
 * one (on the lines the document has, so line numbers stay).
 */
export function withChannel(text: string): string {
  if (text.includes("<channel")) return text;
  const start = RSS_START.exec(text);
  if (!start) return text;
  const end = text.lastIndexOf("</rss");
  const head = start[0].length;
  return end > head
    ? `${text.slice(0, head)}<channel>${text.slice(head, end)}</channel>${text.slice(end)}`
    : `${text.slice(0, head)}<channel>${text.slice(head)}`;
}

const DECLARED_PREFIX = /\sxmlns:([\w.-]+)\s*=/g;
// after "prefix:" in a tag: an element's local name, or an attribute's with its value
const LOCAL_NAME = /[A-Za-z_]/y;
const ATTRIBUTE_REST = /[A-Za-z_][\w.-]*\s*=\s*["']/y;
const SPACE = /\s/;

/**
 * A prefix used in a tag that no xmlns: declares anywhere (scopes are left to recoverXml): `<p:name`,
 * or ` p:name="` for an attribute. Found from each colon backwards, not by a pattern tried at every
 * space of the text, which on a document of prose costs more than reading it.
 */
function mayUseUndeclaredPrefix(text: string): boolean {
  const declared = new Set(["xml", "xmlns"]);
  for (const m of text.matchAll(DECLARED_PREFIX)) declared.add(m[1]!);
  for (let colon = text.indexOf(":"); colon !== -1; colon = text.indexOf(":", colon + 1)) {
    let start = colon;
    while (start > 0 && isNameChar(text.charCodeAt(start - 1))) start--;
    if (start === colon || !isNameStart(text.charCodeAt(start)) || start === 0) continue;
    const before = text[start - 1]!;
    const rest = before === "<" ? LOCAL_NAME : SPACE.test(before) ? ATTRIBUTE_REST : null;
    if (!rest) continue;
    rest.lastIndex = colon + 1;
    if (rest.test(text) && !declared.has(text.slice(start, colon))) return true;
  }
  return false;
}

/** [A-Za-z_] */
const isNameStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
/** [\w.-]: letters, digits, _ . - */
const isNameChar = (c: number) => isNameStart(c) || (c >= 48 && c <= 57) || c === 46 || c === 45;

// elements whose content is text or escaped HTML: markup inside them is HTML that was not escaped
/** The elements that hold a feed's entries: cut off inside them, a document has lost no entry it shows whole. */
const FEED_ELEMENTS = new Set(["rss", "channel", "feed", "rdf:rdf"]);
const TEXT_ONLY = new Set(["title", "description", "content:encoded", "summary", "content"]);

interface Open {
  /** As written; null where the tag was dropped (an invalid name) or written as text (HTML inside a text element). */
  name: string | null;
  /** Where its content starts in the output. */
  at: number;
  /** Markup inside it is text. */
  text: boolean;
  /** Namespace prefixes it declares. */
  prefixes?: string[];
}

export function recoverXml(text: string): Recovered {
  return new Recovery(text).run();
}

/** One document re-serialised: the tokenizer's events written out as well-formed XML, the first fault noted. */
class Recovery {
  private readonly out: string[] = [];
  private readonly open: Open[] = [];
  // how many open elements declare each prefix: a look-up per tag, however deep the nesting (a stack scan is quadratic)
  private readonly bound = new Map<string, number>();
  private fault: string | undefined;
  private rootClosed = false;
  private inCdata = false;
  private ending = false;
  // implied closes come innermost first; only the innermost lost its end tag where the fault is
  private cascade = false;
  private readonly parser: Parser;

  constructor(private readonly text: string) {
    this.parser = new Parser(
      {
        onprocessinginstruction: (name) => {
          if (name.toLowerCase() === "!doctype" && /<!ENTITY/i.test(text)) this.note("entity declarations (not expanded)", this.parser.startIndex);
        },
        onattribute: (name, _value, quote) => {
          if (quote === null && !this.rootClosed) this.note(`attribute ${name} without quotes`, this.parser.startIndex);
        },
        onopentag: (name, attribs) => this.openTag(name, attribs),
        onclosetag: (name, isImplied) => this.closeTag(name, isImplied),
        ontext: (data) => this.addText(data),
        oncdatastart: () => {
          this.inCdata = true;
        },
        oncdataend: () => {
          this.inCdata = false;
        },
      },
      { xmlMode: true, decodeEntities: false },
    );
  }

  run(): Recovered {
    this.parser.write(this.text);
    // what htmlparser2 closes from here on was left open by a document that ends too early
    this.ending = true;
    this.parser.end();
    return { xml: this.out.join(""), fault: this.fault };
  }

  private note(what: string, index: number): void {
    this.fault ??= `${what} at line ${lineAt(this.text, index)}`;
  }

  /** The current tag as written. */
  private source(): string {
    return this.text.slice(this.parser.startIndex, this.parser.endIndex + 1);
  }

  private openTag(name: string, attribs: Record<string, string>): void {
    this.cascade = false;
    if (this.rootClosed) {
      this.note("content after the root element", this.parser.startIndex);
      return;
    }
    const parent = this.open.at(-1);
    if (parent?.text) {
      this.out.push(this.escapeAll(this.source(), this.parser.startIndex));
      this.open.push({ name: null, at: this.out.length, text: true });
      return;
    }
    if (!NAME.test(name)) {
      this.note(`invalid element name <${name}>`, this.parser.startIndex);
      this.open.push({ name: null, at: this.out.length, text: false });
      return;
    }
    let tag = `<${name}`;
    const prefixes: string[] = [];
    for (const [attr, value] of Object.entries(attribs)) {
      if (NAME.test(attr)) tag += ` ${attr}="${this.escapeData(value, this.parser.startIndex).replace(/"/g, "&quot;")}"`;
      if (attr.startsWith("xmlns:")) prefixes.push(attr.slice(6));
    }
    this.out.push(`${tag}>`);
    this.open.push({ name, at: this.out.length, text: TEXT_ONLY.has(name) && attribs.type !== "xhtml" && this.open.length > 0, prefixes });
    for (const prefix of prefixes) this.bound.set(prefix, (this.bound.get(prefix) ?? 0) + 1);
    // rss-parser ignores namespaces; feedparser's XML parser does not
    for (const qualified of [name, ...Object.keys(attribs)]) {
      const prefix = qualified.includes(":") ? qualified.slice(0, qualified.indexOf(":")) : null;
      if (prefix && prefix !== "xml" && prefix !== "xmlns" && !this.bound.get(prefix)) {
        this.note(`unbound namespace prefix ${prefix}:`, this.parser.startIndex);
      }
    }
  }

  private closeTag(name: string, isImplied: boolean): void {
    if (this.rootClosed || !this.open.length) return;
    const element = this.open.pop()!;
    for (const prefix of element.prefixes ?? []) this.bound.set(prefix, this.bound.get(prefix)! - 1);
    const selfClosing = this.text[this.parser.endIndex] === ">" && this.text[this.parser.endIndex - 1] === "/";
    if (element.name === null) {
      if (element.text && !isImplied) this.out.push(this.escapeAll(this.source(), this.parser.startIndex));
    } else {
      if (isImplied && !selfClosing) {
        this.note(
          this.ending ? `document ends inside <${name}> (truncated?)` : `element <${name}> not closed`,
          this.ending ? this.text.length : this.parser.startIndex,
        );
        // as feedparser: an element that lost its end tag loses its unfinished content; but a
        // document cut off after a whole entry keeps its entries (the feed's own element is not unfinished content)
        if (!this.cascade && !(this.ending && FEED_ELEMENTS.has(name.toLowerCase()))) this.out.length = element.at;
        this.cascade = true;
      } else this.cascade = false;
      this.out.push(`</${element.name}>`);
    }
    if (!this.open.length) this.rootClosed = true;
  }

  private addText(data: string): void {
    if (this.rootClosed || !this.open.length) {
      if (data.trim()) this.note(`text ${this.rootClosed ? "after" : "before"} the root element`, this.parser.startIndex);
      return;
    }
    if (data.trim()) this.cascade = false;
    this.out.push(this.inCdata ? this.escapeAll(data, this.parser.startIndex) : this.escapeData(data, this.parser.startIndex));
  }

  private escapeData(raw: string, at: number): string {
    let value = raw;
    if (FORBIDDEN.test(value)) {
      this.note("control character", at + value.search(FORBIDDEN));
      value = value.replace(FORBIDDEN_ALL, "");
    }
    if (value.includes("<")) this.note("unescaped <", at + value.indexOf("<"));
    return value
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(REFERENCE, (whole, name: string | undefined, offset: number) => {
        if (!name) {
          this.note("unescaped &", at + offset);
          return "&amp;";
        }
        if (name[0] === "#") {
          const code = name[1] === "x" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
          if (allowedCodePoint(code)) return whole;
          this.note(`reference to a character XML forbids (${whole})`, at + offset);
          return "";
        }
        if (XML_ENTITIES.has(name)) return whole;
        this.note(`undefined entity ${whole}`, at + offset);
        const decoded = htmlEntity(name);
        return decoded ? this.escapeAll(decoded, at) : `&amp;${name};`;
      });
  }

  private escapeAll(raw: string, at: number): string {
    let value = raw;
    if (FORBIDDEN.test(value)) {
      this.note("control character", at + value.search(FORBIDDEN));
      value = value.replace(FORBIDDEN_ALL, "");
    }
    return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
}

function allowedCodePoint(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < index; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

const decodedEntities = new Map<string, string>();

/** The text of an HTML named entity ("" if HTML has no such entity), by HTML's own rules. */
function htmlEntity(name: string): string {
  let text = decodedEntities.get(name);
  if (text === undefined) {
    let decoded = "";
    const reference = `&${name};`;
    new Parser({ ontext: (t) => (decoded += t) }, { decodeEntities: true }).end(reference);
    text = decoded === reference ? "" : decoded;
    if (decodedEntities.size < 4096) decodedEntities.set(name, text);
  }
  return text;
}
