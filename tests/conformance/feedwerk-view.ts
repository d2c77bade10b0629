/**
 * feedparser's result as feedwerk knows it: `entries[i][key]` for the keys
 * whose meaning feedwerk keeps, each compared with feedparser's expectation
 * by a rule written here. Where feedwerk differs on purpose, the rule says so
 * and the comparison counts as "differs by design" with that reason; every
 * other key is "not applicable" with the reason category, never guessed.
 */
import { parseFeedDate } from "../../src/input/feed/dates";
import { sanitizeContent } from "../../src/input/feed/html";
import type { RawEntry } from "../../src/input/feed/read-feed";
import type { Item } from "../../src/normalise/item";
import { canonicalHtml, htmlToText } from "./html-forms";
import { PythonError, repr, Tuple, Unsupported, type HostObject, type Scope, type Value } from "./python-expression";

export class NotApplicable extends Error {
  constructor(readonly category: string) {
    super(category);
  }
}

export interface ReadEntry {
  raw: RawEntry;
  item: Item;
}

/** What one case's evaluation learnt: the by-design reasons it relied on, the mismatches it saw. */
export interface Observations {
  designReasons: Set<string>;
  mismatches: string[];
  /** Whether any entry field was compared: a case about nothing feedwerk keeps is not applicable. */
  touched: boolean;
}

export interface Document {
  entries: ReadEntry[];
  /** The first entry's markup, where the declared type of a text construct is looked up. */
  source: string;
  /** The document's URL: the base both readers resolve relative links against. */
  url: string;
}

const SUMMARY_CHARS = 600;

/** The case's names: `entries` maps to feedwerk; `feed` and document-level names are not applicable. */
export function scopeOf(doc: Document, seen: Observations): Scope {
  return {
    name(name) {
      if (name === "entries") return entriesView(doc, seen);
      if (name === "feed") return notApplicableObject("feed-level metadata");
      if (["encoding", "version", "namespaces", "headers", "href", "status", "etag", "modified", "bozo_exception"].includes(name)) {
        throw new NotApplicable(`document-level '${name}'`);
      }
      throw new Unsupported(`name '${name}'`);
    },
  };
}

function notApplicableObject(category: string): HostObject {
  const fail = (): never => {
    throw new NotApplicable(category);
  };
  return { item: fail, attribute: fail, has: fail, equals: fail, length: fail };
}

function entriesView(doc: Document, seen: Observations): HostObject {
  return {
    item: (index) => entryView(doc, seen, Number(index)),
    attribute: (name) => {
      throw new Unsupported(`entries.${name}`);
    },
    has: () => {
      throw new Unsupported("'in' entries");
    },
    length: () => {
      seen.touched = true;
      return doc.entries.length;
    },
  };
}

/** One field of feedwerk's, compared with feedparser's expected value by its own rule. */
type Rule = (expected: Value) => true | false | { design: string };

function field(seen: Observations, key: string, got: Value, rule?: Rule): HostObject {
  seen.touched = true;
  const compare: Rule = rule ?? ((expected) => expected === got);
  return {
    plain: () => got,
    item: () => {
      throw new NotApplicable(`entry '${key}' subfields`);
    },
    attribute: () => {
      throw new NotApplicable(`entry '${key}' attributes`);
    },
    has: (value) => typeof got === "string" && typeof value === "string" && got.includes(value),
    equals(expected) {
      const verdict = compare(expected);
      if (typeof verdict === "object") {
        seen.designReasons.add(verdict.design);
        return true;
      }
      if (!verdict) seen.mismatches.push(`${key}: expected ${repr(expected)}, feedwerk gave ${repr(got)}`);
      return verdict;
    },
  };
}

/** A dict of fields, like feedparser's author_detail or a tag; keys outside `fields` are not applicable. */
function record(name: string, fields: Record<string, () => HostObject>): HostObject {
  return {
    item: (key) => {
      const make = fields[String(key)];
      if (!make) throw new NotApplicable(`entry '${name}.${String(key)}'`);
      return make();
    },
    attribute: (key) => record(name, fields).item(key),
    has: (key) => String(key) in fields,
    equals: (other) => {
      throw new NotApplicable(`entry '${name}' compared whole (${repr(other)})`);
    },
  };
}

function entryView(doc: Document, seen: Observations, index: number): HostObject {
  const entry = (): ReadEntry => {
    const e = doc.entries[index];
    if (!e) throw new PythonError(`IndexError: entries[${index}], feedwerk read ${doc.entries.length} entries`);
    return e;
  };
  const keys: Record<string, () => Value> = {
    title: () => titleField(seen, entry(), doc.source),
    title_detail: () => record("title_detail", { value: () => titleField(seen, entry(), doc.source) }),
    link: () => linkField(seen, entry(), doc.url),
    id: () => field(seen, "id", entry().raw.id ?? null),
    author: () => authorField(seen, entry()),
    author_detail: () => record("author_detail", { name: () => authorField(seen, entry()) }),
    summary: () => summaryField(seen, entry(), doc),
    description: () => summaryField(seen, entry(), doc),
    summary_detail: () => record("summary_detail", { value: () => summaryField(seen, entry(), doc) }),
    content: () => contentList(seen, entry(), doc),
    published: () => dateTextField(seen, entry(), "published"),
    updated: () => dateTextField(seen, entry(), "updated"),
    published_parsed: () => dateField(seen, entry(), "published"),
    updated_parsed: () => dateField(seen, entry(), "updated"),
    tags: () =>
      list(
        "tags",
        () => entry().raw.categories,
        (term) => ({ term: () => field(seen, "tags.term", term(), (expected) => termRule(expected, term(), doc.source)) }),
      ),
    category: () => field(seen, "category", entry().raw.categories[0] ?? null),
    enclosures: () => enclosureList(seen, entry()),
  };
  const present: Record<string, (e: ReadEntry) => boolean> = {
    title: (e) => e.raw.title !== undefined,
    link: (e) => e.item.url !== null,
    id: (e) => e.raw.id !== undefined,
    author: (e) => e.item.agency !== null,
    summary: (e) => e.raw.summaryHtml !== undefined,
    content: (e) => e.raw.contentHtml !== undefined,
  };
  const lookup = (key: Value): Value => {
    const make = keys[String(key)];
    if (!make) throw new NotApplicable(`entry '${String(key)}' not kept by feedwerk`);
    seen.touched = true;
    return make();
  };
  return {
    item: lookup,
    attribute: lookup,
    has: (key) => {
      const test = present[String(key)];
      if (!test) throw new NotApplicable(`entry '${String(key)}' not kept by feedwerk`);
      seen.touched = true;
      return test(entry());
    },
  };
}

/**
 * The declared type of the first entry's text construct `names`: "text" for
 * Atom's text and text/plain, else "html" (html, xhtml, escaped or inferred:
 * feedparser treats untyped RSS text as HTML when it holds markup, and text
 * without markup reads the same either way).
 */
export function declaredType(source: string, names: string[]): "text" | "html" {
  const start = source.search(/<(?:[\w-]+:)?(?:entry|item)\b/i);
  const element = new RegExp(`<(?:[\\w-]+:)?(?:${names.join("|")})\\b([^>]*)>`, "i").exec(source.slice(Math.max(start, 0)));
  const type = /\btype\s*=\s*["']([^"']*)["']/i.exec(element?.[1] ?? "")?.[1]?.toLowerCase();
  return type === "text" || type === "text/plain" ? "text" : "html";
}

/** feedparser's value as text: the text of its HTML, or itself if the construct is plain text. */
function asText(value: string, type: "text" | "html"): string {
  return type === "html" ? htmlToText(value) : value.replace(/\s+/gu, " ").trim();
}

function titleField(seen: Observations, { raw, item }: ReadEntry, source: string): HostObject {
  const type = declaredType(source, ["title"]);
  return field(seen, "title", item.title, (expected) => {
    if (typeof expected !== "string") return false;
    const text = asText(expected, type);
    // An entry whose title has no text gets one of feedwerk's making (its summary's start, else "(ohne Titel)").
    const made = item.title === "(ohne Titel)" || (item.title !== "" && item.summary.startsWith(item.title.replace(/ …$/, "")));
    if (text === "" && htmlToText(raw.title ?? "") === "" && made) return { design: "a title without text is replaced by the summary's start" };
    if (item.title !== text) return false;
    // Titles are reduced to plain text; feedparser keeps the (sanitised) markup of HTML titles.
    // Entities alone are only another spelling of the same text.
    return type === "html" && /<[A-Za-z!/]/.test(expected) ? { design: "titles are plain text (feedparser keeps HTML titles' markup)" } : true;
  });
}

/**
 * A category's term. feedwerk names an Atom category by its label where it
 * has one (the name for people; the term is the scheme's own key), so the
 * category of the document with feedparser's term must carry feedwerk's as
 * its label.
 */
function termRule(expected: Value, got: string, source: string): true | false | { design: string } {
  if (expected === got) return true;
  for (const [element] of source.matchAll(/<(?:[\w-]+:)?category\b[^>]*>/g)) {
    const attribute = (name: string) => htmlToText(new RegExp(`\\s${name}\\s*=\\s*(["'])([\\s\\S]*?)\\1`).exec(element)?.[2] ?? "");
    if (attribute("term") === expected && attribute("label") === got) return { design: "Atom categories are named by their label" };
  }
  return false;
}

function linkField(seen: Observations, { item }: ReadEntry, base: string): HostObject {
  return field(seen, "link", item.url, (expected) => {
    if (typeof expected !== "string") return expected === item.url;
    let url: URL;
    try {
      // feedparser read the case without a URL; relative links resolve against the one feedwerk is given
      url = new URL(expected, base);
    } catch {
      return false;
    }
    // feedwerk links to stories on the web only: any other scheme is no link.
    if (url.protocol !== "http:" && url.protocol !== "https:") return item.url === null ? { design: "links are http(s) only" } : false;
    // feedwerk keeps new URL(link).href: "http://example.com" and "http://example.com/" are one link.
    return item.url === url.href;
  });
}

function authorField(seen: Observations, { item }: ReadEntry): HostObject {
  return field(seen, "author", item.agency, (expected) => {
    if (expected === item.agency) return true;
    // feedparser writes "Name (email)"; feedwerk keeps the name alone as the agency.
    const named = typeof expected === "string" ? /^(.*\S)\s+\([^()\s]+@[^()\s]+\)$/.exec(expected) : null;
    return named && named[1] === item.agency ? { design: "the author is kept by name, without e-mail" } : false;
  });
}

/**
 * feedparser's summary (RSS description, Atom summary, else the content).
 * feedwerk keeps it as HTML when it is the entry's only text (the item's
 * content), else as plain text cut at 600 characters (the item's summary).
 */
function summaryField(seen: Observations, e: ReadEntry, doc: Document): HostObject {
  const ownSummary = e.raw.summaryHtml !== undefined;
  const type = declaredType(doc.source, ownSummary ? ["summary", "description"] : ["content", "encoded"]);
  if (ownSummary && e.raw.contentHtml !== undefined) {
    return field(seen, "summary", e.item.summary, (expected) => {
      if (typeof expected !== "string") return false;
      const text = asText(expected, type);
      if (e.item.summary === text) return true;
      const cut = e.item.summary.replace(/ …$/, "");
      // Summaries are cut at 600 characters, at a word where there is one.
      return text.length > SUMMARY_CHARS && cut !== e.item.summary && text.startsWith(cut) ? { design: "summaries are cut at 600 characters" } : false;
    });
  }
  return htmlField(seen, "summary", e, doc, type);
}

function contentList(seen: Observations, e: ReadEntry, doc: Document): Value {
  const type = declaredType(doc.source, ["content", "encoded"]);
  return list(
    "content",
    () => (e.raw.contentHtml === undefined ? [] : [e]),
    (one) => ({ value: () => htmlField(seen, "content", one(), doc, type) }),
  );
}

/**
 * A list of records whose fields are looked up before the list is: asking
 * for a field feedwerk does not keep is not applicable even where feedwerk
 * has no element at that index.
 */
function list<T>(name: string, elements: () => T[], fields: (element: () => T) => Record<string, () => HostObject>): HostObject {
  const at = (index: number) => () => {
    const all = elements();
    const element = all[index < 0 ? all.length + index : index];
    if (element === undefined) throw new PythonError(`IndexError: ${name}[${index}], feedwerk has ${all.length}`);
    return element;
  };
  return {
    item: (index) => record(name, fields(at(Number(index)))),
    attribute: (key) => {
      throw new Unsupported(`${name}.${key}`);
    },
    has: () => {
      throw new Unsupported(`'in' ${name}`);
    },
    length: () => elements().length,
  };
}

/**
 * The entry's HTML after sanitising. Equal canonical forms agree; where they
 * differ only by what feedwerk's narrower allow-list removes (feedparser's
 * output put through feedwerk's sanitiser gives feedwerk's), the case differs
 * by design. A plain-text construct is expected as that text, escaped.
 */
function htmlField(seen: Observations, key: string, { item }: ReadEntry, doc: Document, type: "text" | "html"): HostObject {
  const got = item.contentHtml ?? "";
  const base = item.url ?? doc.url;
  return field(seen, key, got, (expected) => {
    if (typeof expected !== "string") return false;
    const html = type === "text" ? expected.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;") : expected;
    const mine = canonicalHtml(got, base);
    if (mine === canonicalHtml(html, base)) return true;
    return mine === canonicalHtml(sanitizeContent(html, base), base) ? { design: "HTML is sanitised with feedwerk's narrower allow-list" } : false;
  });
}

function dateTextField(seen: Observations, { raw }: ReadEntry, which: "published" | "updated"): HostObject {
  const got = raw[which] ?? null;
  return field(seen, which, got, (expected) => {
    if (expected === got) return true;
    // feedwerk keeps one date per entry: feedparser's "updated" (dc:date, Atom 0.3 modified) is its publication date when there is no other.
    return which === "updated" && !raw.updated && expected === raw.published ? { design: "one date per entry: dc:date is the publication date" } : false;
  });
}

/** feedparser's *_parsed: a UTC struct_time, compared as the 9-tuple Python would. */
function dateField(seen: Observations, { raw }: ReadEntry, which: "published" | "updated"): HostObject {
  const own = raw[which] ? parseFeedDate(raw[which]) : null;
  const fallback = which === "updated" && !raw.updated ? parseFeedDate(raw.published) : null;
  return field(seen, `${which}_parsed`, structTime(own), (expected) => {
    if (repr(expected) === repr(structTime(own))) return true;
    return fallback && repr(expected) === repr(structTime(fallback)) ? { design: "one date per entry: dc:date is the publication date" } : false;
  });
}

export function structTime(date: Date | null): Value {
  if (!date) return null;
  const y = date.getUTCFullYear();
  const yday = Math.round((Date.UTC(y, date.getUTCMonth(), date.getUTCDate()) - Date.UTC(y, 0, 1)) / 86_400_000) + 1;
  const wday = (date.getUTCDay() + 6) % 7;
  return new Tuple([y, date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds(), wday, yday, 0]);
}

/**
 * The entry's files as feedwerk keeps them (Item.media.enclosures: resolved,
 * http(s) only). feedparser's `url` is its `href`; its length and type are
 * the attributes' text.
 */
function enclosureList(seen: Observations, { item }: ReadEntry): Value {
  const kept = () => item.media?.enclosures ?? [];
  return list("enclosures", kept, (e) => ({
    href: () => field(seen, "enclosures.href", e().url),
    url: () => field(seen, "enclosures.url", e().url),
    type: () => field(seen, "enclosures.type", e().type),
    length: () => field(seen, "enclosures.length", e().length === null ? null : String(e().length)),
  }));
}
