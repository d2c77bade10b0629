/**
 * Feed entries become the same items as page stories. Dates the feed gives
 * are absolute; an entry without one is dated when first seen.
 *
 * Identity. Within its feed (namespaced by the source's name) an entry is
 * known by its own id (RSS guid, Atom id, JSON Feed id); without one, by its
 * link; without an id or a link that names a single story, by a hash of its
 * title, date and text. Two entries of one document are one item only when
 * they are the same entry. Across feeds an entry is keyed by its canonical
 * link when that link names a single story, so one story linked from two
 * feeds is one item that remembers both; otherwise by its identity within
 * its feed. A link names no single story when two or more entries of the
 * document carry it, when it is the feed's own address or its site's home
 * page, or when it is the root of a site: a podcast whose every episode
 * links to the show's page is one item per episode.
 *
 * Links change between documents, so storage (storage/entry-identity) keeps
 * the result stable with what this module reports besides the items: an
 * entry with an id of its own stays the item it was stored as before when its
 * link changes or turns from shared to unique (entryKeys); and an item keyed
 * by a link this document shows to name no single story (or by an entry's
 * text without its date, as before dates were part of it) is retired from
 * this feed (retiredIds). So an entry whose unique link became shared leaves
 * the item of that link for one of its own, and entries that were once
 * merged by a shared link become one item each at the next document.
 */
import { guidFor } from "../../normalise/identity";
import type { Item, Tag } from "../../normalise/item";
import { mergeObservations } from "../../normalise/merge";
import { sha256Hex } from "../../normalise/sha256";
import { slugify } from "../../normalise/slug";
import { parseFeedDate } from "./dates";
import { plainText, sanitizeContent, sanitizeWithText } from "./html";
import type { RawEntry, RawFeed } from "./read-feed";
import { toMedia } from "./to-media";

const SUMMARY_CHARS = 600;
/**
 * A headline is a line: longer is a feed's mistake or an attack, and every story's words and lexemes share
 * one search index entry, which PostgreSQL caps at 1 MB (a story with a title of a few hundred thousand
 * words could not be stored, and with it the rest of its feed's document).
 */
const TITLE_CHARS = 1_000;
// Every category becomes a tag with a feed of its own, and every tag is matched against every
// story: a feed that lists hundreds of categories per entry must not flood the site with tags.
const TAGS_PER_ENTRY = 10;
const NEW_TAGS_PER_FEED = 100;
/** Dates further ahead than this are a publisher's clock or typo, not news: dated when first seen instead. */
const FUTURE_SLACK_MS = 24 * 3_600_000;
// tracking parameters that make one story look like many
const TRACKING = /^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid|wt_mc|at_medium|at_campaign)$/i;

/** A document's items, and what storage needs to keep their identities across documents. */
export interface FeedEntries {
  items: Item[];
  /** Item id → hex key of the entry's own id in its feed, for entries that have one. */
  entryKeys: Map<string, string>;
  /** Ids of items that this document shows to be no single entry of this feed. */
  retiredIds: string[];
}

/**
 * `namespace` scopes entry ids to their feed (the source's name, which stays
 * when the feed moves); `feedUrl` is where the document came from, the base
 * of its relative links.
 */
export function feedItems(feed: RawFeed, namespace: string, feedUrl: string, fetchedAt: Date): Item[] {
  return feedEntries(feed, namespace, feedUrl, fetchedAt).items;
}

export function feedEntries(feed: RawFeed, namespace: string, feedUrl: string, fetchedAt: Date): FeedEntries {
  const base = resolve(feed.base, feedUrl) ?? feedUrl;
  const labels: Labels = new Map();
  const drafts = feed.entries.map((entry) => toDraft(entry, base, feedUrl, fetchedAt, labels));
  const homes = new Set([feedUrl, resolve(feed.link, base)].flatMap((u) => (httpUrl(u) ? [canonical(httpUrl(u)!)] : [])));
  // who carries each link: entries by their own id, entries without one by their text
  const carriers = new Map<string, Set<string>>();
  for (const d of drafts) {
    if (!d.link) continue;
    const carrier = d.ownId !== undefined ? `id\n${d.ownId}` : textKey("", d);
    carriers.set(d.link, (carriers.get(d.link) ?? new Set()).add(carrier));
  }
  const namesStory = (link: string) => carriers.get(link)!.size === 1 && !homes.has(link) && !isSiteRoot(link);
  // an entry given twice is keyed by the first story link it shows
  const storyLinkOf = new Map<string, string | null>();
  for (const d of drafts) {
    if (d.ownId === undefined || storyLinkOf.get(d.ownId)) continue;
    storyLinkOf.set(d.ownId, d.link && namesStory(d.link) ? d.link : null);
  }

  const entryKeys = new Map<string, string>();
  const found = drafts.map(({ ownId, link, item, keyTitle }) => {
    let id: string;
    if (ownId !== undefined) {
      const storyLink = storyLinkOf.get(ownId);
      const own = hexKey(`id\n${namespace}\n${ownId}`);
      id = storyLink ? hexKey(`link\n${storyLink}`) : own;
      entryKeys.set(id, own);
    } else {
      id = link && namesStory(link) ? hexKey(`link\n${link}`) : hexKey(textKey(namespace, { item, keyTitle }));
    }
    return identified(item, id);
  });
  const items = capTags(mergeObservations(found));

  const current = new Set(items.map((i) => i.id));
  const retired = new Set<string>();
  for (const link of carriers.keys()) if (!namesStory(link)) retired.add(hexKey(`link\n${link}`));
  for (const { ownId, link, item, keyTitle } of drafts) {
    // keyed by title and text alone before the date was part of the key
    if (ownId === undefined && item.publishedAt && !(link && namesStory(link))) retired.add(hexKey(textKey(namespace, { item, keyTitle }, false)));
  }
  return { items, entryKeys, retiredIds: [...retired].filter((id) => !current.has(id)) };
}

/** At most NEW_TAGS_PER_FEED distinct tags in one document: the first met, in entry order. */
function capTags(found: Item[]): Item[] {
  const admitted = new Set<string>();
  return found.map((item) => {
    const tags = item.tags.filter((t) => admitted.has(t.slug) || (admitted.size < NEW_TAGS_PER_FEED && admitted.add(t.slug)));
    return tags.length === item.tags.length ? item : { ...item, tags };
  });
}

interface Draft {
  ownId: string | undefined;
  /** canonical() of the entry's http(s) link. */
  link: string | null;
  item: Omit<Item, "id" | "guid">;
  /** The title an entry without id or story link is keyed by: the whole headline, also where the item's is cut. */
  keyTitle: string;
}

function toDraft(entry: RawEntry, base: string, feedUrl: string, fetchedAt: Date, labels: Labels): Draft {
  const { item, keyTitle } = toItem(entry, base, feedUrl, fetchedAt, labels);
  // an empty id names no entry: "" on every item would fold them all
  return { ownId: entry.id?.trim() || undefined, link: item.url ? canonicalLink(item.url) : null, item, keyTitle };
}

function toItem(entry: RawEntry, base: string, feedUrl: string, fetchedAt: Date, labels: Labels): { item: Omit<Item, "id" | "guid">; keyTitle: string } {
  const bases = entry.bases;
  const linkBase = bases?.link.length ? resolveChain(bases.link, feedUrl) : base;
  const url = resolveHttp(entry.link, linkBase);
  const { article, contentHtml, summary } = entryHtml(entry, feedUrl, url ?? base);
  const headline = plainText(entry.title ?? "");
  const title = truncate(headline, TITLE_CHARS) || truncate(summary, 100) || "(ohne Titel)";
  let publishedAt = parseFeedDate(entry.published) ?? parseFeedDate(entry.updated);
  if (publishedAt && publishedAt.getTime() > fetchedAt.getTime() + FUTURE_SLACK_MS) publishedAt = null;

  const item: Omit<Item, "id" | "guid"> = {
    kind: article ? "article" : "teaser",
    title,
    kicker: null,
    publishedAt,
    precision: publishedAt ? "absolute" : "none",
    agency: entry.author ? plainText(entry.author) || null : null,
    dateline: null,
    tags: tagsOf(entry.categories, labels),
    commentCount: null,
    image: null,
    // files are relative to the document, like the entry's link
    media: toMedia(entry.media, linkBase),
    summary,
    contentHtml,
    url,
  };
  // keyed by the headline as it always was: cutting it must not make a stored story a new one
  return { item, keyTitle: headline.length > TITLE_CHARS ? headline : title };
}

/**
 * The entry's HTML sanitised, and its summary as text. Relative links in an entry's HTML resolve against the
 * xml:base in scope where the document names one, else against the entry's own page, where there is one.
 * Content that shows nothing (an empty content:encoded beside a description) gives way to the description's
 * HTML. Where the summary's HTML is HTML sanitised here, its text is read in the same pass.
 */
function entryHtml(entry: RawEntry, feedUrl: string, pageBase: string): { article: string; contentHtml: string | null; summary: string } {
  const { contentHtml: content, summaryHtml, bases } = entry;
  const summarySource = summaryHtml ?? content ?? "";
  let text: string | undefined;
  let article = "";
  if (content) {
    const base = htmlBase(bases?.content, feedUrl, pageBase);
    if (content === summarySource) ({ html: article, text } = sanitizeWithText(content, base));
    else article = sanitizeContent(content, base);
  }
  let described = "";
  if (!article && summaryHtml) {
    const base = htmlBase(bases?.summary, feedUrl, pageBase);
    if (text === undefined) ({ html: described, text } = sanitizeWithText(summaryHtml, base));
    else described = sanitizeContent(summaryHtml, base);
  }
  return { article, contentHtml: article || described || null, summary: truncate(text ?? plainText(summarySource), SUMMARY_CHARS) };
}

function htmlBase(htmlBases: string[] | undefined, feedUrl: string, pageBase: string): string {
  return htmlBases?.length ? resolveChain(htmlBases, feedUrl) : pageBase;
}

/**
 * The item with its id, its fields in the order `{ ...item, id, guid }` gives them: V8 builds a spread followed
 * by fields it lacks on a slow path, which took tens of times this literal's time.
 */
function identified(item: Omit<Item, "id" | "guid">, id: string): Item {
  const { kind, title, kicker, publishedAt, precision, agency, dateline, tags, commentCount, image, media, summary, contentHtml, url } = item;
  return { kind, title, kicker, publishedAt, precision, agency, dateline, tags, commentCount, image, media, summary, contentHtml, url, id, guid: guidFor(id) };
}

/**
 * An entry without id or story link: its title, date and text (the key of an undated entry is what it always
 * was); `dated` false gives the key it had before dates were part of it.
 */
function textKey(namespace: string, { item, keyTitle }: Pick<Draft, "item" | "keyTitle">, dated = true): string {
  const key = `text\n${namespace}\n${keyTitle}\n${item.summary}`;
  return dated && item.publishedAt ? `${key}\n${item.publishedAt.toISOString()}` : key;
}

function hexKey(key: string): string {
  return sha256Hex(key).slice(0, 32);
}

/** The front page of a site lists stories; it is none of them. */
function isSiteRoot(link: string): boolean {
  const u = new URL(link);
  return u.pathname === "/" && !u.search;
}

/** A category's label and slug; a document names the same few categories entry after entry. */
type Labels = Map<string, Tag>;

function tagsOf(categories: string[], labels: Labels): Tag[] {
  const seen = new Set<string>();
  const tags: Tag[] = [];
  for (const raw of categories) {
    let known = labels.get(raw);
    if (!known) {
      const label = plainText(raw);
      known = { slug: slugify(label), label };
      labels.set(raw, known);
    }
    const { slug, label } = known;
    if (!slug || seen.has(slug) || label.length > 80) continue;
    seen.add(slug);
    tags.push({ slug, label });
    if (tags.length === TAGS_PER_ENTRY) break;
  }
  return tags;
}

function resolve(value: string | undefined, base: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    return new URL(value.trim(), base).toString();
  } catch {
    return undefined;
  }
}

/** Nested xml:base values, outermost first, each resolved against the one around it. */
function resolveChain(chain: string[], documentUrl: string): string {
  return chain.reduce((outer, value) => resolve(value, outer) ?? outer, documentUrl);
}

/** resolve(), then httpUrl(), parsing once. */
function resolveHttp(value: string | undefined, base: string): string | null {
  if (!value) return null;
  try {
    const u = new URL(value.trim(), base);
    return u.protocol === "http:" || u.protocol === "https:" ? u.toString() : null;
  } catch {
    return null;
  }
}

function httpUrl(value: string | undefined): string | null {
  if (!value) return null;
  const u = new URL(value);
  return u.protocol === "http:" || u.protocol === "https:" ? u.toString() : null;
}

/** canonical() of a link as URL writes it (an item's url: host in lower case): with neither query nor fragment, the link itself. */
function canonicalLink(serialized: string): string {
  return serialized.includes("?") || serialized.includes("#") ? canonical(serialized) : serialized;
}

/** The form two links to one story share: no fragment, no tracking parameters, lower-case host, default port dropped. */
export function canonical(url: string): string {
  const u = new URL(url);
  u.hash = "";
  for (const name of [...u.searchParams.keys()]) if (TRACKING.test(name)) u.searchParams.delete(name);
  u.hostname = u.hostname.toLowerCase();
  return u.toString();
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  // never half of a surrogate pair (an emoji): a lone surrogate is no text the database can store
  const end = /[\uD800-\uDBFF]/.test(text[max - 1] ?? "") ? max - 1 : max;
  const cut = text.slice(0, end);
  const space = cut.lastIndexOf(" ");
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()} …`;
}
