/**
 * A news sitemap (`<urlset>` with Google's `xmlns:news`) to teaser items:
 * each `<url>` with a `<news:news>` is an article of the site, with its
 * title, publication date, keywords and image. What many news sites publish
 * for search engines where they publish no feed.
 */
import { Parser } from "htmlparser2";
import { guidFor } from "../../normalise/identity";
import type { Item, Precision } from "../../normalise/item";
import { sha256Hex } from "../../normalise/sha256";
import { tagsFromLabels } from "../../normalise/tag-union";
import { clean, collapseSpace } from "../../normalise/text";
import { canonical } from "../feed/to-items";
import { readStatedDate } from "../html/dates";

const NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9";
const MAX_ENTRIES = 1_000;
const TAGS = 10;

/** Whether a document is a news sitemap: a `<urlset>` that declares the news namespace, near its start. */
export function isNewsSitemap(text: string): boolean {
  const head = text.slice(0, 4_096);
  return /<urlset\b/.test(head) && head.includes(NEWS_NS);
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
    const link = httpLink(e.loc.trim(), url);
    const title = clean(collapseSpace(e.title)).slice(0, 1_000);
    if (!e.news || !link || !title || seen.has(link)) continue;
    seen.add(link);
    const berlin = !e.language.trim() || e.language.trim().toLowerCase().startsWith("de");
    const stated = readStatedDate(e.published.trim(), berlin);
    const image = httpLink(e.image.trim(), url);
    const id = sha256Hex(`link\n${link}`).slice(0, 32);
    const precision: Precision = stated ? (stated.timed ? "absolute" : "day") : "none";
    items.push({
      id,
      guid: guidFor(id),
      kind: "teaser",
      title,
      kicker: null,
      publishedAt: stated?.instant ?? null,
      precision,
      agency: null,
      dateline: null,
      tags: tagsFromLabels(
        e.keywords
          .split(",")
          .map((k) => clean(collapseSpace(k)))
          .filter((k) => k.length > 0 && k.length <= 100),
      ).slice(0, TAGS),
      commentCount: null,
      image: null,
      media: image ? { enclosures: [], thumbnail: { url: image, width: null, height: null } } : null,
      summary: "",
      contentHtml: null,
      url: link,
    });
  }
  return items;
}

function httpLink(value: string, base: string): string | null {
  if (!value) return null;
  try {
    const u = new URL(value, base);
    return u.protocol === "http:" || u.protocol === "https:" ? canonical(u.toString()) : null;
  } catch {
    return null;
  }
}
