/**
 * A section or home page of a news site (a list of teasers) to teaser items,
 * one per article of the same site: headline, teaser text, image, and a time
 * where the teaser shows one ("vor 3 Minuten" counts from the fetch time).
 * Teasers are found, in this order, by the CSS selectors a person gave the
 * source (`select`), by the page's JSON-LD ItemList, or as the blocks that
 * each hold one headline linking to an article of the site. A teaser's
 * identity is its canonical link, as a feed entry's and an article page's
 * are (input/feed/to-items, article.ts): a story met as a teaser, an entry
 * and a page is one item.
 */
import { parseHTML } from "linkedom";
import type { Item, Precision } from "../../normalise/item";
import type { TeaserSelectors } from "../../normalise/teaser-selectors";
import { clean, collapseSpace } from "../../normalise/text";
import { canonical } from "../feed/to-items";
import { parseRelativeTime } from "../page/dates";
import { storyLink, type Teaser, teaserItem } from "../teaser-item";
import { datesInText, readStatedDate, type StatedDate } from "./dates";
import { imageUrl, type Json, jsonLdObjects, list, str, typesOf } from "./json-ld";
import type { Element } from "./metadata";

export type { TeaserSelectors };

/** Why a page gives no teasers: not a list of a site's articles, or selectors that find nothing. */
export class NoTeasersError extends Error {
  override name = "NoTeasersError";
}

const MAX_TEASERS = 200;
const TITLE_CHARS = 1_000;
const SUMMARY_CHARS = 600;

interface Node extends Element {
  closest(selector: string): Node | null;
  readonly parentElement: Node | null;
  querySelectorAll(selector: string): Iterable<Node>;
  querySelector(selector: string): Node | null;
  contains(other: Node): boolean;
}

/**
 * The teasers of a list page fetched (or saved) from `url`. A page that
 * shows fewer than two articles of its site is no list (NoTeasersError);
 * with selectors, one teaser is enough.
 */
export function readTeaserList(html: string, url: string, fetchedAt: Date, select?: TeaserSelectors | null): Item[] {
  const { document } = parseHTML(html);
  const doc = document as unknown as Node;
  const base = baseOf(doc, url);
  const language = (doc.querySelector("html")?.getAttribute("lang") ?? "").toLowerCase();
  const berlin = language === "" || language.startsWith("de");
  const site = siteOf(url);
  let teasers: Teaser[];
  if (select) {
    teasers = selected(doc, select, base, fetchedAt, berlin);
    if (!teasers.length) throw new NoTeasersError(`no teasers found: the selector ${JSON.stringify(select.item)} finds no teaser with a title and a link`);
  } else {
    const blocks = teaserBlocks(doc, base, site, fetchedAt, berlin);
    teasers = itemList(doc, base, site, blocks, berlin) ?? [...blocks.values()];
    if (teasers.length < 2) throw new NoTeasersError("no teasers found: the page lists no articles of its site (give the source CSS selectors)");
  }
  return teasers.slice(0, MAX_TEASERS).map(teaserItem);
}

/** The teasers the person's selectors find, each with a title and a link, once per link. */
function selected(doc: Node, select: TeaserSelectors, base: string, fetchedAt: Date, berlin: boolean): Teaser[] {
  const out = new Map<string, Teaser>();
  for (const block of all(doc, select.item, "item")) {
    const titleEl = select.title ? one(block, select.title, "title") : headingOf(block);
    const linkEl = select.link
      ? one(block, select.link, "link")
      : (titleEl?.closest("a[href]") ?? titleEl?.querySelector("a[href]") ?? block.closest("a[href]") ?? block.querySelector("a[href]"));
    const link = storyLink(linkEl?.getAttribute("href") ?? null, base);
    const title = textOf(titleEl ?? linkEl);
    if (!link || !title || out.has(link)) continue;
    const summaryEl = select.summary ? one(block, select.summary, "summary") : null;
    const timeEl = select.time ? one(block, select.time, "time") : null;
    const imageEl = select.image ? one(block, select.image, "image") : null;
    out.set(link, {
      link,
      title: title.slice(0, TITLE_CHARS),
      summary: summaryEl ? cut(textOf(summaryEl)) : summaryOf(block, titleEl),
      time: select.time ? (timeEl ? timeOf(timeEl, fetchedAt, berlin) : null) : timeIn(block, fetchedAt, berlin),
      image: imageOf(imageEl ?? block, base),
    });
  }
  return [...out.values()];
}

function all(root: Node, selector: string, key: string): Node[] {
  try {
    return [...root.querySelectorAll(selector)];
  } catch (error) {
    throw new NoTeasersError(`select.${key}: ${JSON.stringify(selector)} is no CSS selector (${(error as Error).message})`);
  }
}

function one(root: Node, selector: string, key: string): Node | null {
  return all(root, selector, key)[0] ?? null;
}

// where a page keeps what is not its list of stories
const OUTSIDE = "nav, footer, aside, [role=navigation], [role=contentinfo], [role=complementary], form";

/**
 * Every block of the page that holds one headline linking to an article of the site, by the article's
 * canonical link in page order: the link's widest ancestor that links to no other article.
 */
function teaserBlocks(doc: Node, base: string, site: string, fetchedAt: Date, berlin: boolean): Map<string, Teaser> {
  const page = canonicalOf(base);
  // each anchor to an article of the site, with the article's canonical link
  const anchors = new Map<Node, string>();
  for (const a of doc.querySelectorAll("a[href]")) {
    if (a.closest(OUTSIDE) || (a.closest("header") && !a.closest("article"))) continue;
    const link = storyLink(a.getAttribute("href"), base);
    if (!link || link === page || siteOf(link) !== site || !articlePath(link)) continue;
    anchors.set(a, link);
  }
  const found = new Map<string, Teaser>();
  for (const [a, link] of anchors) {
    const heading =
      a.closest("h1, h2, h3, h4, h5, h6") ?? a.querySelector("h1, h2, h3, h4, h5, h6") ?? a.querySelector("[class*=title i], [class*=headline i]");
    const title = textOf(heading ?? a);
    // a headline: in a heading, or a link's text long enough to be one, not "mehr" or a section's name
    if (!title || (!heading && (title.length < 25 || title.split(" ").length < 4))) continue;
    const known = found.get(link);
    if (known && (known.summary || !heading)) continue;
    let block = a;
    for (let up = block.parentElement; up && up.tagName !== "BODY" && !linksElsewhere(up, link, anchors); up = up.parentElement) block = up;
    found.set(link, {
      link,
      title: title.slice(0, TITLE_CHARS),
      summary: summaryOf(block, heading ?? a),
      time: timeIn(block, fetchedAt, berlin),
      image: imageOf(block, base),
    });
  }
  return found;
}

/** Whether `el` holds a link to an article other than `link`. */
function linksElsewhere(el: Node, link: string, anchors: Map<Node, string>): boolean {
  for (const a of el.querySelectorAll("a[href]")) {
    const other = anchors.get(a);
    if (other && other !== link) return true;
  }
  return false;
}

/**
 * The teasers of the page's JSON-LD ItemList of the site's articles, in its order, each completed by the
 * page's own teaser block for the same link (a list often names addresses alone); null where it has none.
 */
function itemList(doc: Node, base: string, site: string, blocks: Map<string, Teaser>, berlin: boolean): Teaser[] | null {
  for (const obj of jsonLdObjects(doc)) {
    if (!typesOf(obj).includes("ItemList")) continue;
    const out = new Map<string, Teaser>();
    for (const element of list(obj.itemListElement)) {
      if (!element || typeof element !== "object") continue;
      const listed = element as Json;
      const thing = listed.item && typeof listed.item === "object" ? (listed.item as Json) : listed;
      const link = storyLink(str(thing.url) ?? str(listed.url) ?? str(thing["@id"]) ?? (typeof listed.item === "string" ? listed.item : null), base);
      if (!link || siteOf(link) !== site || out.has(link)) continue;
      const block = blocks.get(link);
      const title = clean(collapseSpace(str(thing.headline) ?? str(thing.name) ?? str(listed.name) ?? "")) || block?.title;
      if (!title) continue;
      const stated = readStatedDate(str(thing.datePublished), berlin);
      const image = storyLink(imageUrl(thing.image) ?? imageUrl(thing.thumbnailUrl), base);
      out.set(link, {
        link,
        title: title.slice(0, TITLE_CHARS),
        summary: cut(clean(collapseSpace(str(thing.description) ?? ""))) || block?.summary || "",
        time: stated ? asTime(stated) : (block?.time ?? null),
        image: image ?? block?.image ?? null,
      });
    }
    if (out.size >= 2) return [...out.values()];
  }
  return null;
}

/** The teaser's text: its summary element, else its first paragraph that is not its headline. */
function summaryOf(block: Node, title: Node | null): string {
  const named = block.querySelector(
    "[class*=summary i], [class*=teaser-text i], [class*=teaser__text i], [class*=excerpt i], [class*=standfirst i], [class*=description i], [class*=intro i], [class*=lead i]",
  );
  for (const el of [named, ...block.querySelectorAll("p")]) {
    if (!el || (title && (title === el || title.contains(el) || el.contains(title)))) continue;
    const text = textOf(el);
    if (text.length >= 30) return cut(text);
  }
  return "";
}

/** The time a teaser shows: a <time>, else a relative time or a date in its text; null where none. */
function timeIn(block: Node, fetchedAt: Date, berlin: boolean): Teaser["time"] {
  const el = block.querySelector("time");
  return (el && timeOf(el, fetchedAt, berlin)) ?? timeInText(textOf(block), fetchedAt, berlin);
}

function timeOf(el: Node, fetchedAt: Date, berlin: boolean): Teaser["time"] {
  const stated = readStatedDate(el.getAttribute("datetime") ?? el.getAttribute("content"), berlin);
  return stated ? asTime(stated) : timeInText(textOf(el), fetchedAt, berlin);
}

// "vor 3 Minuten", "vor einer Stunde"; "3 minutes ago", "an hour ago"
const RELATIVE_DE = /vor\s+(?:\d+|einer|einem|eine)\s+(?:Sekunden?|Minuten?|Stunden?|Tag(?:en)?|Wochen?)\b/iu;
const RELATIVE_EN = /\b(\d+|an?|one)\s+(second|minute|hour|day|week)s?\s+ago\b/i;
const EN_UNIT: Record<string, [number, Precision]> = {
  second: [1_000, "minute"],
  minute: [60_000, "minute"],
  hour: [3_600_000, "hour"],
  day: [86_400_000, "day"],
  week: [604_800_000, "week"],
};

function timeInText(text: string, fetchedAt: Date, berlin: boolean): Teaser["time"] {
  const de = RELATIVE_DE.exec(text);
  if (de) return parseRelativeTime(de[0], fetchedAt);
  const en = RELATIVE_EN.exec(text);
  if (en) {
    const [ms, precision] = EN_UNIT[en[2]!.toLowerCase()]!;
    const count = /^\d+$/.test(en[1]!) ? Number(en[1]) : 1;
    return { publishedAt: new Date(fetchedAt.getTime() - count * ms), precision };
  }
  const stated = datesInText(text.slice(0, 2_000), berlin)[0];
  // a teaser dated after its page was fetched states something else (an event's day)
  return stated && stated.instant.getTime() <= fetchedAt.getTime() + 86_400_000 ? asTime(stated) : null;
}

function asTime(stated: StatedDate): NonNullable<Teaser["time"]> {
  return { publishedAt: stated.instant, precision: stated.timed ? "absolute" : "day" };
}

/** The teaser's picture: an image's address, where lazy loading keeps it too. */
function imageOf(block: Node, base: string): string | null {
  const img = block.tagName === "IMG" ? block : block.querySelector("img");
  if (!img) return null;
  for (const attr of ["data-src", "data-lazy-src", "data-original", "src", "srcset", "data-srcset"]) {
    const value = img.getAttribute(attr)?.trim().split(/\s+/)[0];
    if (value && !value.startsWith("data:")) return storyLink(value, base);
  }
  return null;
}

function headingOf(block: Node): Node | null {
  return block.querySelector("h1, h2, h3, h4, h5, h6") ?? block.querySelector("[class*=title i], [class*=headline i]") ?? block.querySelector("a[href]");
}

function textOf(el: Node | null): string {
  return el ? clean(collapseSpace(el.textContent ?? "")) : "";
}

function cut(text: string): string {
  return text.length > SUMMARY_CHARS ? `${text.slice(0, text.lastIndexOf(" ", SUMMARY_CHARS)).trimEnd()} …` : text;
}

/** A path that names one article, not a section: a slug of words or a number, not "/politik/" or "/". */
function articlePath(link: string): boolean {
  const { pathname, search } = new URL(link);
  const last = pathname.split("/").filter(Boolean).pop() ?? "";
  if (!last) return /[?&](?:p|id|article|story)=\d/.test(search);
  return last.length >= 12 || /\d{4,}/.test(last) || (last.match(/-/g)?.length ?? 0) >= 2;
}

/** The site a page or link belongs to: its host without "www.". */
function siteOf(url: string): string {
  return new URL(url).hostname.toLowerCase().replace(/^www\./, "");
}

function baseOf(doc: Node, url: string): string {
  const href = doc.querySelector("base[href]")?.getAttribute("href");
  return (href && storyLink(href, url)) || url;
}

function canonicalOf(url: string): string {
  try {
    return canonical(url);
  } catch {
    return url;
  }
}
