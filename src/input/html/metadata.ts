/**
 * What an article page says about itself, each field from the first source
 * that has it: JSON-LD (NewsArticle and its kin, in `@graph` and arrays),
 * microdata, OpenGraph and other meta tags (Dublin Core, Parse.ly,
 * `article:published_time`), and `<link rel="canonical">`. The publication
 * date is found apart (page-date.ts), from these and from the page's text.
 */

import { imageUrl, type Json, jsonLdObjects, list, str, typesOf } from "./json-ld";
import { type Element, PageIndex, tokens } from "./page-index";

export type { Element } from "./page-index";

export interface PageMeta {
  title: string | null;
  description: string | null;
  /** Publication and modification, as the page's machine-readable parts state them (not yet read as dates). */
  published: string[];
  modified: string[];
  authors: string[];
  section: string | null;
  keywords: string[];
  image: string | null;
  language: string | null;
  canonical: string | null;
  siteName: string | null;
}

// NewsArticle, ReportageNewsArticle, BlogPosting, SocialMediaPosting, …: every schema.org type of the kind
const ARTICLE_TYPES = /(?:Article|Posting)$|^Report$/;

function names(v: unknown): string[] {
  return list(v).flatMap((a) => {
    if (typeof a === "string") return a.trim() ? [a.trim()] : [];
    if (a && typeof a === "object") return list((a as Json).name).flatMap((n) => (str(n) ? [str(n)!] : []));
    return [];
  });
}

/** meta tags by every name they go by (name, property, itemprop), lower case; values in document order. */
function metaTags(index: PageIndex): Map<string, string[]> {
  const tags = new Map<string, string[]>();
  for (const meta of index.tag("meta")) {
    const content = meta.getAttribute("content") ?? meta.getAttribute("value");
    if (!content?.trim()) continue;
    for (const attr of ["name", "property", "itemprop", "http-equiv"]) {
      const key = meta.getAttribute(attr)?.trim().toLowerCase();
      if (key) tags.set(key, [...(tags.get(key) ?? []), content.trim()]);
    }
  }
  return tags;
}

const PUBLISHED_META = [
  "article:published_time",
  "og:article:published_time",
  "article:published",
  "datepublished",
  "date_published",
  "published_time",
  "parsely-pub-date",
  "sailthru.date",
  "dc.date.issued",
  "dcterms.issued",
  "dc.date.created",
  "dcterms.created",
  "dc.date",
  "dcterms.date",
  "date",
  "pubdate",
  "publishdate",
  "publish-date",
  "publish_date",
  "publication_date",
  "citation_publication_date",
  "citation_date",
  "og:published_time",
  "article.published",
  "release_date",
  "original-publish-date",
  "date.available",
  "last-modified-date-original",
  "cxenseparse:recs:publishtime",
  "datecreated",
  "created",
];
const MODIFIED_META = [
  "article:modified_time",
  "og:updated_time",
  "datemodified",
  "dc.date.modified",
  "dcterms.modified",
  "last-modified",
  "lastmod",
  "modified",
];

export function readPageMeta(doc: Element, index: PageIndex = new PageIndex(doc)): PageMeta {
  const objects = jsonLdObjects(doc, index);
  const article = objects.find((o) => typesOf(o).some((t) => ARTICLE_TYPES.test(t)));
  const page = objects.find((o) => typesOf(o).includes("WebPage"));
  const meta = metaTags(index);
  const first = (...keys: string[]) => {
    for (const k of keys) {
      const v = meta.get(k)?.[0];
      if (v) return v;
    }
    return null;
  };
  const parsely = parselyMetadata(meta);

  const microdata = (prop: string): string[] =>
    index.itemprops
      .filter((el) => tokens(el, "itemprop", true).includes(prop))
      .flatMap((el) => {
        const v = el.getAttribute("content") ?? el.getAttribute("datetime") ?? (el.tagName.toLowerCase() === "meta" ? null : el.textContent);
        return v?.trim() ? [v.trim()] : [];
      });

  const published = [
    ...(article ? list(article.datePublished).map(str) : []),
    ...(parsely ? [str(parsely.pub_date)] : []),
    ...PUBLISHED_META.flatMap((k) => meta.get(k) ?? []),
    ...(article ? list(article.dateCreated).map(str) : []),
    ...microdata("datePublished"),
    ...(page ? list(page.datePublished).map(str) : []),
  ].filter((v): v is string => Boolean(v));
  const modified = [
    ...(article ? list(article.dateModified).map(str) : []),
    ...MODIFIED_META.flatMap((k) => meta.get(k) ?? []),
    ...microdata("dateModified"),
  ].filter((v): v is string => Boolean(v));

  const authors = [
    ...(article ? names(article.author) : []),
    ...(parsely ? names(parsely.author) : []),
    ...(meta.get("author") ?? []),
    ...(meta.get("article:author") ?? []).filter((a) => !/^https?:/.test(a)),
    ...(meta.get("dc.creator") ?? []),
    ...(meta.get("parsely-author") ?? []),
    ...(meta.get("sailthru.author") ?? []),
  ];
  const keywords = [
    ...(article ? list(article.keywords).flatMap((k) => (typeof k === "string" ? k.split(",") : [])) : []),
    ...(meta.get("news_keywords") ?? []).flatMap((k) => k.split(",")),
    ...(meta.get("article:tag") ?? []),
    ...(meta.get("keywords") ?? []).flatMap((k) => k.split(",")),
  ]
    .map((k) => k.trim())
    .filter(Boolean);

  const canonical =
    index
      .tag("link")
      .find((link) => tokens(link, "rel").includes("canonical"))
      ?.getAttribute("href")
      ?.trim() ||
    first("og:url") ||
    (article && str(article.url)) ||
    null;
  const html = index.tag("html")[0];
  return {
    title:
      (article && (str(article.headline) ?? str(article.name))) || first("og:title", "twitter:title", "dc.title", "parsely-title", "sailthru.title") || null,
    description: (article && str(article.description)) || first("og:description", "description", "twitter:description", "dc.description") || null,
    published,
    modified,
    authors: [...new Set(authors.map((a) => a.replace(/\s+/g, " ").trim()).filter((a) => a && a.length < 200))],
    section: (article && str(list(article.articleSection)[0])) || first("article:section", "parsely-section") || null,
    keywords: [...new Set(keywords)],
    image: (article && imageUrl(article.image)) || first("og:image", "og:image:url", "twitter:image", "twitter:image:src") || null,
    language:
      html?.getAttribute("lang")?.trim() || (article && str(article.inLanguage)) || first("og:locale", "content-language", "language", "dc.language") || null,
    canonical,
    siteName: first("og:site_name", "application-name") || null,
  };
}

/** Parse.ly's metadata, a JSON object in one meta tag. */
function parselyMetadata(meta: Map<string, string[]>): Json | null {
  const raw = meta.get("parsely-page")?.[0] ?? meta.get("parsely-metadata")?.[0];
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw) as unknown;
    return parsed && typeof parsed === "object" ? (parsed as Json) : null;
  } catch {
    return null;
  }
}
