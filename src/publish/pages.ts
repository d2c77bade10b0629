/**
 * The HTML pages for people, in German: the index of tags, a feed's page
 * (a tag, a union of tags, or every item; with search and paging) and an
 * item's page. Built with hono/html, which escapes every interpolated value;
 * only item content, which feedwerk itself produced as escaped HTML, goes in
 * raw. No scripts: the Content-Security-Policy allows none.
 */
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { isoSeconds } from "../normalise/item";
import type { FeedItem, TagSummary } from "../storage/queries";
import { contentHtmlOf, feedUrl, itemUrl } from "./feed-model";
import { germanDateTime } from "./german-date";

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

// Narrow screens (375 px) must not scroll sideways: long words, URLs, images, tables and code wrap or scroll inside.
const STYLE = `*,*::before,*::after{box-sizing:border-box}
body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:0 auto;padding:0 1rem;color:#222;overflow-wrap:anywhere}
a{color:#0645ad}h1{font-size:1.6rem;line-height:1.25}h2{font-size:1.25rem}h3{font-size:1.05rem;margin:0}
img,video{max-width:100%;height:auto}pre,table{display:block;max-width:100%;overflow-x:auto}
.skip{position:absolute;left:-100vw}.skip:focus{position:static}
header{display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:baseline;padding:.8rem 0;border-bottom:1px solid #ddd}
header .site{font-weight:700;font-size:1.15rem;text-decoration:none;color:#222}
header nav ul,.pages ul{display:flex;flex-wrap:wrap;gap:.3rem 1rem;list-style:none;margin:0;padding:0}
footer{margin:2rem 0 1rem;padding-top:.8rem;border-top:1px solid #ddd;color:#555;font-size:.9rem}
ul,ol{padding-left:1.2rem}.items{list-style:none;padding:0}.items>li{margin:0 0 1.1rem}
.meta{color:#555;font-size:.9rem;margin:.15rem 0}.summary{margin:.2rem 0}.feeds a{margin-right:.6rem}
.subscribe,.search{background:#f4f4f4;border-radius:6px;padding:.7rem 1rem;margin:1rem 0}
.subscribe p{margin:.3rem 0}label{display:block;font-weight:600;margin-bottom:.2rem}
input,textarea{font:inherit;width:100%;padding:.35rem .5rem;border:1px solid #888;border-radius:4px;background:#fff;color:#222}
#feed-url{display:block;resize:none;field-sizing:content;min-height:0;word-break:break-all}
.search{display:flex;flex-wrap:wrap;gap:.4rem}.search label{flex:1 0 100%;margin:0}.search input{flex:1 1 8rem;min-width:0;width:auto}
button{font:inherit;padding:.35rem .9rem;border:1px solid #0645ad;border-radius:4px;background:#0645ad;color:#fff}
.pages{margin:1.5rem 0}`;

interface Layout {
  title: string;
  head: Html | string;
  main: Html;
}

function layout({ title, head, main }: Layout, base: string): Html {
  return html`<!doctype html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>${raw(STYLE)}</style>
${head}
</head>
<body>
<a class="skip" href="#inhalt">Zum Inhalt springen</a>
<header>
<a class="site" href="${base}/">feedwerk</a>
<nav aria-label="Hauptnavigation"><ul><li><a href="${base}/">Themen</a></li><li><a href="${base}/feeds/all">Alle Meldungen</a></li><li><a href="${base}/feeds.opml">Alle Themen als OPML</a></li></ul></nav>
</header>
<main id="inhalt">
${main}
</main>
<footer><p>feedwerk: Meldungen als Feeds, für jedes Thema in RSS, Atom und JSON Feed. Alle Zeiten in Berliner Ortszeit.</p></footer>
</body>
</html>`;
}

function feedLinks(base: string, slug: string, label: string): Html {
  return html`<link rel="alternate" type="application/rss+xml" title="${label} (RSS)" href="${feedUrl(base, slug, "rss")}">
<link rel="alternate" type="application/atom+xml" title="${label} (Atom)" href="${feedUrl(base, slug, "atom")}">
<link rel="alternate" type="application/feed+json" title="${label} (JSON Feed)" href="${feedUrl(base, slug, "json")}">`;
}

/**
 * When, from whom and where: the time in German words, its instant in RFC 3339 for machines. An undated story
 * (an untimed teaser) claims no time of publication: it says when it was first seen.
 */
function meta(item: FeedItem): Html {
  const when = item.publishedAt ?? item.firstSeenAt;
  return html`<p class="meta">${item.publishedAt ? "" : "gesehen "}<time datetime="${isoSeconds(when)}">${germanDateTime(when)}</time>${item.agency ? html` · ${item.agency}` : ""}${item.dateline ? html` · ${item.dateline}` : ""}</p>`;
}

/** Items as a list of articles, their titles as headings of `level` below the section's. */
function itemList(base: string, items: FeedItem[], level: 2 | 3, summaries: boolean): Html {
  const heading = (item: FeedItem) =>
    level === 2 ? html`<h2><a href="${itemUrl(base, item)}">${item.title}</a></h2>` : html`<h3><a href="${itemUrl(base, item)}">${item.title}</a></h3>`;
  // role="list": Safari drops the list semantics of a list styled without markers
  return html`<ol class="items" role="list">
${items.map(
  (item) => html`<li><article>${heading(item)}${meta(item)}${summaries && item.summary ? html`<p class="summary">${item.summary}</p>` : ""}</article></li>
`,
)}</ol>`;
}

/** In a group of more tags than this on the index, those with fewer stories than FOLD_BELOW are folded away below the rest. */
export const FOLD_FROM = 24;
export const FOLD_BELOW = 3;

function tagList(base: string, tags: TagSummary[]): Html {
  return html`<ul class="tags">
${tags.map(
  (
    t,
  ) => html`<li class="tag"><a href="${base}/feeds/${t.slug}">${t.label}</a> (${t.items}) <span class="feeds"><a href="${feedUrl(base, t.slug, "rss")}">RSS</a><a href="${feedUrl(base, t.slug, "atom")}">Atom</a><a href="${feedUrl(base, t.slug, "json")}">JSON</a></span></li>
`,
)}</ul>`;
}

/** One group of tags; in a long one, those with few stories folded below the rest. */
function tagGroup(base: string, id: string, heading: string, tags: TagSummary[]): Html | string {
  if (!tags.length) return "";
  const folding = tags.length > FOLD_FROM;
  const shown = folding ? tags.filter((t) => t.items >= FOLD_BELOW) : tags;
  const folded = folding ? tags.filter((t) => t.items < FOLD_BELOW) : [];
  return html`<section aria-labelledby="${id}">
<h2 id="${id}">${heading}</h2>
${shown.length ? tagList(base, shown) : ""}
${folded.length ? html`<details><summary>${folded.length} weitere mit weniger als ${FOLD_BELOW} Meldungen</summary>${tagList(base, folded)}</details>` : ""}
</section>`;
}

/**
 * The index: the topics first (the portal's, and those a person made), the categories of followed feeds
 * below them, and in a long group the tags with few stories folded away; then the newest stories.
 */
export function indexPage(base: string, tags: TagSummary[], newest: FeedItem[]): Html {
  const topics = tags.filter((t) => t.origin !== "feed");
  const categories = tags.filter((t) => t.origin === "feed");
  return layout(
    {
      title: "feedwerk",
      head: html`${feedLinks(base, "all", "Alle Meldungen")}
<link rel="outline" type="text/x-opml" title="Alle Themen (OPML)" href="${base}/feeds.opml">`,
      main: html`<h1>feedwerk</h1>
<p>Ein Feed für jedes Thema: RSS, Atom und JSON Feed. Alle Themen auf einmal abonnieren: <a href="${base}/feeds.opml">OPML</a>; alle Meldungen: <span class="feeds"><a href="${feedUrl(base, "all", "rss")}">RSS</a><a href="${feedUrl(base, "all", "atom")}">Atom</a><a href="${feedUrl(base, "all", "json")}">JSON</a></span></p>
${tagGroup(base, "themen", "Themen", topics)}
${tagGroup(base, "kategorien", "Kategorien gefolgter Feeds", categories)}
<section aria-labelledby="neueste">
<h2 id="neueste">Neueste Meldungen</h2>
${itemList(base, newest, 3, false)}
</section>`,
    },
    base,
  );
}

/** What a feed's page shows: one page of a tag, a union of tags or every item, maybe filtered by a search. */
export interface FeedView {
  base: string;
  /** "ukraine", "krieg+ukraine", "all". */
  key: string;
  /** "Ukraine", "Krieg + Ukraine", "Alle Meldungen". */
  label: string;
  /** The feed to subscribe to: the format asked for, with the search, without a page position. */
  subscribeUrl: string;
  q: string | undefined;
  /** A page size other than the default, kept by the search form. */
  limit: number | undefined;
  items: FeedItem[];
  /** The neighbouring pages, if any: the feed's RFC 5005 positions on this page's own address. */
  newer: string | undefined;
  older: string | undefined;
  /** The first (newest) page, when this is a later one. */
  first: string | undefined;
}

export function feedPage(view: FeedView): Html {
  const { base, key, label, q } = view;
  return layout(
    {
      title: q ? `„${q}“ in ${label} · feedwerk` : `${label} · feedwerk`,
      head: feedLinks(base, key, label),
      main: html`<h1>${label}</h1>
<section class="subscribe" aria-labelledby="abonnieren">
<h2 id="abonnieren">Abonnieren</h2>
<p>Diese Adresse in einen Feedreader einfügen${q ? " (sie liefert die Treffer dieser Suche)" : ""}:</p>
<label for="feed-url">Feed-Adresse</label>
<textarea id="feed-url" readonly rows="2" spellcheck="false">${view.subscribeUrl}</textarea>
<p class="feeds">Als <a href="${feedUrl(base, key, "rss")}">RSS</a><a href="${feedUrl(base, key, "atom")}">Atom</a><a href="${feedUrl(base, key, "json")}">JSON Feed</a></p>
</section>
<form class="search" method="get" role="search">
<label for="q">${searchLabel(key, label)}</label>
<input id="q" type="search" name="q" value="${q ?? ""}" maxlength="200">
${view.limit ? html`<input type="hidden" name="limit" value="${view.limit}">` : ""}
<button type="submit">Suchen</button>
</form>
<section aria-labelledby="meldungen">
<h2 id="meldungen">${q ? html`Treffer für „${q}“` : "Meldungen"}</h2>
${view.items.length ? itemList(base, view.items, 3, true) : html`<p>Keine Meldung gefunden.</p>`}
</section>
${pageLinks(view)}`,
    },
    base,
  );
}

function searchLabel(key: string, label: string): string {
  if (key === "all") return "In allen Meldungen suchen";
  return key.includes("+") ? `In den Themen ${label} suchen` : `Im Thema ${label} suchen`;
}

function pageLinks(view: FeedView): Html | string {
  if (!view.newer && !view.older) return "";
  return html`<nav class="pages" aria-label="Seiten"><ul>
${view.first ? html`<li><a href="${view.first}">Zu den neuesten Meldungen</a></li>` : ""}
${view.newer ? html`<li><a rel="prev" href="${view.newer}">Neuere Meldungen</a></li>` : ""}
${view.older ? html`<li><a rel="next" href="${view.older}">Ältere Meldungen</a></li>` : ""}
</ul></nav>`;
}

export function itemPage(base: string, item: FeedItem): Html {
  const firstTag = item.memberOf[0];
  return layout(
    {
      title: `${item.title} · feedwerk`,
      head: firstTag ? feedLinks(base, firstTag.slug, firstTag.label) : feedLinks(base, "all", "Alle Meldungen"),
      main: html`<article>
${item.kicker ? html`<p class="meta">${item.kicker}</p>` : ""}
<h1>${item.title}</h1>
${meta(item)}
${raw(contentHtmlOf(item))}
${item.commentCount !== null ? html`<p class="meta">${item.commentCount} Kommentare</p>` : ""}
${item.url ? html`<p><a href="${item.url}">Zum Original</a></p>` : ""}
<p class="meta">Themen: ${item.memberOf.map((t, i) => html`${i ? ", " : ""}<a href="${base}/feeds/${t.slug}">${t.label}</a>`)}</p>
</article>`,
    },
    base,
  );
}
