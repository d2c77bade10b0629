/**
 * When an article page says it was published. The page's own machine-
 * readable statements first (JSON-LD, meta tags, microdata), then the
 * `<time>` and date elements of its markup, then the day its address names,
 * then the dates its text states near the headline; its modification date
 * last. A date after the page was fetched (a clock or a typo) is no
 * publication date.
 */
import { dateInUrl, datesInText, readStatedDate, type StatedDate } from "./dates";
import type { Element, PageMeta } from "./metadata";
import type { PageIndex } from "./page-index";

// elements whose class or id says they hold the date or the byline
const DATED =
  /(?:^|[\s_-])(?:date|datum|time|zeit|publish|published|pubdate|posted|byline|dateline|meta|info|timestamp|article-?date|entry-date|created)(?:$|[\s_-]|\d)/i;
const SKIP = /comment|related|teaser|footer|sidebar|widget|recommend|weitere|mehr-zum|newsletter/i;

export interface PageDate {
  published: StatedDate | null;
  modified: StatedDate | null;
}

export function findPageDate(index: PageIndex, meta: PageMeta, url: string | null, fetchedAt: Date, berlin: boolean): PageDate {
  const latest = fetchedAt.getTime() + 24 * 3_600_000;
  const ok = (d: StatedDate | null): d is StatedDate => d !== null && d.instant.getTime() <= latest;
  const firstOf = (values: Iterable<string | null | undefined>) => {
    for (const v of values) {
      const d = readStatedDate(v, berlin);
      if (ok(d)) return d;
    }
    return null;
  };
  const modified = firstOf(meta.modified);
  const published =
    firstOf(meta.published) ??
    firstOf(timeElements(index)) ??
    firstOf(microformatDates(index)) ??
    datedElement(index, berlin, ok) ??
    (ok(dateInUrl(url, berlin)) ? dateInUrl(url, berlin) : null) ??
    textNearHeadline(index, berlin, ok) ??
    modified;
  return { published, modified };
}

/** `<time>` elements, those that say they are the publication first, then in document order; outside comments and lists of other stories. */
function timeElements(index: PageIndex): (string | null)[] {
  const times = index.tag("time").filter((t) => !insideOther(t, index));
  const rank = (t: Element) => {
    const parent = t.parentElement;
    const hint = `${t.getAttribute("itemprop") ?? ""} ${index.classOf(t)} ${parent ? index.classOf(parent) : ""}`.toLowerCase();
    if (t.getAttribute("pubdate") !== null || /publish|datepublished|created/.test(hint)) return 0;
    if (/modif|update|aktualisiert/.test(hint)) return 2;
    return 1;
  };
  return times
    .map((t, i) => ({ t, i, r: rank(t) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .flatMap(({ t }) => [t.getAttribute("datetime"), t.textContent]);
}

/** The hAtom and hCalendar dates: `abbr.published`, `abbr.dtstart`, and elements of class `published` or `pubdate`. */
function microformatDates(index: PageIndex): (string | null)[] {
  return index.named
    .filter((e) => {
      const classes = index.classOf(e).split(/\s+/);
      return classes.includes("published") || classes.includes("pubdate") || (e.tagName === "ABBR" && classes.includes("dtstart"));
    })
    .map((e) => e.getAttribute("title") ?? e.textContent);
}

function insideOther(el: Element, index: PageIndex): boolean {
  for (let e: Element | null = el, depth = 0; e && depth < 12; e = e.parentElement, depth++) {
    const tag = e.tagName.toLowerCase();
    if (tag === "footer" || tag === "aside" || tag === "nav") return true;
    if (SKIP.test(index.nameOf(e))) return true;
  }
  return false;
}

/** An element whose class or id says it holds the date, whose own short text states one. */
function datedElement(index: PageIndex, berlin: boolean, ok: (d: StatedDate | null) => d is StatedDate): StatedDate | null {
  for (const el of index.named) {
    if (!DATED.test(index.nameOf(el)) || insideOther(el, index)) continue;
    const text = el.textContent ?? "";
    if (text.length > 300) continue;
    const found = datesInText(text, berlin).find(ok);
    if (found) return found;
  }
  return null;
}

/**
 * A date the text states in the headline's neighbourhood: from a little before the headline to well after it
 * (where bylines and datelines stand), else the first the page's text states at all.
 */
function textNearHeadline(index: PageIndex, berlin: boolean, ok: (d: StatedDate | null) => d is StatedDate): StatedDate | null {
  const text = (index.tag("body")[0]?.textContent ?? "").replace(/\s+/g, " ");
  const headline = (index.tag("h1")[0]?.textContent ?? "").replace(/\s+/g, " ").trim();
  const at = headline.length > 5 ? text.indexOf(headline) : -1;
  if (at >= 0) {
    const near = datesInText(text.slice(Math.max(0, at - 400), at + headline.length + 2500), berlin).find(ok);
    if (near) return near;
  }
  return datesInText(text.slice(0, 30_000), berlin).find(ok) ?? null;
}
