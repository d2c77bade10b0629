/**
 * An HTML article page to an item of kind `article`: its main text found by
 * Mozilla Readability on a light DOM (linkedom), sanitised with relative
 * links made absolute; title, standfirst, dates, authors, section and
 * keywords, lead image, language and canonical address from what the page
 * says about itself (metadata.ts, page-date.ts); the agency from a dateline
 * ("Berlin (dpa) - ") or the byline. The canonical address makes the
 * item's identity, as a feed entry's link does (input/feed/to-items), so a
 * story met as a feed entry and as its page is one item.
 */
import { Readability } from "@mozilla/readability";
import { parseHTML } from "linkedom";
import { guidFor, storyKey } from "../../normalise/identity";
import type { Item, Tag } from "../../normalise/item";
import { tagsFromLabels } from "../../normalise/tag-union";
import { clean, collapseSpace } from "../../normalise/text";
import { plainText, sanitizeContent } from "../feed/html";
import { canonical } from "../feed/to-items";
import { readDateline } from "../page/dateline";
import { linkStoryId } from "../teaser-item";
import { readPageMeta, type Element } from "./metadata";
import { findPageDate } from "./page-date";
import { PageIndex } from "./page-index";

const SUMMARY_CHARS = 600;
const TITLE_CHARS = 1_000;
const TAGS = 10;
/** Bylines that are news agencies, as they sign: what `agency` means on the portal's pages. */
const AGENCIES = /^(dpa|afp|ap|reuters|kna|epd|sid|dts|bang|apa|sda|ddp|afx|dpa-afx|ots|pressebox|idw)$/i;

/** What an article page gives besides the item: for `parse` and for storing where the item has no place for it. */
export interface ArticleExtras {
  /** The publication time as the page states it, with its own offset (or none), or a bare day. */
  publishedLocal: string | null;
  modifiedAt: string | null;
  authors: string[];
  byline: string | null;
  language: string | null;
  siteName: string | null;
}

export interface ReadArticle {
  item: Item;
  extras: ArticleExtras;
}

/** Why a page gives no article: an error page, a consent wall, a list of links. */
export class NoArticleError extends Error {
  override name = "NoArticleError";
}

/**
 * Reads an article page. `url` is where it was fetched from (or saved from),
 * the base of its relative links where it names no canonical address.
 */
export function readArticle(html: string, url: string | null, fetchedAt: Date): ReadArticle {
  const { document } = parseHTML(html);
  const doc = document as unknown as Element;
  const index = new PageIndex(doc);
  const meta = readPageMeta(doc, index);
  const base = absolute(meta.canonical, url) ?? url;
  const language = meta.language?.toLowerCase().replace("_", "-") ?? null;
  const berlin = language === null || language.startsWith("de");
  const dates = findPageDate(index, meta, base, fetchedAt, berlin);

  // how much text the page's article region holds in paragraphs, for where Readability takes the wrong block
  const regionText = articleRegion(index)?.paragraphs ?? 0;
  const titleText = index.tag("title")[0]?.textContent;
  dropSmallBeside(index);
  // classes kept: the sanitiser drops them with every other attribute it does not allow, in the walk it makes anyway
  const read = new Readability(document as never, { charThreshold: 300, keepClasses: true }).parse();
  let contentHtml = sanitizeContent(read?.content ?? "", base);
  let text = plainText(contentHtml);
  if (regionText && (text.length < 250 || regionText > 2 * text.length)) {
    // Readability kept a fraction of what the page's article holds in paragraphs (an author's box, a teaser): take the
    // region, from the page as it was (Readability changed the DOM; rare enough to read the page again)
    const region = articleRegion(new PageIndex(parseHTML(html).document as unknown as Element));
    contentHtml = sanitizeContent(region ? regionHtml(region.element) : "", base);
    text = plainText(contentHtml);
  }
  const pageTitle = read?.title ?? meta.title ?? "";
  if (text.length < MIN_TEXT) throw new NoArticleError(`no article found: ${text ? `${text.length} characters of text` : "the page has no text"}`);
  if (NOT_FOUND.test(pageTitle) || (text.length < 300 && WALL.test(`${pageTitle} ${text}`))) {
    throw new NoArticleError("no article found: an error, consent or login page");
  }

  // Readability's title: the page's own metadata first, else its <title> without the site's name where that is safe
  const title = clean(collapseSpace(pageTitle || titleText || "")).slice(0, TITLE_CHARS) || "(ohne Titel)";
  // the paragraphs read as far as the lead and the dateline need them: the first four, and on to the first of 80 characters
  const paragraphs: string[] = [];
  for (const m of contentHtml.replace(/<figure\b[\s\S]*?<\/figure>/gi, "").matchAll(/<p\b[^>]*>([\s\S]*?)<\/p>/gi)) {
    paragraphs.push(plainText(m[1]!));
    if (paragraphs.length >= 4 && paragraphs.some((p) => p.length >= 80)) break;
  }
  const lead = paragraphs.find((p) => p.length >= 80) ?? text;
  const standfirst = plainText(meta.description ?? "") || lead;
  const summary = standfirst.length > SUMMARY_CHARS ? `${standfirst.slice(0, standfirst.lastIndexOf(" ", SUMMARY_CHARS)).trimEnd()} …` : standfirst;
  // "Berlin (dpa) - " opens the article's first paragraphs, after a byline or a date line perhaps
  const dateline =
    paragraphs
      .slice(0, 4)
      .map(readDateline)
      .find((d) => d !== null) ?? null;
  const byline = read?.byline ? collapseSpace(read.byline) : null;
  const authors = meta.authors.length ? meta.authors : byline ? [byline] : [];
  const agency = dateline?.agency ?? authors.find((a) => AGENCIES.test(a)) ?? (authors.length ? authors.join(", ") : null);
  const tags: Tag[] = tagsFromLabels([...(meta.section ? [meta.section] : []), ...meta.keywords]).slice(0, TAGS);
  const image = absolute(meta.image, base);

  const link = base && /^https?:/.test(base) ? canonical(base) : null;
  const id = link ? linkStoryId(link) : storyKey(title);
  const published = dates.published;
  return {
    item: {
      id,
      guid: guidFor(id),
      kind: "article",
      title,
      kicker: null,
      publishedAt: published?.instant ?? null,
      precision: published ? (published.timed ? "absolute" : "day") : "none",
      agency: agency ? agency.slice(0, 200) : null,
      dateline: dateline?.place ?? null,
      tags,
      commentCount: null,
      image: null,
      media: image ? { enclosures: [], thumbnail: { url: image, width: null, height: null } } : null,
      summary,
      contentHtml,
      url: link,
    },
    extras: {
      publishedLocal: published?.local ?? null,
      modifiedAt: dates.modified?.local ?? null,
      authors,
      byline,
      language,
      siteName: meta.siteName ?? read?.siteName ?? null,
    },
  };
}

/** Less text than a headline and a sentence is no article. */
const MIN_TEXT = 80;
/** An error page's title. */
const NOT_FOUND =
  /\b(?:404|410|not found|nicht gefunden|existiert nicht|nicht mehr verfügbar|page (?:cannot|could not) be found|access denied|zugriff verweigert)\b/i;
/** What consent walls and login forms say: with little text besides, the page is no article. */
const WALL =
  /\b(?:cookies?|consent|einwilligung|zustimm\w*|datenschutzeinstellungen|privacy settings|anmelden|einloggen|log ?in|sign ?in|registrieren|subscribe to continue|abonnieren sie)\b/i;

// the regions pages mark as their article's body, most specific first: each picks elements from the page's index
const ARTICLE_BODY_CLASSES = new Set([
  "article-body",
  "article__body",
  "articlebody",
  "article-content",
  "article__content",
  "story-body",
  "entry-content",
  "post-content",
  "post-body",
  "td-post-content",
]);
const ARTICLE_REGIONS: ((index: PageIndex) => readonly Element[])[] = [
  (index) => index.itemprops.filter((el) => el.getAttribute("itemprop") === "articleBody"),
  (index) =>
    index.named.filter((el) => {
      const cls = index.classOf(el);
      return (
        cls !== "" &&
        cls
          .toLowerCase()
          .split(/\s+/)
          .some((c) => ARTICLE_BODY_CLASSES.has(c))
      );
    }),
  (index) => index.tag("article"),
  (index) => index.roles.filter((el) => el.getAttribute("role") === "main"),
  (index) => index.tag("main"),
];

// what an article region holds besides the article: navigation, sharing, lists of other stories, forms, comments
const BESIDE = "nav, aside, footer, form, script, style, noscript, iframe, button, [role=navigation], [role=complementary]";
const BESIDE_NAME =
  /(?:^|[\s_-])(?:share|sharing|social|related|recommend\w*|newsletter|comments?|teaser|promo|advert\w*|ads?|widget|breadcrumbs?|tags|author-?box|subscribe|paywall|cookie\w*)(?:$|[\s_-])/i;

interface Removable extends Element {
  remove(): void;
  readonly innerHTML: string;
  getElementsByTagName(name: string): Iterable<Element>;
}

// what a page puts inside its article that is not the article: sharing, newsletters, lists of other stories
const INSIDE_NAME = /(?:^|[\s_-])(?:share|sharing|social|related|newsletter|subscribe|comments?|paywall|cookie\w*|recommend\w*)(?:$|[\s_-])/i;

/** Takes out of the page the small boxes its class or id names as beside the article (a wrapper holding more text stays). */
function dropSmallBeside(index: PageIndex): void {
  for (const el of index.named as Removable[]) {
    if (INSIDE_NAME.test(index.nameOf(el)) && (el.textContent ?? "").length < 500) el.remove();
  }
}

/** Takes out of a page (or a region) what stands beside its article, by element and by name. */
function dropBeside(root: Element): void {
  for (const el of [...root.querySelectorAll(BESIDE)] as Removable[]) el.remove();
  for (const el of [...root.querySelectorAll("[class], [id]")] as Removable[]) {
    if (BESIDE_NAME.test(`${el.getAttribute("class") ?? ""} ${el.getAttribute("id") ?? ""}`)) el.remove();
  }
}

/** The page's article region and the length of its paragraphs' text; null where it marks none. */
function articleRegion(index: PageIndex): { element: Removable; paragraphs: number } | null {
  for (const region of ARTICLE_REGIONS) {
    let best: { element: Removable; paragraphs: number } | null = null;
    for (const el of region(index)) {
      const paragraphs = [...(el as Removable).getElementsByTagName("p")].reduce((n, p) => n + (p.textContent ?? "").trim().length, 0);
      if (paragraphs > (best?.paragraphs ?? 200)) best = { element: el as Removable, paragraphs };
    }
    if (best) return best;
  }
  return null;
}

/** A region's markup, what is beside the article taken out. */
function regionHtml(region: Removable): string {
  dropBeside(region);
  return region.innerHTML;
}

/** An http(s) address resolved against `base`; null for anything else. */
function absolute(value: string | null, base: string | null): string | null {
  if (!value) return null;
  try {
    const u = new URL(value, base ?? undefined);
    return u.protocol === "http:" || u.protocol === "https:" ? u.toString() : null;
  } catch {
    return null;
  }
}
