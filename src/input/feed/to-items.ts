/**
 * Feed entries become the same items as page stories. Identity: the
 * entry's canonical link, so one story from two feeds is one item; else its
 * id, namespaced by the feed; else a hash of its text. Dates the feed gives
 * are absolute; an entry without one is dated when first seen.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { guidFor } from "../../normalise/identity";
import type { Item, Tag } from "../../normalise/item";
import { mergeObservations } from "../../normalise/merge";
import { slugify } from "../../normalise/slug";
import { parseFeedDate } from "./dates";
import { plainText, sanitizeContent } from "./html";
import type { RawEntry, RawFeed } from "./read-feed";

const SUMMARY_CHARS = 600;
// Every category becomes a tag with a feed of its own, and every tag is matched against every
// story: a feed that lists hundreds of categories per entry must not flood the site with tags.
const TAGS_PER_ENTRY = 10;
const NEW_TAGS_PER_FEED = 100;
/** Dates further ahead than this are a publisher's clock or typo, not news: dated when first seen instead. */
const FUTURE_SLACK_MS = 24 * 3_600_000;
// tracking parameters that make one story look like many
const TRACKING = /^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid|wt_mc|at_medium|at_campaign)$/i;

/**
 * `namespace` scopes entry ids to their feed (the source's name, which stays
 * when the feed moves); `feedUrl` is where the document came from, the base
 * of its relative links.
 */
export function feedItems(feed: RawFeed, namespace: string, feedUrl: string, fetchedAt: Date): Item[] {
  const base = resolve(feed.base, feedUrl) ?? feedUrl;
  return capTags(mergeObservations(feed.entries.map((entry) => toItem(entry, base, feedUrl, namespace, fetchedAt))));
}

/** At most NEW_TAGS_PER_FEED distinct tags in one document: the first met, in entry order. */
function capTags(found: Item[]): Item[] {
  const admitted = new Set<string>();
  return found.map((item) => {
    const tags = item.tags.filter((t) => admitted.has(t.slug) || (admitted.size < NEW_TAGS_PER_FEED && admitted.add(t.slug)));
    return tags.length === item.tags.length ? item : { ...item, tags };
  });
}

function toItem(entry: RawEntry, base: string, feedUrl: string, namespace: string, fetchedAt: Date): Item {
  const bases = entry.bases;
  const url = httpUrl(resolve(entry.link, bases?.link.length ? resolveChain(bases.link, feedUrl) : base));
  const summarySource = entry.summaryHtml ?? entry.contentHtml ?? "";
  const summary = truncate(plainText(summarySource), SUMMARY_CHARS);
  const title = plainText(entry.title ?? "") || truncate(summary, 100) || "(ohne Titel)";
  const html = entry.contentHtml ?? entry.summaryHtml;
  // relative links in an entry's HTML: against the xml:base in scope where the document names one, else
  // against the entry's own page, where there is one
  const htmlBases = entry.contentHtml ? bases?.content : bases?.summary;
  const contentHtml = html ? sanitizeContent(html, htmlBases?.length ? resolveChain(htmlBases, feedUrl) : (url ?? base)) || null : null;
  let publishedAt = parseFeedDate(entry.published) ?? parseFeedDate(entry.updated);
  if (publishedAt && publishedAt.getTime() > fetchedAt.getTime() + FUTURE_SLACK_MS) publishedAt = null;

  const key = url
    ? `link\n${canonical(url)}`
    : entry.id
      ? `id\n${namespace}\n${entry.id}`
      : `text\n${namespace}\n${title}\n${summary}`;
  const id = bytesToHex(sha256(utf8ToBytes(key))).slice(0, 32);
  return {
    id,
    guid: guidFor(id),
    kind: contentHtml && entry.contentHtml ? "article" : "teaser",
    title,
    kicker: null,
    publishedAt,
    precision: publishedAt ? "absolute" : "none",
    agency: entry.author ? plainText(entry.author) || null : null,
    dateline: null,
    tags: tagsOf(entry.categories),
    commentCount: null,
    image: null,
    summary,
    contentHtml,
    url,
  };
}

function tagsOf(categories: string[]): Tag[] {
  const seen = new Set<string>();
  const tags: Tag[] = [];
  for (const raw of categories) {
    const label = plainText(raw);
    const slug = slugify(label);
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

function httpUrl(value: string | undefined): string | null {
  if (!value) return null;
  const u = new URL(value);
  return u.protocol === "http:" || u.protocol === "https:" ? u.toString() : null;
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
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(" ");
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()} …`;
}
