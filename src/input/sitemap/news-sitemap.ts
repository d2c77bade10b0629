/**
 * A news sitemap (`<urlset>` with Google's `xmlns:news`) to teaser items:
 * each `<url>` with a `<news:news>` is an article of the site, with its
 * title, publication date, keywords and image. What many news sites publish
 * for search engines where they publish no feed.
 */
import { Parser } from "htmlparser2";
import type { Item } from "../../normalise/item";
import { tagsFromLabels } from "../../normalise/tag-union";
import { clean, collapseSpace } from "../../normalise/text";
import { readStatedDate } from "../html/dates";
import { storyLink, teaserItem } from "../teaser-item";

const NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9";
const MAX_ENTRIES = 1_000;
const TAGS = 10;

/** The root element of a sitemap (after the declaration, processing instructions, comments and a doctype), or null for any other document. */
function sitemapRoot(head: string): "urlset" | "sitemapindex" | null {
  const root = /^(?:\s|<\?[^>]*\?>|<!--(?:[^-]|-(?!->))*-->|<!doctype[^>]*>)*<(?:[\w.-]+:)?(urlset|sitemapindex)\b/i.exec(head.replace(/^\uFEFF/, ""));
  return root ? (root[1]!.toLowerCase() as "urlset" | "sitemapindex") : null;
}

/** Whether a document is a news sitemap: a `<urlset>` root that declares the news namespace, near its start. */
export function isNewsSitemap(text: string): boolean {
  const head = text.slice(0, 4_096);
  return sitemapRoot(head) === "urlset" && head.includes(NEWS_NS);
}

/**
 * Why a sitemap that is no news sitemap gives no stories, or null for any other document: an index of
 * sitemaps names the one to follow where its address says news; a plain sitemap lists addresses
 * without titles. Said instead of the readers' advice (CSS selectors, no feed), which fits neither.
 */
export function otherSitemapReason(text: string): string | null {
  const root = sitemapRoot(text.slice(0, 4_096));
  if (root === "sitemapindex") {
    const listed = [...text.matchAll(/<loc>\s*(?:<!\[CDATA\[)?\s*([^<\s\]]+)/g)].map((m) => decodeXmlText(m[1]!));
    const named = listed.filter(namedNews);
    const count = `${listed.length} ${listed.length === 1 ? "sitemap" : "sitemaps"}`;
    // one whose address says news, where not every one does (a news site's host says news for all of them)
    if (named.length && named.length < listed.length) return `a sitemap index, not a news sitemap: follow the news sitemap it lists (${named[0]}, of ${count})`;
    return `a sitemap index, not a news sitemap: follow a news sitemap of the site; none of the ${count} it lists is named as one${listed[0] ? ` (the first: ${listed[0]})` : ""}`;
  }
  if (root === "urlset") {
    return "a sitemap without news entries (it declares no Google News namespace), which gives addresses but no titles: follow the site's news sitemap or a section page";
  }
  return null;
}

/** Whether an address's path or query names news as a word (news.xml, sitemap-news, ?type=news), not newsletter. */
function namedNews(loc: string): boolean {
  let tail = loc;
  try {
    const url = new URL(loc);
    tail = url.pathname + url.search;
  } catch {
    // no address: judged as written
  }
  return /(?:^|[^a-z])news(?:[^a-z]|$)/i.test(tail);
}

/** The five predefined entities and numeric references, as an address in XML text may hold them (&amp; between parameters). */
function decodeXmlText(text: string): string {
  const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (whole, ref: string) => {
    if (ref[0] !== "#") return named[ref.toLowerCase()] ?? whole;
    const code = ref[1] === "x" || ref[1] === "X" ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

interface Entry {
  loc: string;
  title: string;
  published: string;
  keywords: string;
  image: string;
  language: string;
  news: boolean;
}

/** The sitemap's articles, newest first as listed; entries without a news block, a title or an http(s) address are left out. */
export function readNewsSitemap(text: string, url: string): Item[] {
  const entries: Entry[] = [];
  let entry: Entry | null = null;
  let field: keyof Omit<Entry, "news"> | null = null;
  const parser = new Parser(
    {
      onopentag(name) {
        const local = name.toLowerCase();
        if (local === "url") entry = { loc: "", title: "", published: "", keywords: "", image: "", language: "", news: false };
        else if (!entry) return;
        else if (local === "loc") field = "loc";
        else if (local === "news:news") entry.news = true;
        else if (local === "news:title") field = "title";
        else if (local === "news:publication_date") field = "published";
        else if (local === "news:keywords") field = "keywords";
        else if (local === "news:language") field = "language";
        else if (local === "image:loc") field = "image";
      },
      ontext(data) {
        if (entry && field) entry[field] += data;
      },
      onclosetag(name) {
        const local = name.toLowerCase();
        if (local === "url" && entry) {
          if (entries.length < MAX_ENTRIES) entries.push(entry);
          entry = null;
        }
        // <loc> inside <image:image> is image:loc: a plain <loc> after it is the page's own
        field = null;
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  parser.end(text);
  const seen = new Set<string>();
  const items: Item[] = [];
  for (const e of entries) {
    const link = storyLink(e.loc, url);
    const title = clean(collapseSpace(e.title)).slice(0, 1_000);
    if (!e.news || !link || !title || seen.has(link)) continue;
    seen.add(link);
    const berlin = !e.language.trim() || e.language.trim().toLowerCase().startsWith("de");
    const stated = readStatedDate(e.published.trim(), berlin);
    const image = storyLink(e.image, url);
    items.push(
      teaserItem({
        link,
        title,
        summary: "",
        time: stated ? { publishedAt: stated.instant, precision: stated.timed ? "absolute" : "day" } : null,
        image,
        tags: tagsFromLabels(
          e.keywords
            .split(",")
            .map((k) => clean(collapseSpace(k)))
            .filter((k) => k.length > 0 && k.length <= 100),
        ).slice(0, TAGS),
      }),
    );
  }
  return items;
}
